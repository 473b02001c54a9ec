"""The process-wide state: the default (world) group and the groups made from it."""
world = None   # ProcessGroup over every rank, set by init_process_group
groups = []    # every live ProcessGroup, world first

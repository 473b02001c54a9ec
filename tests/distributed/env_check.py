"""Started by ``ember.distributed.run``: torchrun's variables are set before init."""
import os

import ember.distributed as dist

before = {k: os.environ.get(k) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")}
dist.init_process_group()
after = {k: os.environ.get(k) for k in before}
assert before == after, (before, after)
assert int(after["RANK"]) == dist.get_rank() and int(after["WORLD_SIZE"]) == dist.get_world_size()
print(f"env ok rank={after['RANK']} world={after['WORLD_SIZE']} local={after['LOCAL_RANK']}/"
      f"{after['LOCAL_WORLD_SIZE']}", flush=True)

"""Started by ``ember.distributed.run``: rank 1 leaves with sys.exit(3) while rank 0 waits."""
import datetime
import sys

import ember
import ember.distributed as dist

dist.init_process_group(timeout=datetime.timedelta(seconds=60))
if dist.get_rank() == 1:
    sys.exit(3)
dist.all_reduce(ember.ones(2))

"""Run with 2 ranks: ``python faults.py CASE``. Each case must end the whole job quickly with a
clear error on stderr (the test checks the text and the time)."""
import datetime
import sys
import time

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP

case = sys.argv[1]
dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=60 if case == "raise" else 2))
R = dist.get_rank()


def boom():
    raise ValueError(f"boom from rank {R}")


if case == "raise":
    # rank 1 fails while rank 0 already waits in a collective with a long timeout
    if R == 1:
        time.sleep(0.5)
        boom()
    dist.all_reduce(ember.ones(3))
elif case == "skip":
    # rank 1 skips a collective: rank 0's times out and says which one
    t = ember.ones(2, 3)
    dist.all_reduce(t)                  # #0, both
    if R == 0:
        dist.all_reduce(t)              # #1, rank 0 only
    time.sleep(30)
elif case == "skip_backward":
    # rank 1 never runs the backward: rank 0's DDP buckets time out, naming parameters
    model = DDP(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))
    if R == 0:
        model(ember.randn(5, 4)).sum().backward()
    time.sleep(30)
elif case == "shape":
    # the ranks build different models: DDP's construction compares them
    DDP(nn.Sequential(nn.Linear(4, 8 if R == 0 else 9), nn.ReLU(), nn.Linear(8 if R == 0 else 9, 2)))
elif case == "detail":
    # EMBER_DISTRIBUTED_DEBUG=DETAIL: different collectives are caught before they run
    t = ember.ones(4)
    if R == 0:
        dist.all_reduce(t)
    else:
        dist.broadcast(t, src=0)
print(f"rank {R}: no error", flush=True)

"""Training-step throughput (steps/s): forward + loss + backward + optimizer step.

  (a) the lecture MLP 784-100-50-20-1, MSELoss, SGD(lr=0.01, momentum=0.9), batch 1 / 64 / 1024
  (b) MLP 784-1024-1024-10, CrossEntropyLoss, Adam, batch 256
  (c) CNN Conv2d(1,32,3)-ReLU-MaxPool2d(2)-Conv2d(32,64,3)-ReLU-MaxPool2d(2)-Flatten-Linear(1600,10),
      batch 64 of 1x28x28, CrossEntropyLoss, SGD

Each runs at 1 thread and at the default thread count. When `import torch` works, PyTorch runs
the same step in the same process; otherwise the PyTorch CPU 1-thread figures quoted in the
issue are printed as the reference (labelled "quoted").

    python benches/train_step.py [--seconds 1.0] [--filter a64]
"""
import argparse
import os
import sys
import time

import numpy as np

import ember

# PyTorch CPU, 1 thread, as quoted in the "Training stack" issue (steps/s).
QUOTED = {"a1": 2550.0, "a64": 1460.0, "a1024": 200.0, "b": 31.0, "c": 40.0}
# Issue 18's goals (ember vs PyTorch at 1 thread; at 2 threads: ahead of PyTorch's 2-thread figure).
TARGET = {"a1": 2.5, "a64": 2.0, "a1024": 1.3, "b": 1.3, "c": 1.2}


def lecture(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = nn.Linear(28 * 28, 100)
            self.layer2 = nn.Linear(100, 50)
            self.layer3 = nn.Linear(50, 20)
            self.layer4 = nn.Linear(20, 1)

        def forward(self, img):
            x = img.view(-1, 28 * 28)
            x = self.layer1(x).relu()
            x = self.layer2(x).relu()
            x = self.layer3(x).relu()
            return self.layer4(x)

    return Net()


def build(lib, case):
    """(model, loss_fn, optimizer, x, y) for one benchmark case, inputs from a fixed NumPy seed."""
    nn = lib.nn
    rng = np.random.default_rng(0)
    if case.startswith("a"):
        batch = int(case[1:])
        model = lecture(lib)
        x = rng.random((batch, 1, 28, 28), dtype=np.float32)
        y = rng.random((batch, 1), dtype=np.float32)
        loss_fn = nn.MSELoss()
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    elif case == "b":
        model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
        x = rng.random((256, 784), dtype=np.float32)
        y = rng.integers(0, 10, 256)
        loss_fn = nn.CrossEntropyLoss()
        opt = lib.optim.Adam(model.parameters())
    else:
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 10))
        x = rng.random((64, 1, 28, 28), dtype=np.float32)
        y = rng.integers(0, 10, 64)
        loss_fn = nn.CrossEntropyLoss()
        opt = lib.optim.SGD(model.parameters(), lr=0.01)
    return model, loss_fn, opt, lib.from_numpy(x), lib.from_numpy(y)


def steps_per_second(lib, case, seconds):
    model, loss_fn, opt, x, y = build(lib, case)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    n, t0 = 0, time.perf_counter()
    while True:
        step()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= seconds and n >= 3:
            return n / dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0, help="time per row, split across its rounds")
    ap.add_argument("--filter", default="", help="run only cases whose name contains this (a1, a64, a1024, b, c)")
    ap.add_argument("--exact", action="store_true", help="--filter names one case exactly (a1 without a1024)")
    ap.add_argument("--threads", default="", help="comma-separated thread counts (default: 1 and the default count)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per case; each row reports its best round")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
    cases = [c for c in ["a1", "a64", "a1024", "b", "c"] if (args.filter == c if args.exact else args.filter in c)]
    default_threads = ember.get_num_threads()
    print(f"ember training-step benchmark ({os.cpu_count()} CPUs visible, default threads {default_threads})")
    print(f"{'case':7} {'threads':>7} {'ember steps/s':>14} {'PyTorch':>14} {'ratio':>7} {'target':>7}")
    thread_counts = sorted({int(t) for t in args.threads.split(",")} if args.threads else {1, default_threads})
    # Rounds interleave every (thread count, library) measurement of a case, so drift on a shared
    # machine (frequency, neighbours) lands on all of them alike instead of on whichever block of
    # rows ran last; each row keeps its best round, as timeit does.
    rows = {}
    for case in cases:
        for _ in range(max(args.rounds, 1)):
            for threads in thread_counts:
                ember.set_num_threads(threads)
                if torch is not None:
                    torch.set_num_threads(threads)
                ours = steps_per_second(ember, case, args.seconds / args.rounds)
                ref = steps_per_second(torch, case, args.seconds / args.rounds) if torch is not None else None
                best = rows.get((threads, case), (0.0, 0.0))
                rows[(threads, case)] = (max(best[0], ours), max(best[1], ref) if ref is not None else None)
    for threads in thread_counts:
        for case in cases:
            ours, ref = rows[(threads, case)]
            label = "measured"
            if ref is None and threads == 1:
                ref, label = QUOTED[case], "quoted"
            ratio = f"{ours / ref:6.2f}x" if ref else "      -"
            reft = f"{ref:8.1f} {label:>5}" if ref else "             -"
            print(f"{case:7} {threads:7d} {ours:14.1f} {reft:>14} {ratio:>7} {TARGET[case]:6.1f}x")
            sys.stdout.flush()
    ember.set_num_threads(default_threads)


if __name__ == "__main__":
    main()

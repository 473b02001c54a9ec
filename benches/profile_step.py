"""Runs one training-step case of benches/train_step.py in a loop, for a profiler to attach to.

    py-spy record --native -o cnn.svg -- python benches/profile_step.py c --seconds 20
    perf record -g -- python benches/profile_step.py c --seconds 20
"""
import argparse
import time

import ember
from train_step import build


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", help="a1, a64, a1024, b or c (see train_step.py)")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    ember.set_num_threads(args.threads)
    model, loss_fn, opt, x, y = build(ember, args.case)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < args.seconds:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        n += 1
    print(f"{args.case}: {n / (time.perf_counter() - t0):.1f} steps/s")


if __name__ == "__main__":
    main()

"""Before/after training-step comparison of two ember builds, each beside PyTorch in its own
process, alternating builds and cases so both see the same machine load.

    python benches/ab_train.py --build before=/path/to/before/python --build after=python \
        --cases c,a1024,b --reps 5 --seconds 1.5

Each run is `benches/train_step.py --filter CASE --exact --threads 1` with PYTHONPATH set to
that build's Python package directory plus PyTorch's site-packages (--torch); the table gives
per build the medians of ember steps/s, PyTorch steps/s and of the per-run ratio
(PyTorch time / ember time, > 1: ember faster).
"""
import argparse
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(pythonpath, torch_site, case, seconds, threads):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (pythonpath, torch_site) if p))
    cmd = [sys.executable, os.path.join(HERE, "train_step.py"), "--filter", case, "--exact", "--threads", str(threads),
           "--seconds", str(seconds)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == case and f[1] == str(threads):
            return float(f[2]), float(f[3])
    raise RuntimeError(f"no result for {case} in:\n{out}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", action="append", required=True, help="NAME=PYTHONPATH (repeat; first is 'before')")
    ap.add_argument("--cases", default="c,a1024,b,a64,a1")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--torch", default="/work/venv-torch/lib/python3.11/site-packages")
    args = ap.parse_args()
    builds = [b.split("=", 1) for b in args.build]
    cases = args.cases.split(",")
    res = {(c, n): [] for c in cases for n, _ in builds}
    for rep in range(args.reps):
        order = builds if rep % 2 == 0 else builds[::-1]
        for case in cases:
            for name, path in order:
                ours, ref = run(os.path.abspath(path), args.torch, case, args.seconds, args.threads)
                res[case, name].append((ours, ref))
                print(f"rep {rep} {case:6} {name:8} ember {ours:8.1f}  PyTorch {ref:8.1f}  ratio {ours / ref:5.2f}x",
                      flush=True)
    print(f"\nmedians of {args.reps} runs, {args.threads} thread(s); ratio = PyTorch time / ember time")
    print(f"{'case':6} " + " ".join(f"{n + ' steps/s':>16} {n + ' ratio':>13}" for n, _ in builds) + f" {'PyTorch steps/s':>16}")
    for case in cases:
        cols = []
        for name, _ in builds:
            r = res[case, name]
            cols.append(f"{statistics.median(x[0] for x in r):16.1f} {statistics.median(x[0] / x[1] for x in r):12.2f}x")
        torch_med = statistics.median(x[1] for name, _ in builds for x in res[case, name])
        print(f"{case:6} " + " ".join(cols) + f" {torch_med:16.1f}")


if __name__ == "__main__":
    main()

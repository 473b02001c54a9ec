"""Python-side per-call overhead of the training hot paths, ember beside PyTorch in one process.

Each row is the mean of a tight loop (best of 7 loops) on tiny tensors, so it measures the
call path — Python frames, wrappers, argument parsing — not the kernels. Ratio = PyTorch's
time / ember's (> 1: ember faster). PyTorch is used only when the interpreter can import it.

    python benches/overhead.py [--filter WORD] [--rounds 3]

With --rounds N the whole table is measured N times and each cell is the median (the machine
is shared; single loops move by ±30 % under load).
"""
import argparse
import statistics
import time

import ember

try:
    import torch
except ImportError:
    torch = None


def per_call(fn, n=20000):
    fn()
    best = float("inf")
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def rows(lib):
    """(name, fn) for one library; the same calls for ember and PyTorch."""
    nn, F = lib.nn, lib.nn.functional
    x = lib.arange(10, dtype=lib.float32)
    y = lib.arange(10, dtype=lib.float32)
    z = lib.empty(10)
    xi = lib.zeros(1, 20)
    lin = nn.Linear(20, 1)
    w, b = lin.weight, lin.bias
    mse = nn.MSELoss()
    t1 = lib.zeros(1, 1)
    seq = nn.Sequential(nn.Linear(20, 20), nn.ReLU(), nn.Linear(20, 1))
    return [
        ("x.shape", lambda: x.shape),
        ("layer.weight (registered parameter)", lambda: lin.weight),
        ("a + b", lambda: x + y),
        ("add(a, b)", lambda: lib.add(x, y)),
        ("add(a, b, out=c)", lambda: lib.add(x, y, out=z)),
        ("exp(a)", lambda: lib.exp(x)),
        ("sum(a)", lambda: lib.sum(x)),
        ("F.relu(a)", lambda: F.relu(x)),
        ("F.linear 1x20 -> 1", lambda: F.linear(xi, w, b)),
        ("nn.Linear(20, 1)(x)", lambda: lin(xi)),
        ("nn.Sequential(Linear, ReLU, Linear)(x)", lambda: seq(xi)),
        ("nn.MSELoss()(out, target), 1x1", lambda: mse(t1, t1)),
    ]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--filter", default="")
    p.add_argument("--rounds", type=int, default=1)
    args = p.parse_args()
    ember.set_num_threads(1)
    libs = [ember] + ([torch] if torch is not None else [])
    if torch is not None:
        torch.set_num_threads(1)
    table = {lib.__name__: rows(lib) for lib in libs}
    times = {}
    for _ in range(args.rounds):
        for lib in libs:
            for name, fn in table[lib.__name__]:
                if args.filter in name:
                    times.setdefault((lib.__name__, name), []).append(per_call(fn))
    print(f"{'row':40s} {'ember':>9s} {'torch':>9s} {'pt/em':>7s}   (µs per call, 1 thread, median of {args.rounds})")
    for name, _ in table["ember"]:
        if args.filter not in name:
            continue
        te = statistics.median(times[("ember", name)])
        tt = statistics.median(times[("torch", name)]) if torch is not None else None
        ratio = f"{tt / te:6.2f}x" if tt else "      -"
        ttxt = f"{tt * 1e6:9.3f}" if tt else f"{'-':>9s}"
        print(f"{name:40s} {te * 1e6:9.3f} {ttxt} {ratio}")


if __name__ == "__main__":
    main()

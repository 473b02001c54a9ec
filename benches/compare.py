"""ember vs NumPy, side by side in one process on the same data.

Prints, per row: ember time, NumPy time, the ratio ember/NumPy (< 1 means ember is faster)
and a throughput (GB/s of memory traffic or GFLOP/s), at 1 thread and at default threads.
Run with `make bench` (or `python benches/compare.py [--quick] [--filter WORD]`).
"""
import argparse
import time

import numpy as np

import ember

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # NumPy then uses its default BLAS threads throughout
    threadpool_limits = None


def best(fn, min_time=0.3, max_reps=200):
    """Best-of-N wall time of fn() in seconds (after one warm-up call)."""
    fn()
    times = []
    t_end = time.perf_counter() + min_time
    while len(times) < max_reps and (time.perf_counter() < t_end or len(times) < 3):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def per_call(fn, n=20000):
    """Mean seconds per call over a tight loop (for tiny-op overhead)."""
    fn()
    best_t = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best_t = min(best_t, (time.perf_counter() - t0) / n)
    return best_t


def _from_numpy(a):
    """Zero-copy when the exchange family is merged; a copy otherwise (same data either way)."""
    if hasattr(ember, "from_numpy"):
        return ember.from_numpy(a)
    return ember.tensor(a.ravel().tolist(), dtype=getattr(ember, str(a.dtype))).reshape(a.shape)


def rows(quick):
    n16 = 1 << 22 if quick else 1 << 24
    sq = 2048 if quick else 4096
    rng = np.random.default_rng(0)
    a = rng.standard_normal(n16, dtype=np.float32)
    b = rng.standard_normal(n16, dtype=np.float32)
    ea, eb = _from_numpy(a), _from_numpy(b)
    X = rng.standard_normal((sq, sq), dtype=np.float32)
    Y = rng.standard_normal((sq, sq), dtype=np.float32)
    C = rng.standard_normal((sq, 1), dtype=np.float32)
    eX, eY, eC = _from_numpy(X), _from_numpy(Y), _from_numpy(C)
    gb16 = 3 * 4 * n16 / 1e9
    gbsq3 = 3 * 4 * sq * sq / 1e9
    gbsq1 = 4 * sq * sq / 1e9
    S = rng.standard_normal((sq, 1024), dtype=np.float32)
    eS = _from_numpy(S)

    def np_softmax(x):
        m = x.max(axis=1, keepdims=True)
        e = np.exp(x - m)
        return e / e.sum(axis=1, keepdims=True)

    r = [
        (f"add {n16 >> 20}M f32", lambda: ea + eb, lambda: a + b, gb16, "GB/s"),
        (f"mul {n16 >> 20}M f32", lambda: ea * eb, lambda: a * b, gb16, "GB/s"),
        (f"exp {n16 >> 20}M f32", lambda: ea.exp(), lambda: np.exp(a), 2 * 4 * n16 / 1e9, "GB/s"),
        (f"relu {n16 >> 20}M f32", lambda: ea.relu(), lambda: np.maximum(a, 0), 2 * 4 * n16 / 1e9, "GB/s"),
        ("add 100k f32", lambda: ea[:100000] + eb[:100000], lambda: a[:100000] + b[:100000], 1.2e-3, "GB/s"),
        (f"x.t() + y {sq}²", lambda: eX.t() + eY, lambda: X.T + Y, gbsq3, "GB/s"),
        (f"({sq},{sq}) + ({sq},1)", lambda: eX + eC, lambda: X + C, 2 * gbsq1, "GB/s"),
        (f"x.t().contiguous() {sq}²", lambda: eX.t().contiguous(), lambda: np.ascontiguousarray(X.T), 2 * gbsq1, "GB/s"),
        (f"sum() {sq}²", lambda: eX.sum(), lambda: X.sum(), gbsq1, "GB/s"),
        (f"sum(0) {sq}²", lambda: eX.sum(0), lambda: X.sum(0), gbsq1, "GB/s"),
        (f"sum(1) {sq}²", lambda: eX.sum(1), lambda: X.sum(1), gbsq1, "GB/s"),
        (f"max(1) {sq}²", lambda: eX.max(1), lambda: (X.max(1), X.argmax(1)), gbsq1, "GB/s"),
        (f"softmax(1) {sq}x1024", lambda: eS.softmax(1), lambda: np_softmax(S), 2 * 4 * sq * 1024 / 1e9, "GB/s"),
    ]
    for n in ([256, 512] if quick else [256, 512, 1024, 2048]):
        A = rng.standard_normal((n, n), dtype=np.float32)
        B = rng.standard_normal((n, n), dtype=np.float32)
        eA, eB = _from_numpy(A), _from_numpy(B)
        r.append((f"matmul {n}² f32", (lambda eA=eA, eB=eB: eA @ eB), (lambda A=A, B=B: A @ B), 2 * n**3 / 1e9, "GFLOP/s"))
    return r


def tiny_rows():
    x = ember.arange(10, dtype=ember.float32)
    y = ember.arange(10, dtype=ember.float32)
    xg = x.clone().requires_grad_()
    nx, ny = np.arange(10, dtype=np.float32), np.arange(10, dtype=np.float32)
    return [
        ("a + b, 10 elements", lambda: x + y, lambda: nx + ny),
        ("a + b, 10 elements, requires_grad", lambda: xg + y, lambda: nx + ny),
    ]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="smaller sizes")
    p.add_argument("--filter", default="", help="only rows whose name contains this")
    p.add_argument("--threads", default="1,default", help="comma list: 1, default, or a number")
    args = p.parse_args()
    default_threads = ember.get_num_threads()
    for th in args.threads.split(","):
        n = default_threads if th == "default" else int(th)
        ember.set_num_threads(n)
        limit = threadpool_limits(limits=n) if threadpool_limits else None
        print(f"\n== threads: {n} ==")
        print(f"{'row':34s} {'ember':>11s} {'numpy':>11s} {'ratio':>7s} {'ember':>10s} {'numpy':>10s}")
        for name, ef, nf, work, unit in rows(args.quick):
            if args.filter not in name:
                continue
            try:
                te = best(ef)
            except (AttributeError, TypeError, RuntimeError) as e:
                print(f"{name:34s} ember n/a: {type(e).__name__}: {str(e)[:60]}")
                continue
            tn = best(nf)
            print(f"{name:34s} {te * 1e3:9.3f}ms {tn * 1e3:9.3f}ms {te / tn:7.2f} {work / te:7.1f} {unit:7s}{work / tn:7.1f}")
        for name, ef, nf in tiny_rows():
            if args.filter not in name:
                continue
            te, tn = per_call(ef), per_call(nf)
            print(f"{name:34s} {te * 1e6:9.3f}µs {tn * 1e6:9.3f}µs {te / tn:7.2f}   (per call)")
        if limit is not None:
            limit.unregister() if hasattr(limit, "unregister") else None
    ember.set_num_threads(default_threads)


if __name__ == "__main__":
    main()

"""ember vs NumPy (and PyTorch when it imports), side by side in one process on the same data.

Prints, per row: ember's time, NumPy's, PyTorch's, the ratios other/ember (> 1 means ember is
faster, the convention of benches/RESULTS.md) and ember's throughput (GB/s of memory traffic
or GFLOP/s), at 1 thread and at default threads. Tiny-op rows are the mean of a tight loop.
Run with `make bench` (or `python benches/compare.py [--quick] [--filter WORD] [--threads 1,2]`).
PyTorch is only used when the interpreter running this script can import it (a scratch venv;
nothing in ember imports it).
"""
import argparse
import time

import numpy as np

import ember

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # NumPy then uses its default BLAS threads throughout
    threadpool_limits = None
try:
    import torch
except ImportError:
    torch = None


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
    """Mean seconds per call over a tight loop (for tiny-op overhead); best of 5 loops."""
    fn()
    best_t = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best_t = min(best_t, (time.perf_counter() - t0) / n)
    return best_t


def _tt(a):
    return torch.from_numpy(a) if torch is not None else None


def rows(quick):
    """(name, ember fn, numpy fn or None, torch fn or None, work, unit)."""
    n16 = 1 << 22 if quick else 1 << 24
    sq = 2048 if quick else 4096
    rng = np.random.default_rng(0)
    a = rng.standard_normal(n16, dtype=np.float32)
    b = rng.standard_normal(n16, dtype=np.float32)
    ea, eb, ta, tb = ember.from_numpy(a), ember.from_numpy(b), _tt(a), _tt(b)
    X = rng.standard_normal((sq, sq), dtype=np.float32)
    Y = rng.standard_normal((sq, sq), dtype=np.float32)
    C = rng.standard_normal((sq, 1), dtype=np.float32)
    eX, eY, eC = ember.from_numpy(X), ember.from_numpy(Y), ember.from_numpy(C)
    tX, tY, tC = _tt(X), _tt(Y), _tt(C)
    gb16 = 3 * 4 * n16 / 1e9
    gbsq3 = 3 * 4 * sq * sq / 1e9
    gbsq1 = 4 * sq * sq / 1e9
    S = rng.standard_normal((sq, 1024), dtype=np.float32)
    eS, tS = ember.from_numpy(S), _tt(S)

    def np_softmax(x):
        m = x.max(axis=1, keepdims=True)
        e = np.exp(x - m)
        return e / e.sum(axis=1, keepdims=True)

    T = torch is not None
    r = [
        (f"add {n16 >> 20}M f32", lambda: ea + eb, lambda: a + b, T and (lambda: ta + tb), gb16, "GB/s"),
        (f"mul {n16 >> 20}M f32", lambda: ea * eb, lambda: a * b, T and (lambda: ta * tb), gb16, "GB/s"),
        (f"exp {n16 >> 20}M f32", lambda: ea.exp(), lambda: np.exp(a), T and (lambda: ta.exp()), 2 * 4 * n16 / 1e9, "GB/s"),
        (f"relu {n16 >> 20}M f32", lambda: ea.relu(), lambda: np.maximum(a, 0), T and (lambda: ta.relu()), 2 * 4 * n16 / 1e9, "GB/s"),
        ("add 100k f32", lambda: ea[:100000] + eb[:100000], lambda: a[:100000] + b[:100000],
         T and (lambda: ta[:100000] + tb[:100000]), 1.2e-3, "GB/s"),
        (f"x.t() + y {sq}²", lambda: eX.t() + eY, lambda: X.T + Y, T and (lambda: tX.t() + tY), gbsq3, "GB/s"),
        (f"x.t() + y.t() {sq}²", lambda: eX.t() + eY.t(), lambda: X.T + Y.T, T and (lambda: tX.t() + tY.t()), gbsq3, "GB/s"),
        (f"x.t().exp() {sq}²", lambda: eX.t().exp(), lambda: np.exp(X.T), T and (lambda: tX.t().exp()), 2 * gbsq1, "GB/s"),
        (f"x.t() * 2 {sq}²", lambda: eX.t() * 2, lambda: X.T * 2, T and (lambda: tX.t() * 2), 2 * gbsq1, "GB/s"),
        (f"x.t() > y.t() {sq}²", lambda: eX.t() > eY.t(), lambda: X.T > Y.T, T and (lambda: tX.t() > tY.t()),
         9 * sq * sq / 1e9, "GB/s"),
        (f"({sq},{sq}) + ({sq},1)", lambda: eX + eC, lambda: X + C, T and (lambda: tX + tC), 2 * gbsq1, "GB/s"),
        (f"x.t().contiguous() {sq}²", lambda: eX.t().contiguous(), lambda: np.ascontiguousarray(X.T),
         T and (lambda: tX.t().contiguous()), 2 * gbsq1, "GB/s"),
        (f"sum() {sq}²", lambda: eX.sum(), lambda: X.sum(), T and (lambda: tX.sum()), gbsq1, "GB/s"),
        (f"sum(0) {sq}²", lambda: eX.sum(0), lambda: X.sum(0), T and (lambda: tX.sum(0)), gbsq1, "GB/s"),
        (f"sum(1) {sq}²", lambda: eX.sum(1), lambda: X.sum(1), T and (lambda: tX.sum(1)), gbsq1, "GB/s"),
        (f"x.t().sum(0) {sq}²", lambda: eX.t().sum(0), lambda: X.T.sum(0), T and (lambda: tX.t().sum(0)), gbsq1, "GB/s"),
        (f"x.t().sum(1) {sq}²", lambda: eX.t().sum(1), lambda: X.T.sum(1), T and (lambda: tX.t().sum(1)), gbsq1, "GB/s"),
        (f"max(1) {sq}²", lambda: eX.max(1), lambda: (X.max(1), X.argmax(1)), T and (lambda: tX.max(1)), gbsq1, "GB/s"),
        (f"softmax(1) {sq}x1024", lambda: eS.softmax(1), lambda: np_softmax(S), T and (lambda: tS.softmax(1)),
         2 * 4 * sq * 1024 / 1e9, "GB/s"),
    ]
    r += optimizer_rows(rng)
    for n in ([256, 512] if quick else [256, 512, 1024, 2048]):
        A = rng.standard_normal((n, n), dtype=np.float32)
        B = rng.standard_normal((n, n), dtype=np.float32)
        eA, eB, tA, tB = ember.from_numpy(A), ember.from_numpy(B), _tt(A), _tt(B)
        r.append((f"matmul {n}² f32", (lambda eA=eA, eB=eB: eA @ eB), (lambda A=A, B=B: A @ B),
                  T and (lambda tA=tA, tB=tB: tA @ tB), 2 * n**3 / 1e9, "GFLOP/s"))
    return r


def optimizer_rows(rng):
    """In-place updates of one parameter the size of the lecture model's first weight (78 400)
    and of the wide MLP's (1024²): the optimizer-step path of training at small batches.
    Every library gets its own copies (the updates write to them)."""
    n = 784 * 100

    def arr(*shape, scale=1.0):
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(scale)

    def inplace(lib):
        p, g = arr(n), arr(n)
        if lib is np:
            return (lambda: np.add(p, g, out=p)), (lambda: np.multiply(p, 1.0001, out=p))
        p, g = lib.from_numpy(p), lib.from_numpy(g)
        return (lambda: p.add_(g)), (lambda: p.mul_(1.0001))

    def param(lib, shape, scale):
        w = lib.nn.Parameter(lib.from_numpy(arr(*shape)))
        w.grad = lib.from_numpy(arr(*shape, scale=scale))
        return w

    def sgd(lib):
        if lib is np:  # the same update written with in-place NumPy ops
            p, g, b, t = arr(n), arr(n, scale=1e-6), arr(n), np.empty(n, np.float32)

            def step():
                np.multiply(b, 0.9, out=b)
                np.add(b, g, out=b)
                np.multiply(b, 0.01, out=t)
                np.subtract(p, t, out=p)
            return step
        return lib.optim.SGD([param(lib, (100, 784), 1e-6)], lr=0.01, momentum=0.9).step

    def adam(lib):
        return lib.optim.Adam([param(lib, (1024, 1024), 1e-3)], lr=1e-6).step

    T = torch is not None
    em, nps, pt = inplace(ember), inplace(np), T and inplace(torch)
    return [
        ("add_ 78400 f32 (in place)", em[0], nps[0], T and pt[0], 3 * 4 * n / 1e9, "GB/s"),
        ("mul_(scalar) 78400 f32", em[1], nps[1], T and pt[1], 2 * 4 * n / 1e9, "GB/s"),
        ("SGD(momentum) step, 78400", sgd(ember), sgd(np), T and sgd(torch), 5 * 4 * n / 1e9, "GB/s"),
        ("Adam step, 1024² param", adam(ember), None, T and adam(torch), 7 * 4 * (1 << 20) / 1e9, "GB/s"),
    ]


def tiny_rows():
    """(name, ember fn, numpy fn or None, torch fn or None): per-call overhead rows."""
    big = np.zeros(25 * 1024 * 1024, dtype=np.float32)  # 100 MB: zero-copy, so pure overhead
    ebig = ember.from_numpy(big)
    x = ember.arange(10, dtype=ember.float32)
    y = ember.arange(10, dtype=ember.float32)
    z = ember.empty(10, dtype=ember.float32)
    xg = x.clone().requires_grad_()
    nx, ny, nz = np.arange(10, dtype=np.float32), np.arange(10, dtype=np.float32), np.empty(10, dtype=np.float32)
    T = torch is not None
    if T:
        tbig = torch.from_numpy(big)
        tx, ty, tz = torch.arange(10, dtype=torch.float32), torch.arange(10, dtype=torch.float32), torch.empty(10)
        txg = tx.clone().requires_grad_()
    return [
        ("from_numpy, 100 MB", lambda: ember.from_numpy(big), None, T and (lambda: torch.from_numpy(big))),
        (".numpy(), 100 MB", lambda: ebig.numpy(), None, T and (lambda: tbig.numpy())),
        ("x[1:3], 10 elements", lambda: x[1:3], lambda: nx[1:3], T and (lambda: tx[1:3])),
        ("x.view(2, 5), 10 elements", lambda: x.view(2, 5), lambda: nx.reshape(2, 5), T and (lambda: tx.view(2, 5))),
        ("a.shape", lambda: x.shape, lambda: nx.shape, T and (lambda: tx.shape)),
        ("a + b, 10 elements", lambda: x + y, lambda: nx + ny, T and (lambda: tx + ty)),
        ("a + b, 10 elements, requires_grad", lambda: xg + y, lambda: nx + ny, T and (lambda: txg + ty)),
        ("add(a, b, out=c), 10 elements", lambda: ember.add(x, y, out=z), lambda: np.add(nx, ny, out=nz),
         T and (lambda: torch.add(tx, ty, out=tz))),
        ("zeros(2, 5)", lambda: ember.zeros(2, 5), lambda: np.zeros((2, 5), np.float32),
         T and (lambda: torch.zeros(2, 5))),
        ("zeros_like(x), 10 elements", lambda: ember.zeros_like(x), lambda: np.zeros_like(nx),
         T and (lambda: torch.zeros_like(tx))),
        ("tensor([1.0, 2.0])", lambda: ember.tensor([1.0, 2.0]), lambda: np.array([1.0, 2.0], np.float32),
         T and (lambda: torch.tensor([1.0, 2.0]))),
        ("x.view((2, 5)), 10 elements", lambda: x.view((2, 5)), lambda: nx.reshape((2, 5)),
         T and (lambda: tx.view((2, 5)))),
        ("x.size(0)", lambda: x.size(0), lambda: nx.shape[0], T and (lambda: tx.size(0))),
    ]


def _ratio(other, ours):
    return f"{other / ours:7.2f}x" if other else "       -"


def _time(timer, fn):
    if not fn:
        return None
    try:
        return timer(fn)
    except (AttributeError, TypeError, RuntimeError, ValueError):
        return None


def _fmt(t, scale, unit):
    return f"{t * scale:9.3f}{unit}" if t else f"{'n/a':>9s}{' ' * len(unit)}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="smaller sizes")
    p.add_argument("--filter", default="", help="only rows whose name contains this")
    p.add_argument("--threads", default="1,default", help="comma list: 1, default, or a number")
    args = p.parse_args()
    default_threads = ember.get_num_threads()
    head = f"{'row':34s} {'ember':>11s} {'numpy':>11s} {'torch':>11s} {'np/em':>8s} {'pt/em':>8s}"
    for th in args.threads.split(","):
        n = default_threads if th == "default" else int(th)
        ember.set_num_threads(n)
        if torch is not None:
            torch.set_num_threads(n)
        limit = threadpool_limits(limits=n) if threadpool_limits else None
        print(f"\n== threads: {n} ==  (ratio = other's time / ember's; > 1: ember faster)")
        print(head + f" {'ember':>10s}")
        for name, ef, nf, tf, work, unit in rows(args.quick):
            if args.filter not in name:
                continue
            te = _time(best, ef)
            if te is None:
                print(f"{name:34s} ember n/a")
                continue
            tn, tt = _time(best, nf), _time(best, tf)
            print(f"{name:34s} {_fmt(te, 1e3, 'ms')} {_fmt(tn, 1e3, 'ms')} {_fmt(tt, 1e3, 'ms')} "
                  f"{_ratio(tn, te)} {_ratio(tt, te)} {work / te:7.1f} {unit}", flush=True)
        for name, ef, nf, tf in tiny_rows():
            if args.filter not in name:
                continue
            te = _time(per_call, ef)
            if te is None:
                print(f"{name:34s} ember n/a")
                continue
            tn, tt = _time(per_call, nf), _time(per_call, tf)
            print(f"{name:34s} {_fmt(te, 1e6, 'µs')} {_fmt(tn, 1e6, 'µs')} {_fmt(tt, 1e6, 'µs')} "
                  f"{_ratio(tn, te)} {_ratio(tt, te)}   (per call)", flush=True)
        if limit is not None and hasattr(limit, "unregister"):
            limit.unregister()
    ember.set_num_threads(default_threads)


if __name__ == "__main__":
    main()

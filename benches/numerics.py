"""ember.linalg / ember.fft vs NumPy/SciPy in one process, on the same data, at 1 thread.

Rows: linalg.solve and svd of 512² and 1024² (float32, float64), rfft of 2²⁰ float32 (a complex64
result, as scipy.fft.rfft gives), batched cholesky of 1024 × 64², and complex128 solve/det/eig of
256² (faer's complex kernels). Prints ember time, reference time and the ratio ember/reference (< 1: ember faster).
Run: `OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 RAYON_NUM_THREADS=1 python benches/numerics.py [--quick]`.
"""
import argparse
import os
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
import scipy.fft  # noqa: E402
import scipy.linalg  # noqa: E402

import ember  # noqa: E402


def best(fn, min_time=0.5, max_reps=50):
    fn()
    times = []
    t_end = time.perf_counter() + min_time
    while len(times) < max_reps and (time.perf_counter() < t_end or len(times) < 3):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def E(a):
    return ember.from_numpy(a) if hasattr(ember, "from_numpy") else ember.tensor(a.tolist(), dtype=getattr(ember, str(a.dtype)))


def rows(quick):
    rng = np.random.default_rng(0)
    sizes = [512] if quick else [512, 1024]
    for n in sizes:
        for dt in ("float32", "float64"):
            a = (rng.standard_normal((n, n)) + n * np.eye(n)).astype(dt)
            b = rng.standard_normal((n, 1)).astype(dt)
            ea, eb = E(a), E(b)
            yield f"linalg.solve {n}² {dt}", lambda: ember.linalg.solve(ea, eb), lambda: scipy.linalg.solve(a, b)
            yield f"linalg.svd {n}² {dt}", lambda: ember.linalg.svd(ea, full_matrices=False), \
                lambda: scipy.linalg.svd(a, full_matrices=False)
    x = rng.standard_normal(1 << 20).astype("float32")
    ex = E(x)
    yield "fft.rfft 2^20 float32 (complex64 result)", lambda: ember.fft.rfft(ex), lambda: scipy.fft.rfft(x)
    m = rng.standard_normal((1024, 64, 64))
    spd = (m @ m.transpose(0, 2, 1) + 64 * np.eye(64)).astype("float32")
    es = E(spd)
    yield "linalg.cholesky 1024×64² float32", lambda: ember.linalg.cholesky(es), lambda: np.linalg.cholesky(spd)
    c = (rng.standard_normal((256, 256)) + 1j * rng.standard_normal((256, 256))).astype("complex128")
    cb = (rng.standard_normal((256, 1)) + 1j * rng.standard_normal((256, 1))).astype("complex128")
    ec, ecb = E(c), E(cb)
    yield "linalg.solve 256² complex128", lambda: ember.linalg.solve(ec, ecb), lambda: scipy.linalg.solve(c, cb)
    yield "linalg.det 256² complex128", lambda: ember.linalg.det(ec), lambda: np.linalg.det(c)
    yield "linalg.eig 256² complex128", lambda: ember.linalg.eig(ec), lambda: np.linalg.eig(c)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    ember.set_num_threads(1)
    print(f"{'row':36s} {'ember ms':>10s} {'ref ms':>10s} {'ratio':>7s}")
    for name, fe, fr in rows(args.quick):
        te, tr = best(fe), best(fr)
        print(f"{name:36s} {te * 1e3:10.2f} {tr * 1e3:10.2f} {te / tr:7.2f}")


if __name__ == "__main__":
    main()

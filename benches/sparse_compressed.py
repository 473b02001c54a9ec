"""CSR @ dense in ember (the native sparse product on the CSR's COO form) against
``to_dense() @ dense`` in ember and against scipy.sparse's CSR product, one process, same data.

Prints per row the times and the ratios other/ember (> 1 means ember's CSR product is faster,
the convention of benches/RESULTS.md). Run: ``python benches/sparse_compressed.py``.
"""
import time

import numpy as np
import scipy.sparse as sp

import ember


def best(fn, min_time=0.3, max_reps=50):
    fn()
    times, start = [], time.perf_counter()
    while len(times) < max_reps and (time.perf_counter() - start < min_time or len(times) < 3):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    rng = np.random.default_rng(0)
    print(f"{'n x m @ m x p, density':<30}{'ember csr':>12}{'ember dense':>13}{'scipy csr':>12}{'dense/csr':>11}"
          f"{'scipy/csr':>11}")
    for n, p, density in [(1000, 64, 0.001), (1000, 64, 0.01), (2000, 128, 0.01), (2000, 128, 0.1), (500, 32, 0.5)]:
        a = sp.random(n, n, density=density, format="csr", random_state=rng, dtype=np.float32)
        d = rng.standard_normal((n, p)).astype(np.float32)
        dense = a.toarray()
        c = ember.tensor(dense).to_sparse_csr()
        ed, et = ember.from_numpy(d), ember.from_numpy(dense)
        t_csr = best(lambda: c @ ed)
        t_dense = best(lambda: et @ ed)
        t_scipy = best(lambda: a @ d)
        print(f"{f'{n}x{n} @ {n}x{p}, {density}':<30}{t_csr * 1e3:>10.3f}ms{t_dense * 1e3:>11.3f}ms"
              f"{t_scipy * 1e3:>10.3f}ms{t_dense / t_csr:>11.2f}{t_scipy / t_csr:>11.2f}")


if __name__ == "__main__":
    main()

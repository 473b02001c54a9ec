"""What releasing the GIL around a kernel costs, and where ember's threshold sits.

ember's bindings run a kernel without the GIL when its work reaches
``rust/ember-py/src/tensor.rs: RELEASE_GIL_WORK`` (4,096 elements). This prints:

- the cost of one release + re-acquire, uncontended: a libc call through ctypes' CDLL (which
  releases the GIL around every call) against the same call through PyDLL (which keeps it);
- ember's add at 10 elements (below the threshold: no release) and at 4,096 / 65,536 elements
  (released), per call, so the release cost can be read as a fraction of each;
- the same calls while another Python thread spins, where a release can cost a GIL hand-off.

Run: ``PYTHONPATH=python python benches/gil_release.py``. Timings vary with the machine; compare
rows from one run.
"""
import ctypes
import threading
import time

import ember


def per_call(f, seconds=0.3):
    best = float("inf")
    for _ in range(5):
        n, t0 = 0, time.perf_counter()
        while True:
            for _ in range(200):
                f()
            n += 200
            dt = time.perf_counter() - t0
            if dt >= seconds / 5:
                break
        best = min(best, dt / n)
    return best


def rows():
    cdll, pydll = ctypes.CDLL(None).getpid, ctypes.PyDLL(None).getpid
    release = per_call(cdll) - per_call(pydll)
    out = [("GIL release + re-acquire (ctypes CDLL - PyDLL)", release)]
    for n in (10, 4096, 65536):
        a, b = ember.ones(n), ember.ones(n)
        t = per_call(lambda: a + b)
        out.append((f"a + b, {n} elements", t))
    return release, out


def main():
    release, table = rows()
    print(f"{'row':52s} {'per call':>10s} {'release/row':>12s}")
    for name, t in table:
        print(f"{name:52s} {t * 1e9:8.0f} ns {release / t:11.1%}")
    stop = threading.Event()

    def spin():
        x = 0
        while not stop.is_set():
            x += 1

    th = threading.Thread(target=spin, daemon=True)
    th.start()
    try:
        for n in (10, 4096):
            a, b = ember.ones(n), ember.ones(n)
            print(f"{'a + b, ' + str(n) + ' elements, another thread spinning':52s} "
                  f"{per_call(lambda: a + b) * 1e9:8.0f} ns")
    finally:
        stop.set()
        th.join()


if __name__ == "__main__":
    main()

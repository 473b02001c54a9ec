"""The GIL is released around kernels and the backward pass (issue 19): another Python thread
makes progress while a long ember kernel runs.

How it is told apart: a Python thread spins, incrementing a counter and yielding the GIL
(``time.sleep(0)``) after each step. The thread running the kernel reads the counter just
before and just after the call. The switch interval is made huge for the test, so the
interpreter never takes the GIL from a thread by force: the spinner can only run while the
kernel's thread has given the GIL up itself. With the GIL held through the kernel the counter
stands still; with it released, the counter moves. No timing is asserted.
"""
import sys
import threading
import time

import pytest

import ember
import ember.nn.functional as F


def _matmul():
    a, b = ember.randn(640, 640), ember.randn(640, 640)
    return lambda: a @ b


def _conv():
    x, w = ember.randn(1, 32, 96, 96), ember.randn(32, 32, 3, 3)
    return lambda: F.conv2d(x, w, padding=1)


def _sort():
    x = ember.randn(1 << 16)
    return lambda: x.sort()


def _sum():
    x = ember.randn(1 << 23)
    return lambda: x.sum()


def _index():
    x, i = ember.randn(1 << 18), ember.randint(0, 1 << 18, (1 << 18,))
    return lambda: x.index_select(0, i)


def _cast():
    x = ember.randn(1 << 20)
    return lambda: x.to(ember.float64)


def _backward():
    w = ember.randn(640, 640, requires_grad=True)
    x = ember.randn(640, 640)

    def step():
        (x @ w).tanh().sum().backward()
        w.grad = None

    return step


def _adam():
    p = ember.nn.Parameter(ember.randn(1 << 22))
    p.grad = ember.randn(1 << 22)
    opt = ember.optim.Adam([p], foreach=False)
    return opt.step


def _randn():
    return lambda: ember.randn(1 << 19)


def _randperm():
    return lambda: ember.randperm(1 << 17)


def _gather():
    x, i = ember.randn(1 << 18), ember.randint(0, 1 << 18, (1 << 18,))
    return lambda: x.gather(0, i)


def _scatter_add():
    x, i, s = ember.zeros(1 << 10), ember.randint(0, 1 << 10, (1 << 18,)), ember.ones(1 << 18)
    return lambda: x.scatter_add_(0, i, s)


def _nonzero():
    x = ember.randn(1 << 19)
    return lambda: x.nonzero()


def _unique():
    x = ember.randint(0, 1000, (1 << 16,))
    return lambda: ember.unique(x)


def _isnan():
    x = ember.randn(1 << 23)
    return lambda: x.isnan()


def _fill():
    x = ember.empty(1 << 23)
    return lambda: x.fill_(2.0)


def _setitem():
    x, y = ember.empty(2048, 2048), ember.randn(2048, 2048).t()
    def step():
        x[:] = y
    return step


def _reshape_copy():
    x = ember.randn(2048, 2048).t()
    return lambda: x.reshape(-1)


def _tril():
    x = ember.randn(2048, 2048)
    return lambda: x.tril()


def _addcmul():
    x, a, b = ember.randn(1 << 22), ember.randn(1 << 22), ember.randn(1 << 22)
    return lambda: x.addcmul(a, b, value=0.5)


OPS = {"matmul": _matmul, "conv2d": _conv, "sort": _sort, "sum": _sum, "index_select": _index, "cast": _cast,
       "backward": _backward, "adam_step": _adam, "randn": _randn, "randperm": _randperm, "gather": _gather,
       "scatter_add_": _scatter_add, "nonzero": _nonzero, "unique": _unique, "isnan": _isnan, "fill_": _fill,
       "setitem": _setitem, "reshape_copy": _reshape_copy, "tril": _tril, "addcmul": _addcmul}


@pytest.mark.parametrize("name", sorted(OPS))
def test_another_thread_progresses_while_a_kernel_runs(name):
    op = OPS[name]()
    op()  # warm up (allocator, thread pool)
    counter, stop, moved = [0], threading.Event(), []

    def spin():
        while not stop.is_set():
            counter[0] += 1
            time.sleep(0)  # gives the GIL up; the worker gets it back between kernels

    def work():
        # A released GIL lets the spinner run only once the OS schedules it; on a loaded machine
        # that can take longer than one millisecond kernel, so try until it moved (bounded).
        # With the GIL held the counter can never move, however many tries.
        deadline = time.monotonic() + 10.0
        while not any(moved) and (len(moved) < 3 or time.monotonic() < deadline):
            before = counter[0]
            op()
            moved.append(counter[0] != before)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    try:
        worker = threading.Thread(target=work)
        worker.start()
        worker.join(timeout=120)
        assert not worker.is_alive()
    finally:
        stop.set()
        spinner.join(timeout=10)
        sys.setswitchinterval(interval)
    assert len(moved) >= 1
    assert any(moved), f"{name}: the spinning thread never ran while the kernel did (GIL held)"


def test_tiny_ops_keep_working_from_many_threads():
    # Below the release threshold the GIL stays held; results stay right when threads interleave.
    out = []

    def work(k):
        a = ember.full((10,), float(k))
        out.append(float((a + a).sum()))

    ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=30)
    assert sorted(out) == [20.0 * k for k in range(8)]

"""The training rows of benches/train_step.py written by hand in NumPy (the issue's "vs NumPy"
column for training): forward, loss, backward and optimizer step as plain float32 array code.

  (a) lecture MLP 784-100-50-20-1, ReLU, MSELoss, SGD(lr=0.01, momentum=0.9), batch 1 / 64 / 1024
  (b) MLP 784-1024-1024-10, ReLU, CrossEntropyLoss, Adam(lr=1e-3), batch 256

Prints steps/s for NumPy and for ember (same case, same process, alternated in six rounds) and
the median per-round ratio NumPy time / ember time (> 1: ember faster), at 1 thread (BLAS limited through threadpoolctl when installed).

    python benches/numpy_mlp.py [--seconds 1.0] [--threads 1]
"""
import argparse
import time

import numpy as np

import ember
from train_step import build

try:
    from threadpoolctl import threadpool_limits
except ImportError:
    threadpool_limits = None


def init(sizes, rng):
    """PyTorch's Linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias."""
    params = []
    for fi, fo in zip(sizes, sizes[1:]):
        b = 1 / np.sqrt(fi)
        params += [rng.uniform(-b, b, (fo, fi)).astype(np.float32), rng.uniform(-b, b, fo).astype(np.float32)]
    return params


def forward_backward(params, x, dloss):
    """ReLU MLP: forward, then gradients of all params given dloss(out) -> (loss, dout)."""
    acts = [x]
    h = x
    n = len(params) // 2
    for i in range(n):
        h = h @ params[2 * i].T + params[2 * i + 1]
        if i < n - 1:
            h = np.maximum(h, 0)
        acts.append(h)
    loss, g = dloss(h)
    grads = [None] * len(params)
    for i in reversed(range(n)):
        if i < n - 1:
            g = g * (acts[i + 1] > 0)
        grads[2 * i] = g.T @ acts[i]
        grads[2 * i + 1] = g.sum(0)
        if i > 0:
            g = g @ params[2 * i]
    return loss, grads


def lecture_step(batch, rng):
    params = init([784, 100, 50, 20, 1], rng)
    bufs = [np.zeros_like(p) for p in params]
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = rng.random((batch, 1), dtype=np.float32)

    def mse(out):
        d = out - y
        return (d * d).mean(), (2.0 / d.size) * d

    def step():
        _, grads = forward_backward(params, x.reshape(-1, 784), mse)
        for p, g, b in zip(params, grads, bufs):
            b *= 0.9
            b += g
            p -= 0.01 * b

    return step


def wide_step(rng):
    params = init([784, 1024, 1024, 10], rng)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    x = rng.random((256, 784), dtype=np.float32)
    y = rng.integers(0, 10, 256)
    t = [0]

    def ce(out):
        z = out - out.max(1, keepdims=True)
        e = np.exp(z)
        s = e.sum(1, keepdims=True)
        loss = (np.log(s[:, 0]) - z[np.arange(len(y)), y]).mean()
        g = e / s
        g[np.arange(len(y)), y] -= 1
        return loss, g / len(y)

    def step():
        _, grads = forward_backward(params, x, ce)
        t[0] += 1
        b1, b2, lr, eps = 0.9, 0.999, 1e-3, 1e-8
        c1, c2 = 1 - b1 ** t[0], 1 - b2 ** t[0]
        for p, g, mi, vi in zip(params, grads, m, v):
            mi *= b1
            mi += (1 - b1) * g
            vi *= b2
            vi += (1 - b2) * g * g
            p -= lr * (mi / c1) / (np.sqrt(vi / c2) + eps)

    return step


def rate(step, seconds):
    n, t0 = 0, time.perf_counter()
    while True:
        step()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= seconds and n >= 3:
            return n / dt


def ember_step(case):
    model, loss_fn, opt, x, y = build(ember, case)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


def side_by_side(ours, ref, seconds, rounds=6):
    """Median steps/s of each and the median of the per-round ratios, the two alternated in
    short rounds so that a drift of the host's speed reaches both alike."""
    for _ in range(3):
        ours()
        ref()
    a, b, r = [], [], []
    for _ in range(rounds):
        a.append(rate(ours, seconds / rounds))
        b.append(rate(ref, seconds / rounds))
        r.append(a[-1] / b[-1])
    med = lambda v: sorted(v)[len(v) // 2]
    return med(a), med(b), med(r), sum(x > 1 for x in r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    ember.set_num_threads(args.threads)
    limit = threadpool_limits(limits=args.threads) if threadpool_limits else None
    print(f"hand-written NumPy vs ember, {args.threads} thread(s); ratio = NumPy time / ember time")
    print(f"{'case':7} {'NumPy steps/s':>14} {'ember steps/s':>14}   ratio  (median of 6 alternated rounds; rounds ember ahead)")
    for case in ["a1", "a64", "a1024", "b"]:
        rng = np.random.default_rng(0)
        step = lecture_step(int(case[1:]), rng) if case.startswith("a") else wide_step(rng)
        ours, ref, ratio, ahead = side_by_side(ember_step(case), step, args.seconds)
        print(f"{case:7} {ref:14.1f} {ours:14.1f} {ratio:6.2f}x  ({ahead}/6)", flush=True)
    if limit is not None and hasattr(limit, "unregister"):
        limit.unregister()


if __name__ == "__main__":
    main()

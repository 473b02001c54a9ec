"""Optimizer steps whose float32 state has decayed into subnormals (dead units: zero gradient).

SGD momentum buffers and Adam's first moment of a parameter that stops receiving gradient
decay towards zero and settle on subnormal values (0.9 * 4*2^-149 rounds back to 4*2^-149).
On Intel cores each f32 multiply touching a subnormal takes a microcode assist. Prints steps/s
for ember and PyTorch (same process, 1 thread) with half of a 1M-element parameter dead, and
how many state values are subnormal.

    python benches/subnormal_state.py [--seconds 1.0]
"""
import argparse
import time

import numpy as np

import ember

try:
    import torch
except ImportError:
    torch = None


def case(lib, name, seconds):
    n = 1 << 20
    g = np.random.default_rng(0).standard_normal(n).astype(np.float32) * 1e-3
    dead = np.arange(n) < n // 2
    g[dead] = 0
    p = lib.zeros(n, requires_grad=True)
    opt = lib.optim.SGD([p], lr=0.01, momentum=0.9) if name == "sgd" else lib.optim.Adam([p], lr=1e-3)
    # One step with a tiny gradient on the dead half puts its state where long training leaves it.
    for grad in (np.where(dead, np.float32(1e-40), g), g, g):
        p.grad = lib.from_numpy(grad.copy())
        opt.step()
    key = "momentum_buffer" if name == "sgd" else "exp_avg"
    s = np.abs(opt.state[p][key].numpy())
    sub = int(((s > 0) & (s < np.finfo(np.float32).tiny)).sum())
    k, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        opt.step()
        k += 1
    return k / (time.perf_counter() - t0), sub


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0)
    args = ap.parse_args()
    ember.set_num_threads(1)
    if torch is not None:
        torch.set_num_threads(1)
    print(f"{'case':28} {'ember steps/s':>14} {'PyTorch steps/s':>16} {'ratio':>7}  subnormal state values (ember / PyTorch)")
    for name in ("sgd", "adam"):
        e, es = case(ember, name, args.seconds)
        t, ts = case(torch, name, args.seconds) if torch is not None else (float("nan"), 0)
        label = "SGD(momentum=0.9), 1M" if name == "sgd" else "Adam, 1M"
        print(f"{label:28} {e:14.1f} {t:16.1f} {e / t:6.2f}x  {es} / {ts}")


if __name__ == "__main__":
    main()

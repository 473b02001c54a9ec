"""bfloat16 autocast training of the wide MLP against float32 (issue 18's bf16 row).

MLP 784-1024-1024-10, CrossEntropyLoss, Adam(lr=1e-3), batch 256, 200 steps from the same
initial weights on a fixed learnable task (labels = argmax of a fixed random projection plus
noise), a fresh batch every step by default: with 20 batches cycled (`--batches 20`, the first
version of this benchmark) the 1.8M-parameter model memorises them, the loss falls to ~1e-3 and
the relative gap between two such curves measures rounding noise, not accuracy. Prints
steps/s for float32 and for ``autocast("cpu", dtype=bfloat16)`` (the speed-up is bf16 ÷ f32),
and the relative gap between the two loss curves after 200 steps (mean of the last 10 losses).
When `import torch` works, PyTorch runs the same comparison in the same process.

    python benches/autocast_bf16.py [--steps 200] [--threads 1]
"""
import argparse
import time

import numpy as np

import ember


def data(batches):
    """`batches` batches of 256 of a learnable task: labels the argmax of a fixed random
    projection plus noise (a model that does not memorise reaches a loss near 1)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batches, 256, 784)).astype(np.float32)
    logits = x @ rng.standard_normal((784, 10)).astype(np.float32) / 28
    y = (logits + rng.standard_normal(logits.shape).astype(np.float32)).argmax(-1)
    return x, y


def run(lib, bf16, steps, init, batches):
    """Yields (seconds, loss) per training step."""
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    with lib.no_grad():
        for p, w in zip(model.parameters(), init):
            p.copy_(lib.from_numpy(w))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    xn, yn = data(batches)
    pairs = [(lib.from_numpy(xn[i]), lib.from_numpy(yn[i])) for i in range(len(xn))]
    for step in range(steps):
        x, y = pairs[step % len(pairs)]
        t0 = time.perf_counter()
        opt.zero_grad()
        if bf16:
            with lib.autocast("cpu", dtype=lib.bfloat16):
                loss = loss_fn(model(x), y)
        else:
            loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        yield time.perf_counter() - t0, loss.item()


def compare(lib, name, steps, init, batches):
    # float32 and bf16 steps alternate, so a change in machine load hits both alike
    tf, lf, tb, lb = [], [], [], []
    for (a, la), (b, lbb) in zip(run(lib, False, steps, init, batches), run(lib, True, steps, init, batches)):
        tf.append(a), lf.append(la), tb.append(b), lb.append(lbb)
    # steps/s from the median step after the first few (allocation and cache warm-up)
    f32, b16 = 1.0 / float(np.median(tf[5:])), 1.0 / float(np.median(tb[5:]))
    end_f, end_b = np.mean(lf[-10:]), np.mean(lb[-10:])
    gap = abs(end_b - end_f) / end_f
    print(f"{name:8} float32 {f32:7.1f} steps/s   bf16 autocast {b16:7.1f} steps/s   speed-up {b16 / f32:5.2f}x   "
          f"loss after {steps}: {end_f:.4f} vs {end_b:.4f} (gap {100 * gap:.2f}%)")
    return b16, f32


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batches", type=int, default=0, help="distinct batches, cycled (default: one per step)")
    args = ap.parse_args()
    batches = args.batches or args.steps
    rng = np.random.default_rng(1)
    init = []
    for i, o in [(784, 1024), (1024, 1024), (1024, 10)]:
        bound = 1 / np.sqrt(i)
        init += [rng.uniform(-bound, bound, (o, i)).astype(np.float32), rng.uniform(-bound, bound, o).astype(np.float32)]
    ember.set_num_threads(args.threads)
    print(f"wide MLP, batch 256, Adam, {args.threads} thread(s), {batches} distinct batches")
    ours = compare(ember, "ember", args.steps, init, batches)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(args.threads)
    theirs = compare(torch, "PyTorch", args.steps, init, batches)
    print(f"ember vs PyTorch: float32 {ours[1] / theirs[1]:.2f}x, bf16 autocast {ours[0] / theirs[0]:.2f}x")


if __name__ == "__main__":
    main()

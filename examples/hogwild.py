"""Hogwild: N processes train ONE model that lives in shared memory, without locks.

Each worker draws its own mini-batches and applies its SGD steps straight to the shared
parameters (``model.share_memory()``; ``ember.multiprocessing`` sends only a handle to the
shared storage, so every worker writes into the same memory). Updates may interleave — Hogwild
(Recht et al., 2011) shows SGD still converges when updates are sparse or small.

    python examples/hogwild.py --procs 4 --steps 300
"""
import argparse

import ember
import ember.multiprocessing as mp
from ember import nn


def make_data(n=512, d=10, seed=0):
    g = ember.Generator().manual_seed(seed)
    w = ember.randn(d, 1, generator=g)
    x = ember.randn(n, d, generator=g)
    return x, x @ w + 0.5, w


def train(rank, model, steps, lr, counts):
    """One Hogwild worker: plain SGD on the shared parameters."""
    ember.set_num_threads(1)
    x, y, _ = make_data()
    g = ember.Generator().manual_seed(1000 + rank)
    opt = ember.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        idx = ember.randint(0, x.shape[0], (32,), generator=g)
        opt.zero_grad()
        nn.functional.mse_loss(model(x[idx]), y[idx]).backward()
        opt.step()
        counts[rank] += 1


def loss_of(model):
    x, y, _ = make_data()
    with ember.no_grad():
        return nn.functional.mse_loss(model(x), y).item()


def run(procs=4, steps=300, lr=0.05):
    """Trains a shared ``nn.Linear(10, 1)`` with ``procs`` workers; returns (model, counts)."""
    ember.manual_seed(0)
    model = nn.Linear(10, 1)
    model.share_memory()
    counts = ember.zeros(procs, dtype=ember.int64).share_memory_()
    ctx = mp.get_context("spawn")
    workers = [ctx.Process(target=train, args=(r, model, steps, lr, counts)) for r in range(procs)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
        if w.exitcode != 0:
            raise RuntimeError(f"a Hogwild worker failed (exit code {w.exitcode})")
    return model, counts


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--lr", type=float, default=0.05)
    a = ap.parse_args()
    ember.manual_seed(0)
    before = loss_of(nn.Linear(10, 1))
    model, counts = run(a.procs, a.steps, a.lr)
    print(f"{a.procs} workers, steps per worker {counts.tolist()}: loss {before:.4f} -> {loss_of(model):.6f}")

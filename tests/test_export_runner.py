"""ember-run: the Rust binary runs what ember.export.save wrote, bit-identical to Python."""
import os
import shutil
import subprocess

import numpy as np
import pytest

import ember
from ember.export import Dim, export
from export_models import BATCHES, lecture_net, trained_cnn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "ember-run")


@pytest.fixture(scope="module")
def ember_run():
    """The binary; `make test` builds it, and this builds it when missing (cargo is a no-op when fresh)."""
    if not os.path.exists(BIN):
        if shutil.which("cargo") is None:
            pytest.fail("target/release/ember-run is missing and cargo is not on PATH; run `make test`")
        subprocess.run(["cargo", "build", "--release", "--workspace", "--exclude", "ember-bench", "-q"], cwd=ROOT, check=True, timeout=3600)
    return BIN


def _run(binary, model_dir, inputs, tmp_path, threads=None):
    # Same thread count as this process: reductions and GEMM split their work by it.
    threads = threads or ember.get_num_threads()
    paths = []
    for i, x in enumerate(inputs):
        p = tmp_path / f"in{i}.npy"
        np.save(p, x.numpy())
        paths.append(str(p))
    out = tmp_path / "out.npy"
    cmd = [binary, str(model_dir)] + paths + ["-o", str(out)] + (["--threads", str(threads)] if threads else [])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return r, (np.load(out) if r.returncode == 0 else None)


@pytest.mark.parametrize("make,arg", [(lecture_net, "img"), (trained_cnn, "x")])
def test_ember_run_equals_python_exactly(tmp_path, ember_run, make, arg):
    model = make()
    ep = export(model, (ember.randn(4, 1, 28, 28),), dynamic_shapes={arg: {0: Dim("batch")}})
    ember.export.save(ep, tmp_path / "m")
    for b in BATCHES:
        x = ember.randn(b, 1, 28, 28)
        r, got = _run(ember_run, tmp_path / "m", [x], tmp_path)
        assert r.returncode == 0, r.stderr
        want = model(x).detach().numpy()
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got, want), np.max(np.abs(got - want))


def test_ember_run_checks_inputs(tmp_path, ember_run):
    ep = export(lecture_net(), (ember.randn(4, 1, 28, 28),), dynamic_shapes={"img": {0: Dim("batch")}})
    ember.export.save(ep, tmp_path / "m")
    r, _ = _run(ember_run, tmp_path / "m", [ember.randn(4, 784)], tmp_path)
    assert r.returncode != 0 and "input img: expected a 4-D tensor" in r.stderr
    r, _ = _run(ember_run, tmp_path / "m", [ember.randn(4, 1, 28, 29)], tmp_path)
    assert r.returncode != 0 and "dim 3 must be 28" in r.stderr
    r, _ = _run(ember_run, tmp_path / "m", [ember.randn(4, 1, 28, 28, dtype=ember.float64)], tmp_path)
    assert r.returncode != 0 and "expected dtype float32, got float64" in r.stderr
    r = subprocess.run([ember_run, str(tmp_path / "nowhere"), "x.npy"], capture_output=True, text=True)
    assert r.returncode != 0 and "graph.json" in r.stderr


def test_ember_run_links_no_python(ember_run):
    if shutil.which("ldd") is None:
        pytest.skip("ldd is not available on this system")
    libs = subprocess.run(["ldd", ember_run], capture_output=True, text=True).stdout
    assert "libpython" not in libs

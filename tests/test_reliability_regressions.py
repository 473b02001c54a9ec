"""Issue 19 reproducers whose fix is on the Python side: each bad call now raises the
exception PyTorch raises, and nothing crashes, hangs or is left modified.

Grouped by family: sizes checked before Python loops, serialization and copying of every
kind of tensor, safetensors headers, hooks, conv / layer_norm argument checks, DataLoader
failures, and ``inspect.explain``. The reproducers whose fix is in Rust live in
test_reliability_rust_pending.py.
"""
import copy
import io
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from conftest import requires_wgpu

HERE = os.path.dirname(os.path.abspath(__file__))


def run_child(code, timeout=60):
    """Runs ``code`` in a fresh interpreter (so a crash fails the test instead of pytest)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=env)


def values(t):
    return t.detach().cpu().tolist()


# ---- sizes checked before loops and allocations sized by an argument ----

@pytest.mark.parametrize("call", [
    lambda: ember.ones(3).repeat_interleave(2**40),
    lambda: ember.ones(3).repeat_interleave(ember.tensor([1, 2**40, 2])),
    lambda: ember.repeat_interleave(ember.ones(2, 2), 2**62, dim=0),
    lambda: F.adaptive_max_pool2d(ember.ones(1, 1, 2, 2), 2**31),
    lambda: F.adaptive_max_pool2d(ember.ones(1, 1, 2, 2), (2**40, 2)),
    lambda: F.adaptive_max_pool1d(ember.ones(1, 1, 4), 2**40),
    # (sizes whose bytes exceed any machine's memory, so the test means the same everywhere)
    lambda: F.interpolate(ember.ones(1, 1, 2), size=2**40),
    lambda: F.interpolate(ember.ones(1, 1, 2, 2), size=(2**31, 2**31), mode="bilinear"),
    lambda: F.interpolate(ember.ones(1, 1, 2), scale_factor=2.0**40),
    lambda: F.pad(ember.ones(1, 1, 3), (2**40, 0), mode="replicate"),
    lambda: F.pad(ember.ones(1, 1, 3), (0, 2**62), mode="constant"),
], ids=["repeat_interleave-int", "repeat_interleave-tensor", "repeat_interleave-dim", "adaptive_max_pool2d",
        "adaptive_max_pool2d-pair", "adaptive_max_pool1d", "interpolate-nearest", "interpolate-bilinear",
        "interpolate-scale", "pad-replicate", "pad-constant"])
def test_huge_sizes_raise_before_looping(call):
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="allocate"):
        call()
    assert time.monotonic() - t0 < 10  # not a loop that happens to end


def test_repeat_interleave_values_match_numpy():
    x = ember.arange(6.0).reshape(2, 3)[:, ::2]
    np.testing.assert_array_equal(values(x.repeat_interleave(3)), np.repeat(np.arange(6.0).reshape(2, 3)[:, ::2], 3))
    reps = [2, 0, 3, 0]
    got = ember.arange(4).repeat_interleave(ember.tensor(reps))
    np.testing.assert_array_equal(values(got), np.repeat(np.arange(4), reps))
    np.testing.assert_array_equal(values(ember.arange(3).repeat_interleave(ember.tensor([0, 0, 0]))), [])
    np.testing.assert_array_equal(values(ember.repeat_interleave(ember.tensor([1, 0, 2]))), [0, 2, 2])
    got = x.repeat_interleave(ember.tensor([1, 2]), dim=1)
    np.testing.assert_array_equal(values(got), np.repeat(np.arange(6.0).reshape(2, 3)[:, ::2], [1, 2], axis=1))
    with pytest.raises(RuntimeError, match="negative"):
        ember.ones(2).repeat_interleave(-1)


def _np_adaptive_max(a, oh, ow):
    h, w = a.shape[-2:]
    out = np.empty(a.shape[:-2] + (oh, ow), a.dtype)
    for i in range(oh):
        for j in range(ow):
            h0, h1 = i * h // oh, -(-(i + 1) * h // oh)
            w0, w1 = j * w // ow, -(-(j + 1) * w // ow)
            out[..., i, j] = a[..., h0:h1, w0:w1].max(axis=(-2, -1))
    return out


@pytest.mark.parametrize("hw,out", [((5, 7), (3, 2)), ((4, 4), (4, 4)), ((3, 5), (7, 9)), ((6, 6), (1, 1)),
                                    ((5, 3), (None, 2))])
def test_adaptive_max_pool2d_matches_numpy(hw, out):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3) + hw)
    x = ember.tensor(a.tolist(), dtype=ember.float64).permute(0, 1, 3, 2).contiguous().permute(0, 1, 3, 2)
    got = F.adaptive_max_pool2d(x, out)
    oh, ow = (hw[0] if out[0] is None else out[0]), out[1]
    np.testing.assert_array_equal(values(got), _np_adaptive_max(a, oh, ow))


def test_adaptive_max_pool2d_gradient_and_errors():
    x = ember.randn(1, 2, 5, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: F.adaptive_max_pool2d(t, (3, 2)), (x,))
    with pytest.raises(RuntimeError, match="greater than or equal to 0"):
        F.adaptive_max_pool2d(ember.ones(1, 1, 2, 2), -1)
    with pytest.raises(RuntimeError, match="non-zero size"):
        F.adaptive_max_pool2d(ember.ones(1, 1, 0, 2), 2)
    assert tuple(F.adaptive_max_pool2d(ember.ones(1, 1, 2, 2), 0).shape) == (1, 1, 0, 0)


def test_interpolate_values_and_size_errors():
    a = np.arange(5.0)
    x = ember.tensor(a.tolist()).reshape(1, 1, 5)
    assert values(F.interpolate(x, size=3)) == [[[0.0, 1.0, 3.0]]]
    got = F.interpolate(x, size=9, mode="linear", align_corners=True)
    np.testing.assert_allclose(values(got)[0][0], np.linspace(0, 4, 9), rtol=1e-6)
    got = F.interpolate(x, size=8, mode="linear")
    src = np.clip((np.arange(8) + 0.5) * 5 / 8 - 0.5, 0, None)
    np.testing.assert_allclose(values(got)[0][0], np.interp(src, np.arange(5), a), rtol=1e-6)
    for kw in (dict(size=0), dict(size=-1), dict(scale_factor=-1.0)):
        with pytest.raises(RuntimeError, match="greater than 0"):
            F.interpolate(x, **kw)
    with pytest.raises(RuntimeError, match="overflow"):
        F.interpolate(x, scale_factor=float("nan"))


def test_pad_modes_match_numpy():
    a = np.arange(12.0).reshape(1, 3, 4)
    x = ember.tensor(a.tolist())
    for mode, np_mode in (("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")):
        got = F.pad(x, (2, 1, 1, 2), mode=mode) if mode != "circular" else F.pad(x, (2, 1), mode=mode)
        want = np.pad(a, ((0, 0), (1, 2), (2, 1)) if mode != "circular" else ((0, 0), (0, 0), (2, 1)), mode=np_mode)
        np.testing.assert_array_equal(values(got), want)
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        F.pad(x, (5, 0), mode="circular")
    with pytest.raises(RuntimeError, match="negative output size"):
        F.pad(x, (-3, -2))


# ---- serialization and copying of every kind of tensor ----

def _roundtrips(t):
    out = [pickle.loads(pickle.dumps(t)), copy.deepcopy(t)]
    buf = io.BytesIO()
    ember.save({"t": t, "nested": [t]}, buf)
    buf.seek(0)
    loaded = ember.load(buf)
    return out + [loaded["t"], loaded["nested"][0]]


def test_meta_tensors_pickle_deepcopy_and_save_shape_only():
    m = ember.empty(2, 3, dtype=ember.float64, device="meta")
    for r in _roundtrips(m):
        assert r.device.type == "meta" and tuple(r.shape) == (2, 3) and r.dtype == ember.float64
    p = ember.nn.Parameter(ember.empty(4, device="meta"))
    q = copy.deepcopy(p)
    assert isinstance(q, ember.nn.Parameter) and q.device.type == "meta" and q.requires_grad


def test_meta_model_state_dict_saves():
    lin = ember.nn.Linear(3, 2).to("meta")
    buf = io.BytesIO()
    ember.save(lin.state_dict(), buf)
    buf.seek(0)
    sd = ember.load(buf)
    assert {k: (v.device.type, tuple(v.shape)) for k, v in sd.items()} == {"weight": ("meta", (2, 3)), "bias": ("meta", (2,))}


def test_sparse_tensors_roundtrip_through_indices_and_values():
    i = ember.tensor([[0, 1, 1], [2, 0, 2]])
    v = ember.tensor([3.0, 4.0, 5.0])
    s = ember.sparse_coo_tensor(i, v, (2, 3))
    for r in _roundtrips(s):
        assert r.is_sparse and tuple(r.shape) == (2, 3)
        assert values(r.to_dense()) == values(s.to_dense())
    c = s.coalesce()
    for r in _roundtrips(c):
        assert r.is_coalesced() and values(r.to_dense()) == values(s.to_dense())


def test_sparse_with_dense_dims_and_empty_roundtrip():
    s = ember.arange(12.0).reshape(3, 4).to_sparse(1)
    e = ember.zeros(2, 2).to_sparse()
    for t in (s, e):
        for r in _roundtrips(t):
            assert r.is_sparse and r.sparse_dim() == t.sparse_dim()
            assert values(r.to_dense()) == values(t.to_dense())


def test_pickle_keeps_values_geometry_and_requires_grad_of_views():
    x = ember.arange(12.0).reshape(3, 4).t()[1:]
    x.requires_grad_()
    for r in (pickle.loads(pickle.dumps(x)), copy.deepcopy(x)):
        assert values(r) == values(x) and r.requires_grad


@requires_wgpu
def test_wgpu_tensors_save_pickle_and_deepcopy():
    x = ember.arange(6.0).reshape(2, 3).to("wgpu")
    d = copy.deepcopy(x)
    assert d.device.type == "wgpu" and values(d) == values(x)
    p = pickle.loads(pickle.dumps(x))
    assert p.device.type == "wgpu" and values(p) == values(x)
    model = ember.nn.Linear(3, 2).to("wgpu")
    buf = io.BytesIO()
    ember.save(model.state_dict(), buf)
    buf.seek(0)
    sd = ember.load(buf)
    assert sd["weight"].device.type == "wgpu" and values(sd["weight"]) == values(model.weight)
    buf.seek(0)
    assert ember.load(buf, map_location="cpu")["weight"].device.type == "cpu"


def test_save_pickle_deepcopy_do_not_crash_in_a_child():
    # The segfaults of the issue, run where a crash can't take pytest down with it.
    r = run_child("""
        import copy, io, pickle, ember
        for t in (ember.empty(2, device="meta"), ember.ones(3).to_sparse()):
            pickle.dumps(t); copy.deepcopy(t); ember.save(t, io.BytesIO())
        print("ok")
    """)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-2000:]


# ---- safetensors headers ----

def _file(header_bytes):
    return io.BytesIO(struct.pack("<Q", len(header_bytes)) + header_bytes)


def test_deeply_nested_safetensors_header_is_a_clear_error():
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(RuntimeError, match="nested too deeply"):
        ember.load(_file(b'{"a": ' + deep + b"}"))


def test_deeply_nested_ember_metadata_is_a_clear_error():
    deep = "[" * 100_000 + "]" * 100_000
    meta = {"__metadata__": {"format": "pt", "ember": '{"version": 1, "root": ' + deep + "}"}}
    with pytest.raises(RuntimeError, match="nested too deeply"):
        ember.load(_file(json.dumps(meta).encode()))


# ---- hooks validated like PyTorch's ----

def test_hook_returning_wrong_size_dtype_or_type_raises():
    def wrong_size(g):
        return ember.ones(2)

    x = ember.ones(3, requires_grad=True)
    x.register_hook(wrong_size)
    with pytest.raises(RuntimeError, match="hook 'wrong_size' has changed the size of value"):
        (x * 2).sum().backward()
    assert x.grad is None
    y = ember.ones(3, requires_grad=True)
    y.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError, match="has changed the type of value"):
        (y * 2).sum().backward()
    z = ember.ones(3, requires_grad=True)
    z.register_hook(lambda g: 5)
    with pytest.raises(TypeError, match="hook returned 'int'"):
        (z * 2).sum().backward()
    w = ember.ones(3, requires_grad=True)
    w.register_hook(lambda g: g * 3)
    (w * 2).sum().backward()
    assert values(w.grad) == [6.0, 6.0, 6.0]


# ---- argument checks that used to accept invalid input ----

@pytest.mark.parametrize("kw,match", [
    (dict(bias=ember.ones(2)), "expected bias to be 1-dimensional with 4 elements"),
    (dict(bias=ember.ones(4, 1)), "expected bias to be 1-dimensional with 4 elements"),
    (dict(weight=ember.ones(4, 2, 0, 1)), "kernel size should be greater than zero"),
    (dict(dilation=0), "dilation should be greater than zero"),
    (dict(stride=0), "non-positive stride"),
    (dict(padding=-1), "negative padding"),
])
def test_conv2d_rejects_invalid_arguments(kw, match):
    args = dict(input=ember.ones(1, 2, 3, 3), weight=ember.ones(4, 2, 1, 1))
    args.update(kw)
    with pytest.raises(RuntimeError, match=match):
        F.conv2d(**args)


def test_layer_norm_rejects_mismatched_weight_and_bias():
    with pytest.raises(RuntimeError, match="Expected weight to be of same shape as normalized_shape"):
        F.layer_norm(ember.ones(2, 3), (3,), weight=ember.ones(2))
    with pytest.raises(RuntimeError, match="Expected bias to be of same shape"):
        F.layer_norm(ember.ones(2, 3), (3,), bias=ember.ones(1))


def test_issue_reproducers_that_already_raise_like_pytorch():
    # Listed in the issue as panics; they raise PyTorch's exception by now. Kept so they stay that way.
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 5 classes"):
        F.cross_entropy(ember.randn(3, 5), ember.tensor([0, 1, 4]), weight=ember.ones(2))
    with pytest.raises(RuntimeError, match="tensordot expects dims < ndim_a or ndim_b"):
        ember.tensordot(ember.tensor(2.0), ember.tensor(3.0), 1)
    assert float(ember.tensordot(ember.tensor(2.0), ember.tensor(3.0), 0)) == 6.0
    with pytest.raises(RuntimeError):
        ember.empty(2**40)


# ---- DataLoader failures: bounded, and reported the same way every time ----

class _Stuck(ember.utils.data.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a worker that won't die politely
        time.sleep(3600)


class _Dies(ember.utils.data.Dataset):
    def __len__(self):
        return 64

    def __getitem__(self, i):
        if i >= 2:
            os._exit(3)
        return ember.tensor([float(i)])


def test_dataloader_timeout_with_stuck_worker_is_bounded():
    loader = ember.utils.data.DataLoader(_Stuck(), batch_size=1, num_workers=1, timeout=1)
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 1 seconds"):
        next(iter(loader))
    assert time.monotonic() - t0 < 15


def test_dataloader_worker_death_is_reported_as_such():
    for _ in range(3):
        loader = ember.utils.data.DataLoader(_Dies(), batch_size=1, num_workers=2)
        with pytest.raises(RuntimeError, match=r"DataLoader worker \(pids?(\(s\))? [\d, ]+\) exited unexpectedly"):
            for _ in loader:
                pass


def test_dataloader_out_of_file_descriptors_is_a_clear_runtime_error():
    r = run_child("""
        import resource, ember
        from ember.utils.data import DataLoader, TensorDataset
        ds = TensorDataset(*[ember.arange(64.0) + k for k in range(40)])
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        loader = DataLoader(ds, batch_size=1, num_workers=1, prefetch_factor=2)
        it = iter(loader)
        next(it)
        import os
        used = len(os.listdir("/proc/self/fd"))
        resource.setrlimit(resource.RLIMIT_NOFILE, (used + 20, hard))
        keep = []  # each batch holds 40 shared-memory tensors (descriptors) alive
        try:
            for b in it:
                keep.append(b)
            print("finished")
        except RuntimeError as e:
            print("RuntimeError:", e)
        except BaseException as e:
            print("OTHER", type(e).__name__, e)
    """, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "OTHER" not in r.stdout, r.stdout
    assert "Too many open files" in r.stdout, r.stdout


# ---- inspect.explain states is_contiguous() plainly ----

def test_explain_states_is_contiguous():
    x = ember.arange(6.0).reshape(2, 3)
    assert "is_contiguous() = True" in str(ember.inspect.explain(x))
    e = ember.inspect.explain(x.t())
    assert e.is_contiguous is False and "is_contiguous() = False" in str(e)


# ---- found by the fuzzer ----

def test_batch_norm_error_leaves_running_statistics_unchanged():
    x = ember.randn(4, 3, 2)
    rm, rv = ember.zeros(3), ember.ones(3)
    with pytest.raises(RuntimeError, match="weight should contain 3 elements"):
        F.batch_norm(x, rm, rv, weight=ember.ones(2), training=True)
    assert values(rm) == [0.0] * 3 and values(rv) == [1.0] * 3
    bad = ember.zeros(3, dtype=ember.int64)
    with pytest.raises(RuntimeError):
        F.batch_norm(x, rm, bad, training=True)
    assert values(rm) == [0.0] * 3 and values(bad) == [0] * 3
    F.batch_norm(x, rm, rv, training=True, momentum=0.5)
    a = np.array(values(x))
    np.testing.assert_allclose(values(rm), 0.5 * a.mean(axis=(0, 2)), rtol=1e-5)
    np.testing.assert_allclose(values(rv), 0.5 + 0.5 * a.var(axis=(0, 2), ddof=1), rtol=1e-5)


def test_in_place_function_with_bad_out_leaves_input_unchanged():
    x = ember.tensor([0.5, 1.0])
    with pytest.raises(TypeError):
        ember.tanh_(x, out=[2, 2])
    with pytest.raises(TypeError):
        ember.tanh(x, out=[2, 2])
    assert values(x) == [0.5, 1.0]


def test_pow_of_two_python_numbers_is_a_type_error_not_a_big_int_pow():
    with pytest.raises(TypeError):
        ember.pow(2**31 - 1, 2**31 - 1)
    assert values(ember.pow(2, ember.tensor([3.0]))) == [8.0]


def test_rnn_sizes_are_checked_before_building_layers_or_names():
    # Each of these looped (or repeated a list) for minutes before the fuzzer's 10 s timeout.
    r = run_child("""
        import resource; resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
        import ember
        def outcome(f):
            try:
                f()
                return "returned"
            except Exception as e:
                return type(e).__name__
        w = [ember.ones(2, 3), ember.ones(2, 2)]
        print(outcome(lambda: ember.nn.GRU(1, 1, 2**31 - 1)))
        print(outcome(lambda: ember.nn.LSTM(True, 4, 2**32)))
        print(outcome(lambda: ember.rnn_tanh(ember.ones(1, 1, 3), ember.zeros(1, 1, 2), w, False, 2**63 - 1, 0.0,
                                             False, False, False)))
        print(outcome(lambda: ember.nn.RNNCellBase(5, 2**40, True, [2**40, 2])))
        print(outcome(lambda: ember.nn.functional.adaptive_max_pool3d_with_indices(
            ember.empty((0, 1, 1, 0), device="meta"), 2**31)))
        print(outcome(lambda: ember.nn.functional.cosine_similarity([[1, 2], [3]], 2**40, dim=None)))
    """, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["RuntimeError", "RuntimeError", "RuntimeError", "TypeError", "RuntimeError",
                                "TypeError"], r.stdout
    # and the ordinary sizes still work
    out, h = ember.rnn_tanh(ember.ones(1, 1, 3), ember.zeros(1, 1, 2), [ember.ones(2, 3), ember.ones(2, 2)], False, 1,
                            0.0, False, False, False)
    assert out.shape == (1, 1, 2) and h.shape == (1, 1, 2)
    assert ember.nn.GRU(3, 4, 2)(ember.randn(5, 2, 3))[0].shape == (5, 2, 4)
    assert ember.nn.LSTM(True, 4, 2)(ember.randn(5, 2, 1))[0].shape == (5, 2, 4)


def test_rot90_with_a_tensor_k_is_a_type_error_and_leaves_k_unchanged():
    k = ember.arange(4, dtype=ember.int16)[::2]
    with pytest.raises(TypeError, match="argument 'k' must be int, not Tensor"):
        ember.ones(2, 2).rot90(k=k)
    assert values(k) == [0, 2]  # `k %= 4` used to rewrite it in place
    x = ember.arange(4.0).reshape(2, 2)
    assert values(x.rot90(-1)) == values(x.rot90(3)) == np.rot90(np.arange(4.0).reshape(2, 2), 3).tolist()


class _Big(ember.utils.data.Dataset):
    def __len__(self):
        return 100_000  # never finishes before the kill

    def __getitem__(self, i):
        return ember.ones(250_000)  # 1 MB a sample: the pipe is busy when the worker dies


def test_dataloader_worker_killed_mid_transfer_is_reported_as_such():
    # A worker killed from outside at a random moment, often in the middle of sending a batch
    # or while the main process writes it a task: always the one "exited unexpectedly" error.
    import random
    import threading
    rng = random.Random(0)
    for _ in range(5):
        it = iter(ember.utils.data.DataLoader(_Big(), batch_size=4, num_workers=2))
        delay, victim = rng.uniform(0, 0.05), it._workers[rng.randrange(2)].pid
        killer = threading.Timer(delay, lambda: os.kill(victim, signal.SIGKILL))
        killer.start()
        with pytest.raises(RuntimeError, match=r"DataLoader worker \(pids?(\(s\))? [\d, ]+\) exited unexpectedly"):
            for _ in it:
                pass
        killer.join()


def test_linear_cross_entropy_loss_sizes_must_be_ints():
    with pytest.raises(TypeError, match="num_classes"):
        ember.nn.LinearCrossEntropyLoss(-1, (5, 0), out_features=[2**40, 2])  # was a 2**41-fold tuple
    with pytest.raises(TypeError, match="out_features"):
        ember.nn.LinearCrossEntropyLoss(3, 4, out_features=[2.0])
    assert ember.nn.LinearCrossEntropyLoss(3, 4, out_features=[2]).linear.weight.shape == (8, 3)


def test_adaptive_pooling_output_size_is_checked_before_the_cell_loop():
    x = ember.ones(3, 3, 2)
    with pytest.raises(RuntimeError, match="output_size must have 3 elements"):
        ember.nn.AdaptiveMaxPool3d((2, 2**62, -2, 4))(ember.ones(0, 3, 3, 2))  # was a MemoryError
    with pytest.raises(RuntimeError, match="greater than or equal to 0"):
        F.adaptive_avg_pool3d(x.unsqueeze(0), (2, -1, 2))
    assert F.adaptive_max_pool3d(x.unsqueeze(0), (2, None, 2)).shape == (1, 2, 3, 2)
    assert F.adaptive_max_pool3d(x.unsqueeze(0), (np.int64(1),) * 3).shape == (1, 1, 1, 1)


# ---- found by the long fuzz run (seeds 101-105): out= checked before it is resized ----

@pytest.mark.parametrize("make", [
    lambda: (ember.empty((3, 0, 4, 5), device="meta"), ember.zeros((2, 4), dtype=ember.bfloat16)),
    lambda: (ember.ones(5, 1, 2, 1, dtype=ember.float64), ember.empty((3, 5), dtype=ember.float16, device="meta")),
    lambda: (ember.empty((1,), dtype=ember.int32, device="meta"), ember.tensor(1.5, dtype=ember.float16)),
    lambda: (ember.arange(9.0).reshape(3, 3).to_sparse(), ember.ones(2, 3)[:, ::2]),
])
def test_out_on_another_device_or_layout_is_refused_before_any_resize(make):
    x, out = make()
    before = (tuple(out.shape), out.stride(), out.device.type)
    data = None if out.device.type == "meta" else values(out)
    with pytest.raises(RuntimeError, match="cross-device copies are not allowed|is_sparse"):
        ember.tan(x, out=out)
    assert (tuple(out.shape), out.stride(), out.device.type) == before
    if data is not None:
        assert values(out) == data


def test_tuple_out_is_checked_whole_before_any_part_is_written():
    x = ember.tensor([3.0, 1.0, 2.0])
    vals, idx = ember.zeros(1), ember.empty(1, dtype=ember.int64, device="meta")
    with pytest.raises(RuntimeError, match="cross-device"):
        ember.sort(x, out=(vals, idx))
    assert tuple(vals.shape) == (1,) and values(vals) == [0.0]
    vals, idx = ember.zeros(0), ember.zeros(0, dtype=ember.int64)
    ember.sort(x, out=(vals, idx))
    assert values(vals) == [1.0, 2.0, 3.0] and values(idx) == [1, 2, 0]


def test_full_of_a_negative_int_into_uint8_wraps_as_pytorch():
    # c10's overflow check: an int whose magnitude fits the unsigned type is taken (wrapping)
    assert ember.full((2,), -1, dtype=ember.uint8).tolist() == [255, 255]
    assert ember.full((1,), -255, dtype=ember.uint8).tolist() == [1]
    assert ember.zeros(2, dtype=ember.uint8).fill_(-1).tolist() == [255, 255]
    assert ember.full((1,), -65535, dtype=ember.uint16).tolist() == [1]
    for bad, dt in [(-256, ember.uint8), (256, ember.uint8), (-65536, ember.uint16), (-1.0, ember.uint8)]:
        with pytest.raises(RuntimeError, match="without overflow"):
            ember.full((1,), bad, dtype=dt)


def test_safetensors_entry_whose_strides_overflow_is_a_clear_error():
    # (0, 2**62, 2**62) holds no bytes, but summing over dim 0 would give a 2**124-element tensor
    with pytest.raises(RuntimeError, match="not a valid safetensors file.*strides overflow"):
        ember.load(_file(json.dumps({"a": {"dtype": "F32", "shape": [0, 2**62, 2**62],
                                           "data_offsets": [0, 0]}}).encode()))
    ok = ember.load(_file(json.dumps({"a": {"dtype": "F32", "shape": [0, 3], "data_offsets": [0, 0]}}).encode()))
    assert tuple(ok["a"].shape) == (0, 3)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.adaptive_avg_pool1d(ember.ones(1, 2, 4), (-8,)), RuntimeError, "greater than or equal to 0"),
    (lambda: F.adaptive_avg_pool2d(ember.ones(1, 2, 4, 4), (-2, -2)), RuntimeError, "greater than or equal to 0"),
    (lambda: F.avg_pool3d(ember.ones(1, 1, 4, 4, 4), 2, 0), RuntimeError, "stride should not be zero"),
    (lambda: F.max_pool3d(ember.ones(1, 1, 4, 4, 4), 2, 0), RuntimeError, "stride should not be zero"),
    (lambda: F.soft_margin_loss(2**31 - 1, 2**31 - 1), TypeError, r"argument 'input' \(position 1\) must be Tensor"),
    (lambda: F.hinge_embedding_loss(-0.0, ember.tensor(2)), TypeError, "must be Tensor, not float"),
    (lambda: ember.tensor(-2.0).cov(fweights=-10), TypeError, "argument 'fweights' must be Tensor"),
    (lambda: ember.ones(3, 4).diff(n=True), TypeError, "argument 'n' must be int, not bool"),
    (lambda: ember.ones(3, 4).diff(prepend=1), TypeError, "argument 'prepend' must be Tensor"),
    (lambda: ember.grid_sampler(2**31 - 1, 2**31 - 1, 0, 0, False), TypeError, "argument 'input' .* must be Tensor"),
    (lambda: ember.grid_sampler_2d(ember.ones(1, 1, 2, 2), 2, 4, 0, False), TypeError, "argument 'grid'"),
    (lambda: ember.grid_sampler(ember.ones(1, 1, 2, 2), ember.zeros(1, 1, 1, 2), 7, 0, False), RuntimeError,
     "interpolation_mode"),
    (lambda: ember.poisson_nll_loss(2**31 - 1, 2**31 - 1, 2**31 - 1, 2**31 - 1, 2**31 - 1, 2**31 - 1), TypeError,
     "argument 'input'"),
    (lambda: ember.margin_ranking_loss(2**31 - 1, 2**31 - 1, 2**31 - 1), TypeError, "argument 'input1'"),
    (lambda: ember.column_stack("same"), TypeError, "must be tuple of Tensors, not str"),
    (lambda: ember.hstack([[1, 2], [3]]), TypeError, "expected Tensor as element 0 in argument 0, but got list"),
])
def test_fuzzer_suspects_raise_what_pytorch_raises(call, exc, match):
    # Each raised ZeroDivisionError, OverflowError or AttributeError (ember's own code tripping).
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("device", ["cpu", pytest.param("wgpu", marks=requires_wgpu)])
def test_one_hot_checks_and_works_on_every_device(device):
    # On wgpu the bounds check used to fail (no int64 min there) and the comparison mixed devices.
    x = ember.tensor([0, 2, 1]).to(device)
    out = F.one_hot(x)
    assert out.device.type == device and values(out) == np.eye(3, dtype=np.int64)[[0, 2, 1]].tolist()
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(ember.tensor([5]).to(device), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(ember.tensor([-1]).to(device), 3)
    with pytest.raises(RuntimeError, match="empty tensor"):
        F.one_hot(ember.tensor([], dtype=ember.int64).to(device))
    assert tuple(F.one_hot(ember.empty(3, dtype=ember.int64, device="meta"), 4).shape) == (3, 4)


def test_cat_of_an_empty_list_raises_value_error_as_pytorch():
    for seq in ([], ()):
        with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
            ember.cat(seq)
    with pytest.raises(RuntimeError):  # stack's empty-list error stays a RuntimeError in PyTorch
        ember.stack([])

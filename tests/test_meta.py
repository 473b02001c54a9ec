"""The meta device: shape/dtype/stride-only tensors through the same ops as the CPU.

Every op here runs twice, on real CPU tensors and on meta tensors with the same geometry
(strides and offsets included), and the meta result must match the CPU result's shape, dtype,
strides and device-independent errors, without touching data.
"""
import time

import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
import ember.nn as nn
import ember.nn.functional as F
from strategies import strided_pair, FLOAT, ALL


def meta_like(t):
    """A meta tensor with exactly ``t``'s geometry (shape, strides, offset, dtype)."""
    span = t.storage_offset() + 1 + sum((s - 1) * abs(st) for s, st in zip(t.shape, t.stride()) if s > 0)
    if t.numel() == 0:
        span = t.storage_offset()
    base = ember.empty(max(span, 1), dtype=t.dtype, device="meta")
    return base.as_strided(tuple(t.shape), t.stride(), t.storage_offset())


def same_geometry(m, c):
    assert m.device.type == "meta", m.device
    assert tuple(m.shape) == tuple(c.shape)
    assert m.dtype == c.dtype
    assert m.stride() == c.stride()


def both(fn, *cpu):
    """Runs ``fn`` on the CPU tensors and on their meta twins; checks results or errors match."""
    metas = [meta_like(t) if isinstance(t, ember.Tensor) else t for t in cpu]
    try:
        c = fn(*cpu)
    except Exception as e:  # noqa: BLE001  (the meta run must raise the same type)
        with pytest.raises(type(e)):
            fn(*metas)
        return None
    m = fn(*metas)
    cs, ms = (c, m) if isinstance(c, (tuple, list)) else ((c,), (m,))
    for a, b in zip(ms, cs):
        same_geometry(a, b)
    return m


# ---------------------------------------------------------------- elementwise


@given(strided_pair(dtypes=ALL), strided_pair(dtypes=ALL), st.sampled_from(["add", "mul", "sub", "div", "maximum", "eq", "lt", "atan2"]))
def test_binary_broadcast_strided(p, q, op):
    (a, _), (b, _) = p, q
    both(lambda x, y: getattr(ember, op)(x, y), a, b)


@given(strided_pair(dtypes=ALL), st.sampled_from(["neg", "exp", "abs", "sigmoid", "relu", "floor", "isnan", "logical_not"]))
def test_unary_strided(p, op):
    a, _ = p
    both(lambda x: getattr(ember, op)(x), a)


@given(strided_pair(dtypes=FLOAT))
def test_where_clamp_scalar_mix(p):
    a, _ = p
    both(lambda x: ember.where(x > 0, x, 2.0), a)
    both(lambda x: x.clamp(-1, 1) * 3 + 1, a)
    both(lambda x: x + ember.tensor(2.0), a)  # a 0-dim CPU tensor acts as a scalar


# ---------------------------------------------------------------- reductions


@given(strided_pair(dtypes=ALL, min_dims=1), st.booleans(), st.data())
def test_reductions(p, keepdim, data):
    a, _ = p
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    both(lambda x: x.sum(dim, keepdim=keepdim), a)
    both(lambda x: x.amax(dim, keepdim=keepdim), a)
    both(lambda x: x.max(dim, keepdim=keepdim), a)
    both(lambda x: x.argmin(dim, keepdim=keepdim), a)
    both(lambda x: x.any(dim, keepdim=keepdim), a)
    if a.dtype.is_floating_point:
        both(lambda x: x.mean(dim, keepdim=keepdim), a)
        both(lambda x: x.var(dim, keepdim=keepdim), a)
        both(lambda x: x.softmax(dim), a)
        both(lambda x: x.cumsum(dim), a)
        both(lambda x: x.logsumexp(dim, keepdim=keepdim), a)


def test_reduction_errors_match():
    x = ember.empty(0, 3)
    both(lambda t: t.amax(0), x)  # empty reduction: same error on meta
    with pytest.raises(IndexError):
        ember.empty(2, 3, device="meta").sum(5)


# ---------------------------------------------------------------- matmul, views, shape ops


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.booleans())
def test_matmul_family(m, k, n, b, transposed):
    x = ember.randn(b, k, m).transpose(1, 2) if transposed else ember.randn(b, m, k)
    y = ember.randn(b, k, n)
    both(ember.bmm, x, y)
    both(ember.matmul, x, y[0])
    both(lambda p, q: p[0] @ q[0], x, y)
    both(ember.mm, x[0], ember.randn(k + 1, n))  # shape mismatch: same error type
    w, bias = ember.randn(n, k), ember.randn(n)
    both(F.linear, x, w, bias)


@given(strided_pair(dtypes=FLOAT, min_dims=2))
def test_views_keep_geometry(p):
    a, _ = p
    both(lambda x: x.t() if x.ndim == 2 else x.transpose(0, 1), a)
    both(lambda x: x[..., :1], a)
    both(lambda x: x.unsqueeze(0).expand(2, *x.shape), a)
    both(lambda x: x.reshape(-1), a)
    both(lambda x: x.contiguous(), a)
    both(lambda x: x.flip(0), a)
    both(lambda x: x.tril(), a)


@given(strided_pair(dtypes=FLOAT, min_dims=1, max_dims=3), st.data())
def test_cat_stack(p, data):
    a, _ = p
    dim = data.draw(st.integers(0, a.ndim - 1))
    both(lambda x, y: ember.cat([x, y], dim), a, a.clone())
    both(lambda x, y: ember.stack([x, y], dim), a, a.clone())
    both(lambda x, y: ember.cat([x, y], dim), a, ember.randn(*[s + 1 for s in a.shape]))


def test_indexing_meta():
    x = ember.randn(4, 5)
    both(lambda t: t[1], x)
    both(lambda t: t[1:3, ::2], x)
    both(lambda t: t[None, :, 2], x)
    m = ember.empty(4, 5, device="meta")
    with pytest.raises(NotImplementedError):
        m[m > 0]  # boolean-mask indexing: the shape depends on values
    with pytest.raises(NotImplementedError):
        m.nonzero()


# ---------------------------------------------------------------- devices, data access, errors


def test_data_access_raises():
    m = ember.ones(2, 3, device="meta")
    for f in (lambda: m[0, 0].item(), m.tolist, m.numpy, m.cpu, lambda: np.asarray(m), lambda: m.__dlpack__()):
        with pytest.raises(NotImplementedError, match="Cannot copy out of meta tensor; no data!"):
            f()
    with pytest.raises(BufferError, match="no data"):
        memoryview(m)


def test_device_surface():
    m = ember.zeros(2, 3, dtype=ember.int64, device="meta")
    assert m.is_meta and not m.is_cpu
    assert repr(m.device) == "device(type='meta')"
    assert repr(m) == "tensor(..., device='meta', size=(2, 3), dtype=ember.int64)"
    assert ember.zeros_like(m).is_meta and ember.rand_like(m.float()).is_meta
    assert ember.randn(3, 4).to("meta").is_meta
    x = ember.randn(3)
    assert x.to(m).device == m.device and x.to(m).dtype == ember.int64
    assert x.to(ember.device("meta")).is_meta
    assert not ember.cuda.is_available() and ember.cuda.device_count() == 0
    with pytest.raises(AssertionError, match="not compiled with CUDA"):
        ember.zeros(2, device="cuda")
    with pytest.raises(RuntimeError):
        ember.zeros(2, device="wgpu:7")  # one wgpu adapter (wgpu:0) at most


def test_mixed_devices_raise():
    m, c = ember.empty(3, device="meta"), ember.ones(3)
    for f in (lambda: m + c, lambda: ember.cat([m, c]), lambda: m @ c, lambda: m.copy_(c).add_(c)):
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            f()
    assert (m * ember.tensor(3.0)).is_meta  # 0-dim CPU tensors are accepted as scalars


def test_inplace_on_meta_validates_and_bumps_version():
    m = ember.empty(2, 3, device="meta")
    v = m._version
    m.add_(1).mul_(ember.empty(3, device="meta"))
    assert m._version == v + 2
    with pytest.raises(RuntimeError):
        m.add_(ember.empty(4, 2, 3, device="meta"))  # out shape mismatch, as on CPU
    m.fill_(2.0).zero_()
    assert m.is_meta


def test_default_device_and_context():
    with ember.device("meta"):
        assert ember.zeros(2).is_meta and ember.arange(5).is_meta and ember.get_default_device().type == "meta"
        lin = nn.Linear(3, 4)
    assert lin.weight.is_meta and not ember.zeros(2).is_meta
    ember.set_default_device("meta")
    try:
        assert ember.empty(3).is_meta
    finally:
        ember.set_default_device(None)
    assert ember.get_default_device().type == "cpu"


# ---------------------------------------------------------------- nn on meta


def _layers(device):
    ember.manual_seed(0)
    return [
        (nn.Linear(6, 4, device=device), (5, 6), ember.float32),
        (nn.Conv2d(3, 4, 3, padding=1, device=device), (2, 3, 8, 8), ember.float32),
        (nn.BatchNorm1d(6, device=device), (5, 6), ember.float32),
        (nn.LayerNorm(6, device=device, dtype=ember.float64), (5, 6), ember.float64),
        (nn.Sequential(nn.Linear(6, 8, device=device), nn.GELU(), nn.Dropout(0.0), nn.Linear(8, 2, device=device)), (5, 6), ember.float32),
        (nn.MaxPool2d(2), (2, 3, 8, 8), ember.float32),
    ]


def test_layers_forward_match_cpu():
    for (mm, shape, dt), (cm, _, _) in zip(_layers("meta"), _layers("cpu")):
        for p in mm.parameters():
            assert p.is_meta
        x = ember.randn(*shape, dtype=dt)
        same_geometry(mm(meta_like(x)), cm(x))
    e_m, e_c = nn.Embedding(10, 4, device="meta"), nn.Embedding(10, 4)
    idx = ember.tensor([[1, 2], [3, 4]])
    same_geometry(e_m(idx.to("meta")), e_c(idx))


def test_backward_on_meta_mlp():
    model = nn.Sequential(nn.Linear(10, 32, device="meta"), nn.ReLU(), nn.Linear(32, 3, device="meta"))
    x = ember.empty(8, 10, device="meta")
    target = ember.empty(8, dtype=ember.int64, device="meta")
    loss = F.cross_entropy(model(x), target) + model(x).pow(2).mean()
    loss.backward()
    for p in model.parameters():
        assert p.grad is not None and p.grad.is_meta and p.grad.shape == p.shape


def test_huge_model_instantiates_without_memory():
    from ember.inspect import track_allocations

    t0 = time.perf_counter()
    with track_allocations() as rec:
        model = nn.Sequential(nn.Linear(50000, 50000, device="meta"), nn.Linear(50000, 50000, device="meta"))
        out = model(ember.empty(4, 50000, device="meta"))
    assert time.perf_counter() - t0 < 5.0  # allocating 20 GB of weights would take far longer (or fail)
    assert out.shape == (4, 50000) and out.is_meta
    assert sum(p.numel() for p in model.parameters()) * 4 > 10 * 2**30  # 20 GB of float32 weights
    assert rec.peak_bytes < 2**20


def test_to_empty_then_reset_parameters():
    with ember.device("meta"):
        model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    model.to_empty(device="cpu")
    for m in model:
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()
    assert all(p.device.type == "cpu" for p in model.parameters())
    out = model(ember.randn(5, 4))
    assert out.shape == (5, 2) and np.isfinite(out.detach().numpy()).all()
    assert nn.init.normal_(ember.empty(3, device="meta")).is_meta  # init on meta: a no-op
    assert model.to("meta")[0].weight.is_meta


def test_summary_runs_on_meta():
    from ember.inspect import summary, track_allocations

    with ember.device("meta"):
        huge = nn.Sequential(nn.Linear(20000, 20000), nn.ReLU(), nn.Linear(20000, 10))
    s = summary(huge, ember.empty(2, 20000, device="meta"))
    assert s.total_params == 20000 * 20000 + 20000 + 20000 * 10 + 10
    assert [r.output_shape for r in s.rows] == [(2, 20000), (2, 20000), (2, 10)]
    # A real model is summarised through meta twins: its activations are never allocated,
    # and its parameters are the same objects afterwards.
    model = nn.Sequential(nn.Linear(64, 4096), nn.ReLU(), nn.Linear(4096, 8))
    before = [id(p) for p in model.parameters()]
    x = ember.randn(256, 64)
    with track_allocations() as rec:
        s = summary(model, x)
    assert rec.peak_bytes < 2**16  # the CPU forward would allocate 256×4096×4 bytes = 4 MiB
    assert s.rows[-1].output_shape == (256, 8)
    assert [id(p) for p in model.parameters()] == before and not model[0].weight.is_meta


def test_more_ops_on_meta_match_cpu():
    x, c = ember.randn(4, 8), ember.randn(2, 3, 8, 8)
    t = ember.tensor([1, 0, 3, 2])
    both(lambda a: F.dropout(a, 0.5, training=True), x)
    both(lambda a: F.pad(a, (1, 2)), c)
    both(lambda a, b: F.nll_loss(F.log_softmax(a, 1), b), x, t)
    both(lambda a, b: F.cross_entropy(a, b, reduction="none"), x, t)
    both(lambda a: F.binary_cross_entropy_with_logits(a, a.sigmoid(), reduction="none"), x)
    both(lambda a, i: a.gather(1, i), x, ember.zeros(4, 2, dtype=ember.int64))
    both(lambda a, i: a.index_select(1, i), x, t)
    both(lambda a: F.avg_pool2d(a, 2), c)
    both(lambda a: F.max_pool2d(a, 2), c)
    both(lambda a: a.topk(3), x)
    both(lambda a: ember.einsum("ij,kj->ik", a, a), x)
    both(lambda a: a.repeat(2, 1).roll(1, 0), x)
    both(lambda a, i: a.gather(0, i), x, ember.zeros(2, dtype=ember.int64))  # dims mismatch: same error
    m = ember.empty(4, 8, device="meta", requires_grad=True)
    (m.gather(1, ember.zeros(4, 2, dtype=ember.int64, device="meta")).sum() + m.index_select(0, t.to("meta")).sum()).backward()
    assert m.grad.is_meta and m.grad.shape == (4, 8)


def test_to_meta_preserves_dense_strides():
    x = ember.randn(3, 4, 5).permute(2, 0, 1)
    assert x.to("meta").stride() == x.stride()
    y = ember.randn(6, 4)[::2]  # not dense: row-major on meta
    assert y.to("meta").stride() == (4, 1)
    assert ember.randn(2, 3).to("meta").stride() == (3, 1)

"""Reductions, scans and softmax against NumPy on strided inputs, plus gradchecks."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember._ops_reduce import vector_norm
from strategies import ALL, FLOAT, INT, assert_close, np_of, strided_pair


def dims_for(draw, ndim):
    """None, an int (maybe negative) or a tuple of distinct dims."""
    if ndim == 0:
        return draw(st.sampled_from([None, 0, -1]))
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    return tuple(draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)))


def np_axis(dim, ndim):
    if dim is None or ndim == 0:
        return None
    return dim


SUM_NP = {"float16": np.float16, "float32": np.float32, "float64": np.float64}


@given(st.data())
def test_sum_mean_prod_dtypes_and_dims(data):
    t, a = data.draw(strided_pair(dtypes=ALL, max_side=4))
    dim = dims_for(data.draw, a.ndim)
    keep = data.draw(st.booleans())
    ax = np_axis(dim, a.ndim)
    out_np = SUM_NP.get(str(a.dtype), np.int64)
    kw = {} if dim is None else {"dim": dim, "keepdim": keep}
    nkeep = keep and dim is not None
    ref = np.sum(a.astype(np.float64) if a.dtype.kind == "f" else a, axis=ax, keepdims=nkeep, dtype=np.float64 if a.dtype.kind == "f" else np.int64)
    assert_close(t.sum(**kw), ref.astype(out_np), rtol=1e-2 if a.dtype == np.float16 else None)
    assert_close(ember.sum(t, **kw), ref.astype(out_np), rtol=1e-2 if a.dtype == np.float16 else None)
    if a.dtype.kind == "f":
        with np.errstate(all="ignore"):
            m = np.mean(a.astype(np.float64), axis=ax, keepdims=nkeep)
        assert_close(t.mean(**kw), np.asarray(m).astype(a.dtype), rtol=1e-2 if a.dtype == np.float16 else None)
    else:
        with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
            t.mean(**kw)
        assert_close(t.mean(**kw, dtype=ember.float64), np.mean(a.astype(np.float64), axis=ax, keepdims=nkeep) if a.size else np.full(np.sum(a, axis=ax, keepdims=nkeep).shape, np.nan))
    if dim is None or isinstance(dim, int):
        pkw = {} if dim is None else {"dim": dim, "keepdim": keep}
        pref = np.prod(a.astype(np.float64) if a.dtype.kind == "f" else a.astype(np.int64), axis=ax, keepdims=nkeep)
        assert_close(t.prod(**pkw), np.asarray(pref).astype(out_np), rtol=1e-2 if a.dtype == np.float16 else 1e-4)


@given(st.data())
def test_max_min_family(data):
    t, a = data.draw(strided_pair(dtypes=ALL, min_dims=1, max_side=4))
    if a.size == 0:
        with pytest.raises(RuntimeError, match="Expected reduction dim to be specified for input.numel\\(\\) == 0"):
            t.max()
        return
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    keep = data.draw(st.booleans())
    assert_close(t.max(), np.max(a))
    assert_close(t.min(), np.min(a))
    assert_close(t.argmax(), np.asarray(np.argmax(a)))
    assert_close(t.argmin(), np.asarray(np.argmin(a)))
    if a.shape[dim] == 0:
        with pytest.raises(RuntimeError, match="to have non-zero size"):
            t.max(dim)
        return
    v, i = t.max(dim, keepdim=keep)
    r = t.max(dim=dim, keepdim=keep)
    assert r.values is r[0] and r.indices is r[1]
    assert_close(v, np.max(a, axis=dim, keepdims=keep))
    assert_close(i, np.argmax(a, axis=dim, keepdims=keep))
    v, i = ember.min(t, dim, keep)
    assert_close(v, np.min(a, axis=dim, keepdims=keep))
    assert_close(i, np.argmin(a, axis=dim, keepdims=keep))
    assert_close(t.argmax(dim, keepdim=keep), np.argmax(a, axis=dim, keepdims=keep))
    d2 = tuple(sorted({dim % a.ndim, 0}))
    assert_close(t.amax(d2, keepdim=keep), np.amax(a, axis=d2, keepdims=keep))
    assert_close(t.amin(d2), np.amin(a, axis=d2))
    mn, mx = t.aminmax(dim=dim)
    assert_close(mn, np.min(a, axis=dim))
    assert_close(mx, np.max(a, axis=dim))


@given(st.data())
def test_var_std_norm_logsumexp(data):
    t, a = data.draw(strided_pair(dtypes=FLOAT, min_dims=1, max_side=4))
    dim = dims_for(data.draw, a.ndim)
    keep = data.draw(st.booleans()) and dim is not None
    ax = np_axis(dim, a.ndim)
    a64 = a.astype(np.float64)
    with np.errstate(all="ignore"):
        for c in [0, 1, 2]:
            assert_close(t.var(dim, keepdim=keep, correction=c), np.var(a64, axis=ax, ddof=c, keepdims=keep).astype(a.dtype))
            assert_close(t.std(dim, keepdim=keep, correction=c), np.std(a64, axis=ax, ddof=c, keepdims=keep).astype(a.dtype))
        assert_close(t.var(dim, False, keep), np.var(a64, axis=ax, keepdims=keep).astype(a.dtype))
        v, m = ember.var_mean(t, dim, keepdim=keep)
        assert_close(v, np.var(a64, axis=ax, ddof=1, keepdims=keep).astype(a.dtype))
        assert_close(m, np.mean(a64, axis=ax, keepdims=keep).astype(a.dtype))
        s, _ = ember.std_mean(t, dim, keepdim=keep)
        assert_close(s, np.std(a64, axis=ax, ddof=1, keepdims=keep).astype(a.dtype))
    for p in [2, 1, math.inf, -math.inf, 0, 3.5]:
        if a.size == 0 and p in (math.inf, -math.inf):
            continue
        absd = np.abs(a64)
        if p == math.inf:
            ref = np.max(absd, axis=ax, keepdims=keep)
        elif p == -math.inf:
            ref = np.min(absd, axis=ax, keepdims=keep)
        elif p == 0:
            ref = np.sum(absd != 0, axis=ax, keepdims=keep).astype(np.float64)
        else:
            ref = np.sum(absd ** p, axis=ax, keepdims=keep) ** (1 / p)
        assert_close(t.norm(p, dim, keep), np.asarray(ref).astype(a.dtype))
        assert_close(vector_norm(t, p, dim, keep), np.asarray(ref).astype(a.dtype))
    if dim is not None:
        with np.errstate(all="ignore"):
            m = np.max(a64, axis=ax, keepdims=True) if a.size else 0
            ref = np.log(np.sum(np.exp(a64 - m), axis=ax, keepdims=True)) + m
            if not keep:
                ref = np.squeeze(ref, axis=ax)
        assert_close(t.logsumexp(dim, keep), np.asarray(ref).astype(a.dtype))


@given(st.data())
def test_softmax_scans_logical(data):
    t, a = data.draw(strided_pair(dtypes=FLOAT, min_dims=1, max_side=5))
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    a64 = a.astype(np.float64)
    with np.errstate(all="ignore"):
        e = np.exp(a64 - np.max(a64, axis=dim, keepdims=True)) if a.size else a64
        sm = e / np.sum(e, axis=dim, keepdims=True)
    assert_close(t.softmax(dim), sm.astype(a.dtype))
    assert_close(ember.softmax(t, dim), sm.astype(a.dtype))
    assert_close(t.log_softmax(dim), np.log(sm).astype(a.dtype), atol=1e-4)
    assert_close(t.softmax(dim, dtype=ember.float64), sm)
    assert_close(t.cumsum(dim), np.cumsum(a64, axis=dim).astype(a.dtype), rtol=1e-4)
    assert_close(t.cumprod(dim), np.cumprod(a64, axis=dim).astype(a.dtype), rtol=1e-4)
    v, i = t.cummax(dim)
    assert_close(v, np.maximum.accumulate(a, axis=dim))
    ti, ai = data.draw(strided_pair(dtypes=ALL, min_dims=1, max_side=5))
    d = data.draw(st.integers(-ai.ndim, ai.ndim - 1))
    assert_close(ti.all(), np.asarray(np.all(ai)) if ai.dtype != np.uint8 else np.asarray(np.all(ai)).astype(np.uint8))
    assert_close(ti.any(d), np.any(ai, axis=d) if ai.dtype != np.uint8 else np.any(ai, axis=d).astype(np.uint8))
    assert_close(ti.count_nonzero(d), np.count_nonzero(ai, axis=d).astype(np.int64))
    assert_close(ti.cumsum(d), np.cumsum(ai.astype(np.float64) if ai.dtype.kind == "f" else ai.astype(np.int64), axis=d).astype(SUM_NP.get(str(ai.dtype), np.int64)), rtol=1e-2)
    if ai.size and ai.dtype.kind != "b":
        srt = np.sort(ai, axis=d)
        k = (ai.shape[d] - 1) // 2
        if ai.shape[d]:
            v, i = ti.median(d)
            assert_close(v, np.take(srt, k, axis=d))
            picked = np.take_along_axis(np_of(ti), np.expand_dims(np_of(i), d), d).squeeze(d)
            np.testing.assert_array_equal(picked, np_of(v))
        assert_close(ti.median(), np.sort(ai.reshape(-1))[(ai.size - 1) // 2])


def test_named_tuple_and_two_tensor_max():
    x = ember.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]])
    r = x.max(1)
    assert type(r).__name__ == "max" and r.indices.tolist() == [1, 0]
    values, indices = r
    assert values.tolist() == [3.0, 2.0]
    assert "values=" in repr(r)
    assert x.argmin(dim=1).tolist() == [0, 1]
    assert x.argmax(1, keepdim=True).shape == (2, 1)


def test_nan_propagation_and_empty():
    x = ember.tensor([1.0, float("nan"), 3.0, float("nan")])
    assert math.isnan(x.max().item()) and math.isnan(x.min().item())
    assert x.argmax().item() == 1 and x.argmin().item() == 1
    assert x.max(0).indices.item() == 1
    assert x.nansum().item() == 4.0 and x.nanmean().item() == 2.0
    assert ember.tensor([1.0, float("nan"), 5.0]).nanmedian().item() == 1.0
    e = ember.zeros(0)
    assert e.sum().item() == 0 and e.prod().item() == 1
    assert math.isnan(e.mean().item())
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        e.max()
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        e.argmax()
    z = ember.zeros(2, 0)
    assert z.sum(1).tolist() == [0.0, 0.0]
    assert z.amax(0).shape == (0,)
    with pytest.raises(RuntimeError, match="Expected reduction dim 1 to have non-zero size"):
        z.amax(1)
    s = ember.tensor(2.5)
    assert s.sum().item() == 2.5 and s.sum(0).shape == () and s.max(0).indices.item() == 0
    assert s.softmax(0).item() == 1.0
    with pytest.raises(IndexError):
        ember.ones(2, 3).sum(2)


def test_result_dtypes():
    i = ember.tensor([[1, 2], [3, 4]], dtype=ember.int32)
    assert i.sum().dtype == ember.int64 and i.sum(dtype=ember.int32).dtype == ember.int32
    assert ember.tensor([True, True, False]).sum().item() == 2
    assert ember.tensor([True, True]).sum().dtype == ember.int64
    assert i.prod().item() == 24 and i.prod().dtype == ember.int64
    assert i.cumsum(0).dtype == ember.int64
    assert i.max().dtype == ember.int32 and i.argmax().dtype == ember.int64
    assert i.sum(dtype=ember.float32).dtype == ember.float32
    assert i.all().dtype == ember.bool and ember.tensor([1, 0], dtype=ember.uint8).all().dtype == ember.uint8
    assert i.mean(dtype=ember.float64).item() == 2.5
    with pytest.raises(RuntimeError, match="Got: Long"):
        ember.tensor([1, 2]).mean()
    h = ember.ones(1000, dtype=ember.float16)
    assert h.sum().dtype == ember.float16 and h.sum().item() == 1000.0
    assert h.softmax(0).dtype == ember.float16
    x = ember.tensor([1.0, 2.0, 3.0])
    assert x.var().item() == pytest.approx(1.0) and x.var(unbiased=False).item() == pytest.approx(2 / 3)
    assert x.norm().item() == pytest.approx(math.sqrt(14))
    assert x.logsumexp(0).item() == pytest.approx(math.log(sum(math.exp(v) for v in [1, 2, 3])))
    big = ember.tensor([1000.0, 1000.0])
    assert big.logsumexp(0).item() == pytest.approx(1000 + math.log(2))
    assert big.softmax(0).tolist() == [0.5, 0.5]
    m = ember.tensor([0.0, float("-inf")])
    assert m.softmax(0).tolist() == [1.0, 0.0]
    assert ember.tensor([1, 2, 2, 3, 3]).mode().values.item() == 2


def test_float32_sum_accuracy_10m():
    t = ember.full((10_000_000,), 0.1, dtype=ember.float32)
    ref = 10_000_000 * float(np.float32(0.1))
    assert abs(t.sum().item() - ref) / ref < 1e-6
    ember.manual_seed(0)
    r = ember.rand(10_000_000, dtype=ember.float32)
    ref = r.to(ember.float64).sum().item()  # float64 pairwise: exact to ~1e-15 here
    assert abs(r.sum().item() - ref) / ref < 1e-6
    rows = r.reshape(1000, 10000)
    np.testing.assert_allclose(np.array(rows.sum(1).tolist()), np.array(rows.to(ember.float64).sum(1).tolist()), rtol=1e-6)
    cols = r.reshape(10000, 1000).sum(0).tolist()
    np.testing.assert_allclose(np.array(cols), np.array(r.reshape(10000, 1000).to(ember.float64).sum(0).tolist()), rtol=1e-5)


def test_threads_do_not_change_results():
    ember.manual_seed(1)
    t = ember.randn(3_000_000, dtype=ember.float32)
    d = t.to(ember.float64)  # 32 lanes per row fold instead of 64
    n = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        one = (t.sum().item(), t.reshape(3000, 1000).sum(0).tolist(), t.reshape(1000, 3000).softmax(1).sum().item(),
               d.sum().item(), t.amax().item())
        ember.set_num_threads(max(2, n))
        many = (t.sum().item(), t.reshape(3000, 1000).sum(0).tolist(), t.reshape(1000, 3000).softmax(1).sum().item(),
                d.sum().item(), t.amax().item())
    finally:
        ember.set_num_threads(n)
    assert one == many


def _g(shape, seed=0, noncontig=False):
    rng = np.random.default_rng(seed)
    if noncontig:
        a = rng.standard_normal(tuple(reversed(shape)) + (2,))[..., 0]
        t = ember.tensor(a.tolist(), dtype=ember.float64)
        t = t.permute(*reversed(range(len(shape))))
    else:
        t = ember.tensor(rng.standard_normal(shape).tolist(), dtype=ember.float64)
    return t.requires_grad_()


GRAD_CASES = [
    ("sum", lambda x: x.sum(), "SumBackward0"),
    ("sum1", lambda x: x.sum((0, 2), keepdim=True), "SumBackward1"),
    ("mean", lambda x: x.mean(), "MeanBackward0"),
    ("mean1", lambda x: x.mean(-1), "MeanBackward1"),
    ("prod", lambda x: x.prod(), "ProdBackward0"),
    ("prod1", lambda x: x.prod(1), "ProdBackward1"),
    ("max", lambda x: x.max(), "MaxBackward1"),
    ("max1", lambda x: x.max(1).values, "MaxBackward0"),
    ("min1", lambda x: x.min(0, keepdim=True)[0], "MinBackward0"),
    ("amax", lambda x: x.amax((0, 1)), "AmaxBackward0"),
    ("var", lambda x: x.var(1), "VarBackward0"),
    ("std", lambda x: x.std((0, 2)), "StdBackward0"),
    ("norm", lambda x: x.norm(), "NormBackward1"),
    ("norm1", lambda x: x.norm(1, 1), "NormBackward1"),
    ("norm3", lambda x: x.norm(3.0, 2), "NormBackward1"),
    ("norminf", lambda x: x.norm(math.inf, 0), "NormBackward1"),
    ("logsumexp", lambda x: x.logsumexp((1, 2)), "LogsumexpBackward0"),
    ("softmax", lambda x: x.softmax(1), "SoftmaxBackward0"),
    ("log_softmax", lambda x: x.log_softmax(-1), "LogSoftmaxBackward0"),
    ("cumsum", lambda x: x.cumsum(1), "CumsumBackward0"),
    ("cumprod", lambda x: x.cumprod(2), "CumprodBackward0"),
    ("median", lambda x: x.median(), "MedianBackward0"),
    ("median1", lambda x: x.median(1)[0], "MedianBackward1"),
    ("cummax", lambda x: x.cummax(1)[0], "CummaxBackward0"),
    ("nansum", lambda x: x.nansum(0), "NansumBackward0"),
]


@pytest.mark.parametrize("noncontig", [False, True])
@pytest.mark.parametrize("name,f,node", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradcheck(name, f, node, noncontig):
    x = _g((2, 3, 4), seed=len(name), noncontig=noncontig)
    assert type(f(x).grad_fn).__name__ == node or f(x).grad_fn.name() == node
    assert gradcheck(f, (x,))


@pytest.mark.parametrize("f", [lambda x: x.sum(1), lambda x: x.mean(), lambda x: x.softmax(1), lambda x: x.log_softmax(0),
                               lambda x: x.var(1), lambda x: x.std(), lambda x: x.norm(), lambda x: x.prod(1), lambda x: x.logsumexp(1)])
def test_gradgradcheck(f):
    assert gradgradcheck(f, (_g((3, 4), seed=3),))


def test_prod_grad_with_zeros_and_ties():
    x = ember.tensor([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0]], dtype=ember.float64, requires_grad=True)
    x.prod(1).sum().backward()
    assert x.grad.tolist() == [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0]]
    assert gradcheck(lambda t: t.prod(), (x,))
    assert gradcheck(lambda t: t.cumprod(1), (x,))
    y = ember.tensor([1.0, 3.0, 3.0], requires_grad=True)
    y.max().backward()
    assert y.grad.tolist() == [0.0, 0.5, 0.5]
    y.grad = None
    y.max(0).values.backward()
    assert y.grad.tolist() == [0.0, 1.0, 0.0]

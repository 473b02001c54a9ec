"""cat/stack/flip/roll/repeat/tril/diag/…, sorting and searching, closeness tests vs NumPy."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from ember.autograd import gradcheck, gradgradcheck
from strategies import ALL, FLOAT, INT, assert_close, np_of, strided_pair, to_ember


@given(st.data())
def test_cat_stack(data):
    t, a = data.draw(strided_pair(ALL, min_dims=1, max_dims=3, max_side=4))
    d = data.draw(st.integers(-a.ndim, a.ndim - 1))
    u, b = data.draw(strided_pair(ALL, min_dims=a.ndim, max_dims=a.ndim, max_side=4))
    shape = list(a.shape)
    shape[d] = b.shape[d]
    if list(b.shape) != shape:
        return
    got = ember.cat([t, u], d)
    want = np.concatenate([a, b], d)
    assert_close(got, want, check_dtype=False)
    assert got.dtype == ember.promote_types(t.dtype, u.dtype) if hasattr(ember, "promote_types") else True
    assert_close(ember.cat([t, ember.tensor([], dtype=t.dtype), t], d), np.concatenate([a, a], d))
    assert_close(ember.stack([t, t], d), np.stack([a, a], d))
    assert_close(ember.stack([t, t], -1), np.stack([a, a], -1))


def test_cat_dtype_promotion_and_errors():
    x = ember.cat([ember.tensor([1, 2]), ember.tensor([0.5])])
    assert x.dtype == ember.float32 and x.tolist() == [1.0, 2.0, 0.5]
    assert ember.cat([ember.tensor([True]), ember.tensor([3], dtype=ember.uint8)]).dtype == ember.uint8
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 in the list."):
        ember.cat([ember.zeros(2, 3), ember.zeros(2, 4)])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size, but got \\[2\\] at entry 0 and \\[3\\] at entry 1"):
        ember.stack([ember.zeros(2), ember.zeros(3)])
    with pytest.raises(RuntimeError, match="zero-dimensional tensor \\(at position 0\\) cannot be concatenated"):
        ember.cat([ember.tensor(1.0)])
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.cat([ember.zeros(2)], 1)


def test_stack_family():
    a, b = np.arange(3), np.arange(3, 6)
    ta, tb = to_ember(a), to_ember(b)
    for ef, nf in [(ember.hstack, np.hstack), (ember.vstack, np.vstack), (ember.dstack, np.dstack),
                   (ember.column_stack, np.column_stack), (ember.row_stack, np.vstack)]:
        assert_close(ef([ta, tb]), nf([a, b]))
        assert_close(ef([ta.reshape(3, 1), tb.reshape(3, 1)]), nf([a.reshape(3, 1), b.reshape(3, 1)]))
    for ij in ["ij", "xy"]:
        for got, want in zip(ember.meshgrid(ta, tb[:2], indexing=ij), np.meshgrid(a, b[:2], indexing=ij)):
            assert_close(got, want)


@given(strided_pair(ALL, min_dims=0, max_dims=4), st.data())
def test_flip_roll(pair, data):
    t, a = pair
    dims = data.draw(st.lists(st.integers(0, max(a.ndim - 1, 0)), unique=True, max_size=a.ndim)) if a.ndim else []
    assert_close(t.flip(dims), np.flip(a, dims) if dims else a)
    if a.ndim and dims:
        shifts = data.draw(st.lists(st.integers(-7, 7), min_size=len(dims), max_size=len(dims)))
        assert_close(t.roll(shifts, dims), np.roll(a, shifts, dims) if dims else a)
        assert_close(t.roll(3), np.roll(a, 3))
    if a.ndim >= 2:
        assert_close(t.fliplr(), np.fliplr(a))
        assert_close(t.flipud(), np.flipud(a))
        for k in range(4):
            assert_close(t.rot90(k), np.rot90(a, k))


@given(strided_pair(ALL, min_dims=0, max_dims=3, max_side=3), st.data())
def test_repeat_tile_repeat_interleave(pair, data):
    t, a = pair
    reps = data.draw(st.lists(st.integers(0, 3), min_size=a.ndim, max_size=a.ndim + 1))
    assert_close(t.repeat(*reps), np.tile(a, reps) if reps else a)
    assert_close(t.tile(reps[1:] if len(reps) > 1 else reps), np.tile(a, reps[1:] if len(reps) > 1 else reps))
    r = data.draw(st.integers(0, 3))
    assert_close(t.repeat_interleave(r), np.repeat(a, r))
    if a.ndim:
        d = data.draw(st.integers(0, a.ndim - 1))
        counts = data.draw(st.lists(st.integers(0, 3), min_size=a.shape[d], max_size=a.shape[d]))
        assert_close(t.repeat_interleave(ember.tensor(counts, dtype=ember.int64), dim=d), np.repeat(a, counts, d))
    assert ember.repeat_interleave(ember.tensor([1, 0, 2])).tolist() == [0, 2, 2]


@given(strided_pair(ALL, min_dims=2, max_dims=4), st.integers(-4, 4))
def test_tril_triu(pair, k):
    t, a = pair
    assert_close(t.tril(k), np.tril(a, k))
    assert_close(t.triu(k), np.triu(a, k))


@given(strided_pair(ALL, min_dims=1, max_dims=2), st.integers(-3, 3))
def test_diag_trace(pair, k):
    t, a = pair
    assert_close(t.diag(k), np.diag(a, k))
    if a.ndim == 1:
        assert_close(t.diag_embed(k), np.diag(a, k))
        assert_close(t.diagflat(k), np.diagflat(a, k))
    elif a.dtype != np.bool_:
        assert_close(t.trace(), np.array(np.trace(a), dtype=np.float64 if a.dtype.kind == "f" else np.int64).astype(
            a.dtype if a.dtype.kind == "f" else np.int64))


def test_diag_embed_batched():
    a = np.arange(6.0).reshape(2, 3)
    got = to_ember(a).diag_embed(1, 0, 2)
    want = np.zeros((4, 2, 4))
    for b in range(2):
        want[:, b, :] = np.diag(a[b], 1)
    assert_close(got, want)
    with pytest.raises(RuntimeError, match="diag\\(\\): Supports 1D or 2D tensors. Got 3D"):
        ember.zeros(1, 1, 1).diag()


@given(strided_pair(FLOAT + INT + ["bool"], min_dims=0, max_dims=3), st.data())
def test_sort_argsort_topk(pair, data):
    t, a = pair
    d = data.draw(st.integers(-1, max(a.ndim - 1, 0))) if a.ndim else 0
    desc = data.draw(st.booleans())
    v, i = t.sort(d, descending=desc)
    ax = d if a.ndim else None
    if a.ndim:
        want_i = np.argsort(-a.astype(np.float64) if desc else a, axis=d, kind="stable")
        assert_close(i, want_i)
        assert_close(v, np.take_along_axis(a, want_i, d))
        assert_close(t.argsort(d, descending=desc), want_i)
        k = data.draw(st.integers(0, a.shape[d]))
        tv, ti = t.topk(k, d, largest=desc)
        assert_close(tv, np.take_along_axis(a, want_i, d).take(range(k), axis=d))
        assert v.values if False else True
    else:
        assert_close(v, a) and assert_close(i, np.zeros((), np.int64))
    del ax


def test_sort_nan_and_named_tuple():
    x = ember.tensor([3.0, float("nan"), 1.0, 3.0, -float("inf")])
    r = x.sort()
    assert r.values.tolist()[:4] == [-float("inf"), 1.0, 3.0, 3.0] and np.isnan(r.values.tolist()[4])
    assert r.indices.tolist() == [4, 2, 0, 3, 1]
    assert x.sort(descending=True).indices.tolist() == [1, 0, 3, 2, 4]
    assert x.topk(2).indices.tolist() == [1, 0]
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(6)


@given(strided_pair(FLOAT + INT + ["bool"], min_dims=0, max_dims=3))
def test_unique(pair):
    t, a = pair
    v, inv, cnt = t.unique(return_inverse=True, return_counts=True)
    wv, winv, wcnt = np.unique(a, return_inverse=True, return_counts=True)
    assert_close(v, wv)
    assert_close(inv, winv.reshape(a.shape))
    assert_close(cnt, wcnt)
    flat = a.reshape(-1)
    keep = np.concatenate([[True], flat[1:] != flat[:-1]]) if flat.size else np.zeros(0, bool)
    assert_close(t.unique_consecutive(), flat[keep])


@given(st.lists(st.integers(-20, 20), max_size=8), st.lists(st.integers(-25, 25), max_size=6), st.booleans())
def test_searchsorted_bucketize(seq, vals, right):
    s = np.sort(np.array(seq, dtype=np.int64))
    v = np.array(vals, dtype=np.int64)
    side = "right" if right else "left"
    assert_close(ember.searchsorted(to_ember(s), to_ember(v), right=right), np.searchsorted(s, v, side=side))
    assert_close(ember.searchsorted(to_ember(s), to_ember(v), side=side), np.searchsorted(s, v, side=side))
    assert_close(ember.bucketize(to_ember(v), to_ember(s), right=right), np.searchsorted(s, v, side=side))
    sf = s.astype(np.float32).reshape(1, -1).repeat(2, 0)
    vf = np.stack([v, v[::-1]]).astype(np.float32)
    want = np.stack([np.searchsorted(sf[0], vf[i], side=side) for i in range(2)])
    assert_close(ember.searchsorted(to_ember(sf), to_ember(vf), right=right), want)
    assert ember.searchsorted(to_ember(s), 3, out_int32=True).dtype == ember.int32


def test_bincount_histc():
    x = np.array([1, 3, 3, 0, 7])
    w = np.array([0.5, 1.0, 2.0, 1.0, 1.0])
    assert_close(to_ember(x).bincount(), np.bincount(x))
    assert_close(to_ember(x).bincount(minlength=10), np.bincount(x, minlength=10))
    assert_close(to_ember(x).bincount(to_ember(w)), np.bincount(x, w))
    with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral inputs"):
        ember.tensor([-1]).bincount()
    y = np.array([1.0, 2.0, 1.0, 2.5, 4.0, -1.0], dtype=np.float32)
    assert_close(to_ember(y).histc(4, 0, 4), np.histogram(y, 4, (0, 4))[0].astype(np.float32))
    assert_close(to_ember(y).histc(3), np.histogram(y, 3)[0].astype(np.float32))


@given(strided_pair(FLOAT, min_dims=0, max_dims=3), st.floats(0, 0.1), st.floats(0, 0.1), st.booleans())
def test_isclose(pair, rtol, atol, equal_nan):
    t, a = pair
    b = a + np.asarray(np.random.default_rng(0).standard_normal(a.shape) * 0.01, dtype=a.dtype)
    if a.size:
        b.reshape(-1)[0] = np.nan
    tb = to_ember(np.array(b))
    assert_close(t.isclose(tb, rtol, atol, equal_nan), np.isclose(a, b, rtol, atol, equal_nan))
    assert ember.allclose(t, tb, rtol, atol, equal_nan) == np.allclose(a, b, rtol, atol, equal_nan)
    assert ember.equal(t, t.clone())
    assert ember.equal(t, t.reshape(-1)) == (a.ndim == 1)
    assert not ember.equal(tb, tb) or not np.isnan(b).any()


# ---- autograd ----

def f64(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return ember.tensor(rng.standard_normal(shape).tolist(), dtype=ember.float64).reshape(shape).requires_grad_(True)


def test_grad_fn_names():
    x = f64(3, 3)
    names = {
        "CatBackward0": ember.cat([x, x]), "StackBackward0": ember.stack([x, x]), "FlipBackward0": x.flip(0),
        "RollBackward0": x.roll(1, 0), "RepeatBackward0": x.repeat(2, 1), "TrilBackward0": x.tril(),
        "TriuBackward0": x.triu(), "DiagBackward0": x.diag(), "DiagEmbedBackward0": x.diag_embed(),
        "TraceBackward0": x.trace(), "SortBackward0": x.sort()[0], "TopkBackward0": x.topk(2)[0],
    }
    for name, y in names.items():
        assert y.grad_fn.name() == name


def test_gradchecks():
    x, y = f64(3, 4), f64(2, 4, seed=1)
    assert gradcheck(lambda x, y: ember.cat([x, y, ember.tensor([], dtype=ember.float64)]), (x, y))
    assert gradcheck(lambda x, y: ember.cat([x.t(), y.t()], 1), (x, y))
    assert gradcheck(lambda x: ember.stack([x, x * 2], 1), (x,))
    assert gradcheck(lambda x: x.flip(0, 1), (x,))
    assert gradcheck(lambda x: x.roll((1, -2), (0, 1)), (x,))
    assert gradcheck(lambda x: x.repeat(2, 1, 2), (x,))
    assert gradgradcheck(lambda x: x.repeat(2, 1), (x,))
    assert gradcheck(lambda x: x.tril(1), (x,))
    assert gradcheck(lambda x: x.triu(-1), (x,))
    assert gradcheck(lambda x: x.diag(1), (x,))
    assert gradcheck(lambda x: x[0].diag(-1), (x,))
    assert gradcheck(lambda x: x.diag_embed(1), (x,))
    assert gradcheck(lambda x: x.trace(), (x,))
    assert gradcheck(lambda x: x.sort(1, descending=True)[0], (x,))
    assert gradgradcheck(lambda x: x.sort(0)[0], (x,))
    assert gradcheck(lambda x: x.topk(2, 1)[0], (x,))
    assert gradcheck(lambda x: x.take_along_dim(ember.tensor([[0], [3], [1]]), 1), (x,))
    assert gradcheck(lambda x: x.repeat_interleave(2, 0), (x,))
    assert gradcheck(lambda x: x.rot90(1), (x,))


def test_cdist_matches_numpy_and_gradchecks():
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 5, 3))
    ta, tb = ember.tensor(a), ember.tensor(b)
    for p in (0.0, 1.0, 2.0, 3.0, float("inf")):
        d = np.abs(a[:, :, None, :] - b[:, None, :, :])
        want = {0.0: (d != 0).sum(-1), 1.0: d.sum(-1), 2.0: np.sqrt((d ** 2).sum(-1)), 3.0: ((d ** 3).sum(-1)) ** (1 / 3),
                float("inf"): d.max(-1)}[p]
        np.testing.assert_allclose(np.array(ember.cdist(ta, tb, p=p).tolist()), want, rtol=1e-10, atol=1e-12)
    ta.requires_grad_()
    assert ember.autograd.gradcheck(lambda x: ember.cdist(x, tb), (ta,))
    with pytest.raises(RuntimeError, match="same number of columns"):
        ember.cdist(ember.zeros(2, 3), ember.zeros(2, 4))

"""Advanced indexing, index_put, gather/scatter and the index_* family against NumPy."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from ember.autograd import gradcheck, gradgradcheck
from strategies import ALL, FLOAT, INT, assert_close, np_of, strided_pair, to_ember

DTYPES = ["bool", "int32", "int64", "float32", "float64"]


def idx_array(draw, size, shape):
    """Random (possibly negative) in-bounds indices for a dim of `size`."""
    n = int(np.prod(shape)) if shape else 1
    vals = draw(st.lists(st.integers(-size, size - 1), min_size=n, max_size=n))
    return np.array(vals, dtype=np.int64).reshape(shape)


@given(st.data())
def test_getitem_int_arrays(data):
    t, a = data.draw(strided_pair(DTYPES, min_dims=2, max_dims=4, max_side=4))
    if 0 in a.shape:
        return
    ishape = data.draw(st.lists(st.integers(0, 3), max_size=2).map(tuple))
    i0 = idx_array(data.draw, a.shape[0], ishape)
    i1 = idx_array(data.draw, a.shape[1], ishape)
    il = idx_array(data.draw, a.shape[-1], ishape)
    i2 = idx_array(data.draw, a.shape[min(2, a.ndim - 1)], ishape)
    ti0, ti1, til, ti2 = (ember.tensor(i.tolist(), dtype=ember.int64).reshape(ishape) for i in (i0, i1, il, i2))
    assert_close(t[ti0], a[i0])
    assert_close(t[:, ti1], a[:, i1])
    assert_close(t[ti0, ti1], a[i0, i1])
    assert_close(t[..., til], a[..., il])
    assert_close(t[None, ti0], a[None, i0])
    if a.ndim >= 3:
        assert_close(t[ti0, :, ti2], a[i0, :, i2])  # separated: index dims go first
        assert_close(t[1:, ti1, ti2], a[1:, i1, i2])
    assert_close(t[i0.reshape(-1).tolist()], a[i0.reshape(-1)])


@given(st.data())
def test_getitem_bool_masks(data):
    t, a = data.draw(strided_pair(DTYPES, min_dims=1, max_dims=3, max_side=4))
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    m = rng.random(a.shape) < 0.5
    assert_close(t[to_ember(m)], a[m])
    m0 = rng.random(a.shape[:1]) < 0.5
    assert_close(t[to_ember(m0)], a[m0])
    assert_close(t[m0.tolist()], a[m0])
    if a.ndim >= 2:
        m1 = rng.random(a.shape[1:2]) < 0.5
        assert_close(t[:, to_ember(m1)], a[:, m1])
    assert_close(t[True], a[True])
    assert_close(t[False], a[False])
    assert_close(t[None, ..., True], a[None, ..., True])


def test_getitem_mixed_ints_select_first():
    x = ember.arange(60).reshape(3, 4, 5)
    # An int selects before advanced indexing (PyTorch), so [0, :, [1, 2]] is (4, 2).
    assert tuple(x[0, :, [1, 2]].shape) == (4, 2)
    assert x[0, :, [1, 2]].tolist() == np.arange(60).reshape(3, 4, 5)[0][:, [1, 2]].tolist()
    assert x[[0, 2], 1:3, [1, 4]].tolist() == np.arange(60).reshape(3, 4, 5)[[0, 2], 1:3, [1, 4]].tolist()


def test_getitem_errors():
    x = ember.arange(6).reshape(3, 2)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        x[[0, 5]]
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 0 with size 3"):
        x[ember.tensor([-4])]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[[0], [0], [0]]
    with pytest.raises(IndexError, match="tensors used as indices must be long"):
        x[ember.tensor([0.0])]
    with pytest.raises(IndexError, match="The shape of the mask \\[2\\] at index 0 does not match"):
        x[ember.tensor([True, False])]
    with pytest.raises(IndexError):
        x[[0, 1], [0, 1, 1]]  # index shapes don't broadcast
    y = x.clone()
    with pytest.raises(IndexError):
        y[[0, 7]] = 1
    assert y.tolist() == x.tolist()  # a bad index leaves the tensor unchanged


@given(st.data())
def test_setitem_and_accumulate(data):
    t, a = data.draw(strided_pair(["int64", "float32", "float64"], min_dims=1, max_dims=3, max_side=4, allow_expand=False))
    if 0 in a.shape:
        return
    t, a = t.clone(), a.copy()
    n = data.draw(st.integers(0, 6))
    idx = idx_array(data.draw, a.shape[0], (n,))
    ti = ember.tensor(idx.tolist(), dtype=ember.int64)
    # duplicates: the last write wins, as in NumPy's fancy assignment
    vals = np.arange(n * int(np.prod(a.shape[1:]))).reshape((n,) + a.shape[1:]).astype(a.dtype)
    t[ti] = to_ember(vals)
    a[idx] = vals
    assert_close(t, a)
    t[ti] = 7
    a[idx] = 7
    assert_close(t, a)
    t.index_put_((ti,), to_ember(vals), accumulate=True)
    np.add.at(a, idx, vals)
    assert_close(t, a)
    if a.ndim >= 2:
        col = idx_array(data.draw, a.shape[1], (n,))
        t[:, ember.tensor(col.tolist(), dtype=ember.int64)] = -1
        a[:, col] = -1
        assert_close(t, a)
    m = a > 0
    t[to_ember(m)] = 0
    a[m] = 0
    assert_close(t, a)


def test_setitem_through_view_and_broadcast():
    x = ember.zeros(3, 4)
    v = x[1:]
    v[:, [0, 2]] = ember.tensor([5.0, 6.0])
    want = np.zeros((3, 4))
    want[1:, [0, 2]] = [5.0, 6.0]
    assert x.tolist() == want.tolist()
    x[[0, 0]] = ember.ones(1, 4)  # leading size-1 dims of the value are dropped
    assert x[0].tolist() == [1.0] * 4


@given(strided_pair(FLOAT + INT, min_dims=1, max_dims=3, max_side=4), st.data())
def test_gather_scatter(pair, data):
    t, a = pair
    if 0 in a.shape:
        return
    d = data.draw(st.integers(0, a.ndim - 1))
    ishape = tuple(data.draw(st.integers(0, s)) for s in a.shape)
    idx = idx_array(data.draw, a.shape[d], ishape) % a.shape[d]
    ti = ember.tensor(idx.tolist(), dtype=ember.int64).reshape(ishape)
    assert_close(t.gather(d, ti), np.take_along_axis(a[tuple(slice(0, s) if i != d else slice(None) for i, s in enumerate(ishape))], idx, d))
    assert_close(ember.gather(t, d - a.ndim, ti), np.take_along_axis(a[tuple(slice(0, s) if i != d else slice(None) for i, s in enumerate(ishape))], idx, d))
    # scatter_add == np.add.at over the coordinates
    src = np.arange(int(np.prod(ishape))).reshape(ishape).astype(a.dtype)
    want = a.copy()
    coords = np.indices(ishape)
    full = tuple(idx if i == d else coords[i] for i in range(a.ndim))
    np.add.at(want, full, src)
    assert_close(t.scatter_add(d, ti, to_ember(src)), want)
    # scatter with distinct targets per line is deterministic: compare with put_along_axis
    want2 = a.copy()
    want2[full] = src
    got = t.scatter(d, ti, to_ember(src))
    if len(set(zip(*[f.reshape(-1).tolist() for f in full]))) == src.size:
        assert_close(got, want2)
    assert_close(t.scatter(d, ti, 3), np.where(np.isin(np.arange(a.size).reshape(a.shape), np.ravel_multi_index(full, a.shape)), np.array(3, a.dtype), a))


def test_scatter_reduce_modes():
    x = ember.tensor([1.0, 2.0, 3.0, 4.0])
    idx = ember.tensor([0, 1, 0, 1, 2, 1])
    src = ember.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert x.scatter_reduce(0, idx, src, "sum").tolist() == [5.0, 14.0, 8.0, 4.0]
    assert x.scatter_reduce(0, idx, src, "sum", include_self=False).tolist() == [4.0, 12.0, 5.0, 4.0]
    assert x.scatter_reduce(0, idx, src, "prod").tolist() == [3.0, 96.0, 15.0, 4.0]
    assert x.scatter_reduce(0, idx, src, "amax").tolist() == [3.0, 6.0, 5.0, 4.0]
    assert x.scatter_reduce(0, idx, src, "amin", include_self=False).tolist() == [1.0, 2.0, 5.0, 4.0]
    assert x.scatter_reduce(0, idx, src, "mean").tolist() == pytest.approx([5 / 3, 14 / 4, 4.0, 4.0])
    assert x.scatter_reduce(0, idx, src, "mean", include_self=False).tolist() == [2.0, 4.0, 5.0, 4.0]
    assert x.scatter(0, idx[:2], src[:2], reduce="multiply").tolist() == [1.0, 4.0, 3.0, 4.0]
    y = x.clone()
    y.scatter_add_(0, idx, src)
    assert y.tolist() == [5.0, 14.0, 8.0, 4.0]


def test_gather_scatter_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match="gather\\(\\): Expected dtype int64 for index"):
        x.gather(0, ember.tensor([[0]], dtype=ember.int32))
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 0 with size 3"):
        x.gather(0, ember.tensor([[5]]))
    with pytest.raises(RuntimeError, match="Size does not match at dimension 1"):
        x.gather(0, ember.zeros(2, 5, dtype=ember.int64))
    y = x.clone()
    with pytest.raises(RuntimeError):
        y.scatter_(0, ember.tensor([[0, 9]]), 1.0)
    assert y.tolist() == x.tolist()


@given(strided_pair(ALL, min_dims=1, max_dims=3, max_side=4), st.data())
def test_index_select_add_copy_fill_take(pair, data):
    t, a = pair
    if 0 in a.shape:
        return
    d = data.draw(st.integers(0, a.ndim - 1))
    n = data.draw(st.integers(0, 5))
    drawn = idx_array(data.draw, a.shape[d], (n,))
    if (drawn < 0).any():
        # index_select/index_add take no negative index (PyTorch's IndexError); index_fill and take wrap
        with pytest.raises(IndexError, match="index out of range in self"):
            t.index_select(d, ember.tensor(drawn.tolist(), dtype=ember.int64))
    idx = drawn % a.shape[d]
    ti = ember.tensor(idx.tolist(), dtype=ember.int64)
    assert_close(t.index_select(d, ti), np.take(a, idx, axis=d))
    assert_close(ember.index_select(t, d, ti.int()), np.take(a, idx, axis=d))
    src = np.take(a, idx, axis=d)
    if a.dtype != np.bool_:
        want = a.copy()
        sl = [slice(None)] * a.ndim
        for k, i in enumerate(idx):
            sl_d = list(sl)
            sl_d[d] = i
            src_d = list(sl)
            src_d[d] = k
            want[tuple(sl_d)] = want[tuple(sl_d)] + 2 * src[tuple(src_d)]
        assert_close(t.index_add(d, ti, to_ember(np.ascontiguousarray(src)), alpha=2), want)
    uniq = np.unique(idx)
    tu = ember.tensor(uniq.tolist(), dtype=ember.int64)
    want = a.copy()
    sl = [slice(None)] * a.ndim
    sl[d] = uniq
    want[tuple(sl)] = np.take(a, uniq, axis=d)
    assert_close(t.index_copy(d, tu, t.index_select(d, tu)), want)
    want[tuple(sl)] = 1
    assert_close(t.index_fill(d, tu, 1), want)
    assert_close(t.index_fill(d, ember.tensor(drawn.tolist(), dtype=ember.int64), 1), np.where(
        np.isin(np.arange(a.shape[d]), drawn % a.shape[d]).reshape([-1 if k == d else 1 for k in range(a.ndim)]),
        np.ones_like(a), a))
    flat = idx_array(data.draw, a.size, (data.draw(st.integers(0, 4)),))
    assert_close(t.take(ember.tensor(flat.tolist(), dtype=ember.int64)), a.reshape(-1)[flat])


@given(strided_pair(ALL, min_dims=0, max_dims=3, max_side=4), st.integers(0, 1000))
def test_masked_select_scatter_nonzero(pair, seed):
    t, a = pair
    rng = np.random.default_rng(seed)
    m = rng.random(a.shape) < 0.5
    assert_close(t.masked_select(to_ember(m)), a[m])
    assert_close(t.nonzero(), np.argwhere(a))
    assert_close(ember.argwhere(t), np.argwhere(a))
    for got, want in zip(t.nonzero(as_tuple=True), np.nonzero(np.atleast_1d(a))):
        assert_close(got, want)
    src = values_like(a, m.size + 1)
    want = np.array(a)
    want[m] = src.reshape(-1)[: m.sum()]
    assert_close(t.masked_scatter(to_ember(m), to_ember(src)), want)


def values_like(a, n):
    return (np.arange(n) % 2 == 0) if a.dtype == np.bool_ else np.arange(n).astype(a.dtype)


def test_masked_errors():
    x = ember.zeros(3)
    with pytest.raises(RuntimeError, match="expected BoolTensor for mask"):
        x.masked_select(ember.tensor([1, 0, 1]))
    with pytest.raises(RuntimeError, match="at least 2 elements"):
        x.masked_scatter(ember.tensor([True, False, True]), ember.zeros(1))


# ---- autograd ----

def f64(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return ember.tensor(rng.standard_normal(shape).tolist(), dtype=ember.float64).reshape(shape).requires_grad_(True)


def test_index_backward_names_and_values():
    x = f64(4, 3)
    y = x[[0, 0, 2]]
    assert y.grad_fn.name() == "IndexBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [[2.0] * 3, [0.0] * 3, [1.0] * 3, [0.0] * 3]
    assert x.gather(0, ember.tensor([[1, 2, 3]])).grad_fn.name() == "GatherBackward0"
    assert x.index_select(0, ember.tensor([1])).grad_fn.name() == "IndexSelectBackward0"
    assert x.take(ember.tensor([1])).grad_fn.name() == "TakeBackward0"
    assert x.masked_select(ember.ones(4, 3, dtype=ember.bool)).grad_fn.name() == "MaskedSelectBackward0"
    z = x * 1
    z[[1, 2]] = 0.0
    assert z.grad_fn.name() == "IndexPutBackward0"
    w = x * 1
    w[1:][[0]] = 0.0
    assert w.grad_fn.name() == "CopySlices"


def test_gradchecks():
    x = f64(4, 3)
    i = ember.tensor([[0, 3, 1], [2, 2, 0]])
    assert gradcheck(lambda x: x[[0, 0, 3], 1:], (x,))
    assert gradcheck(lambda x: x[ember.tensor([[1, 2]]), ember.tensor([0, 2])], (x,))
    assert gradgradcheck(lambda x: x[[0, 0, 3]], (x,))
    assert gradcheck(lambda x: x.gather(0, i), (x,))
    assert gradgradcheck(lambda x: x.gather(0, i), (x,))
    src = f64(2, 3, seed=1)
    assert gradcheck(lambda x, s: x.scatter_add(0, i, s), (x, src))
    j = ember.tensor([[0, 3, 1], [2, 1, 0]])
    assert gradcheck(lambda x, s: x.scatter(0, j, s), (x, src))
    assert gradcheck(lambda x: x.scatter(0, j, 2.0), (x,))
    assert gradcheck(lambda x, s: x.scatter_reduce(0, i, s, "mean"), (x, src))
    assert gradcheck(lambda x, s: x.scatter_reduce(0, i, s, "sum", include_self=False), (x, src))
    assert gradcheck(lambda x, s: x.scatter_reduce(0, i, s, "amax"), (x, src))
    assert gradcheck(lambda x, s: x.scatter_reduce(0, i, s, "amin", include_self=False), (x, src))
    with pytest.raises(NotImplementedError):
        x.scatter_reduce(0, i, src, "prod")
    k = ember.tensor([3, 0, 3])
    assert gradcheck(lambda x: x.index_select(0, k), (x,))
    assert gradgradcheck(lambda x: x.index_select(1, ember.tensor([0, 2, 0])), (x,))
    s3 = f64(3, 3, seed=2)
    assert gradcheck(lambda x, s: x.index_add(0, k, s, alpha=2.0), (x, s3))
    assert gradcheck(lambda x, s: x.index_copy(0, ember.tensor([3, 0, 1]), s), (x, s3))
    assert gradcheck(lambda x: x.index_fill(1, ember.tensor([1]), 5.0), (x,))
    assert gradcheck(lambda x: x.take(ember.tensor([[0, 11], [11, 4]])), (x,))
    m = ember.tensor([True, False, True])
    assert gradcheck(lambda x: x.masked_select(m), (x,))
    src8 = f64(8, seed=3)
    assert gradcheck(lambda x, s: x.masked_scatter(m, s), (x, src8))
    v = f64(2, 3, seed=4)
    assert gradcheck(lambda x, v: x.index_put((ember.tensor([1, 3]),), v), (x, v))
    assert gradcheck(lambda x, v: x.index_put((ember.tensor([1, 1]),), v, accumulate=True), (x, v))

    def setitem(x, v):
        y = x * 1
        y[1:, [0, 2]] = v[0, :2]
        return y

    assert gradcheck(setitem, (x, v))


def test_inplace_rules():
    x = f64(3)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x[[0]] = 1.0
    y = ember.zeros(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="more than one element"):
        y.index_put_((ember.tensor([0]),), ember.tensor(1.0))

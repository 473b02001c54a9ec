"""Random chains of view ops against numpy: values, shapes, strides, offsets and storage sharing."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from strategies import np_of, shapes, strided_pair, assert_close, values, to_ember, NP_DTYPES


def wview(base, arr):
    """A writable numpy view of `base` with `arr`'s geometry (numpy makes some views read-only)."""
    if arr.size == 0:
        return arr
    off = arr.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    return np.ndarray(arr.shape, arr.dtype, buffer=base, offset=off, strides=arr.strides)


def check(t, a, base_t, base_a):
    assert tuple(t.shape) == a.shape
    assert np_of(t).tolist() == a.tolist()
    assert t.untyped_storage().data_ptr() == base_t.untyped_storage().data_ptr()
    if a.size:
        assert t.storage_offset() == (a.__array_interface__["data"][0] - base_a.__array_interface__["data"][0]) // 8
        for n, st_t, st_a in zip(a.shape, t.stride(), a.strides):
            if n > 1:
                assert st_t == st_a // 8


def new_shape(data, shape):
    """A shape with the same number of elements: merge two adjacent dims, split one, or add/drop 1s."""
    shape = list(shape)
    kind = data.draw(st.sampled_from(["merge", "split", "one", "infer"]))
    if kind == "merge" and len(shape) >= 2:
        i = data.draw(st.integers(0, len(shape) - 2))
        shape[i:i + 2] = [shape[i] * shape[i + 1]]
    elif kind == "split" and shape:
        i = data.draw(st.integers(0, len(shape) - 1))
        divs = [k for k in range(1, shape[i] + 1) if shape[i] % k == 0] or [1]
        k = data.draw(st.sampled_from(divs)) if shape[i] else 1
        shape[i:i + 1] = [k, shape[i] // k] if shape[i] else [0, 1]
    elif kind == "one":
        shape.insert(data.draw(st.integers(0, len(shape))), 1)
    elif kind == "infer" and shape and 0 not in shape:
        shape[data.draw(st.integers(0, len(shape) - 1))] = -1
    return shape


def op_view(data, t, a, base_a):
    s = new_shape(data, a.shape)
    which = data.draw(st.sampled_from(["view", "reshape"]))
    try:
        na = np.reshape(a, s, copy=False)
        viewable = True
    except ValueError:
        viewable = False
    if which == "view":
        if not viewable:
            if a.size:
                with pytest.raises(RuntimeError, match="view size is not compatible"):
                    t.view(*s)
            return None
        return t.view(*s), wview(base_a, na)
    r = t.reshape(s)
    if viewable or a.size == 0:
        if a.size:
            assert r.data_ptr() == t.data_ptr() or r.untyped_storage().data_ptr() == t.untyped_storage().data_ptr()
        return (r, wview(base_a, na)) if viewable else None
    assert r.untyped_storage().data_ptr() != t.untyped_storage().data_ptr()  # a copy, only because it had to
    assert r.tolist() == np.reshape(a, s).tolist()
    return None


def dim(data, n, extra=0):
    return data.draw(st.integers(-(n + extra), n + extra - 1))


def op_transpose(data, t, a, base_a):
    if a.ndim == 0:
        return None
    d0, d1 = dim(data, a.ndim), dim(data, a.ndim)
    return t.transpose(d0, d1), np.swapaxes(a, d0, d1)


def op_permute(data, t, a, base_a):
    p = data.draw(st.permutations(range(a.ndim)))
    return t.permute(*p), a.transpose(p)


def op_movedim(data, t, a, base_a):
    if a.ndim == 0:
        return None
    s, d = dim(data, a.ndim), dim(data, a.ndim)
    return t.movedim(s, d), np.moveaxis(a, s, d)


def op_squeeze(data, t, a, base_a):
    if a.ndim == 0 or data.draw(st.booleans()):
        return t.squeeze(), np.squeeze(a)
    d = dim(data, a.ndim)
    return t.squeeze(d), (np.squeeze(a, d) if a.shape[d] == 1 else a)


def op_unsqueeze(data, t, a, base_a):
    d = dim(data, a.ndim + 1)
    return t.unsqueeze(d), np.expand_dims(a, d)


def op_flatten(data, t, a, base_a):
    if a.ndim == 0:
        return t.flatten(), a.reshape(1)
    s, e = sorted([data.draw(st.integers(0, a.ndim - 1)) for _ in range(2)])
    f = t.flatten(s, e)
    shape = a.shape[:s] + (math.prod(a.shape[s:e + 1]),) + a.shape[e + 1:]
    try:
        return f, wview(base_a, np.reshape(a, shape, copy=False))
    except ValueError:
        assert f.tolist() == a.reshape(shape).tolist()
        return None


def op_unflatten(data, t, a, base_a):
    if a.ndim == 0:
        return None
    d = data.draw(st.integers(0, a.ndim - 1))
    n = a.shape[d]
    if n == 0:
        return None
    k = data.draw(st.sampled_from([k for k in range(1, n + 1) if n % k == 0]))
    shape = a.shape[:d] + (k, n // k) + a.shape[d + 1:]
    return t.unflatten(d, (k, -1)), wview(base_a, np.reshape(a, shape, copy=False))


def op_expand(data, t, a, base_a):
    lead = data.draw(st.integers(0, 2))
    target = [data.draw(st.integers(1, 3)) for _ in range(lead)]
    strides = [0] * lead
    for n, s in zip(a.shape, a.strides):
        if n == 1 and data.draw(st.booleans()):
            target.append(data.draw(st.integers(0, 3)))
            strides.append(0)
        else:
            target.append(n if data.draw(st.booleans()) else -1)
            strides.append(s)
    shape = [n if n != -1 else a.shape[i - lead] for i, n in enumerate(target)]
    e = t.expand(*target)
    na = np.lib.stride_tricks.as_strided(a, shape, strides) if a.size else np.broadcast_to(a, shape)
    return e, wview(base_a, na) if na.size and a.size else na


def op_narrow(data, t, a, base_a):
    if a.ndim == 0:
        return None
    d = data.draw(st.integers(0, a.ndim - 1))
    start = data.draw(st.integers(0, a.shape[d]))
    length = data.draw(st.integers(0, a.shape[d] - start))
    idx = (slice(None),) * d + (slice(start, start + length),)
    return t.narrow(d, start, length), a[idx]


def op_select(data, t, a, base_a):
    if a.ndim == 0 or 0 in a.shape:
        return None
    d = data.draw(st.integers(0, a.ndim - 1))
    i = data.draw(st.integers(-a.shape[d], a.shape[d] - 1))
    return t.select(d, i), a[(slice(None),) * d + (i, Ellipsis)]


def op_unfold(data, t, a, base_a):
    if a.ndim == 0 or a.shape[0] == 0:
        return None
    d = data.draw(st.integers(0, a.ndim - 1))
    size = data.draw(st.integers(0, a.shape[d]))
    step = data.draw(st.integers(1, 3))
    w = np.lib.stride_tricks.sliding_window_view(a, size, axis=d)
    w = w[(slice(None),) * d + (slice(None, None, step),)]
    return t.unfold(d, size, step), wview(base_a, w)


def op_diagonal(data, t, a, base_a):
    if a.ndim < 2:
        return None
    d1 = data.draw(st.integers(0, a.ndim - 1))
    d2 = data.draw(st.integers(0, a.ndim - 1).filter(lambda x: x != d1))
    off = data.draw(st.integers(-3, 3))
    return t.diagonal(off, d1, d2), wview(base_a, np.diagonal(a, off, d1, d2))


def op_as_strided(data, t, a, base_a):
    n = base_a.size
    if n == 0:
        return None
    nd = data.draw(st.integers(0, 3))
    size = [data.draw(st.integers(1, 3)) for _ in range(nd)]
    stride = [data.draw(st.integers(0, 3)) for _ in range(nd)]
    far = sum((s - 1) * st_ for s, st_ in zip(size, stride))
    if far >= n:
        return None
    off = data.draw(st.integers(0, n - 1 - far))
    na = np.ndarray(size, base_a.dtype, buffer=base_a, offset=off * 8, strides=[s * 8 for s in stride])
    return t.as_strided(size, stride, off), na


def op_getitem(data, t, a, base_a):
    items, consumed = [], 0
    has_ellipsis = False
    while consumed < a.ndim and data.draw(st.booleans()):
        n = a.shape[consumed]
        kind = data.draw(st.sampled_from(["int", "slice", "none", "ellipsis"]))
        if kind == "int" and n:
            items.append(data.draw(st.integers(-n, n - 1)))
            consumed += 1
        elif kind == "slice":
            lo = data.draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
            hi = data.draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
            step = data.draw(st.one_of(st.none(), st.integers(1, 3)))
            items.append(slice(lo, hi, step))
            consumed += 1
        elif kind == "none":
            items.append(None)
        elif kind == "ellipsis" and not has_ellipsis:
            items.append(Ellipsis)
            has_ellipsis = True
            break
    idx = tuple(items)
    np_idx = idx if has_ellipsis else idx + (Ellipsis,)
    return t[idx], a[np_idx]


OPS = [op_view, op_transpose, op_permute, op_movedim, op_squeeze, op_unsqueeze, op_flatten, op_unflatten,
       op_expand, op_narrow, op_select, op_unfold, op_diagonal, op_as_strided, op_getitem]


@given(st.data())
def test_random_view_chains_match_numpy(data):
    shape = data.draw(shapes(0, 4, 0, 4))
    n = math.prod(shape)
    base_t = ember.arange(n, dtype=ember.float64).reshape(shape)
    base_a = np.arange(n, dtype=np.float64).reshape(shape)
    t, a = base_t, base_a
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(OPS))
        r = op(data, t, a, base_a)
        if r is None:
            continue
        t, a = r
        check(t, a, base_t, base_a)
    # A write through the final view shows in the base, exactly where numpy's does.
    if a.size:
        idx = tuple(data.draw(st.integers(0, s - 1)) for s in a.shape)
        t[idx] = -1.0
        a[idx] = -1.0
        assert base_t.tolist() == base_a.tolist()


@given(strided_pair(dtypes=["float32", "int64", "bool"]))
def test_contiguous_copies_only_when_needed(pair):
    t, a = pair
    c = t.contiguous()
    if t.is_contiguous():
        assert c is t
    else:
        assert c.untyped_storage().data_ptr() != t.untyped_storage().data_ptr()
        assert c.is_contiguous()
        assert c.stride() == tuple(s // a.itemsize for s in np.ascontiguousarray(a).strides) or 0 in a.shape
    assert_close(c, a)
    assert t.is_contiguous() == (a.flags.c_contiguous or a.size <= 1 or _np_contig_ignoring_ones(a))


def _np_contig_ignoring_ones(a):
    expected = a.itemsize
    for n, s in reversed(list(zip(a.shape, a.strides))):
        if n != 1:
            if s != expected:
                return False
            expected *= n
    return True


@given(strided_pair(dtypes=["float32"], allow_expand=False), st.sampled_from(["float64", "int32", "bool", "float32"]),
       st.data())
def test_copy_broadcasts_and_converts(pair, src_dtype, data):
    t, a = pair
    a = np.array(a)
    k = data.draw(st.integers(0, a.ndim))
    src_shape = tuple(1 if data.draw(st.booleans()) else n for n in a.shape[a.ndim - k:])
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    src = values(src_shape, src_dtype, rng)
    before = t.untyped_storage().data_ptr()
    r = t.copy_(to_ember(src))
    assert r is t and t.untyped_storage().data_ptr() == before
    a[...] = src.astype(np.float32)
    assert_close(t, a)


@given(strided_pair(dtypes=["float32", "int64"], min_dims=1, allow_expand=False), st.data())
def test_setitem_writes_through_views(pair, data):
    t, a = pair
    a = np.array(a)
    d = data.draw(st.integers(0, a.ndim - 1))
    n = a.shape[d]
    sl = slice(data.draw(st.integers(0, n)), None, data.draw(st.integers(1, 2)))
    idx = (slice(None),) * d + (sl,)
    if data.draw(st.booleans()):
        t[idx] = 7
        a[idx] = 7
    else:
        target = a[idx].shape
        src_shape = tuple(1 if data.draw(st.booleans()) else s for s in target[1:])
        src = np.arange(math.prod(src_shape), dtype=a.dtype).reshape(src_shape)
        t[idx] = to_ember(src)
        a[idx] = src
    assert_close(t, a)


def test_view_errors_and_messages():
    x = ember.arange(12.0).reshape(3, 4)
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
        x.t().view(12)
    with pytest.raises(RuntimeError, match=r"shape '\[5, -1\]' is invalid for input of size 12"):
        x.view(5, -1)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.view(-1, -1)
    assert x.t().reshape(12).tolist() == x.t().contiguous().view(12).tolist()


def test_view_attributes():
    x = ember.arange(24.0).reshape(2, 3, 4)
    assert x.T.shape == (4, 3, 2) and x.T.stride() == (1, 4, 12)
    assert x.mT.shape == (2, 4, 3)
    y = x[1, :, ::2]
    assert y.storage_offset() == 12 and y.stride() == (4, 2)
    assert y._base is x._base and x._base is not None
    assert y.data_ptr() == x.data_ptr() + 12 * 4


# ---- the split family ----

@given(strided_pair(dtypes=["float64"], min_dims=1), st.integers(1, 6), st.data())
def test_split_family_matches_numpy(pair, k, data):
    t, a = pair
    d = data.draw(st.integers(-a.ndim, a.ndim - 1))
    n = a.shape[d]
    for got, want in zip(ember.tensor_split(t, k, d), np.array_split(a, k, axis=d)):
        assert_close(got, want)
        assert got.untyped_storage().data_ptr() == t.untyped_storage().data_ptr()
    assert len(ember.tensor_split(t, k, d)) == k
    idx = sorted(data.draw(st.lists(st.integers(-n - 1, n + 1), max_size=3)))
    got = t.tensor_split(idx, d)
    want = np.array_split(a, idx, axis=d)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert_close(g, w)
    pieces = t.split(k, d)
    assert len(pieces) == max(1, -(-n // k))
    for i, p in enumerate(pieces):
        assert_close(p, np.take(a, range(i * k, min(n, (i + 1) * k)), axis=d))
    chunks = t.chunk(k, d)
    size = -(-n // k) if n else 0
    assert all(c.shape[d] == size for c in chunks[:-1])
    assert sum(c.shape[d] for c in chunks) == n
    for g, w in zip(t.unbind(d), np.moveaxis(a, d, 0)):
        assert_close(g, w)
    assert len(t.unbind(d)) == n


def test_split_with_sizes_and_errors():
    assert [c.shape for c in ember.zeros(0, 2).chunk(3)] == [(0, 2)] * 3
    assert [c.shape for c in ember.zeros(0, 2).split(2)] == [(0, 2)]
    assert [c.tolist() for c in ember.arange(5).chunk(4)] == [[0, 1], [2, 3], [4]]
    x = ember.arange(10)
    assert [p.tolist() for p in x.split([2, 3, 5])] == [[0, 1], [2, 3, 4], [5, 6, 7, 8, 9]]
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly to 10"):
        x.split([2, 3])
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0"):
        x.chunk(0)
    with pytest.raises(RuntimeError, match="number of sections must be larger than 0"):
        x.tensor_split(0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.split(2, dim=1)
    with pytest.raises(TypeError):
        x.split(2.5)


def test_hsplit_vsplit_dsplit_match_numpy():
    a = np.arange(48.0).reshape(2, 4, 6)
    t = ember.tensor(a)
    for ef, nf, arg in [(ember.hsplit, np.hsplit, 2), (ember.vsplit, np.vsplit, 2), (ember.dsplit, np.dsplit, 3),
                        (ember.hsplit, np.hsplit, [1, 3]), (ember.dsplit, np.dsplit, [5])]:
        got, want = ef(t, arg), nf(a, arg)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_close(g, w)
    assert [p.tolist() for p in ember.hsplit(ember.arange(6), 3)] == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(RuntimeError, match="not divisible by the split_size 3"):
        ember.hsplit(t, 3)
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        ember.vsplit(ember.arange(4), 2)


def test_split_pieces_carry_autograd():
    x = ember.arange(6.0, requires_grad=True)
    a, b = x.chunk(2)
    (a * 2 + b * 3).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0, 3.0, 3.0, 3.0]
    y = ember.ones(2, 3, requires_grad=True)
    r0, r1 = y.unbind()
    (r0 * 5).sum().backward()
    assert y.grad.tolist() == [[5.0] * 3, [0.0] * 3]


def test_broadcast_tensors_and_atleast():
    a, b = ember.arange(3.0), ember.arange(2.0).reshape(2, 1)
    x, y = ember.broadcast_tensors(a, b)
    na, nb = np.broadcast_arrays(np.arange(3.0), np.arange(2.0).reshape(2, 1))
    assert_close(x, na, check_dtype=False)
    assert_close(y, nb, check_dtype=False)
    assert x.stride() == (0, 1) and x.data_ptr() == a.data_ptr()
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        ember.broadcast_tensors(ember.ones(3), ember.ones(4))
    for ef, nf in [(ember.atleast_1d, np.atleast_1d), (ember.atleast_2d, np.atleast_2d), (ember.atleast_3d, np.atleast_3d)]:
        for shape in [(), (3,), (2, 3), (2, 3, 4)]:
            n = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
            t = ember.arange(math.prod(shape), dtype=ember.float32).reshape(shape)
            r = ef(t)
            assert_close(r, nf(n))
            assert r.data_ptr() == t.data_ptr()
        pair = ef(ember.tensor(1.0), ember.ones(2))
        assert isinstance(pair, tuple) and len(pair) == 2

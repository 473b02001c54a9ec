"""Sparse COO tensors against the same computation on dense NumPy arrays."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from strategies import assert_close


@st.composite
def coo(draw, max_sparse=3, max_dense=1, dtype="float64"):
    """(indices, values, size, dense numpy) with duplicate index columns on purpose."""
    sd = draw(st.integers(1, max_sparse))
    dd = draw(st.integers(0, max_dense))
    size = tuple(draw(st.lists(st.integers(1, 5), min_size=sd + dd, max_size=sd + dd)))
    nnz = draw(st.integers(0, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    idx = np.stack([rng.integers(0, size[k], nnz) for k in range(sd)]) if nnz else np.zeros((sd, 0), np.int64)
    if nnz > 1 and draw(st.booleans()):
        idx[:, -1] = idx[:, 0]  # a duplicate column
    vals = rng.standard_normal((nnz,) + size[sd:]).astype(dtype)
    dense = np.zeros(size, dtype)
    for k in range(nnz):
        dense[tuple(idx[:, k])] += vals[k]
    return idx.astype(np.int64), vals, size, dense


def make(idx, vals, size, **kw):
    return ember.sparse_coo_tensor(ember.tensor(idx.tolist(), dtype=ember.int64).reshape(idx.shape),
                                   ember.from_numpy(vals.copy()), size, **kw)


@given(coo())
def test_to_dense_sums_duplicates(c):
    idx, vals, size, dense = c
    s = make(idx, vals, size)
    assert s.is_sparse and s.layout == ember.sparse_coo and s.shape == size
    assert s._nnz() == idx.shape[1] and s.sparse_dim() == idx.shape[0] and s.dense_dim() == len(size) - idx.shape[0]
    assert_close(s.to_dense(), dense)


@given(coo())
def test_coalesce_sorts_and_merges(c):
    idx, vals, size, dense = c
    s = make(idx, vals, size).coalesce()
    assert s.is_coalesced()
    ind = s.indices().numpy()
    lin = np.ravel_multi_index(tuple(ind), size[: ind.shape[0]]) if ind.size else np.zeros(0)
    assert np.all(np.diff(lin) > 0)  # sorted and unique
    assert_close(s.to_dense(), dense)
    assert s.coalesce() is s


@given(st.integers(0, 2**32 - 1), st.lists(st.integers(1, 4), min_size=1, max_size=3), st.floats(0, 1))
def test_to_sparse_roundtrip(seed, shape, density):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape) * (rng.random(shape) < density)
    t = ember.from_numpy(a)
    s = t.to_sparse()
    assert s.is_coalesced() and s._nnz() == np.count_nonzero(a)
    assert_close(s.to_dense(), a)
    if len(shape) > 1:
        s1 = t.to_sparse(1)
        assert s1.sparse_dim() == 1 and s1._nnz() == np.count_nonzero(np.any(a != 0, axis=tuple(range(1, a.ndim))))
        assert_close(s1.to_dense(), a)


@given(coo(), st.data())
def test_add_sparse_sparse_and_dense(c, data):
    idx, vals, size, dense = c
    rng = np.random.default_rng(0)
    idx2 = np.stack([rng.integers(0, size[k], 3) for k in range(idx.shape[0])]).astype(np.int64)
    vals2 = rng.standard_normal((3,) + size[idx.shape[0]:])
    d2 = np.zeros(size)
    for k in range(3):
        d2[tuple(idx2[:, k])] += vals2[k]
    a, b = make(idx, vals, size), make(idx2, vals2, size)
    alpha = data.draw(st.sampled_from([1, 2.5]))
    r = ember._native._sparse_add(a, b, alpha)
    assert r.is_sparse
    assert_close(r.to_dense(), dense + alpha * d2)
    other = rng.standard_normal(size)
    assert_close(ember._native._sparse_add(a, ember.from_numpy(other), alpha), dense + alpha * other)


@given(coo())
def test_mul_by_scalar_and_dense(c):
    idx, vals, size, dense = c
    s = make(idx, vals, size)
    assert_close(ember._native._sparse_mul(s, 3.0).to_dense(), dense * 3)
    other = np.random.default_rng(1).standard_normal(size)
    m = ember._native._sparse_mul(s, ember.from_numpy(other))
    assert m.is_sparse
    assert_close(m.to_dense(), dense * other)


@given(coo(max_dense=0))
def test_mul_sparse_sparse_keeps_common_indices(c):
    idx, vals, size, dense = c
    s = make(idx, vals, size)
    assert_close(ember._native._sparse_mul(s, s).to_dense(), dense * dense)


@given(coo(), st.data())
def test_sum_all_and_dims(c, data):
    idx, vals, size, dense = c
    s = make(idx, vals, size)
    assert_close(ember.sparse.sum(s), np.array(dense.sum()))
    dims = data.draw(st.lists(st.integers(0, len(size) - 1), min_size=1, max_size=len(size), unique=True))
    r = ember.sparse.sum(s, dims)
    expect = dense.sum(axis=tuple(dims))
    sd = idx.shape[0]
    assert r.is_sparse == (not all(d in dims for d in range(sd)))
    assert_close(r.to_dense(), expect)


@given(coo(max_dense=1), st.data())
def test_transpose(c, data):
    idx, vals, size, dense = c
    s = make(idx, vals, size)
    sd = idx.shape[0]
    pairs = [(a, b) for a in range(len(size)) for b in range(len(size)) if (a < sd) == (b < sd)]
    a, b = data.draw(st.sampled_from(pairs))
    assert_close(ember._native._sparse_transpose(s, a, b).to_dense(), np.swapaxes(dense, a, b))


def test_transpose_sparse_with_dense_dim_is_refused():
    s = make(np.array([[0, 1]]), np.ones((2, 3)), (2, 3))
    with pytest.raises(RuntimeError, match="sparse dim with a dense dim"):
        ember._native._sparse_transpose(s, 0, 1)


@given(coo(max_sparse=2, max_dense=0).filter(lambda c: len(c[2]) == 2), st.integers(1, 4))
def test_mm_matches_dense(c, p):
    idx, vals, size, dense = c
    s = make(idx, vals, size)
    d = np.random.default_rng(2).standard_normal((size[1], p))
    assert_close(ember.sparse.mm(s, ember.from_numpy(d)), dense @ d)


def test_mm_backward_reaches_values_and_dense():
    idx = np.array([[0, 1, 1, 0], [2, 0, 2, 2]])
    v = ember.tensor([1.0, 2.0, 3.0, 4.0], dtype=ember.float64, requires_grad=True)
    d = ember.randn(3, 2, dtype=ember.float64, requires_grad=True)
    s = ember.sparse_coo_tensor(ember.tensor(idx.tolist()), v, (2, 3))
    assert s.requires_grad and s.grad_fn is not None
    assert ember.autograd.gradcheck(lambda v, d: ember.sparse.mm(ember.sparse_coo_tensor(ember.tensor(idx.tolist()), v, (2, 3)), d),
                                    (v, d))
    ember.sparse.mm(s, d).sum().backward()
    dn = d.detach().numpy()
    g = np.ones((2, 2))
    assert_close(v.grad, np.array([g[r] @ dn[c] for r, c in idx.T]))
    assert_close(d.grad, s.to_dense().detach().numpy().T @ g)


def test_gradcheck_through_to_dense_and_coalesce():
    idx = ember.tensor([[0, 1, 0], [1, 1, 1]])
    v = ember.tensor([0.5, -1.0, 2.0], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda v: ember.sparse_coo_tensor(idx, v, (2, 2)).to_dense() * 3, (v,))
    assert ember.autograd.gradcheck(lambda v: ember.sparse_coo_tensor(idx, v, (2, 2)).coalesce().to_dense(), (v,))


def test_sparse_leaf_gets_sparse_grad():
    idx = ember.tensor([[0, 1], [1, 0]])
    s = ember.sparse_coo_tensor(idx, ember.tensor([1.0, 2.0]), (2, 2), requires_grad=True)
    assert s.is_leaf and s.requires_grad and s.grad is None
    d = ember.ones(2, 3)
    ember.sparse.mm(s, d).sum().backward()
    g = s.grad
    assert g.is_sparse
    assert_close(g.to_dense(), np.array([[0.0, 3.0], [3.0, 0.0]], np.float32))
    s.grad = None
    assert s.grad is None


def test_empty_sparse():
    s = ember.sparse_coo_tensor(ember.zeros(2, 0, dtype=ember.int64), ember.zeros(0), (3, 4))
    assert s._nnz() == 0
    assert_close(s.to_dense(), np.zeros((3, 4), np.float32))
    assert_close(s.coalesce().to_dense(), np.zeros((3, 4), np.float32))
    assert_close(ember.sparse.sum(s), np.array(0.0, np.float32))
    assert_close(ember.sparse.mm(s, ember.ones(4, 2)), np.zeros((3, 2), np.float32))
    assert "nnz=0" in repr(s)


def test_size_inferred_and_validated():
    s = ember.sparse_coo_tensor([[0, 3], [1, 1]], [1.0, 2.0])
    assert s.shape == (4, 2)
    with pytest.raises(RuntimeError, match="size is inconsistent with indices"):
        ember.sparse_coo_tensor([[0, 3]], [1.0, 2.0], (3,))
    with pytest.raises(RuntimeError, match="same nnz"):
        ember.sparse_coo_tensor([[0, 1]], [1.0], (3,))
    with pytest.raises(RuntimeError, match="int64"):
        ember.sparse_coo_tensor(ember.tensor([[0, 1]], dtype=ember.int32), [1.0, 2.0], (3,))


def test_uncoalesced_indices_refused_like_pytorch():
    s = ember.sparse_coo_tensor([[0, 0]], [1.0, 2.0], (2,))
    assert not s.is_coalesced()
    with pytest.raises(RuntimeError, match="uncoalesced"):
        s.indices()
    assert s._indices().shape == (1, 2) and s._values().shape == (2,)
    assert s.coalesce().values().tolist() == [3.0]


def test_repr_in_pytorch_format():
    s = ember.sparse_coo_tensor([[0, 1, 1], [2, 0, 2]], [3.0, 4.0, 5.0], (2, 3))
    r = repr(s)
    assert r.startswith("tensor(indices=tensor([[0, 1, 1],\n                       [2, 0, 2]]),\n       values=tensor([3., 4., 5.])")
    assert "size=(2, 3), nnz=3" in r and "layout=ember.sparse_coo" in r


@given(coo(max_dense=0))
def test_sparse_operators_route_to_sparse_kernels(c):
    idx, vals, size, dense = c
    s = make(idx, vals, size)
    other = np.random.default_rng(3).standard_normal(size)
    o = ember.from_numpy(other)
    assert (s + s).is_sparse and (s * 2).is_sparse and (2 * s).is_sparse and (s * o).is_sparse
    assert_close((s + s).to_dense(), dense * 2)
    assert_close((s - s).to_dense(), dense * 0)
    assert_close((s * 2.5).to_dense(), dense * 2.5)
    assert_close((s / 2).to_dense(), dense / 2)
    assert_close((s * o).to_dense(), dense * other)
    assert_close((o * s).to_dense(), dense * other)
    assert_close(s + o, dense + other)
    assert_close(o + s, dense + other)
    assert_close((-s).to_dense(), -dense)
    assert_close(s.abs().to_dense(), np.abs(dense))
    assert_close(s.tanh().to_dense(), np.tanh(dense))
    assert_close((s ** 2).to_dense(), dense ** 2)
    assert_close((o - s), other - dense)
    assert_close((s - o), dense - other)
    cl = s.clone()
    assert cl.is_sparse and cl._values() is not s._values()
    assert_close(cl.to_dense(), dense)
    assert_close(s.sum(), np.array(dense.sum()))
    assert_close(ember.sum(s), np.array(dense.sum()))
    assert_close(s.double().to_dense(), dense)
    if len(size) >= 2:
        assert_close(s.transpose(0, 1).to_dense(), np.swapaxes(dense, 0, 1))
    if len(size) == 2:
        assert_close(s.t().to_dense(), dense.T)
        d = np.random.default_rng(4).standard_normal((size[1], 3))
        assert_close(s @ ember.from_numpy(d), dense @ d)
        assert_close(ember.mm(s, ember.from_numpy(d)), dense @ d)
        assert_close(s.mm(ember.from_numpy(d)), dense @ d)


def test_ops_without_a_sparse_rule_name_the_layout():
    s = ember.sparse_coo_tensor([[0, 1]], [1.0, 2.0], (3,))
    with pytest.raises(NotImplementedError, match="SparseCPU"):
        s.exp()
    with pytest.raises(NotImplementedError, match="SparseCPU"):
        s.cumsum(0)
    with pytest.raises(TypeError, match="to_dense"):
        s.numpy()
    with pytest.raises(NotImplementedError, match="SparseCPU"):
        s.item() if s.numel() == 1 else s.tolist()
    with pytest.raises(RuntimeError, match="strides"):
        s.stride()


def test_detach_keeps_the_sparse_layout():
    v = ember.tensor([1.0, 2.0], requires_grad=True)
    s = ember.sparse_coo_tensor([[0, 1]], v, (3,))
    d = s.detach()
    assert d.is_sparse and not d.requires_grad
    assert d.to_dense().tolist() == [1.0, 2.0, 0.0]


def test_trace_shows_cpu_sparse_dispatch():
    s = ember.sparse_coo_tensor([[0, 1], [1, 0]], [1.0, 2.0], (2, 2))
    with ember.inspect.trace() as t:
        s @ ember.ones(2, 3)
        ember.ones(2, 2) + 1
    fams = [e.dispatch for e in t.events]
    assert "cpu-sparse" in fams and "cpu-strided" in fams
    assert "dispatch" in t.table(file=open("/dev/null", "w"))

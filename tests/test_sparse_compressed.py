"""Sparse compressed tensors (CSR/CSC/BSR/BSC) against scipy.sparse and dense NumPy."""
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings, strategies as st

import ember
from strategies import assert_close

LAYOUTS = {"csr": ember.sparse_csr, "csc": ember.sparse_csc, "bsr": ember.sparse_bsr, "bsc": ember.sparse_bsc}


def to_layout(t, name, blocksize=(2, 2)):
    if name in ("bsr", "bsc"):
        return getattr(t, f"to_sparse_{name}")(blocksize)
    return getattr(t, f"to_sparse_{name}")()


@st.composite
def sparse_dense(draw, blocked=False, max_batch=0, dtype=np.float64):
    """A dense array with a random sparsity pattern (as ember would store it), sides divisible
    by 2 when ``blocked``, and a strided (transposed or stepped) ember view of it."""
    nb = draw(st.integers(0, max_batch))
    mult = 2 if blocked else 1
    n, m = draw(st.integers(1, 4)) * mult, draw(st.integers(1, 4)) * mult
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    density = draw(st.sampled_from([0.0, 0.2, 0.5, 1.0]))
    shape = (2,) * nb + (n, m)
    a = rng.standard_normal(shape).astype(dtype) * (rng.random(shape) < density)
    if nb:  # the same pattern in every batch (PyTorch's rule: one nnz per batch)
        a = a * (a[(0,) * nb] != 0) + (a[(0,) * nb] != 0) * (a == 0)
    if draw(st.booleans()):  # a transposed (non-contiguous) ember view holding the same values
        t = ember.from_numpy(np.ascontiguousarray(np.swapaxes(a, -1, -2))).transpose(-1, -2)
    else:
        t = ember.from_numpy(a.copy())
    return a, t


# ---- construction and invariants ------------------------------------------------------------

def test_csr_parts_match_scipy():
    a = np.array([[1., 0, 2], [0, 0, 3]])
    c = ember.tensor(a).to_sparse_csr()
    s = sp.csr_matrix(a)
    assert c.layout is ember.sparse_csr and isinstance(c, ember.Tensor)
    assert c.is_sparse_csr and not c.is_sparse
    np.testing.assert_array_equal(c.crow_indices().numpy(), s.indptr)
    np.testing.assert_array_equal(c.col_indices().numpy(), s.indices)
    np.testing.assert_array_equal(c.values().numpy(), s.data)
    assert c._nnz() == 3 and c.sparse_dim() == 2 and c.dense_dim() == 0 and c.shape == (2, 3)
    t = ember.tensor(a).to_sparse_csc()
    s = sp.csc_matrix(a)
    np.testing.assert_array_equal(t.ccol_indices().numpy(), s.indptr)
    np.testing.assert_array_equal(t.row_indices().numpy(), s.indices)
    np.testing.assert_array_equal(t.values().numpy(), s.data)


def test_bsr_parts_match_scipy():
    a = np.zeros((4, 6))
    a[0:2, 2:4] = [[1, 2], [3, 4]]
    a[2:4, 0:2] = [[5, 0], [0, 6]]
    b = ember.tensor(a).to_sparse_bsr((2, 2))
    s = sp.bsr_matrix(a, blocksize=(2, 2))
    np.testing.assert_array_equal(b.crow_indices().numpy(), s.indptr)
    np.testing.assert_array_equal(b.col_indices().numpy(), s.indices)
    np.testing.assert_array_equal(b.values().numpy(), s.data)
    assert b.values().shape == (2, 2, 2)
    assert_close(b.to_dense(), a)
    c = ember.tensor(a).to_sparse_bsc((2, 2))
    assert c.layout is ember.sparse_bsc
    assert_close(c.to_dense(), a)
    np.testing.assert_array_equal(c.ccol_indices().numpy(), [0, 1, 2, 2])


def test_constructors_infer_size_and_dtype():
    c = ember.sparse_csr_tensor([0, 2, 3], [0, 2, 2], [1., 2, 3])
    assert c.shape == (2, 3) and c.dtype == ember.float32 and c.crow_indices().dtype == ember.int64
    c = ember.sparse_csr_tensor(ember.tensor([0, 2, 3], dtype=ember.int32), ember.tensor([0, 2, 2], dtype=ember.int32),
                                ember.tensor([1, 2, 3]), (2, 4), dtype=ember.float64)
    assert c.shape == (2, 4) and c.dtype == ember.float64 and c.col_indices().dtype == ember.int32
    assert ember.sparse_csc_tensor([0, 2, 3], [0, 2, 2], [1., 2, 3]).shape == (3, 2)
    assert ember.sparse_bsr_tensor([0, 1, 2], [0, 1], ember.ones(2, 2, 3)).shape == (4, 6)
    assert ember.sparse_bsc_tensor([0, 1, 2], [0, 1], ember.ones(2, 2, 3)).shape == (4, 6)
    h = ember.sparse_csr_tensor([0, 2, 3], [0, 2, 2], ember.ones(3, 4))
    assert h.shape == (2, 3, 4) and h.dense_dim() == 1
    b = ember.sparse_csr_tensor([[0, 2, 3], [0, 1, 3]], [[0, 2, 2], [1, 0, 1]], [[1., 2, 3], [4, 5, 6]])
    assert b.shape == (2, 2, 3)
    assert_close(b.to_dense(), np.array([[[1., 0, 2], [0, 0, 3]], [[0, 4, 0], [5, 6, 0]]]), check_dtype=False)
    g = ember.sparse_compressed_tensor([0, 2, 3], [0, 2, 2], [1., 2, 3], (3, 2), layout=ember.sparse_csc)
    assert g.layout is ember.sparse_csc
    z = ember.sparse_csr_tensor([0, 0, 0], [], [])
    assert z.shape == (2, 0) and z._nnz() == 0


@pytest.mark.parametrize("args, kw, match", [
    (([1, 2, 3], [0, 2, 2], [1., 2, 3], (2, 3)), {}, r"crow_indices\[\.\.\., 0\] == 0"),
    (([0, 2, 2], [0, 2, 2], [1., 2, 3], (2, 3)), {}, r"crow_indices\[\.\.\., -1\] == nnz"),
    (([0, 2, 3], [0, 2, 2], [1., 2, 3], (3, 3)), {}, r"number of rows \+ 1"),
    (([0, 2, 3], [0, 3, 2], [1., 2, 3], (2, 3)), {}, r"0 <= col_indices < ncols"),
    (([0, 2, 3], [2, 0, 2], [1., 2, 3], (2, 3)), {"check_invariants": True}, "sorted and distinct"),
    (([0, 2, 3], [0, 0, 2], [1., 2, 3], (2, 3)), {"check_invariants": True}, "sorted and distinct"),
    (([0, 2, 3], [0, 2, 2], [1., 2], (2, 3)), {}, r"values.shape\[0\]"),
    (([0, 2, 3], [0, 2, 2], [1., 2, 3], (6,)), {}, "dimensionality"),
])
def test_invariant_errors(args, kw, match):
    with pytest.raises(RuntimeError, match=match):
        ember.sparse_csr_tensor(*args, **kw)


def test_unsorted_plain_indices_pass_without_check_invariants():
    c = ember.sparse_csr_tensor([0, 2, 3], [2, 0, 2], [1., 2, 3], (2, 3))
    assert_close(c.to_dense(), np.array([[2., 0, 1], [0, 0, 3]]), check_dtype=False)


def test_bad_arguments_raise_pytorch_types():
    with pytest.raises(RuntimeError, match="expected sparse compressed tensor layout but got none"):
        ember.sparse_compressed_tensor([0, 1], [0], [1.], (1, 1))
    with pytest.raises(RuntimeError, match="got Strided"):
        ember.sparse_compressed_tensor([0, 1], [0], [1.], (1, 1), layout=ember.strided)
    with pytest.raises(RuntimeError, match="int32 or int64"):
        ember.sparse_csr_tensor(ember.tensor([0., 1]), ember.tensor([0.]), [1.], (1, 1))
    with pytest.raises(RuntimeError, match="floating point"):
        ember.sparse_csr_tensor([0, 1], [0], [1], (1, 1), requires_grad=True)
    with pytest.raises(RuntimeError, match="divisible"):
        ember.ones(4, 6).to_sparse_bsr((3, 3))
    with pytest.raises(RuntimeError, match="blocksize"):
        ember.ones(4, 6).to_sparse(layout=ember.sparse_bsr)
    with pytest.raises(RuntimeError, match="same number of specified elements"):
        ember.tensor([[[1., 0]], [[1., 1]]]).to_sparse_csr()
    c = ember.ones(2, 2).to_sparse_csr()
    with pytest.raises(RuntimeError, match="column compressed"):
        c.ccol_indices()
    with pytest.raises(RuntimeError, match="row compressed"):
        ember.ones(2, 2).to_sparse_csc().crow_indices()
    with pytest.raises(RuntimeError, match="Strided"):
        ember.ones(2, 2).crow_indices()
    with pytest.raises(RuntimeError, match="sparse coordinate"):
        c.indices()


# ---- conversions ----------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(sparse_dense(blocked=True, max_batch=1), st.sampled_from(list(LAYOUTS)), st.sampled_from(list(LAYOUTS)))
def test_conversions_round_trip(ad, src, dst):
    a, t = ad
    s = to_layout(t, src)
    assert s.layout is LAYOUTS[src] and s.shape == a.shape
    assert_close(s.to_dense(), a)
    if a.ndim == 2 or (src in ("csr", "csc") and dst in ("csr", "csc")):
        d = to_layout(s, dst)
        assert d.layout is LAYOUTS[dst]
        assert_close(d.to_dense(), a)
    coo = s.to_sparse()
    assert coo.layout is ember.sparse_coo
    assert_close(coo.to_dense(), a)
    if a.ndim == 2:
        assert_close(to_layout(t.to_sparse(), src).to_dense(), a)
        assert_close(t.to_sparse(layout=LAYOUTS[src], blocksize=(2, 2) if src[0] == "b" else None).to_dense(), a)


@settings(max_examples=25, deadline=None)
@given(sparse_dense())
def test_csr_csc_match_scipy(ad):
    a, t = ad
    for name, ref in (("csr", sp.csr_matrix(a)), ("csc", sp.csc_matrix(a))):
        s = to_layout(t, name)
        ref.eliminate_zeros()
        ref.sort_indices()
        np.testing.assert_array_equal(s.values().numpy(), ref.data)
        np.testing.assert_array_equal((s.crow_indices() if name == "csr" else s.ccol_indices()).numpy(), ref.indptr)
        np.testing.assert_array_equal((s.col_indices() if name == "csr" else s.row_indices()).numpy(), ref.indices)


def test_hybrid_dense_dim():
    a = np.zeros((3, 4, 2))
    a[0, 1] = [1, 2]
    a[2, 3] = [0, 5]
    c = ember.tensor(a).to_sparse_csr(dense_dim=1)
    assert c.values().shape == (2, 2) and c.dense_dim() == 1
    assert_close(c.to_dense(), a)


# ---- products -------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(sparse_dense(blocked=True), st.sampled_from(list(LAYOUTS)), st.integers(1, 3))
def test_sparse_dense_products(ad, name, p):
    a, t = ad
    s = to_layout(t, name)
    rng = np.random.default_rng(0)
    d = rng.standard_normal((a.shape[1], p))
    assert_close(s @ ember.tensor(d), a @ d)
    assert_close(ember.mm(s, ember.tensor(d)), a @ d)
    assert_close(ember.sparse.mm(s, ember.tensor(d)), a @ d)
    assert_close(s.matmul(ember.tensor(d)), a @ d)
    v = rng.standard_normal(a.shape[1])
    assert_close(s @ ember.tensor(v), a @ v)
    assert_close(s.mv(ember.tensor(v)), a @ v)
    e = rng.standard_normal((p, a.shape[0]))
    assert_close(ember.tensor(e) @ s, e @ a)
    assert_close(ember.mm(ember.tensor(e), s), e @ a)
    bias = rng.standard_normal((a.shape[0], p))
    assert_close(ember.addmm(ember.tensor(bias), s, ember.tensor(d), beta=0.5, alpha=2.0), 0.5 * bias + 2 * (a @ d))
    assert_close(ember.sparse.addmm(ember.tensor(bias), s, ember.tensor(d)), bias + a @ d)


def test_batched_product():
    a = np.zeros((2, 3, 4))
    a[:, 0, 1] = [1, 2]
    a[:, 2, 3] = [3, 4]
    c = ember.tensor(a).to_sparse_csr()
    assert c.crow_indices().shape == (2, 4) and c.values().shape == (2, 2)
    d = np.arange(2 * 4 * 5, dtype=np.float64).reshape(2, 4, 5)
    assert_close(c @ ember.tensor(d), a @ d)


def test_product_errors():
    c = ember.ones(4, 6).to_sparse_csr()
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        c @ ember.ones(5, 3)
    with pytest.raises(RuntimeError, match="expected scalar type"):
        c @ ember.ones(6, 3, dtype=ember.float64)


def test_sparse_sparse_product_is_compressed():
    a = np.array([[1., 0, 2], [0, 0, 3]])
    c = ember.tensor(a).to_sparse_csr()
    r = c @ c.t()
    assert r.layout is ember.sparse_csr
    assert_close(r.to_dense(), a @ a.T, check_dtype=False)


def test_gradients_reach_dense_operand_and_values():
    v = ember.tensor([1., 2, 3], dtype=ember.float64)
    D = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda D: ember.sparse_csr_tensor([0, 2, 3], [0, 2, 2], v, (2, 3)) @ D, (D,))
    assert ember.autograd.gradcheck(lambda D: D.t() @ ember.sparse_csc_tensor([0, 2, 3], [0, 2, 2], v, (3, 2)), (D,))
    vv = v.clone().requires_grad_()
    assert ember.autograd.gradcheck(lambda vv: ember.sparse_csr_tensor([0, 2, 3], [0, 2, 2], vv, (2, 3)) @ D.detach(),
                                    (vv,))
    blocks = ember.randn(1, 2, 2, dtype=ember.float64, requires_grad=True)
    rhs = ember.randn(4, 2, dtype=ember.float64)
    assert ember.autograd.gradcheck(lambda b: ember.sparse_bsr_tensor([0, 1, 1], [1], b, (4, 4)) @ rhs, (blocks,))
    c = ember.sparse_csr_tensor([0, 2, 3], [0, 2, 2], v, (2, 3), requires_grad=True)
    assert c.requires_grad and c.is_leaf
    (c @ D).sum().backward()
    assert c.grad.layout is ember.sparse_csr
    np.testing.assert_allclose(c.grad.values().numpy(), D.detach().sum(1).numpy()[[0, 2, 2]])


# ---- elementwise, reductions, transposes ----------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(sparse_dense(blocked=True), st.sampled_from(list(LAYOUTS)))
def test_elementwise_and_reductions(ad, name):
    a, t = ad
    s = to_layout(t, name)
    assert_close((s * 2.5).to_dense(), a * 2.5)
    assert_close((3 * s).to_dense(), 3 * a)
    assert_close((s * ember.tensor(2.0, dtype=ember.float64)).to_dense(), 2 * a)
    assert_close((s / 4).to_dense(), a / 4)
    assert_close((-s).to_dense(), -a)
    assert_close(ember.sin(s).to_dense(), np.sin(a))
    assert_close(s.abs().to_dense(), np.abs(a))
    assert ember.sin(s).layout is s.layout
    assert_close((s + s).to_dense(), 2 * a)
    assert_close(ember.add(s, s, alpha=2).to_dense(), 3 * a)
    assert_close((s - s * 0.5).to_dense(), 0.5 * a)
    assert_close(s + ember.tensor(a), 2 * a)
    assert_close(s.sum(), np.array(a.sum()))
    assert_close(s.t().to_dense(), a.T)
    assert s.t().layout is {"csr": ember.sparse_csc, "csc": ember.sparse_csr, "bsr": ember.sparse_bsc,
                            "bsc": ember.sparse_bsr}[name]
    assert_close(s.transpose(0, 1).to_dense(), a.T)
    assert_close(s.to(ember.float32).to_dense(), a.astype(np.float32))
    assert s.double().dtype == ember.float64
    c = s.clone()
    c.mul_(2)
    assert_close(c.to_dense(), 2 * a)
    assert_close(s.to_dense(), a)
    assert s.detach().layout is s.layout


def test_add_of_different_patterns():
    a = np.array([[1., 0], [0, 2]])
    b = np.array([[0., 3], [0, 2]])
    r = ember.tensor(a).to_sparse_csr() + ember.tensor(b).to_sparse_csr()
    assert r.layout is ember.sparse_csr
    assert_close(r.to_dense(), a + b, check_dtype=False)
    with pytest.raises(RuntimeError, match="same shape"):
        ember.tensor(a).to_sparse_csr() + ember.ones(2, 3).to_sparse_csr()
    with pytest.raises(RuntimeError):
        ember.tensor(a).to_sparse_csr() + ember.tensor(b).to_sparse_csc()
    with pytest.raises(RuntimeError):
        ember.tensor(a).to_sparse_csr() + 1


def test_sum_keepdim_rules():
    a = np.array([[1., 0], [0, 2]])
    c = ember.tensor(a).to_sparse_csr()
    r = c.sum(0, keepdim=True)
    assert r.layout is ember.sparse_csr
    assert_close(r.to_dense(), a.sum(0, keepdims=True), check_dtype=False)
    with pytest.raises(RuntimeError, match="keepdim=False"):
        c.sum(0)
    assert ember.tensor([[1, 0], [0, 2]]).to_sparse_csr().sum().dtype == ember.int64


def test_batch_transpose_rules():
    b = ember.ones(2, 3, 4).to_sparse_csr()
    assert b.transpose(1, 2).layout is ember.sparse_csc and b.transpose(1, 2).shape == (2, 4, 3)
    with pytest.raises(RuntimeError, match="same type"):
        b.transpose(0, 2)


def test_zero_copy_fill_inplace():
    c = ember.tensor([[1., 0], [0, 2]]).to_sparse_csr()
    c.fill_(5)
    assert_close(c.values(), np.array([5., 5]), check_dtype=False)
    c.zero_()
    assert c._nnz() == 0 and c.shape == (2, 2)
    assert_close(c.to_dense(), np.zeros((2, 2)), check_dtype=False)
    c.copy_(ember.ones(2, 2).to_sparse_csr())
    assert c._nnz() == 4


@pytest.mark.parametrize("op", [
    lambda c: c.exp(), lambda c: ember.exp(c), lambda c: c.view(4), lambda c: c.reshape(4), lambda c: c.mean(),
    lambda c: c.max(), lambda c: c.unsqueeze(0), lambda c: c.numpy(), lambda c: c.tolist(), lambda c: c == c,
    lambda c: c.stride(), lambda c: c.contiguous(), lambda c: c.permute(1, 0), lambda c: ember.softmax(c, 0),
    lambda c: c.cumsum(0), lambda c: c.is_contiguous(), lambda c: c + 1,
])
@pytest.mark.parametrize("name", list(LAYOUTS))
def test_other_ops_raise_never_treat_as_dense(op, name):
    c = to_layout(ember.ones(2, 2), name, (1, 1))
    with pytest.raises(RuntimeError):  # NotImplementedError is a RuntimeError, as in PyTorch
        op(c)


def test_unsupported_op_names_backend():
    with pytest.raises(NotImplementedError, match="'aten::exp' with arguments from the 'SparseCsrCPU' backend"):
        ember.ones(2, 2).to_sparse_csr().exp()


def test_repr_matches_pytorch_layout():
    c = ember.tensor([[1., 0, 2], [0, 0, 3]]).to_sparse_csr()
    assert repr(c) == ("tensor(crow_indices=tensor([0, 2, 3]),\n       col_indices=tensor([0, 2, 2]),\n"
                       "       values=tensor([1., 2., 3.]), size=(2, 3), nnz=3,\n       layout=ember.sparse_csr)")
    assert "ccol_indices=" in repr(c.t()) and "layout=ember.sparse_csc" in repr(c.t())


def test_pickle_and_deepcopy():
    import copy
    c = ember.tensor([[1., 0, 2], [0, 0, 3]]).to_sparse_bsr((1, 1))
    for r in (pickle.loads(pickle.dumps(c)), copy.deepcopy(c)):
        assert r.layout is ember.sparse_bsr
        assert_close(r.to_dense(), c.to_dense().numpy())


def test_index_copies_and_small_names():
    c = ember.tensor([[1., 0], [1, 1]]).to_sparse_csr()
    r = ember.crow_indices_copy(c)
    np.testing.assert_array_equal(r.numpy(), [0, 1, 3])
    r[0] = 7
    assert int(c.crow_indices()[0]) == 0
    np.testing.assert_array_equal(ember.col_indices_copy(c).numpy(), [0, 0, 1])
    t = c.t()
    np.testing.assert_array_equal(ember.ccol_indices_copy(t).numpy(), [0, 1, 3])
    np.testing.assert_array_equal(ember.row_indices_copy(t).numpy(), [0, 0, 1])
    assert ember.compiled_with_cxx11_abi() is False
    assert ember.ones(2).name is None


def test_resize_as_sparse_compressed_grows_keeping_entries():
    c = ember.tensor([[1., 0], [0, 2]]).to_sparse_csr()
    ember.resize_as_sparse_(c, ember.zeros(3, 4).to_sparse_csr())
    assert c.shape == (3, 4)
    expect = np.zeros((3, 4))
    expect[0, 0], expect[1, 1] = 1, 2
    assert_close(c.to_dense(), expect, check_dtype=False)


def test_coo_resize_family_rules():
    s = ember.ones(2, 2).to_sparse()
    assert s.sparse_resize_((2, 2), 2, 0) is s
    with pytest.raises(RuntimeError, match="shrinking"):
        s.sparse_resize_((1, 1), 2, 0)
    with pytest.raises(RuntimeError, match="number of sparse dimensions"):
        s.sparse_resize_((3, 3), 1, 1)
    with pytest.raises(NotImplementedError, match="'CPU' backend"):
        ember.ones(2).sparse_resize_((3, 3), 2, 0)
    with pytest.raises(RuntimeError, match="sparse"):
        ember.ones(2).resize_as_sparse_(s)


def test_check_sparse_tensor_invariants_switch():
    assert not ember.sparse.check_sparse_tensor_invariants.is_enabled()
    with ember.sparse.check_sparse_tensor_invariants():
        with pytest.raises(RuntimeError, match="sorted and distinct"):
            ember.sparse_csr_tensor([0, 2, 3], [2, 0, 2], [1., 2, 3], (2, 3))
        ember.sparse_csr_tensor([0, 2, 3], [2, 0, 2], [1., 2, 3], (2, 3), check_invariants=False)
    assert not ember.sparse.check_sparse_tensor_invariants.is_enabled()


def test_sparse_mask_with_compressed_mask():
    m = ember.tensor([[1., 0], [0, 1]]).to_sparse_csc()
    r = ember.tensor([[5., 6], [7, 8]]).sparse_mask(m)
    assert r.layout is ember.sparse_csc
    assert_close(r.to_dense(), np.array([[5., 0], [0, 8]]), check_dtype=False)


@pytest.mark.parametrize("name", ["diff", "kthvalue", "quantile", "cov", "ravel", "normal_", "logaddexp", "nan_to_num"])
def test_late_attached_python_methods_raise_too(name):
    with pytest.raises(NotImplementedError, match="SparseCsrCPU"):
        getattr(ember.ones(2, 2).to_sparse_csr(), name)()


def test_values_gradients_through_elementwise_ops():
    v = ember.tensor([1., 2, 3], dtype=ember.float64, requires_grad=True)
    d = ember.randn(2, 3, dtype=ember.float64)

    def f(v):
        c = ember.sparse_csr_tensor([0, 2, 3], [0, 2, 2], v, (2, 3))
        return ((c * 3 + c * d).sin() * 2).to_dense()
    assert ember.autograd.gradcheck(f, (v,))


def test_sparse_sum_after_inplace_pattern_change():
    c = ember.tensor([[1., 0], [0, 2]]).to_sparse_csr()
    assert float(ember.sparse.sum(c)) == 3.0
    c.zero_()
    assert float(ember.sparse.sum(c)) == 0.0 and float(c.sum()) == 0.0


def test_other_devices_raise_instead_of_being_ignored():
    c = ember.ones(2, 2).to_sparse_csr()
    assert c.to("cpu") is c
    with pytest.raises(NotImplementedError, match="SparseCsrMeta"):
        c.to("meta")
    with pytest.raises(NotImplementedError, match="live on the CPU"):
        ember.sparse_csr_tensor([0, 1], [0], [1.], (1, 1), device="meta")


@pytest.mark.parametrize("name", ["csr", "csc", "bsr", "bsc"])
def test_select_and_iteration(name):
    a = np.array([[1., 0, 2, 0], [0, 0, 3, 4]])
    s = to_layout(ember.tensor(a), name, (1, 2))
    for i in range(2):
        r = s[i]
        assert r.layout is ember.sparse_coo
        assert_close(r.to_dense(), a[i], check_dtype=False)
    for j in range(4):
        assert_close(s.select(1, j).to_dense(), a[:, j], check_dtype=False)
    assert [r.to_dense().tolist() for r in s] == a.tolist()
    with pytest.raises(IndexError):
        s[2]
    b = ember.ones(2, 2, 3).to_sparse_csr()
    assert b[1].layout is ember.sparse_csr and b[1].shape == (2, 3)


def test_to_sparse_coo_is_coalesced():
    c = ember.sparse_csr_tensor([0, 2, 3], [2, 0, 2], [1., 2, 3], (2, 3))  # unsorted columns, unchecked
    r = c.to_sparse()
    assert r.is_coalesced()
    np.testing.assert_array_equal(r.indices().numpy(), [[0, 0, 1], [0, 2, 2]])
    np.testing.assert_array_equal(r.values().numpy(), [2., 1., 3.])


def test_coo_resize_in_place_keeps_identity_and_entries():
    s = ember.tensor([[1.0, 0.0], [0.0, 2.0]]).to_sparse()
    assert s.sparse_resize_((3, 4), 2, 0) is s
    assert s.shape == (3, 4) and s.to_dense().tolist() == [[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 0, 0]]
    e = ember.zeros(2, 2).to_sparse()
    e.sparse_resize_((3, 4, 5), 1, 2)  # an empty tensor may change its dim counts
    assert (e.shape, e.sparse_dim(), e.dense_dim(), tuple(e._values().shape)) == ((3, 4, 5), 1, 2, (0, 4, 5))
    assert s.sparse_resize_and_clear_((5, 5), 2, 0) is s
    assert (s.shape, s._nnz(), s.is_coalesced()) == ((5, 5), 0, True)
    t = ember.tensor([[1.0, 0.0], [0.0, 2.0]]).to_sparse()
    ember.resize_as_sparse_(t, ember.zeros(4, 4).to_sparse())
    assert t.shape == (4, 4) and t.to_dense()[:2, :2].tolist() == [[1, 0], [0, 2]]

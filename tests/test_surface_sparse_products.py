"""The legacy sparse products on COO tensors (smm, hspmm/hsmm, dsmm, spmm, saddmm, sspaddmm)
and Tensor.sparse_mask, against NumPy on dense copies."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from ember.autograd import gradcheck
from strategies import np_of


@st.composite
def sparse_and_dense(draw):
    n, m, p = draw(st.integers(1, 5)), draw(st.integers(1, 5)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = rng.standard_normal((n, m)) * (rng.random((n, m)) < 0.4)
    b = rng.standard_normal((p * 2, m)).T[:, ::2]  # a strided dense operand (m × p)
    return a, b


def _sp(a):
    return ember.tensor(a.tolist(), dtype=ember.float64).to_sparse()


def _dense(b):
    return ember.tensor(np.ascontiguousarray(b.T).tolist(), dtype=ember.float64).t()  # non-contiguous


@given(sparse_and_dense())
def test_products_match_numpy(ab):
    a, b = ab
    s, d = _sp(a), _dense(b)
    want = a @ b
    for fn in (ember.dsmm, ember.spmm):
        r = fn(s, d)
        assert not r.is_sparse
        np.testing.assert_allclose(np_of(r), want, atol=1e-12)
    for fn in (ember.smm, lambda x, y: x.smm(y)):
        r = fn(s, d)
        assert r.is_sparse and r.sparse_dim() == 2
        np.testing.assert_allclose(np_of(r.to_dense()), want, atol=1e-12)
    for fn in (ember.hspmm, ember.hsmm):
        r = fn(s, d)
        assert r.is_sparse and r.sparse_dim() == 1 and r.dense_dim() == 1
        np.testing.assert_allclose(np_of(r.to_dense()), want, atol=1e-12)
        rows = sorted(set(np.nonzero(a)[0].tolist()))
        assert r._indices()[0].tolist() == rows  # one dense row per row where mat1 has entries


@given(sparse_and_dense(), st.floats(-2, 2), st.floats(-2, 2))
def test_sspaddmm_and_saddmm(ab, beta, alpha):
    a, b = ab
    n = a.shape[0]
    c = np.random.default_rng(0).standard_normal((n, b.shape[1])) * (np.arange(n)[:, None] % 2 == 0)
    s, d, inp = _sp(a), _dense(b), _sp(c)
    want = beta * c + alpha * (a @ b)
    for r in (ember.sspaddmm(inp, s, d, beta=beta, alpha=alpha), ember.saddmm(inp, s, d, beta=beta, alpha=alpha),
              inp.sspaddmm(s, d, beta=beta, alpha=alpha)):
        assert r.is_sparse
        np.testing.assert_allclose(np_of(r.to_dense()), want, atol=1e-12)


@given(sparse_and_dense())
def test_sparse_mask_takes_selfs_values_at_masks_indices(ab):
    a, b = ab
    mask = _sp(a)
    x = np.arange(a.size, dtype=np.float64).reshape(a.shape[::-1]).T  # strided
    t = ember.tensor(np.ascontiguousarray(x.T).tolist(), dtype=ember.float64).t()
    r = t.sparse_mask(mask)
    assert r.is_sparse and ember.equal(r._indices(), mask._indices())
    np.testing.assert_array_equal(np_of(r.to_dense()), np.where(a != 0, x, 0.0))


def test_gradients_reach_the_dense_operand_and_the_values():
    v = ember.tensor([1.5, -2.0, 0.5], dtype=ember.float64, requires_grad=True)
    d = ember.randn(3, 2, dtype=ember.float64, requires_grad=True)
    idx = [[0, 1, 2], [2, 0, 1]]
    assert gradcheck(lambda vals, dd: ember.dsmm(ember.sparse_coo_tensor(idx, vals, (3, 3)), dd), (v, d))
    assert gradcheck(lambda vals, dd: ember.smm(ember.sparse_coo_tensor(idx, vals, (3, 3)), dd).to_dense(), (v, d))
    assert gradcheck(lambda vals, dd: ember.hspmm(ember.sparse_coo_tensor(idx, vals, (3, 3)), dd).to_dense(), (v, d))
    assert gradcheck(lambda dd: ember.ones(3, 3, dtype=ember.float64).sparse_mask(
        ember.sparse_coo_tensor(idx, v.detach(), (3, 3))).to_dense() * dd.sum(), (d,))


def test_errors():
    s = ember.eye(3).to_sparse()
    d = ember.ones(3, 2)
    with pytest.raises(RuntimeError, match="sparse"):
        ember.smm(ember.eye(3), d)
    with pytest.raises(NotImplementedError):
        ember.hspmm(ember.eye(3), d)
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        ember.smm(s, ember.ones(2, 2))
    with pytest.raises(RuntimeError, match="sparse"):
        ember.sspaddmm(ember.eye(3), s, ember.eye(3))
    with pytest.raises(RuntimeError, match="incompatible sizes"):
        ember.ones(2, 3).sparse_mask(s)
    with pytest.raises(RuntimeError, match="sparse COO"):
        ember.ones(3, 3).sparse_mask(ember.eye(3))

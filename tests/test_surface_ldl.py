"""linalg.ldl_factor/ldl_factor_ex/ldl_solve against LAPACK's sytrf (through SciPy)."""
import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, strategies as st

import ember


@st.composite
def symmetric(draw):
    n = draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = rng.standard_normal((n, n))
    a = a + a.T
    if n > 2 and draw(st.booleans()):  # zero diagonal entries force 2×2 pivots
        a[0, 0] = a[1, 1] = 0.0
    if draw(st.booleans()):  # garbage in the upper triangle must be ignored
        a = np.tril(a) + np.triu(rng.standard_normal((n, n)), 1)
    t = ember.tensor(np.ascontiguousarray(a.T).tolist(), dtype=ember.float64).t()  # strided
    return t, a


@given(symmetric())
def test_factor_matches_lapack_and_solves(ta):
    t, a = ta
    ldu, ipiv, info = sla.lapack.dsytrf(a, lower=1)
    LD, piv, inf = ember.linalg.ldl_factor_ex(t)
    np.testing.assert_allclose(LD.numpy(), np.tril(ldu), atol=1e-10)
    assert piv.dtype == ember.int32 and piv.tolist() == ipiv.tolist() and inf.item() == info
    if info == 0:
        LD2, piv2 = ember.linalg.ldl_factor(t)
        assert ember.equal(LD2, LD) and ember.equal(piv2, piv)
        full = np.tril(a) + np.tril(a, -1).T
        b = np.random.default_rng(0).standard_normal((a.shape[0], 3))
        x = ember.linalg.ldl_solve(LD, piv, ember.tensor(b.tolist(), dtype=ember.float64))
        np.testing.assert_allclose(x.numpy(), np.linalg.solve(full, b), rtol=1e-6, atol=1e-8)


def test_batches_and_pytorchs_example():
    a = ember.tensor([[0.0, 1, 2], [1, 0, 3], [2, 3, 0]], dtype=ember.float64)
    LD, piv = ember.linalg.ldl_factor(a)
    assert piv.tolist() == [-3, -3, 3]
    assert LD.tolist() == [[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [1.5, 0.5, -3.0]]
    rng = np.random.default_rng(1)
    m = rng.standard_normal((2, 4, 4))
    m = m + m.swapaxes(-1, -2)
    A = ember.tensor(m.tolist(), dtype=ember.float64)
    LD, piv = ember.linalg.ldl_factor(A)
    assert tuple(LD.shape) == (2, 4, 4) and tuple(piv.shape) == (2, 4)
    b = rng.standard_normal((2, 4, 1))
    x = ember.linalg.ldl_solve(LD, piv, ember.tensor(b.tolist(), dtype=ember.float64))
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(m, b), rtol=1e-8)


def test_singular_and_bad_input():
    LD, piv, info = ember.linalg.ldl_factor_ex(ember.zeros(3, 3))
    assert info.item() == 1 and piv.tolist() == [1, 2, 3]
    with pytest.raises(RuntimeError, match="not invertible"):
        ember.linalg.ldl_factor(ember.zeros(3, 3))
    with pytest.raises(RuntimeError, match="not invertible"):
        ember.linalg.ldl_factor_ex(ember.zeros(3, 3), check_errors=True)
    with pytest.raises(RuntimeError, match="square"):
        ember.linalg.ldl_factor(ember.ones(2, 3))
    LD, piv = ember.linalg.ldl_factor(ember.eye(3))
    with pytest.raises(RuntimeError):
        ember.linalg.ldl_solve(LD, piv, ember.ones(2, 1))
    with pytest.raises(RuntimeError):
        ember.linalg.ldl_solve(LD, piv.long(), ember.ones(3, 1))

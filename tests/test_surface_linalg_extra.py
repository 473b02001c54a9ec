"""geqrf/ormqr, svd_lowrank/pca_lowrank, nuclear_norm, linalg.polar and linalg.matrix_sqrth
against NumPy/SciPy on strided inputs."""
import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, strategies as st

import ember
from ember.autograd import gradcheck
from strategies import np_of


@st.composite
def matrices(draw, min_rows=1, batch=True, square=False, tall=False):
    m = draw(st.integers(min_rows, 5))
    n = m if square else draw(st.integers(1, m if tall else 5))
    b = draw(st.sampled_from([(), (2,)])) if batch else ()
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = rng.standard_normal(b + (n, m)).swapaxes(-1, -2)  # a transposed (strided) view
    t = ember.tensor(np.ascontiguousarray(a.swapaxes(-1, -2)).tolist(), dtype=ember.float64).transpose(-1, -2)
    return t, a


@given(matrices())
def test_geqrf_matches_lapack(ta):
    t, a = ta
    qr, tau = ember.geqrf(t)
    for k in np.ndindex(a.shape[:-2]):
        h, tau_ref = np.linalg.qr(a[k], mode="raw")  # LAPACK's geqrf (h is transposed)
        np.testing.assert_allclose(np_of(qr)[k], h.T, atol=1e-10)
        np.testing.assert_allclose(np_of(tau)[k], tau_ref, atol=1e-10)
    Q = ember.linalg.householder_product(qr, tau)
    k = min(a.shape[-2:])
    np.testing.assert_allclose(np_of(Q.matmul(qr[..., :k, :].triu())), a, atol=1e-10)
    assert ember.equal(t.geqrf().tau, tau)


@given(matrices(), st.booleans(), st.booleans())
def test_ormqr_multiplies_by_the_full_q(ta, left, transpose):
    t, a = ta
    qr, tau = ember.geqrf(t)
    m = a.shape[-2]
    rng = np.random.default_rng(1)
    c = rng.standard_normal(a.shape[:-2] + ((m, 3) if left else (3, m)))
    ct = ember.tensor(c.tolist(), dtype=ember.float64)
    r = np_of(ember.ormqr(qr, tau, ct, left=left, transpose=transpose))
    for k in np.ndindex(a.shape[:-2]):
        h, tau_ref = np.linalg.qr(a[k], mode="raw")
        a_lapack = np.asfortranarray(h.T)
        if a_lapack.shape[1] > m:  # LAPACK's ormqr takes the m×k reflector block
            a_lapack = np.asfortranarray(a_lapack[:, :m])
        cq, _, info = sla.lapack.dormqr("L" if left else "R", "T" if transpose else "N", a_lapack, tau_ref,
                                        np.asfortranarray(c[k]), max(1, 64 * max(c[k].shape)))
        assert info == 0
        np.testing.assert_allclose(r[k], cq, atol=1e-10)


def test_geqrf_ormqr_errors():
    with pytest.raises(RuntimeError):
        ember.geqrf(ember.ones(3))
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        ember.geqrf(ember.ones(2, 2, dtype=ember.int64))
    a, tau = ember.geqrf(ember.randn(4, 3))
    with pytest.raises(RuntimeError):
        ember.ormqr(a, tau, ember.ones(3, 2))


@given(matrices(batch=False))
def test_nuclear_norm(ta):
    t, a = ta
    want = np.linalg.norm(a, "nuc")
    assert ember.nuclear_norm(t).item() == pytest.approx(want, rel=1e-10)
    assert tuple(ember.nuclear_norm(t, keepdim=True).shape) == (1, 1)
    assert ember.nuclear_norm(t.unsqueeze(0), dim=(1, 2)).item() == pytest.approx(want, rel=1e-10)
    assert ember.nuclear_norm(t, True).shape == (1, 1)


def test_nuclear_norm_gradient_and_errors():
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    assert gradcheck(ember.nuclear_norm, (x,))
    with pytest.raises(RuntimeError):
        ember.nuclear_norm(ember.ones(3))


@given(st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_svd_lowrank_recovers_a_low_rank_matrix(rank, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((8, rank)) @ rng.standard_normal((rank, 6))
    t = ember.tensor(a.T.tolist(), dtype=ember.float64).t()
    U, S, V = ember.svd_lowrank(t, q=rank + 1, niter=2)
    assert tuple(U.shape) == (8, rank + 1) and tuple(S.shape) == (rank + 1,) and tuple(V.shape) == (6, rank + 1)
    np.testing.assert_allclose(np_of(U.matmul(ember.diag(S)).matmul(V.t())), a, atol=1e-8)
    np.testing.assert_allclose(np_of(S)[:rank], np.linalg.svd(a, compute_uv=False)[:rank], rtol=1e-8)
    U2, S2, V2 = ember.svd_lowrank(t.t(), q=rank)  # the wide case
    np.testing.assert_allclose(np_of(U2.matmul(ember.diag(S2)).matmul(V2.t())), a.T, atol=1e-8)


def test_pca_lowrank_centres():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((10, 2)) @ rng.standard_normal((2, 5)) + 7.0
    t = ember.tensor(a.tolist(), dtype=ember.float64)
    U, S, V = ember.pca_lowrank(t, q=3)
    c = a - a.mean(0)
    np.testing.assert_allclose(np_of(S)[:2], np.linalg.svd(c, compute_uv=False)[:2], rtol=1e-8)
    _, S_raw, _ = ember.pca_lowrank(t, q=3, center=False)
    np.testing.assert_allclose(np_of(S_raw)[:2], np.linalg.svd(a, compute_uv=False)[:2], rtol=1e-8)
    with pytest.raises(ValueError):
        ember.pca_lowrank(t, q=6)
    with pytest.raises(ValueError):
        ember.svd_lowrank(t, q=2, niter=-1)


@given(matrices(tall=True))
def test_polar_matches_scipy(ta):
    t, a = ta
    U, H = ember.linalg.polar(t)
    for k in np.ndindex(a.shape[:-2]):
        Ur, Hr = sla.polar(a[k])
        np.testing.assert_allclose(np_of(U)[k], Ur, atol=1e-8)
        np.testing.assert_allclose(np_of(H)[k], Hr, atol=1e-8)


def test_polar_errors_and_gradient():
    with pytest.raises(RuntimeError, match="at least as many rows as columns"):
        ember.linalg.polar(ember.ones(2, 3))
    x = ember.randn(4, 3, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda a: ember.linalg.polar(a).U, (x,))


@given(matrices(square=True))
def test_matrix_sqrth_matches_scipy(ta):
    t, a = ta
    spd = a @ np.swapaxes(a, -1, -2) + np.eye(a.shape[-1])
    ts = t.matmul(t.mT) + ember.eye(a.shape[-1], dtype=ember.float64)
    X = np_of(ember.linalg.matrix_sqrth(ts))
    for k in np.ndindex(a.shape[:-2]):
        np.testing.assert_allclose(X[k], sla.sqrtm(spd[k]).real, atol=1e-8)


def test_matrix_sqrth_gradient():
    a = ember.randn(3, 3, dtype=ember.float64)
    x = (a.matmul(a.t()) + 3 * ember.eye(3, dtype=ember.float64)).requires_grad_()
    assert gradcheck(lambda m: ember.linalg.matrix_sqrth((m + m.t()) / 2), (x,))

"""ember.linalg factorizations and solvers against NumPy/SciPy: batched and strided inputs,
float32/float64, reconstruction identities, gradients and the errors for bad input."""
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings, strategies as st

import ember
from ember.autograd import gradcheck
from strategies import np_of, to_ember

TOL = {"float32": 2e-4, "float64": 1e-9}
SETTINGS = settings(max_examples=15, deadline=None)


@st.composite
def matrices(draw, square=True, spd=False, min_side=1, max_side=5):
    """(ember, numpy) stacks of matrices, as a contiguous, transposed or stepped view."""
    dtype = draw(st.sampled_from(["float32", "float64"]))
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    m = draw(st.integers(min_side, max_side))
    n = m if square else draw(st.integers(min_side, max_side))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = rng.standard_normal(batch + (m, n))
    if square:
        a = a + 2 * m * np.eye(m)  # well-conditioned
    if spd:
        a = a @ a.swapaxes(-1, -2) + m * np.eye(m)
    a = a.astype(dtype)
    kind = draw(st.sampled_from(["contiguous", "transposed", "step"]))
    if kind == "transposed":
        t = to_ember(np.ascontiguousarray(a.swapaxes(-1, -2))).transpose(-1, -2)
    elif kind == "step":
        big = np.zeros(batch + (2 * m, 2 * n), dtype=dtype)
        big[..., ::2, ::2] = a
        t = to_ember(big)[..., ::2, ::2]
    else:
        t = to_ember(a)
    return t, a, dtype


def close(t, a, dtype, scale=1.0):
    np.testing.assert_allclose(np_of(t), a, rtol=TOL[dtype] * scale, atol=TOL[dtype] * scale)


@SETTINGS
@given(matrices(), st.integers(1, 3))
def test_solve_inv_det(case, k):
    t, a, dt = case
    rng = np.random.default_rng(0)
    b = rng.standard_normal(a.shape[:-1] + (k,)).astype(dt)
    x = ember.linalg.solve(t, to_ember(b))
    close(x, np.linalg.solve(a, b), dt, 10)
    assert x.dtype == t.dtype
    close(ember.linalg.inv(t), np.linalg.inv(a), dt, 10)
    close(ember.linalg.det(t), np.linalg.det(a), dt, 100 * a.shape[-1])
    sign, logabs = ember.linalg.slogdet(t)
    ns, nl = np.linalg.slogdet(a)
    close(sign, ns, dt)
    close(logabs, nl, dt, 10)


def test_solve_vector_broadcast_and_left():
    a = np.random.default_rng(1).standard_normal((2, 3, 3)) + 6 * np.eye(3)
    b = np.random.default_rng(2).standard_normal(3)
    x = ember.linalg.solve(to_ember(a), to_ember(b))
    np.testing.assert_allclose(np_of(x), np.linalg.solve(a, np.broadcast_to(b, (2, 3))[..., None])[..., 0], rtol=1e-10)
    bm = np.random.default_rng(3).standard_normal((4, 3))
    x = ember.linalg.solve(to_ember(a[0]), to_ember(bm), left=False)
    np.testing.assert_allclose(np_of(x) @ a[0], bm, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("n,k,batch", [(17, 1, ()), (33, 5, (2,)), (70, 2, ()), (40, 40, (1, 2))])
def test_solve_and_lu_past_the_blocking_sizes(dtype, n, k, batch):
    """Sizes past faer's recursion threshold (16) and the copy tiles (32), on general
    matrices (pivoting on every step), transposed A and a stepped B, several right-hand sides."""
    rng = np.random.default_rng(n + k)
    a = rng.standard_normal(batch + (n, n))
    b = rng.standard_normal(batch + (n, k))
    if dtype.startswith("complex"):
        a = a + 1j * rng.standard_normal(a.shape)
        b = b + 1j * rng.standard_normal(b.shape)
    a, b = a.astype(dtype), b.astype(dtype)
    ta = to_ember(np.ascontiguousarray(a.swapaxes(-1, -2))).transpose(-1, -2)
    big = np.zeros(batch + (n, 2 * k), dtype=dtype)
    big[..., ::2] = b
    tb = to_ember(big)[..., ::2]
    x = np_of(ember.linalg.solve(ta, tb)).astype(np.complex128)
    tol = 1e-3 if dtype in ("float32", "complex64") else 1e-10
    want = np.linalg.solve(a.astype(np.complex128), b.astype(np.complex128))
    np.testing.assert_allclose(x, want, rtol=tol * 10, atol=tol * 10 * np.abs(want).max())
    inv = np_of(ember.linalg.inv(ta)).astype(np.complex128)
    np.testing.assert_allclose(a @ inv, np.broadcast_to(np.eye(n), a.shape), atol=tol * n)
    LU, piv = ember.linalg.lu_factor(ta)
    flat_lu, flat_piv = np_of(LU).reshape(-1, n, n), np_of(piv).reshape(-1, n)
    for i, m in enumerate(a.reshape(-1, n, n)):
        lu_ref, piv_ref = scipy.linalg.lu_factor(m.astype(np.complex128))
        np.testing.assert_array_equal(flat_piv[i], piv_ref + 1)
        np.testing.assert_allclose(flat_lu[i], lu_ref, atol=tol * 100)
    sign, logabs = ember.linalg.slogdet(ta)  # det itself overflows float32 at n = 70
    ns, nl = np.linalg.slogdet(a.astype(np.complex128))
    np.testing.assert_allclose(np_of(sign), ns, atol=tol * 100)
    np.testing.assert_allclose(np_of(logabs), nl, rtol=tol * 10)


def test_singular_solve_and_inv_errors_name_the_pivot():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    for dt in ("float64", "complex128"):
        with pytest.raises(ember.linalg.LinAlgError, match="singular"):
            ember.linalg.solve(to_ember(a.astype(dt)), to_ember(np.ones((3, 1), dtype=dt)))
        _, _, info = scipy.linalg.lapack.dgetrf(a)
        with pytest.raises(ember.linalg.LinAlgError, match=f"diagonal element {info} is zero"):
            ember.linalg.inv(to_ember(a.astype(dt)))
        assert int(ember.linalg.solve_ex(to_ember(a.astype(dt)), to_ember(np.ones((3, 1), dtype=dt))).info) == info


@SETTINGS
@given(matrices(spd=True))
def test_cholesky(case):
    t, a, dt = case
    L = ember.linalg.cholesky(t)
    close(L, np.linalg.cholesky(a), dt, 10 * a.shape[-1])
    U = ember.linalg.cholesky(t, upper=True)
    close(U, np.linalg.cholesky(a).swapaxes(-1, -2), dt, 10 * a.shape[-1])


@SETTINGS
@given(matrices(square=False), st.sampled_from(["reduced", "complete", "r"]))
def test_qr(case, mode):
    t, a, dt = case
    Q, R = ember.linalg.qr(t, mode=mode)
    nr = np.linalg.qr(a, mode="r" if mode == "r" else mode)
    nR = nr if mode == "r" else nr[1]
    assert tuple(R.shape) == nR.shape
    # R is unique up to the signs of its rows: compare |R| and the reconstruction
    close(R.abs(), np.abs(nR), dt, 10)
    if mode != "r":
        assert tuple(Q.shape) == nr[0].shape
        close(Q.matmul(R), a, dt, 10)
        k = Q.shape[-1]
        close(Q.transpose(-1, -2).matmul(Q), np.broadcast_to(np.eye(k), Q.shape[:-2] + (k, k)), dt, 10)


@SETTINGS
@given(matrices(square=False), st.booleans())
def test_svd(case, full):
    t, a, dt = case
    U, S, Vh = ember.linalg.svd(t, full_matrices=full)
    nU, nS, nVh = np.linalg.svd(a, full_matrices=full)
    assert tuple(U.shape) == nU.shape and tuple(Vh.shape) == nVh.shape
    close(S, nS, dt, 10)
    k = S.shape[-1]
    rec = U[..., :, :k].matmul(S.diag_embed()).matmul(Vh[..., :k, :])
    close(rec, a, dt, 10)
    close(ember.linalg.svdvals(t), nS, dt, 10)


@SETTINGS
@given(matrices(), st.sampled_from(["L", "U"]))
def test_eigh(case, uplo):
    t, a, dt = case
    w, V = ember.linalg.eigh(t, UPLO=uplo)
    nw = np.linalg.eigvalsh(a, UPLO=uplo)
    close(w, nw, dt, 10 * a.shape[-1])
    sym = np.tril(a) + np.tril(a, -1).swapaxes(-1, -2) if uplo == "L" else np.triu(a) + np.triu(a, 1).swapaxes(-1, -2)
    close(V.matmul(w.diag_embed()).matmul(V.transpose(-1, -2)), sym, dt, 10 * a.shape[-1])
    close(ember.linalg.eigvalsh(t, uplo), nw, dt, 10 * a.shape[-1])


@SETTINGS
@given(matrices(square=False))
def test_lu_factor_matches_lapack(case):
    t, a, dt = case
    LU, piv = ember.linalg.lu_factor(t) if min(a.shape[-2:]) == a.shape[-1] or True else None
    flat = a.reshape(-1, *a.shape[-2:])
    lus, pivs = np_of(LU).reshape(flat.shape), np_of(piv).reshape(flat.shape[0], -1)
    for i, m in enumerate(flat):
        lu_ref, piv_ref = scipy.linalg.lu_factor(m) if m.shape[0] == m.shape[1] else (None, None)
        if lu_ref is not None:
            np.testing.assert_array_equal(pivs[i], piv_ref + 1)
            np.testing.assert_allclose(lus[i], lu_ref, rtol=TOL[dt] * 10, atol=TOL[dt] * 10)
    P, L, U = ember.linalg.lu(t)
    close(P.matmul(L).matmul(U), a, dt, 10)
    P2, L2, U2 = ember.lu_unpack(LU, piv)
    close(P2.matmul(L2).matmul(U2), a, dt, 10)


def test_lu_solve_and_legacy():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((2, 4, 4)) + 8 * np.eye(4)
    b = rng.standard_normal((2, 4, 2))
    LU, piv = ember.linalg.lu_factor(to_ember(a))
    np.testing.assert_allclose(np_of(ember.linalg.lu_solve(LU, piv, to_ember(b))), np.linalg.solve(a, b), rtol=1e-10)
    np.testing.assert_allclose(np_of(ember.lu_solve(to_ember(b), LU, piv)), np.linalg.solve(a, b), rtol=1e-10)
    U, S, V = ember.svd(to_ember(a[0]))
    np.testing.assert_allclose(np_of(U.matmul(S.diag_embed()).matmul(V.transpose(-1, -2))), a[0], atol=1e-10)
    np.testing.assert_allclose(np_of(ember.det(to_ember(a))), np.linalg.det(a), rtol=1e-10)
    np.testing.assert_allclose(np_of(to_ember(a).inverse()), np.linalg.inv(a), rtol=1e-9)
    spd = a @ a.swapaxes(-1, -2)
    L = ember.cholesky(to_ember(spd))
    np.testing.assert_allclose(np_of(ember.cholesky_solve(to_ember(b), L)), np.linalg.solve(spd, b), rtol=1e-8)
    np.testing.assert_allclose(np_of(ember.cholesky_inverse(L[0])), np.linalg.inv(spd[0]), rtol=1e-8)
    X, _ = ember.triangular_solve(to_ember(b), to_ember(a), upper=True)
    np.testing.assert_allclose(np_of(X), np.linalg.solve(np.triu(a), b), rtol=1e-9)
    np.testing.assert_allclose(np_of(ember.logdet(to_ember(spd))), np.linalg.slogdet(spd)[1], rtol=1e-10)


def test_composites():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 5, 3))
    b = rng.standard_normal((3, 5, 2))
    x = ember.linalg.lstsq(to_ember(a), to_ember(b)).solution
    np.testing.assert_allclose(np_of(x), np.stack([np.linalg.lstsq(a[i], b[i], rcond=None)[0] for i in range(3)]), rtol=1e-9)
    np.testing.assert_allclose(np_of(ember.linalg.pinv(to_ember(a))), np.linalg.pinv(a), rtol=1e-9, atol=1e-12)
    r = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 5))
    assert int(ember.linalg.matrix_rank(to_ember(r))) == 2
    sq = rng.standard_normal((2, 4, 4)) / 4
    np.testing.assert_allclose(np_of(ember.linalg.matrix_exp(to_ember(sq))), np.stack([scipy.linalg.expm(m) for m in sq]), rtol=1e-10)
    np.testing.assert_allclose(np_of(ember.linalg.matrix_power(to_ember(sq), 3)), np.linalg.matrix_power(sq, 3), rtol=1e-10)
    np.testing.assert_allclose(np_of(ember.linalg.matrix_power(to_ember(sq + 2 * np.eye(4)), -2)),
                               np.linalg.matrix_power(sq + 2 * np.eye(4), -2), rtol=1e-9)
    for ord in ["fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf")]:
        np.testing.assert_allclose(np_of(ember.linalg.matrix_norm(to_ember(sq), ord)), np.linalg.norm(sq, ord, axis=(-2, -1)), rtol=1e-10)
    np.testing.assert_allclose(float(ember.linalg.norm(to_ember(sq[0]))), np.linalg.norm(sq[0]), rtol=1e-12)
    np.testing.assert_allclose(np_of(ember.linalg.cond(to_ember(sq))), np.linalg.cond(sq), rtol=1e-9)
    u, v = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    np.testing.assert_allclose(np_of(ember.linalg.cross(to_ember(u), to_ember(v))), np.cross(u, v), rtol=1e-12)
    np.testing.assert_allclose(np_of(ember.linalg.vander(to_ember(u[0]))), np.vander(u[0], increasing=True), rtol=1e-12)
    t4 = rng.standard_normal((6, 2, 3)) + 0  # tensorinv of a (6) x (2, 3) operator
    t4 = (np.eye(6) * 5 + rng.standard_normal((6, 6))).reshape(6, 2, 3)
    np.testing.assert_allclose(np_of(ember.linalg.tensorinv(to_ember(t4), ind=1)), np.linalg.tensorinv(t4, ind=1), rtol=1e-9)
    h, tau = scipy.linalg.lapack.dgeqrf(rng.standard_normal((5, 3)))[:2]
    q = scipy.linalg.lapack.dorgqr(h, tau)[0]
    np.testing.assert_allclose(np_of(ember.linalg.householder_product(to_ember(h), to_ember(tau))), q, rtol=1e-9, atol=1e-12)


def _spd(x):
    return x.matmul(x.transpose(-1, -2)) + 3 * ember.eye(x.shape[-1], dtype=x.dtype)


def _sym(x):
    return (x + x.transpose(-1, -2)) / 2


def test_gradients():
    rng = np.random.default_rng(6)
    A = to_ember(rng.standard_normal((2, 3, 3)) + 4 * np.eye(3)).requires_grad_()
    B = to_ember(rng.standard_normal((3, 2))).requires_grad_()
    W = to_ember(rng.standard_normal((4, 3))).requires_grad_()
    assert gradcheck(lambda a, b: ember.linalg.solve(a, b), (A, B))
    assert gradcheck(ember.linalg.inv, (A,))
    assert gradcheck(ember.linalg.det, (A,))
    assert gradcheck(lambda a: ember.linalg.slogdet(a)[1], (A,))
    assert gradcheck(lambda x: ember.linalg.cholesky(_spd(x)), (A,))
    assert gradcheck(lambda x: ember.linalg.qr(x), (W,))
    assert gradcheck(lambda x: ember.linalg.qr(x), (A,))
    # gauge-invariant functions of the singular/eigen vectors
    assert gradcheck(lambda x: ember.linalg.svdvals(x), (W,))
    assert gradcheck(lambda x: (lambda u, s, vh: (u.matmul(vh), s))(*ember.linalg.svd(x, full_matrices=False)), (W,))
    assert gradcheck(lambda x: (lambda u, s, vh: u.abs().sum() + vh.abs().sum())(*ember.linalg.svd(x, full_matrices=False)), (W.detach().t().contiguous().requires_grad_(),))
    assert gradcheck(lambda x: (lambda w, v: (w, v * v))(*ember.linalg.eigh(_sym(x))), (A,))
    assert gradcheck(lambda x: ember.linalg.pinv(x), (W,))
    assert gradcheck(lambda x: ember.linalg.matrix_exp(x / 4), (A,))
    assert gradcheck(lambda x, b: ember.linalg.lstsq(x, b).solution, (W, to_ember(rng.standard_normal((4, 2))).requires_grad_()))
    assert gradcheck(lambda x: ember.linalg.solve_triangular(x, B, upper=True), (A,))
    assert gradcheck(lambda x: ember.linalg.matrix_norm(x, "nuc"), (W,))
    assert gradcheck(lambda x: ember.linalg.lu(x)[2], (A,))
    assert gradcheck(lambda x: ember.linalg.lu(x).L, (A,))
    assert gradcheck(lambda x: ember.linalg.lu_factor(x).LU, (A,))


def test_errors():
    sing = ember.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=ember.float64)
    with pytest.raises(RuntimeError, match="singular"):
        ember.linalg.solve(sing, ember.ones(2, dtype=ember.float64))
    with pytest.raises(ember.linalg.LinAlgError, match=r"The diagonal element 2 is zero"):
        ember.linalg.inv(sing)
    with pytest.raises(RuntimeError, match=r"\(Batch element 1\)"):
        ember.linalg.inv(ember.stack([ember.eye(2, dtype=ember.float64), sing]))
    with pytest.raises(RuntimeError, match=r"leading minor of order 2 is not positive-definite"):
        ember.linalg.cholesky(ember.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(RuntimeError, match="square"):
        ember.linalg.inv(ember.ones(2, 3))
    with pytest.raises(RuntimeError, match="square"):
        ember.linalg.det(ember.ones(2, 3))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        ember.linalg.cholesky(ember.ones(3))
    with pytest.raises(RuntimeError, match="floating point"):
        ember.linalg.inv(ember.eye(2, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="Incompatible shapes"):
        ember.linalg.solve(ember.eye(3), ember.ones(2, 1))
    assert float(ember.linalg.det(sing)) == 0.0
    s, l = ember.linalg.slogdet(sing)
    assert float(s) == 0.0 and float(l) == float("-inf")
    x, info = ember.linalg.inv_ex(sing)
    assert int(info) == 2
    L, info = ember.linalg.cholesky_ex(ember.tensor([[1.0, 2.0], [2.0, 1.0]]))
    assert int(info) == 2
    # the input is untouched after an error
    a = ember.tensor([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(RuntimeError):
        ember.linalg.inv(a)
    assert a.tolist() == [[1.0, 2.0], [2.0, 4.0]]


def test_named_results():
    a = ember.eye(3, dtype=ember.float64) * 2
    assert ember.linalg.qr(a).Q.shape == (3, 3)
    assert ember.linalg.svd(a).Vh.shape == (3, 3)
    assert ember.linalg.eigh(a).eigenvalues.tolist() == [2.0, 2.0, 2.0]
    assert float(ember.linalg.slogdet(a).logabsdet) == pytest.approx(3 * np.log(2))
    assert ember.linalg.lu_factor(a).pivots.dtype == ember.int32
    assert ember.linalg.lu(a).U.shape == (3, 3)
    assert int(ember.linalg.inv_ex(a).info) == 0 and ember.linalg.cholesky_ex(a).L.shape == (3, 3)
    assert ember.linalg.solve_ex(a, a).result.shape == (3, 3)


def test_eig_pairs_internal():
    rot = np.array([[0.0, -1.0], [1.0, 0.0]])
    w, V = ember.linalg._eig_pairs(to_ember(rot))
    got = np_of(w)
    assert sorted(map(tuple, np.round(got, 12))) == [(0.0, -1.0), (0.0, 1.0)]
    Vc = np_of(V)[..., 0] + 1j * np_of(V)[..., 1]
    wc = got[:, 0] + 1j * got[:, 1]
    np.testing.assert_allclose(rot @ Vc, Vc * wc, atol=1e-12)

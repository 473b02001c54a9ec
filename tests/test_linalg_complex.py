"""ember.linalg on complex64/complex128 input against NumPy/SciPy: batched and strided stacks,
reconstruction identities, the errors for singular / non-PD input, and gradcheck (complex128)."""
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings, strategies as st

import ember
from ember.autograd import gradcheck
from strategies import COMPLEX, np_of, to_ember

TOL = {"complex64": 5e-4, "complex128": 1e-9}
SETTINGS = settings(max_examples=12, deadline=None)
LinAlgError = ember.linalg.LinAlgError


def crandn(rng, shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def view_of(a, kind):
    """An ember view holding `a` (contiguous, conjugate-free transposed, or stepped)."""
    if kind == "transposed":
        return to_ember(np.ascontiguousarray(a.swapaxes(-1, -2))).transpose(-1, -2)
    if kind == "step":
        big = np.zeros(a.shape[:-2] + (2 * a.shape[-2], 2 * a.shape[-1]), dtype=a.dtype)
        big[..., ::2, ::2] = a
        return to_ember(big)[..., ::2, ::2]
    return to_ember(a)


@st.composite
def cmatrices(draw, square=True, hpd=False, min_side=1, max_side=5):
    """(ember, numpy, dtype) stacks of complex matrices through a strided view."""
    dtype = draw(st.sampled_from(COMPLEX))
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    m = draw(st.integers(min_side, max_side))
    n = m if square else draw(st.integers(min_side, max_side))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = crandn(rng, batch + (m, n))
    if square:
        a = a + 2 * m * np.eye(m)  # well-conditioned
    if hpd:
        a = a @ a.conj().swapaxes(-1, -2) + m * np.eye(m)
    a = a.astype(dtype)
    return view_of(a, draw(st.sampled_from(["contiguous", "transposed", "step"]))), a, dtype


def close(t, a, dtype, scale=1.0):
    assert tuple(t.shape) == np.shape(a)
    np.testing.assert_allclose(np_of(t), a, rtol=TOL[dtype] * scale, atol=TOL[dtype] * scale)


def rdt(dtype):
    return "float32" if dtype == "complex64" else "float64"


@SETTINGS
@given(cmatrices(), st.integers(1, 3))
def test_solve_inv_det_slogdet(case, k):
    t, a, dt = case
    b = crandn(np.random.default_rng(0), a.shape[:-1] + (k,)).astype(dt)
    x = ember.linalg.solve(t, to_ember(b))
    assert x.dtype == t.dtype
    close(x, np.linalg.solve(a, b), dt, 10)
    close(t.matmul(x), b, dt, 10)  # A @ solve(A, B) == B
    close(ember.linalg.solve(t, to_ember(b[..., 0])), np.linalg.solve(a, b[..., :1])[..., 0], dt, 10)
    xl = ember.linalg.solve(t, to_ember(b.swapaxes(-1, -2)), left=False)
    close(xl.matmul(t), b.swapaxes(-1, -2), dt, 10)
    inv = ember.linalg.inv(t)
    close(inv, np.linalg.inv(a), dt, 10)
    close(t.matmul(inv), np.broadcast_to(np.eye(a.shape[-1]), a.shape).astype(dt), dt, 10)
    d = ember.linalg.det(t)
    assert d.dtype == t.dtype
    nd = np.linalg.det(a.astype(np.complex128))
    np.testing.assert_allclose(np.abs(np_of(d)), np.abs(nd), rtol=TOL[dt] * 100)
    np.testing.assert_allclose(np.exp(1j * (np.angle(np_of(d)) - np.angle(nd))), 1, atol=TOL[dt] * 100)
    sign, logabs = ember.linalg.slogdet(t)
    ns, nl = np.linalg.slogdet(a.astype(np.complex128))
    assert sign.dtype == t.dtype and logabs.dtype.name == rdt(dt)
    close(sign, ns.astype(dt), dt, 10)
    close(logabs, nl.astype(rdt(dt)), dt, 10)
    ld = ember.logdet(t)
    close(ld.real, nl.astype(rdt(dt)), dt, 10)
    np.testing.assert_allclose(np.exp(1j * np_of(ld.imag)), ns, atol=TOL[dt] * 10)


@SETTINGS
@given(cmatrices(square=False))
def test_lu_factor_matches_scipy(case):
    t, a, dt = case
    LU, piv = ember.linalg.lu_factor(t)
    flat, pflat = np_of(LU).reshape((-1,) + a.shape[-2:]), np_of(piv).reshape(-1, min(a.shape[-2:]))
    for i, ai in enumerate(a.reshape((-1,) + a.shape[-2:])):
        lu, p = scipy.linalg.lu_factor(ai.astype(np.complex128), check_finite=False)
        np.testing.assert_allclose(flat[i], lu, rtol=TOL[dt] * 100, atol=TOL[dt] * 100)
        np.testing.assert_array_equal(pflat[i], p + 1)
    P, L, U = ember.linalg.lu(t)
    close(P.matmul(L).matmul(U), a, dt, 10)


@SETTINGS
@given(cmatrices(hpd=True))
def test_cholesky_and_friends(case):
    t, a, dt = case
    L = ember.linalg.cholesky(t)
    close(L, np.linalg.cholesky(a), dt, 10 * a.shape[-1])
    close(L.matmul(L.mH), a, dt, 10 * a.shape[-1])  # L Lᴴ == A
    close(ember.linalg.cholesky(t, upper=True), np.linalg.cholesky(a).conj().swapaxes(-1, -2), dt, 10 * a.shape[-1])
    Lex, info = ember.linalg.cholesky_ex(t)
    close(Lex, np.linalg.cholesky(a), dt, 10 * a.shape[-1])
    assert not info.any()
    b = crandn(np.random.default_rng(1), a.shape[:-1] + (2,)).astype(dt)
    close(ember.cholesky_solve(to_ember(b), L), np.linalg.solve(a, b), dt, 100)
    close(ember.cholesky_solve(to_ember(b), L.mH, upper=True), np.linalg.solve(a, b), dt, 100)
    close(ember.cholesky_inverse(L), np.linalg.inv(a), dt, 100)
    close(ember.linalg.eigvalsh(t), np.linalg.eigvalsh(a), dt, 10 * a.shape[-1])
    close(ember.linalg.eigvalsh(t, UPLO="U"), np.linalg.eigvalsh(a, UPLO="U"), dt, 10 * a.shape[-1])
    close(ember.linalg.pinv(t, hermitian=True), np.linalg.pinv(a, hermitian=True), dt, 100)


def test_cholesky_and_eigvalsh_read_one_triangle():
    rng = np.random.default_rng(3)
    a = crandn(rng, (4, 4))
    h = a @ a.conj().T + 4 * np.eye(4)
    junk = np.triu(crandn(rng, (4, 4)), 1) + 1j * np.diag(rng.standard_normal(4))  # ignored parts
    np.testing.assert_allclose(np_of(ember.linalg.cholesky(to_ember(np.tril(h) + junk))), np.linalg.cholesky(h), atol=1e-12)
    np.testing.assert_allclose(np_of(ember.linalg.eigvalsh(to_ember(np.tril(h) + junk))), np.linalg.eigvalsh(h), atol=1e-12)
    np.testing.assert_allclose(np_of(ember.linalg.eigvalsh(to_ember(np.triu(h) + junk.T), UPLO="U")),
                               np.linalg.eigvalsh(h), atol=1e-12)


@SETTINGS
@given(cmatrices(square=False))
def test_singular_values_norms_pinv_lstsq(case):
    t, a, dt = case
    s = np.linalg.svd(a.astype(np.complex128), compute_uv=False)
    S = ember.linalg.svdvals(t)
    assert S.dtype.name == rdt(dt)
    close(S, s.astype(rdt(dt)), dt, 10)
    for ord in ("fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf):
        r = ember.linalg.matrix_norm(t, ord)
        assert r.dtype.name == rdt(dt)
        close(r, np.linalg.norm(a.astype(np.complex128), ord, axis=(-2, -1)).astype(rdt(dt)), dt, 10)
    close(ember.linalg.norm(t, "fro", dim=(-2, -1)), np.linalg.norm(a, "fro", axis=(-2, -1)).astype(rdt(dt)), dt, 10)
    close(ember.linalg.matrix_rank(t), np.linalg.matrix_rank(a), dt)
    close(ember.linalg.cond(t), np.linalg.cond(a.astype(np.complex128)).astype(rdt(dt)), dt, 1e3)
    P = ember.linalg.pinv(t)
    close(P, np.linalg.pinv(a.astype(np.complex128)).astype(dt), dt, 1e3)
    close(t.matmul(P).matmul(t), a, dt, 1e3)
    b = crandn(np.random.default_rng(2), a.shape[:-1] + (2,)).astype(dt)
    X = ember.linalg.lstsq(t, to_ember(b)).solution
    want = np.linalg.pinv(a.astype(np.complex128)) @ b
    close(X, want.astype(dt), dt, 1e3)


def test_rank_deficient():
    rng = np.random.default_rng(4)
    a = crandn(rng, (2, 5, 2)) @ crandn(rng, (2, 2, 4))  # rank 2, 5×4
    np.testing.assert_array_equal(np_of(ember.linalg.matrix_rank(to_ember(a))), [2, 2])
    np.testing.assert_allclose(np_of(ember.linalg.pinv(to_ember(a))), np.linalg.pinv(a), atol=1e-10)
    np.testing.assert_allclose(np_of(ember.linalg.svdvals(to_ember(a))), np.linalg.svd(a, compute_uv=False), atol=1e-10)
    sq = a[..., :4, :].copy()
    sq[..., :, 2] = 0  # an exactly zero pivot
    s, l = ember.linalg.slogdet(to_ember(sq))
    assert np_of(s).tolist() == [0, 0] and np.all(np_of(l) == -np.inf)
    assert np.all(np_of(ember.linalg.det(to_ember(sq))) == 0)


@SETTINGS
@given(cmatrices(), st.booleans(), st.booleans())
def test_solve_triangular_lu_solve(case, upper, unit):
    t, a, dt = case
    b = crandn(np.random.default_rng(5), a.shape[:-1] + (2,)).astype(dt)
    X = ember.linalg.solve_triangular(t, to_ember(b), upper=upper, unitriangular=unit)
    T = np.triu(a) if upper else np.tril(a)
    if unit:
        i = np.arange(a.shape[-1])
        T[..., i, i] = 1
    close(ember.matmul(to_ember(T), X), b, dt, 100)
    LU, piv = ember.linalg.lu_factor(t)
    close(ember.linalg.lu_solve(LU, piv, to_ember(b)), np.linalg.solve(a, b), dt, 100)
    close(ember.linalg.lu_solve(LU, piv, to_ember(b), adjoint=True), np.linalg.solve(a.conj().swapaxes(-1, -2), b), dt, 100)


def test_matrix_functions():
    rng = np.random.default_rng(6)
    a = crandn(rng, (2, 3, 3)) + 6 * np.eye(3)
    A = to_ember(a)
    np.testing.assert_allclose(np_of(ember.linalg.matrix_power(A, -3)), np.linalg.matrix_power(a, -3), rtol=1e-10)
    np.testing.assert_allclose(np_of(ember.linalg.matrix_power(A, 3)), np.linalg.matrix_power(a, 3), rtol=1e-10)
    np.testing.assert_allclose(np_of(ember.linalg.matrix_exp(A / 3)), scipy.linalg.expm(a / 3), rtol=1e-10)
    np.testing.assert_allclose(np_of(ember.matrix_exp(A[0] / 3)), scipy.linalg.expm(a[0] / 3), rtol=1e-10)
    np.testing.assert_allclose(np_of(ember.inverse(A)), np.linalg.inv(a), rtol=1e-10)
    np.testing.assert_allclose(np_of(ember.det(A)), np.linalg.det(a), rtol=1e-10)
    np.testing.assert_allclose(np_of(A.det()), np.linalg.det(a), rtol=1e-10)
    x, y = crandn(rng, (4, 3)), crandn(rng, (4, 3))
    np.testing.assert_allclose(np_of(ember.linalg.vecdot(to_ember(x), to_ember(y))), np.sum(x.conj() * y, -1), rtol=1e-12)
    np.testing.assert_allclose(np_of(ember.linalg.cross(to_ember(x), to_ember(y))), np.cross(x, y), rtol=1e-12)
    ms = [crandn(rng, s) for s in [(2, 3), (3, 4), (4, 2)]]
    np.testing.assert_allclose(np_of(ember.linalg.multi_dot([to_ember(m) for m in ms])), np.linalg.multi_dot(ms), rtol=1e-12)
    t4 = crandn(rng, (2, 3, 6)) + np.eye(6).reshape(6, 6)[:, :].reshape(2, 3, 6) * 5
    np.testing.assert_allclose(np_of(ember.linalg.tensorinv(to_ember(t4), ind=2)), np.linalg.tensorinv(t4, ind=2), rtol=1e-10)
    b = crandn(rng, (2, 3))
    np.testing.assert_allclose(np_of(ember.linalg.tensorsolve(to_ember(t4), to_ember(b))), np.linalg.tensorsolve(t4, b),
                               rtol=1e-10)


def test_householder_product():
    rng = np.random.default_rng(7)
    a = crandn(rng, (5, 3))
    qr, tau = scipy.linalg.lapack.zgeqrf(a)[:2]
    q = scipy.linalg.lapack.zungqr(qr, tau)[0]
    np.testing.assert_allclose(np_of(ember.linalg.householder_product(to_ember(qr), to_ember(tau))), q, atol=1e-12)


def test_complex64_stays_complex64():
    a = (crandn(np.random.default_rng(8), (3, 3)) + 4 * np.eye(3)).astype(np.complex64)
    A = to_ember(a)
    for f in (ember.linalg.inv, ember.linalg.det, lambda x: ember.linalg.solve(x, x), lambda x: ember.linalg.pinv(x)):
        assert f(A).dtype == ember.complex64
    assert ember.linalg.svdvals(A).dtype == ember.float32
    assert ember.linalg.slogdet(A).logabsdet.dtype == ember.float32


def test_errors_match_the_real_ones():
    sing = to_ember(np.array([[1, 2j], [1, 2j]]))
    with pytest.raises(LinAlgError, match="linalg.solve: The solver failed because the input matrix is singular."):
        ember.linalg.solve(sing, to_ember(np.ones((2, 1), dtype=complex)))
    with pytest.raises(LinAlgError, match="linalg.inv: The diagonal element 2 is zero, the inversion could not be completed"):
        ember.linalg.inv(sing)
    batched = to_ember(np.stack([np.eye(2, dtype=complex), np.array([[1, 2j], [1, 2j]])]))
    with pytest.raises(LinAlgError, match=r"\(Batch element 1\): The diagonal element 2 is zero"):
        ember.linalg.inv(batched)
    res, info = ember.linalg.inv_ex(batched)
    assert info.tolist() == [0, 2]
    res, info = ember.linalg.solve_ex(batched, to_ember(np.ones((2, 2, 1), dtype=complex)))
    assert info.tolist() == [0, 2]
    _, _, info = ember.linalg.lu_factor_ex(batched)
    assert info.tolist() == [0, 2]
    with pytest.raises(LinAlgError, match="U\\[2,2\\] is zero"):
        ember.linalg.lu_factor(sing)
    not_pd = to_ember(np.array([[[4, 0], [0, 1]], [[1, 2j], [-2j, 1]]], dtype=complex))
    with pytest.raises(LinAlgError, match=r"linalg.cholesky: \(Batch element 1\): The factorization could not be completed "
                                          r"because the input is not positive-definite \(the leading minor of order 2"):
        ember.linalg.cholesky(not_pd)
    L, info = ember.linalg.cholesky_ex(not_pd)
    assert info.tolist() == [0, 2]
    with pytest.raises(RuntimeError, match="Expected A and B to have the same dtype"):
        ember.linalg.solve(to_ember(np.eye(2, dtype=complex)), to_ember(np.ones((2, 1))))
    with pytest.raises(RuntimeError, match="A must be batches of square matrices"):
        ember.linalg.inv(to_ember(np.ones((2, 3), dtype=complex)))


def _same_multiset(got, want, tol):
    """Every eigenvalue of one list lies within tol of one of the other's (both ways)."""
    d = np.abs(got[..., :, None] - want[..., None, :])
    assert d.min(-1).max() <= tol and d.min(-2).max() <= tol, (got, want)


@SETTINGS
@given(cmatrices(max_side=6))
def test_eig_matches_numpy(case):
    t, a, dtype = case
    w, V = ember.linalg.eig(t)
    assert w.dtype == t.dtype and V.dtype == t.dtype
    assert tuple(V.shape) == a.shape and tuple(w.shape) == a.shape[:-1]
    wn, Vn = np_of(w).astype(np.complex128), np_of(V).astype(np.complex128)
    scale = max(1.0, np.abs(a).max()) * a.shape[-1]
    _same_multiset(wn, np.linalg.eigvals(a.astype(np.complex128)), TOL[dtype] * scale)
    # A V = V diag(w); columns of unit norm whose largest-modulus entry is real (LAPACK geev)
    np.testing.assert_allclose(a @ Vn, Vn * wn[..., None, :], atol=TOL[dtype] * scale * 4)
    np.testing.assert_allclose(np.linalg.norm(Vn, axis=-2), 1.0, atol=TOL[dtype] * 10)
    big = np.take_along_axis(Vn, np.abs(Vn).argmax(-2)[..., None, :], -2)
    np.testing.assert_allclose(big.imag, 0.0, atol=TOL[dtype] * 10)
    assert (big.real > 0).all()
    vals = ember.linalg.eigvals(t)
    assert vals.dtype == t.dtype
    np.testing.assert_allclose(np_of(vals), np_of(w), rtol=TOL[dtype], atol=TOL[dtype] * scale)


def test_eig_complex_known_values():
    a = np.array([[1 + 1j, 2], [0, 3 - 2j]], dtype=np.complex128)
    w = np.sort_complex(np_of(ember.linalg.eigvals(to_ember(a))))
    np.testing.assert_allclose(w, np.sort_complex(np.array([1 + 1j, 3 - 2j])), atol=1e-12)
    with pytest.raises(RuntimeError, match="square"):
        ember.linalg.eig(to_ember(np.ones((2, 3), dtype=complex)))


def test_sign_refuses_complex_like_pytorch():
    z = to_ember(np.array([1 + 1j, -2j, 0]))
    for f in (ember.sign, lambda x: x.sign(), lambda x: x.sign_(), lambda x: ember.sign(x, out=ember.empty_like(x))):
        with pytest.raises(NotImplementedError, match="torch.sgn"):
            f(z)
    np.testing.assert_allclose(np_of(z), [1 + 1j, -2j, 0])  # sign_ raised before writing
    np.testing.assert_allclose(np_of(ember.sgn(z)), [(1 + 1j) / np.sqrt(2), -1j, 0])


def c128(rng, shape, shift=0.0):
    a = crandn(rng, shape)
    if shift:
        a = a + shift * np.eye(shape[-1])
    return to_ember(a).requires_grad_()


def herm(x):
    return (x + x.mH) * 0.5


GRAD_CASES = {
    "solve": (lambda A, B: ember.linalg.solve(A, B), [(2, 3, 3), (2, 3, 2)]),
    "solve_left_false": (lambda A, B: ember.linalg.solve(A, B, left=False), [(3, 3), (2, 3)]),
    "inv": (lambda A: ember.linalg.inv(A), [(2, 3, 3)]),
    "det": (lambda A: ember.linalg.det(A), [(2, 3, 3)]),
    "slogdet": (lambda A: ember.linalg.slogdet(A), [(2, 3, 3)]),
    "logdet": (lambda A: ember.logdet(A), [(3, 3)]),
    "cholesky": (lambda A: ember.linalg.cholesky(herm(A) + 0 * A), [(2, 3, 3)]),
    "eigvalsh": (lambda A: ember.linalg.eigvalsh(herm(A)), [(2, 3, 3)]),
    "svdvals": (lambda A: ember.linalg.svdvals(A), [(2, 4, 3)]),
    "matrix_norm_nuc": (lambda A: ember.linalg.matrix_norm(A, "nuc"), [(3, 2)]),
    "matrix_norm_2": (lambda A: ember.linalg.matrix_norm(A, 2), [(3, 3)]),
    "matrix_norm_fro": (lambda A: ember.linalg.matrix_norm(A), [(3, 3)]),
    "pinv": (lambda A: ember.linalg.pinv(A), [(4, 3)]),
    "lstsq": (lambda A, B: ember.linalg.lstsq(A, B).solution, [(4, 3), (4, 2)]),
    "lu": (lambda A: ember.linalg.lu(A)[1:], [(3, 3)]),
    "matrix_power": (lambda A: ember.linalg.matrix_power(A, -2), [(3, 3)]),
    "matrix_exp": (lambda A: ember.linalg.matrix_exp(A * 0.3), [(3, 3)]),
    "solve_triangular": (lambda A, B: ember.linalg.solve_triangular(A, B, upper=True), [(3, 3), (3, 2)]),
    "vecdot": (lambda x, y: ember.linalg.vecdot(x, y), [(2, 3), (2, 3)]),
    "householder_product": (lambda A, tau: ember.linalg.householder_product(A, tau), [(4, 3), (3,)]),
    "cholesky_solve": (lambda L, B: ember.cholesky_solve(B, L.tril()), [(3, 3), (3, 2)]),
    "lu_solve": (lambda A, B: ember.linalg.lu_solve(*ember.linalg.lu_factor(A), B, adjoint=True), [(3, 3), (3, 2)]),
    "tensorsolve": (lambda A, B: ember.linalg.tensorsolve(A, B), [(2, 3, 6), (2, 3)]),
    "inv_ex": (lambda A: ember.linalg.inv_ex(A).inverse, [(3, 3)]),
    "cond": (lambda A: ember.linalg.cond(A), [(3, 3)]),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradcheck(name):
    fn, shapes = GRAD_CASES[name]
    rng = np.random.default_rng(9)
    args = [c128(rng, s, shift=4.0 if i == 0 and len(s) > 1 and s[-1] == s[-2] else 0.0) for i, s in enumerate(shapes)]
    if name == "tensorsolve":  # a well-conditioned (2, 3) × (6,) operator
        args[0] = to_ember(np_of(args[0]).reshape(6, 6) + 4 * np.eye(6)).reshape(2, 3, 6).detach().requires_grad_()
    if name == "cholesky":  # positive-definite
        a = np_of(args[0]).astype(np.complex128)
        args[0] = to_ember(a @ a.conj().swapaxes(-1, -2) + np.eye(3)).requires_grad_()
    assert gradcheck(fn, tuple(args), eps=1e-6, atol=1e-5)


def test_eigvalsh_and_cholesky_gradient_is_hermitian():
    rng = np.random.default_rng(10)
    a = crandn(rng, (3, 3))
    h = a @ a.conj().T + np.eye(3)
    A = to_ember(h).requires_grad_()
    ember.linalg.eigvalsh(A).pow(2).sum().backward()
    w, V = np.linalg.eigh(h)
    np.testing.assert_allclose(np_of(A.grad), (V * (2 * w)) @ V.conj().T, atol=1e-10)
    A = to_ember(h).requires_grad_()
    ember.linalg.cholesky(A).abs().pow(2).sum().backward()  # ‖L‖_F² = tr A: gradient I
    np.testing.assert_allclose(np_of(A.grad), np.eye(3), atol=1e-10)


@SETTINGS
@given(cmatrices(square=False), st.sampled_from(["reduced", "complete", "r"]))
def test_qr_matches_numpy(case, mode):
    t, a, dt = case
    Q, R = ember.linalg.qr(t, mode)
    if mode == "r":
        close(R, np.linalg.qr(a.astype(np.complex128), "r").astype(dt), dt, 100)
        return
    nQ, nR = np.linalg.qr(a.astype(np.complex128), mode)  # LAPACK: the same reflectors, R's diagonal real
    close(Q, nQ.astype(dt), dt, 100)
    close(R, nR.astype(dt), dt, 100)
    close(Q.matmul(R), a, dt, 100)
    close(Q.mH.matmul(Q), np.broadcast_to(np.eye(Q.shape[-1]), tuple(Q.shape[:-2]) + (Q.shape[-1],) * 2).astype(dt), dt, 100)
    q2, r2 = ember.qr(t, some=mode == "reduced")
    close(q2, nQ.astype(dt), dt, 100)


def test_geqrf_ormqr_complex():
    rng = np.random.default_rng(11)
    a = crandn(rng, (5, 3))
    h, tau = scipy.linalg.lapack.zgeqrf(a)[:2]
    eh, etau = ember.geqrf(to_ember(a))
    np.testing.assert_allclose(np_of(eh), h, atol=1e-12)
    np.testing.assert_allclose(np_of(etau), tau, atol=1e-12)
    c = crandn(rng, (5, 2))
    q = scipy.linalg.lapack.zungqr(np.concatenate([h, np.zeros((5, 2))], 1), tau)[0]
    np.testing.assert_allclose(np_of(ember.ormqr(eh, etau, to_ember(c), transpose=True)), q.conj().T @ c, atol=1e-12)


@SETTINGS
@given(cmatrices(hpd=True), st.sampled_from(["L", "U"]))
def test_eigh_matches_numpy(case, uplo):
    t, a, dt = case
    a = a - 2 * a.shape[-1] * np.eye(a.shape[-1], dtype=dt)  # indefinite too
    t = to_ember(a)
    w, V = ember.linalg.eigh(t, UPLO=uplo)
    assert w.dtype.name == rdt(dt) and V.dtype.name == dt
    scale = 10 * a.shape[-1] * max(1.0, float(np.abs(a).max()))
    close(w, np.linalg.eigvalsh(a, UPLO=uplo).astype(rdt(dt)), dt, scale)
    close((V * w.to(V.dtype)[..., None, :]).matmul(V.mH), a, dt, scale)
    close(V.mH.matmul(V), np.broadcast_to(np.eye(a.shape[-1]), a.shape).astype(dt), dt, scale)


def test_eigh_repeated_eigenvalues():
    rng = np.random.default_rng(12)
    u = np.linalg.qr(crandn(rng, (5, 5)))[0]
    h = (u * np.array([1.0, 1.0, 1.0, 3.0, 3.0])) @ u.conj().T
    w, V = ember.linalg.eigh(to_ember(h))
    V = np_of(V)
    np.testing.assert_allclose(np_of(w), [1, 1, 1, 3, 3], atol=1e-12)
    np.testing.assert_allclose(V.conj().T @ V, np.eye(5), atol=1e-12)
    np.testing.assert_allclose((V * np_of(w)) @ V.conj().T, h, atol=1e-12)


def _eigh_invariants(x):
    w, V = ember.linalg.eigh(herm(x))
    return w, V.abs(), V[..., :1, :].conj() * V  # each eigenvector's phase cancels


@pytest.mark.parametrize("fn,shape", [(lambda a: ember.linalg.qr(a), (4, 3)), (lambda a: ember.linalg.qr(a), (3, 3)),
                                      (_eigh_invariants, (2, 3, 3))], ids=["qr_tall", "qr_square", "eigh"])
def test_gradcheck_factorizations(fn, shape):
    assert gradcheck(fn, (c128(np.random.default_rng(13), shape),), eps=1e-6, atol=1e-5)


@SETTINGS
@given(cmatrices(square=False), st.booleans())
def test_svd_reconstructs(case, full):
    t, a, dt = case
    U, S, Vh = ember.linalg.svd(t, full_matrices=full)
    m, n = a.shape[-2:]
    k = min(m, n)
    assert S.dtype.name == rdt(dt) and U.dtype.name == dt and Vh.dtype.name == dt
    assert tuple(U.shape[-2:]) == ((m, m) if full else (m, k)) and tuple(Vh.shape[-2:]) == ((n, n) if full else (k, n))
    scale = 100 * max(m, n)
    close(S, np.linalg.svd(a.astype(np.complex128), compute_uv=False).astype(rdt(dt)), dt, scale)
    Uk, Vk = U[..., :, :k], Vh[..., :k, :]
    close((Uk * S.to(U.dtype)[..., None, :]).matmul(Vk), a, dt, scale)  # U diag(S) Vh == A
    for Q in (U, Vh.mH):
        close(Q.mH.matmul(Q), np.broadcast_to(np.eye(Q.shape[-1]), tuple(Q.shape[:-2]) + (Q.shape[-1],) * 2).astype(dt), dt, scale)
    U2, S2, V2 = ember.svd(t)  # legacy: V, not Vh
    close((U2 * S2.to(U2.dtype)[..., None, :]).matmul(V2.mH), a, dt, scale)


def test_polar_sqrth_lowrank():
    rng = np.random.default_rng(14)
    a = crandn(rng, (2, 4, 3))
    U, H = ember.linalg.polar(to_ember(a))
    u, h = scipy.linalg.polar(a[0])
    np.testing.assert_allclose(np_of(U)[0], u, atol=1e-12)
    np.testing.assert_allclose(np_of(H)[0], h, atol=1e-12)
    p = a[0].conj().T @ a[0]
    np.testing.assert_allclose(np_of(ember.linalg.matrix_sqrth(to_ember(p))), scipy.linalg.sqrtm(p), atol=1e-10)
    low = crandn(rng, (6, 2)) @ crandn(rng, (2, 5))
    U, S, V = ember.svd_lowrank(to_ember(low), q=2)
    np.testing.assert_allclose(np_of((U * S.to(U.dtype)).matmul(V.mH)), low, atol=1e-10)
    np.testing.assert_allclose(np_of(ember.nuclear_norm(to_ember(low))), np.linalg.norm(low, "nuc"), rtol=1e-10)


def _svd_invariants(x):
    U, S, Vh = ember.linalg.svd(x, full_matrices=False)
    # |U|, |V| and u_i·conj(v_i)-type products do not depend on each pair's common phase
    return S, U.abs(), Vh.abs(), U[..., :1, :].conj() * U, U * Vh[..., :, :1].mT


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 4), (2, 3, 2)])
def test_gradcheck_svd(shape):
    assert gradcheck(_svd_invariants, (c128(np.random.default_rng(15), shape),), eps=1e-6, atol=1e-5)


def test_gradcheck_polar():
    assert gradcheck(lambda a: ember.linalg.polar(a), (c128(np.random.default_rng(16), (4, 3)),), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0), (0, 3, 3), (0, 3), (3, 0)])
def test_empty_shapes(shape):
    A = ember.zeros(*shape, dtype=ember.complex128)
    for full in (True, False):
        got = [tuple(x.shape) for x in ember.linalg.svd(A, full_matrices=full)]
        assert got == [tuple(x.shape) for x in ember.linalg.svd(A.real, full_matrices=full)]
    assert tuple(ember.linalg.qr(A).R.shape) == tuple(ember.linalg.qr(A.real).R.shape)
    if shape[-1] == shape[-2]:
        np.testing.assert_array_equal(np_of(ember.linalg.det(A)), np.ones(shape[:-2]))
        assert tuple(ember.linalg.inv(A).shape) == shape
        assert tuple(ember.linalg.eigh(A).eigenvectors.shape) == shape
        assert tuple(ember.linalg.cholesky(A).shape) == shape
        for M in (A, A.real):
            w, V = ember.linalg.eig(M)
            assert (tuple(w.shape), tuple(V.shape), V.dtype) == (shape[:-1], shape, ember.complex128)
            assert tuple(ember.linalg.eigvals(M).shape) == shape[:-1]
        assert tuple(ember.linalg.solve(A, A).shape) == shape
        sign, logabs = ember.linalg.slogdet(A)
        assert tuple(sign.shape) == shape[:-2] and logabs.dtype == ember.float64


def test_hermitian_rank_and_cond_orders():
    rng = np.random.default_rng(17)
    b = crandn(rng, (5, 2))
    h = b @ b.conj().T
    assert int(ember.linalg.matrix_rank(to_ember(h), hermitian=True)) == 2
    a = crandn(rng, (3, 3)) + 3 * np.eye(3)
    for p in ("fro", "nuc", 1, -1, np.inf, -np.inf, 2, -2, None):
        np.testing.assert_allclose(np_of(ember.linalg.cond(to_ember(a), p)), np.linalg.cond(a, p), rtol=1e-10)

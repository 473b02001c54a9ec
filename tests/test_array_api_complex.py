"""ember.array_api on complex64/complex128 against array_api_strict (NumPy underneath): the
standard's dtype lattice, every elementwise function on a grid of special values (signed
zeros, infinities, NaN in either part) and on strided random values, creation, the fft and
linalg extensions. Where the standard leaves the sign of a zero or infinity open (inputs
with an infinite or NaN part), only the value class is compared."""
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import array_api_strict as strict
import ember
import ember.array_api as xp
from array_api_oracle import COMPLEX, FLOATS, NAMES, assert_same, to_numpy, to_strict
from strategies import strided_pair

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

PARTS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 1e-30, 30.0, -30.0, 1e30, math.inf, -math.inf, math.nan]
GRID = [complex(a, b) for a, b in itertools.product(PARTS, PARTS)]

UNARY = ["abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "conj", "cos", "cosh", "exp",
         "expm1", "imag", "isfinite", "isinf", "isnan", "log", "log1p", "log2", "log10", "negative",
         "positive", "real", "reciprocal", "round", "sign", "sin", "sinh", "sqrt", "square", "tan", "tanh"]
# where the standard defers to complex division (reciprocal: 1/z; sign: z/|z|) it fixes no
# sign of a zero part, and its NaN/inf pattern for zero or infinite divisors is C99's
# informative one, which NumPy does not follow; NumPy's complex expm1 misses the standard's
# special cases (expm1(1e30 + 0j) is inf + NaN j there) and rounds cos(y) - 1 to +0 for tiny
# y. These three are compared on finite nonzero inputs without the signs of zeros; the
# special cases are spelled out below
FINITE_ONLY = {"reciprocal", "sign", "expm1"}


def _grid(dtype, finite=False, bound=math.inf):
    vals = [z for z in GRID if not finite or (math.isfinite(z.real) and math.isfinite(z.imag) and z != 0)]
    return np.array([z for z in vals if not abs(z) > bound], dtype=dtype)


def _log1p_ref(s):
    """log1p with its real part 0.5 ln((1 + x)^2 + y^2) in 60-digit decimal arithmetic: NumPy's
    complex log1p is log(1 + z), which gives 0 for log1p(1e-30)."""
    import decimal
    z = to_numpy(s)
    with np.errstate(all="ignore"):
        w = np.log1p(z.astype(np.complex128))  # the special values (NaN, inf) as NumPy has them
    flat = w.reshape(-1)
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        for i, v in enumerate(z.reshape(-1).astype(np.complex128)):
            x, y = float(v.real), float(v.imag)
            if not (math.isfinite(x) and math.isfinite(y)):
                continue
            m = (1 + decimal.Decimal(x)) ** 2 + decimal.Decimal(y) ** 2
            re = -math.inf if m == 0 else float(m.ln() / 2)
            flat[i] = complex(re, math.atan2(y, float(1 + decimal.Decimal(x))))
    return flat.reshape(z.shape).astype(z.dtype)


def _oracle(name):
    # the standard defines square as x * x (NumPy's square avoids the overflow of a^2 - b^2)
    if name == "square":
        return lambda s: strict.multiply(s, s)
    return _log1p_ref if name == "log1p" else getattr(strict, name)


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("name", UNARY)
def test_unary_special_values(name, dtype):
    # x * x overflowing in a part is unspecified (NumPy's fused multiply-add gives -inf, a
    # plain one NaN): square is compared where |x|^2 is representable
    # (and NumPy's expm1 gives inf + NaN j once exp overflows)
    bound = {"square": math.sqrt(np.finfo(dtype).max), "expm1": 80.0}.get(name, math.inf)
    z = _grid(dtype, finite=name in FINITE_ONLY, bound=bound)
    got = getattr(xp, name)(xp.asarray(z.tolist(), dtype=getattr(xp, dtype)))
    want = _oracle(name)(strict.asarray(z))
    finite = np.isfinite(z.real) & np.isfinite(z.imag)
    # finite inputs: every sign; infinite or NaN parts: the standard leaves some signs open
    g = got if got.ndim == 0 else got[ember.tensor(finite)]
    assert_same(g, (want if isinstance(want, np.ndarray) else to_numpy(want))[finite], ulps=8,
                zero_sign=name not in FINITE_ONLY)
    assert_same(got, want, ulps=8, zero_sign=False)


@pytest.mark.parametrize("dtype", COMPLEX)
def test_standard_special_cases_spelled_out(dtype):
    inf, nan, pi = math.inf, math.nan, math.pi
    # (function, input, the standard's result exactly: signs the standard fixes); a list, as
    # complex keys with -0 and +0 parts compare equal
    cases = [
        ("exp", complex(inf, 0.0), complex(inf, 0.0)),
        ("exp", complex(nan, 0.0), complex(nan, 0.0)),
        ("sinh", complex(inf, 0.0), complex(inf, 0.0)),
        ("cosh", complex(0.0, 0.0), complex(1.0, 0.0)),
        ("tanh", complex(inf, 2.0), complex(1.0, 0.0)),  # the standard: +0, whatever sin(2y)
        ("expm1", complex(-inf, inf), complex(-1.0, 0.0)),
        ("expm1", complex(inf, 0.0), complex(inf, 0.0)),
        ("expm1", complex(0.0, 0.0), complex(0.0, 0.0)),
        ("expm1", complex(-0.0, 0.0), complex(0.0, 0.0)),
        ("expm1", complex(-0.0, -0.0), complex(0.0, -0.0)),
        ("expm1", complex(nan, 0.0), complex(nan, 0.0)),
        ("expm1", complex(1.0, inf), complex(nan, nan)),
        ("expm1", complex(-inf, 1.0), complex(-1.0, 0.0)),
        ("tanh", complex(0.0, nan), complex(0.0, nan)),
        ("sin", complex(0.0, 1e300 if dtype == "complex128" else 1e30), complex(0.0, inf)),
        ("acos", complex(0.0, nan), complex(pi / 2, nan)),
        ("acos", complex(-inf, 1.0), complex(pi, -inf)),
        ("acosh", complex(0.0, 0.0), complex(0.0, pi / 2)),
        ("acosh", complex(-inf, inf), complex(inf, 3 * pi / 4)),
        ("asinh", complex(nan, 0.0), complex(nan, 0.0)),
        ("asinh", complex(inf, inf), complex(inf, pi / 4)),
        ("atanh", complex(1.0, 0.0), complex(inf, 0.0)),
        ("atanh", complex(0.0, nan), complex(0.0, nan)),
        ("atanh", complex(inf, nan), complex(0.0, nan)),
        ("atanh", complex(2.0, inf), complex(0.0, pi / 2)),
        ("sign", complex(-0.0, 0.0), complex(0.0, 0.0)),
    ]
    for name, z, want in cases:
        got = getattr(xp, name)(xp.asarray([z], dtype=getattr(xp, dtype)))
        assert_same(got, np.array([want], dtype=dtype))


@pytest.mark.parametrize("dtype", COMPLEX)
def test_branch_cuts_follow_the_sign_of_zero(dtype):
    # on a cut, +0 and -0 imaginary parts pick the two sides (C99 Annex G, as the standard asks)
    pts = [complex(x, s) for x in (-3.0, -1.5, 1.5, 3.0) for s in (0.0, -0.0)]
    pts += [complex(s, y) for y in (-3.0, -1.5, 1.5, 3.0) for s in (0.0, -0.0)]
    z = np.array(pts, dtype=dtype)
    for name in ("acos", "acosh", "asin", "asinh", "atan", "atanh", "log", "sqrt"):
        assert_same(getattr(xp, name)(xp.asarray(z.tolist(), dtype=getattr(xp, dtype))),
                    getattr(strict, name)(strict.asarray(z)), ulps=8)


@settings(max_examples=25, deadline=None)
@given(strided_pair(dtypes=COMPLEX, max_dims=3), st.sampled_from(UNARY))
def test_unary_on_strided_inputs(pair, name):
    t, a = pair
    assert_same(getattr(xp, name)(t), _oracle(name)(strict.asarray(np.array(a, copy=True))), ulps=16,
                zero_sign=name not in FINITE_ONLY)


@settings(max_examples=25, deadline=None)
@given(strided_pair(dtypes=COMPLEX, max_dims=2), strided_pair(dtypes=COMPLEX + FLOATS, max_dims=2),
       st.sampled_from(["add", "subtract", "multiply", "divide", "equal", "not_equal", "pow"]))
def test_binary_promotes_on_the_standard_lattice(p1, p2, name):
    (t1, a1), (t2, a2) = p1, p2
    try:
        want = getattr(strict, name)(strict.asarray(np.array(a1, copy=True)), strict.asarray(np.array(a2, copy=True)))
    except ValueError:
        with pytest.raises((ValueError, RuntimeError)):
            getattr(xp, name)(t1, t2)  # shapes that do not broadcast
        return
    got = getattr(xp, name)(t1, t2)
    assert got.dtype == getattr(xp, str(want.dtype).split(".")[-1])
    if name == "pow":  # libm pow differs in the last bits more than the others
        np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=1e-4, atol=1e-5)
    else:
        assert_same(got, want, ulps=8)


def test_dtype_functions_match_strict():
    for d1, d2 in itertools.product(NAMES, NAMES):
        e1, e2, s1, s2 = getattr(xp, d1), getattr(xp, d2), getattr(strict, d1), getattr(strict, d2)
        assert xp.can_cast(e1, e2) == strict.can_cast(s1, s2), (d1, d2)
        try:
            want = strict.result_type(s1, s2)
        except TypeError:
            continue  # mixed kinds: implementation-defined
        assert xp.result_type(e1, e2) == getattr(xp, str(want).split(".")[-1]), (d1, d2)
    for d in NAMES:
        for kind in ("bool", "signed integer", "unsigned integer", "integral", "real floating",
                     "complex floating", "numeric"):
            assert xp.isdtype(getattr(xp, d), kind) == strict.isdtype(getattr(strict, d), kind), (d, kind)
    assert xp.result_type(xp.complex64, xp.float64) == xp.complex128
    assert xp.result_type(xp.asarray([1.0], dtype=xp.float64), 1j) == xp.complex128
    assert xp.result_type(xp.asarray([1.0], dtype=xp.float32), 1j) == xp.complex64
    f = xp.finfo(xp.complex128)
    assert (f.bits, f.eps, f.dtype) == (64, float(np.finfo(np.float64).eps), xp.float64)
    assert xp.__array_namespace_info__().dtypes(kind="complex floating") == {
        "complex64": xp.complex64, "complex128": xp.complex128}


def test_creation():
    z = xp.asarray([1, 2.5, -1j])
    assert z.dtype == xp.complex64
    assert_same(z, np.array([1, 2.5, -1j], dtype=np.complex64))
    with pytest.raises(TypeError):
        xp.asarray([1j], dtype=xp.float64)  # dropping imaginary parts is refused
    for start, stop, num, endpoint in [(0, 1 + 2j, 5, True), (-1j, 3 + 1j, 4, False), (1j, 1j, 1, True)]:
        for dt in COMPLEX:
            assert_same(xp.linspace(start, stop, num, dtype=getattr(xp, dt), endpoint=endpoint),
                        strict.linspace(start, stop, num, dtype=getattr(strict, dt), endpoint=endpoint))
    assert xp.linspace(0, 1j, 3).dtype == xp.complex64
    assert_same(xp.full((2,), 1 - 1j), np.full((2,), 1 - 1j, dtype=np.complex64))
    x = xp.asarray(np.array([1 + 2j, 3 - 4j]))
    assert x.dtype == xp.complex128 and xp.asarray(x, dtype=xp.complex64).dtype == xp.complex64


@settings(max_examples=20, deadline=None)
@given(strided_pair(dtypes=COMPLEX, min_dims=1, max_dims=3, max_side=4))
def test_fft_matches_strict(pair):
    t, a = pair
    if 0 in t.shape:
        return  # a transform over no points is an error (NumPy's too)
    s = strict.asarray(np.array(a, copy=True))
    for name in ("fft", "ifft"):
        for norm in ("backward", "ortho", "forward"):
            got, want = getattr(xp.fft, name)(t, norm=norm), getattr(strict.fft, name)(s, norm=norm)
            np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=1e-4, atol=1e-4)
            assert got.dtype == t.dtype
    if True:
        got, want = xp.fft.irfft(t, n=2 * t.shape[-1]), strict.fft.irfft(s, n=2 * t.shape[-1])
        np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=1e-4, atol=1e-4)
        assert got.dtype == {xp.complex64: xp.float32, xp.complex128: xp.float64}[t.dtype]
        got, want = xp.fft.fftn(t), strict.fft.fftn(s)
        np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=1e-4, atol=1e-3)


def _c(rng, *shape, dtype="complex128"):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


@pytest.mark.parametrize("dtype", COMPLEX)
def test_linalg(dtype):
    rng = np.random.default_rng(0)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "complex64" else dict(rtol=1e-10, atol=1e-10)
    A, B, R = _c(rng, 2, 3, 3, dtype=dtype), _c(rng, 2, 3, 2, dtype=dtype), _c(rng, 2, 3, 4, dtype=dtype)
    H = A + np.conj(np.swapaxes(A, -1, -2))
    # strided (transposed) views on the ember side
    eA, eB, eR, eH = (xp.asarray(np.ascontiguousarray(np.swapaxes(m, -1, -2))) for m in (A, B, R, H))
    eA, eB, eR, eH = (xp.matrix_transpose(m) for m in (eA, eB, eR, eH))
    sA, sB, sR, sH = (strict.asarray(m) for m in (A, B, R, H))
    L = strict.linalg
    checks = [
        (xp.linalg.solve(eA, eB), L.solve(sA, sB)),
        (xp.linalg.solve(eA[0], eB[0, :, 0]), L.solve(sA[0, ...], sB[0, :, 0])),
        (xp.linalg.inv(eA), L.inv(sA)),
        (xp.linalg.pinv(eR), L.pinv(sR)),
        (xp.linalg.svdvals(eR), L.svdvals(sR)),
        (xp.linalg.eigvalsh(eH), L.eigvalsh(sH)),
        (xp.linalg.matrix_rank(eR), L.matrix_rank(sR)),
        (xp.linalg.vector_norm(eR, axis=-1), L.vector_norm(sR, axis=-1)),
        (xp.linalg.vector_norm(eR, ord=1), L.vector_norm(sR, ord=1)),
        (xp.vecdot(eR, eR[0]), strict.vecdot(sR, sR[0, ...])),
        (xp.matmul(eA, eB), strict.matmul(sA, sB)),
        (xp.linalg.trace(eA), L.trace(sA)),
    ]
    for o in ("fro", 1, -1, math.inf, -math.inf, 2, -2, "nuc"):
        checks.append((xp.linalg.matrix_norm(eR, ord=o, keepdims=True), L.matrix_norm(sR, ord=o, keepdims=True)))
    for got, want in checks:
        w = to_numpy(want)
        assert str(got.dtype).split(".")[-1] == str(w.dtype)
        np.testing.assert_allclose(to_numpy(got), w, **tol)
    w, V = xp.linalg.eigh(eH)
    np.testing.assert_allclose(to_numpy(w), to_numpy(L.eigvalsh(sH)), **tol)
    w, V = to_numpy(w), to_numpy(V)
    np.testing.assert_allclose(H @ V, V * w[..., None, :], **tol)
    vhv = np.conj(np.swapaxes(V, -1, -2)) @ V
    np.testing.assert_allclose(vhv, np.broadcast_to(np.eye(3), vhv.shape), **tol)
    # a repeated eigenvalue still gets orthonormal eigenvectors
    w, V = xp.linalg.eigh(xp.asarray(np.diag([2.0, 2.0, -1.0]).astype(H.dtype)))
    np.testing.assert_allclose(to_numpy(w), [-1, 2, 2], **tol)
    np.testing.assert_allclose(np.conj(to_numpy(V).T) @ to_numpy(V), np.eye(3), **tol)


@pytest.mark.parametrize("dtype", COMPLEX)
def test_linalg_factorizations(dtype):
    rng = np.random.default_rng(1)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "complex64" else dict(rtol=1e-10, atol=1e-10)
    A = _c(rng, 3, 4, 4, dtype=dtype)
    P = (A @ np.conj(np.swapaxes(A, -1, -2)) + np.eye(4)).astype(dtype)
    eA, eP = xp.asarray(A), xp.asarray(P)
    L = strict.linalg
    np.testing.assert_allclose(to_numpy(xp.linalg.det(eA)), to_numpy(L.det(strict.asarray(A))), **tol)
    s, la = xp.linalg.slogdet(eA)
    ws, wla = L.slogdet(strict.asarray(A))
    assert s.dtype == eA.dtype and la.dtype == {xp.complex64: xp.float32, xp.complex128: xp.float64}[eA.dtype]
    np.testing.assert_allclose(to_numpy(s), to_numpy(ws), **tol)
    np.testing.assert_allclose(to_numpy(la), to_numpy(wla), **tol)
    for upper in (False, True):
        np.testing.assert_allclose(to_numpy(xp.linalg.cholesky(eP, upper=upper)),
                                   to_numpy(L.cholesky(strict.asarray(P), upper=upper)), **tol)
    with pytest.raises(ember.linalg.LinAlgError):
        xp.linalg.cholesky(xp.asarray(np.array([[1, 2], [2, 1]], dtype=dtype)))
    # a singular matrix: det 0, slogdet (0, -inf)
    S = xp.asarray(np.array([[1 + 1j, 2], [2 + 2j, 4]], dtype=dtype))
    assert complex(xp.linalg.det(S)) == 0
    s, la = xp.linalg.slogdet(S)
    assert complex(s) == 0 and float(la) == -math.inf
    for shape in ((2, 5, 3), (3, 5), (4, 4)):
        X = _c(rng, *shape, dtype=dtype)
        for mode in ("reduced", "complete"):
            Q, R = xp.linalg.qr(xp.asarray(X), mode=mode)
            q, r = to_numpy(Q), to_numpy(R)
            k = min(shape[-2:])
            assert q.shape[-1] == (k if mode == "reduced" else shape[-2]) and q.dtype == X.dtype
            np.testing.assert_allclose(q @ r, X, **tol)
            qhq = np.conj(np.swapaxes(q, -1, -2)) @ q
            np.testing.assert_allclose(qhq, np.broadcast_to(np.eye(q.shape[-1]), qhq.shape), **tol)
            assert np.array_equal(r, np.triu(r))
    for shape in ((2, 5, 3), (3, 5), (4, 4), (2, 0, 3)):
        X = _c(rng, *shape, dtype=dtype)
        if shape[-2]:
            X[..., 0, :] *= 0  # a zero singular value: its U column comes from the completion
        for full in (True, False):
            U, S, Vh = (to_numpy(a) for a in xp.linalg.svd(xp.asarray(X), full_matrices=full))
            m, n = shape[-2:]
            k = min(m, n)
            assert U.shape[-2:] == ((m, m) if full else (m, k)) and Vh.shape[-2:] == ((n, n) if full else (k, n))
            assert U.dtype == X.dtype and S.dtype == np.finfo(X.dtype).dtype
            np.testing.assert_allclose(S, np.linalg.svd(X, compute_uv=False), **tol)
            np.testing.assert_allclose((U[..., :, :k] * S[..., None, :]) @ Vh[..., :k, :], X, **tol)
            for q in (U, np.conj(np.swapaxes(Vh, -1, -2))):
                qhq = np.conj(np.swapaxes(q, -1, -2)) @ q
                np.testing.assert_allclose(qhq, np.broadcast_to(np.eye(q.shape[-1]), qhq.shape), **tol)
    big = xp.asarray(np.array([[1e300 + 1e300j, 1], [1, 0]]))
    np.testing.assert_allclose(to_numpy(xp.linalg.svd(big).S), [2 ** 0.5 * 1e300, 0], atol=1e-10)


@settings(max_examples=20, deadline=None)
@given(strided_pair(dtypes=COMPLEX, min_dims=1, max_dims=3, max_side=4), st.data())
def test_cumulative_and_unique(pair, data):
    t, a = pair
    s = strict.asarray(np.array(a, copy=True))
    axis = data.draw(st.integers(0, t.ndim - 1))
    init = data.draw(st.booleans())
    for name in ("cumulative_sum", "cumulative_prod"):
        got = getattr(xp, name)(t, axis=axis, include_initial=init)
        want = getattr(strict, name)(s, axis=axis, include_initial=init)
        assert got.dtype == t.dtype
        np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=1e-4, atol=1e-5)
    # values repeat so that groups form; the order of complex values is unspecified
    r = xp.concat([xp.reshape(t, (-1,)), xp.reshape(t, (-1,))])
    got, want = xp.unique_counts(r), strict.unique_counts(to_strict(r))
    g, w = to_numpy(got.values), to_numpy(want.values)
    assert sorted(zip(g.tolist(), to_numpy(got.counts).tolist()), key=repr) == \
        sorted(zip(w.tolist(), to_numpy(want.counts).tolist()), key=repr)
    u = xp.unique_all(r)
    assert_same(u.values[u.inverse_indices], r)
    assert_same(r[u.indices], u.values)


def test_matrix_power_negative():
    a = np.array([[1 + 1j, 2], [0.5j, 1j]])
    assert_same(xp.linalg.matrix_power(xp.asarray(a), -3),
                strict.linalg.matrix_power(strict.asarray(a), -3), ulps=64)


def test_astype_refuses_complex_to_real():
    z = xp.asarray([1 + 2j])
    with pytest.raises(TypeError, match="real"):
        xp.astype(z, xp.float64)
    assert_same(xp.astype(xp.asarray([1.5], dtype=xp.float32), xp.complex128), np.array([1.5 + 0j]))
    assert_same(xp.astype(z, xp.complex128), np.array([1 + 2j]))

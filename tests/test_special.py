"""ember.special against scipy.special on strided float32/float64 input, with gradients
where PyTorch defines them."""
import math

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given, settings, strategies as st

import ember
from ember.autograd import gradcheck
from strategies import np_of, strided_pair, to_ember

SETTINGS = settings(max_examples=10, deadline=None)
TOL = {"float32": 2e-5, "float64": 1e-11}

# name → (scipy reference, domain transform of a standard-normal draw, rtol scale)
UNARY = {
    "gammaln": (sp.gammaln, lambda x: 3 * x, 10),
    "digamma": (sp.digamma, lambda x: 3 * x + 0.1, 100),
    "psi": (sp.digamma, lambda x: np.abs(x) + 0.5, 10),
    "i0": (sp.i0, lambda x: 5 * x, 10),
    "i0e": (sp.i0e, lambda x: 5 * x, 10),
    "i1": (sp.i1, lambda x: 5 * x, 10),
    "i1e": (sp.i1e, lambda x: 5 * x, 10),
    "modified_bessel_i0": (sp.i0, lambda x: 5 * x, 10),
    "modified_bessel_i1": (sp.i1, lambda x: 5 * x, 10),
    "modified_bessel_k0": (sp.k0, lambda x: 3 * np.abs(x) + 0.05, 100),
    "modified_bessel_k1": (sp.k1, lambda x: 3 * np.abs(x) + 0.05, 100),
    "scaled_modified_bessel_k0": (sp.k0e, lambda x: 3 * np.abs(x) + 0.05, 100),
    "scaled_modified_bessel_k1": (sp.k1e, lambda x: 3 * np.abs(x) + 0.05, 100),
    "bessel_j0": (sp.j0, lambda x: 5 * x, 100),
    "bessel_j1": (sp.j1, lambda x: 5 * x, 100),
    "bessel_y0": (sp.y0, lambda x: 3 * np.abs(x) + 0.1, 100),
    "bessel_y1": (sp.y1, lambda x: 3 * np.abs(x) + 0.1, 100),
    "airy_ai": (lambda x: sp.airy(x)[0], lambda x: 3 * x, 1e4),
    "erfcx": (sp.erfcx, lambda x: 3 * x, 10),
    "ndtr": (sp.ndtr, lambda x: 3 * x, 10),
    "ndtri": (sp.ndtri, lambda x: sp.ndtr(x), 100),
    "log_ndtr": (sp.log_ndtr, lambda x: 10 * x, 10),
    "spherical_bessel_j0": (lambda x: sp.spherical_jn(0, x), lambda x: 5 * x, 10),
    "entr": (sp.entr, lambda x: x, 10),
    "sinc": (np.sinc, lambda x: x, 10),
    "expit": (sp.expit, lambda x: x, 10),
    "erf": (sp.erf, lambda x: x, 10),
    "erfc": (sp.erfc, lambda x: x, 10),
    "exp2": (np.exp2, lambda x: x, 10),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=5, deadline=None)
@given(pair=strided_pair(min_dims=1, max_dims=3, max_side=5))
def test_unary(pair, name):
    t, a = pair
    ref, domain, scale = UNARY[name]
    dt = str(a.dtype)
    a = domain(a.astype(np.float64)).astype(dt)
    t = to_ember(np.ascontiguousarray(a)) if a.ndim < 2 else to_ember(np.ascontiguousarray(a.swapaxes(0, -1))).transpose(0, -1)
    y = getattr(ember.special, name)(t)
    assert y.dtype == t.dtype and tuple(y.shape) == a.shape
    want = ref(a.astype(np.float64))
    got = np_of(y).astype(np.float64)
    np.testing.assert_allclose(got, want, rtol=TOL[dt] * scale, atol=TOL[dt] * scale)


def test_binary_and_polynomials():
    rng = np.random.default_rng(0)
    s = rng.uniform(1.1, 6, (3, 4))
    q = rng.uniform(0.1, 5, (4,))
    np.testing.assert_allclose(np_of(ember.special.zeta(to_ember(s), to_ember(q))), sp.zeta(s, q), rtol=1e-12)
    a, x = rng.uniform(0.1, 5, 10), rng.uniform(0, 8, 10)
    np.testing.assert_allclose(np_of(ember.special.gammainc(to_ember(a), to_ember(x))), sp.gammainc(a, x), rtol=1e-10)
    np.testing.assert_allclose(np_of(ember.special.gammaincc(to_ember(a), to_ember(x))), sp.gammaincc(a, x), rtol=1e-10)
    xs = rng.uniform(0.2, 4, 10)
    for n in range(4):
        np.testing.assert_allclose(np_of(ember.special.polygamma(n, to_ember(xs))), sp.polygamma(n, xs), rtol=1e-10)
    np.testing.assert_allclose(np_of(ember.special.multigammaln(to_ember(xs + 2), 3)), sp.multigammaln(xs + 2, 3), rtol=1e-12)
    u = rng.uniform(-1, 1, 8)
    polys = {
        "chebyshev_polynomial_t": sp.eval_chebyt, "chebyshev_polynomial_u": sp.eval_chebyu,
        "hermite_polynomial_h": sp.eval_hermite, "hermite_polynomial_he": sp.eval_hermitenorm,
        "laguerre_polynomial_l": sp.eval_laguerre, "legendre_polynomial_p": sp.eval_legendre,
        "shifted_chebyshev_polynomial_t": lambda n, x: sp.eval_chebyt(n, 2 * x - 1),
    }
    for name, ref in polys.items():
        for n in [0, 1, 2, 5, 9]:
            got = np_of(getattr(ember.special, name)(to_ember(u), n))
            np.testing.assert_allclose(got, ref(n, u), rtol=1e-9, atol=1e-9, err_msg=f"{name} n={n}")
    # chebyshev V/W: V_n(cos θ) = cos((n+½)θ)/cos(θ/2), W_n(cos θ) = sin((n+½)θ)/sin(θ/2)
    th = np.arccos(u)
    np.testing.assert_allclose(np_of(ember.special.chebyshev_polynomial_v(to_ember(u), 4)), np.cos(4.5 * th) / np.cos(th / 2), rtol=1e-9)
    np.testing.assert_allclose(np_of(ember.special.chebyshev_polynomial_w(to_ember(u), 4)), np.sin(4.5 * th) / np.sin(th / 2), rtol=1e-9)
    assert float(ember.special.hermite_polynomial_h(ember.tensor(1.0), -1)) == 0.0
    xl = rng.uniform(0.1, 3, 6)
    yl = rng.uniform(-0.5, 3, 6)
    np.testing.assert_allclose(np_of(ember.special.xlog1py(to_ember(xl), to_ember(yl))), sp.xlog1py(xl, yl), rtol=1e-12)
    np.testing.assert_allclose(np_of(ember.special.xlogy(to_ember(xl), to_ember(yl + 1))), sp.xlogy(xl, yl + 1), rtol=1e-12)
    np.testing.assert_allclose(np_of(ember.special.logit(to_ember(u / 2 + 0.5))), sp.logit(u / 2 + 0.5), rtol=1e-12)


def test_special_values():
    sv = ember.special
    assert math.isinf(float(sv.digamma(ember.tensor(0.0, dtype=ember.float64))))
    assert math.isnan(float(sv.digamma(ember.tensor(-2.0, dtype=ember.float64))))
    assert float(sv.digamma(ember.tensor(-0.0, dtype=ember.float64))) == float("inf")
    assert float(sv.digamma(ember.tensor(-1e-8, dtype=ember.float64))) == pytest.approx(sp.digamma(-1e-8), rel=1e-13)
    assert float(sv.zeta(ember.tensor(20.0, dtype=ember.float64), ember.tensor(10.25, dtype=ember.float64))) == \
        pytest.approx(sp.zeta(20.0, 10.25), rel=1e-13)
    assert float(sv.log_ndtr(ember.tensor(6.0, dtype=ember.float64))) == pytest.approx(sp.log_ndtr(6.0), rel=1e-13)
    assert float(sv.ndtri(ember.tensor(0.0))) == float("-inf")
    assert float(sv.i0e(ember.tensor(1e6, dtype=ember.float64))) == pytest.approx(sp.i0e(1e6), rel=1e-12)
    assert float(sv.i1e(ember.tensor(-800.0, dtype=ember.float64))) == pytest.approx(sp.i1e(-800.0), rel=1e-12)
    assert float(sv.scaled_modified_bessel_k0(ember.tensor(900.0, dtype=ember.float64))) == pytest.approx(sp.k0e(900.0), rel=1e-12)
    assert float(sv.log_ndtr(ember.tensor(-40.0, dtype=ember.float64))) == pytest.approx(sp.log_ndtr(-40.0), rel=1e-12)
    assert float(sv.erfcx(ember.tensor(50.0, dtype=ember.float64))) == pytest.approx(sp.erfcx(50.0), rel=1e-12)
    assert math.isnan(float(sv.i0(ember.tensor(float("nan")))))
    assert sv.gammaln(ember.tensor([1, 2, 3])).dtype == ember.float32
    assert sv.i0(ember.tensor([1.0], dtype=ember.float16)).dtype == ember.float16
    np.testing.assert_allclose(np_of(ember.lgamma(ember.tensor([0.5, 4.0]))), sp.gammaln([0.5, 4.0]), rtol=1e-6)
    np.testing.assert_allclose(np_of(ember.tensor([0.5, 4.0]).digamma()), sp.digamma([0.5, 4.0]), rtol=1e-6)


def test_gradients():
    rng = np.random.default_rng(1)
    x = to_ember(rng.uniform(0.5, 3, (2, 3))).requires_grad_()
    for name in ["gammaln", "digamma", "i0", "i0e", "i1", "i1e", "erfcx", "ndtr", "log_ndtr", "entr", "sinc", "bessel_j0",
                 "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
                 "modified_bessel_k1"]:
        assert gradcheck(getattr(ember.special, name), (x,)), name
    assert gradcheck(lambda v: ember.special.i1e(-v), (x,))
    assert gradcheck(lambda v: ember.special.ndtri(v / 4), (x,))
    assert gradcheck(lambda v: ember.special.polygamma(2, v), (x,))
    assert gradcheck(lambda v: ember.special.zeta(ember.tensor(2.5, dtype=ember.float64), v), (x,))
    assert gradcheck(lambda v: ember.special.gammainc(ember.tensor(1.5, dtype=ember.float64), v), (x,))
    assert gradcheck(lambda v: ember.special.gammaincc(ember.tensor(1.5, dtype=ember.float64), v), (x,))
    assert gradcheck(lambda v: ember.special.multigammaln(v + 1, 2), (x,))
    assert gradcheck(lambda v: ember.special.xlog1py(v, v), (x,))


def test_not_differentiable_where_pytorch_is_not():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    for name in ["airy_ai", "spherical_bessel_j0", "scaled_modified_bessel_k0"]:
        assert not getattr(ember.special, name)(x).requires_grad
    assert not ember.special.chebyshev_polynomial_t(x, 3).requires_grad
    with pytest.raises(NotImplementedError, match="not implemented"):
        ember.special.zeta(x, ember.tensor([1.0, 2.0])).sum().backward()


def test_errors():
    with pytest.raises(TypeError):
        ember.special.i0("x")
    with pytest.raises(RuntimeError, match="negative n"):
        ember.special.polygamma(-1, ember.ones(2))
    with pytest.raises(RuntimeError, match="greater than or equal to 1"):
        ember.special.multigammaln(ember.tensor([2.0]), 0)

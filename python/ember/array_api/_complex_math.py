"""Complex elementary functions with every special case the array API standard lists spelled
out (signed zeros of each part, subnormal imaginary parts, NaN/infinity combinations), composed
from real ember ops on the (re, im) parts. ember's core kernels (rust/ember-cpu/src/complex.rs)
follow C99 Annex G too and agree with these on finite values, but differ on some zero signs
and subnormal parts the conformance suite checks, so the namespace keeps these.
Everything here works on float64 parts (complex64 is computed in float64 and rounded once)
and spells out each special case of the standard rather than relying on inf * 0.

Formulas: exp/expm1/log1p/sinh/cosh from their real parts, tanh after Kahan ("Branch cuts for complex
elementary functions", 1987) with an exp(-2|x|) tail for large |x|; asin and acosh are
Kahan's sqrt-product formulas (branch cuts follow the sign of zero), atanh is the real-part
formula with a 1/z tail for huge |z|; sin/cos/tan/asin/atan come from the hyperbolic ones
through z -> iz as C99 defines them, and acos from acosh."""
import math

import ember

_LN2 = math.log(2.0)
_HALF_PI = math.pi / 2
# beyond this (in float64) the squares in atanh's formula could overflow; there atanh(z) is
# 1/z + i*copysign(pi/2, y) to double precision
_HUGE = 1e150


def _parts(z):
    w = z.to(ember.complex128)
    return w.real.clone(), w.imag.clone()


def _join(re, im, dtype):
    return ember.complex(re, im).to(dtype)


def _w(cond, a, b):
    return ember.where(cond, a, b)


def _full(like, v):
    return ember.full_like(like, v)


def _copysign(v, like):
    return ember.copysign(_full(like, v), like)


# ---- each helper below maps float64 parts (x, y) to float64 parts (re, im) ----

def _exp(x, y):
    e = ember.exp(x / 2)  # exp(x) cos(y) as (exp(x/2) cos(y)) exp(x/2): no spurious overflow
    re = e * ember.cos(y) * e
    im = _w(y == 0, y, e * ember.sin(y) * e)
    bad_y = ~ember.isfinite(y)
    re = _w(ember.isinf(x) & bad_y, _w(x > 0, x, ember.zeros_like(x)), re)
    im = _w(ember.isinf(x) & bad_y, _w(x > 0, _full(x, math.nan), ember.zeros_like(x)), im)
    return re, im


def _expm1(x, y):
    # Re = expm1(x) cos(y) + (cos(y) - 1) with cos(y) - 1 = -2 sin^2(y/2): no cancellation near 0
    h = ember.sin(y / 2)
    re = ember.expm1(x) * ember.cos(y) - 2 * h * h
    im = _w(y == 0, y, ember.exp(x) * ember.sin(y))
    bad_y = ~ember.isfinite(y)
    neg_inf, pos_inf = ember.isneginf(x), ember.isposinf(x)
    re = _w(neg_inf, _full(x, -1.0), _w(pos_inf & bad_y, x, re))
    # expm1(+-0 + 0j) is +0 + 0j in the standard's table (the real part is cos(0) - 1, not -0)
    re = _w((x == 0) & (y == 0), ember.zeros_like(x), re)
    im = _w(neg_inf & bad_y, ember.zeros_like(x), _w(pos_inf & bad_y, _full(x, math.nan), im))
    return re, im


def _log1p(x, y):
    # Re = 0.5 log1p(x (2 + x) + y^2) keeps tiny z exact (log(1 + z) rounds 1 + 1e-30 to 1);
    # near z = -1, 1 + x is exact and log|1 + z| loses nothing; far out it cannot overflow
    h = ember.hypot(1 + x, y)
    far = (h < 0.5) | (h > 1e10)
    near = 0.5 * ember.log1p(_w(far, ember.zeros_like(x), x * (2 + x) + y * y))
    re = _w(far, ember.log(h), near)
    im = ember.atan2(y, 1 + x)
    return re, im


def _sinh(x, y):
    bad_y = ~ember.isfinite(y)
    re = _w((x == 0) & bad_y, x, ember.sinh(x) * ember.cos(y))
    im = _w(y == 0, y, ember.cosh(x) * ember.sin(y))
    inf_x = ember.isinf(x) & bad_y
    return _w(inf_x, ember.abs(x), re), _w(inf_x, _full(x, math.nan), im)


def _cosh(x, y):
    bad_y = ~ember.isfinite(y)
    re = ember.cosh(x) * ember.cos(y)
    im = _w(y == 0, _copysign(1.0, x) * y, ember.sinh(x) * ember.sin(y))
    im = _w((x == 0) & bad_y, ember.zeros_like(x), im)
    inf_x = ember.isinf(x) & bad_y
    return _w(inf_x, _full(x, math.inf), re), _w(inf_x, _full(x, math.nan), im)


def _tanh(x, y):
    # |x| <= 22: Kahan's formula; beyond, tanh(x) is +-1 in float64 and the imaginary part
    # is sin(2y) / (cosh(2x) + cos(2y)) ~ 4 sin(y) cos(y) exp(-2|x|)
    t = ember.tan(y)
    beta = 1 + t * t
    s = ember.sinh(x)
    rho = ember.sqrt(1 + s * s)
    den = 1 + beta * s * s
    big = ember.abs(x) > 22
    re = _w(big, _copysign(1.0, x), beta * rho * s / den)
    im = _w(big, 4 * ember.sin(y) * ember.cos(y) * ember.exp(-2 * ember.abs(x)), t / den)
    im = _w(y == 0, y, im)
    bad_y = ~ember.isfinite(y)
    nan = _full(x, math.nan)
    # a finite nonzero x with y infinite or NaN: NaN + NaN j; x = 0 keeps its zero
    lost = bad_y & ember.isfinite(x)
    re = _w(lost, _w(x == 0, x, nan), re)
    im = _w(lost, nan, im)
    # tanh(+-inf + iy) = +-1 + 0j, the zero taking y's sign (the standard's table)
    im = _w(ember.isinf(x), _copysign(0.0, y), im)
    return re, im


def _nonfinite(x, y):
    return ~(ember.isfinite(x) & ember.isfinite(y))


def _log_parts(x, y):
    lz = ember.log(ember.complex(x, y))
    return lz.real.clone(), lz.imag.clone()


def _csqrt(re, im):
    r = ember.sqrt(ember.complex(re, im))
    return r.real.clone(), r.imag.clone()


def _asinh(x, y):
    # finite: asinh(z) = -i asin(iz) with Kahan's asin(w), w = iz = -y + ix
    wr, wi = -y, x
    ar, ai = _csqrt(1 - wr, -wi)  # sqrt(1 - w), the zero's sign kept for the branch cut
    br, bi = _csqrt(1 + wr, wi)   # sqrt(1 + w)
    xi = ember.atan2(wr, ar * br - ai * bi)
    eta = ember.asinh(ar * bi - ai * br)
    re, im = eta, -xi
    # infinities and NaN: asinh(z) = s (log 2 + log(s z)), s the sign of Re z (asinh is odd)
    s = _copysign(1.0, x)
    lr, li = _log_parts(s * x, s * y)
    bad = _nonfinite(x, y)
    re = _w(bad, s * (lr + _LN2), re)
    im = _w(bad, s * li, im)
    return re, _w(ember.isnan(x) & (y == 0), y, im)


def _acosh(x, y):
    ar, ai = _csqrt(x - 1, y)  # sqrt(z - 1)
    br, bi = _csqrt(x + 1, y)  # sqrt(z + 1)
    re = ember.asinh(ar * br + ai * bi)
    im = 2 * ember.atan2(ai, br)
    # infinities and NaN: acosh(z) = log 2 + log z
    lr, li = _log_parts(x, y)
    bad = _nonfinite(x, y)
    re = _w(bad, lr + _LN2, re)
    im = _w(bad, li, im)
    return re, _w((x == 0) & ember.isnan(y), _full(x, _HALF_PI), im)


def _atanh(x, y):
    # the real part is odd in x: computed for |x|, where only z near +1 can underflow the
    # squares; there the log difference loses nothing
    ax = ember.abs(x)
    one_m = 1 - ax
    den = one_m * one_m + y * y
    re = 0.25 * ember.log1p(4 * ax / den)
    tiny = ember.log(ember.hypot(1 + ax, y)) - ember.log(ember.hypot(one_m, y))
    re = ember.copysign(_w(den < 1e-200, 0.5 * tiny, re), x)
    one_m = 1 - x
    im = 0.5 * ember.atan2(2 * y, one_m * (1 + x) - y * y)
    ay = ember.abs(y)
    huge = (ax > _HUGE) | (ay > _HUGE)
    m = _w(huge, ember.maximum(ax, ay), ember.ones_like(x))
    xs, ys = x / m, y / m
    re = _w(huge, xs / (xs * xs + ys * ys) / m, re)  # Re(1/z), scaled
    inf = ember.isinf(x) | ember.isinf(y)
    re = _w(inf, _copysign(0.0, x), re)
    im = _w(huge | inf, _w(ember.isnan(y), y, _copysign(_HALF_PI, y)), im)
    im = _w(ember.isnan(x) & ~ember.isinf(y), x, im)  # NaN + finite j: NaN + NaN j
    return _w(x == 0, x, re), im


# ---- the standard's functions on complex arrays ----

def _through_i(f, x, y):
    """-i f(iz): sin from sinh, tan from tanh, asin from asinh, atan from atanh (C99's definitions)."""
    a, b = f(-y, x)
    return b, -a


def _unary(fn):
    def f(z):
        x, y = _parts(z)
        return _join(*fn(x, y), z.dtype)
    return f


exp = _unary(_exp)
expm1 = _unary(_expm1)
log1p = _unary(_log1p)
sinh = _unary(_sinh)
cosh = _unary(_cosh)
tanh = _unary(_tanh)
asinh = _unary(_asinh)
acosh = _unary(_acosh)
atanh = _unary(_atanh)
sin = _unary(lambda x, y: _through_i(_sinh, x, y))
tan = _unary(lambda x, y: _through_i(_tanh, x, y))
asin = _unary(lambda x, y: _through_i(_asinh, x, y))
atan = _unary(lambda x, y: _through_i(_atanh, x, y))
cos = _unary(lambda x, y: _cosh(-y, x))  # cos(z) = cosh(iz)


def _acos(x, y):
    # acos(z) = -i acosh(z) in the upper half plane (y's sign bit clear), +i acosh(z) below
    a, b = _acosh(x, y)
    up = ~ember.signbit(y)
    re = _w(up, b, -b)
    im = _w(up, -a, a)
    zero_nan = (x == 0) & ember.isnan(y)
    return _w(zero_nan, _full(x, _HALF_PI), re), im


acos = _unary(_acos)

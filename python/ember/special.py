"""ember.special: ``torch.special`` on float32/float64 tensors.

The transcendental functions are evaluated in f64 by ``ember-linalg`` (puruspe, libm, and a
few written there: Hurwitz zeta, digamma/polygamma, large-argument Bessel tails, the
orthogonal-polynomial recurrences) and returned in the input's dtype (integers promote to the
default float dtype, half types compute in float32). Gradients follow PyTorch's table: where
PyTorch defines a derivative it is here, written with these same functions; where PyTorch
raises "not implemented", so does ember. The rest are compositions of ember ops.
"""
import math

from . import _native
from ._native import Tensor
from .autograd.function import Function

__all__ = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
           "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma", "entr", "erf",
           "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc", "gammaln",
           "hermite_polynomial_h", "hermite_polynomial_he", "i0", "i0e", "i1", "i1e", "laguerre_polynomial_l",
           "legendre_polynomial_p", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "modified_bessel_i0",
           "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1", "multigammaln", "ndtr", "ndtri",
           "polygamma", "psi", "round", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
           "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "sinc", "softmax", "spherical_bessel_j0", "xlog1py", "xlogy", "zeta"]

_SQRT_2PI = math.sqrt(2 * math.pi)


def _float(x, name):
    """x as a float32/float64 tensor (ints → default dtype, half types → float32), plus the
    dtype the result must have."""
    import ember
    if not isinstance(x, Tensor):
        if isinstance(x, (int, float, bool)):
            x = ember.tensor(float(x))
        else:
            raise TypeError(f"special.{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x.dtype in (ember.float32, ember.float64):
        return x, x.dtype
    if x.dtype.is_floating_point:
        return x.float(), x.dtype
    return x.to(ember.get_default_dtype()), ember.get_default_dtype()


def _eval1(name, x):
    return _native._special_unary(name, x.detach().contiguous())


def _eval2(name, a, b):
    return _native._special_binary(name, a.detach().contiguous(), b.detach().contiguous())


class _Unary(Function):
    """y = f(x) with f′ given by `_GRAD[name]` (None: PyTorch has no derivative)."""

    @staticmethod
    def forward(ctx, x, name):
        ctx.name = name
        y = _eval1(name, x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        d = _GRAD.get(ctx.name)
        if d is None:
            raise RuntimeError(f"the derivative for '{ctx.name}' is not implemented.")
        return g * d(x, y), None


def _where0(x, value_at_0, expr):
    """expr(x) with x = 0 replaced by the limit `value_at_0` (expr must not be evaluated at 0)."""
    import ember
    zero = x == 0
    safe = ember.where(zero, ember.ones_like(x), x)
    return ember.where(zero, ember.full_like(x, value_at_0), expr(safe))


_GRAD = {
    "gammaln": lambda x, y: digamma(x),
    "digamma": lambda x, y: polygamma(1, x),
    "i0": lambda x, y: i1(x),
    "i0e": lambda x, y: i1e(x) - x.sign() * y,
    "i1": lambda x, y: _where0(x, 0.5, lambda s: i0(s) - i1(s) / s),
    "i1e": lambda x, y: _where0(x, 0.5, lambda s: i0e(s) - i1e(s) * (s.sign() + 1 / s)),
    "erfcx": lambda x, y: 2 * x * y - 2 / math.sqrt(math.pi),
    "ndtr": lambda x, y: (-0.5 * x * x).exp() / _SQRT_2PI,
    "ndtri": lambda x, y: _SQRT_2PI * (0.5 * y * y).exp(),
    "log_ndtr": lambda x, y: (-0.5 * x * x - y).exp() / _SQRT_2PI,
    "bessel_j0": lambda x, y: -bessel_j1(x),
    "bessel_j1": lambda x, y: _where0(x, 0.5, lambda s: bessel_j0(s) - bessel_j1(s) / s),
    "bessel_y0": lambda x, y: -bessel_y1(x),
    "bessel_y1": lambda x, y: bessel_y0(x) - bessel_y1(x) / x,
    "modified_bessel_i0": lambda x, y: i1(x),
    "modified_bessel_i1": lambda x, y: _where0(x, 0.5, lambda s: i0(s) - i1(s) / s),
    "modified_bessel_k0": lambda x, y: -modified_bessel_k1(x),
    "modified_bessel_k1": lambda x, y: -modified_bessel_k0(x) - y / x,
}
# PyTorch records no history for these: their outputs never require grad.
_NO_HISTORY = {"scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "airy_ai", "spherical_bessel_j0"}


def _unary(name, torch_name=None):
    torch_name = torch_name or name

    def fn(input, *, out=None):
        x, dt = _float(input, torch_name)
        y = _eval1(name, x) if name in _NO_HISTORY else _Unary.apply(x, name)
        return _finish(y, dt, out)

    fn.__name__ = torch_name
    fn.__doc__ = f"``special.{torch_name}`` (evaluated in float64 by ember-linalg)."
    return fn


def _finish(y, dt, out):
    if y.dtype != dt:
        y = y.to(dt)
    if out is not None:
        from ._ops_linalg import _into
        return _into(y, out)
    return y


gammaln = _unary("gammaln")
digamma = _unary("digamma")
psi = _unary("digamma", "psi")
i0 = _unary("i0")
i0e = _unary("i0e")
i1 = _unary("i1")
i1e = _unary("i1e")
erfcx = _unary("erfcx")
ndtr = _unary("ndtr")
ndtri = _unary("ndtri")
log_ndtr = _unary("log_ndtr")
bessel_j0 = _unary("bessel_j0")
bessel_j1 = _unary("bessel_j1")
bessel_y0 = _unary("bessel_y0")
bessel_y1 = _unary("bessel_y1")
modified_bessel_i0 = _unary("modified_bessel_i0")
modified_bessel_i1 = _unary("modified_bessel_i1")
modified_bessel_k0 = _unary("modified_bessel_k0")
modified_bessel_k1 = _unary("modified_bessel_k1")
scaled_modified_bessel_k0 = _unary("scaled_modified_bessel_k0")
scaled_modified_bessel_k1 = _unary("scaled_modified_bessel_k1")
spherical_bessel_j0 = _unary("spherical_bessel_j0")
airy_ai = _unary("airy_ai")


class _Binary(Function):
    """y = f(a, b) with ∂/∂a, ∂/∂b from `_GRAD2[name]` (None: not implemented in PyTorch)."""

    @staticmethod
    def forward(ctx, a, b, name):
        ctx.name = name
        y = _eval2(name, a, b)
        ctx.save_for_backward(a, b)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        da, db = _GRAD2.get(ctx.name, (None, None))
        ga = gb = None
        if ctx.needs_input_grad[0]:
            if da is None:
                raise NotImplementedError(f"the derivative for '{ctx.name}' with respect to its first argument is not implemented.")
            ga = g * da(a, b)
        if ctx.needs_input_grad[1]:
            if db is None:
                raise NotImplementedError(f"the derivative for '{ctx.name}' with respect to its second argument is not implemented.")
            gb = g * db(a, b)
        return ga, gb, None


def _incgamma_density(a, x):
    return ((a - 1) * x.log() - x - gammaln(a)).exp()


_GRAD2 = {
    "zeta": (None, lambda s, q: -s * zeta(s + 1, q)),
    "gammainc": (None, _incgamma_density),
    "gammaincc": (None, lambda a, x: -_incgamma_density(a, x)),
    "polygamma": (None, lambda n, x: _eval2("polygamma", n + 1, x)),
}


def _pair(a, b, name):
    """Both operands as tensors of one float dtype and one (broadcast) shape."""
    import ember
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"special.{name}(): expected at least one Tensor argument")
    ref = a if isinstance(a, Tensor) else b
    if not isinstance(a, Tensor):
        a = ember.tensor(a, dtype=ref.dtype if ref.dtype.is_floating_point else None)
    if not isinstance(b, Tensor):
        b = ember.tensor(b, dtype=ref.dtype if ref.dtype.is_floating_point else None)
    dt = ember.result_type(a, b)
    if not dt.is_floating_point:
        dt = ember.get_default_dtype()
    a, b = a.to(dt), b.to(dt)
    a, b = ember.broadcast_tensors(a, b)
    return _float(a, name)[0], _float(b, name)[0], dt


def _binary(name):
    def fn(input, other, *, out=None):
        a, b, dt = _pair(input, other, name)
        return _finish(_Binary.apply(a, b, name), dt, out)

    fn.__name__ = name
    fn.__doc__ = f"``special.{name}`` (evaluated in float64 by ember-linalg)."
    return fn


zeta = _binary("zeta")
gammainc = _binary("gammainc")
gammaincc = _binary("gammaincc")


def polygamma(n, input, *, out=None):
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (n ≥ 0 an int)."""
    import ember
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    x, dt = _float(input, "polygamma")
    nn = ember.full_like(x, float(n))
    return _finish(_Binary.apply(nn, x, "polygamma"), dt, out)


def _poly(name):
    def fn(input, n, *, out=None):
        a, b, dt = _pair(input, n, name)
        return _finish(_eval2(name, a, b), dt, out)  # no history, as in PyTorch

    fn.__name__ = name
    fn.__doc__ = f"``special.{name}(input, n)``: the degree-n polynomial at input (n truncated to an integer)."
    return fn


for _name in ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
              "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
              "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
              "legendre_polynomial_p"]:
    globals()[_name] = _poly(_name)


# ------------------------------------------------------------------ compositions of ember ops
def _op(name):
    import ember
    return getattr(ember, name)


def erf(input, *, out=None):
    return _finish(_op("erf")(input), input.dtype, out)


def erfc(input, *, out=None):
    return _finish(_op("erfc")(input), input.dtype, out)


def erfinv(input, *, out=None):
    return _finish(_op("erfinv")(input), input.dtype, out)


def exp2(input, *, out=None):
    return _finish(_op("exp2")(input), _op("exp2")(input).dtype, out)


def expm1(input, *, out=None):
    r = _op("expm1")(input)
    return _finish(r, r.dtype, out)


def log1p(input, *, out=None):
    r = _op("log1p")(input)
    return _finish(r, r.dtype, out)


def expit(input, *, out=None):
    r = _op("sigmoid")(input)
    return _finish(r, r.dtype, out)


def logit(input, eps=None, *, out=None):
    r = _op("logit")(input, eps)
    return _finish(r, r.dtype, out)


def round(input, decimals=0, *, out=None):
    r = _op("round")(input, decimals=decimals)
    return _finish(r, r.dtype, out)


def sinc(input, *, out=None):
    """sin(πx)/(πx), 1 at 0."""
    x, dt = _float(input, "sinc")
    r = _where0(x, 1.0, lambda s: (math.pi * s).sin() / (math.pi * s))
    return _finish(r, dt, out)


def entr(input, *, out=None):
    """−x·ln x for x > 0, 0 at 0, −inf for x < 0."""
    import ember
    x, dt = _float(input, "entr")
    pos = x > 0
    safe = ember.where(pos, x, ember.ones_like(x))
    r = ember.where(pos, -safe * safe.log(), ember.where(x == 0, ember.zeros_like(x), ember.full_like(x, float("-inf"))))
    r = ember.where(x != x, x, r)
    return _finish(r, dt, out)


def xlogy(input, other, *, out=None):
    return _op("xlogy")(input, other, out=out) if out is not None else _op("xlogy")(input, other)


def xlog1py(input, other, *, out=None):
    """x·log1p(y), 0 where x = 0 (unless y is NaN)."""
    import ember
    a, b, dt = _pair(input, other, "xlog1py")
    r = ember.where((a == 0) & (b == b), ember.zeros_like(a), a * b.log1p())
    return _finish(r, dt, out)


def multigammaln(input, p, *, out=None):
    """ln Γ_p(a) = p(p−1)/4 · ln π + Σ_{j<p} ln Γ(a − j/2) (defined for a > (p−1)/2)."""
    x, dt = _float(input, "multigammaln")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    # One vectorised term per j (a Python loop over p hung on p = 2**31), refused up front when
    # the (…, p) terms can't fit.
    from ._limits import check_alloc
    check_alloc("mvlgamma", tuple(x.shape) + (p,), x.element_size(), copies=4)
    import ember
    j = ember.arange(p, dtype=x.dtype) / 2
    r = gammaln(x.unsqueeze(-1) - j).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)
    return _finish(r, dt, out)


def softmax(input, dim, *, dtype=None):
    return _op("softmax")(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    return _op("log_softmax")(input, dim, dtype=dtype)


def logsumexp(input, dim, keepdim=False, *, out=None):
    return _op("logsumexp")(input, dim, keepdim)

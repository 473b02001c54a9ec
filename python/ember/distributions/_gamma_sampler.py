"""Gamma(α, 1) draws from ember's RNG, with the implicit reparameterisation gradient.

Sampling: Marsaglia & Tsang (2000) squeeze-free rejection for α ≥ 1, vectorised by redrawing
only the rejected entries; α < 1 uses Gamma(α+1)·U^(1/α).
Gradient: x = F⁻¹(u; α) with u fixed gives dx/dα = -(∂F/∂α)(x; α) / f(x; α); ∂F/∂α comes from a
central difference of the regularised incomplete gamma function in float64.
"""
import ember

_MAX_ROUNDS = 200


def _draw(alpha):
    # drawn on the CPU in float64 (accelerator backends may lack float64), then moved back
    a = alpha.detach().to(device="cpu", dtype=ember.float64)
    boost = a < 1
    a1 = ember.where(boost, a + 1, a)
    d = a1 - 1.0 / 3.0
    c = 1.0 / ember.sqrt(9.0 * d)
    out = ember.zeros_like(a1)
    done = ember.zeros_like(a1, dtype=ember.bool)
    for _ in range(_MAX_ROUNDS):
        x = ember.randn(a1.shape, dtype=ember.float64)
        v = (1 + c * x) ** 3
        u = ember.rand(a1.shape, dtype=ember.float64)
        safe_v = ember.where(v > 0, v, ember.ones_like(v))
        accept = (v > 0) & (ember.log(u) < 0.5 * x * x + d - d * safe_v + d * ember.log(safe_v))
        out = ember.where(accept & ~done, d * safe_v, out)
        done = done | accept
        if bool(done.all()):
            break
    u = ember.rand(a1.shape, dtype=ember.float64)
    out = ember.where(boost, out * u ** (1.0 / a), out)
    return out.clamp(min=ember.finfo(alpha.dtype).tiny).to(device=alpha.device, dtype=alpha.dtype)


def _dsample_dalpha(x, alpha):
    x = x.to(device="cpu", dtype=ember.float64)
    a = alpha.to(device="cpu", dtype=ember.float64)
    h = 1e-5 * ember.clamp(a, min=1.0)
    dF = (ember.special.gammainc(a + h, x) - ember.special.gammainc(a - h, x)) / (2 * h)
    log_pdf = (a - 1) * ember.log(x) - x - ember.lgamma(a)
    return -dF / ember.exp(log_pdf)


class _StandardGamma(ember.autograd.Function):
    @staticmethod
    def forward(ctx, alpha):
        x = _draw(alpha)
        ctx.save_for_backward(x, alpha)
        return x

    @staticmethod
    def backward(ctx, grad):
        x, alpha = ctx.saved_tensors
        return grad * _dsample_dalpha(x.detach(), alpha.detach()).to(device=grad.device, dtype=grad.dtype)


def standard_gamma(alpha):
    """Gamma(alpha, 1) draws of alpha's shape; differentiable in alpha."""
    if alpha.requires_grad:
        return _StandardGamma.apply(alpha)
    return _draw(alpha)

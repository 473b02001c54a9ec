"""RAdam (Liu et al., 2019): Adam whose adaptive term is switched on, and rectified, only once
the variance of the adaptive learning rate is tractable (ρ_t > 5)."""
import math

from .optimizer import Optimizer
from ._step import PythonStepMixin, check_nonneg, scalar

__all__ = ["RAdam"]


class RAdam(PythonStepMixin, Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False):
        check_nonneg(lr=lr, eps=eps, weight_decay=weight_decay)
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {b}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay, differentiable=differentiable))

    def _update(self, group, pairs):
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        rho_inf = 2 / (1 - b2) - 1
        for p, g in pairs:
            st = self.state[p]
            if not st:
                st["step"] = scalar(p, 0)
                st["exp_avg"] = self._zeros_like(p)
                st["exp_avg_sq"] = self._zeros_like(p)
            st["step"] += 1
            step = st["step"].item()
            if wd != 0:
                if group["decoupled_weight_decay"]:
                    p.mul_(1 - lr * wd)
                else:
                    g = g + p * wd
            m, v = st["exp_avg"], st["exp_avg_sq"]
            m.lerp_(g, 1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            bc1, bc2 = 1 - b1 ** step, 1 - b2 ** step
            m_hat = m / bc1
            rho_t = rho_inf - 2 * step * (b2 ** step) / bc2
            if rho_t > 5.0:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                p.sub_(m_hat * (lr * rect * math.sqrt(bc2)) / (v.sqrt() + eps))
            else:
                p.sub_(m_hat * lr)

"""NAdam (Dozat, 2016): Adam with Nesterov momentum and a momentum-decay schedule μ_t."""
from .optimizer import Optimizer
from ._step import PythonStepMixin, check_nonneg, scalar

__all__ = ["NAdam"]


class NAdam(PythonStepMixin, Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_nonneg(lr=lr, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay)
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {b}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable))

    def _update(self, group, pairs):
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        md = group["momentum_decay"]
        for p, g in pairs:
            st = self.state[p]
            if not st:
                st["step"] = scalar(p, 0)
                st["mu_product"] = scalar(p, 1)
                st["exp_avg"] = self._zeros_like(p)
                st["exp_avg_sq"] = self._zeros_like(p)
            st["step"] += 1
            step = st["step"].item()
            if wd != 0:
                if group["decoupled_weight_decay"]:
                    p.mul_(1 - lr * wd)
                else:
                    g = g + p * wd
            mu = b1 * (1.0 - 0.5 * 0.96 ** (step * md))
            mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * md))
            st["mu_product"] *= mu
            mu_prod = st["mu_product"].item()
            st["exp_avg"].lerp_(g, 1 - b1)
            st["exp_avg_sq"].mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (st["exp_avg_sq"] / (1 - b2 ** step)).sqrt() + eps
            p.addcdiv_(g, denom, value=-lr * (1.0 - mu) / (1.0 - mu_prod))
            p.addcdiv_(st["exp_avg"], denom, value=-lr * mu_next / (1.0 - mu_prod * mu_next))

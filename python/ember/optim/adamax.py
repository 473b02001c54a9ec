"""Adamax: Adam with the infinity norm of past gradients in place of the second moment."""
import ember
from .optimizer import Optimizer
from ._step import PythonStepMixin, check_nonneg, scalar

__all__ = ["Adamax"]


class Adamax(PythonStepMixin, Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *, maximize=False,
                 differentiable=False, capturable=False):
        check_nonneg(lr=lr, eps=eps, weight_decay=weight_decay)
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {b}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, capturable=capturable))

    def _update(self, group, pairs):
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        for p, g in pairs:
            st = self.state[p]
            if not st:
                st["step"] = scalar(p, 0)
                st["exp_avg"] = self._zeros_like(p)
                st["exp_inf"] = self._zeros_like(p)
            st["step"] += 1
            step = st["step"].item()
            if wd != 0:
                g = g + p * wd
            st["exp_avg"].lerp_(g, 1 - b1)
            st["exp_inf"].copy_(ember.maximum(st["exp_inf"] * b2, g.abs() + eps))
            p.addcdiv_(st["exp_avg"], st["exp_inf"], value=-lr / (1 - b1 ** step))

"""Adadelta (Zeiler, 2012): lr-free steps from running averages of g² and Δx²."""
from .optimizer import Optimizer
from ._step import PythonStepMixin, check_nonneg, scalar

__all__ = ["Adadelta"]


class Adadelta(PythonStepMixin, Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_nonneg(lr=lr, eps=eps, weight_decay=weight_decay)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      capturable=capturable, foreach=foreach, differentiable=differentiable))

    def _update(self, group, pairs):
        lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
        for p, g in pairs:
            st = self.state[p]
            if not st:
                st["step"] = scalar(p, 0)
                st["square_avg"] = self._zeros_like(p)
                st["acc_delta"] = self._zeros_like(p)
            st["step"] += 1
            if wd != 0:
                g = g + p * wd
            sq, acc = st["square_avg"], st["acc_delta"]
            sq.mul_(rho).addcmul_(g, g, value=1 - rho)
            delta = (acc + eps).sqrt() / (sq + eps).sqrt() * g
            acc.mul_(rho).addcmul_(delta, delta, value=1 - rho)
            p.add_(delta, alpha=-lr)

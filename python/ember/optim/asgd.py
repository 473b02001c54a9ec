"""ASGD: SGD with a decaying step η_t = lr / (1 + λ·lr·t)^α and a running average ``ax`` of the
iterates (Polyak averaging, switched on after step t0)."""
from .optimizer import Optimizer
from ._step import PythonStepMixin, check_nonneg, scalar

__all__ = ["ASGD"]


class ASGD(PythonStepMixin, Optimizer):
    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None, maximize=False,
                 differentiable=False, capturable=False):
        check_nonneg(lr=lr, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, capturable=capturable))

    def _update(self, group, pairs):
        lr, lambd, alpha, t0, wd = group["lr"], group["lambd"], group["alpha"], group["t0"], group["weight_decay"]
        for p, g in pairs:
            st = self.state[p]
            if not st:
                st["step"] = scalar(p, 0)
                st["eta"] = scalar(p, lr)
                st["mu"] = scalar(p, 1)
                st["ax"] = self._zeros_like(p)
            st["step"] += 1
            step = st["step"].item()
            if wd != 0:
                g = g + p * wd
            eta = st["eta"].item()
            p.mul_(1 - lambd * eta)
            p.add_(g, alpha=-eta)
            mu = st["mu"].item()
            if mu != 1:
                st["ax"].add_((p - st["ax"]) * mu)
            else:
                st["ax"].copy_(p)
            st["eta"].fill_(lr / ((1 + lambd * lr * step) ** alpha))
            st["mu"].fill_(1 / max(1, step - t0))

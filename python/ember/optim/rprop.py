"""Rprop: per-element step sizes that grow (×η₊) while the gradient keeps its sign and shrink
(×η₋) when it flips; after a flip that element does not move and forgets its gradient."""
import ember
from .optimizer import Optimizer
from ._step import PythonStepMixin, scalar

__all__ = ["Rprop"]


class Rprop(PythonStepMixin, Optimizer):
    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, capturable=capturable))

    def _update(self, group, pairs):
        (eta_minus, eta_plus), (smin, smax) = group["etas"], group["step_sizes"]
        for p, g in pairs:
            st = self.state[p]
            if not st:
                st["step"] = scalar(p, 0)
                st["prev"] = self._zeros_like(p)
                st["step_size"] = ember.full_like(g, group["lr"])
            st["step"] += 1
            s = (g * st["prev"]).sign()
            factor = ember.where(s > 0, eta_plus, ember.where(s < 0, eta_minus, 1.0)).to(p.dtype)
            st["step_size"].mul_(factor).clamp_(smin, smax)
            g = ember.where(s < 0, 0.0, g).to(p.dtype)
            p.addcmul_(g.sign(), st["step_size"], value=-1)
            st["prev"].copy_(g)

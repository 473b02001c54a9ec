"""Adafactor (Shazeer & Stern, 2018), as PyTorch defines it: the second moment of a matrix
gradient is kept factored (row and column means of g²), β₂ follows t^beta2_decay, the step is
relative to the parameter's RMS, and updates are clipped to RMS ≤ d."""
import math

import ember
from .optimizer import Optimizer
from ._step import PythonStepMixin, scalar

__all__ = ["Adafactor"]


class Adafactor(PythonStepMixin, Optimizer):
    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *, foreach=None,
                 maximize=False):
        if isinstance(lr, ember.Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=tuple(eps), d=d, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize))

    def _update(self, group, pairs):
        lr, decay, (eps1, eps2), d, wd = group["lr"], group["beta2_decay"], group["eps"], group["d"], group["weight_decay"]
        for p, g in pairs:
            st = self.state[p]
            if not st:
                st["step"] = scalar(p, 0)
                if g.ndim > 1:
                    st["row_var"] = ember.zeros(*g.shape[:-1], 1, dtype=g.dtype)
                    st["col_var"] = ember.zeros(*g.shape[:-2], 1, g.shape[-1], dtype=g.dtype)
                else:
                    st["variance"] = self._zeros_like(p)
            e1 = ember.finfo(p.dtype).eps if eps1 is None else eps1
            st["step"] += 1
            step = st["step"].item()
            beta2_complement = step ** decay
            rho = min(lr, 1 / math.sqrt(step))
            alpha = max(eps2, p.norm(2).item() / math.sqrt(p.numel())) * rho
            if wd != 0:
                p.mul_(1 - lr * wd)
            if g.ndim > 1:
                row_mean = (g * g).sum(-1, keepdim=True) / g.shape[-1]
                st["row_var"].lerp_(row_mean, beta2_complement)
                col_mean = (g * g).sum(-2, keepdim=True) / g.shape[-2]
                st["col_var"].lerp_(col_mean, beta2_complement)
                var = st["row_var"] @ st["col_var"]
                var = var / st["row_var"].mean(-2, keepdim=True).clamp(min=e1)
            else:
                st["variance"].lerp_(g * g, beta2_complement)
                var = st["variance"].clone()
            update = var.clamp(min=e1 * e1).rsqrt() * g
            denom = max(1.0, update.norm(2).item() / (math.sqrt(update.numel()) * d))
            p.add_(update, alpha=-alpha / denom)

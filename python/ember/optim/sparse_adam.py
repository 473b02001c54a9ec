"""SparseAdam: Adam for sparse (COO) gradients, updating the moments and the parameter only at
the gradient's nonzero rows (the moments elsewhere keep their values: "lazy" Adam)."""
import math

from .optimizer import Optimizer
from ._step import check_nonneg, scalar
from ..autograd import no_grad

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        check_nonneg(lr=lr, eps=eps)
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {b}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, maximize=maximize))
        sparse = [i for g in self.param_groups for i, p in enumerate(g["params"]) if p.is_sparse]
        if sparse:
            raise ValueError(f"Sparse params at indices {sparse}: SparseAdam requires dense parameter tensors")

    @no_grad()
    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if not g.is_sparse:
                    raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam instead")
                st = self.state[p]
                if not st:
                    st["step"] = scalar(p, 0)
                    st["exp_avg"] = self._zeros_like(p)
                    st["exp_avg_sq"] = self._zeros_like(p)
                g = g.coalesce()
                idx, vals = g._indices(), g._values()
                if group["maximize"]:
                    vals = -vals
                if vals.numel() == 0:
                    continue
                st["step"] += 1
                step = st["step"].item()
                where = tuple(idx[i] for i in range(idx.shape[0]))
                m, v = st["exp_avg"], st["exp_avg_sq"]
                m_new = m[where] + (vals - m[where]) * (1 - b1)
                v_new = v[where] + (vals * vals - v[where]) * (1 - b2)
                m.index_put_(where, m_new)
                v.index_put_(where, v_new)
                step_size = lr * math.sqrt(1 - b2 ** step) / (1 - b1 ** step)
                p.index_put_(where, -step_size * m_new / (v_new.sqrt() + eps), accumulate=True)
        return loss

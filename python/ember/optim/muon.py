"""Muon (Jordan et al., 2024): SGD-momentum whose update for a 2-D parameter is orthogonalised by
a few Newton–Schulz iterations X ← aX + (bA + cA²)X, A = XXᵀ, run in bfloat16 as PyTorch does,
with the learning rate scaled by the matrix shape."""
import math

from .. import _dtypes
from .optimizer import Optimizer
from ._step import PythonStepMixin, check_nonneg

__all__ = ["Muon"]


def _zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps, eps):
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    f32, bf16 = _dtypes.float32, _dtypes.bfloat16

    def rnd(t):  # each PyTorch bfloat16 op accumulates in float32 and rounds its result once
        return t.to(bf16).to(f32)

    x = rnd(grad.to(f32))
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.t()
    x = rnd(x / rnd(x.norm()).clamp(min=eps))
    for _ in range(ns_steps):
        gram = rnd(x.matmul(x.t()))
        update = rnd(gram * b + gram.matmul(gram) * c)  # addmm(gram, gram, gram, beta=b, alpha=c)
        x = rnd(x * a + update.matmul(x))  # addmm(x, update, x, beta=a)
    return (x.t() if tall else x).to(bf16)


def _adjust_lr(lr, adjust_lr_fn, shape):
    A, B = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, A / B))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(A, B))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(PythonStepMixin, Optimizer):
    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5, adjust_lr_fn=None):
        check_nonneg(lr=lr, weight_decay=weight_decay, momentum=momentum, eps=eps)
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                                      ns_coefficients=tuple(ns_coefficients), eps=eps, ns_steps=ns_steps,
                                      adjust_lr_fn=adjust_lr_fn))
        for g in self.param_groups:
            for p in g["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a parameter with size: "
                                     f"{tuple(p.shape)}")

    def _update(self, group, pairs):
        lr, wd, mom = group["lr"], group["weight_decay"], group["momentum"]
        for p, g in pairs:
            if g.ndim != 2:
                raise ValueError("Param gradient must be a 2D matrix")
            st = self.state[p]
            if "momentum_buffer" not in st:
                st["momentum_buffer"] = self._zeros_like(g)
            buf = st["momentum_buffer"]
            buf.lerp_(g, 1 - mom)
            update = g.lerp(buf, mom) if group["nesterov"] else buf
            update = _zeropower_via_newtonschulz(update, group["ns_coefficients"], group["ns_steps"], group["eps"])
            p.mul_(1 - lr * wd)
            p.add_(update.to(p.dtype), alpha=-_adjust_lr(lr, group["adjust_lr_fn"], p.shape))

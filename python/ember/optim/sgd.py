"""SGD with momentum, dampening, Nesterov, weight decay and maximize."""
from .. import _native
from .optimizer import Optimizer, required

__all__ = ["SGD"]


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False,
                 foreach=None, differentiable=False, fused=None):
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure(closure)
        state = self.state
        for group in self.param_groups:
            params, grads = self._with_grads(group)
            if not params:
                continue
            momentum = group["momentum"]
            # One state lookup per parameter (each hashes the tensor in Python).
            states = [state[p] for p in params] if momentum != 0 else None
            bufs = [s.get("momentum_buffer") for s in states] if momentum != 0 else [None] * len(params)
            new = _native._sgd_step(params, grads, bufs, float(group["lr"]), float(momentum), float(group["dampening"]),
                                    float(group["weight_decay"]), bool(group["nesterov"]), bool(group["maximize"]))
            if momentum != 0:
                for s, b in zip(states, new):
                    s["momentum_buffer"] = b
        return loss

"""RMSprop (centered, momentum) and Adagrad."""
from .. import _native
from .optimizer import Optimizer

__all__ = ["RMSprop", "Adagrad"]


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, capturable=False,
                 foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            params, grads = self._with_grads(group)
            if not params:
                continue
            sq, ga, mb, steps = [], [], [], []
            for p in params:
                st = self.state[p]
                if not st:
                    st["step"] = self._step_tensor()
                    st["square_avg"] = self._zeros_like(p)
                    if group["momentum"] > 0:
                        st["momentum_buffer"] = self._zeros_like(p)
                    if group["centered"]:
                        st["grad_avg"] = self._zeros_like(p)
                sq.append(st["square_avg"])
                steps.append(st["step"])
                if group["momentum"] > 0:
                    mb.append(st["momentum_buffer"])
                if group["centered"]:
                    ga.append(st["grad_avg"])
            _native._rmsprop_step(params, grads, sq, ga, mb, steps, float(group["lr"]), float(group["alpha"]),
                                  float(group["eps"]), float(group["weight_decay"]), float(group["momentum"]),
                                  bool(group["centered"]), bool(group["maximize"]))
        return loss


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, foreach=None,
                 *, maximize=False, differentiable=False, fused=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state[p]
                st["step"] = self._step_tensor()
                s = _native._full(list(p.shape), float(group["initial_accumulator_value"]), p.dtype)
                st["sum"] = s if p.device.type == "cpu" else s.to(p.device)  # state lives beside its parameter

    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            params, grads = self._with_grads(group)
            if not params:
                continue
            sums = [self.state[p]["sum"] for p in params]
            steps = [self.state[p]["step"] for p in params]
            _native._adagrad_step(params, grads, sums, steps, float(group["lr"]), float(group["lr_decay"]),
                                  float(group["weight_decay"]), float(group["eps"]), bool(group["maximize"]))
        return loss

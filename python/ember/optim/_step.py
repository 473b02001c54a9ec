"""Shared pieces of the optimizers whose step is composed from tensor ops in Python
(one loop over a group's parameters, under ``no_grad``)."""
from ..autograd import no_grad


def check_nonneg(**values):
    """PyTorch's ``Invalid <what> value: <v>`` ValueError for a negative hyper-parameter."""
    for what, v in values.items():
        if not 0.0 <= v:
            name = {"lr": "learning rate", "eps": "epsilon value"}.get(what, f"{what} value")
            raise ValueError(f"Invalid {name}: {v}")


def grads(group):
    """(param, grad) for each parameter of ``group`` that has one; negated under ``maximize``."""
    out = []
    for p in group["params"]:
        g = p.grad
        if g is None:
            continue
        if g.is_sparse if hasattr(g, "is_sparse") else False:
            raise RuntimeError("this optimizer does not support sparse gradients")
        out.append((p, -g if group.get("maximize", False) else g))
    return out


def scalar(p, value):
    """A 0-dim tensor holding ``value``, as PyTorch keeps ``step`` and friends: float64 when
    that is the default dtype, else float32."""
    from .. import _native, _dtypes
    dt = _dtypes.float64 if _native.get_default_dtype() == _dtypes.float64 else _dtypes.float32
    return _native._full([], float(value), dt)


class PythonStepMixin:
    """``step(closure)`` = closure under enable_grad, then ``_update(group)`` for each group under no_grad."""

    def step(self, closure=None):
        loss = self._closure(closure)
        with no_grad():
            for group in self.param_groups:
                pairs = grads(group)
                if pairs:
                    self._update(group, pairs)
        return loss

"""The functional namespace (``ember.add(a, b)``, ``ember.transpose(x, 0, 1)``, …).

Most entries forward to the Tensor method of the same name, so there is one implementation.
"""
from ._native import Tensor
from ._size import Size
from . import _out_forms

__all__ = []


def _export(fn):
    __all__.append(fn.__name__)
    return fn


def _forward(name):
    globals()[name] = _out_forms.forwarder(name)
    __all__.append(name)


for _name in ["add", "sub", "mul", "sum", "reshape", "transpose", "swapaxes", "swapdims", "t", "permute", "movedim",
              "moveaxis", "squeeze", "unsqueeze", "flatten", "unflatten", "narrow", "select", "diagonal",
              "as_strided", "clone", "detach", "broadcast_to"]:
    _forward(_name)

subtract = sub
multiply = mul
__all__ += ["subtract", "multiply"]


@_export
def is_tensor(obj):
    return isinstance(obj, Tensor)


@_export
def numel(input):
    return input.numel()


@_export
def is_floating_point(input):
    return input.is_floating_point()


@_export
def broadcast_shapes(*shapes):
    """The shape that broadcasting ``shapes`` together gives (NumPy's rule)."""
    n = max((len(s) if not isinstance(s, int) else 1) for s in shapes) if shapes else 0
    out = [1] * n
    for s in shapes:
        s = (s,) if isinstance(s, int) else tuple(s)
        for i, d in enumerate(s[::-1]):
            j = n - 1 - i
            if out[j] == 1:
                out[j] = d
            elif d != 1 and d != out[j]:
                raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape.  Mismatch is between {out[j]} and {d} at dim {j}")
    return Size(out)

"""ember.linalg: the matrix-product part of ``torch.linalg`` (norms come from the reductions)."""
from . import _ops_linalg, _ops_reduce
from ._native import Tensor

__all__ = ["matmul", "vecdot", "multi_dot"]


def matmul(input, other, *, out=None):
    """``linalg.matmul`` is ``ember.matmul``."""
    return _ops_linalg.matmul(input, other, out=out)


def vecdot(x, y, *, dim=-1, out=None):
    """The dot product of ``x`` and ``y`` along ``dim``, broadcasting the other dims."""
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        raise TypeError("linalg.vecdot(): arguments must be Tensors")
    return _ops_linalg._into((x * y).sum(dim), out)


def multi_dot(tensors, *, out=None):
    """Product of a chain of matrices; the first may be 1-D (a row) and the last 1-D (a column)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    r = tensors[0]
    for t in tensors[1:]:
        r = r.matmul(t)
    return _ops_linalg._into(r, out)


# Norms belong to the reductions family; expose them here when that module provides them.
for _name in ("vector_norm", "norm", "matrix_norm"):
    _fn = getattr(_ops_reduce, _name, None)
    if _fn is not None:
        globals()[_name] = _fn
        __all__.append(_name)
if "norm" not in __all__ and "vector_norm" in __all__:
    norm = vector_norm  # noqa: F821  (defined just above through globals())
    __all__.append("norm")

"""The linear-algebra functions of the main namespace: matmul, matrix_transpose, tensordot, vecdot."""
import ember

from . import _dtypes
from ._elementwise import _operands


def matmul(x1, x2, /):
    a, b = _operands(x1, x2, "matmul", ("integral", "real floating", "complex floating"))
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul(): 0-d arrays are not allowed; use multiply for scalars")
    return ember.matmul(a, b)


def matrix_transpose(x, /):
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose() needs at least 2 dims, got {x.ndim}")
    return x.mT


def tensordot(x1, x2, /, *, axes=2):
    a, b = _operands(x1, x2, "tensordot", ("integral", "real floating", "complex floating"))
    return ember.tensordot(a, b, dims=axes)


def vecdot(x1, x2, /, *, axis=-1):
    a, b = _operands(x1, x2, "vecdot", ("integral", "real floating", "complex floating"))
    n = max(a.ndim, b.ndim)
    if not -n <= axis < 0 and not 0 <= axis < n:
        raise ValueError(f"vecdot(): axis {axis} out of range for {n} dims")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("vecdot(): 0-d arrays are not allowed")
    # the standard counts `axis` after broadcasting; normalise against each operand's rank
    ax = axis if axis < 0 else axis - n
    if -ax > a.ndim or -ax > b.ndim or a.shape[ax] != b.shape[ax]:
        raise ValueError(f"vecdot(): the contracted axis {axis} differs in size or is missing")
    a, b = ember.broadcast_tensors(a, b)
    if a.dtype in _dtypes._COMPLEX:
        a = ember.conj(a)  # the standard's vecdot conjugates x1
    return (a * b).sum(dim=ax, dtype=a.dtype)


__all__ = ["matmul", "matrix_transpose", "tensordot", "vecdot"]

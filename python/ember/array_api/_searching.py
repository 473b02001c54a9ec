"""Searching, sorting, set and indexing functions of the array API standard."""
import builtins
from collections import namedtuple

import ember

from . import _dtypes
from ._manipulation import _axis


def argmax(x, /, *, axis=None, keepdims=False):
    return _arg(ember.argmax, x, axis, keepdims)


def argmin(x, /, *, axis=None, keepdims=False):
    return _arg(ember.argmin, x, axis, keepdims)


def _arg(op, x, axis, keepdims):
    if x.numel() == 0:
        raise ValueError(f"{op.__name__}() of an empty array has no answer")
    if axis is None:
        out = op(x.reshape(-1))
        return out.reshape((1,) * x.ndim) if keepdims else out
    return op(x, dim=axis, keepdim=keepdims)


def count_nonzero(x, /, *, axis=None, keepdims=False):
    from ._statistical import sum
    return sum(x != 0, axis=axis, keepdims=keepdims, dtype=ember.int64)


def nonzero(x, /):
    if x.ndim == 0:
        raise ValueError("nonzero() of a 0-d array is not allowed; use a 1-d array")
    return tuple(ember.nonzero(x, as_tuple=True))


def searchsorted(x1, x2, /, *, side="left", sorter=None):
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted(): side must be 'left' or 'right', got {side!r}")
    if x1.ndim != 1:
        raise ValueError("searchsorted(): x1 must be 1-d")
    dtype = _dtypes.result_type(x1, x2)
    if sorter is not None:
        x1 = x1[sorter]
    # x2 may be a Python scalar (revision 2025.12): a 0-d array of the promoted dtype
    x2 = x2.to(dtype) if isinstance(x2, ember.Tensor) else ember.tensor(x2, dtype=dtype)
    return ember.searchsorted(x1.to(dtype), x2, side=side)


def where(condition, x1, x2, /):
    from ._elementwise import _operands
    if not isinstance(condition, ember.Tensor) or condition.dtype != ember.bool:
        raise TypeError("where(): condition must be a boolean array")
    if isinstance(x1, ember.Tensor) or isinstance(x2, ember.Tensor):
        dtype = _dtypes.result_type(x1, x2)
    else:
        dtype = _dtypes._scalars_dtype(x1, x2)  # two Python scalars: the wider kind's default
    a, b = _operands(x1, x2, "where", dtype=dtype)
    return ember.where(condition, a, b)


# ember's sorts are always stable here: `stable=False` allows any order, so stable is correct too
def argsort(x, /, *, axis=-1, descending=False, stable=True):
    if x.ndim == 0:
        return ember.zeros((), dtype=ember.int64)
    return ember.argsort(x, dim=axis, descending=descending, stable=True)


def sort(x, /, *, axis=-1, descending=False, stable=True):
    if x.ndim == 0:
        return x.clone()
    return ember.sort(x, dim=axis, descending=descending, stable=True).values


UniqueAllResult = namedtuple("UniqueAllResult", ["values", "indices", "inverse_indices", "counts"])
UniqueCountsResult = namedtuple("UniqueCountsResult", ["values", "counts"])
UniqueInverseResult = namedtuple("UniqueInverseResult", ["values", "inverse_indices"])


def _unique(x):
    """Sorted unique values (complex: ordered by real, then imaginary part) with first-occurrence indices, inverse indices and counts.

    Algorithm: stable-sort the flattened array; a new group starts where an element differs
    from its predecessor. NaN != NaN, so every NaN starts its own group, as the standard asks
    (NaNs are distinct); -0.0 == +0.0 share one group."""
    flat = x.reshape(-1)
    n = flat.shape[0]
    if flat.dtype in _dtypes._COMPLEX:
        # complex has no order; equal values only need to be adjacent: sort by (real, imag)
        by_imag = ember.argsort(flat.imag, stable=True)
        order = by_imag[ember.argsort(flat.real[by_imag], stable=True)]
    else:
        order = ember.argsort(flat, stable=True)
    s = flat[order]
    new = ember.ones(n, dtype=ember.bool)
    if n > 1:
        new[1:] = s[1:] != s[:-1]
    starts = ember.nonzero(new, as_tuple=True)[0]
    values, first = s[starts], order[starts]
    counts = ember.diff(starts, append=ember.tensor([n], dtype=starts.dtype))
    inverse = ember.empty(n, dtype=ember.int64)
    inverse[order] = ember.cumsum(new.to(ember.int64), dim=0) - 1
    return values, first, inverse.reshape(x.shape), counts


def unique_all(x, /):
    return UniqueAllResult(*_unique(x))


def unique_counts(x, /):
    v, _, _, c = _unique(x)
    return UniqueCountsResult(v, c)


def unique_inverse(x, /):
    v, _, inv, _ = _unique(x)
    return UniqueInverseResult(v, inv)


def unique_values(x, /):
    return _unique(x)[0]


def take(x, indices, /, *, axis=None):
    if axis is None:
        if x.ndim != 1:
            raise ValueError("take(): axis is required for arrays of more than one dim")
        axis = 0
    axis = _axis(axis, x.ndim, "take")
    if isinstance(indices, ember.Tensor) and indices.device.type != "meta":
        # negative indices count from the end here (as NumPy's take); index_select refuses them
        indices = indices.where(indices >= 0, indices + x.shape[axis])
    return ember.index_select(x, axis, indices)


def take_along_axis(x, indices, /, *, axis=-1):
    return ember.take_along_dim(x, indices, dim=axis)


__all__ = ["argmax", "argmin", "count_nonzero", "nonzero", "searchsorted", "where", "argsort",
           "sort", "unique_all", "unique_counts", "unique_inverse", "unique_values", "take",
           "take_along_axis"]


def isin(x1, x2, /, *, invert=False):
    """Whether each element of x1 is in x2 (added in revision 2025.12)."""
    dtype = _dtypes.result_type(x1, x2)
    # A Python scalar takes the array's dtype here (ember.isin would promote it the PyTorch
    # way, which refuses int64 beside uint16/32/64).
    a = x1.to(dtype) if isinstance(x1, ember.Tensor) else ember.tensor(x1, dtype=dtype)
    b = x2.to(dtype) if isinstance(x2, ember.Tensor) else ember.tensor(x2, dtype=dtype)
    return ember.isin(a, b, invert=invert)


__all__ += ["isin"]

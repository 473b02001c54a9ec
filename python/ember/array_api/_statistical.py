"""Statistical and utility functions of the array API standard.

Differences from ember's PyTorch-style reductions handled here: `axis` may be a tuple or
None, `std`/`var` take `correction=` with default 0 (PyTorch: 1), `max`/`min` of an empty
array raise, cumulative sums take `include_initial=`."""
import builtins

import ember

from . import _dtypes
from ._manipulation import _axes, _axis


def _sum_dtype(x, dtype):
    if dtype is not None:
        return _dtypes._check_dtype(dtype)
    if x.dtype in _dtypes._UNSIGNED:
        # the standard: the unsigned type as wide as the default integer dtype
        return ember.uint64
    if x.dtype in _dtypes._KINDS["integral"] or x.dtype == ember.bool:
        return ember.int64  # the default integer dtype
    return x.dtype


def _reduce(op, x, axis, keepdims, **kw):
    axes = _axes(axis, x.ndim, op.__name__)
    if x.ndim == 0:
        return op(x, **kw)
    if not axes:
        return _no_axes(op, x, **kw)
    return op(x, dim=axes, keepdim=keepdims, **kw)


def _no_axes(op, x, **kw):
    # reducing over an empty tuple of axes keeps every element; the op still casts the dtype
    y = x.to(kw["dtype"]) if kw.get("dtype") is not None else x
    return y.clone() if y is x else y


def sum(x, /, *, axis=None, dtype=None, keepdims=False):
    return _reduce(ember.sum, x, axis, keepdims, dtype=_sum_dtype(x, dtype))


def prod(x, /, *, axis=None, dtype=None, keepdims=False):
    d = _sum_dtype(x, dtype)
    axes = _axes(axis, x.ndim, "prod")
    y = x.to(d)
    if not axes:
        return y.clone() if y is x else y
    # ember's prod takes one dim at a time; reduce the highest axis first so numbering holds
    for a in sorted(axes, reverse=True):
        y = ember.prod(y, dim=a, keepdim=keepdims, dtype=d)
    return y


def mean(x, /, *, axis=None, keepdims=False):
    if not _dtypes.isdtype(x.dtype, ("real floating", "complex floating")):
        raise TypeError(f"mean() needs a floating array, got {_dtypes._NAMES[x.dtype]}")
    return _reduce(ember.mean, x, axis, keepdims)


def _minmax(op, name):
    def f(x, /, *, axis=None, keepdims=False):
        axes = _axes(axis, x.ndim, name)
        if builtins.any(x.shape[a] == 0 for a in axes) or (x.numel() == 0 and axis is None):
            raise ValueError(f"{name}() of an empty array (or along an empty axis) has no answer")
        if not axes:
            return x.clone()
        return op(x, dim=axes, keepdim=keepdims)
    f.__name__ = f.__qualname__ = name
    return f


max = _minmax(ember.amax, "max")
min = _minmax(ember.amin, "min")


def _moment(op, name):
    def f(x, /, *, axis=None, correction=0.0, keepdims=False):
        if not _dtypes.isdtype(x.dtype, "real floating"):
            raise TypeError(f"{name}() needs a real floating array, got {_dtypes._NAMES[x.dtype]}")
        axes = _axes(axis, x.ndim, name)
        if not axes:
            return op(x.unsqueeze(0), dim=0, correction=correction, keepdim=False)
        return op(x, dim=axes, correction=correction, keepdim=keepdims)
    f.__name__ = f.__qualname__ = name
    return f


std = _moment(ember.std, "std")
var = _moment(ember.var, "var")


def _cumulative(op, name, initial):
    def f(x, /, *, axis=None, dtype=None, include_initial=False):
        if axis is None:
            if x.ndim > 1:
                raise ValueError(f"{name}(): axis is required for arrays of more than one dim")
            axis = 0
        if x.ndim == 0:
            raise ValueError(f"{name}() of a 0-d array is not defined")
        axis = _axis(axis, x.ndim, name)
        d = _sum_dtype(x, dtype)
        out = (op if d not in _dtypes._COMPLEX else _COMPLEX_SCAN[op])(x.to(d), dim=axis, dtype=d)
        if include_initial:
            shape = list(x.shape)
            shape[axis] = 1
            out = ember.cat([ember.full(shape, initial, dtype=d), out], dim=axis)
        return out
    f.__name__ = f.__qualname__ = name
    return f


def _complex_cumsum(x, dim, dtype):
    # ember's scan kernels take no complex input; the parts add up on their own
    return ember.complex(ember.cumsum(x.real, dim=dim), ember.cumsum(x.imag, dim=dim))


def _complex_cumprod(x, dim, dtype):
    # no part-wise form: the running product, one step per index (the same rounding as a scan)
    steps = list(ember.unbind(x, dim=dim))
    for i in range(1, len(steps)):
        steps[i] = steps[i - 1] * steps[i]
    return ember.stack(steps, dim=dim) if steps else x.clone()


_COMPLEX_SCAN = {ember.cumsum: _complex_cumsum, ember.cumprod: _complex_cumprod}

cumulative_sum = _cumulative(ember.cumsum, "cumulative_sum", 0)
cumulative_prod = _cumulative(ember.cumprod, "cumulative_prod", 1)


def all(x, /, *, axis=None, keepdims=False):
    return _logical(ember.all, x, axis, keepdims)


def any(x, /, *, axis=None, keepdims=False):
    return _logical(ember.any, x, axis, keepdims)


def _logical(op, x, axis, keepdims):
    axes = _axes(axis, x.ndim, op.__name__)
    b = x if x.dtype == ember.bool else x != 0
    if not axes:
        return b.clone() if b is x else b
    for a in sorted(axes, reverse=True):
        b = op(b, dim=a, keepdim=keepdims)
    return b


def diff(x, /, *, axis=-1, n=1, prepend=None, append=None):
    if n < 0:
        raise ValueError(f"diff(): n must be non-negative, got {n}")
    if x.ndim == 0:
        raise ValueError("diff() of a 0-d array is not defined")
    return ember.diff(x, n=n, dim=axis, prepend=prepend, append=append)


__all__ = ["sum", "prod", "mean", "max", "min", "std", "var", "cumulative_sum",
           "cumulative_prod", "all", "any", "diff"]

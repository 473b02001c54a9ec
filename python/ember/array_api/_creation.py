"""Creation functions of the array API standard, over ember's own creation ops.

`asarray` follows the standard's `copy=` contract: True always copies, False never copies
(and raises ValueError where it would have to), None copies only when it must."""
import builtins
import math

import ember

from . import _dtypes
from ._dtypes import _check_dtype


def _to_device(x, device):
    if device is None or ember.device(device) == x.device:
        return x
    return x.to(device)


def _opt_dtype(dtype):
    return None if dtype is None else _check_dtype(dtype)


def _infer_dtype(obj):
    """The dtype the standard gives a nested sequence of Python scalars (bool < int < float < complex)."""
    rank = {"bool": 0, "int": 1, "float": 2, "complex": 3}
    best = None
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, ember.Tensor):
            k = ("bool" if o.dtype == ember.bool else "int" if o.dtype in _dtypes._KINDS["integral"]
                 else "complex" if o.dtype in _dtypes._COMPLEX else "float")
            d = o.dtype
        elif isinstance(o, (list, tuple)):
            stack.extend(o)
            continue
        else:
            try:
                k = _dtypes._kind_of_scalar(o)
            except TypeError:
                return None  # not plain Python data; let ember.tensor decide
            d = _dtypes._default_for_scalar(k)
        if best is None or rank[k] > rank[best[0]]:
            best = (k, d)
    return None if best is None else best[1]


def asarray(obj, /, *, dtype=None, device=None, copy=None):
    dtype = _opt_dtype(dtype)
    if isinstance(obj, ember.Tensor):
        x = obj
    elif hasattr(obj, "__dlpack__") or hasattr(obj, "__array_interface__") or isinstance(obj, memoryview):
        if copy is False and not hasattr(obj, "__dlpack__") and not hasattr(obj, "__array_interface__"):
            raise ValueError("asarray(copy=False): this object cannot be shared without a copy")
        x = ember.asarray(obj)
    else:
        if copy is False:
            raise ValueError("asarray(copy=False): a Python sequence or scalar cannot be shared; "
                             "it must be copied into a new array")
        inferred = _infer_dtype(obj)
        if inferred is None and not isinstance(obj, (list, tuple)):
            raise TypeError(f"asarray() cannot convert {type(obj).__name__}")
        target = dtype if dtype is not None else inferred
        if target is not None and target in _dtypes._KINDS["integral"] and _has(obj, (builtins.float, builtins.complex)):
            # the standard leaves float -> int conversion unspecified; refuse rather than truncate
            raise TypeError("asarray(): float data cannot be given an integer dtype")
        if target is not None and target not in _dtypes._COMPLEX and _has(obj, builtins.complex):
            # nor complex -> real: refuse rather than drop imaginary parts
            raise TypeError(f"asarray(): complex data cannot be given the real dtype {_dtypes._NAMES[target]}")
        _check_int_range(obj, target)
        return _to_device(ember.tensor(obj, dtype=target), device)
    needs_cast = dtype is not None and dtype != x.dtype
    needs_move = device is not None and ember.device(device) != x.device
    if copy is False and (needs_cast or needs_move):
        raise ValueError("asarray(copy=False): a change of dtype or device needs a copy")
    if needs_cast:
        x = x.to(dtype)
    elif copy:
        x = x.clone()
    return _to_device(x, device)


def _has(obj, types):
    if isinstance(obj, (list, tuple)):
        return builtins.any(_has(o, types) for o in obj)
    return isinstance(obj, types)


def _check_int_range(obj, dtype):
    if dtype is None or dtype not in _dtypes._KINDS["integral"]:
        return
    info = ember.iinfo(dtype)
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, (list, tuple)):
            stack.extend(o)
        elif isinstance(o, builtins.int) and not isinstance(o, builtins.bool) and not info.min <= o <= info.max:
            raise OverflowError(f"Python int {o} does not fit in {_dtypes._NAMES[dtype]}")


def arange(start, /, stop=None, step=1, *, dtype=None, device=None):
    if stop is None:
        start, stop = 0, start
    dtype = _opt_dtype(dtype)
    if dtype is None:
        floats = builtins.any(isinstance(v, builtins.float) for v in (start, stop, step))
        dtype = ember.get_default_dtype() if floats else ember.int64
    if step == 0:
        raise ValueError("arange(): step must be nonzero")
    # the standard's length: ceil((stop - start) / step), never negative
    n = builtins.max(0, math.ceil((stop - start) / step))
    if dtype in _dtypes._REAL_FLOAT:
        # start + i*step in float64, then rounded once, so the length matches the formula above
        out = ember.arange(n, dtype=ember.float64) * step + start
        return _to_device(out.to(dtype), device)
    return _to_device(ember.arange(start, start + n * step, step, dtype=dtype)[:n], device)


def empty(shape, *, dtype=None, device=None):
    return ember.empty(_shape(shape), dtype=_opt_dtype(dtype), device=device)


def empty_like(x, /, *, dtype=None, device=None):
    return ember.empty_like(x, dtype=_opt_dtype(dtype), device=device)


def zeros(shape, *, dtype=None, device=None):
    return ember.zeros(_shape(shape), dtype=_opt_dtype(dtype), device=device)


def zeros_like(x, /, *, dtype=None, device=None):
    return ember.zeros_like(x, dtype=_opt_dtype(dtype), device=device)


def ones(shape, *, dtype=None, device=None):
    return ember.ones(_shape(shape), dtype=_opt_dtype(dtype), device=device)


def ones_like(x, /, *, dtype=None, device=None):
    return ember.ones_like(x, dtype=_opt_dtype(dtype), device=device)


def _fill_dtype(fill_value, dtype):
    if dtype is not None:
        return _check_dtype(dtype)
    return _dtypes.result_type(fill_value)


def full(shape, fill_value, *, dtype=None, device=None):
    if isinstance(fill_value, ember.Tensor):
        fill_value = fill_value.item()
    return ember.full(_shape(shape), fill_value, dtype=_fill_dtype(fill_value, dtype), device=device)


def full_like(x, /, fill_value, *, dtype=None, device=None):
    return ember.full_like(x, fill_value, dtype=_opt_dtype(dtype), device=device)


def eye(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None):
    n_cols = n_rows if n_cols is None else n_cols
    dtype = _opt_dtype(dtype) or ember.get_default_dtype()
    out = ember.zeros((n_rows, n_cols), dtype=dtype, device=device)
    if -n_rows < k < n_cols:
        out.diagonal(k).fill_(1)
    return out


def linspace(start, stop, /, num, *, dtype=None, device=None, endpoint=True):
    dtype = _opt_dtype(dtype)
    is_complex = isinstance(start, builtins.complex) or isinstance(stop, builtins.complex)
    if dtype is None:
        dtype = _dtypes._default_for_scalar("complex" if is_complex else "float")
    elif is_complex and dtype not in _dtypes._COMPLEX:
        raise TypeError(f"linspace(): complex bounds need a complex dtype, got {_dtypes._NAMES[dtype]}")
    if num < 0:
        raise ValueError(f"linspace(): num must be non-negative, got {num}")
    if dtype in _dtypes._COMPLEX:
        # real and imaginary parts are two real grids (in float64, rounded once)
        start, stop = builtins.complex(start), builtins.complex(stop)
        parts = [linspace(a, b, num, dtype=ember.float64, endpoint=endpoint)
                 for a, b in ((start.real, stop.real), (start.imag, stop.imag))]
        return _to_device(ember.complex(*parts).to(dtype), device)
    if endpoint:
        return ember.linspace(start, stop, num, dtype=dtype, device=device)
    # num points of the num+1-point grid, computed in float64 then rounded once
    return _to_device(ember.linspace(start, stop, num + 1, dtype=ember.float64)[:num].to(dtype), device)


def meshgrid(*arrays, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid(): indexing must be 'xy' or 'ij', got {indexing!r}")
    if len({a.dtype for a in arrays}) > 1:
        raise ValueError("meshgrid(): all arrays must have the same dtype")
    # a tuple since revision 2025.12 (a list before)
    return tuple(ember.meshgrid(*arrays, indexing=indexing)) if arrays else ()


def tril(x, /, *, k=0):
    return ember.tril(x, k)


def triu(x, /, *, k=0):
    return ember.triu(x, k)


def from_dlpack(x, /, *, device=None, copy=None):
    out = ember.from_dlpack(x)
    if device is not None and ember.device(device) != out.device:
        if copy is False:
            raise BufferError(f"from_dlpack(copy=False): moving to {device} needs a copy")
        return out.to(device)
    return out.clone() if copy else out


def _shape(shape):
    return (shape,) if isinstance(shape, builtins.int) else tuple(shape)


__all__ = ["asarray", "arange", "empty", "empty_like", "zeros", "zeros_like", "ones", "ones_like",
           "full", "full_like", "eye", "linspace", "meshgrid", "tril", "triu", "from_dlpack"]

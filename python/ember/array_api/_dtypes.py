"""Data types of the array API namespace, and the standard's type-promotion rules.

Every dtype table lives here. ember's float16, bfloat16 and the complex32 it lacks are not
standard dtypes and are left out of the namespace.

The standard promotes within a kind only (bool, signed/unsigned integers, floating), with no
special rule for 0-d arrays: int8 + a 0-d int64 array is int64 here, int8 under PyTorch.
Real and complex floats form one lattice: a complex result has parts as wide as the widest
operand (complex64 + float64 -> complex128). Mixed-kind promotion (bool/int with float) is
implementation-defined; we follow ember (the float or integer operand's kind wins)."""
import builtins

import ember

bool = ember.bool
int8, int16, int32, int64 = ember.int8, ember.int16, ember.int32, ember.int64
uint8, uint16, uint32, uint64 = ember.uint8, ember.uint16, ember.uint32, ember.uint64
float32, float64 = ember.float32, ember.float64
complex64, complex128 = ember.complex64, ember.complex128

_SIGNED = (int8, int16, int32, int64)
_UNSIGNED = (uint8, uint16, uint32, uint64)
_REAL_FLOAT = (float32, float64)
_COMPLEX = (complex64, complex128)
_ALL = (bool,) + _SIGNED + _UNSIGNED + _REAL_FLOAT + _COMPLEX
_NAMES = {d: str(d).split(".")[-1] for d in _ALL}
_BITS = {bool: 8, int8: 8, int16: 16, int32: 32, int64: 64, uint8: 8, uint16: 16, uint32: 32, uint64: 64,
         float32: 32, float64: 64, complex64: 64, complex128: 128}
# the real dtype of each floating dtype's parts, and the complex dtype with parts of a real one
_PART = {float32: float32, float64: float64, complex64: float32, complex128: float64}
_WITH_PARTS = {float32: complex64, float64: complex128}

_KINDS = {
    "bool": (bool,),
    "signed integer": _SIGNED,
    "unsigned integer": _UNSIGNED,
    "integral": _SIGNED + _UNSIGNED,
    "real floating": _REAL_FLOAT,
    "complex floating": _COMPLEX,
    "numeric": _SIGNED + _UNSIGNED + _REAL_FLOAT + _COMPLEX,
}


def _standard_pair(a, b):
    """The standard's promotion lattice for two dtypes of one kind; None across kinds."""
    if a == b:
        return a
    floats = _REAL_FLOAT + _COMPLEX
    if a in floats and b in floats:
        part = float64 if float64 in (_PART[a], _PART[b]) else float32
        return _WITH_PARTS[part] if a in _COMPLEX or b in _COMPLEX else part
    ints = _SIGNED + _UNSIGNED
    if a in ints and b in ints:
        if (a in _SIGNED) == (b in _SIGNED):
            return a if _BITS[a] >= _BITS[b] else b
        s, u = (a, b) if a in _SIGNED else (b, a)
        # a signed type wider than the unsigned one holds it; otherwise go one size up
        if _BITS[s] > _BITS[u]:
            return s
        wider = [t for t in _SIGNED if _BITS[t] > _BITS[u]]
        if not wider:
            raise TypeError(f"no integer dtype holds both {_NAMES[a]} and {_NAMES[b]}")
        return wider[0]
    return None


def _promote(a, b):
    r = _standard_pair(a, b)
    if r is None and (a in _UNSIGNED[1:] or b in _UNSIGNED[1:]):
        # ember (as PyTorch) refuses uint16/32/64 with bool or complex; across kinds the
        # higher kind wins here, as ember's rule gives for every other pair of kinds
        order = [(bool,), _SIGNED + _UNSIGNED, _REAL_FLOAT, _COMPLEX]
        return builtins.max((a, b), key=lambda d: [d in k for k in order].index(True))
    return r if r is not None else ember.promote_types(a, b)


def _check_dtype(d):
    if d not in _ALL:
        raise TypeError(f"{d!r} is not a data type of the array API namespace "
                        f"(one of {', '.join(_NAMES.values())})")
    return d


def _kind_of_scalar(s):
    if isinstance(s, builtins.bool):
        return "bool"
    if isinstance(s, builtins.int):
        return "int"
    if isinstance(s, builtins.float):
        return "float"
    if isinstance(s, builtins.complex):
        return "complex"
    raise TypeError(f"expected an array, a dtype or a Python scalar, got {type(s).__name__}")


def _scalar_fits(kind, dtype):
    """Whether a Python scalar of `kind` may take `dtype` (the standard's scalar rule)."""
    if kind == "bool":
        return True
    if kind == "int":
        return dtype != bool
    if kind == "float":
        return dtype in _REAL_FLOAT + _COMPLEX
    return dtype in _COMPLEX


def _default_for_scalar(kind):
    from ._info import _DEFAULTS, _default_float
    if kind == "complex":
        return _WITH_PARTS[_default_float()]
    return {"bool": bool, "int": _DEFAULTS["integral"], "float": _default_float()}[kind]


def _scalars_dtype(*scalars):
    """The default dtype of the widest kind among Python scalars (bool < int < float)."""
    order = ["bool", "int", "float", "complex"]
    return _default_for_scalar(builtins.max((_kind_of_scalar(s) for s in scalars), key=order.index))


def result_type(*arrays_and_dtypes):
    """The dtype the standard's promotion rules give; Python scalars take the dtype of the
    arrays they meet when their kind fits it (1 + int8 array -> int8)."""
    if not arrays_and_dtypes:
        raise ValueError("result_type() needs at least one array or dtype")
    dtypes, scalars = [], []
    for a in arrays_and_dtypes:
        if isinstance(a, ember.Tensor):
            dtypes.append(_check_dtype(a.dtype))
        elif isinstance(a, ember.dtype):
            dtypes.append(_check_dtype(a))
        else:
            scalars.append(_kind_of_scalar(a))
    if not dtypes:
        if len(scalars) == 1:
            return _default_for_scalar(scalars[0])
        raise ValueError("result_type() needs at least one array or dtype besides Python scalars")
    r = dtypes[0]
    for d in dtypes[1:]:
        r = _promote(r, d)
    for k in scalars:
        if k == "complex" and r in _REAL_FLOAT:
            r = _WITH_PARTS[r]  # a complex scalar keeps a real float array's precision
        elif not _scalar_fits(k, r):
            r = _promote(r, _default_for_scalar(k))
    return r


def can_cast(from_, to, /):
    """Whether promotion of `from_` with `to` gives `to` (the standard's "safe" cast)."""
    if isinstance(from_, ember.Tensor):
        from_ = from_.dtype
    _check_dtype(from_)
    _check_dtype(to)
    if from_ == to:
        return True
    # the standard's lattice has no edges across kinds (bool, integer, floating)
    try:
        return _standard_pair(from_, to) == to
    except TypeError:  # uint64 with a signed type: no dtype holds both
        return False


def isdtype(dtype, kind):
    """Whether `dtype` is of `kind`: a dtype, a kind name, or a tuple of these."""
    if not isinstance(dtype, ember.dtype):
        raise TypeError(f"isdtype() expects a dtype, got {type(dtype).__name__}")
    if isinstance(kind, tuple):
        return builtins.any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, ember.dtype):
        return dtype == kind
    if isinstance(kind, str):
        if kind not in _KINDS:
            raise ValueError(f"unknown dtype kind {kind!r}; expected one of {', '.join(_KINDS)}")
        return dtype in _KINDS[kind]
    raise TypeError(f"isdtype() kind must be a dtype, a kind name or a tuple, got {type(kind).__name__}")


class finfo_object:
    """Machine limits of a floating dtype (bits, eps, max, min, smallest_normal, dtype); for a
    complex dtype, those of its real parts (the standard's rule: `dtype` is then the real one)."""

    def __init__(self, dtype):
        dtype = _PART[dtype]
        f = ember.finfo(dtype)
        self.bits, self.eps, self.max, self.min = f.bits, f.eps, f.max, f.min
        self.smallest_normal, self.dtype = f.smallest_normal, dtype

    def __repr__(self):
        return (f"finfo(bits={self.bits}, eps={self.eps}, max={self.max}, min={self.min}, "
                f"smallest_normal={self.smallest_normal}, dtype={_NAMES[self.dtype]})")


class iinfo_object:
    """Limits of an integer dtype (bits, max, min, dtype)."""

    def __init__(self, dtype):
        i = ember.iinfo(dtype)
        self.bits, self.max, self.min, self.dtype = i.bits, i.max, i.min, dtype

    def __repr__(self):
        return f"iinfo(bits={self.bits}, max={self.max}, min={self.min}, dtype={_NAMES[self.dtype]})"


def _dtype_arg(type, what):
    d = type.dtype if isinstance(type, ember.Tensor) else type
    if not isinstance(d, ember.dtype):
        raise TypeError(f"{what}() expects a dtype or an array, got {type!r}")
    return _check_dtype(d)


def finfo(type, /):
    d = _dtype_arg(type, "finfo")
    if d not in _REAL_FLOAT + _COMPLEX:
        raise ValueError(f"finfo() needs a floating dtype, got {_NAMES[d]}")
    return finfo_object(d)


def iinfo(type, /):
    d = _dtype_arg(type, "iinfo")
    if d not in _KINDS["integral"]:
        raise ValueError(f"iinfo() needs an integer dtype, got {_NAMES[d]}")
    return iinfo_object(d)


def astype(x, dtype, /, *, copy=True, device=None):
    from ._creation import _to_device
    _check_dtype(dtype)
    if x.dtype in _COMPLEX and dtype not in _COMPLEX:
        # the standard: dropping imaginary parts silently is not permitted
        raise TypeError(f"astype(): a complex array cannot be cast to {_NAMES[dtype]}; "
                        "take real(x), imag(x) or abs(x) first")
    if x.dtype == dtype:
        y = x.clone() if copy else x
    else:
        y = x.to(dtype)
    return _to_device(y, device)


__all__ = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float32", "float64", "complex64", "complex128",
           "result_type", "can_cast", "isdtype", "finfo", "iinfo", "astype"]

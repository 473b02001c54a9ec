"""Elementwise functions of the array API standard.

Binary functions promote by the standard's rules (`_dtypes.result_type`: no 0-d rule, Python
scalars take the array's dtype), cast both operands to the result dtype, then call ember's own
op. Where ember's op has PyTorch semantics that differ from the standard (integer division by
zero raises, float floor division of infinities, rounding and ceil of integers), the difference
is handled here and ember itself is left as it is. Complex arrays go to ember's complex
kernels, except the functions `_complex_math` composes (the inverse trigonometric and
hyperbolic ones, which the core lacks, and exp/expm1/log1p/sin/cos/tan/sinh/cosh/tanh, whose core kernels
miss special cases the standard lists or lose accuracy)."""
import builtins
import math

import ember

from . import _complex_math, _dtypes
from ._dtypes import _COMPLEX, _REAL_FLOAT, _KINDS

_INTEGRAL = _KINDS["integral"]


def _as_array(x, dtype):
    if isinstance(x, ember.Tensor):
        return x if x.dtype == dtype else x.to(dtype)
    return ember.scalar_tensor(x, dtype=dtype)


_KIND_SETS = {}


def _of_kinds(dtype, kinds):
    """isdtype(dtype, kinds) through a cached set (this runs on every elementwise call)."""
    s = _KIND_SETS.get(kinds)
    if s is None:
        s = _KIND_SETS[kinds] = frozenset(d for d in _dtypes._ALL if _dtypes.isdtype(d, kinds))
    return dtype in s


def _operands(x1, x2, name, kinds=None, dtype=None):
    """(x1, x2) cast to the standard's result dtype; `kinds` lists what the function accepts."""
    if dtype is None:
        t1, t2 = isinstance(x1, ember.Tensor), isinstance(x2, ember.Tensor)
        if t1 and t2 and x1.dtype == x2.dtype:
            dtype = _dtypes._check_dtype(x1.dtype)  # the common case: nothing to promote
        elif not t1 and not t2:
            raise TypeError(f"{name}(): at least one argument must be an array")
        else:
            dtype = _dtypes.result_type(x1, x2)
    if kinds is not None and not _of_kinds(dtype, kinds):
        raise TypeError(f"{name}() is not defined for {_dtypes._NAMES[dtype]} arrays")
    for s in (x1, x2):
        if isinstance(s, builtins.int) and not isinstance(s, builtins.bool) and dtype in _INTEGRAL:
            info = ember.iinfo(dtype)
            if not info.min <= s <= info.max:
                raise OverflowError(f"{name}(): Python int {s} does not fit in {_dtypes._NAMES[dtype]}")
    return _as_array(x1, dtype), _as_array(x2, dtype)


def _check(x, name, kinds):
    if not isinstance(x, ember.Tensor):
        raise TypeError(f"{name}() expects an array, got {type(x).__name__}")
    _dtypes._check_dtype(x.dtype)
    if kinds is not None and not _of_kinds(x.dtype, kinds):
        raise TypeError(f"{name}() is not defined for {_dtypes._NAMES[x.dtype]} arrays")
    return x


_NUM = ("integral", "real floating", "complex floating")
_REAL = ("integral", "real floating")
_FLOAT = ("real floating", "complex floating")
_INT_BOOL = ("integral", "bool")


def _unary(name, op, kinds):
    def f(x, /):
        return op(_check(x, name, kinds))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"The array API standard's `{name}` (elementwise)."
    return f


def _binary(name, op, kinds):
    def f(x1, x2, /):
        return op(*_operands(x1, x2, name, kinds))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"The array API standard's `{name}` (elementwise, standard type promotion)."
    return f


def _real_or_complex(name):
    real_op, complex_op = getattr(ember, name), getattr(_complex_math, name)
    return lambda x: complex_op(x) if x.dtype in _COMPLEX else real_op(x)


abs = _unary("abs", ember.abs, _NUM)
acos = _unary("acos", _real_or_complex("acos"), _FLOAT)
acosh = _unary("acosh", _real_or_complex("acosh"), _FLOAT)
asin = _unary("asin", _real_or_complex("asin"), _FLOAT)
asinh = _unary("asinh", _real_or_complex("asinh"), _FLOAT)
atan = _unary("atan", _real_or_complex("atan"), _FLOAT)
atanh = _unary("atanh", _real_or_complex("atanh"), _FLOAT)
cos = _unary("cos", _real_or_complex("cos"), _FLOAT)
cosh = _unary("cosh", _real_or_complex("cosh"), _FLOAT)
exp = _unary("exp", _real_or_complex("exp"), _FLOAT)
expm1 = _unary("expm1", _real_or_complex("expm1"), _FLOAT)
log = _unary("log", ember.log, _FLOAT)
log1p = _unary("log1p", _real_or_complex("log1p"), _FLOAT)
log2 = _unary("log2", ember.log2, _FLOAT)
log10 = _unary("log10", ember.log10, _FLOAT)
sin = _unary("sin", _real_or_complex("sin"), _FLOAT)
sinh = _unary("sinh", _real_or_complex("sinh"), _FLOAT)
sqrt = _unary("sqrt", ember.sqrt, _FLOAT)
tan = _unary("tan", _real_or_complex("tan"), _FLOAT)
tanh = _unary("tanh", _real_or_complex("tanh"), _FLOAT)
isfinite = _unary("isfinite", ember.isfinite, _NUM)
isinf = _unary("isinf", ember.isinf, _NUM)
isnan = _unary("isnan", ember.isnan, _NUM)
logical_not = _unary("logical_not", ember.logical_not, "bool")
bitwise_invert = _unary("bitwise_invert", ember.bitwise_not, _INT_BOOL)
negative = _unary("negative", ember.negative, _NUM)
signbit = _unary("signbit", ember.signbit, "real floating")
square = _unary("square", lambda x: x * x, _NUM)
# the standard's sign of -0.0 is +0 (ember's, like PyTorch's, is -0); its complex sign is
# x/|x|, which PyTorch (and ember) call sgn
sign = _unary("sign", lambda x: ember.where(x == 0, ember.zeros_like(x), (ember.sgn if x.dtype.is_complex else ember.sign)(x)), _NUM)
reciprocal = _unary("reciprocal", ember.reciprocal, _FLOAT)


def positive(x, /):
    return _check(x, "positive", _NUM).clone()


def _int_identity(name, op):
    """ceil/floor/trunc/round of an integer array is the array itself (a copy)."""
    def f(x, /):
        _check(x, name, _REAL)
        return x.clone() if x.dtype in _INTEGRAL else op(x)
    f.__name__ = f.__qualname__ = name
    return f


ceil = _int_identity("ceil", ember.ceil)
floor = _int_identity("floor", ember.floor)
trunc = _int_identity("trunc", ember.trunc)
_round_real = _int_identity("round", ember.round)  # half to even, as the standard asks


def round(x, /):
    if _check(x, "round", _NUM).dtype in _COMPLEX:
        # each part rounded on its own, as the standard asks
        return ember.complex(ember.round(x.real), ember.round(x.imag))
    return _round_real(x)


# a real array is its own real part and conjugate, with zero imaginary part (standard 2024.12)
def real(x, /):
    x = _check(x, "real", _NUM)
    return (x.real if x.dtype in _COMPLEX else x).clone()


def imag(x, /):
    x = _check(x, "imag", _NUM)
    return x.imag.clone() if x.dtype in _COMPLEX else ember.zeros_like(x)


def conj(x, /):
    x = _check(x, "conj", _NUM)
    # conj_physical: the standard's conj is a new array, not ember's lazy conjugate view
    # (which refuses the buffer-protocol export that array consumers use).
    return ember.conj_physical(x) if x.dtype in _COMPLEX else x.clone()


add = _binary("add", ember.add, _NUM)
subtract = _binary("subtract", ember.subtract, _NUM)
multiply = _binary("multiply", ember.multiply, _NUM)
atan2 = _binary("atan2", ember.atan2, "real floating")
copysign = _binary("copysign", ember.copysign, "real floating")
hypot = _binary("hypot", ember.hypot, "real floating")
logaddexp = _binary("logaddexp", ember.logaddexp, "real floating")
nextafter = _binary("nextafter", ember.nextafter, "real floating")
maximum = _binary("maximum", ember.maximum, _REAL)
minimum = _binary("minimum", ember.minimum, _REAL)
equal = _binary("equal", ember.eq, None)
not_equal = _binary("not_equal", ember.ne, None)
greater = _binary("greater", ember.gt, _REAL)
greater_equal = _binary("greater_equal", ember.ge, _REAL)
less = _binary("less", ember.lt, _REAL)
less_equal = _binary("less_equal", ember.le, _REAL)
logical_and = _binary("logical_and", ember.logical_and, "bool")
logical_or = _binary("logical_or", ember.logical_or, "bool")
logical_xor = _binary("logical_xor", ember.logical_xor, "bool")
bitwise_and = _binary("bitwise_and", ember.bitwise_and, _INT_BOOL)
bitwise_or = _binary("bitwise_or", ember.bitwise_or, _INT_BOOL)
bitwise_xor = _binary("bitwise_xor", ember.bitwise_xor, _INT_BOOL)


def _shift(name, op):
    def f(x1, x2, /):
        a, b = _operands(x1, x2, name, "integral")
        if ember.any(b < 0):
            raise ValueError(f"{name}(): shift counts must be non-negative")
        bits = _dtypes._BITS[a.dtype]
        # shifting by the width or more: left gives 0, right gives the sign fill
        big = b >= bits
        out = op(a, ember.where(big, ember.zeros_like(b), b))
        if name == "bitwise_left_shift":
            return ember.where(big, ember.zeros_like(out), out)
        # shifting right by the width leaves only the sign: -1 or 0 (always 0 when unsigned)
        fill = ember.zeros_like(a) if a.dtype in _dtypes._UNSIGNED else op(a, ember.full_like(a, bits - 1))
        return ember.where(big, fill, out)
    f.__name__ = f.__qualname__ = name
    return f


bitwise_left_shift = _shift("bitwise_left_shift", ember.bitwise_left_shift)
bitwise_right_shift = _shift("bitwise_right_shift", ember.bitwise_right_shift)


def divide(x1, x2, /):
    a, b = _operands(x1, x2, "divide", _NUM)
    # integer operands are implementation-defined: true division into the default float dtype
    return ember.true_divide(a, b)


def floor_divide(x1, x2, /):
    a, b = _operands(x1, x2, "floor_divide", _REAL)
    if a.dtype in _INTEGRAL:
        # PyTorch raises on integer division by zero; the standard leaves the value
        # unspecified, and we give 0 (like NumPy) rather than an exception mid-computation
        zero = b == 0
        q = ember.floor_divide(a, ember.where(zero, ember.ones_like(b), b))
        return ember.where(zero, ember.zeros_like(q), q)
    # the standard defines float floor division as floor(divide(x1, x2)), infinities included
    return ember.floor(a / b)


def remainder(x1, x2, /):
    a, b = _operands(x1, x2, "remainder", _REAL)
    if a.dtype in _INTEGRAL:
        zero = b == 0
        r = ember.remainder(a, ember.where(zero, ember.ones_like(b), b))
        return ember.where(zero, ember.zeros_like(r), r)
    r = ember.remainder(a, b)
    # x1 finite nonzero, x2 infinite: x1 itself when the signs agree, else x2 (Python's rule)
    keep = ember.isfinite(a) & ember.isinf(b) & (a != 0)
    agree = ember.signbit(a) == ember.signbit(b)
    r = ember.where(keep, ember.where(agree, a, b), r)
    # a zero result takes the divisor's sign
    return ember.where(r == 0, ember.copysign(ember.zeros_like(r), b), r)


def pow(x1, x2, /):
    a, b = _operands(x1, x2, "pow", _NUM)
    return ember.pow(a, b)


def clip(x, /, min=None, max=None):
    _check(x, "clip", _REAL)
    out = x.clone()
    for bound, pick in ((min, ember.maximum), (max, ember.minimum)):
        if bound is None:
            continue
        if isinstance(bound, ember.Tensor):
            if bound.dtype != x.dtype and _dtypes.result_type(x, bound) != x.dtype:
                raise TypeError("clip(): bounds must not promote the dtype of x")
            b = bound.to(x.dtype)
        else:
            if x.dtype in _INTEGRAL and isinstance(bound, builtins.float):
                raise TypeError("clip(): a float bound for an integer array is not allowed")
            if x.dtype in _INTEGRAL:
                info = ember.iinfo(x.dtype)
                bound = builtins.min(builtins.max(bound, info.min), info.max)
            b = ember.tensor(bound, dtype=x.dtype)
        out = pick(out, b)
    return out


__all__ = [n for n in dir() if not n.startswith("_") and callable(globals()[n])
           and n not in ("builtins", "math", "ember")]

"""The dtype singletons, PyTorch's aliases, and finfo/iinfo."""
from ._native import dtype

bool = dtype("bool")
uint8 = dtype("uint8")
int8 = dtype("int8")
int16 = dtype("int16")
int32 = dtype("int32")
int64 = dtype("int64")
# PyTorch's "limited support" unsigned dtypes: they promote only with themselves and floats
uint16 = dtype("uint16")
uint32 = dtype("uint32")
uint64 = dtype("uint64")
float16 = dtype("float16")
bfloat16 = dtype("bfloat16")
float32 = dtype("float32")
float64 = dtype("float64")
complex64 = dtype("complex64")
complex128 = dtype("complex128")

# PyTorch's aliases
half = float16
float = float32
double = float64
short = int16
int = int32
long = int64
cfloat = complex64
cdouble = complex128

_FINFO = {
    "float16": (10, 5, 6.103515625e-05, 65504.0, 0.0009765625, 3, 5.960464477539063e-08),
    "bfloat16": (7, 8, 1.1754943508222875e-38, 3.3895313892515355e38, 0.0078125, 2, 9.183549615799121e-41),
    "float32": (23, 8, 1.1754943508222875e-38, 3.4028234663852886e38, 1.1920928955078125e-07, 6, 1.401298464324817e-45),
    "float64": (52, 11, 2.2250738585072014e-308, 1.7976931348623157e308, 2.220446049250313e-16, 15, 5e-324),
}


class finfo:
    """Machine limits of a floating dtype (``ember.finfo(ember.float32).eps``)."""

    def __init__(self, type=None):
        from . import get_default_dtype

        type = get_default_dtype() if type is None else type
        if not isinstance(type, dtype):
            raise TypeError(f"finfo(): argument 'type' (position 1) must be ember.dtype, not {type.__class__.__name__}")
        if type.is_complex:  # a complex dtype's limits are those of its parts
            type = type.to_real()
        if type.name not in _FINFO:
            raise TypeError(f"finfo() requires a floating point input type, got {type}")
        mant, _exp, tiny, mx, eps, prec, sub = _FINFO[type.name]
        self.dtype = type.name
        self.bits = type.itemsize * 8
        self.eps = eps
        self.max = mx
        self.min = -mx
        self.tiny = tiny
        self.smallest_normal = tiny
        self.resolution = 10.0 ** -prec
        self.subnormal = sub

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min:e}, max={self.max:e}, eps={self.eps:e}, "
                f"smallest_normal={self.tiny:e}, tiny={self.tiny:e}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (``ember.iinfo(ember.int8).max == 127``)."""

    def __init__(self, type):
        if not isinstance(type, dtype):
            raise TypeError(f"iinfo(): argument 'type' (position 1) must be ember.dtype, not {type.__class__.__name__}")
        if type.is_floating_point or type.name == "bool":
            raise TypeError(f"iinfo() requires an integer input type, got {type}")
        self.bits = type.itemsize * 8
        self.dtype = type.name
        if not type.is_signed:
            self.min, self.max = 0, 2 ** self.bits - 1
        else:
            self.min, self.max = -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"

"""Elementwise functions: ``ember.exp(x)``, ``ember.where(c, x, y)``, ``ember.pow(2, x)``, …

Each forwards to the native Tensor method of the same name (one implementation); functions
whose first argument may be a Python number (``pow``, ``where``…) handle that here.
"""
from . import _native, _out_forms
from ._native import Tensor

__all__ = []

# The unary op table (rust/ember-core/src/elementwise_table.rs) lists its own functions; the rest take
# arguments or aren't table ops.
_UNARY = list(_native._unary_functions()) + """isnan isinf isfinite isposinf isneginf signbit logical_not
bitwise_not positive round logit nan_to_num clamp clip clamp_min clamp_max masked_fill lerp addcmul addcdiv""".split()

# The binary op table (rust/ember-core/src/elementwise_table.rs) lists its own; comparisons, logical and
# bitwise ops and the div aliases aren't table rows.
_BINARY = list(_native._binary_functions()) + """div divide eq ne not_equal lt less le less_equal gt greater ge
greater_equal logical_and logical_or logical_xor bitwise_and bitwise_or bitwise_xor bitwise_left_shift
bitwise_right_shift float_power""".split()

_INPLACE = """relu_ sigmoid_ tanh_ exp_ neg_ abs_ clamp_ clip_""".split()


def _forward(name):
    # out= of the functions PyTorch gives none: checked, then the result copied into it
    globals()[name] = _out_forms.forwarder(name, "copy")
    __all__.append(name)


for _n in _UNARY + _BINARY + _INPLACE:
    _forward(_n)


def pow(input, exponent, *, out=None):
    """``input ** exponent``; ``input`` may be a Python number (``ember.pow(2, x)``)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        # Two Python numbers would otherwise fall through to Python's own pow: unbounded for big ints.
        raise TypeError(f"pow() received an invalid combination of arguments - got ({type(input).__name__}, "
                        f"{type(exponent).__name__}), but expected one of: (Tensor input, Tensor exponent), "
                        "(Number self, Tensor exponent), (Tensor input, Number exponent)")
    r = input.pow(exponent) if isinstance(input, Tensor) else exponent.__rpow__(input)
    if r is NotImplemented:
        raise TypeError(f"pow(): unsupported operand types {type(input).__name__} and {type(exponent).__name__}")
    if out is not None:
        out.copy_(r)
        return out
    return r


def where(condition, input=None, other=None):
    """``where(cond, x, y)``: x where cond else y (either may be a Python number)."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    return _native.where(condition, input, other)


def gelu(input, approximate="none"):
    return input.gelu(approximate=approximate)


def rsub(input, other, alpha=1):
    """``other - alpha * input``."""
    return (input * alpha).__rsub__(other) if alpha != 1 else input.__rsub__(other)


__all__ += ["pow", "where", "gelu", "rsub"]

"""Call forms PyTorch accepts that ember spelled differently: ``Tensor.pow(exponent=)``,
``remainder(number, tensor)`` (PyTorch's Scalar-first overload), ``Tensor.split(split_size=)``,
``Tensor.new_zeros(size=)`` (and ``new_ones``/``new_empty``) and ``randperm``'s error for n < 0.
(The native methods take their keyword names — ``x.sum(axis=)``, ``x.reshape(shape=)``,
``x.permute(dims=)`` … — in the binding itself, so these hot methods, and the native forwarders
``ember.sum``/``ember.mean``/``ember.reshape`` that call them, pay no Python wrapper.)"""
from . import _ops_elementwise, _creation, _views
from ._native import Tensor

__all__ = ["remainder", "randperm"]


_native_pow = Tensor.pow


def _pow(self, exponent):
    return _native_pow(self, exponent)


_pow.__name__ = _pow.__qualname__ = "pow"
_pow.__doc__ = _native_pow.__doc__
Tensor.pow = _pow

_remainder = _ops_elementwise.remainder


def remainder(input, other, *, out=None):
    """Python's ``%`` elementwise (the result takes the divisor's sign); ``input`` may be a number."""
    if not isinstance(input, Tensor) and isinstance(other, Tensor):
        if not isinstance(input, (int, float, bool)):
            raise TypeError(f"remainder(): argument 'input' (position 1) must be Tensor or Number, not "
                            f"{type(input).__name__}")
        r = other.__rmod__(input)
        return r if out is None else out.copy_(r)
    return _remainder(input, other, out=out)


def _split(self, split_size, dim=0):
    return _views.split(self, split_size, dim)


_split.__name__ = _split.__qualname__ = "split"
_split.__doc__ = _views.split.__doc__
Tensor.split = _split


def _new_with_size(name):
    make = getattr(_creation, name)

    def new(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False, **kw):
        if "size" in kw:
            if size:
                raise TypeError(f"new_{name}() got multiple values for argument 'size'")
            size = kw.pop("size")
            size = (size,) if isinstance(size, int) else tuple(size)
        if kw:
            raise TypeError(f"new_{name}() got an unexpected keyword argument '{next(iter(kw))}'")
        return make(*size, dtype=self.dtype if dtype is None else dtype,
                    device=self.device if device is None else device, requires_grad=requires_grad)

    new.__name__ = new.__qualname__ = "new_" + name
    new.__doc__ = f"``ember.{name}(size)`` with this tensor's dtype and device unless given."
    setattr(Tensor, new.__name__, new)


for _n in ("zeros", "ones", "empty"):
    _new_with_size(_n)

_randperm = _creation.randperm


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory=False,
             requires_grad=False):
    """A random permutation of 0 … n−1."""
    if isinstance(n, int) and n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    return _randperm(n, generator=generator, dtype=dtype, layout=layout, device=device, pin_memory=pin_memory,
                     requires_grad=requires_grad)

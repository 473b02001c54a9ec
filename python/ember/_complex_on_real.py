"""The complex-number functions as PyTorch runs them on real tensors (ember has no complex
dtype yet; issue #14): ``real``, ``conj``, ``conj_physical``, ``resolve_conj``, ``resolve_neg``
return their input (no conjugate or negative bit can be set on a real tensor), ``angle`` is 0
or π, ``isreal`` is all True, and ``adjoint``/``Tensor.H``/``Tensor.mH`` are transposes.
"""
import math

from . import _native, _dtypes
from ._native import Tensor
from .autograd.function import Function

__all__ = ["real", "conj", "conj_physical", "conj_physical_", "resolve_conj", "resolve_neg", "angle", "isreal",
           "adjoint"]


def _check(x, fn):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


def _both(fn):
    setattr(Tensor, fn.__name__, fn)
    return fn


def real(input):
    """The real part: for a real tensor, the tensor itself."""
    _check(input, "real")
    return input


def _set_real(self, value):
    self.copy_(value)


# ``Tensor.real`` is an attribute in PyTorch (assigning to it writes the real part).
Tensor.real = property(real, _set_real, doc="The real part: for a real tensor, the tensor itself.")


@_both
def conj(input):
    """The conjugate view: for a real tensor, the tensor itself."""
    _check(input, "conj")
    return input


@_both
def resolve_conj(input):
    """Materialises a conjugate bit: a real tensor never has one, so it is returned as is."""
    _check(input, "resolve_conj")
    return input


@_both
def resolve_neg(input):
    """Materialises a negative bit: a real tensor never has one, so it is returned as is."""
    _check(input, "resolve_neg")
    return input


def conj_physical(input, *, out=None):
    """The conjugate, computed: for a real tensor, the tensor itself (or a copy into ``out``)."""
    _check(input, "conj_physical")
    return input if out is None else out.copy_(input)


def conj_physical_(input):
    _check(input, "conj_physical_")
    return input


Tensor.conj_physical = lambda self: conj_physical(self)
Tensor.conj_physical_ = conj_physical_


class Angle(Function):
    """0 where x ≥ 0, π where x < 0, NaN where x is NaN; the derivative is 0 (it is piecewise constant)."""

    @staticmethod
    def forward(ctx, x):
        return ((x < 0).to(x.dtype) * math.pi).masked_fill(x != x, math.nan)

    @staticmethod
    def backward(ctx, g):
        return g * 0


def angle(input, *, out=None):
    """The argument of each element: 0 for non-negative reals, π for negative ones (integer and
    bool inputs give the default float dtype)."""
    _check(input, "angle")
    x = input if input.dtype.is_floating_point else input.to(_native.get_default_dtype())
    r = Angle.apply(x)
    return r if out is None else out.copy_(r)


Tensor.angle = lambda self: angle(self)


def isreal(input):
    """True where the imaginary part is 0: everywhere, for a real tensor."""
    _check(input, "isreal")
    return _native._full(list(input.shape), True, _dtypes.bool)


Tensor.isreal = lambda self: isreal(self)


def adjoint(input):
    """The conjugate transpose of the last two dims: for a real tensor, ``transpose(-2, -1)`` (a view)."""
    _check(input, "adjoint")
    if input.ndim == 1:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return input.transpose(-2, -1) if input.ndim >= 2 else input.view(())


Tensor.adjoint = lambda self: adjoint(self)


def _H(self):
    if self.ndim not in (0, 2):
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor."
                           + (" For batches of matrices, consider using tensor.mH" if self.ndim > 2 else ""))
    return self.t()


def _mH(self):
    if self.ndim < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor.")
    return self.transpose(-2, -1)


Tensor.H = property(_H, doc="The conjugate transpose of a matrix: for a real one, ``t()``.")
Tensor.mH = property(_mH, doc="The conjugate transpose of the last two dims: for a real tensor, ``mT``.")

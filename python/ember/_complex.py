"""PyTorch's complex-number functions, for complex tensors (complex64/complex128, kernels in
``rust/ember/src/ops/complex.rs``) and for real ones, where they reduce to identities:
``real`` of a real tensor is itself, ``angle`` is 0 or π, ``isreal`` is all True.

``conj()`` is lazy, as in PyTorch: a view of the same memory with the conjugate bit set
(``is_conj()``), materialized by ``resolve_conj()`` or by any op that reads it (see
``rust/ember/src/conj.rs``). ``.real``/``.imag`` and ``view_as_real``/``view_as_complex`` are
views sharing storage, except ``.imag`` of a conjugate view, which is materialized (ember has
no negative bit) and refuses writes.
"""
import math

from . import _native, _dtypes
from ._native import Tensor
from .autograd.function import Function

__all__ = ["real", "imag", "conj", "conj_physical", "conj_physical_", "resolve_conj", "resolve_neg", "is_conj", "angle",
           "isreal", "adjoint", "view_as_real", "view_as_complex", "view_as_real_copy", "view_as_complex_copy",
           "complex", "polar"]


def _check(x, fn):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


def _both(fn):
    setattr(Tensor, fn.__name__, fn)
    return fn


def real(input):
    """The real part as a view (a real tensor is its own real part)."""
    _check(input, "real")
    return _native._real(input) if input.dtype.is_complex else input


def imag(input):
    """The imaginary part as a view; real tensors have none (RuntimeError, as in PyTorch)."""
    _check(input, "imag")
    return _native._imag(input)


def _set_real(self, value):
    real(self).copy_(value)


def _set_imag(self, value):
    if self.is_conj():  # its memory holds −imag: write the negated parts there
        imag(self.conj()).copy_(-value)
        return
    imag(self).copy_(value)


# ``Tensor.real``/``imag`` are attributes in PyTorch (assigning to one writes that part).
Tensor.real = property(real, _set_real, doc="The real part (a view); a real tensor is its own.")
Tensor.imag = property(imag, _set_imag, doc="The imaginary part (a view) of a complex tensor.")


def view_as_real(input):
    """A complex tensor's (re, im) pairs as a real view with a trailing dim of size 2."""
    _check(input, "view_as_real")
    return _native._view_as_real(input)


def view_as_complex(input):
    """A float32/float64 tensor whose last dim (size 2, stride 1) holds (re, im), viewed as complex."""
    _check(input, "view_as_complex")
    return _native._view_as_complex(input)


def view_as_real_copy(input, *, out=None):
    r = view_as_real(input.resolve_conj()).clone()
    return r if out is None else out.copy_(r)


def view_as_complex_copy(input, *, out=None):
    r = view_as_complex(input).clone()
    return r if out is None else out.copy_(r)


Tensor.view_as_real = lambda self: view_as_real(self)
Tensor.view_as_complex = lambda self: view_as_complex(self)


def complex(real, imag, *, out=None):
    """``real + i·imag`` from two float32/float64 tensors of one dtype (broadcast)."""
    _check(real, "complex")
    _check(imag, "complex")
    r = _native._complex(real, imag)
    return r if out is None else out.copy_(r)


def polar(abs, angle, *, out=None):
    """``abs · (cos(angle) + i·sin(angle))`` from two float32/float64 tensors of one dtype."""
    _check(abs, "polar")
    _check(angle, "polar")
    r = _native._polar(abs, angle)
    return r if out is None else out.copy_(r)


@_both
def conj(input):
    """The conjugate as a lazy view: same memory, the conjugate bit flipped (``is_conj()``);
    a real tensor is its own conjugate and is returned as is."""
    _check(input, "conj")
    return _native._conj(input)


@_both
def resolve_conj(input):
    """The tensor itself without a conjugate bit, else its values in new memory (no alias)."""
    _check(input, "resolve_conj")
    return _native._resolve_conj(input)


@_both
def is_conj(input):
    """Whether ``input`` is a lazy conjugate view (its memory holds the conjugates)."""
    _check(input, "is_conj")
    return _native._is_conj(input)


@_both
def resolve_neg(input):
    """Materialises a negative bit: a real tensor never has one, so it is returned as is."""
    _check(input, "resolve_neg")
    return input


def conj_physical(input, *, out=None):
    """The conjugate, computed: for a real tensor, the tensor itself (or a copy into ``out``)."""
    _check(input, "conj_physical")
    r = _native._conj_physical(input) if input.dtype.is_complex else input
    return r if out is None else out.copy_(r)


def conj_physical_(input):
    _check(input, "conj_physical_")
    if input.dtype.is_complex:
        if input.is_conj():  # its imaginary parts are not a view: write the values whole
            input.copy_(_native._conj_physical(input))
        else:
            imag(input).neg_()
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
    if input.dtype.is_complex:
        r = _native._angle(input)
        return r if out is None else out.copy_(r)
    x = input if input.dtype.is_floating_point else input.to(_native.get_default_dtype())
    r = Angle.apply(x)
    return r if out is None else out.copy_(r)


Tensor.angle = lambda self: angle(self)


def isreal(input):
    """True where the imaginary part is 0: everywhere, for a real tensor."""
    _check(input, "isreal")
    if input.dtype.is_complex:
        return imag(input) == 0
    return _native._full(list(input.shape), True, _dtypes.bool)


Tensor.isreal = lambda self: isreal(self)


def adjoint(input):
    """The conjugate transpose of the last two dims: for a real tensor, ``transpose(-2, -1)`` (a view)."""
    _check(input, "adjoint")
    if input.ndim == 1:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return conj(input.transpose(-2, -1) if input.ndim >= 2 else input.view(()))


Tensor.adjoint = lambda self: adjoint(self)


def _H(self):
    if self.ndim not in (0, 2):
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor."
                           + (" For batches of matrices, consider using tensor.mH" if self.ndim > 2 else ""))
    return conj(self.t())


def _mH(self):
    if self.ndim < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor.")
    return conj(self.transpose(-2, -1))


Tensor.H = property(_H, doc="The conjugate transpose of a matrix: for a real one, ``t()`` (a view).")
Tensor.mH = property(_mH, doc="The conjugate transpose of the last two dims: for a real tensor, ``mT`` (a view).")

"""`Array`: the array object of ember.array_api, an `ember.Tensor` subclass whose operators follow
the standard.

`ember.Tensor`'s operators follow PyTorch: a 0-d tensor operand promotes like a Python scalar,
float `//` and `%` keep PyTorch's special cases, slices need positive steps, and a boolean mask
must match the indexed dims. The standard differs in each, so the namespace hands out Arrays
whose dunders call the namespace's own functions; every other method is ember.Tensor's, and a
plain ember.Tensor is untouched (its operators are native and never look at this class).

An Array *is* its tensor: the namespace gives the result tensor object itself the Array class
when nothing else holds it (an ordinary `__class__` assignment, which CPython allows because an
Array adds no slots), and otherwise an alias view. No data is copied and autograd history is kept.
"""
import builtins
import math
import sys
import types

import ember
from ember import Tensor

from . import _elementwise, _indexing, _linalg_core

_view_as = Tensor.view_as
_getrefcount = sys.getrefcount
_SCALARS = (builtins.bool, builtins.int, builtins.float, builtins.complex)


class _ElementCount(int):
    """`x.size` of an Array: the element count, as the standard's attribute, that can still be
    called like ember.Tensor's method (`x.size()` is the shape, `x.size(d)` one dim), so ember
    code handed an Array keeps working."""

    def __call__(self, dim=None):
        return Tensor.size(self._of, dim)


class Array(Tensor):
    """An array of the array API standard: an ember.Tensor (same memory, same autograd history)
    whose operators, indexing and Python conversions follow the standard instead of PyTorch."""
    __slots__ = ()
    __hash__ = Tensor.__hash__  # defining __eq__ would otherwise drop it

    def __array_namespace__(self, /, *, api_version=None):
        from . import _check_api_version
        return _check_api_version(api_version)

    @property
    def size(self):
        n = _ElementCount(self.numel())
        n._of = self
        return n

    @property
    def T(self):
        if self.ndim != 2:
            raise ValueError(f"x.T needs a 2-d array, got {self.ndim} dims; use permute_dims "
                             "to reverse the axes of other arrays")
        return _adopt(Tensor.T.__get__(self), _FRESH)

    @property
    def mT(self):
        if self.ndim < 2:
            raise ValueError(f"x.mT needs at least 2 dims, got {self.ndim}")
        return _adopt(Tensor.mT.__get__(self), _FRESH)

    def to_device(self, device, /, *, stream=None):
        if stream is not None:
            raise ValueError("to_device(): ember has no streams; pass stream=None")
        if ember.device(device) == self.device:
            return self
        return _adopt(self.to(device), _FRESH)

    def __dlpack_device__(self):
        # only host memory is exported (`__dlpack__` raises for a wgpu array); say so here too
        # rather than name a device whose data the capsule could not carry
        if self.device.type != "cpu":
            raise BufferError(f"an array on {self.device} cannot be exchanged over DLPack "
                              "(ember exports host memory only); use x.to_device('cpu') first")
        return Tensor.__dlpack_device__(self)

    def __getitem__(self, key):
        return _adopt(_indexing.getitem(self, key), _FRESH)

    def __setitem__(self, key, value):
        _indexing.setitem(self, key, value)

    # the standard's conversions of a one-element array to a Python scalar
    def __bool__(self):
        return builtins.bool(_one(self, "bool").item())

    def __complex__(self):
        return builtins.complex(_one(self, "complex").item())

    def __float__(self):
        _one(self, "float")
        if self.dtype in (ember.complex64, ember.complex128):
            raise TypeError("float() of a complex array is not allowed; take real(x) or abs(x) first")
        return builtins.float(self.item())

    def __int__(self):
        _one(self, "int")
        if self.dtype in (ember.complex64, ember.complex128):
            raise TypeError("int() of a complex array is not allowed; take real(x) or abs(x) first")
        v = self.item()
        if isinstance(v, builtins.float):
            if math.isnan(v):
                raise ValueError("int() of NaN")
            if math.isinf(v):
                raise OverflowError("int() of an infinity")
        return builtins.int(v)

    def __index__(self):
        if self.dtype not in _elementwise._INTEGRAL:
            raise TypeError(f"only integer arrays can be used as an index, not {self.dtype}")
        return builtins.int(_one(self, "index").item())


def _one(x, what):
    if x.numel() != 1:
        raise TypeError(f"only a one-element array converts to a Python {what}, "
                        f"not one of shape {tuple(x.shape)}")
    return x


def _adopt(t, fresh):
    """`t` as an Array. `fresh` is the reference count a tensor that nobody else holds has at
    this point; such a tensor becomes the Array itself, any other (a tensor the caller passed
    in and got back, say) is aliased by a view so the caller's object keeps its class."""
    if _getrefcount(t) > fresh:
        t = _view_as(t, t)
    t.__class__ = Array
    return t


def _wrap(r):
    """A namespace function's result with every plain tensor in it made an Array."""
    if type(r) is Tensor:
        return _adopt(r, _FRESH_WRAPPED)
    if isinstance(r, tuple):
        items = [_adopt(e, _FRESH_ITEM) if type(e) is Tensor else _wrap(e) for e in r]
        return type(r)(*items) if hasattr(r, "_fields") else type(r)(items)
    if isinstance(r, list):
        return [_adopt(e, _FRESH_ITEM) if type(e) is Tensor else _wrap(e) for e in r]
    return r


def _plain(a):
    """An Array argument as a plain tensor (an alias view: same memory, same history), so the
    namespace's implementations and ember's own functions see PyTorch-semantics operators."""
    if type(a) is Array:
        return _view_as(a, a)
    if (type(a) is list or type(a) is tuple) and builtins.any(type(e) is Array for e in a):
        return type(a)(_plain(e) for e in a)  # concat, stack, ... take sequences of arrays
    return a


def exported(f):
    """`f` (a namespace implementation over plain tensors) taking Arrays and returning Arrays."""
    def g(*args, **kwargs):
        if kwargs:
            kwargs = {k: _plain(v) for k, v in kwargs.items()}
        plain = [_plain(a) for a in args]
        r = f(*plain, **kwargs)
        if type(r) is Tensor:
            for p, a in zip(plain, args):
                if r is p and p is not a:
                    return a  # f returned its argument (asarray(x), astype(x, copy=False), ...)
        return _wrap(r)
    g.__name__, g.__qualname__, g.__doc__, g.__module__ = f.__name__, f.__qualname__, f.__doc__, "ember.array_api"
    g.__wrapped__ = f
    return g


def export(module, names):
    """{name: exported(function)} for the functions among `names` in `module`."""
    return {n: exported(getattr(module, n)) for n in names
            if isinstance(getattr(module, n), types.FunctionType)}


# ---- operators -------------------------------------------------------------------------------

def _operand(other):
    return isinstance(other, (Tensor,) + _SCALARS)


def _binary(impl, reflected=False):
    if reflected:
        def f(self, other):
            if not _operand(other):
                return NotImplemented
            return _adopt(impl(other, self), _FRESH)
    else:
        def f(self, other):
            if not _operand(other):
                return NotImplemented
            return _adopt(impl(self, other), _FRESH)
    return f


def _inplace(impl, symbol):
    def f(self, other):
        if not _operand(other):
            return NotImplemented
        r = impl(self, other)
        # the standard: an in-place operator never changes x's dtype or shape
        if r.dtype != self.dtype:
            raise TypeError(f"x {symbol}= y would change x's dtype from {self.dtype} to {r.dtype}")
        if tuple(r.shape) != tuple(self.shape):
            raise ValueError(f"x {symbol}= y would change x's shape from {tuple(self.shape)} to {tuple(r.shape)}")
        Tensor.copy_(self, r)
        return self
    return f


def _unary(impl):
    def f(self):
        return _adopt(impl(self), _FRESH)
    return f


_BINARY = {"add": ("add", "+"), "sub": ("subtract", "-"), "mul": ("multiply", "*"),
           "truediv": ("divide", "/"), "floordiv": ("floor_divide", "//"), "mod": ("remainder", "%"),
           "pow": ("pow", "**"), "and": ("bitwise_and", "&"), "or": ("bitwise_or", "|"),
           "xor": ("bitwise_xor", "^"), "lshift": ("bitwise_left_shift", "<<"),
           "rshift": ("bitwise_right_shift", ">>")}
for _name, (_fn, _symbol) in _BINARY.items():
    _impl = getattr(_elementwise, _fn)
    setattr(Array, f"__{_name}__", _binary(_impl))
    setattr(Array, f"__r{_name}__", _binary(_impl, reflected=True))
    setattr(Array, f"__i{_name}__", _inplace(_impl, _symbol))
Array.__matmul__ = _binary(_linalg_core.matmul)
Array.__rmatmul__ = _binary(_linalg_core.matmul, reflected=True)
Array.__imatmul__ = _inplace(_linalg_core.matmul, "@")
for _name, _fn in {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
                   "eq": "equal", "ne": "not_equal"}.items():
    setattr(Array, f"__{_name}__", _binary(getattr(_elementwise, _fn)))
for _name, _fn in {"neg": "negative", "pos": "positive", "abs": "abs", "invert": "bitwise_invert"}.items():
    setattr(Array, f"__{_name}__", _unary(getattr(_elementwise, _fn)))
del _name, _fn, _symbol, _impl


# ---- the reference counts of a result nobody else holds, measured once on this interpreter ----

def _count(t, fresh):
    return _getrefcount(t)


def _measure():
    """Runs the paths above on new tensors, with _adopt reporting the count instead."""
    global _adopt
    adopt, _adopt = _adopt, _count
    try:
        direct = (lambda: _count(Tensor.__new__(Tensor, _probe), None))()
        wrapped = exported(lambda: Tensor.__new__(Tensor, _probe))()
        item = exported(lambda: (Tensor.__new__(Tensor, _probe),))()[0]
    finally:
        _adopt = adopt
    return direct, wrapped, item


_probe = ember.zeros(0)
_FRESH = _FRESH_WRAPPED = _FRESH_ITEM = None
# _adopt(op(...), _FRESH) in a method: the temporary result plus _adopt's own references
_FRESH, _FRESH_WRAPPED, _FRESH_ITEM = _measure()
del _probe

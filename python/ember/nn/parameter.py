"""``nn.Parameter``: a Tensor subclass that a Module registers as a learnable weight.

``Parameter(data)`` shares ``data``'s storage (the native ``Tensor.__new__(cls, t)`` returns a
detached view of ``t``), so initialising in place through either name changes both.
"""
from .._native import Tensor


class Parameter(Tensor):
    """A Tensor that ``Module.__setattr__`` registers as a parameter (requires grad by default)."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .. import _native
            data = _native._empty([0], _native.get_default_dtype())
        p = Tensor.__new__(cls, data)
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        r = type(self)(self.detach().clone(), self.requires_grad)
        memo[id(self)] = r
        return r

    def __reduce_ex__(self, proto):
        return (Parameter, (self.detach().clone(), self.requires_grad))


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute."""

    def __new__(cls, data=None, *, persistent=True):
        from .. import _native
        if data is None:
            data = _native._empty([0], _native.get_default_dtype())
        t = Tensor.__new__(cls, data)
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent=True):
        pass


def is_lazy(param):
    return False

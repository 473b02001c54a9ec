"""Smaller pieces of ``torch.autograd``: ``Variable`` (deprecated, a Tensor), ``is_tensor_like``,
and the multithreading / view-replay / grad-layout switches. ember's backward runs on the calling
thread and replays no views, so the switches record the caller's choice only."""
import contextlib

from .._native import Tensor
from .graph import SavedTensor  # noqa: F401  (the objects grad_fn._saved_* hold)

__all__ = ["SavedTensor", "Variable", "variable", "is_tensor_like", "set_multithreading_enabled", "is_multithreading_enabled",
           "is_view_replay_enabled", "enforce_grad_layout_policy"]


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """Deprecated in PyTorch: ``Variable(t, requires_grad=...)`` is the tensor ``t`` itself (with
    ``requires_grad`` set), and every tensor is an instance of Variable."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if data is None:
            from .. import _native
            data = _native._empty([0], _native.get_default_dtype())
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if requires_grad:
            data.requires_grad_(True)
        return data


def variable(*args, **kwargs):
    raise RuntimeError("torch.autograd.variable(...) is deprecated, use torch.tensor(...) instead")


def is_tensor_like(inp):
    """True for tensors (and subclasses) and for objects whose type defines ``__torch_function__``."""
    return isinstance(inp, Tensor) or hasattr(type(inp), "__torch_function__")


_state = {"multithreading": True, "grad_layout": True}


class set_multithreading_enabled:
    """Context manager (or plain call) recording whether backward may use worker threads."""

    def __init__(self, mode):
        self.prev = _state["multithreading"]
        _state["multithreading"] = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state["multithreading"] = self.prev

    def clone(self):
        return set_multithreading_enabled(_state["multithreading"])


def is_multithreading_enabled():
    return _state["multithreading"]


def is_view_replay_enabled():
    """False: ember's autograd records views as views, never by replaying them."""
    return False


@contextlib.contextmanager
def enforce_grad_layout_policy(enable=True):
    """Within the block, accumulated ``.grad`` tensors follow their parameter's layout (ember's
    always do: a gradient is made contiguous in its parameter's shape)."""
    prev = _state["grad_layout"]
    _state["grad_layout"] = bool(enable)
    try:
        yield
    finally:
        _state["grad_layout"] = prev

"""Op interception used by ``trace()`` and ``detect_nonfinite()``.

While at least one observer is active, the public ops (Tensor methods, operators and
``ember.*`` functions) are replaced by thin wrappers that call the observers around the real
op; when the last observer leaves, the originals are put back. With no observer active nothing
is wrapped, so ordinary code pays nothing.
"""
import functools
import threading

from .. import _native
from .._native import Tensor

# Operators worth observing (other dunders are plumbing).
_DUNDERS = {
    "__add__", "__radd__", "__iadd__", "__sub__", "__rsub__", "__isub__", "__mul__", "__rmul__", "__imul__",
    "__truediv__", "__rtruediv__", "__itruediv__", "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__",
    "__pow__", "__rpow__", "__ipow__", "__matmul__", "__rmatmul__", "__neg__", "__abs__", "__getitem__",
    "__setitem__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__and__", "__or__", "__xor__",
    "__invert__",
}
# Methods that only read metadata or convert, never compute: not traced.
_SKIP = {
    "size", "stride", "dim", "ndimension", "numel", "nelement", "element_size", "storage_offset", "is_contiguous",
    "data_ptr", "untyped_storage", "is_floating_point", "is_signed", "item", "tolist", "numpy", "register_hook",
    "backward", "retain_grad", "requires_grad_", "get_device", "dim_order", "type", "cpu", "cuda", "share_memory_",
    "is_shared", "detach", "detach_", "_register_hook",
}

# Native functions that are plumbing (modes, settings, introspection), never traced.
_NATIVE_SKIP_PREFIXES = ("_set", "is_", "get_", "_last", "_get", "_is", "manual_seed", "initial_seed", "set_")
_NATIVE_SKIP = {"_record_function", "result_type", "promote_types", "can_cast", "_allocated_bytes", "_peak_bytes",
                "_reset_peak_bytes"}

_lock = threading.RLock()
_observers = []
_saved = {}
_state = threading.local()


def _targets():
    import ember

    for name in dir(Tensor):
        if name in _SKIP or (name.startswith("_") and name not in _DUNDERS):
            continue
        attr = Tensor.__dict__.get(name)
        if attr is None or isinstance(attr, property) or not callable(getattr(Tensor, name, None)):
            continue
        if type(attr).__name__ == "getset_descriptor":
            continue
        yield Tensor, name, attr, f"Tensor.{name}"
    for name in getattr(ember, "__all__", []):
        fn = getattr(ember, name, None)
        if callable(fn) and not isinstance(fn, type) and name not in _SKIP and not name.startswith("_"):
            yield ember, name, fn, f"ember.{name}"
    # Native entry points that Python layers (nn.functional, optim) call directly.
    for name in dir(_native):
        fn = getattr(_native, name)
        if (callable(fn) and not isinstance(fn, type) and name not in _SKIP
                and not name.startswith(_NATIVE_SKIP_PREFIXES) and name not in _NATIVE_SKIP):
            yield _native, name, fn, f"_native.{name}"


def _wrap(fn, label):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if getattr(_state, "depth", 0) or not _observers:
            return fn(*args, **kwargs)
        _state.depth = 1
        try:
            calls = [obs.before(label, args, kwargs) for obs in list(_observers)]
            _native._last_kernel()  # clear stale notes
            _native._last_dispatch()
            out = fn(*args, **kwargs)
            kernel = _native._last_kernel()
            _state.dispatch = _native._last_dispatch()
            for obs, token in zip(list(_observers), calls):
                obs.after(token, label, args, kwargs, out, kernel)
            return out
        finally:
            _state.depth = 0

    wrapper.__ember_wrapped__ = fn
    return wrapper


def add(observer):
    with _lock:
        if not _observers:
            for owner, name, attr, label in list(_targets()):
                fn = getattr(owner, name)
                if getattr(fn, "__ember_wrapped__", None) is not None:
                    continue
                _saved[(owner, name)] = attr
                setattr(owner, name, _wrap(fn, label))
        _observers.append(observer)


def remove(observer):
    with _lock:
        if observer in _observers:
            _observers.remove(observer)
        if not _observers:
            for (owner, name), attr in _saved.items():
                setattr(owner, name, attr)
            _saved.clear()


def last_dispatch():
    """(op, kernel family) that the op being observed dispatched to, or None (views and other
    ops that pick no kernel)."""
    return getattr(_state, "dispatch", None)


def caller_location():
    """``file:line`` of the first stack frame outside the ember package."""
    import os
    import sys

    pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    f = sys._getframe(1)
    while f is not None:
        if not os.path.abspath(f.f_code.co_filename).startswith(pkg):
            return f"{f.f_code.co_filename}:{f.f_lineno}"
        f = f.f_back
    return "<unknown>"

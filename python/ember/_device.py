"""The default device (``set_default_device``, ``with ember.device("meta"):``) and the device
handling of factories: meta tensors are made shape-only, without touching any data."""
from . import _native

__all__ = ["set_default_device", "get_default_device"]

_CPU = _native.device("cpu")
NO_DATA = ("Cannot copy out of meta tensor; no data! A meta tensor has only shape, dtype and strides; create it on a "
           "real device (or use .to_empty(device=\"cpu\") on a module) to get values.")
_default = [None]  # set_default_device's choice (None: cpu)
_stack = []  # devices entered with `with ember.device(...)`


def _as_device(d):
    return d if isinstance(d, _native.device) else _native.device(d)


def get_default_device():
    """The device factories use when given no ``device=``: the innermost ``with device(...)``,
    else what ``set_default_device`` chose, else cpu."""
    if _stack:
        return _stack[-1]
    return _default[0] or _CPU


def set_default_device(device):
    """Makes ``device`` (or cpu, for None) the default of factory functions and nn layers."""
    _default[0] = None if device is None else _as_device(device)


class NoCudaError(AssertionError, RuntimeError):
    """PyTorch raises AssertionError here; it is a RuntimeError too, for code catching that."""


def resolve(device):
    """``device=`` as given (None → the default), checked: only cpu and meta have kernels."""
    d = get_default_device() if device is None else _as_device(device)
    if d.type == "cuda":
        raise NoCudaError("Torch not compiled with CUDA enabled. ember has no CUDA backend; use device='cpu', 'wgpu' (the GPU) or 'meta'.")
    if d.type not in ("cpu", "meta", "wgpu"):
        raise RuntimeError(f"ember has no kernels for device '{d}' in this build yet; use device='cpu', 'wgpu' or 'meta'.")
    return d


def is_host(device):
    return resolve(device).type == "cpu"


def empty(shape, dtype, device=None):
    """An uninitialised tensor; on meta only its geometry (nothing allocated)."""
    d = resolve(device)
    dtype = dtype or _native.get_default_dtype()
    if d.type == "cpu":
        return _native._empty(list(shape), dtype)
    return _native._empty_on(list(shape), dtype, d)


def zeros(shape, dtype, device=None):
    if is_host(device):
        return _native._zeros(list(shape), dtype or _native.get_default_dtype())
    return full(shape, 0, dtype, device)


def full(shape, value, dtype, device=None):
    d = resolve(device)
    if d.type == "cpu":
        return _native._full(list(shape), value, dtype or _native.get_default_dtype())
    t = empty(shape, dtype, d)
    return t.fill_(value) if d.type == "wgpu" else t  # meta: geometry only


def _enter(self):
    _stack.append(self)
    return self


def _exit(self, *exc):
    _stack.pop()
    return False


# `with ember.device("meta"):` makes factories and layers inside default to that device.
_native.device.__enter__ = _enter
_native.device.__exit__ = _exit

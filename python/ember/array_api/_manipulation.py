"""Manipulation functions of the array API standard (views where ember can make them)."""
import builtins

import ember

from . import _dtypes


def _axis(axis, ndim, name, extra=0):
    """A normalised axis; out of range raises IndexError, as ember's own dims do."""
    n = ndim + extra
    if not isinstance(axis, builtins.int) or isinstance(axis, builtins.bool):
        raise TypeError(f"{name}(): axis must be an int, got {type(axis).__name__}")
    if not -n <= axis < builtins.max(n, 1):
        raise IndexError(f"{name}(): axis {axis} is out of range for {n} dims")
    return axis % builtins.max(n, 1)


def _axes(axis, ndim, name):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, builtins.int) else tuple(axis)
    out = tuple(_axis(a, ndim, name) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}(): repeated axis in {axis}")
    return out


def broadcast_arrays(*arrays):
    return tuple(ember.broadcast_tensors(*arrays))  # a tuple since revision 2025.12 (a list before)


def broadcast_to(x, /, shape):
    return ember.broadcast_to(x, tuple(shape))


def _common(arrays, name):
    arrays = list(arrays)
    if not arrays:
        raise ValueError(f"{name}() needs at least one array")
    dtype = _dtypes.result_type(*arrays)
    return [a if a.dtype == dtype else a.to(dtype) for a in arrays]


def concat(arrays, /, *, axis=0):
    arrays = _common(arrays, "concat")
    if axis is None:
        return ember.cat([a.reshape(-1) for a in arrays])
    return ember.cat(arrays, dim=axis)


def expand_dims(x, /, axis):
    if isinstance(axis, builtins.int):
        return ember.unsqueeze(x, _axis(axis, x.ndim, "expand_dims", extra=1))
    # a tuple (revision 2025.12): positions in the result, of x.ndim + len(axis) dims
    axes = tuple(axis)
    n = x.ndim + len(axes)
    out = sorted(_axis(a, n - 1, "expand_dims", extra=1) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError(f"expand_dims(): axis {axis} repeats a position")
    for a in out:
        x = ember.unsqueeze(x, a)
    return x


def flip(x, /, *, axis=None):
    return ember.flip(x, _axes(axis, x.ndim, "flip"))


def moveaxis(x, source, destination, /):
    return ember.movedim(x, source, destination)


def permute_dims(x, /, axes):
    return ember.permute(x, tuple(axes))


def repeat(x, repeats, /, *, axis=None):
    if axis is None:
        x, axis = x.reshape(-1), 0
    if isinstance(repeats, ember.Tensor) and repeats.numel() == 1:
        repeats = repeats.reshape(()).item()  # a one-element array broadcasts along the axis
    return ember.repeat_interleave(x, repeats, dim=axis)


def reshape(x, /, shape, *, copy=None):
    shape = tuple(shape)
    if copy:
        return x.reshape(shape).clone()
    if copy is False:
        try:
            return x.view(shape)
        except RuntimeError as e:
            raise ValueError(f"reshape(copy=False): no view of this array has shape {shape}") from e
    return x.reshape(shape)


def roll(x, /, shift, *, axis=None):
    if axis is None:
        return ember.roll(x.reshape(-1), shift).reshape(x.shape)
    return ember.roll(x, shift, axis)


def squeeze(x, /, axis):
    axes = _axes(axis, x.ndim, "squeeze")
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze(): axis {a} has size {x.shape[a]}, not 1")
    return ember.squeeze(x, axes) if axes else x


def stack(arrays, /, *, axis=0):
    return ember.stack(_common(arrays, "stack"), dim=axis)


def tile(x, repetitions, /):
    return ember.tile(x, tuple(repetitions))


def unstack(x, /, *, axis=0):
    return tuple(ember.unbind(x, _axis(axis, x.ndim, "unstack")))


__all__ = ["broadcast_arrays", "broadcast_to", "concat", "expand_dims", "flip", "moveaxis",
           "permute_dims", "repeat", "reshape", "roll", "squeeze", "stack", "tile", "unstack"]


def broadcast_shapes(*shapes):
    """The shape that broadcasting `shapes` together gives (added in revision 2025.12)."""
    try:
        return tuple(ember.broadcast_shapes(*shapes))
    except RuntimeError as e:  # ember raises PyTorch's RuntimeError; the standard asks ValueError
        raise ValueError(str(e)) from None


__all__ += ["broadcast_shapes"]

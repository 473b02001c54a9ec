"""Memory formats: ``contiguous_format`` (row-major, NCHW), ``channels_last`` (NHWC strides for a
4-D tensor) and ``channels_last_3d`` (NDHWC for 5-D), ``preserve_format``.

A channels-last tensor keeps its logical NCHW shape; only its strides change, so
``x.contiguous(memory_format=channels_last)`` is ``x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)``
(a copy into NHWC order viewed back as NCHW, differentiable like any permute).
"""
from ._native import Tensor

__all__ = ["memory_format", "contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
           "legacy_contiguous_format"]


class memory_format:
    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"ember.{self._name}"

    def __reduce__(self):
        return self._name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
legacy_contiguous_format = contiguous_format

# channels-last: the order in which dims are laid out, outermost first.
_ORDER = {channels_last: (4, (0, 2, 3, 1)), channels_last_3d: (5, (0, 2, 3, 4, 1))}


def _check_rank(t, fmt):
    rank, _ = _ORDER[fmt]
    if t.ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt._name} format")


def _strides_for(shape, order):
    strides, acc = [0] * len(shape), 1
    for d in reversed(order):
        strides[d] = acc
        acc *= shape[d]
    return strides


_native_contiguous = Tensor.contiguous
_native_is_contiguous = Tensor.is_contiguous


def is_contiguous(self, memory_format=contiguous_format):
    """True when the strides are those of ``memory_format`` (size-1 dims may have any stride)."""
    if memory_format is contiguous_format or memory_format is None:
        return _native_is_contiguous(self)
    if memory_format not in _ORDER:
        raise RuntimeError(f"is_contiguous: unsupported memory format {memory_format}")
    rank, order = _ORDER[memory_format]
    if self.ndim != rank:
        return False
    want = _strides_for(list(self.shape), order)
    return all(s == w or n == 1 for s, w, n in zip(self.stride(), want, self.shape))


def contiguous(self, memory_format=contiguous_format):
    """This tensor, or a copy, laid out in ``memory_format`` (the same object when it already is)."""
    if memory_format is contiguous_format or memory_format is None:
        return _native_contiguous(self)
    if memory_format is preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    if memory_format not in _ORDER:
        raise RuntimeError(f"contiguous: unsupported memory format {memory_format}")
    _check_rank(self, memory_format)
    if is_contiguous(self, memory_format):
        return self
    _, order = _ORDER[memory_format]
    inverse = [order.index(i) for i in range(len(order))]
    return _native_contiguous(self.permute(*order)).permute(*inverse)


Tensor.contiguous = contiguous
Tensor.is_contiguous = is_contiguous


def suggest_memory_format(t):
    """channels_last(_3d) when ``t`` is laid out that way (and not also row-major), else contiguous."""
    for fmt in (channels_last, channels_last_3d):
        if t.ndim == _ORDER[fmt][0] and is_contiguous(t, fmt) and not _native_is_contiguous(t):
            return fmt
    return contiguous_format

"""In-place geometry: ``Tensor.t_``, ``transpose_``, ``swapdims_``/``swapaxes_``, ``squeeze_``,
``unsqueeze_``, ``as_strided_``, ``resize_``, ``resize_as_``, ``set_``, and ``is_inference``.

Each is a thin call onto a native primitive that builds the tensor's new geometry (checked
against its storage) and puts it behind the same Python object, so ``x.t_() is x`` and every
reference to ``x`` sees the new shape, as in PyTorch:

- the view forms run the out-of-place view (``x.t()``), which records its backward
  (``TBackward0``, ``SqueezeBackward1``, ``AsStridedBackward0`` … — PyTorch names the in-place
  variants' nodes ``TBackward1`` etc.), and ``x`` takes that geometry and history;
- ``resize_`` keeps the storage when it is big enough; when it must grow, ember moves the tensor
  to a new storage holding a copy of the old bytes (PyTorch grows the storage object itself, so
  there other views of it follow; in ember they keep the old storage and stop aliasing);
- ``set_`` points the tensor at another tensor's storage and geometry, or at a storage with an
  explicit geometry, which must lie inside it (PyTorch would grow the storage instead).
"""
from . import _native
from ._native import Tensor, UntypedStorage

__all__ = ["is_inference", "as_strided_", "resize_as_"]

_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
               "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
               "uint8": "unsigned char", "bool": "bool", "uint16": "unsigned short", "uint32": "unsigned int",
               "uint64": "unsigned long"}


def t_(self):
    """In-place ``t()``: swaps dims 0 and 1 of a tensor with at most 2 dims."""
    if self.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
    return self._assume_view_(self.t(), "t_")


def transpose_(self, dim0, dim1):
    """In-place ``transpose(dim0, dim1)``."""
    return self._assume_view_(self.transpose(dim0, dim1), "transpose_")


def swapdims_(self, dim0, dim1):
    """Alias of ``transpose_``."""
    return self._assume_view_(self.transpose(dim0, dim1), "swapdims_")


def swapaxes_(self, axis0, axis1):
    """Alias of ``transpose_``."""
    return self._assume_view_(self.transpose(axis0, axis1), "swapaxes_")


def squeeze_(self, dim=None):
    """In-place ``squeeze(dim)`` (``dim`` an int, a tuple of ints, or None for every size-1 dim)."""
    return self._assume_view_(self.squeeze() if dim is None else self.squeeze(dim), "squeeze_")


def unsqueeze_(self, dim):
    """In-place ``unsqueeze(dim)``."""
    return self._assume_view_(self.unsqueeze(dim), "unsqueeze_")


def as_strided_(self, size, stride, storage_offset=None):
    """In-place ``as_strided``: the geometry must lie inside the storage."""
    return self._assume_view_(self.as_strided(size, stride, storage_offset), "as_strided_")


def _strides_for_format(sizes, memory_format):
    from ._memory_format import _ORDER, _strides_for, contiguous_format, preserve_format
    if memory_format is None or memory_format is contiguous_format:
        return None
    if memory_format is preserve_format:
        raise RuntimeError("resize_(): preserve_format is not supported; use contiguous_format or channels_last")
    if memory_format not in _ORDER:
        raise RuntimeError(f"resize_(): unsupported memory format {memory_format}")
    rank, order = _ORDER[memory_format]
    if len(sizes) != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {memory_format._name} format")
    return _strides_for(sizes, order)


def _size_args(name, sizes):
    if len(sizes) == 1 and not isinstance(sizes[0], int):
        sizes = sizes[0]
    out = []
    for s in sizes:
        if isinstance(s, bool) or not hasattr(s, "__index__"):
            raise TypeError(f"{name}(): argument 'size' must be tuple of ints, but found element of type "
                            f"{type(s).__name__}")
        v = s.__index__()
        if not -(1 << 63) <= v < (1 << 63):
            raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos {len(out) + 1} with error "
                            f"\"Overflow when unpacking long long\": {v} does not fit in 64 bits")
        out.append(v)
    return out


def resize_(self, *sizes, memory_format=None):
    """Gives the tensor shape ``sizes``; the storage grows (old bytes copied, new ones zero) when
    too small and is kept otherwise. The shape is unchanged → the strides are kept; else they are
    row-major (or ``memory_format``'s)."""
    sizes = _size_args("resize_", sizes)
    return self._resize_geometry_(sizes, _strides_for_format(sizes, memory_format))


def resize_as_(self, tensor, memory_format=None):
    """``resize_(tensor.size())``."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"resize_as_(): argument 'the_template' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    return resize_(self, tuple(tensor.shape), memory_format=memory_format)


def _dtype_mismatch(self, other_dtype):
    return RuntimeError(f"Could not set tensor of type {_TYPE_NAMES.get(other_dtype.name, other_dtype.name)} to a "
                        f"tensor of type {_TYPE_NAMES.get(self.dtype.name, self.dtype.name)}")


def set_(self, source=None, storage_offset=None, size=None, stride=None):
    """``set_()``: an empty tensor of its own; ``set_(source_tensor)``: share its storage and
    geometry; ``set_(storage, storage_offset=0, size=(n,), stride=row-major)``: read ``storage``
    (an ``UntypedStorage`` or typed storage) through that geometry."""
    from ._legacy import TypedStorage
    if source is None:
        if storage_offset is not None or size is not None or stride is not None:
            raise TypeError("set_(): a geometry needs a source storage")
        return self._set_geometry_(None, 0, [0], [1])
    if isinstance(source, Tensor):
        if storage_offset is not None or size is not None or stride is not None:
            raise TypeError("set_(): set_(source=Tensor) takes no storage_offset, size or stride")
        if source.dtype != self.dtype:
            raise _dtype_mismatch(self, source.dtype)
        return self._set_geometry_(source.untyped_storage(), source.storage_offset(), list(source.shape),
                                   list(source.stride()))
    if isinstance(source, TypedStorage):
        if source.dtype != self.dtype:
            raise _dtype_mismatch(self, source.dtype)
        source = source.untyped()
    if not isinstance(source, UntypedStorage):
        raise TypeError(f"set_(): argument 'source' must be Tensor or Storage, not {type(source).__name__}")
    offset = 0 if storage_offset is None else int(storage_offset)
    if size is None:
        if stride is not None:
            raise TypeError("set_(): stride needs size")
        size = [(source.nbytes() // self.element_size()) - offset]
    size = _size_args("set_", (size,))
    if stride is None:
        stride, acc = [0] * len(size), 1
        for i in reversed(range(len(size))):
            stride[i], acc = acc, acc * max(size[i], 1)
    else:
        stride = _size_args("set_", (stride,))
    return self._set_geometry_(source, offset, size, stride)


def is_inference(input):
    """True when ``input`` was made under ``ember.inference_mode()`` (or is a view of such a tensor)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"is_inference(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return _native.Tensor.is_inference(input)


def _function(method):
    def fn(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{method.__name__}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        return method(input, *args, **kwargs)

    fn.__name__ = fn.__qualname__ = method.__name__
    fn.__doc__ = f"``ember.{method.__name__}(input, …)`` is ``input.{method.__name__}(…)``."
    return fn


for _f in (t_, transpose_, swapdims_, swapaxes_, squeeze_, unsqueeze_, as_strided_, resize_, resize_as_, set_):
    setattr(Tensor, _f.__name__, _f)

as_strided_ = _function(Tensor.as_strided_)
resize_as_ = _function(Tensor.resize_as_)

"""Zero-copy exchange with NumPy and DLPack consumers/producers.

``from_numpy`` and ``Tensor.numpy()`` share memory both ways; the storage of a tensor made
from an array keeps the array alive and vice versa. DLPack goes through
``Tensor.__dlpack__`` (native) and ``from_dlpack``.
"""
import sys

from . import _native
from ._native import Tensor
from . import _dtypes
from . import _device

__all__ = ["from_numpy", "from_dlpack"]

_SUPPORTED = ("float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, uint16, "
              "uint8, and bool")
_NATIVE = "<" if sys.byteorder == "little" else ">"
# numpy typestr (kind + itemsize) -> ember dtype
_FROM_TYPESTR = {"b1": _dtypes.bool, "u1": _dtypes.uint8, "i1": _dtypes.int8, "i2": _dtypes.int16,
                 "i4": _dtypes.int32, "i8": _dtypes.int64, "f2": _dtypes.float16, "f4": _dtypes.float32,
                 "f8": _dtypes.float64, "c8": _dtypes.complex64, "c16": _dtypes.complex128,
                 "u2": _dtypes.uint16, "u4": _dtypes.uint32, "u8": _dtypes.uint64}
_TO_TYPESTR = {d.name: ("|" if k[1:] == "1" else _NATIVE) + k for k, d in _FROM_TYPESTR.items()}


_np = None


def _numpy_module():
    """numpy, imported on first use (ember imports without it)."""
    global _np
    if _np is None:
        import numpy

        _np = numpy
    return _np


def _from_numpy(ndarray):
    """``from_numpy``'s rules where the native call (``numpy_api.rs``) does not decide: not an
    ndarray, read-only (a warning), negative or odd strides, dtypes ember lacks (errors)."""
    np = _np or _numpy_module()
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    ai = ndarray.__array_interface__
    ts = ai["typestr"]
    dt = _FROM_TYPESTR.get(ts[1:]) if ts[0] in "|=" + _NATIVE else None
    if dt is None:
        raise TypeError(f"can't convert np.ndarray of type numpy.{ndarray.dtype.type.__name__}. "
                        f"The only supported types are: {_SUPPORTED}.")
    item = ndarray.itemsize
    shape = list(ndarray.shape)
    strides = list(ndarray.strides)
    if any(s < 0 for s in strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative strides are "
                         "not currently supported. (You can probably work around this by making a copy of your array "
                         " with array.copy().) ")
    if any(s % item for s in strides):
        raise ValueError("given numpy array strides not a multiple of the element byte size. "
                         "Copy the numpy array to reallocate the memory.")
    if not ndarray.flags.writeable:
        import warnings

        warnings.warn("The given NumPy array is not writable, and ember does not support non-writable tensors. "
                      "Writing to the tensor writes to the array's memory anyway; copy the array first to be safe.",
                      UserWarning, stacklevel=2)
    return _native._from_buffer(ndarray, ai["data"][0], shape, [s // item for s in strides], dt)


def from_dlpack(ext_tensor):
    """A tensor sharing memory with a DLPack producer (an object with ``__dlpack__``, or a capsule)."""
    if hasattr(ext_tensor, "__dlpack__"):
        dev = ext_tensor.__dlpack_device__()
        if dev[0] != 1:
            raise RuntimeError(f"from_dlpack: the object lives on DLPack device {tuple(dev)}; ember reads CPU memory only (1, 0)")
        try:
            capsule = ext_tensor.__dlpack__(max_version=(1, 0))
        except TypeError:  # a producer that predates DLPack 1.0
            capsule = ext_tensor.__dlpack__()
    else:
        capsule = ext_tensor
    return _native._from_dlpack(capsule)


class _ArrayHolder:
    """Hands numpy an ``__array_interface__`` while keeping the tensor alive (the array's base)."""

    __slots__ = ("__array_interface__", "tensor")

    def __init__(self, t):
        self.tensor = t
        self.__array_interface__ = _interface(t)


def _interface(t):
    if t.device.type == "meta":
        raise NotImplementedError(_device.NO_DATA)
    if t.is_sparse:
        raise TypeError(_SPARSE_TO_NUMPY)
    if t.dtype.name not in _TO_TYPESTR:
        raise TypeError(f"Got unsupported ScalarType {_scalar_name(t.dtype)}")
    if t.is_conj():
        raise RuntimeError("Can't export a Tensor that has conjugate bit set: its memory holds the conjugates. "
                           "Use tensor.resolve_conj() first.")
    item = t.itemsize
    return {"shape": tuple(t._shape), "typestr": _TO_TYPESTR[t.dtype.name], "data": (t.data_ptr(), False),
            "strides": tuple(s * item for s in t.stride()), "version": 3}


_SPARSE_TO_NUMPY = ("can't convert sparse layout tensor to numpy: a sparse COO tensor keeps only its indices and "
                    "values. Use Tensor.to_dense() first.")


def _scalar_name(d):
    return {"bfloat16": "BFloat16"}.get(d.name, d.name)


def _numpy(self, *, force=False):
    """A numpy array sharing this tensor's memory (a strided view when non-contiguous)."""
    np = _np or _numpy_module()
    if not (force or self.requires_grad):
        # A host tensor exports itself through the buffer protocol (the array's base holds
        # the export, which holds the tensor). Meta, sparse, wgpu and bfloat16 tensors refuse
        # the export; the checks below then say why or copy.
        try:
            return np.asarray(memoryview(self))
        except BufferError:
            pass
    if self.device.type == "meta":
        raise NotImplementedError(_device.NO_DATA)
    if self.is_sparse:
        raise TypeError(_SPARSE_TO_NUMPY)
    if self.is_conj():  # its memory holds the conjugates: only a resolved copy can be shared
        if not force:
            raise RuntimeError("Can't call numpy() on Tensor that has conjugate bit set. "
                               "Use tensor.resolve_conj().numpy() instead.")
        return _numpy(self.detach().resolve_conj(), force=True)
    t = self
    if t.device.type == "wgpu":  # a copy to the host (PyTorch asks for .cpu() first; ember copies)
        if t.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        t = t.detach().cpu()
    if force:
        t = t.detach().cpu()
    elif self.requires_grad:
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
    if t.dtype.name == "bfloat16":
        raise TypeError("Got unsupported ScalarType BFloat16")
    return np.asarray(_ArrayHolder(t))


def _array(self, dtype=None, copy=None):
    import numpy as np

    a = self.detach().numpy() if self.requires_grad else self.numpy()
    if dtype is not None and np.dtype(dtype) != a.dtype:
        if copy is False:
            raise ValueError("__array__: converting to a different dtype needs a copy, but copy=False was given")
        return a.astype(dtype)
    return a.copy() if copy else a


from_numpy = _native.from_numpy
Tensor.__array__ = _array
Tensor.__array_interface__ = property(lambda self: _interface(self), doc="NumPy's array interface (shares memory).")
Tensor.__array_priority__ = 1000

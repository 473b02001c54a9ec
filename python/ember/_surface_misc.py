"""Small names of PyTorch's surface composed from existing ember ops: the in-place special
functions (``digamma_``, ``lgamma_``, ``polygamma_``, ``mvlgamma_``, ``igamma_``, ``igammac_``,
``i0_``), ``Tensor.stft``/``istft``, ``slice_inverse``, ``from_file`` (a memory-mapped
tensor), the copying sparse accessors ``indices_copy``/``values_copy``, ``StorageBase``, and the
deprecated out-of-place ``Tensor.resize``/``resize_as``.
"""
import builtins
import os
import warnings

from . import _native, _dtypes
from ._native import Tensor
from .autograd.function import Function as _Function

__all__ = ["i0_", "slice_inverse", "from_file", "indices_copy", "values_copy", "StorageBase"]

_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
               "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
               "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64"}


def _type_name(d):
    return _TYPE_NAMES.get(repr(d).split(".")[-1], repr(d))


def _write_into(self, result):
    """PyTorch's rule for an in-place op: the result must have self's shape (no broadcasting
    self up) and a dtype that casts to self's; then it is written into self."""
    if tuple(result.shape) != tuple(self.shape):
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                           f"{list(result.shape)}")
    if not _native.can_cast(result.dtype, self.dtype):
        raise RuntimeError(f"result type {_type_name(result.dtype)} can't be cast to the desired output type "
                           f"{_type_name(self.dtype)}")
    return self.copy_(result)


def _inplace(name, compute):
    def method(self, *args, **kwargs):
        # The backward of these functions reads their input: when autograd records, compute from
        # a copy, so writing the result into self doesn't change the value the graph saved.
        tracked = self.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
        src = self.clone() if tracked and _native.is_grad_enabled() else self
        return _write_into(self, compute(src, *args, **kwargs))

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place ``{name[:-1]}``: the result must keep self's shape and dtype."
    setattr(Tensor, name, method)
    return method


_inplace("digamma_", lambda self: self.digamma())
_inplace("lgamma_", lambda self: self.lgamma())
_inplace("polygamma_", lambda self, n: self.polygamma(n))
_inplace("mvlgamma_", lambda self, p: self.mvlgamma(p))
_inplace("igamma_", lambda self, other: self.igamma(other))
_inplace("igammac_", lambda self, other: self.igammac(other))
_i0_method = _inplace("i0_", lambda self: self.i0())


def i0_(input):
    """In-place modified Bessel function of the first kind, order 0."""
    if not isinstance(input, Tensor):
        raise TypeError(f"i0_(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return _i0_method(input)


def _stft(self, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
          normalized=False, onesided=None, return_complex=None):
    from ._stft import stft
    return stft(self, n_fft, hop_length, win_length, window, center, pad_mode, normalized, onesided, return_complex)


def _istft(self, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False, onesided=None,
           length=None, return_complex=False):
    from ._stft import istft
    return istft(self, n_fft, hop_length, win_length, window, center, normalized, onesided, length, return_complex)


_stft.__name__, _istft.__name__ = "stft", "istft"
Tensor.stft, Tensor.istft = _stft, _istft


def slice_inverse(input, src, dim=0, start=None, end=None, step=1):
    """The inverse of slicing (used by functionalisation): a view of ``input``'s storage with
    ``src``'s sizes, strides and offset, so that ``slice_inverse(base[a:b:c], base, …)`` views
    the whole of ``base`` again."""
    for arg, v in (("input", input), ("src", src)):
        if not isinstance(v, Tensor):
            raise TypeError(f"slice_inverse(): argument '{arg}' must be Tensor, not {type(v).__name__}")
    if step is not None and step <= 0:
        raise RuntimeError("slice step must be positive")
    if src.ndim:
        _native.Tensor.size(src, dim)  # IndexError on a bad dim, as slicing src would give
    return input.as_strided(tuple(src.shape), src.stride(), src.storage_offset())


Tensor.slice_inverse = slice_inverse


def from_file(filename, shared=None, size=0, *, dtype=None, layout=None, device=None, pin_memory=False,
              requires_grad=False):
    """A 1-D CPU tensor of ``size`` elements whose storage is the file, memory-mapped: with
    ``shared=True`` writes go to the file (created or grown when needed); otherwise the mapping
    is private and the file must already hold ``size`` elements."""
    import numpy as np
    from ._creation import _check_device
    _check_device(device)
    dtype = _native.get_default_dtype() if dtype is None else dtype
    size = builtins.int(size)
    if size < 0:
        raise RuntimeError(f"from_file: size must be non-negative, got {size}")
    nbytes = size * dtype.itemsize
    filename = os.fspath(filename)
    if shared:
        if not os.path.exists(filename) or os.path.getsize(filename) < nbytes:
            with open(filename, "ab") as f:
                f.truncate(builtins.max(nbytes, os.path.getsize(filename) if os.path.exists(filename) else 0))
    elif not os.path.exists(filename):
        raise RuntimeError(f"unable to open file <{filename}> in read-only mode: No such file or directory (2)")
    elif os.path.getsize(filename) < nbytes:
        raise RuntimeError(f"unable to mmap {nbytes} bytes from file <{filename}>: Cannot allocate memory (12)")
    if size == 0:
        out = _native._empty([0], dtype)
    else:
        # numpy has no bfloat16: map its bits as int16 and reinterpret (same size)
        np_dtype = np.int16 if dtype == _dtypes.bfloat16 else np.dtype(dtype.name)
        raw = np.memmap(filename, dtype=np_dtype, mode="r+" if shared else "c", shape=(size,))
        from ._exchange import from_numpy
        out = from_numpy(raw)
        if dtype == _dtypes.bfloat16:
            out = out.view(dtype)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _sparse_copy(name):
    def fn(input, *, out=None):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        r = getattr(input, name[:-len("_copy")])().clone()
        return r if out is None else out.copy_(r)

    fn.__name__ = name
    fn.__doc__ = f"A copy (not a view) of ``Tensor.{name[:-len('_copy')]}()``."
    return fn


indices_copy = _sparse_copy("indices_copy")
values_copy = _sparse_copy("values_copy")


# A strided or COO tensor is never CSR; the compressed layouts (ember._sparse_compressed) override this.
Tensor.is_sparse_csr = property(lambda self: False, doc="True for a tensor in the sparse CSR layout (ember.sparse_csr).")

# PyTorch's StorageBase is the native base class of UntypedStorage (an untyped storage is an
# instance, a legacy TypedStorage is not); ember's native UntypedStorage is that class itself.
from ._native import UntypedStorage as StorageBase  # noqa: E402


class Resize(_Function):
    """The deprecated out-of-place ``Tensor.resize``: a reshape that keeps the element count
    (its node is ``ResizeBackward``, as in PyTorch)."""

    @staticmethod
    def forward(ctx, tensor, sizes):
        numel = 1
        for s in sizes:
            numel *= s
        if tensor.numel() != numel:
            raise RuntimeError(f"requested resize to {'x'.join(map(str, sizes))} ({numel} elements in total), but the "
                               f"given tensor has a size of {'x'.join(map(str, tensor.shape))} ({tensor.numel()} "
                               "elements). autograd's resize can only change the shape of a given tensor, while "
                               "preserving the number of elements. ")
        ctx.input_sizes = tuple(tensor.shape)
        return tensor.contiguous().view(*sizes)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.contiguous().view(*ctx.input_sizes), None


def _resize(self, *sizes):
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    return Resize.apply(self, tuple(builtins.int(s) for s in sizes))


def _resize_as(self, tensor):
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    return Resize.apply(self, tuple(tensor.shape))


_resize.__name__, _resize_as.__name__ = "resize", "resize_as"
Tensor.resize, Tensor.resize_as = _resize, _resize_as

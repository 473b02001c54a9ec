"""PyTorch's legacy typed API: the tensor-type classes (``ember.FloatTensor(2, 3)``,
``isinstance(x, ember.LongTensor)``), ``TypedStorage`` with its per-dtype subclasses
(``FloatStorage`` …) and ``Tensor.storage()`` / ``Tensor.storage_type()``.

A TypedStorage here is a typed window on a tensor's whole storage: a 1-D view (``as_strided`` from
offset 0 over every element the storage holds), so reading and writing it reads and writes the
tensor's memory, as PyTorch's does. ``untyped()`` returns the native ``UntypedStorage``.
"""
import warnings

from . import _native, _dtypes
from ._native import Tensor

__all__ = ["TypedStorage", "UntypedStorage"]

UntypedStorage = type(_native._zeros([0], _dtypes.float32).untyped_storage())

_NAMES = {"Float": _dtypes.float32, "Double": _dtypes.float64, "Half": _dtypes.float16, "BFloat16": _dtypes.bfloat16,
          "Long": _dtypes.int64, "Int": _dtypes.int32, "Short": _dtypes.int16, "Char": _dtypes.int8,
          "Byte": _dtypes.uint8, "Bool": _dtypes.bool, "ComplexFloat": _dtypes.complex64,
          "ComplexDouble": _dtypes.complex128}


class _LegacyTensorType(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and obj.device.type == "cpu"


def _legacy_new(cls, *args, device=None):
    from ._creation import empty, tensor
    if device is not None and str(device) != "cpu":
        raise RuntimeError(f"legacy constructor expects device type: cpu but device type: {device} was passed")
    if not args:
        return empty(0, dtype=cls.dtype)
    if len(args) == 1 and isinstance(args[0], Tensor):
        t = args[0]
        if t.dtype != cls.dtype:
            raise TypeError(f"expected {cls.dtype} (got {t.dtype})")
        return t.detach().view_as(t)
    if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        return empty(*args, dtype=cls.dtype)
    if len(args) == 1 and type(args[0]).__name__ == "Size":
        return empty(*args[0], dtype=cls.dtype)
    if len(args) == 1:
        return tensor(args[0], dtype=cls.dtype)
    raise TypeError(f"{cls.__name__}(): invalid arguments {args}")


for _n, _dt in _NAMES.items():
    _cls = _LegacyTensorType(f"{_n}Tensor", (), {"dtype": _dt, "__new__": _legacy_new, "__module__": "ember",
                                                   "__doc__": f"Legacy constructor of {_dt} CPU tensors."})
    globals()[f"{_n}Tensor"] = _cls
    __all__.append(f"{_n}Tensor")


class TypedStorage:
    """A typed view of a tensor's storage (deprecated in PyTorch in favour of ``untyped_storage``)."""

    _fixed_dtype = None  # set by the per-dtype subclasses (FloatStorage …)

    def __init__(self, *args, dtype=None, device=None, _view=None):
        if _view is not None:
            self._t = _view
            return
        from ._creation import empty, tensor
        dt = dtype or type(self)._fixed_dtype or _native.get_default_dtype()
        if not args:
            self._t = empty(0, dtype=dt)
        elif len(args) == 1 and isinstance(args[0], int):
            self._t = empty(args[0], dtype=dt)
        elif len(args) == 1 and isinstance(args[0], (list, tuple)):
            self._t = tensor(list(args[0]), dtype=dt) if args[0] else empty(0, dtype=dt)
        else:
            raise TypeError(f"{type(self).__name__}(): expected a size or a sequence, got {args}")

    @classmethod
    def _of(cls, t):
        """The storage behind tensor ``t``, typed as ``t.dtype``."""
        n = t.untyped_storage().nbytes() // t.element_size()
        view = t.detach().as_strided((n,), (1,), 0)
        klass = _STORAGE_OF.get(t.dtype.name, TypedStorage)
        s = klass.__new__(klass)
        TypedStorage.__init__(s, _view=view)
        return s

    @property
    def device(self):
        return self._t.device

    @property
    def dtype(self):
        return self._t.dtype

    def size(self):
        return self._t.numel()

    def __len__(self):
        return self._t.numel()

    def element_size(self):
        return self._t.element_size()

    def nbytes(self):
        return self._t.numel() * self._t.element_size()

    def data_ptr(self):
        return self._t.data_ptr()

    def untyped(self):
        return self._t.untyped_storage()

    _untyped_storage = property(untyped)

    def tolist(self):
        return self._t.tolist()

    def __iter__(self):
        return iter(self.tolist())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(self._t[idx].tolist(), dtype=self.dtype)
        return self._t[idx].item()

    def __setitem__(self, idx, value):
        self._t[idx] = value

    def fill_(self, value):
        self._t.fill_(value)
        return self

    def copy_(self, source, non_blocking=None):
        src = source._t if isinstance(source, TypedStorage) else source
        self._t.copy_(src.reshape(-1))
        return self

    def clone(self):
        return TypedStorage(_view=self._t.clone())

    def is_shared(self):
        return self._t.is_shared()

    def share_memory_(self):
        self._t.share_memory_()
        return self

    def cpu(self):
        return self

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return f"ember.{type(self).__name__}"
        raise NotImplementedError("TypedStorage.type(dtype) conversion: use tensor.to(dtype).storage()")

    def __repr__(self):
        body = "\n".join(f" {v}" for v in self.tolist())
        return f"{body}\n[ember.storage.{type(self).__name__}(dtype={self.dtype}, device={self.device}) of size {len(self)}]"


_STORAGE_OF = {}
for _n, _dt in _NAMES.items():
    _scls = type(f"{_n}Storage", (TypedStorage,), {"_fixed_dtype": _dt, "__module__": "ember"})
    globals()[f"{_n}Storage"] = _scls
    _STORAGE_OF[_dt.name] = _scls
    __all__.append(f"{_n}Storage")


Storage = FloatStorage  # noqa: F821  (PyTorch's default legacy storage class)
__all__.append("Storage")


def _storage(self):
    """The typed storage of this tensor (a view of its memory; deprecated in PyTorch)."""
    warnings.warn("TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the only "
                  "storage class. To access UntypedStorage directly, use tensor.untyped_storage() instead of "
                  "tensor.storage()", UserWarning, stacklevel=2)
    return TypedStorage._of(self)


Tensor.storage = _storage
Tensor.storage_type = lambda self: _STORAGE_OF[self.dtype.name]

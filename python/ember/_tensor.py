"""Tensor methods written in Python, attached to the native ``ember.Tensor`` class.

Only methods that are not per-op hot paths live here (``size()``, hooks with
handles, ``backward``'s argument handling, ``new_*``, dtype shortcuts); arithmetic and views
are native.
"""
from . import _native, _dtypes
from ._native import Tensor


def _method(fn):
    setattr(Tensor, fn.__name__, fn)
    return fn


def _size(self, dim=None):
    """``Tensor.size`` for what the native method leaves here: subclasses (their sizes come from
    ``_shape``), dims that are not plain ints, and the errors."""
    if dim is None:
        return self.shape
    n = self.ndim
    lo, hi = -max(n, 1), max(n, 1) - 1
    if not lo <= dim <= hi:
        if isinstance(dim, int) and not -2**63 <= dim < 2**63:
            raise ValueError(f"Overflow when unpacking long long: {dim} doesn't fit in 64 bits")
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return self._shape[dim] if n else 1


@_method
def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates d(self)/d(leaf) into each leaf's ``.grad``."""
    if gradient is None and self.numel() != 1:
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    if gradient is None and self.dtype.is_complex:
        raise RuntimeError("grad can be implicitly created only for real scalar outputs")
    if not self.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if inputs is not None and isinstance(inputs, Tensor):
        inputs = [inputs]
    _native._backward([self], None if gradient is None else [gradient], retain_graph, create_graph, inputs)


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` disables the hook."""

    def __init__(self, hooks_dict, key):
        self._hooks, self.id = hooks_dict, key

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_next_hook_id = [0]


@_method
def register_hook(self, hook):
    """Calls ``hook(grad)`` when this tensor's gradient is computed; a non-None return
    value replaces the gradient."""
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    hooks = {}
    key = _next_hook_id[0]
    _next_hook_id[0] += 1
    hooks[key] = hook

    def call(grad):
        h = hooks.get(key)
        return None if h is None else _checked_hook_result(h, grad, h(grad))

    self._register_hook(call)
    return RemovableHandle(hooks, key)


def _checked_hook_result(hook, grad, out):
    """A hook may replace a gradient only by one of the same size, dtype and device (as in
    PyTorch); anything else would land in ``.grad`` or flow on into the graph silently."""
    if out is None:
        return None
    if not isinstance(out, Tensor):
        raise TypeError(f"expected Tensor, but hook returned '{out.__class__.__name__}'")
    name = getattr(hook, "__name__", hook.__class__.__name__)  # (`type` is Tensor.type in this module)
    if tuple(out._shape) != tuple(grad._shape):
        raise RuntimeError(f"hook '{name}' has changed the size of value (was {list(grad._shape)} got "
                           f"{list(out._shape)})")
    if out.dtype != grad.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {grad.type()} got {out.type()})")
    if out.device != grad.device:
        raise RuntimeError(f"hook '{name}' has changed the device of value (was {grad.device} got {out.device})")
    return out


def _dtype_method(name, dt):
    def conv(self, memory_format=None):
        return self.to(dt)

    conv.__name__ = name
    setattr(Tensor, name, conv)


for _n, _d in [("float", _dtypes.float32), ("double", _dtypes.float64), ("half", _dtypes.float16),
               ("bfloat16", _dtypes.bfloat16), ("int", _dtypes.int32), ("long", _dtypes.int64),
               ("short", _dtypes.int16), ("char", _dtypes.int8), ("byte", _dtypes.uint8), ("bool", _dtypes.bool),
               ("cfloat", _dtypes.complex64), ("cdouble", _dtypes.complex128)]:
    _dtype_method(_n, _d)


@_method
def type_as(self, other):
    return self.to(other.dtype)


@_method
def type(self, dtype=None, non_blocking=False):
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
             "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
             "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64"}
    if dtype is None:
        return f"ember.{names[self.dtype.name]}Tensor"
    if isinstance(dtype, str):
        inv = {f"ember.{v}Tensor": k for k, v in names.items()}
        inv.update({f"torch.{v}Tensor": k for k, v in names.items()})
        return self.to(getattr(_dtypes, inv[dtype]))
    return self.to(dtype)


@_method
def cpu(self, memory_format=None):
    return self.to("cpu")


@_method
def cuda(self, device=None, non_blocking=False):
    raise RuntimeError("ember has no CUDA backend; use the 'cpu' device (or 'wgpu' where built)")


@_method
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    from ._creation import tensor

    return tensor(data, dtype=self.dtype if dtype is None else dtype, device=self.device if device is None else device,
                  requires_grad=requires_grad)


def _new(fn_name):
    def new(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        from . import _creation

        return getattr(_creation, fn_name)(*size, dtype=self.dtype if dtype is None else dtype,
                                           device=self.device if device is None else device, requires_grad=requires_grad)

    new.__name__ = "new_" + fn_name
    setattr(Tensor, new.__name__, new)


for _n in ("zeros", "ones", "empty"):
    _new(_n)


@_method
def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    from ._creation import full

    return full(size, fill_value, dtype=self.dtype if dtype is None else dtype, device=self.device if device is None else device,
                requires_grad=requires_grad)


@_method
def __iter__(self):
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in range(self._shape[0]))


@_method
def __hash__(self):
    return id(self)


@_method
def __reversed__(self):
    return self.flip(0)


@_method
def dim_order(self):
    return tuple(sorted(range(self.ndim), key=lambda d: -self.stride(d)))


@_method
def get_device(self):
    d = self.device
    return -1 if d.type == "cpu" else (d.index if d.index is not None else 0)


Tensor.is_cuda = property(lambda self: False)
Tensor.is_cpu = property(lambda self: self.device.type == "cpu")
Tensor.is_meta = property(lambda self: self.device.type == "meta")
Tensor.is_wgpu = property(lambda self: self.device.type == "wgpu")
Tensor.is_sparse = property(lambda self: False)
Tensor.is_quantized = property(lambda self: False)


def _get_data(self):
    return self.detach()


def _set_data(self, value):
    if tuple(value.shape) != tuple(self.shape) or value.dtype != self.dtype:
        raise RuntimeError(
            "ember can only assign .data from a tensor of the same shape and dtype (it copies the values); "
            f"got shape {tuple(value.shape)} {value.dtype} for a tensor of shape {tuple(self.shape)} {self.dtype}")
    self.detach().copy_(value)


Tensor.data = property(_get_data, _set_data, doc="The tensor without autograd history (shares storage).")


# ---- sharing between processes and pickling (ember.multiprocessing, copy, pickle) ----

@_method
def share_memory_(self):
    """Moves this tensor's storage into shared memory, in place: every view of the storage
    follows, and the data can then cross processes without a copy (``ember.multiprocessing``).
    A no-op when already shared. The segment is created in ``$EMBER_SHM_DIR`` (default
    ``/dev/shm``); a full one raises a RuntimeError. Don't run ops on the same storage from
    another thread meanwhile (the old buffer is freed, as in PyTorch)."""
    _native._share_memory(self)
    return self


@_method
def is_shared(self):
    """True when the storage lives in a shared-memory segment."""
    return _native._is_shared(self)


def host_bytes(t):
    """A dense tensor's elements as contiguous host bytes. The layout and device are checked
    before any byte is read: a meta tensor has no bytes, a sparse tensor keeps its data in
    ``indices``/``values``, and a wgpu tensor's bytes live on the GPU (copied here first)."""
    if _native._is_sparse(t):
        raise RuntimeError("host_bytes: a sparse COO tensor has no dense bytes; serialize its indices and values")
    if t.device.type == "meta":
        raise RuntimeError("host_bytes: a meta tensor has no data (only sizes and a dtype)")
    t = t.detach()
    if t.device.type != "cpu":
        t = t.to("cpu")
    return _native._to_bytes(t)


def _rebuild_from_bytes(cls, data, dtype_name, sizes, requires_grad, state=None, device=None):
    from .multiprocessing.reductions import _as_class

    t = _native._from_bytes(data, _native.dtype(dtype_name), list(sizes))
    if device is not None and device != "cpu":
        t = t.to(device)
    return _finish(_as_class(t, cls, requires_grad), state)


def _rebuild_meta(cls, dtype_name, sizes, requires_grad, state=None):
    from ._creation import empty
    from .multiprocessing.reductions import _as_class

    t = empty(list(sizes), dtype=_native.dtype(dtype_name), device="meta")
    return _finish(_as_class(t, cls, requires_grad), state)


def _rebuild_sparse(cls, indices, values, sizes, coalesced, requires_grad, state=None):
    t = _native._sparse_coo_tensor(indices, values, list(sizes), bool(coalesced), bool(requires_grad))
    return _finish(t, state)


def _finish(t, state):
    if state:
        t.__dict__.update(state)
    return t


@_method
def __reduce_ex__(self, proto):
    """Plain pickling (and ``copy.deepcopy``) copies the values: contiguous bytes plus dtype,
    shape and device (a wgpu tensor comes back on wgpu). A meta tensor pickles its shape and
    dtype only and comes back as a meta tensor, as in PyTorch; a sparse COO tensor pickles
    its indices and values. (``multiprocessing`` uses shared memory instead; see
    ember.multiprocessing.)"""
    state = dict(self.__dict__) or None
    if _native._is_sparse(self):
        ind, val, coalesced = _native._sparse_parts(self)
        return (_rebuild_sparse, (self.__class__, ind.detach(), val.detach(), tuple(self._shape), coalesced,
                                  self.requires_grad, state))
    if self.device.type == "meta":
        return (_rebuild_meta, (self.__class__, self.dtype.name, tuple(self._shape), self.requires_grad, state))
    device = None if self.device.type == "cpu" else str(self.device)
    return (_rebuild_from_bytes, (self.__class__, host_bytes(self), self.dtype.name, tuple(self._shape),
                                  self.requires_grad, state, device))


@_method
def __array_namespace__(self, api_version=None):
    """The Python array API standard's namespace for this tensor: ``ember.array_api``."""
    from . import array_api
    return array_api._check_api_version(api_version)


@_method
def __complex__(self):
    """complex(t) of a one-element tensor (the array API standard's ``__complex__``)."""
    return complex(self.item())


@_method
def to_device(self, device, /, *, stream=None):
    """The array API standard's ``to_device``: this tensor on ``device`` (itself if already there)."""
    if stream is not None:
        raise ValueError("to_device(): ember has no streams; pass stream=None")
    return self.to(device)

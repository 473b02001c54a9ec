"""Constants, global flags and small Tensor utilities of the ``torch`` namespace:
``pi``/``e``/``inf``/``nan``, deterministic-algorithm and matmul-precision flags, interop
threads, ``is_nonzero``/``is_same_size``, ``typename``, the ``*_copy`` forms of view ops, the
``unsafe_*`` splits, ``Tensor.ravel``/``put_``/``index_reduce``/``fill_diagonal_``/``sum_to_size`` …"""
import builtins
import math
import warnings

from . import _native, _dtypes
from ._native import Tensor

__all__ = ["pi", "e", "inf", "nan", "newaxis"]

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None


def _export(fn):
    __all__.append(fn.__name__)
    return fn


def _method(fn):
    setattr(Tensor, fn.__name__, fn)
    return fn


# ---- global flags ----
# ember's CPU kernels are deterministic already (fixed reduction order, no atomics), so these
# flags only record the choice, as PyTorch's do on a CPU-only build.
_flags = {"deterministic": False, "warn_only": False, "matmul_precision": "highest", "interop_threads": 1,
          "warn_always": False}


@_export
def use_deterministic_algorithms(mode, *, warn_only=False):
    if not isinstance(mode, builtins.bool):
        raise TypeError(f"use_deterministic_algorithms expects a bool, but got {type(mode).__name__}")
    _flags["deterministic"], _flags["warn_only"] = mode, builtins.bool(warn_only)


@_export
def are_deterministic_algorithms_enabled():
    return _flags["deterministic"]


@_export
def is_deterministic_algorithms_warn_only_enabled():
    return _flags["warn_only"]


@_export
def set_deterministic_debug_mode(debug_mode):
    """0/'default': off; 1/'warn': deterministic, warn only; 2/'error': deterministic."""
    names = {"default": 0, "warn": 1, "error": 2}
    if isinstance(debug_mode, str):
        if debug_mode not in names:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = names[debug_mode]
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


@_export
def get_deterministic_debug_mode():
    if not _flags["deterministic"]:
        return 0
    return 1 if _flags["warn_only"] else 2


@_export
def set_float32_matmul_precision(precision):
    """'highest' (the only precision ember's float32 GEMM has), 'high' or 'medium' (recorded)."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision {precision!r}; expected 'highest', 'high' or 'medium'")
    _flags["matmul_precision"] = precision


@_export
def get_float32_matmul_precision():
    return _flags["matmul_precision"]


@_export
def get_num_interop_threads():
    return _flags["interop_threads"]


@_export
def set_num_interop_threads(num):
    if not isinstance(num, builtins.int) or num <= 0:
        raise RuntimeError("Expected positive number of threads")
    _flags["interop_threads"] = num


@_export
def set_warn_always(b):
    _flags["warn_always"] = builtins.bool(b)


@_export
def is_warn_always_enabled():
    return _flags["warn_always"]


@_export
def set_flush_denormal(mode):
    """Returns False: ember cannot switch the CPU's flush-to-zero mode (PyTorch returns False
    where it is unsupported, too)."""
    return False


@_export
def init_num_threads():
    """Nothing to do: ember's thread pool starts on first use."""


@_export
def is_anomaly_enabled():
    return _native.is_anomaly_enabled()


@_export
def is_anomaly_check_nan_enabled():
    return _native.is_anomaly_check_nan_enabled()


@_export
def set_anomaly_enabled(enabled, check_nan=True):
    from .autograd import set_detect_anomaly
    set_detect_anomaly(enabled, check_nan)


@_export
def is_storage(obj):
    return type(obj).__name__ in ("UntypedStorage", "TypedStorage") or type(obj).__name__.endswith("Storage")


@_export
def typename(obj):
    """'torch.FloatTensor'-style names (with ember's prefix) for tensors, else the class path."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(type(obj), "__module__", "") or ""
    qual = type(obj).__qualname__
    return qual if module in ("builtins", "") else f"{module}.{qual}"


@_export
def set_default_tensor_type(t):
    """Deprecated in PyTorch: sets the default floating dtype from a tensor type (or its name)."""
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.")
    name = t if isinstance(t, str) else getattr(t, "__name__", str(t))
    table = {"FloatTensor": _dtypes.float32, "DoubleTensor": _dtypes.float64, "HalfTensor": _dtypes.float16,
             "BFloat16Tensor": _dtypes.bfloat16}
    for k, v in table.items():
        if name.endswith(k):
            _native.set_default_dtype(v)
            return
    raise TypeError(f"only floating-point types are supported as the default type, got {name}")


# ---- predicates ----
@_method
def is_nonzero(self):
    """bool(x) of a one-element tensor; an error for any other size."""
    if self.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if self.numel() > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins.bool(self.item())


@_method
def is_same_size(self, other):
    return tuple(self.shape) == tuple(other.shape)


@_method
def is_set_to(self, tensor):
    """True when both tensors view the same storage with the same offset, sizes and strides."""
    return (self.data_ptr() == tensor.data_ptr() and tuple(self.shape) == tuple(tensor.shape)
            and self.stride() == tensor.stride() and self.dtype == tensor.dtype)


for _name in ("is_nonzero", "is_same_size", "is_complex", "is_neg", "is_signed"):
    def _fn(input, *args, _n=_name):
        return getattr(input, _n)(*args)
    _fn.__name__ = _name
    globals()[_name] = _fn
    __all__.append(_name)

Tensor._is_view = lambda self: self._base is not None
Tensor.is_neg = lambda self: False  # ember has no negative bit: .imag of a conjugate view is materialized


# ---- shape utilities ----
@_method
def ravel(self):
    """The tensor flattened to 1-D (a view when the layout allows)."""
    return self.reshape(-1)


@_method
def sum_to_size(self, *size):
    """Sums broadcast dims away so the result has ``size`` (the inverse of expand)."""
    size = list(size[0]) if len(size) == 1 and not isinstance(size[0], builtins.int) else list(size)
    lead = self.ndim - len(size)
    if lead < 0:
        raise RuntimeError(f"size {{{size}}} is not expandable to size {{{list(self.shape)}}}.")
    x = self.sum(tuple(range(lead))) if lead else self
    dims = [i for i, s in enumerate(size) if s == 1 and x.shape[i] != 1]
    for i, s in enumerate(size):
        if s != 1 and s != x.shape[i]:
            raise RuntimeError(f"size {{{size}}} is not expandable to size {{{list(self.shape)}}}.")
    return x.sum(tuple(dims), keepdim=True) if dims else x


@_method
def fill_diagonal_(self, fill_value, wrap=False):
    """Writes ``fill_value`` on the main diagonal (all dims equal, or a tall 2-D matrix with ``wrap``)."""
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    n = self.shape[0]
    if self.ndim > 2 and builtins.any(s != n for s in self.shape):
        raise RuntimeError("all dimensions of input must be of equal length")
    if self.ndim == 2:
        rows, cols = self.shape
        idx = [(i, i) for i in range(builtins.min(rows, cols))]
        if wrap and rows > cols + 1:
            # numpy's wrap: the diagonal restarts every cols + 1 rows.
            idx = [(i, i % (cols + 1)) for i in range(rows) if i % (cols + 1) < cols]
        if idx:
            r = _native._tensor([i for i, _ in idx], _dtypes.int64)
            c = _native._tensor([j for _, j in idx], _dtypes.int64)
            self.index_put_((r, c), _native._full([], fill_value, self.dtype))
        return self
    ar = _native._tensor(list(range(n)), _dtypes.int64)
    self.index_put_(tuple(ar for _ in range(self.ndim)), _native._full([], fill_value, self.dtype))
    return self


@_method
def put_(self, index, source, accumulate=False):
    """Writes ``source`` at the flat (row-major) positions ``index`` of self."""
    flat = self.reshape(-1).clone()
    if index.numel() != source.numel():
        raise RuntimeError(f"put_(): Expected source and index to have the same number of elements, but got "
                           f"source.numel() = {source.numel()}, index.numel() = {index.numel()}")
    n = self.numel()
    idx = index.reshape(-1)
    if idx.numel() and (builtins.int(idx.max().item()) >= n or builtins.int(idx.min().item()) < -n):
        raise IndexError(f"out of range: tried to access index {builtins.int(idx.max().item())} on a tensor of {n} "
                         f"elements.")
    idx = idx % builtins.max(n, 1)
    flat.index_put_((idx,), source.reshape(-1).to(self.dtype), accumulate)
    return self.copy_(flat.view_as(self) if self.is_contiguous() else flat.reshape(self.shape))


@_method
def put(self, index, source, accumulate=False):
    return self.clone().put_(index, source, accumulate)


@_method
def index_reduce(self, dim, index, source, reduce, *, include_self=True):
    """Reduces (prod, mean, amax, amin) the slices of ``source`` into self at ``index`` along ``dim``."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    if index.ndim > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    d = dim % builtins.max(self.ndim, 1)
    shape = [1] * source.ndim
    shape[d] = -1
    idx = index.reshape(shape).expand(*source.shape)
    return self.scatter_reduce(d, idx, source, reduce, include_self=include_self)


@_method
def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
    return self.copy_(self.index_reduce(dim, index, source, reduce, include_self=include_self))


for _name in ("ravel", "put", "index_reduce"):
    def _fn(input, *args, _n=_name, **kwargs):
        return getattr(input, _n)(*args, **kwargs)
    _fn.__name__ = _name
    globals()[_name] = _fn
    __all__.append(_name)


@_export
def fill(input, value):
    """A new tensor of ``input``'s shape and dtype filled with ``value``."""
    return input.clone().fill_(value)


@_export
def zero_(input):
    return input.zero_()


@_export
def split_with_sizes(input, split_sizes, dim=0):
    from ._views import split
    return split(input, list(split_sizes), dim)


Tensor.split_with_sizes = lambda self, split_sizes, dim=0: split_with_sizes(self, split_sizes, dim)

# unsafe_* differ from the safe forms only in skipping autograd's view tracking in PyTorch.
for _safe in ("chunk", "split", "split_with_sizes"):
    def _unsafe(input, *args, _s=_safe, **kwargs):
        return getattr(input, _s)(*args, **kwargs)
    _unsafe.__name__ = "unsafe_" + _safe
    globals()[_unsafe.__name__] = _unsafe
    __all__.append(_unsafe.__name__)
    setattr(Tensor, _unsafe.__name__, _unsafe)


# ---- *_copy: the view op, then a copy that owns its memory ----
def _owned(t):
    """A row-major copy with history (PyTorch's ``*_copy`` results are contiguous, where
    ``clone()`` would keep a transposed view's order)."""
    c = t.contiguous()
    return t.clone() if c is t else c


def _copy_variant(name, op):
    def fn(input, *args, out=None, **kwargs):
        r = op(input, *args, **kwargs)
        r = tuple(_owned(t) for t in r) if isinstance(r, (tuple, list)) else _owned(r)
        if out is not None:
            out.copy_(r)
            return out
        return r

    fn.__name__ = name
    fn.__doc__ = f"A copy of what ``{name[:-5]}`` views."
    globals()[name] = fn
    __all__.append(name)


for _name in ("as_strided", "detach", "diagonal", "permute", "select", "squeeze", "t", "transpose", "unsqueeze",
              "unbind", "unfold", "view", "split", "split_with_sizes", "expand", "narrow"):
    _copy_variant(_name + "_copy", lambda input, *a, _n=_name, **k: getattr(input, _n)(*a, **k))
_copy_variant("alias_copy", lambda input: input.view_as(input))
_copy_variant("slice_copy", lambda input, dim=0, start=None, end=None, step=1: input[
    (slice(None),) * (dim % builtins.max(input.ndim, 1)) + (slice(start, end, step),)])
Tensor.narrow_copy = lambda self, dim, start, length: _owned(self.narrow(dim, start, length))

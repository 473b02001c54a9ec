"""Creation functions with PyTorch's signatures, over the native primitives."""
import builtins
import math

from . import _native
from ._native import Tensor, get_default_dtype
from . import _dtypes
from . import _device


def _shape(size):
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(ember.Size(...))`` all mean (2, 3)."""
    if len(size) == 1 and not isinstance(size[0], builtins.int):
        size = size[0]
    if not isinstance(size, (tuple, list)):
        if isinstance(size, Tensor) or not hasattr(size, "__iter__"):
            raise TypeError(f"size must be a tuple of ints, but got {type(size).__name__}")
    out = []
    for i, s in enumerate(size):
        if isinstance(s, (builtins.float, builtins.bool, str)) or not hasattr(s, "__index__"):
            raise TypeError(f"size must be tuple of ints, but found element of type {type(s).__name__} at pos {i}")
        v = s.__index__()
        if not -(1 << 63) <= v < (1 << 63):
            # PyTorch's parser: a size element beyond int64 is a TypeError, not OverflowError
            raise TypeError(f"size must be a tuple of ints: the element {v} at pos {i + 1} failed to unpack "
                            f"(Overflow when unpacking long long: it does not fit in 64 bits)")
        out.append(v)
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(out)}")
    return out


def _check_device(device):
    """The device to create on (None → the default device), or PyTorch's error for one without
    kernels here."""
    return _device.resolve(device)


def _on(t, device):
    """``t`` moved to ``device`` (only small, data-defined tensors take this path to meta)."""
    return t if device.type == "cpu" else t.to(device)


def _move(dev):
    """Where a tensor generated on the host must go: None for the CPU, else the device (random
    numbers and eye are made by the host kernels, then copied, as the wgpu backend has no RNG)."""
    return None if dev.type == "cpu" else dev


def _finish(t, requires_grad, dev=None):
    if dev is not None:
        t = t.to(dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor that copies ``data`` (nested lists, numbers, numpy arrays, tensors)."""
    dev = _check_device(device)
    # (a list is never an array: no failed hasattr, whose AttributeError costs ~0.4 µs)
    if not isinstance(data, (list, Tensor)) and hasattr(data, "__array_interface__"):
        from ._exchange import from_numpy
        import numpy as np

        t = from_numpy(np.asarray(data))  # np.asarray: numpy scalars become 0-d arrays
        t = t.clone() if dtype is None else t.to(dtype).clone()
        return _finish(_on(t, dev), requires_grad)
    if isinstance(data, Tensor) and data.is_meta:
        t = data.detach() if dtype is None else data.detach().to(dtype)
        return _finish(_on(t.clone(), dev), requires_grad)
    return _finish(_on(_native._tensor(data, dtype), dev), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Shares memory with ``data`` when it already is a tensor (or a numpy array) of ``dtype``."""
    dev = _check_device(device)
    if isinstance(data, Tensor):
        t = data if dtype is None else data.to(dtype)
        return t if device is None else t.to(dev)
    if hasattr(data, "__array_interface__"):
        from ._exchange import from_numpy
        import numpy as np

        t = from_numpy(np.asarray(data))
        return _on(t if dtype is None else t.to(dtype), dev)
    return _on(_native._tensor(data, dtype), dev)


def _dt(dtype):
    return get_default_dtype() if dtype is None else dtype


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    return _finish(_device.zeros(_shape(size), _dt(dtype), _check_device(device)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    return _finish(_device.full(_shape(size), 1, _dt(dtype), _check_device(device)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False, memory_format=None):
    return _finish(_device.empty(_shape(size), _dt(dtype), _check_device(device)), requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    dev = _check_device(device)
    if dtype is None:
        if isinstance(fill_value, builtins.bool):
            dtype = _dtypes.bool
        elif isinstance(fill_value, builtins.int):
            dtype = _dtypes.int64
        elif isinstance(fill_value, builtins.complex):
            dtype = get_default_dtype().to_complex()
        else:
            dtype = get_default_dtype()
    return _finish(_device.full(_shape((size,)), fill_value, dtype, dev), requires_grad)


def _like_strides(t, memory_format):
    """The strides of a ``*_like`` result (None: row-major). ``preserve_format`` (the default)
    keeps ``t``'s memory order as PyTorch does: its strides when dense, else dense in its
    order (``empty_like(x.t())`` is transposed)."""
    from ._memory_format import _ORDER, _check_rank, _strides_for, contiguous_format, preserve_format
    if memory_format is contiguous_format:
        return None
    if memory_format is None or memory_format is preserve_format:
        if getattr(t, "is_sparse", False):
            return None
        return t._preserve_strides()
    if memory_format not in _ORDER:
        raise RuntimeError(f"unsupported memory format {memory_format}")
    _check_rank(t, memory_format)
    return _strides_for(list(t.shape), _ORDER[memory_format][1])


def _like(fn, t, dtype, requires_grad, device=None, memory_format=None, **kw):
    dev = t.device if device is None else device
    out = fn(list(t.shape), dtype=t.dtype if dtype is None else dtype, device=dev, **kw)
    strides = _like_strides(t, memory_format)
    if strides is not None and out.device.type != "wgpu" and tuple(strides) != out.stride():
        # the same fresh storage (values are all alike or i.i.d.), walked in t's order
        out = out._resize_geometry_(list(t.shape), list(strides))
    return _finish(out, requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    return _like(zeros, input, dtype, requires_grad, device, memory_format)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    return _like(ones, input, dtype, requires_grad, device, memory_format)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    return _like(empty, input, dtype, requires_grad, device, memory_format)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    return _like(lambda shape, **kw: full(shape, fill_value, **kw), input, dtype, requires_grad, device, memory_format)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    return _like(rand, input, dtype, requires_grad, device, memory_format)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    return _like(randn, input, dtype, requires_grad, device, memory_format)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    if high is None:
        low, high = 0, low
    return _like(lambda shape, **kw: randint(low, high, shape, **kw), input, dtype, requires_grad, device, memory_format)


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """``arange(end)``, ``arange(start, end, step)``; int64 unless any bound is a float."""
    dev = _check_device(device)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        dtype = _dtypes.int64 if builtins.all(isinstance(v, builtins.int) for v in vals) else get_default_dtype()
    return _finish(_on(_native._arange(*vals, dtype), dev), requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Deprecated in PyTorch: like arange but includes ``end``."""
    if end is None:
        start, end = 0, start
    n = builtins.int(math.floor((end - start) / step)) + 1
    return _finish(_native._linspace(start, start + (n - 1) * step, n, _dt(dtype)), requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    dev = _check_device(device)
    if not isinstance(steps, builtins.int) or steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative, got {steps}")
    s, e = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    if isinstance(s, builtins.complex) or isinstance(e, builtins.complex) or (dtype is not None and dtype.is_complex):
        # complex endpoints: the real and imaginary parts run evenly, each in the part dtype
        d = dtype or get_default_dtype().to_complex()
        s, e = builtins.complex(s), builtins.complex(e)
        re = _native._linspace(s.real, e.real, steps, d.to_real())
        im = _native._linspace(s.imag, e.imag, steps, d.to_real())
        return _finish(_on(_native._complex(re, im), dev), requires_grad)
    return _finish(_on(_native._linspace(builtins.float(s), builtins.float(e), steps, _dt(dtype)), dev), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    dev = _check_device(device)
    if isinstance(start, builtins.complex) or isinstance(end, builtins.complex) or (dtype is not None and dtype.is_complex):
        d = dtype or get_default_dtype().to_complex()
        exps = linspace(builtins.complex(start), builtins.complex(end), steps, dtype=_dtypes.complex128)
        vals = [base ** e for e in exps.tolist()]
        return _finish(_on(_native._tensor(vals, d) if vals else zeros(0, dtype=d), dev), requires_grad)
    exps = _native._linspace(builtins.float(start), builtins.float(end), steps, _dtypes.float64)
    vals = [base ** e for e in exps.tolist()]
    return _finish(_on(_native._tensor(vals, _dt(dtype)) if vals else zeros(0, dtype=_dt(dtype)), dev), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    dev = _check_device(device)
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if dev.type == "meta":
        return _finish(_device.empty([n, n if m is None else m], _dt(dtype), dev), requires_grad)
    return _finish(_native._eye(n, n if m is None else m, _dt(dtype)), requires_grad, _move(dev))


def _float_dtype(dtype, fn):
    d = _dt(dtype)
    if not (d.is_floating_point or d.is_complex):
        raise RuntimeError(f'"{fn}" not implemented for \'{d.name.capitalize()}\'; use a floating dtype')
    return d


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    """Uniform samples in [0, 1)."""
    dev, d = _check_device(device), _float_dtype(dtype, "check_uniform_bounds")
    if dev.type == "meta":
        return _finish(_device.empty(_shape(size), d, dev), requires_grad)
    if d.is_complex:  # each part uniform in [0, 1)
        pairs = _native._uniform(_shape(size) + [2], d.to_real(), 0.0, 1.0, generator)
        return _finish(_native._view_as_complex(pairs), requires_grad, _move(dev))
    return _finish(_native._uniform(_shape(size), d, 0.0, 1.0, generator), requires_grad, _move(dev))


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    """Standard normal samples."""
    dev, d = _check_device(device), _float_dtype(dtype, "normal_kernel_cpu")
    if dev.type == "meta":
        return _finish(_device.empty(_shape(size), d, dev), requires_grad)
    if d.is_complex:  # E|z|² = 1: each part has variance 1/2, as in PyTorch
        pairs = _native._normal(_shape(size) + [2], d.to_real(), 0.0, 0.5 ** 0.5, generator)
        return _finish(_native._view_as_complex(pairs), requires_grad, _move(dev))
    return _finish(_native._normal(_shape(size), d, 0.0, 1.0, generator), requires_grad, _move(dev))


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """Uniform integers in [low, high); ``randint(high, size)`` is accepted too."""
    dev = _check_device(device)
    if size is None:
        if high is None:
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if dev.type == "meta":
        if low >= high:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        return _finish(_device.empty(_shape((size,)), dtype or _dtypes.int64, dev), requires_grad)
    return _finish(_native._randint(low, high, _shape((size,)), dtype or _dtypes.int64, generator), requires_grad, _move(dev))


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    dev = _check_device(device)
    if dev.type == "meta":
        return _finish(_device.empty([n], dtype or _dtypes.int64, dev), requires_grad)
    return _finish(_native._randperm(n, dtype or _dtypes.int64, generator), requires_grad, _move(dev))


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, out=None, device=None, requires_grad=False):
    """Normal samples; ``mean``/``std`` may be tensors (then they set the shape)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        if isinstance(std, Tensor) and (std < 0).any().item() if hasattr(std, "any") else False:
            raise RuntimeError("normal expects all elements of std >= 0.0")
        z = _native._normal(list(ref.shape), ref.dtype if ref.dtype.is_floating_point else get_default_dtype(), 0.0, 1.0, generator)
        return z * std + mean
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return _finish(_native._normal(_shape((size if size is not None else (),)), _dt(dtype), builtins.float(mean), builtins.float(std), generator), requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples with probability ``input`` (or the scalar ``p``)."""
    if p is not None:
        input = full_like(input, p, dtype=input.dtype if input.dtype.is_floating_point else get_default_dtype())
    return _native._bernoulli(input, generator)


def manual_seed(seed):
    _native.manual_seed(builtins.int(seed))
    return _native.Generator().manual_seed(builtins.int(seed))


def seed():
    import time

    s = time.time_ns() & ((1 << 63) - 1)
    _native.manual_seed(s)
    return s

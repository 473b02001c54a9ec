"""Tensor builders and index helpers: window functions, ``tril_indices``/``triu_indices``,
``cartesian_prod``, ``combinations``, ``block_diag``, ``vander``, ``unravel_index``, ``isin``,
``scalar_tensor``, ``empty_strided``, ``asarray``, and the ``*_scatter`` family (the inverse of a
view: a copy of ``input`` with ``src`` written where the view would look)."""
import builtins
import itertools
import math

from . import _native, _dtypes
from ._native import Tensor

__all__ = []


def _export(fn):
    __all__.append(fn.__name__)
    return fn


def _finish(t, dtype, device, requires_grad):
    if device is not None:
        t = t.to(device)
    if requires_grad:
        t.requires_grad_(True)
    return t


# ---- window functions (for spectral analysis; PyTorch's periodic default) ----
def _window(name, n, periodic, dtype, device, requires_grad, fn):
    dt = _native.get_default_dtype() if dtype is None else dtype
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dt}")
    if n < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={n}")
    from ._limits import check_alloc
    check_alloc(name, (n,), 32)  # built as a Python list of floats (~32 bytes each) first
    if n == 0:
        vals = []
    elif n == 1:
        vals = [1.0]
    else:
        # A periodic window of length n is the symmetric window of length n + 1 without its last point.
        m = n + 1 if periodic else n
        vals = [fn(k, m) for k in range(n)]
    t = _native._tensor(vals, dt) if vals else _native._zeros([0], dt)
    return _finish(t, dt, device, requires_grad)


@_export
def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """0.5 − 0.5·cos(2πk/(N−1))."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, m: 0.5 - 0.5 * math.cos(2 * math.pi * k / (m - 1)))


@_export
def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None, device=None,
                   requires_grad=False):
    """α − β·cos(2πk/(N−1))."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, m: alpha - beta * math.cos(2 * math.pi * k / (m - 1)))


@_export
def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """0.42 − 0.5·cos(2πk/(N−1)) + 0.08·cos(4πk/(N−1))."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, m: 0.42 - 0.5 * math.cos(2 * math.pi * k / (m - 1)) + 0.08 * math.cos(4 * math.pi * k / (m - 1)))


@_export
def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The triangular window 1 − |2k/(N−1) − 1|."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, m: 1.0 - abs(2.0 * k / (m - 1) - 1.0))


def _i0(x):
    """The modified Bessel function I0 by its power series (converges for every real x)."""
    term, total, k = 1.0, 1.0, 1
    q = x * x / 4.0
    while term > 1e-17 * total:
        term *= q / (k * k)
        total += term
        k += 1
    return total


@_export
def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """I0(β·sqrt(1 − (2k/(N−1) − 1)²)) / I0(β)."""
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, m: _i0(beta * math.sqrt(builtins.max(0.0, 1.0 - (2.0 * k / (m - 1) - 1.0) ** 2))) / _i0(beta))


# ---- index builders ----
def _tri_indices(row, col, offset, lower, dtype, device):
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else f"col must be non-negative, got{col}")
    dt = _dtypes.int64 if dtype is None else dtype
    if dt not in (_dtypes.int64, _dtypes.int32):
        raise RuntimeError(f'"tril_indices" not implemented for \'{dt.name.capitalize()}\'')
    # Vectorised (a Python loop over `row` hung on tril_indices(2**31, 2**31)); the result is
    # at most row*col pairs, refused up front when that can't fit.
    from ._limits import check_alloc
    check_alloc("tril_indices" if lower else "triu_indices", (2, row * col), 8)
    from . import arange, stack, zeros
    i = arange(row)
    if lower:
        start, n = zeros(row, dtype=_dtypes.int64), (i + offset + 1).clamp(0, col)
    else:
        start = (i + offset).clamp(0, col)
        n = col - start
    total = int(n.sum().item()) if row else 0
    if total == 0:
        t = _native._zeros([2, 0], dt)
    else:
        first = n.cumsum(0) - n  # where each row's run begins in the output
        k = arange(total) - first.repeat_interleave(n)
        t = stack([i.repeat_interleave(n), k + start.repeat_interleave(n)]).to(dt)
    return _finish(t, dt, device, False)


@_export
def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) coordinates of the lower triangle (on and below diagonal ``offset``), row-major."""
    return _tri_indices(row, col, offset, True, dtype, device)


@_export
def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) coordinates of the upper triangle (on and above diagonal ``offset``), row-major."""
    return _tri_indices(row, col, offset, False, dtype, device)


def _one_d(tensors, fn):
    ts = list(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else list(tensors)
    for t in ts:
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}(): expected Tensor, got {type(t).__name__}")
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    return ts


@_export
def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, as rows (itertools.product order)."""
    from ._ops_index import meshgrid, stack
    ts = _one_d(tensors, "cartesian_prod")
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


@_export
def combinations(input, r=2, with_replacement=False):
    """Rows of ``r`` elements of a 1-D tensor, in itertools.combinations order."""
    if not isinstance(input, Tensor) or input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape) if isinstance(input, Tensor) else []}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _native._zeros([0], input.dtype)
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = [i for c in gen(range(input.shape[0]), r) for i in c]
    if not idx:
        return _native._zeros([0, r], input.dtype)
    return input.index_select(0, _native._tensor(idx, _dtypes.int64)).reshape(-1, r)


@_export
def block_diag(*tensors):
    """A block-diagonal matrix of the inputs (0-d → 1×1, 1-d → one row); dtypes promote."""
    from ._ops_index import cat
    ts = []
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"block_diag(): argument 'tensors' must be tuple of Tensors, not {type(t).__name__}")
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.ndim} dimensions")
        ts.append(t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t)
    if not ts:
        return _native._zeros([1, 0], _native.get_default_dtype())
    dt = ts[0].dtype
    for t in ts[1:]:
        dt = _native.promote_types(dt, t.dtype)
    width = builtins.sum(t.shape[1] for t in ts)
    rows, left = [], 0
    for t in ts:
        h, w = t.shape
        parts = []
        if left:
            parts.append(_native._zeros([h, left], dt))
        parts.append(t.to(dt))
        if width - left - w:
            parts.append(_native._zeros([h, width - left - w], dt))
        rows.append(cat(parts, 1) if len(parts) > 1 else parts[0])
        left += w
    return cat(rows, 0)


@_export
def vander(x, N=None, increasing=False):
    """Columns x^(N−1) … x^0 (or x^0 … x^(N−1) when ``increasing``); ints stay int64."""
    from ._ops_index import stack
    if not isinstance(x, Tensor) or x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    base = x.to(_dtypes.int64) if not x.dtype.is_floating_point else x
    if n == 0:
        return _native._zeros([x.shape[0], 0], base.dtype)
    cols = [base.new_ones(base.shape)]
    for _ in range(n - 1):
        cols.append(cols[-1] * base)
    out = stack(cols, 1)
    return out if increasing else out.flip(1)


@_export
def unravel_index(indices, shape):
    """Flat indices → a tuple of coordinate tensors for an array of ``shape`` (row-major)."""
    if not isinstance(indices, Tensor):
        indices = _native._tensor(indices, None)
    if indices.dtype.is_floating_point or indices.dtype.name == "bool":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = [shape] if isinstance(shape, int) else list(shape)
    for s in shape:
        if s < 0:
            raise ValueError("'shape' cannot have negative values, but got " + str(tuple(shape)))
    # Floor division and modulo per dim (PyTorch wraps out-of-range and negative indices this way).
    rem = indices.to(_dtypes.int64)
    out = []
    for s in reversed(shape):
        out.append(rem % s)
        rem = rem // s
    return tuple(reversed(out))


@_export
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an element of ``elements`` occurs in ``test_elements`` (either may be a scalar)."""
    from ._ops_index import searchsorted
    scalar = not isinstance(elements, Tensor)
    e = _native._tensor(elements, None) if scalar else elements
    t = test_elements if isinstance(test_elements, Tensor) else _native._tensor([test_elements], None)
    dt = _native.promote_types(e.dtype, t.dtype)
    e, t = e.to(dt), t.reshape(-1).to(dt)
    if t.numel() == 0:
        r = e.new_zeros(e.shape).bool() if e.ndim else _native._tensor(False, _dtypes.bool)
    else:
        # Binary search in the sorted test set, then compare with the element found.
        s = t.sort()[0]
        pos = searchsorted(s, e.reshape(-1)).clamp(max=s.numel() - 1)
        r = (s.gather(0, pos) == e.reshape(-1)).reshape(e.shape)
    return ~r if invert else r


@_export
def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=None):
    """A 0-dim tensor of ``s`` (default dtype unless ``dtype`` is given, as PyTorch does)."""
    dt = _native.get_default_dtype() if dtype is None else dtype
    if isinstance(s, Tensor):
        s = s.item()
    return _finish(_native._tensor(s, dt), dt, device, requires_grad)


@_export
def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialised tensor with the given sizes and strides (over the smallest storage)."""
    size, stride = list(size), list(stride)
    for what, seq in (("size", size), ("stride", stride)):
        for i, v in enumerate(seq):
            if isinstance(v, builtins.int) and not -(1 << 63) <= v < (1 << 63):
                raise TypeError(f"empty_strided(): argument '{what}' failed to unpack the object at pos {i + 1} "
                                f"with error \"Overflow when unpacking long long\": {v} does not fit in 64 bits")
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(size)} sizes, {len(stride)} strides")
    dt = _native.get_default_dtype() if dtype is None else dtype
    n = 1 + builtins.sum((s - 1) * st for s, st in zip(size, stride)) if all(s > 0 for s in size) else 0
    base = _native._zeros([n], dt)
    return _finish(base.as_strided(size, stride), dt, device, requires_grad)


@_export
def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """Like ``as_tensor`` (shares memory when it can), with ``copy=True`` forcing a copy and
    ``copy=False`` refusing one."""
    from ._creation import as_tensor, tensor
    if copy:
        t = tensor(obj, dtype=dtype, device=device)
    else:
        t = as_tensor(obj, dtype=dtype, device=device)
        if copy is False:
            same = t is obj or (isinstance(obj, Tensor) and t.data_ptr() == obj.data_ptr())
            if not same and (isinstance(obj, Tensor) or hasattr(obj, "__array_interface__")):
                raise ValueError("can't alias tensor from device or dtype without a copy; pass copy=None or copy=True")
    if requires_grad:
        t.requires_grad_(True)
    return t


# ---- scatter family: a copy of input with src written where the view would look ----
def _scatter_into(input, src, view_fn, fn):
    out = input.clone()
    view = view_fn(out)
    if tuple(view.shape) != tuple(src.shape):
        raise RuntimeError(f"{fn}: expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(view.shape)}")
    view.copy_(src)
    return out


@_export
def select_scatter(input, src, dim, index):
    return _scatter_into(input, src, lambda t: t.select(dim, index), "select_scatter")


@_export
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    def view(t):
        n = t.shape[dim]
        s, e, _ = slice(start, end, step).indices(n)
        sl = [slice(None)] * t.ndim
        sl[dim] = slice(s, builtins.max(e, s), step)
        return t[tuple(sl)]
    return _scatter_into(input, src, view, "slice_scatter")


@_export
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    return _scatter_into(input, src, lambda t: t.diagonal(offset, dim1, dim2), "diagonal_scatter")


@_export
def as_strided_scatter(input, src, size, stride, storage_offset=None):
    def view(t):
        return t.as_strided(size, stride, storage_offset) if storage_offset is not None else t.as_strided(size, stride)
    return _scatter_into(input.contiguous(), src, view, "as_strided_scatter")


for _f in (select_scatter, slice_scatter, diagonal_scatter, as_strided_scatter):
    setattr(Tensor, _f.__name__, _f)

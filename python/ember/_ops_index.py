"""Indexing, gathering, sorting and shape-building ops: ``ember.cat``, ``ember.gather``,
``ember.sort``, … and the Python-side Tensor methods of this family (composites of the
native ones: ``sort``/``topk`` named tuples, ``unique``, ``tile``, ``repeat_interleave`` …)."""
from ._ops_reduce import return_types

from . import _native, _out_forms
from ._native import Tensor

__all__ = []


def _export(fn):
    __all__.append(fn.__name__)
    return fn


def _method(fn):
    setattr(Tensor, fn.__name__, fn)
    return fn


def _forward(name):
    globals()[name] = _out_forms.forwarder(name)
    __all__.append(name)


# The named tuples PyTorch returns (torch.return_types.sort etc.).
sort_result = return_types.sort
topk_result = return_types.topk


@_method
def sort(self, dim=-1, descending=False, stable=False):
    """Stable sort along ``dim`` (NaN sorts greatest); returns (values, indices)."""
    return sort_result(*self._sort(dim, descending))


@_method
def msort(self):
    return self._sort(0, False)[0]


@_method
def topk(self, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) elements along ``dim``, always sorted."""
    return topk_result(*self._topk(k, dim, largest))


@_method
def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Unique elements of the flattened tensor, sorted (``dim`` must be None)."""
    if dim is not None:
        raise NotImplementedError("unique(dim=...) is not supported by ember yet; use dim=None (flattened input)")
    vals, inverse, counts = self._unique(False)
    out = (vals,) + ((inverse,) if return_inverse else ()) + ((counts,) if return_counts else ())
    return out[0] if len(out) == 1 else out


@_method
def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
    if dim is not None:
        raise NotImplementedError("unique_consecutive(dim=...) is not supported by ember yet; use dim=None")
    vals, inverse, counts = self._unique(True)
    out = (vals,) + ((inverse,) if return_inverse else ()) + ((counts,) if return_counts else ())
    return out[0] if len(out) == 1 else out


@_method
def take_along_dim(self, indices, dim=None):
    """``gather`` with ``indices`` broadcast against ``self`` in every dim but ``dim``."""
    if dim is None:
        return self.reshape(-1).gather(0, indices.reshape(-1))
    n = self.ndim
    d = dim + n if dim < 0 else dim
    if indices.ndim != n:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {n} dimensions for input, and {indices.ndim} dimensions for indices")
    from ._functions import broadcast_shapes
    a, b = list(self.shape), list(indices.shape)
    a[d] = b[d] = 1
    shape = list(broadcast_shapes(a, b))
    s1, s2 = list(shape), list(shape)
    s1[d], s2[d] = self.shape[d], indices.shape[d]
    # Along a dim, PyTorch's take_along_dim counts negative indices from the end (gather doesn't).
    if isinstance(indices, Tensor) and not indices.dtype.is_floating_point and indices.device.type != "meta":
        indices = indices.where(indices >= 0, indices + self.shape[d])
    return self.expand(*s1).gather(d, indices.expand(*s2))


@_method
def repeat_interleave(self, repeats, dim=None, *, output_size=None):
    """Repeats each element ``repeats`` times (an int, or one count per element of ``dim``)."""
    from . import tensor, int64
    x = self.reshape(-1) if dim is None else self
    d = 0 if dim is None else dim
    n = x.shape[d] if x.ndim else 1
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        reps = repeats.tolist() if repeats.ndim else [repeats.item()] * n
    else:
        reps = [int(repeats)] * n
    if len(reps) != n:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = {len(reps)} "
                           f"and input.size({d}) = {n}")
    if any(r < 0 for r in reps):
        raise RuntimeError("repeats can not be negative")
    from ._limits import check_alloc
    from ._creation import arange, zeros
    total = sum(reps)
    out_shape = list(x.shape) if x.ndim else [1]
    out_shape[d] = total
    # Checked before anything sized by `repeats` is built (an index of `total` int64s, then the output).
    check_alloc("repeat_interleave", [total], 8, copies=2)
    check_alloc("repeat_interleave", out_shape, x.element_size())
    if len(set(reps)) <= 1:
        idx = arange(n).unsqueeze(1).expand(n, reps[0] if reps else 0).reshape(-1)
    else:
        # Element i starts at cumsum(reps)[i-1]: mark each start, and a running sum of the
        # marks is the source index of every output position (zero repeats mark twice, skipping).
        starts = tensor(reps, dtype=int64).cumsum(0)[:-1]
        starts = starts[starts < total]
        marks = zeros(total, dtype=int64).index_add_(0, starts, tensor([1], dtype=int64).expand(starts.shape[0]))
        idx = marks.cumsum(0)
    return x.index_select(d, idx)


@_method
def tile(self, dims):
    dims = tuple(dims) if not isinstance(dims, int) else (dims,)
    if len(dims) < self.ndim:
        dims = (1,) * (self.ndim - len(dims)) + dims
    return self.repeat(*dims)


@_method
def fliplr(self):
    if self.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return self.flip(1)


@_method
def flipud(self):
    if self.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return self.flip(0)


@_method
def rot90(self, k=1, dims=(0, 1)):
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    d0, d1 = dims
    # An int only: `k %= 4` on a tensor would rewrite the caller's tensor in place.
    if isinstance(k, Tensor) or not hasattr(type(k), "__index__"):
        raise TypeError(f"rot90(): argument 'k' must be int, not {type(k).__name__}")
    k = k.__index__() % 4
    if k == 1:
        return self.flip(d1).transpose(d0, d1)
    if k == 2:
        return self.flip(d0, d1)
    if k == 3:
        return self.flip(d0).transpose(d0, d1)
    return self.clone()


@_method
def diagflat(self, offset=0):
    return self.reshape(-1).diag(offset)


@_method
def tril_(self, diagonal=0):
    return self.copy_(self.tril(diagonal))


@_method
def triu_(self, diagonal=0):
    return self.copy_(self.triu(diagonal))


for _name in ["gather", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add", "index_copy",
              "index_fill", "index_put", "index_put_", "take", "take_along_dim", "masked_select", "masked_scatter",
              "nonzero", "argwhere", "sort", "argsort", "msort", "topk", "unique", "unique_consecutive", "flip",
              "fliplr", "flipud", "roll", "rot90", "tile", "tril", "triu", "diag", "diag_embed",
              "diagflat", "trace", "isclose", "allclose", "equal", "bincount", "histc"]:
    _forward(_name)


def _tensors(tensors, fn):
    if not isinstance(tensors, (list, tuple)):
        # (a str or a Tensor iterates, but PyTorch's parser takes only a sequence of Tensors)
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return list(tensors)


@_export
def cat(tensors, dim=0, *, out=None):
    """Concatenates along ``dim``; dtypes promote, 1-D empty tensors are skipped."""
    ts = _tensors(tensors, "cat")
    if not ts:  # PyTorch's argument parser raises ValueError here, before the kernel
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    r = _native.cat(ts, dim)
    return r if out is None else out.copy_(r)


concat = concatenate = cat
__all__ += ["concat", "concatenate"]


@_export
def stack(tensors, dim=0, *, out=None):
    r = _native.stack(_tensors(tensors, "stack"), dim)
    return r if out is None else out.copy_(r)


@_export
def atleast_1d(*tensors):
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = [t.reshape(1) if t.ndim == 0 else t for t in ts]
    return out[0] if len(out) == 1 else tuple(out)


@_export
def atleast_2d(*tensors):
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = [t.reshape(1, 1) if t.ndim == 0 else t.unsqueeze(0) if t.ndim == 1 else t for t in ts]
    return out[0] if len(out) == 1 else tuple(out)


@_export
def atleast_3d(*tensors):
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors

    def one(t):
        if t.ndim == 0:
            return t.reshape(1, 1, 1)
        if t.ndim == 1:
            return t.reshape(1, -1, 1)
        if t.ndim == 2:
            return t.unsqueeze(-1)
        return t

    out = [one(t) for t in ts]
    return out[0] if len(out) == 1 else tuple(out)


@_export
def hstack(tensors):
    ts = [atleast_1d(t) for t in _tensors(tensors, "hstack")]
    return cat(ts, 0 if all(t.ndim == 1 for t in ts) else 1)


@_export
def vstack(tensors):
    return cat([atleast_2d(t) for t in _tensors(tensors, "vstack")], 0)


row_stack = vstack
__all__.append("row_stack")


@_export
def dstack(tensors):
    return cat([atleast_3d(t) for t in _tensors(tensors, "dstack")], 2)


@_export
def column_stack(tensors):
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in _tensors(tensors, "column_stack")], 1)


@_export
def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids (expanded views) from 1-D tensors; ``indexing='xy'`` swaps the
    first two output dims, as NumPy does."""
    ts = list(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else list(tensors)
    if indexing not in ("ij", "xy"):
        raise ValueError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.ndim}D")
    ts = [t.reshape(-1) for t in ts]
    pos = list(range(len(ts)))
    if indexing == "xy" and len(ts) >= 2:
        pos[0], pos[1] = 1, 0
    shape = [0] * len(ts)
    for p, t in zip(pos, ts):
        shape[p] = t.shape[0]
    out = []
    for p, t in zip(pos, ts):
        view = [1] * len(ts)
        view[p] = -1
        out.append(t.reshape(*view).expand(*shape))
    return tuple(out)


@_export
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Insertion points of ``input`` in ``sorted_sequence`` (its last dim)."""
    from . import tensor
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if side == "left" and right:
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    scalar = not isinstance(input, Tensor)
    values = tensor(input, dtype=sorted_sequence.dtype) if scalar else input
    if sorter is not None:
        sorted_sequence = sorted_sequence.gather(-1, sorter)
    if scalar:
        values = values.reshape(1) if sorted_sequence.ndim == 1 else values
    r = sorted_sequence._searchsorted(values, right, out_int32)
    return r.reshape(()) if scalar and sorted_sequence.ndim == 1 else r


@_export
def bucketize(input, boundaries, *, out_int32=False, right=False):
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


@_export
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """``input.repeat_interleave(repeats, dim)``; with one tensor argument, repeats the
    indices ``0..len(input)-1`` by the counts in ``input``."""
    if repeats is None:
        from . import arange
        return arange(input.shape[0]).repeat_interleave(input)
    return input.repeat_interleave(repeats, dim)


def cdist(x1, x2, p=2.0, compute_mode=None):
    """Pairwise p-norm distances between the rows of ``x1`` (…, P, M) and ``x2`` (…, R, M) → (…, P, R).

    Composed from differentiable ops (difference, abs, power, sum), so autograd works; at
    zero distance the p=2 gradient follows PyTorch's convention of 0 (sqrt's slope is masked)."""
    from ._native import Tensor

    if not isinstance(x1, Tensor) or not isinstance(x2, Tensor):
        raise TypeError("cdist(): x1 and x2 must be Tensors")
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    diff = (x1.unsqueeze(-2) - x2.unsqueeze(-3)).abs()
    if p == 0:
        return (diff != 0).to(diff.dtype).sum(-1)
    if p == float("inf"):
        return diff.amax(-1)
    if p == 1:
        return diff.sum(-1)
    s = diff.pow(p).sum(-1)
    if p == 2:
        # sqrt with a zero-safe gradient: where s == 0 the distance is 0 and so is its slope.
        safe = s.where(s > 0, s.new_ones(()))
        return safe.sqrt().where(s > 0, s.new_zeros(()))
    return s.pow(1.0 / p)


__all__.append("cdist")

"""ember._indexing: advanced indexing, ``x[idx]`` / ``x[idx] = v`` when idx holds tensors,
lists or bools (the native ``__getitem__`` handles ints/slices/None/Ellipsis alone).

Algorithm: walk the index left to right over a *view* of x. ints, slices and None are
applied as views at once (like PyTorch, an int selects before advanced indexing, so it
never counts as an advanced index); each integer tensor or list claims one dim; a bool mask
claims as many dims as it has and becomes its ``nonzero()`` columns; a Python bool (or a
0-dim bool tensor) adds a size-1 dim indexed by ``[0]`` (True) or ``[]`` (False). What is
left is one optional index tensor per dim of the view, handed to the native gather
(``_index``) or scatter (``index_put_``), which place the broadcast index dims where
NumPy does: in place when the indexed dims are adjacent, else in front.
"""
import operator

from ._native import Tensor


def _as_tensor(it):
    from . import tensor, int64
    if isinstance(it, range):
        it = list(it)
    if isinstance(it, (list, tuple)) and len(it) == 0:
        return tensor([], dtype=int64)
    return tensor(it)


def _expand(t, idx):
    """(view of t, [index tensor or None per dim of the view])."""
    from . import arange
    if not isinstance(idx, tuple):
        idx = (idx,)
    items = []
    for it in idx:
        if isinstance(it, (list, range)) or (not isinstance(it, (Tensor, bool, int, slice)) and hasattr(it, "__array__")):
            it = _as_tensor(it)
        items.append(it)

    def claims(it):
        if it is None or it is Ellipsis or isinstance(it, bool):
            return 0
        if isinstance(it, Tensor):
            return it.ndim if it.dtype.name in ("bool", "uint8") else 1
        return 1

    if sum(it is Ellipsis for it in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(claims(it) for it in items)
    if consumed > t.ndim:
        raise IndexError(f"too many indices for tensor of dimension {t.ndim}")
    cur, dim, adv = t, 0, {}
    for it in items:
        if it is None:
            cur = cur.unsqueeze(dim)
            dim += 1
        elif it is Ellipsis:
            dim += t.ndim - consumed
        elif isinstance(it, bool) or (isinstance(it, Tensor) and it.dtype.name == "bool" and it.ndim == 0):
            cur = cur.unsqueeze(dim)
            adv[dim] = arange(1 if bool(it) else 0)
            dim += 1
        elif isinstance(it, slice):
            cur = cur[(slice(None),) * dim + (it,)]
            dim += 1
        elif isinstance(it, Tensor):
            if it.dtype.name in ("bool", "uint8"):
                for i in range(it.ndim):
                    if it.shape[i] != cur.shape[dim + i]:
                        raise IndexError(
                            f"The shape of the mask {list(it.shape)} at index {i} does not match the shape of the "
                            f"indexed tensor {list(cur.shape)} at index {dim + i}")
                nz = it.nonzero()
                for i in range(it.ndim):
                    adv[dim + i] = nz[:, i]
                dim += it.ndim
            elif it.is_floating_point():
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            else:
                adv[dim] = it
                dim += 1
        else:
            try:
                i = operator.index(it)
            except TypeError:
                raise IndexError(
                    "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
                    f"(got {type(it).__name__})") from None
            size = cur.shape[dim]
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")
            cur = cur.select(dim, i)
    indices = [adv.get(d) for d in range(max(adv) + 1)] if adv else []
    return cur, indices


def getitem(t, idx):
    cur, indices = _expand(t, idx)
    return cur._index(indices) if indices else cur


def setitem(t, idx, value):
    from . import tensor
    cur, indices = _expand(t, idx)
    if not isinstance(value, Tensor) and not isinstance(value, (int, float, bool)):
        value = tensor(value, dtype=cur.dtype)
    if not indices:
        if isinstance(value, Tensor):
            cur.copy_(value)
        else:
            cur.fill_(value)
        return
    cur.index_put_(indices, value)

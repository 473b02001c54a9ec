"""Indexing of the standard's array object, over ember.Tensor's own (PyTorch's) indexing.

Two cases differ from PyTorch and are handled here; every other key goes straight to
ember.Tensor.__getitem__/__setitem__:

- a slice with a negative step (`x[::-1]`, `x[5:1:-2]`): ember's strides are never negative, so
  such a dim is read as the positive-step slice over the same elements (a view) and flipped;
  writes go through that view with the value flipped to match;
- a boolean mask with a dim of length 0 (`x[mask]` with mask.shape == (0, 3) and x.shape ==
  (2, 3)): it selects nothing, giving shape (0,) + x.shape[mask.ndim:], where PyTorch requires
  every mask dim to equal the indexed one.
"""
import operator

import ember
from ember import Tensor

_get = Tensor.__getitem__
_set = Tensor.__setitem__


def _reversed_slice(s):
    return type(s) is slice and s.step is not None and operator.index(s.step) < 0


def _zero_length_mask(key, x):
    """The bool mask `key` selects nothing through a length-0 dim that PyTorch would refuse;
    IndexError for a mask that fits neither x nor the standard's length-0 rule."""
    if not isinstance(key, Tensor) or key.dtype != ember.bool or 0 not in key.shape:
        return False
    if key.ndim > x.ndim or any(k not in (n, 0) for k, n in zip(key.shape, x.shape)):
        raise IndexError(f"boolean index of shape {tuple(key.shape)} does not match the indexed "
                         f"array of shape {tuple(x.shape)}")
    return tuple(key.shape) != tuple(x.shape[:key.ndim])


def _expand(key, x):
    """key as a tuple with its Ellipsis spelled out, and, for each entry, the input dim it
    starts at (None for a None entry, which adds a dim)."""
    key = key if isinstance(key, tuple) else (key,)
    used = sum(k.ndim if isinstance(k, Tensor) and k.dtype == ember.bool else 1
               for k in key if k is not None and k is not Ellipsis)
    out, dims, d = [], [], 0
    for k in key:
        if k is Ellipsis:
            for _ in range(x.ndim - used):
                out.append(slice(None))
                dims.append(d)
                d += 1
            continue
        out.append(k)
        dims.append(None if k is None else d)
        if k is not None:
            d += k.ndim if isinstance(k, Tensor) and k.dtype == ember.bool else 1
    return out, dims


def _forward(key, x):
    """(pre, post, flips): `x[pre]` is a view whose dims in `flips` hold the elements that the
    reversed slices of `key` select, in increasing order; flipping those dims and indexing
    with `post` (reversed slices replaced by `:`) gives the standard's x[key]."""
    entries, dims = _expand(key, x)
    if any(d is not None and d >= x.ndim for k, d in zip(entries, dims) if _reversed_slice(k)):
        raise IndexError(f"too many indices for an array of {x.ndim} dims")
    pre = [slice(None)] * x.ndim
    post, flips = [], []
    for k, d in zip(entries, dims):
        if not _reversed_slice(k):
            post.append(k)
            continue
        r = range(x.shape[d])[k]
        post.append(slice(None))
        pre[d] = slice(r[-1], r[0] + 1, -r.step) if r else slice(0, 0)
        if len(r) > 1:
            flips.append(d)
    return tuple(pre), tuple(post), flips


def _pytorch_key(keys):
    """Whether ember.Tensor's own indexing already gives the standard's answer for `keys`."""
    for k in keys:
        t = type(k)
        if t is slice:
            if k.step is not None and operator.index(k.step) < 0:
                return False
        elif t is not int and k is not None and k is not Ellipsis:
            if isinstance(k, Tensor) and k.dtype == ember.bool and 0 in k.shape:
                return False
    return True


def getitem(x, key):
    """x[key] under the standard's indexing rules (see the module docstring)."""
    keys = key if type(key) is tuple else (key,)
    if _pytorch_key(keys):
        return _get(x, key)
    if len(keys) == 1 and _zero_length_mask(keys[0], x):
        return ember.empty((0,) + tuple(x.shape[keys[0].ndim:]), dtype=x.dtype, device=x.device)
    if not any(_reversed_slice(k) for k in keys):
        return _get(x, key)
    pre, post, flips = _forward(key, x)
    v = _get(x, pre)
    if flips:
        v = ember.flip(v, flips)
    return _get(v, post)


def setitem(x, key, value):
    """x[key] = value under the standard's indexing rules (see the module docstring)."""
    keys = key if type(key) is tuple else (key,)
    if _pytorch_key(keys):
        _set(x, key, value)
        return
    if len(keys) == 1 and _zero_length_mask(keys[0], x):
        return  # nothing is selected
    if not any(_reversed_slice(k) for k in keys):
        _set(x, key, value)
        return
    pre, post, flips = _forward(key, x)
    view = _get(x, pre)  # every entry of pre is a slice: a view of x, so writes land in x
    target = _get(view, post)
    if not isinstance(value, Tensor):
        value = ember.tensor(value, dtype=x.dtype, device=x.device)
    value = ember.broadcast_to(value, target.shape)
    if target.numel() == 0:
        return  # nothing is selected (the value still had to broadcast)
    out_dims = _result_dims(view, post, flips)
    if out_dims:
        value = ember.flip(value, out_dims)
    _set(view, post, value)


def _result_dims(view, post, flips):
    """The dims of view[post] that the input dims `flips` of `view` map to."""
    if not flips:
        return []
    # with only basic entries (ints, slices, None) the positions follow from walking the key
    entries, dims = _expand(post, view)
    if not any(isinstance(k, Tensor) for k in entries):
        out, n = {}, 0
        for k, d in zip(entries, dims):
            if k is None:
                n += 1
            elif isinstance(k, slice):
                out[d] = n
                n += 1
        return [out[d] for d in flips]
    # integer arrays may move the sliced dims: index each element's coordinate along d the same
    # way and see which result dim varies (exactly one does: a flipped slice spans >= 2 elements)
    result = []
    for d in flips:
        shape = [1] * view.ndim
        shape[d] = view.shape[d]
        coord = ember.broadcast_to(ember.arange(view.shape[d]).reshape(shape), view.shape)
        sel = _get(coord, post)
        varying = [i for i in range(sel.ndim) if sel.shape[i] > 1
                   and bool((ember.diff(sel, dim=i) != 0).any())]
        result.append(varying[0])  # the slice's own result dim: the one that varies along d
    return result

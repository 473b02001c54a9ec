"""``default_collate`` (samples → batch) and ``default_convert`` (one sample → tensors).

``collate`` looks the type of the batch's first element up in ``collate_fn_map`` (exact
type first, then ``isinstance``), then handles containers by recursion:
  tensors                 → stacked along a new dim 0 (in a worker: straight into shared memory)
  numpy arrays / scalars  → tensors, then as tensors
  float / int / bool      → a float64 / int64 / bool tensor
  str / bytes             → the list unchanged
  Mapping                 → the same mapping type, each key collated
  namedtuple              → the same namedtuple, each field collated
  Sequence                → transposed and collated element-wise (a tuple gives a list)
"""
import collections.abc
import copy
import re

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map"]

_np_str_obj = re.compile(r"[SaUO]")
_err = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_numpy(x):
    return type(x).__module__ == "numpy" and type(x).__name__ not in ("str_", "string_", "bytes_")


def _numpy_to_tensor(a):
    """A numpy array (or numpy scalar) as a tensor: shared memory via ``ember.from_numpy``
    when the build has it, else one copy of the bytes."""
    import numpy as np
    import ember

    a = np.asarray(a)
    if hasattr(ember, "from_numpy"):
        return ember.as_tensor(a)
    dt = getattr(ember, a.dtype.name, None)
    if not isinstance(dt, ember.dtype):
        raise TypeError(f"can't convert np.ndarray of type numpy.{a.dtype.name}: ember supports bool, uint8, int8, "
                        "int16, int32, int64, float16, bfloat16, float32 and float64")
    return ember._native._from_bytes(np.ascontiguousarray(a).view(np.uint8).reshape(-1), dt, list(a.shape))


def _in_worker():
    from ._worker import get_worker_info

    return get_worker_info() is not None


def collate_tensor_fn(batch, *, collate_fn_map=None):
    import ember

    elem = batch[0]
    shape = tuple(elem._shape)
    for i, t in enumerate(batch):
        if tuple(t._shape) != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                               f"{list(t._shape)} at entry {i}")
    same_dtype = all(t.dtype == elem.dtype for t in batch)
    if _in_worker() and same_dtype:
        # Collate straight into shared memory: sending the batch to the main process then
        # copies nothing.
        out = ember._native._empty_shared([len(batch), *shape], elem.dtype)
        with ember.no_grad():
            for i, t in enumerate(batch):
                out[i] = t
        return out
    if hasattr(ember, "stack"):
        return ember.stack(list(batch), 0)
    if not same_dtype:
        raise TypeError("default_collate: tensors of different dtypes need ember.stack, which this build lacks")
    out = ember.empty([len(batch), *shape], dtype=elem.dtype)
    for i, t in enumerate(batch):
        out[i] = t
    return out


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if _np_str_obj.search(elem.dtype.str) is not None:
        raise TypeError(_err.format(elem.dtype))
    return collate([_numpy_to_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    import numpy as np

    return _numpy_to_tensor(np.asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    import ember

    return ember.tensor(list(batch), dtype=ember.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    import ember

    return ember.tensor(list(batch))


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


def _build_map():
    from ..._native import Tensor

    m = {Tensor: collate_tensor_fn, float: collate_float_fn, int: collate_int_fn, str: collate_str_fn,
         bytes: collate_str_fn}
    try:
        import numpy as np

        m[np.ndarray] = collate_numpy_array_fn
        m[np.memmap] = collate_numpy_array_fn
        m[np.generic] = collate_numpy_scalar_fn
    except ImportError:
        pass
    return m


default_collate_fn_map = _build_map()


def collate(batch, *, collate_fn_map=None):
    """The general collate: handlers for leaf types come from ``collate_fn_map``."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for t in collate_fn_map:
            if isinstance(elem, t):
                return collate_fn_map[t](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem})
                return clone
            return elem_type({key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem})
        except TypeError:
            return {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return elem_type(*(collate(list(samples), collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence) and not isinstance(elem, (str, bytes)):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [collate(list(s), collate_fn_map=collate_fn_map) for s in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, s in enumerate(transposed):
                    clone[i] = collate(list(s), collate_fn_map=collate_fn_map)
                return clone
            return elem_type([collate(list(s), collate_fn_map=collate_fn_map) for s in transposed])
        except TypeError:
            return [collate(list(s), collate_fn_map=collate_fn_map) for s in transposed]
    raise TypeError(_err.format(elem_type))


def default_collate(batch):
    """Merges a list of samples into a batch (see the module docstring for the rules):
    ``default_collate([(t0, 0), (t1, 1)])`` is ``[stack([t0, t1]), tensor([0, 1])]``."""
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """One sample with numpy arrays turned into tensors, containers rebuilt around them
    (used when ``batch_size=None`` disables batching)."""
    from ..._native import Tensor

    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        if type(data).__name__ in ("ndarray", "memmap") and _np_str_obj.search(data.dtype.str) is not None:
            return data
        return _numpy_to_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return type(data)({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data

"""The split family and friends: every piece is a view (native narrow/select/expand/reshape),
so pieces share storage with the input and autograd flows through them."""
import builtins

from ._native import Tensor

__all__ = ["chunk", "split", "unbind", "tensor_split", "hsplit", "vsplit", "dsplit", "broadcast_tensors",
           "atleast_1d", "atleast_2d", "atleast_3d"]


def _check(t, fn):
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(t).__name__}")


def _int(v, fn, what):
    if isinstance(v, builtins.bool) or not hasattr(v, "__index__"):
        raise TypeError(f"{fn}(): argument '{what}' must be int, not {type(v).__name__}")
    return v.__index__()


def _dim_size(t, dim):
    return t.size(dim)  # validates dim (IndexError "Dimension out of range ...")


# More pieces than this would exhaust memory long before they were used (PyTorch would try).
_MAX_PIECES = 1 << 24


def _check_count(fn, count):
    if count > _MAX_PIECES:
        raise RuntimeError(f"{fn}: would create {count} tensors, more than the {_MAX_PIECES} ember allows in one call; "
                           "ask for fewer pieces")


def _pieces(t, sizes, dim):
    out, start = [], 0
    for s in sizes:
        out.append(t.narrow(dim, start, s))
        start += s
    return tuple(out)


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or pieces of the listed sizes."""
    _check(tensor, "split")
    if tensor.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    n = _dim_size(tensor, dim)
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [_int(s, "split", "split_size") for s in split_size_or_sections]
        if builtins.any(s < 0 for s in sizes) or builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {dim}), but got split_sizes={sizes}")
        return _pieces(tensor, sizes, dim)
    size = _int(split_size_or_sections, "split", "split_size")
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0:
        if n != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        return (tensor.narrow(dim, 0, 0),)
    count = builtins.max((n + size - 1) // size, 1)
    sizes = [size] * (count - 1) + [n - size * (count - 1)]
    return _pieces(tensor, sizes, dim)


def chunk(input, chunks, dim=0):
    """At most ``chunks`` pieces of equal size ``ceil(n / chunks)`` (the last may be smaller)."""
    _check(input, "chunk")
    chunks = _int(chunks, "chunk", "chunks")
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = _dim_size(input, dim)
    if n == 0:  # PyTorch gives `chunks` empty pieces here
        _check_count("chunk", chunks)
        return tuple(input.narrow(dim, 0, 0) for _ in range(chunks))
    return split(input, (n + chunks - 1) // chunks, dim)


def unbind(input, dim=0):
    """All slices along ``dim``, with that dim removed."""
    _check(input, "unbind")
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return tuple(input.select(dim, i) for i in range(_dim_size(input, dim)))


def tensor_split(input, indices_or_sections, dim=0):
    """``n`` nearly equal pieces (the first ``size % n`` one larger), or pieces cut at the given indices."""
    _check(input, "tensor_split")
    if input.ndim == 0:
        raise RuntimeError("tensor_split expects at least a 1-dimensional tensor, but got a tensor with 0 dims")
    n = _dim_size(input, dim)
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.dtype.is_floating_point or ios.dtype.name == "bool" or ios.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have integer dtype and be 0-D or 1-D, "
                               f"but got {ios.dtype} with {ios.ndim} dims")
        ios = ios.item() if ios.ndim == 0 else ios.tolist()
    if isinstance(ios, (list, tuple)):
        # Piece k is input[idx[k-1]:idx[k]] along dim, with Python's slice clamping.
        idx = [_int(i, "tensor_split", "indices") for i in ios]
        bounds = [0] + [builtins.min(builtins.max(i + n if i < 0 else i, 0), n) for i in idx] + [n]
        out = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            out.append(input.narrow(dim, a, builtins.max(b - a, 0)))
        return tuple(out)
    sections = _int(ios, "tensor_split", "sections")
    if sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    _check_count("tensor_split", sections)
    q, r = divmod(n, sections)
    return _pieces(input, [q + 1] * r + [q] * (sections - r), dim)


def _dir_split(fn, input, ios, dim, min_dims):
    _check(input, fn)
    if input.ndim < min_dims:
        raise RuntimeError(f"torch.{fn} requires a tensor with at least {min_dims} dimension{'s' if min_dims > 1 else ''}, "
                           f"but got a tensor with {input.ndim} dimensions!")
    if not isinstance(ios, (list, tuple, Tensor)):
        sections = _int(ios, fn, "sections")
        n = input.size(dim)
        if sections == 0 or n % sections:
            raise RuntimeError(f"torch.{fn} attempted to split along dimension {dim}, but the size of the dimension {n} "
                               f"is not divisible by the split_size {sections}!")
    return tensor_split(input, ios, dim)


def hsplit(input, indices_or_sections):
    _check(input, "hsplit")
    return _dir_split("hsplit", input, indices_or_sections, 1 if input.ndim > 1 else 0, 1)


def vsplit(input, indices_or_sections):
    return _dir_split("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    return _dir_split("dsplit", input, indices_or_sections, 2, 3)


def broadcast_tensors(*tensors):
    """Expanded views of ``tensors`` with one common (broadcast) shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"broadcast_tensors(): expected Tensor as element {i}, but got {type(t).__name__}")
    n = builtins.max((t.ndim for t in tensors), default=0)
    shape = [1] * n
    for t in tensors:
        for i, d in enumerate(t._shape):
            j = n - t.ndim + i
            if shape[j] == 1:
                shape[j] = d
            elif d != 1 and d != shape[j]:
                raise RuntimeError(f"The size of tensor a ({shape[j]}) must match the size of tensor b ({d}) at "
                                   f"non-singleton dimension {j}")
    return tuple(t if list(t._shape) == shape else t.expand(*shape) for t in tensors)


def _atleast(fn, k, tensors):
    one = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for t in tensors:
        _check(t, fn.__name__)
    out = tuple(fn(t) for t in tensors)
    return out[0] if one else out


def _at1(t):
    return t.reshape(1) if t.ndim == 0 else t


def _at2(t):
    return t.reshape(1, 1) if t.ndim == 0 else t.unsqueeze(0) if t.ndim == 1 else t


def _at3(t):
    if t.ndim == 0:
        return t.reshape(1, 1, 1)
    if t.ndim == 1:
        return t.unsqueeze(0).unsqueeze(-1)
    if t.ndim == 2:
        return t.unsqueeze(-1)
    return t


def atleast_1d(*tensors):
    """Each tensor viewed with at least one dimension (a 0-d tensor becomes shape (1,))."""
    return _atleast(_at1, 1, tensors)


def atleast_2d(*tensors):
    """Each tensor viewed with at least two dimensions (1-d ``(n,)`` becomes ``(1, n)``)."""
    return _atleast(_at2, 2, tensors)


def atleast_3d(*tensors):
    """Each tensor viewed with at least three dimensions (``(n,)`` → ``(1, n, 1)``, ``(m, n)`` → ``(m, n, 1)``)."""
    return _atleast(_at3, 3, tensors)


def _as_method(fn, name=None):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)

    method.__name__ = name or fn.__name__
    method.__doc__ = fn.__doc__
    setattr(Tensor, method.__name__, method)


for _fn in (split, chunk, unbind, tensor_split, hsplit, vsplit, dsplit):
    _as_method(_fn)

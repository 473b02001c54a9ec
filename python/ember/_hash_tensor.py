"""``torch.hash_tensor``: an XOR reduction of the elements' 64-bit patterns, as uint64.

Each element is widened to its 64-bit equivalent (float64 for floating dtypes, int64 for
integers and bool) and its bits read as uint64; the hash of a row is the XOR of those words.
XOR is associative and commutative, so the reduction folds the row in halves (log₂ n steps of
one vectorized ``bitwise_xor`` each) rather than looping over elements.
"""
from . import _dtypes
from ._native import Tensor

__all__ = ["hash_tensor"]


def _words(x):
    """The elements as int64 words holding their 64-bit patterns."""
    if x.dtype.is_complex:
        name = "ComplexFloat" if x.dtype == _dtypes.complex64 else "ComplexDouble"
        raise NotImplementedError(f"\"xor_sum_cpu\" not implemented for '{name}'")
    if x.dtype.is_floating_point:
        return x.to(_dtypes.float64).contiguous().view(_dtypes.int64)
    return x.to(_dtypes.int64)


def _xor_last(w):
    """XOR over the last dim (0 for an empty row)."""
    while w.shape[-1] > 1:
        n = w.shape[-1]
        half = n // 2
        folded = w[..., :half].bitwise_xor(w[..., half:2 * half])
        w = folded if n % 2 == 0 else _cat_last(folded, w[..., 2 * half:])
    if w.shape[-1] == 0:
        return w.new_zeros(w.shape[:-1])
    return w[..., 0]


def _cat_last(a, b):
    from . import cat
    return cat([a, b], -1)


def hash_tensor(input, dim=None, *, keepdim=False, mode=0):
    """XOR of the elements' 64-bit patterns over ``dim`` (all dims when None), as uint64."""
    if not isinstance(input, Tensor):
        raise TypeError(f"hash_tensor(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if mode != 0:
        raise RuntimeError(f"hash_tensor: mode={mode} is not supported; only mode=0 (XOR reduction) exists")
    nd = input.ndim
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError("hash_tensor: Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        dims = list(range(nd))
    else:
        dims = [dim] if isinstance(dim, int) else list(dim)
        for d in dims:
            if not -max(nd, 1) <= d < max(nd, 1):
                raise IndexError(f"Dimension out of range (expected to be in range of [{-max(nd, 1)}, "
                                 f"{max(nd, 1) - 1}], but got {d})")
        dims = sorted({d % max(nd, 1) for d in dims}) if nd else []
    w = _words(input)
    keep = [d for d in range(nd) if d not in dims]
    out_shape = [input.shape[d] for d in keep]
    rows = w.permute(*keep, *dims).reshape(*out_shape, -1) if nd else w.reshape(1)
    h = _xor_last(rows)
    if keepdim and nd:
        h = h.reshape([1 if d in dims else input.shape[d] for d in range(nd)])
    return h.view(_dtypes.uint64)


Tensor.hash_tensor = lambda self, dim=None, *, keepdim=False, mode=0: hash_tensor(self, dim, keepdim=keepdim, mode=mode)

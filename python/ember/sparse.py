"""Sparse COO tensors: ``ember.sparse_coo_tensor``, ``Tensor.to_sparse()`` and ``ember.sparse``.

A sparse COO tensor is an ``ember.Tensor`` whose storage holds no data: its ``indices``
(int64, sparse_dim x nnz) and ``values`` (nnz x dense sizes) hold it. Ops dispatch on the
layout (``ember.inspect.trace()`` shows ``cpu-sparse``); those that have no sparse rule raise
PyTorch's "Could not run 'aten::…' with arguments from the 'SparseCPU' backend".
"""
from . import _native
from ._native import Tensor
from ._layout import sparse_coo, strided, sparse_csr, sparse_csc, sparse_bsr, sparse_bsc

__all__ = ["mm", "sum", "addmm", "check_sparse_tensor_invariants"]


def _as_tensor(x, dtype=None):
    from ._creation import as_tensor
    return x if isinstance(x, Tensor) and dtype in (None, x.dtype) else as_tensor(x, dtype=dtype)


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False, requires_grad=False,
                      check_invariants=None, is_coalesced=None):
    """A sparse COO tensor with ``values[k]`` at column ``k`` of ``indices`` (duplicates sum)."""
    from ._creation import _check_device
    from ._dtypes import int64
    _check_device(device)
    indices = _as_tensor(indices, int64) if not isinstance(indices, Tensor) else indices
    values = _as_tensor(values, dtype)
    if size is not None:
        size = tuple(int(s) for s in size)
    return _native._sparse_coo_tensor(indices, values, size, bool(is_coalesced), bool(requires_grad))


def _sparse_only(name):
    def check(self):
        if not self.is_sparse:
            raise RuntimeError(f"{name} expected sparse coordinate tensor layout but got Strided; "
                               "convert with .to_sparse() first")
        return _native._sparse_parts(self)
    return check


def _coalesced_parts(name):
    parts = _sparse_only(name)

    def get(self):
        ind, val, coalesced = parts(self)
        if not coalesced:
            raise RuntimeError(f"Cannot get {name} on an uncoalesced tensor, please call .coalesce() first")
        return ind, val
    return get


def _indices(self):
    return _sparse_only("_indices")(self)[0]


def _values(self):
    return _sparse_only("_values")(self)[1]


def indices(self):
    return _coalesced_parts("indices")(self)[0]


def values(self):
    return _coalesced_parts("values")(self)[1]


def _nnz(self):
    return _sparse_only("_nnz")(self)[1].shape[0]


def is_coalesced(self):
    return _sparse_only("is_coalesced")(self)[2]


def _coalesced_(self, coalesced):
    _native._set_coalesced(self, bool(coalesced))
    return self


def sparse_dim(self):
    return _native._sparse_parts(self)[0].shape[0] if self.is_sparse else 0


def dense_dim(self):
    return _native._sparse_parts(self)[1].ndim - 1 if self.is_sparse else self.ndim


def to_dense(self, dtype=None, *, masked_grad=None):
    out = _native._to_dense(self)
    return out if dtype is None else out.to(dtype)


def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    if layout is not None and layout is not sparse_coo:
        from ._sparse_compressed import convert, COMPRESSED
        if layout not in COMPRESSED:
            raise RuntimeError(f"to_sparse: unsupported layout {layout}")
        if sparse_dim is not None:
            raise RuntimeError(f"to_sparse: sparse_dim argument must be None for layout {layout}")
        return convert(self, layout, blocksize, dense_dim)
    if blocksize is not None:
        raise RuntimeError("to_sparse: blocksize is only accepted with layout=sparse_bsr or sparse_bsc")
    if dense_dim is not None:
        sparse_dim = self.ndim - dense_dim
    return _native._to_sparse(self, sparse_dim)


def to_sparse_coo(self):
    return _native._to_sparse(self, None)


def coalesce(self):
    return _native._coalesce(self)


for _f in (_indices, _values, indices, values, _nnz, is_coalesced, _coalesced_, sparse_dim, dense_dim, to_dense,
           to_sparse, to_sparse_coo, coalesce):
    setattr(Tensor, _f.__name__, _f)

Tensor.is_sparse = property(lambda self: _native._is_sparse(self))
Tensor.layout = property(lambda self: sparse_coo if _native._is_sparse(self) else strided)


def mm(mat1, mat2, reduce="sum"):
    """``sparse @ dense`` (a dense result); gradients reach the dense operand and the values."""
    if reduce != "sum":
        raise NotImplementedError(f"ember.sparse.mm: reduce='{reduce}' is not supported; only 'sum'")
    if isinstance(mat1, _Compressed) or isinstance(mat2, _Compressed):
        from ._sparse_compressed_ops import matmul
        return matmul(mat1, mat2)
    if not mat1.is_sparse:
        return mat1.mm(mat2)
    return _native._sparse_mm(mat1, mat2)


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    """``beta * mat + alpha * (mat1 @ mat2)`` with a sparse ``mat1``."""
    if isinstance(mat1, _Compressed) or isinstance(mat2, _Compressed):
        from ._sparse_compressed_ops import addmm as caddmm
        return caddmm(mat, mat1, mat2, beta=beta, alpha=alpha)
    return mat * beta + mm(mat1, mat2) * alpha


def sum(input, dim=None, dtype=None):
    """Sum of a sparse tensor: over every dim (a 0-dim dense tensor), or over ``dim`` —
    dense when every sparse dim is summed, else sparse."""
    if isinstance(dim, int):
        dim = (dim,)
    if isinstance(input, _Compressed):  # its element-level COO form (PyTorch refuses CSR here)
        input = input._coo(attached=True)
    return _native._sparse_sum(input, None if dim is None else list(dim), dtype)


def _sparse_str(self):
    from ._tensor_str import _tensor_str, _add_suffixes
    from ._native import get_default_dtype
    ind, val, _ = _native._sparse_parts(self)
    ind, val = ind.detach(), val.detach()
    indent = len("tensor(")
    ip, vp = "indices=tensor(", "values=tensor("
    istr = _tensor_str(ind, indent + len(ip))
    if ind.numel() == 0:
        istr += ", size=" + str(tuple(ind.shape))
    vstr = _tensor_str(val, indent + len(vp))
    if val.numel() == 0:
        vstr += ", size=" + str(tuple(val.shape))
    body = ip + istr + "),\n" + " " * indent + vp + vstr + ")"
    suffixes = ["size=" + str(tuple(self.shape)), "nnz=" + str(val.shape[0])]
    if self.dtype != get_default_dtype():
        suffixes.append("dtype=" + str(self.dtype))
    suffixes.append("layout=" + str(sparse_coo))
    if self.grad_fn is not None:
        suffixes.append(f"grad_fn=<{self.grad_fn.name()}>")
    elif self.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes("tensor(" + body, suffixes, indent)


def _wrap_repr(orig):
    def __repr__(self, *args, **kwargs):
        if _native._is_sparse(self):
            return _sparse_str(self)
        return orig(self, *args, **kwargs)
    return __repr__


Tensor.__repr__ = _wrap_repr(Tensor.__repr__)
Tensor.__str__ = _wrap_repr(Tensor.__str__)


# ---- the compressed layouts (CSR/CSC/BSR/BSC): ember._sparse_compressed ----
from ._sparse_compressed import SparseCompressedTensor as _Compressed, convert as _convert  # noqa: E402
from ._sparse_compressed import check_sparse_tensor_invariants  # noqa: E402,F401
from . import _sparse_compressed_ops  # noqa: E402,F401  (the compressed ops and errors)


def to_sparse_csr(self, dense_dim=None):
    return _convert(self, sparse_csr, None, dense_dim)


def to_sparse_csc(self, dense_dim=None):
    return _convert(self, sparse_csc, None, dense_dim)


def to_sparse_bsr(self, blocksize, dense_dim=None):
    return _convert(self, sparse_bsr, blocksize, dense_dim)


def to_sparse_bsc(self, blocksize, dense_dim=None):
    return _convert(self, sparse_bsc, blocksize, dense_dim)


def _not_compressed(name, want):
    def fn(self):
        got = "Sparse" if self.is_sparse else "Strided"
        raise RuntimeError(f"{name} expected {want} tensor layout but got {got}")
    fn.__name__ = name
    return fn


for _f in (to_sparse_csr, to_sparse_csc, to_sparse_bsr, to_sparse_bsc,
           _not_compressed("crow_indices", "sparse row compressed"), _not_compressed("col_indices", "sparse row compressed"),
           _not_compressed("ccol_indices", "sparse column compressed"),
           _not_compressed("row_indices", "sparse column compressed")):
    setattr(Tensor, _f.__name__, _f)

"""The legacy sparse products of the ``torch`` namespace on ember's COO tensors: ``smm``,
``hspmm``/``hsmm``, ``dsmm``/``spmm``, ``saddmm``/``sspaddmm``, and ``Tensor.sparse_mask``.

A sparse × dense product has, structurally, a full row wherever the sparse operand has an
entry in that row; ``smm`` returns those rows as 2-D COO entries, ``hspmm`` as a hybrid tensor
(one sparse dim, the columns dense). Gradients reach the dense operand and the sparse values
through ``ember.sparse.mm``.
"""
from . import _native, sparse as _sparse
from ._native import Tensor

__all__ = ["smm", "hspmm", "hsmm", "dsmm", "spmm", "saddmm", "sspaddmm"]


def _need_sparse(x, what):
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}: expected a Tensor, got {type(x).__name__}")
    if not x.is_sparse:
        raise RuntimeError(f"{what} can only be called on sparse tensors (got a strided tensor; use .to_sparse())")


def _need_dense(x, what):
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}: expected a Tensor, got {type(x).__name__}")
    if x.is_sparse:
        raise RuntimeError(f"{what}: expected a dense (strided) second operand, got a sparse one")


def _product_rows(mat1, mat2, what):
    """The dense product and the (sorted, unique) rows where mat1 has entries."""
    import ember
    _need_sparse(mat1, what)
    _need_dense(mat2, what)
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"{what}: expected 2-D matrices, got {mat1.ndim}-D and {mat2.ndim}-D")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x{mat1.shape[1]} and "
                           f"{mat2.shape[0]}x{mat2.shape[1]})")
    rows = ember.unique(mat1._indices()[0])
    return _sparse.mm(mat1, mat2), rows


def smm(input, mat2):
    """sparse (n×m) @ dense (m×p) → sparse (n×p): every column of each row where input has an entry."""
    import ember
    P, rows = _product_rows(input, mat2, "smm")
    p = mat2.shape[1]
    idx = ember.stack([rows.repeat_interleave(p), ember.arange(p).repeat(rows.shape[0])])
    return _native._sparse_coo_tensor(idx, P[rows].reshape(-1), (input.shape[0], p), True, False)


def hspmm(mat1, mat2, *, out=None):
    """sparse (n×m) @ dense (m×p) → hybrid sparse (n×p) with one sparse dim: the rows where
    mat1 has entries, each a dense row of p values."""
    if isinstance(mat1, Tensor) and not mat1.is_sparse:
        raise NotImplementedError("Could not run 'aten::hspmm' with arguments from the 'CPU' backend: mat1 must be "
                                  "a sparse COO tensor")
    P, rows = _product_rows(mat1, mat2, "hspmm")
    r = _native._sparse_coo_tensor(rows[None, :], P[rows], (mat1.shape[0], mat2.shape[1]), True, False)
    return r if out is None else out.copy_(r)


hsmm = hspmm


def dsmm(input, mat2):
    """sparse (or dense) @ dense → dense."""
    return _sparse.mm(input, mat2)


def spmm(input, mat2):
    """sparse (or dense) @ dense → dense (``torch.mm`` with a sparse first operand)."""
    return _sparse.mm(input, mat2)


def sspaddmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)`` as a sparse tensor (input and mat1 sparse, mat2
    dense): the entries of both terms side by side (duplicates sum, as in any COO tensor)."""
    import ember
    _need_sparse(input, "tensor.sspaddmm(...)")
    prod = smm(mat1, mat2)
    if tuple(input.shape) != tuple(prod.shape):
        raise RuntimeError(f"sspaddmm: Argument #1: Expected dim 0 size {prod.shape[0]}, got {input.shape[0]}"
                           if input.shape[0] != prod.shape[0] else
                           f"sspaddmm: Argument #1: Expected dim 1 size {prod.shape[1]}, got {input.shape[1]}")
    idx = ember.cat([input._indices(), prod._indices()], 1)
    vals = ember.cat([input._values() * beta, prod._values() * alpha])
    r = _native._sparse_coo_tensor(idx, vals, tuple(prod.shape), False, False)
    return r if out is None else out.copy_(r)


def saddmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """The same as ``sspaddmm``."""
    return sspaddmm(input, mat1, mat2, beta=beta, alpha=alpha, out=out)


def sparse_mask(self, mask):
    """The entries of the strided ``self`` at ``mask``'s indices, as a sparse tensor with those
    indices (mask's values are ignored)."""
    if not isinstance(mask, Tensor) or not mask.is_sparse:
        raise RuntimeError("sparse_mask expects mask to be a sparse COO tensor")
    if tuple(self.shape) != tuple(mask.shape):
        raise RuntimeError(f"sparse_mask(): operands have incompatible sizes; self has size {list(self.shape)} but "
                           f"mask has size {list(mask.shape)}")
    if self.is_sparse:
        self = self.to_dense()
    idx = mask._indices()
    vals = self[tuple(idx[i] for i in range(idx.shape[0]))]
    return _native._sparse_coo_tensor(idx, vals, tuple(mask.shape), mask.is_coalesced(), False)


Tensor.smm = smm
Tensor.sspaddmm = lambda self, mat1, mat2, *, beta=1, alpha=1: sspaddmm(self, mat1, mat2, beta=beta, alpha=alpha)
Tensor.sparse_mask = sparse_mask

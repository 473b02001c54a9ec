"""The smaller names of the compressed-sparse surface: the layout constructors in the ``ember``
namespace, the ``*_indices_copy`` functions, the in-place resize family of sparse tensors,
``compiled_with_cxx11_abi`` and ``Tensor.name``."""
from ._native import Tensor
from ._sparse_compressed import (SparseCompressedTensor as _SC, sparse_compressed_tensor, sparse_csr_tensor,
                                 sparse_csc_tensor, sparse_bsr_tensor, sparse_bsc_tensor, _make, _layout_name)

__all__ = ["sparse_compressed_tensor", "sparse_csr_tensor", "sparse_csc_tensor", "sparse_bsr_tensor",
           "sparse_bsc_tensor", "crow_indices_copy", "col_indices_copy", "ccol_indices_copy", "row_indices_copy",
           "resize_as_sparse_", "compiled_with_cxx11_abi"]


def _copy_of(name):
    def fn(input, *, out=None):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}_copy(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        r = getattr(input, name)().clone()
        return r if out is None else out.resize_(r.shape).copy_(r)
    fn.__name__ = name + "_copy"
    fn.__doc__ = f"``input.{name}()`` as a fresh tensor (not aliasing ``input``)."
    return fn


crow_indices_copy = _copy_of("crow_indices")
col_indices_copy = _copy_of("col_indices")
ccol_indices_copy = _copy_of("ccol_indices")
row_indices_copy = _copy_of("row_indices")


def compiled_with_cxx11_abi():
    """Whether ember was built with the C++11 ABI of libstdc++ (``_GLIBCXX_USE_CXX11_ABI=1``).

    ember's native extension is Rust (PyO3) with no C++ code and no libstdc++ types at its
    interface, so no C++ ABI choice was made; the answer is False, which also tells build
    tools that look at it (to pick flags for C++ extensions linking against the library) that
    there is nothing to match."""
    return False


# ---- the in-place resize family ---------------------------------------------------------------

def _resize_compressed(self, size, clear):
    """``self`` (compressed) gets ``size``: batch and dense dims fixed, the sparse dims may grow;
    the stored entries stay (``clear``: none stay)."""
    e = __import__("ember")
    size = tuple(int(s) for s in size)
    nb, nd = self._batch_dim(), self.dense_dim()
    old = tuple(self.shape)
    if len(size) != len(old) or size[:nb] != old[:nb] or size[len(size) - nd:] != old[len(old) - nd:]:
        raise RuntimeError(f"resize_as_sparse_: a sparse compressed tensor keeps its batch and dense dims "
                           f"({list(old)} can't become {list(size)})")
    bs = self.values_blocksize() or (1, 1)
    rows, cols = size[nb], size[nb + 1]
    if rows % bs[0] or cols % bs[1]:
        raise RuntimeError(f"resize_as_sparse_: size {list(size)} is not divisible by the blocksize {bs}")
    ncomp = (rows // bs[0]) if self._layout.name in ("sparse_csr", "sparse_bsr") else (cols // bs[1])
    nplain = (cols // bs[1]) if self._layout.name in ("sparse_csr", "sparse_bsr") else (rows // bs[0])
    ci, pi, vals = self._ci, self._pi, self._vals
    old_ncomp = ci.shape[-1] - 1
    if clear:
        ci = e.zeros(tuple(ci.shape[:-1]) + (ncomp + 1,), dtype=ci.dtype)
        pi = pi[..., :0]
        vals = vals.narrow(nb, 0, 0)
    else:
        if ncomp < old_ncomp and bool((ci[..., ncomp] != ci[..., -1]).any()):
            raise RuntimeError("resize_as_sparse_: shrinking the compressed dim would drop stored entries")
        if pi.numel() and int(pi.max()) >= nplain:
            raise RuntimeError("resize_as_sparse_: shrinking the plain dim would drop stored entries")
        if ncomp <= old_ncomp:
            ci = ci[..., :ncomp + 1]
        else:
            ci = e.cat([ci, ci[..., -1:].expand(tuple(ci.shape[:-1]) + (ncomp - old_ncomp,))], -1)
    new = _make(self._layout, ci.contiguous(), pi, vals, size)
    self.__dict__.update(_ci=new._ci, _pi=new._pi, _vals=new._vals, _size=new._size, _stale=True)
    return self


def _empty_parts(self, size, sparse_dim):
    """Indices and values of a COO tensor of ``size`` with no entries."""
    indices = self._indices().new_zeros((sparse_dim, 0))
    values = self._values().new_zeros((0,) + tuple(int(s) for s in size[sparse_dim:]))
    return indices, values


def _swap_coo(self, indices, values, size, coalesced):
    """``self`` becomes the COO tensor (indices, values, size), keeping its Python identity."""
    from .sparse import sparse_coo_tensor
    new = sparse_coo_tensor(indices, values, tuple(int(s) for s in size), is_coalesced=coalesced)
    return self._swap_sparse_(new)


def resize_as_sparse_(input, the_template):
    """Resizes sparse ``input`` in place to the size of sparse ``the_template`` (its sparse and
    dense dim counts must match); for a sparse COO tensor with the same size this is a no-op."""
    for t, what in ((input, "self"), (the_template, "the_template")):
        if not isinstance(t, Tensor):
            raise TypeError(f"resize_as_sparse_(): argument '{what}' must be Tensor, not {type(t).__name__}")
        if not (t.is_sparse or isinstance(t, _SC)):
            raise RuntimeError(f"resize_as_sparse_: expected a sparse {what}, got a strided tensor")
    if isinstance(input, _SC):
        if not isinstance(the_template, _SC) or the_template.layout is not input.layout:
            raise RuntimeError(f"resize_as_sparse_: expected the_template in layout {_layout_name(input.layout)}")
        return _resize_compressed(input, the_template.shape, clear=False)
    return sparse_resize_(input, the_template.shape, the_template.sparse_dim(), the_template.dense_dim())


def sparse_resize_(self, size, sparse_dim, dense_dim):
    """Resizes a sparse COO tensor in place to ``size`` with ``sparse_dim`` sparse and
    ``dense_dim`` dense dims, keeping its entries (PyTorch's rules: a non-empty tensor keeps its
    dim counts and may only grow)."""
    _check_coo_resize(self, size, sparse_dim, dense_dim, keep=True)
    if tuple(size) == tuple(self.shape):
        return self
    if self._nnz():
        indices, values = self._indices(), self._values()
    else:  # an empty tensor may change its sparse/dense dim counts
        indices, values = _empty_parts(self, size, sparse_dim)
    return _swap_coo(self, indices, values, size, self.is_coalesced())


def sparse_resize_and_clear_(self, size, sparse_dim, dense_dim):
    """``sparse_resize_`` that also removes every entry."""
    _check_coo_resize(self, size, sparse_dim, dense_dim, keep=False)
    if tuple(size) == tuple(self.shape) and self._nnz() == 0:
        return self
    return _swap_coo(self, *_empty_parts(self, size, sparse_dim), size, True)


def _check_coo_resize(self, size, sparse_dim, dense_dim, keep):
    if isinstance(self, _SC):
        raise NotImplementedError("Could not run 'aten::sparse_resize_' with arguments from the 'SparseCsrCPU' "
                                  "backend: use resize_as_sparse_ for a sparse compressed tensor")
    if not self.is_sparse:
        raise NotImplementedError("Could not run 'aten::sparse_resize_' with arguments from the 'CPU' backend: the "
                                  "tensor is strided; use resize_() instead")
    size = [int(s) for s in size]
    if sparse_dim + dense_dim != len(size):
        raise RuntimeError(f"number of dimensions must be sparse_dim ({sparse_dim}) + dense_dim ({dense_dim}), but "
                           f"got {len(size)}")
    if keep and self._nnz():
        if sparse_dim != self.sparse_dim():
            raise RuntimeError(f"changing the number of sparse dimensions (from {self.sparse_dim()} to {sparse_dim}) "
                               "on a non-empty sparse tensor is not supported.")
        if dense_dim != self.dense_dim():
            raise RuntimeError(f"changing the number of dense dimensions (from {self.dense_dim()} to {dense_dim}) "
                               "on a non-empty sparse tensor is not supported.")
        old = list(self.shape)
        if any(n < o for n, o in zip(size[:sparse_dim], old[:sparse_dim])):
            raise RuntimeError(f"shrinking the size of sparse dimensions (from {old[:sparse_dim]} to "
                               f"{size[:sparse_dim]}) on a non-empty sparse tensor is not supported.")
        if size[sparse_dim:] != old[sparse_dim:]:
            raise RuntimeError(f"shrinking the size of dense dimensions (from {old[sparse_dim:]} to "
                               f"{size[sparse_dim:]}) on a non-empty sparse tensor is not supported.")


def _compressed_resize_as_sparse_(self, the_template):
    return resize_as_sparse_(self, the_template)


Tensor.resize_as_sparse_ = lambda self, the_template: resize_as_sparse_(self, the_template)
Tensor.sparse_resize_ = sparse_resize_
Tensor.sparse_resize_and_clear_ = sparse_resize_and_clear_
_SC.resize_as_sparse_ = _compressed_resize_as_sparse_
_SC.sparse_resize_ = sparse_resize_
_SC.sparse_resize_and_clear_ = sparse_resize_and_clear_
Tensor.name = property(lambda self: None, doc="The tensor's name: None, as in PyTorch for every tensor a program "
                                               "makes (the attribute is read-only).")

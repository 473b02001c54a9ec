"""Sparse compressed tensors: the CSR, CSC, BSR and BSC layouts of
https://pytorch.org/docs/stable/sparse.html (constructors, conversions, accessors, products).

A compressed tensor of size ``(*batch, n, m, *dense)`` holds three tensors:

- ``compressed_indices`` ``(*batch, ncomp + 1)``: for CSR/BSR the row pointers (``crow_indices``),
  for CSC/BSC the column pointers (``ccol_indices``); entry ``k`` of compressed row/column ``i``
  is at ``compressed[i] <= k < compressed[i + 1]``;
- ``plain_indices`` ``(*batch, nnz)``: the other coordinate (``col_indices``/``row_indices``);
- ``values`` ``(*batch, nnz, *blocksize, *dense)``: one scalar (CSR/CSC) or one block (BSR/BSC,
  each block in ordinary row-major orientation) per entry.

Worked example: ``[[1, 0, 2], [0, 0, 3]]`` in CSR is crow ``[0, 2, 3]``, col ``[0, 2, 2]``,
values ``[1, 2, 3]``; in CSC it is ccol ``[0, 1, 1, 3]``, row ``[0, 0, 1]``, values ``[1, 2, 3]``.

Representation: ``SparseCompressedTensor`` is a Python subclass of ``ember.Tensor``. The native
tensor behind it is the same data as a sparse COO tensor (its "twin": element coordinates, values
sharing the compressed values' storage), so a native function that reaches it sees a sparse
tensor and runs its COO rule or raises PyTorch's sparse error — it is never read as dense.
The Python methods implement the compressed rules; every other method raises PyTorch's
"Could not run 'aten::…' with arguments from the 'SparseCsrCPU' backend".
"""
import builtins
import math

from . import _native
from ._native import Tensor
from ._layout import sparse_coo, strided, sparse_csr, sparse_csc, sparse_bsr, sparse_bsc

COMPRESSED = (sparse_csr, sparse_csc, sparse_bsr, sparse_bsc)
_ROW_MAJOR = (sparse_csr, sparse_bsr)      # the compressed dim is the rows
_BLOCKED = (sparse_bsr, sparse_bsc)
_INDEX_NAMES = {sparse_csr: ("crow_indices", "col_indices"), sparse_bsr: ("crow_indices", "col_indices"),
                sparse_csc: ("ccol_indices", "row_indices"), sparse_bsc: ("ccol_indices", "row_indices")}
_LAYOUT_NAME = {sparse_coo: "Sparse", strided: "Strided", sparse_csr: "SparseCsr", sparse_csc: "SparseCsc",
                sparse_bsr: "SparseBsr", sparse_bsc: "SparseBsc"}


def _e():
    import ember
    return ember


def _layout_name(layout):
    return _LAYOUT_NAME.get(layout, "none" if layout is None else str(layout))


def unsupported(op):
    """PyTorch's error for an op without a kernel for compressed layouts."""
    return NotImplementedError(
        f"Could not run 'aten::{op}' with arguments from the 'SparseCsrCPU' backend: sparse compressed tensors "
        "support only the ops listed in docs/sparse.md; convert with .to_dense() first.")


def _host_only(device, what):
    """The compressed layouts live on the CPU: another device raises rather than being ignored."""
    from ._creation import _check_device
    dev = _check_device(device)
    if dev.type != "cpu":
        raise NotImplementedError(f"Could not run '{what}' with arguments from the 'SparseCsr{dev.type.capitalize()}' "
                                  f"backend: ember's sparse compressed tensors live on the CPU (got device {dev})")


def _as_index(x, name):
    e = _e()
    if not isinstance(x, Tensor):
        x = e.as_tensor(x)
        if x.numel() == 0 and x.dtype.is_floating_point:
            x = x.long()
    if x.dtype not in (e.int32, e.int64):
        raise RuntimeError(f"{name} must be an int32 or int64 tensor, but got {x.dtype}")
    return x


class SparseCompressedTensor(Tensor):
    """A tensor in the CSR, CSC, BSR or BSC layout (see the module docstring)."""

    # ---- metadata -----------------------------------------------------------------------------
    # The size lives here (not only in the native twin) so that resize_as_sparse_ can change it.
    _shape = property(lambda self: self._size)
    ndim = property(lambda self: len(self._size))
    layout = property(lambda self: self._layout)
    is_sparse = property(lambda self: False)
    is_sparse_csr = property(lambda self: self._layout is sparse_csr)
    is_nested = property(lambda self: False)
    requires_grad = property(lambda self: self._vals.requires_grad,
                             lambda self, v: self.requires_grad_(v))
    grad_fn = property(lambda self: self._vals.grad_fn)
    is_leaf = property(lambda self: self._vals.is_leaf)

    @property
    def grad(self):
        g = self._vals.grad
        return None if g is None else _make(self._layout, self._ci, self._pi, g, self.shape)

    @grad.setter
    def grad(self, g):
        if g is None:
            self._vals.grad = None
        else:
            self._vals.grad = _same_structure(self, g, "grad").values()

    @property
    def data(self):
        return self.detach()

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not (self._vals.dtype.is_floating_point or self._vals.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        if requires_grad and not self._vals.requires_grad:
            # a leaf of its own (sharing storage): the values tensor the caller passed in stays as it was
            self.__dict__["_vals"] = self._vals.detach()
        self._vals.requires_grad_(requires_grad)
        return self

    def crow_indices(self):
        if self._layout not in _ROW_MAJOR:
            raise RuntimeError(f"crow_indices expected sparse row compressed tensor layout but got "
                               f"{_layout_name(self._layout)}")
        return self._ci

    def col_indices(self):
        if self._layout not in _ROW_MAJOR:
            raise RuntimeError(f"col_indices expected sparse row compressed tensor layout but got "
                               f"{_layout_name(self._layout)}")
        return self._pi

    def ccol_indices(self):
        if self._layout in _ROW_MAJOR:
            raise RuntimeError(f"ccol_indices expected sparse column compressed tensor layout but got "
                               f"{_layout_name(self._layout)}")
        return self._ci

    def row_indices(self):
        if self._layout in _ROW_MAJOR:
            raise RuntimeError(f"row_indices expected sparse column compressed tensor layout but got "
                               f"{_layout_name(self._layout)}")
        return self._pi

    def values(self):
        return self._vals

    def dim(self):
        return len(self._size)

    ndimension = dim

    def numel(self):
        return math.prod(self._size)

    nelement = numel

    def _nnz(self):
        return self._pi.shape[-1]

    def sparse_dim(self):
        return 2

    def dense_dim(self):
        return self._vals.ndim - self._ci.ndim - (2 if self._layout in _BLOCKED else 0)

    def _batch_dim(self):
        return self._ci.ndim - 1

    def indices(self):
        raise RuntimeError(f"indices expected sparse coordinate tensor layout but got {_layout_name(self._layout)}")

    def _indices(self):
        raise RuntimeError(f"_indices expected sparse coordinate tensor layout but got {_layout_name(self._layout)}")

    def _values(self):
        raise RuntimeError(f"_values expected sparse coordinate tensor layout but got {_layout_name(self._layout)}")

    def is_coalesced(self):
        raise RuntimeError(f"is_coalesced expected sparse coordinate tensor layout but got "
                           f"{_layout_name(self._layout)}")

    def coalesce(self):
        raise RuntimeError(f"coalesce expected sparse coordinate tensor layout but got {_layout_name(self._layout)}")

    def values_blocksize(self):
        return tuple(self._vals.shape[self._ci.ndim:self._ci.ndim + 2]) if self._layout in _BLOCKED else None

    def stride(self, dim=None):
        raise RuntimeError("Sparse CSR tensors do not have strides")

    def is_contiguous(self, memory_format=None):
        raise RuntimeError("Sparse CSR tensors do not have is_contiguous")

    def contiguous(self, memory_format=None):
        raise RuntimeError("Sparse CSR tensors do not have is_contiguous")

    def data_ptr(self):
        raise RuntimeError("Cannot access data pointer of Tensor that doesn't have storage")

    def storage_offset(self):
        return 0

    def __repr__(self, *args, **kwargs):
        return _repr(self)

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (_make_from_parts, (self._layout, self._ci, self._pi, self._vals.detach(), tuple(self.shape),
                                   self.requires_grad))

    def __deepcopy__(self, memo):
        r = self.clone().detach().requires_grad_(self.requires_grad) if self.requires_grad else self.clone()
        memo[id(self)] = r
        return r

    def __len__(self):
        return self.shape[0]

    # ---- conversions --------------------------------------------------------------------------
    def to_dense(self, dtype=None, *, masked_grad=None):
        out = _native._to_dense(self._coo(attached=True))
        return out if dtype is None else out.to(dtype)

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        if layout in (None, sparse_coo):
            if sparse_dim is not None and sparse_dim != self.ndim - self.dense_dim():
                raise RuntimeError(f"sparse_compressed_to_sparse: sparse_dim argument must be "
                                   f"{self.ndim - self.dense_dim()} but got {sparse_dim}")
            return self.to_sparse_coo()
        return convert(self, layout, blocksize, dense_dim)

    def to_sparse_coo(self):
        return self._coo(attached=True).coalesce()  # PyTorch's result is coalesced for every layout

    def to_sparse_csr(self, dense_dim=None):
        return convert(self, sparse_csr, None, dense_dim)

    def to_sparse_csc(self, dense_dim=None):
        return convert(self, sparse_csc, None, dense_dim)

    def to_sparse_bsr(self, blocksize, dense_dim=None):
        return convert(self, sparse_bsr, blocksize, dense_dim)

    def to_sparse_bsc(self, blocksize, dense_dim=None):
        return convert(self, sparse_bsc, blocksize, dense_dim)

    def to(self, *args, **kwargs):
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, _e().dtype):
                dtype = a
            elif isinstance(a, (str, _e().device)):
                device = a
            elif isinstance(a, builtins.bool):
                continue
            else:
                raise TypeError(f"to() received an invalid combination of arguments: {type(a).__name__}")
        if device is not None:
            _host_only(device, "aten::_to_copy")
        if (dtype is None or dtype == self.dtype) and not copy:
            return self
        vals = self._vals.to(dtype) if dtype is not None else self._vals.clone()
        return _make(self._layout, self._ci, self._pi, vals, self.shape)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        if dtype is None:
            raise RuntimeError("Unimplemented backend SparseCsrCPU")
        return self.to(dtype)

    def cpu(self, memory_format=None):
        return self

    def clone(self, *, memory_format=None):
        return _make(self._layout, self._ci.clone(), self._pi.clone(), self._vals.clone(), self.shape)

    def detach(self):
        return _make(self._layout, self._ci, self._pi, self._vals.detach(), self.shape)

    def detach_(self):
        self._vals = self._vals.detach()
        return self

    # ---- arithmetic ---------------------------------------------------------------------------
    def __matmul__(self, other):
        from ._sparse_compressed_ops import matmul
        return matmul(self, other)

    def __rmatmul__(self, other):
        from ._sparse_compressed_ops import matmul
        return matmul(other, self)

    def __neg__(self):
        return self._map(lambda v: -v)

    def __pos__(self):
        return self

    def __abs__(self):
        return self._map(lambda v: v.abs())

    def _map(self, fn):
        return _make(self._layout, self._ci, self._pi, fn(self._vals), self.shape)

    def _coo(self, attached=False):
        """The COO tensor of this one's elements; ``attached`` records autograd through the values.
        The native twin serves unless an in-place op replaced the parts (``_stale``)."""
        stale = self.__dict__.get("_stale", False)
        if not stale and (not attached or not self._vals.requires_grad):
            return Tensor.__new__(Tensor, self)
        if stale:
            idx, flat = _element_coo(self._layout, self._ci, self._pi, self._vals, self._size)
        else:
            idx = _native._sparse_parts(self)[0]
            flat = self._vals.reshape((-1,) + tuple(self._vals.shape[self._vals.ndim - self.dense_dim():]))
        return _native._sparse_coo_tensor(idx, flat if attached else flat.detach(), self._size, False, False)


def _same_structure(like, g, what):
    if not isinstance(g, SparseCompressedTensor) or g._layout is not like._layout or tuple(g.shape) != tuple(like.shape):
        raise RuntimeError(f"assigned {what} has a different layout or size than the tensor")
    return g


def _make_from_parts(layout, ci, pi, vals, size, requires_grad):
    t = _make(layout, ci, pi, vals, size)
    return t.requires_grad_() if requires_grad else t


# ---- construction -----------------------------------------------------------------------------

def _element_coo(layout, ci, pi, vals, size):
    """(indices, flattened values) of the COO tensor with one entry per element of a
    compressed tensor, in the order of ``vals`` flattened over its batch, nnz and block dims."""
    e = _e()
    nbatch = ci.ndim - 1
    batch = tuple(size[:nbatch])
    nb = math.prod(batch)
    ncomp = ci.shape[-1] - 1
    nnz = pi.shape[-1]
    ci64 = ci.reshape(nb, ncomp + 1).long()
    counts = (ci64[:, 1:] - ci64[:, :-1]).reshape(-1)
    comp = e.arange(ncomp).repeat(nb).repeat_interleave(counts)
    plain = pi.reshape(-1).long()
    rows, cols = (comp, plain) if layout in _ROW_MAJOR else (plain, comp)
    b = e.arange(nb).repeat_interleave(nnz)
    dense_shape = tuple(vals.shape[nbatch + 1 + (2 if layout in _BLOCKED else 0):])
    if layout in _BLOCKED:
        r, c = vals.shape[nbatch + 1], vals.shape[nbatch + 2]
        ii, jj = e.arange(r).repeat_interleave(c), e.arange(c).repeat(r)
        rows = (rows[:, None] * r + ii).reshape(-1)
        cols = (cols[:, None] * c + jj).reshape(-1)
        b = b.repeat_interleave(r * c)
    coords = []
    for s in reversed(batch):  # unravel the flat batch number, last batch dim fastest
        coords.append(b % s)
        b = b // s
    idx = e.stack(coords[::-1] + [rows, cols]) if coords else e.stack([rows, cols])
    return idx, vals.reshape((-1,) + dense_shape)


def _make(layout, ci, pi, vals, size, sorted_entries=False):
    """A compressed tensor over (ci, pi, vals) with no invariant checks (callers checked)."""
    size = tuple(int(s) for s in size)
    idx, flat = _element_coo(layout, ci, pi, vals, size)
    twin = _native._sparse_coo_tensor(idx, flat.detach(), size, builtins.bool(sorted_entries), False)
    t = Tensor.__new__(SparseCompressedTensor, twin)
    t.__dict__.update(_layout=layout, _ci=ci, _pi=pi, _vals=vals, _size=size)
    return t


def _check(layout, ci, pi, vals, size, full):
    """PyTorch's invariants of a compressed tensor (``full``: also the ones it checks only with
    ``check_invariants=True``: sorted, distinct plain indices)."""
    e = _e()
    cname, pname = _INDEX_NAMES[layout]
    blocked = layout in _BLOCKED
    if ci.ndim < 1:
        raise RuntimeError(f"{cname} must have dimensionality >= 1 but got {ci.ndim}")
    if ci.ndim != pi.ndim:
        raise RuntimeError(f"{cname} and {pname} dimensionalities must be equal but got {ci.ndim} and {pi.ndim}, "
                           "respectively")
    nbatch = ci.ndim - 1
    nblock = 2 if blocked else 0
    if vals.ndim < nbatch + 1 + nblock:
        raise RuntimeError(f"values must have dimensionality > sum of batch and block dimensionalities (={nbatch} + "
                           f"{nblock}) but got {vals.ndim}")
    ndense = vals.ndim - nbatch - 1 - nblock
    if len(size) != nbatch + 2 + ndense:
        raise RuntimeError(f"tensor dimensionality must be sum of batch, base, and dense dimensionalities (={nbatch} + "
                           f"2 + {ndense}) but got {len(size)}")
    batch = tuple(size[:nbatch])
    if tuple(ci.shape[:-1]) != batch or tuple(pi.shape[:-1]) != batch or tuple(vals.shape[:nbatch]) != batch:
        raise RuntimeError(f"all batch dimensions of {cname} (={list(ci.shape[:-1])}), {pname} "
                           f"(={list(pi.shape[:-1])}), and values (={list(vals.shape[:nbatch])}) must be equal to "
                           f"tensor batch dimensions (={list(batch)})")
    if tuple(vals.shape[nbatch + 1 + nblock:]) != tuple(size[nbatch + 2:]):
        raise RuntimeError(f"values dense dimensions (={list(vals.shape[nbatch + 1 + nblock:])}) must be equal to "
                           f"tensor dense dimensions (={list(size[nbatch + 2:])})")
    n, m = size[nbatch], size[nbatch + 1]
    r, c = (vals.shape[nbatch + 1], vals.shape[nbatch + 2]) if blocked else (1, 1)
    if blocked and (r == 0 or c == 0 or n % r or m % c):
        raise RuntimeError(f"tensor shape[{nbatch}] (={n}) must be divisible with blocksize[0] (={r}) and tensor "
                           f"shape[{nbatch + 1}] (={m}) must be divisible with blocksize[1] (={c})")
    ncomp, nplain = (n // r, m // c) if layout in _ROW_MAJOR else (m // c, n // r)
    what = "rows" if layout in _ROW_MAJOR else "columns"
    if ci.shape[-1] != ncomp + 1:
        raise RuntimeError(f"{cname}.shape[-1] must be equal to the number of {what} + 1 (={ncomp + 1}), but got "
                           f"{ci.shape[-1]}")
    nnz = pi.shape[-1]
    if vals.shape[nbatch] != nnz:
        raise RuntimeError(f"values.shape[{nbatch}] (={vals.shape[nbatch]}) must be equal to {pname}.shape[-1] "
                           f"(={nnz})")
    if ci.numel() and not builtins.bool((ci[..., 0] == 0).all()):
        raise RuntimeError(f"`{cname}[..., 0] == 0` is not satisfied.")
    if ci.numel() and not builtins.bool((ci[..., -1] == nnz).all()):
        raise RuntimeError(f"`{cname}[..., -1] == nnz` is not satisfied.")
    d = ci[..., 1:] - ci[..., :-1]
    if d.numel() and not builtins.bool((d >= 0).all()):
        raise RuntimeError(f"`0 <= {cname}[..., 1:] - {cname}[..., :-1] <= {nplain}` is not satisfied.")
    if pi.numel() and not builtins.bool(((pi >= 0) & (pi < nplain)).all()):
        raise RuntimeError(f"`0 <= {pname} < n{'cols' if layout in _ROW_MAJOR else 'rows'}` is not satisfied.")
    if full and nnz > 1:
        # within one compressed row/column the plain indices must strictly increase
        seg = e.arange(ncomp).repeat(math.prod(batch)).repeat_interleave(d.reshape(-1).long())
        same = seg[1:] == seg[:-1]
        if nbatch:
            same = same & (e.arange(seg.shape[0] - 1) % nnz != nnz - 1)
        flat = pi.reshape(-1)
        if builtins.bool((same & (flat[1:] <= flat[:-1])).any()):
            raise RuntimeError(f"`{pname}[..., {cname}[..., i - 1]:{cname}[..., i]] for all i = 1, ..., n"
                               f"{'rows' if layout in _ROW_MAJOR else 'cols'} are sorted and distinct along the last "
                               "dimension values` is not satisfied.")


def _infer_size(layout, ci, pi, vals):
    nbatch = ci.ndim - 1
    blocked = layout in _BLOCKED
    if vals.ndim < nbatch + 1 + (2 if blocked else 0):
        raise RuntimeError(f"values must have dimensionality > sum of batch and block dimensionalities (={nbatch} + "
                           f"{2 if blocked else 0}) but got {vals.ndim}")
    r, c = (vals.shape[nbatch + 1], vals.shape[nbatch + 2]) if blocked else (1, 1)
    ncomp = ci.shape[-1] - 1
    nplain = int(pi.max()) + 1 if pi.numel() else 0
    n, m = (ncomp * r, nplain * c) if layout in _ROW_MAJOR else (nplain * r, ncomp * c)
    dense = tuple(vals.shape[nbatch + 1 + (2 if blocked else 0):])
    return tuple(ci.shape[:-1]) + (n, m) + dense


class check_sparse_tensor_invariants:
    """Turns on the full invariant checks of the compressed constructors (sorted, distinct plain
    indices) where ``check_invariants=`` is not given: as a context manager, a decorator, or with
    the static ``enable()``/``disable()``/``is_enabled()``. Off by default, as in PyTorch."""

    _enabled = False

    @staticmethod
    def is_enabled():
        return check_sparse_tensor_invariants._enabled

    @staticmethod
    def enable():
        check_sparse_tensor_invariants._enabled = True

    @staticmethod
    def disable():
        check_sparse_tensor_invariants._enabled = False

    def __init__(self, enable=True):
        self.state = enable
        self.saved_state = None

    def __enter__(self):
        if self.saved_state is not None:
            raise RuntimeError("This context manager instance is already activated. Use a different context manager "
                               "instance for context nesting.")
        self.saved_state = check_sparse_tensor_invariants._enabled
        check_sparse_tensor_invariants._enabled = self.state

    def __exit__(self, *exc):
        check_sparse_tensor_invariants._enabled = self.saved_state
        self.saved_state = None

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def run(*args, **kwargs):
            with check_sparse_tensor_invariants(self.state):
                return fn(*args, **kwargs)
        return run


def sparse_compressed_tensor(compressed_indices, plain_indices, values, size=None, *, dtype=None, layout=None,
                             device=None, pin_memory=False, requires_grad=False, check_invariants=None):
    """A compressed tensor of ``layout`` (sparse_csr, sparse_csc, sparse_bsr or sparse_bsc)."""
    e = _e()
    if layout not in COMPRESSED:
        raise RuntimeError(f"sparse_compressed_tensor expected sparse compressed tensor layout but got "
                           f"{_layout_name(layout)}")
    _host_only(device, "aten::sparse_compressed_tensor")
    cname, pname = _INDEX_NAMES[layout]
    ci = _as_index(compressed_indices, cname)
    pi = _as_index(plain_indices, pname)
    if ci.dtype != pi.dtype:
        if check_invariants:
            raise RuntimeError(f"{cname} and {pname} must have the same dtype, bot got {ci.dtype} and {pi.dtype}")
        pi = pi.to(ci.dtype)
    vals = values if isinstance(values, Tensor) and dtype in (None, values.dtype) else e.as_tensor(values, dtype=dtype)
    if size is None:
        size = _infer_size(layout, ci, pi, vals)
    size = tuple(int(s) for s in size)
    if check_invariants is None:
        check_invariants = check_sparse_tensor_invariants.is_enabled()
    _check(layout, ci, pi, vals, size, builtins.bool(check_invariants))
    if requires_grad:
        if not (vals.dtype.is_floating_point or vals.dtype.is_complex):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        if not vals.requires_grad:
            vals = vals.detach().requires_grad_()
    return _make(layout, ci, pi, vals, size)


def _layout_ctor(layout):
    cname, pname = _INDEX_NAMES[layout]

    def ctor(compressed_indices, plain_indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
             requires_grad=False, check_invariants=None):
        return sparse_compressed_tensor(compressed_indices, plain_indices, values, size, dtype=dtype, layout=layout,
                                        device=device, pin_memory=pin_memory, requires_grad=requires_grad,
                                        check_invariants=check_invariants)
    ctor.__name__ = ctor.__qualname__ = f"sparse_{_layout_name(layout)[6:].lower()}_tensor"
    ctor.__doc__ = (f"A {_layout_name(layout)[6:].upper()} tensor from ``{cname}``, ``{pname}`` and ``values`` "
                    "(see ember.sparse_compressed_tensor).")
    return ctor


sparse_csr_tensor = _layout_ctor(sparse_csr)
sparse_csc_tensor = _layout_ctor(sparse_csc)
sparse_bsr_tensor = _layout_ctor(sparse_bsr)
sparse_bsc_tensor = _layout_ctor(sparse_bsc)


# ---- conversion -------------------------------------------------------------------------------

def _blocksize(layout, blocksize, what):
    if layout not in _BLOCKED:
        if blocksize is not None:
            raise RuntimeError(f"{what}: blocksize is only accepted for the block layouts sparse_bsr/sparse_bsc")
        return None
    if blocksize is None:
        raise RuntimeError(f"{what}: conversion to {_layout_name(layout)} without blocksize argument given is not "
                           "supported")
    if isinstance(blocksize, int):
        blocksize = (blocksize, blocksize)
    blocksize = tuple(int(b) for b in blocksize)
    if len(blocksize) != 2 or min(blocksize) <= 0:
        raise RuntimeError(f"{what}: blocksize must be a tuple of two positive ints, got {blocksize}")
    return blocksize


def _from_dense(x, layout, blocksize, dense_dim):
    """Dense → compressed: the nonzero pattern (a dense-dim slice or block counts as one entry
    when any of its elements is nonzero), entries in compressed-major order."""
    e = _e()
    dense_dim = 0 if dense_dim is None else int(dense_dim)
    nbatch = x.ndim - 2 - dense_dim
    if nbatch < 0:
        raise RuntimeError(f"to_sparse_{_layout_name(layout)[6:].lower()}: expected the input to have at least "
                           f"{2 + dense_dim} dimensions (two sparse dims and {dense_dim} dense dims), got {x.ndim}")
    batch = tuple(x.shape[:nbatch])
    n, m = x.shape[nbatch], x.shape[nbatch + 1]
    dshape = tuple(x.shape[nbatch + 2:])
    nb = math.prod(batch)
    x3 = x.reshape((nb, n, m) + dshape)
    if layout in _BLOCKED:
        r, c = blocksize
        if n % r or m % c:
            raise RuntimeError(f"dense_to_sparse_{_layout_name(layout)[6:].lower()}: tensor sparse size ({n},{m}) "
                               f"must be divisible by given blocksize ({r},{c})")
        # (nb, n/r, r, m/c, c, *d) → (nb, n/r, m/c, r, c, *d): one block per (block row, block col)
        units = x3.reshape((nb, n // r, r, m // c, c) + dshape).transpose(2, 3)
        ncell = (n // r, m // c)
        inner = 2 + len(dshape)
    else:
        units, ncell, inner = x3, (n, m), len(dshape)
    mask = units != 0
    if inner:
        mask = mask.reshape(tuple(mask.shape[:3]) + (-1,)).any(-1)
    if layout not in _ROW_MAJOR:
        mask = mask.transpose(1, 2)
    nz = mask.nonzero()   # (b, comp, plain), sorted
    b, comp, plain = nz[:, 0], nz[:, 1], nz[:, 2]
    rows, cols = (comp, plain) if layout in _ROW_MAJOR else (plain, comp)
    vals = units[b, rows, cols]
    ncomp = ncell[0] if layout in _ROW_MAJOR else ncell[1]
    return _assemble(layout, b, comp, plain, vals, nb, ncomp, batch, tuple(x.shape))


def _assemble(layout, b, comp, plain, vals, nb, ncomp, batch, size):
    """Compressed tensor from entries sorted by (batch, comp, plain)."""
    e = _e()
    nnz_total = plain.shape[0]
    if nb and nnz_total % nb:
        raise RuntimeError("Expect the same number of specified elements per batch.")
    nnz = nnz_total // nb if nb else 0
    counts = e.bincount(b * ncomp + comp, minlength=nb * ncomp).reshape(nb, ncomp)
    if nb > 1 and not builtins.bool((counts.sum(1) == nnz).all()):
        raise RuntimeError("Expect the same number of specified elements per batch.")
    ci = e.cat([e.zeros((nb, 1), dtype=e.int64), counts.cumsum(1)], 1).reshape(batch + (ncomp + 1,))
    pi = plain.reshape(batch + (nnz,))
    vals = vals.reshape(batch + (nnz,) + tuple(vals.shape[1:]))
    return _make(layout, ci, pi, vals, size, sorted_entries=layout is sparse_csr)


def _from_coo(x, layout, blocksize, dense_dim):
    e = _e()
    sd = x.sparse_dim()
    if sd < 2:
        name = _layout_name(layout)
        raise RuntimeError(f"coo_to_{name[:6].lower()}_{name[6:].lower()}: conversion from Sparse to {name} for input "
                           f"tensors with sparse_dim() < 2 is not supported (got {sd})")
    if layout in _BLOCKED or dense_dim not in (None, x.dense_dim()):
        return _from_dense(x.to_dense(), layout, blocksize, dense_dim)
    nbatch = sd - 2
    batch = tuple(x.shape[:nbatch])
    nb = math.prod(batch)
    n, m = x.shape[nbatch], x.shape[nbatch + 1]
    idx = x._indices()
    flatb = e.zeros(idx.shape[1], dtype=e.int64)
    for i, s in enumerate(batch):
        flatb = flatb * s + idx[i]
    rows, cols = idx[nbatch], idx[nbatch + 1]
    comp, plain, ncomp, nplain = (rows, cols, n, m) if layout in _ROW_MAJOR else (cols, rows, m, n)
    # coalesce in (batch, comp, plain) order: sorts the entries and sums duplicates
    key = _native._sparse_coo_tensor(e.stack([flatb, comp, plain]), x._values(), (nb, ncomp, nplain) +
                                     tuple(x.shape[sd:]), False, False).coalesce()
    k = key._indices()
    return _assemble(layout, k[0], k[1], k[2], key._values(), nb, ncomp, batch, tuple(x.shape))


def convert(x, layout, blocksize=None, dense_dim=None):
    """``x`` (strided, COO or compressed) in a compressed ``layout``."""
    if layout not in COMPRESSED:
        raise RuntimeError(f"to_sparse: unsupported layout {layout}")
    what = f"to_sparse_{_layout_name(layout)[6:].lower()}"
    _host_only(x.device, f"aten::{what}")
    blocksize = _blocksize(layout, blocksize, what)
    if isinstance(x, SparseCompressedTensor):
        if dense_dim is not None and dense_dim != x.dense_dim():
            raise RuntimeError(f"{what}: conversion with dense_dim argument not equal to input dense_dim is not "
                               "supported")
        if x._layout is layout and (blocksize is None or x.values_blocksize() == blocksize):
            return x
        if layout in _BLOCKED or x._layout in _BLOCKED:
            return _from_dense(x.to_dense(), layout, blocksize, x.dense_dim())
        return _from_coo(x.to_sparse_coo(), layout, None, None)
    if x.is_sparse:
        return _from_coo(x, layout, blocksize, dense_dim)
    if x.ndim < 2:
        raise RuntimeError(f"{what}: expected a tensor with at least 2 dimensions, got {x.ndim}")
    return _from_dense(x, layout, blocksize, dense_dim)


# ---- repr -------------------------------------------------------------------------------------

def _repr(self):
    from ._tensor_str import _tensor_str, _add_suffixes
    from ._native import get_default_dtype
    cname, pname = _INDEX_NAMES[self._layout]
    indent = len("tensor(")
    parts = []
    for name, t in ((cname, self._ci), (pname, self._pi), ("values", self._vals.detach())):
        prefix = name + "=tensor("
        s = _tensor_str(t, indent + len(prefix))
        if t.numel() == 0:
            s += ", size=" + str(tuple(t.shape))
        if name != "values" and t.dtype != _e().int64:
            s += ", dtype=" + str(t.dtype)
        parts.append(prefix + s + ")")
    body = (",\n" + " " * indent).join(parts)
    suffixes = ["size=" + str(tuple(self.shape)), "nnz=" + str(self._nnz())]
    if self.dtype != get_default_dtype():
        suffixes.append("dtype=" + str(self.dtype))
    suffixes.append("layout=" + str(self._layout))
    if self.grad_fn is not None:
        suffixes.append(f"grad_fn=<{self.grad_fn.name()}>")
    elif self.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes("tensor(" + body, suffixes, indent)

"""The ops that run on compressed (CSR/CSC/BSR/BSC) tensors, and PyTorch's error for the rest.

- products with a dense operand (``@``, ``matmul``, ``mm``, ``mv``, ``addmm``, ``ember.sparse.mm``):
  computed by the native sparse product on the element-level COO form of the compressed
  tensor (no densify); gradients reach the dense operand and the values;
- ``mul`` by a scalar / 0-dim tensor / same-shape dense tensor / compressed tensor (the values at
  the stored entries), ``add``/``sub`` of two compressed tensors of one layout and shape (the
  union of their entries) or with a dense tensor (a dense result);
- zero-preserving unary functions on the values (``sin``, ``abs``, ``neg``, ``sqrt``, …);
- ``sum`` (all, or one sparse dim with keepdim=True), ``t``/``transpose`` (CSR ↔ CSC, BSR ↔ BSC,
  batch dims among themselves), ``clone``, ``detach``, ``to(dtype)``, the in-place
  ``mul_``/``add_``/``zero_``/``copy_``/``fill_``/``neg_``/unary ``_`` forms on the values.
Any other ``Tensor`` method raises NotImplementedError (a RuntimeError) naming the op.
"""
import builtins

from . import _native
from ._native import Tensor
from ._sparse_compressed import (SparseCompressedTensor as SC, _make, _ROW_MAJOR, _BLOCKED, _layout_name,
                                 unsupported, convert)
from ._layout import sparse_csr, sparse_csc, sparse_bsr, sparse_bsc

_TRANSPOSED = {sparse_csr: sparse_csc, sparse_csc: sparse_csr, sparse_bsr: sparse_bsc, sparse_bsc: sparse_bsr}


def _e():
    import ember
    return ember


# ---- products ---------------------------------------------------------------------------------

def _check_mm(a_shape, b_shape, a_dtype, b_dtype, what="addmm"):
    if a_dtype != b_dtype:
        raise RuntimeError(f"expected scalar type {a_dtype} but found {b_dtype} (the operands of a sparse product "
                           "must have one dtype)")
    if a_shape[-1] != b_shape[-2 if len(b_shape) > 1 else 0]:
        raise RuntimeError(f"{what}: mat1 and mat2 shapes cannot be multiplied ({a_shape[-2]}x{a_shape[-1]} and "
                           f"{'x'.join(map(str, b_shape[-2:]))})")


def _coo2d(s, transpose=False):
    """The product-ready COO of compressed ``s``: 2-D (batch dims laid out block-diagonally:
    batch b's rows and columns shifted by b*n and b*m), with autograd through the values."""
    e = _e()
    if s.dense_dim():
        raise RuntimeError("matmul: sparse compressed tensors with dense dimensions are not supported in products")
    c = s._coo(attached=True)
    nbatch = s._batch_dim()
    if not nbatch and not transpose:
        return c
    idx, vals = _native._sparse_parts(c)[:2]
    n, m = s.shape[-2], s.shape[-1]
    b = e.zeros(idx.shape[1], dtype=e.int64)
    for i in range(nbatch):
        b = b * s.shape[i] + idx[i]
    nb = 1
    for d in s.shape[:nbatch]:
        nb *= d
    rows, cols = idx[nbatch] + b * n, idx[nbatch + 1] + b * m
    if transpose:
        rows, cols, n, m = cols, rows, m, n
    return _native._sparse_coo_tensor(e.stack([rows, cols]), vals, (nb * n, nb * m), False, False)


def _sparse_dense(s, d, what="addmm"):
    """compressed ``s`` (*batch, n, m) @ dense ``d`` (*batch, m, p) or (m,)."""
    if not isinstance(d, Tensor):
        raise TypeError(f"{what}(): argument 'mat2' must be Tensor, not {type(d).__name__}")
    if isinstance(d, SC):
        return convert(_sparse_dense(s, d.to_dense(), what), s._layout if s._layout in (sparse_csr, sparse_csc)
                       else sparse_csr)
    if d.is_sparse:
        raise unsupported(what)
    nbatch = s._batch_dim()
    if d.ndim == 1 and not nbatch:
        _check_mm(s.shape, d.shape, s.dtype, d.dtype, what)
        return _native._sparse_mm(_coo2d(s), d[:, None])[:, 0]
    if d.ndim != nbatch + 2 or tuple(d.shape[:nbatch]) != tuple(s.shape[:nbatch]):
        raise RuntimeError(f"{what}: expected a dense operand of shape {list(s.shape[:nbatch])} + [{s.shape[-1]}, p] "
                           f"(batch dims are not broadcast), got {list(d.shape)}")
    _check_mm(s.shape, d.shape, s.dtype, d.dtype, what)
    if not nbatch:
        return _native._sparse_mm(_coo2d(s), d)
    p = d.shape[-1]
    out = _native._sparse_mm(_coo2d(s), d.reshape(-1, p))
    return out.reshape(tuple(s.shape[:-1]) + (p,))


def _dense_sparse(d, s, what="mm"):
    """dense ``d`` (*batch, p, n) @ compressed ``s`` (*batch, n, m) = (sᵀ @ dᵀ)ᵀ."""
    if s._batch_dim() or d.ndim != 2:
        raise RuntimeError(f"{what}: a dense @ sparse compressed product needs a 2-D dense and a 2-D sparse operand")
    if d.dtype != s.dtype:
        _check_mm(d.shape, s.shape, d.dtype, s.dtype, what)
    if d.shape[1] != s.shape[0]:
        raise RuntimeError(f"{what}: mat1 and mat2 shapes cannot be multiplied ({d.shape[0]}x{d.shape[1]} and "
                           f"{s.shape[0]}x{s.shape[1]})")
    return _native._sparse_mm(_coo2d(s, transpose=True), d.t()).t()


def matmul(a, b):
    if isinstance(a, SC):
        return _sparse_dense(a, b, "matmul")
    if not isinstance(a, Tensor):
        raise TypeError(f"matmul(): argument 'input' must be Tensor, not {type(a).__name__}")
    if a.ndim == 1:
        return _dense_sparse(a[None, :], b, "matmul")[0]
    return _dense_sparse(a, b, "matmul")


def _mm(self, mat2):
    if self.ndim != 2 or (isinstance(mat2, Tensor) and mat2.ndim != 2):
        raise RuntimeError(f"mm: expected 2-D tensors, got {self.ndim}-D and {getattr(mat2, 'ndim', '?')}-D")
    return _sparse_dense(self, mat2, "mm")


def _mv(self, vec):
    if self.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {self.ndim}, {vec.ndim}")
    return _sparse_dense(self, vec, "mv")


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)`` where mat1 or mat2 is compressed (a dense result)."""
    if isinstance(input, SC) or not (isinstance(mat1, SC) or isinstance(mat2, SC)):
        raise unsupported("addmm")  # a compressed input (PyTorch's sparse-result form) is not supported
    prod = matmul(mat1, mat2)
    r = prod * alpha if alpha != 1 else prod
    if beta != 0:  # beta == 0 ignores input (its nan/inf too), as in PyTorch
        r = r + (input * beta if beta != 1 else input)
    return r if out is None else out.copy_(r)


def _bmm(self, mat2):
    if self.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor, got {self.ndim}-D")
    return _sparse_dense(self, mat2, "bmm")


# ---- elementwise ------------------------------------------------------------------------------

def _entries_of(s, d):
    """The elements of dense ``d`` (shape of s, or broadcastable to it) at s's stored entries,
    shaped like s's values."""
    e = _e()
    d = d.expand(tuple(s.shape)) if tuple(d.shape) != tuple(s.shape) else d
    idx = _native._sparse_parts(s._coo())[0]
    picked = d[tuple(idx[i] for i in range(idx.shape[0]))]
    return picked.reshape(tuple(s._vals.shape))


def _mul(self, other):
    if isinstance(other, SC):
        if tuple(other.shape) != tuple(self.shape):
            raise RuntimeError(f"mul(): operands of a sparse product must have one shape, got {list(self.shape)} and "
                               f"{list(other.shape)}")
        other = other.to_dense()
    if isinstance(other, Tensor):
        if other.is_sparse:
            raise unsupported("mul")
        if other.ndim == 0:
            return self._map(lambda v: v * other)
        return self._map(lambda v: v * _entries_of(self, other))
    return self._map(lambda v: v * other)


def _div(self, other, *, rounding_mode=None):
    if isinstance(other, Tensor) and other.ndim:
        raise unsupported("div")
    return self._map(lambda v: v.div(other, rounding_mode=rounding_mode))


def _add(self, other, *, alpha=1):
    if isinstance(other, SC):
        if other._layout is not self._layout:
            raise RuntimeError(f"add: expected both operands in the layout {_layout_name(self._layout)}, got "
                               f"{_layout_name(other._layout)}")
        if tuple(other.shape) != tuple(self.shape):
            raise RuntimeError(f"add: Expected input tensors to have the same shape, but got tensor `self` with "
                               f"shape {list(self.shape)} and tensor `other` with shape {list(other.shape)}")
        if other.dtype != self.dtype:
            raise RuntimeError(f"expected scalar type {self.dtype} but found {other.dtype} (add of two sparse "
                               "compressed tensors)")
        if self._layout in _BLOCKED:
            # the union of two block patterns, block by block: add densely, keep every block of either
            bs = self.values_blocksize()
            total = self.to_dense() + other.to_dense() * alpha
            mask = (self.to_dense() != 0) | (other.to_dense() != 0) | (total != 0)
            keep = convert(mask.to(self.dtype), self._layout, bs)
            return keep._map(lambda v: _entries_of(keep, total))
        a, b = self.to_sparse_coo(), other.to_sparse_coo()
        s = a + (b * alpha if alpha != 1 else b)
        return convert(s.coalesce(), self._layout)
    if isinstance(other, Tensor) and not other.is_sparse and tuple(other.shape) == tuple(self.shape):
        return self.to_dense() + (other * alpha if alpha != 1 else other)
    raise RuntimeError("add(sparse_compressed, dense) is not supported for a scalar or a broadcast dense operand "
                       f"(got {type(other).__name__}); add two tensors of the same shape")


def _sub(self, other, *, alpha=1):
    return _add(self, other, alpha=-alpha)


def _radd(self, other):
    if isinstance(other, Tensor) and not isinstance(other, SC) and tuple(other.shape) == tuple(self.shape):
        return other + self.to_dense()
    return _add(self, other)


# zero-preserving unary functions: f(0) == 0, so the stored pattern is the result's pattern
_UNARY = ["abs", "absolute", "neg", "negative", "sin", "tan", "asin", "arcsin", "atan", "arctan", "sinh", "tanh",
          "asinh", "arcsinh", "atanh", "arctanh", "sqrt", "expm1", "log1p", "erf", "erfinv", "sign", "sgn", "signbit",
          "floor", "ceil", "round", "trunc", "fix", "frac", "deg2rad", "rad2deg", "relu", "conj", "conj_physical",
          "isnan", "isinf", "isposinf", "isneginf", "angle", "positive"]


def _unary(name):
    def fn(self, *args, **kwargs):
        return self._map(lambda v: getattr(v, name)(*args, **kwargs))

    def fn_(self, *args, **kwargs):
        getattr(self._vals, name + "_")(*args, **kwargs)
        return self
    fn.__name__, fn_.__name__ = name, name + "_"
    return fn, fn_


def _inplace(fn):
    """``x.op_(...)``: the result's values written into x's values (same pattern)."""
    def op_(self, *args, **kwargs):
        r = fn(self, *args, **kwargs)
        if not isinstance(r, SC) or r._layout is not self._layout or tuple(r.shape) != tuple(self.shape):
            raise RuntimeError("in-place op on a sparse compressed tensor would change its layout or size")
        if r._nnz() != self._nnz() or not builtins.bool((r._pi == self._pi).all()) or \
                not builtins.bool((r._ci == self._ci).all()):
            raise RuntimeError("in-place op on a sparse compressed tensor would change its sparsity pattern; use "
                               "the out-of-place op")
        if r.dtype != self.dtype and not _e().can_cast(r.dtype, self.dtype):
            raise RuntimeError(f"result type {r.dtype} can't be cast to the desired output type {self.dtype}")
        self._vals.copy_(r._vals)
        return self
    return op_


def _zero_(self):
    e = _e()
    nbatch = self._batch_dim()
    batch = tuple(self.shape[:nbatch])
    ci = e.zeros_like(self._ci)
    pi = self._pi.new_zeros(batch + (0,))
    vals = self._vals.new_zeros(batch + (0,) + tuple(self._vals.shape[nbatch + 1:]))
    _swap_parts(self, _make(self._layout, ci, pi, vals, self.shape))
    return self


def _swap_parts(self, new):
    """``self`` takes ``new``'s parts. Its native COO twin keeps the old entries (it can't be
    replaced in place), so from here ``self`` runs its Python rules only on the new parts."""
    self.__dict__.update(_layout=new._layout, _ci=new._ci, _pi=new._pi, _vals=new._vals, _size=new._size,
                         _stale=True)


def _copy_(self, src, non_blocking=False):
    if not isinstance(src, SC) or src._layout is not self._layout or tuple(src.shape) != tuple(self.shape):
        raise RuntimeError("copy_: a sparse compressed tensor copies only from one of the same layout and size")
    if src._nnz() == self._nnz() and builtins.bool((src._pi == self._pi).all()) and \
            builtins.bool((src._ci == self._ci).all()):
        self._vals.copy_(src._vals)
    else:
        _swap_parts(self, _make(self._layout, src._ci.clone(), src._pi.clone(), src._vals.to(self.dtype), self.shape))
    return self


def _fill_(self, value):
    self._vals.fill_(value)
    return self


def _sum(self, dim=None, keepdim=False, *, dtype=None):
    e = _e()
    vals = self._vals if dtype is None else self._vals.to(dtype)
    if dim is None:
        return vals.sum()
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not keepdim:
        raise RuntimeError("reduction operations on CSR tensors with keepdim=False is unsupported")
    if self._batch_dim() or self.dense_dim() or self._layout is not sparse_csr:
        raise unsupported("sum.dim_IntList")
    dims = tuple(d % 2 for d in dims)
    d = self.to_dense()
    if dtype is not None:
        d = d.to(dtype)
    return convert(d.sum(dims, keepdim=True), sparse_csr)


def _transpose(self, dim0, dim1):
    e = _e()
    nd = self.ndim
    d0, d1 = dim0 % nd, dim1 % nd
    nbatch = self._batch_dim()
    kind = lambda d: "Batch" if d < nbatch else ("Sparse" if d < nbatch + 2 else "Dense")  # noqa: E731
    if kind(d0) != kind(d1):
        raise RuntimeError(f"transpose(): can only transpose dimensions of the same type (Batch, Sparse, Dense), got "
                           f"{d0}({kind(d0)}) and {d1}({kind(d1)})")
    if d0 == d1:
        return self
    size = list(self.shape)
    size[d0], size[d1] = size[d1], size[d0]
    if kind(d0) == "Batch":
        return _make(self._layout, self._ci.transpose(d0, d1), self._pi.transpose(d0, d1),
                     self._vals.transpose(d0, d1), size)
    if kind(d0) == "Dense":
        raise unsupported("transpose.int")
    vals = self._vals
    if self._layout in _BLOCKED:
        vals = vals.transpose(nbatch + 1, nbatch + 2)
    return _make(_TRANSPOSED[self._layout], self._ci, self._pi, vals, size)


def _t(self):
    if self.ndim != 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, but got {self.ndim} sparse "
                           "and 0 dense dimensions")
    return _transpose(self, 0, 1)


def _select(self, dim, index):
    """A batch dim: the compressed tensor of that batch entry. A sparse dim: a COO tensor of the
    entries in that row/column (as PyTorch returns)."""
    e = _e()
    nd = self.ndim
    if not -nd <= dim < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
    dim %= nd
    size = self.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(self.shape)} at dimension "
                         f"{dim}")
    index %= size
    nbatch = self._batch_dim()
    if dim < nbatch:
        shape = tuple(self.shape[:dim]) + tuple(self.shape[dim + 1:])
        return _make(self._layout, self._ci.select(dim, index), self._pi.select(dim, index),
                     self._vals.select(dim, index), shape)
    if dim >= nbatch + 2:
        raise unsupported("select.int")
    c = self._coo(attached=True)
    idx, vals = _native._sparse_parts(c)[:2]
    keep = (idx[dim] == index).nonzero()[:, 0]
    rest = [k for k in range(idx.shape[0]) if k != dim]
    shape = tuple(self.shape[:dim]) + tuple(self.shape[dim + 1:])
    return _native._sparse_coo_tensor(idx[rest][:, keep], vals.index_select(0, keep), shape, False, False)


def _getitem(self, key):
    if isinstance(key, int) and not isinstance(key, builtins.bool):
        return _select(self, 0, key)
    raise unsupported("index.Tensor")


def _iter(self):
    return (_select(self, 0, i) for i in range(self.shape[0]))


def _item(self):
    if self.numel() != 1:
        raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
    return self.to_dense().item()


_IMPLEMENTED = {
    "mm": _mm, "mv": _mv, "matmul": lambda self, other: matmul(self, other), "bmm": _bmm,
    "mul": _mul, "multiply": _mul, "__mul__": _mul, "__rmul__": _mul, "div": _div, "divide": _div,
    "__truediv__": _div, "true_divide": _div,
    "add": _add, "__add__": _add, "__radd__": _radd, "sub": _sub, "subtract": _sub, "__sub__": _sub,
    "sum": _sum, "transpose": _transpose, "swapaxes": _transpose, "swapdims": _transpose, "t": _t,
    "item": _item, "select": _select, "__getitem__": _getitem, "__iter__": _iter,
    "zero_": _zero_, "copy_": _copy_, "fill_": _fill_,
}
_IMPLEMENTED.update({"mul_": _inplace(_mul), "__imul__": _inplace(_mul), "add_": _inplace(_add),
                     "__iadd__": _inplace(_add), "sub_": _inplace(_sub), "__isub__": _inplace(_sub),
                     "div_": _inplace(_div), "__itruediv__": _inplace(_div)})
def _dtype_method(dt_name):
    def fn(self, memory_format=None):
        return self.to(getattr(_e(), dt_name))
    fn.__name__ = dt_name
    return fn


for _m, _dt in (("float", "float32"), ("double", "float64"), ("half", "float16"), ("bfloat16", "bfloat16"),
                ("int", "int32"), ("long", "int64"), ("short", "int16"), ("char", "int8"), ("byte", "uint8"),
                ("bool", "bool"), ("cfloat", "complex64"), ("cdouble", "complex128")):
    _IMPLEMENTED[_m] = _dtype_method(_dt)
_IMPLEMENTED["type_as"] = lambda self, other: self.to(other.dtype)
for _n in _UNARY:
    _f, _f_ = _unary(_n)
    _IMPLEMENTED[_n] = _f
    if hasattr(Tensor, _n + "_"):
        _IMPLEMENTED[_n + "_"] = _f_

# Methods that read only metadata (true of the twin too) or are defined on the class itself.
_KEEP = {"size", "element_size", "get_device", "is_floating_point",
         "is_complex", "is_signed", "__len__", "__repr__", "__str__", "__format__", "__hash__", "__init__",
         "__new__", "__getattribute__", "__setattr__", "__delattr__", "__dir__", "__sizeof__", "__subclasshook__",
         "__init_subclass__", "__reduce__", "__getstate__", "register_hook", "retain_grad", "is_shared",
         "is_pinned", "is_inference", "requires_grad_", "dim_order", "untyped_storage", "_is_view",
         "backward", "__class__", "__eq__", "__ne__"}


def _throw(exc):
    raise exc


def _raiser(name):
    op = name.strip("_") if name.startswith("__") else name

    def fn(self, *args, **kwargs):
        raise unsupported(op)
    fn.__name__ = name
    return fn


def install():
    for name, fn in _IMPLEMENTED.items():
        setattr(SC, name, fn)
    for name in dir(Tensor):
        if name in SC.__dict__ or name in _KEEP or (name.startswith("_") and not name.startswith("__")):
            continue
        attr = getattr(Tensor, name, None)
        if isinstance(attr, property) or type(attr).__name__ == "getset_descriptor" or not callable(attr):
            continue
        setattr(SC, name, _raiser(name))
    # properties that read the data
    for name, fn in {"T": lambda self: _t(self) if self.ndim == 2 else _throw(unsupported("permute")),
                     "mT": lambda self: _transpose(self, -2, -1),
                     "H": lambda self: _t(self).conj(),
                     "mH": lambda self: _transpose(self, -2, -1).conj(),
                     "real": lambda self: self if not self.dtype.is_complex else _throw(unsupported("real")),
                     "imag": lambda self: _throw(unsupported("imag")),
                     "__array_interface__": lambda self: _throw(unsupported("numpy")),
                     "nbytes": lambda self: self._vals.nbytes + self._ci.nbytes + self._pi.nbytes,
                     }.items():
        setattr(SC, name, property(fn))
    SC.__eq__ = lambda self, other: _throw(unsupported("eq"))
    SC.__ne__ = lambda self, other: _throw(unsupported("ne"))
    SC.__hash__ = object.__hash__
    SC.__bool__ = lambda self: _throw(RuntimeError(
        "Boolean value of Tensor with more than one value is ambiguous") if self.numel() != 1 else unsupported("is_nonzero"))


install()


def _install_sparse_mask():
    """``dense.sparse_mask(mask)`` with a compressed mask: mask's pattern and layout, self's values."""
    orig = Tensor.sparse_mask

    def sparse_mask(self, mask):
        if not isinstance(mask, SC):
            return orig(self, mask)
        if tuple(self.shape) != tuple(mask.shape):
            raise RuntimeError(f"sparse_mask(): operands have incompatible sizes; self has size {list(self.shape)} "
                               f"but mask has size {list(mask.shape)}")
        if isinstance(self, SC) or self.is_sparse:
            self = self.to_dense()
        return _make(mask._layout, mask._ci, mask._pi, _entries_of(mask, self), mask.shape)
    sparse_mask.__doc__ = orig.__doc__
    Tensor.sparse_mask = sparse_mask
    SC.sparse_mask = sparse_mask


def install_functions(ns):
    """Run last in ``ember/__init__``: gives the Tensor methods attached after this module's
    first ``install()`` their SparseCsrCPU error too, and wraps the namespace products ``mm``/``matmul``/``addmm``/``mv`` so that a dense first
    operand with a compressed second one (``ember.mm(dense, csr)``, ``ember.addmm(bias, csr,
    dense)``) runs the compressed product; dense calls pay one type check."""
    from ._argcheck import checked
    _install_sparse_mask()
    install()

    def wrap2(orig):
        def fn(input, other, *args, **kwargs):
            if type(other) is SC and not kwargs.get("out") and not args:
                return matmul(input, other)
            return orig(input, other, *args, **kwargs)
        fn.__name__, fn.__doc__, fn.__wrapped__ = orig.__name__, orig.__doc__, orig
        return checked(fn)

    def wrap_addmm(orig):
        def addmm_(input, mat1, mat2, *args, **kwargs):
            if (type(mat1) is SC or type(mat2) is SC or type(input) is SC) and not args:
                return addmm(input, mat1, mat2, **kwargs)
            return orig(input, mat1, mat2, *args, **kwargs)
        addmm_.__name__, addmm_.__doc__, addmm_.__wrapped__ = "addmm", orig.__doc__, orig
        return checked(addmm_)

    for name in ("mm", "matmul", "mv"):
        ns[name] = wrap2(ns[name])
    ns["addmm"] = wrap_addmm(ns["addmm"])

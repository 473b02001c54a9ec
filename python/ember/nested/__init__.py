"""Nested tensors (``ember.nested``): a batch of tensors of one dimensionality whose sizes differ.

A nested tensor of B components stores them back to back in one flat buffer; component ``i``
is ``buffer[offset_i : offset_i + numel_i].view(sizes_i)``. Two layouts, as in PyTorch:

- ``ember.strided`` (the default): any dim may differ between components;
- ``ember.jagged``: only the first dim of the components differs (shape ``(B, j, *D)``);
  ``values()`` is the buffer viewed as ``(sum of j, *D)`` and ``offsets()`` the B + 1 row
  offsets into it.

``NestedTensor`` is a Python subclass of ``ember.Tensor``. The native tensor behind it is a
sparse COO tensor of the padded shape holding exactly the components' elements (sharing the
buffer's storage), so a native function that reaches it sees a sparse tensor, never a dense
one. Supported: ``unbind``/indexing dim 0, ``size(i)`` of a regular dim, ``numel``, ``dim``,
``to_padded_tensor``, ``clone``/``detach``/``to(dtype)``, elementwise unary functions and binary
ops between nested tensors of one structure or with a scalar, ``bmm``/``matmul`` of two nested
tensors. Everything else raises NotImplementedError naming the op.
"""
import builtins
import math

from .. import _native
from .._native import Tensor
from .._layout import strided, jagged

__all__ = ["nested_tensor", "as_nested_tensor", "to_padded_tensor", "nested_tensor_from_jagged", "narrow",
           "masked_select"]


def _e():
    import ember
    return ember


def _unsupported(op):
    return NotImplementedError(
        f"Could not run 'aten::{op}' with arguments from the 'NestedTensorCPU' backend: nested tensors support "
        "only the ops listed in ember.nested's documentation; use .unbind() or to_padded_tensor() first.")


class NestedTensor(Tensor):
    """A nested tensor (see the ``ember.nested`` module docstring)."""

    layout = property(lambda self: self._layout)
    is_nested = property(lambda self: True)
    is_sparse = property(lambda self: False)
    ndim = property(lambda self: len(self._sizes[0]) + 1 if self._sizes else 1)
    requires_grad = property(lambda self: self._buf.requires_grad, lambda self, v: self.requires_grad_(v))
    grad_fn = property(lambda self: self._buf.grad_fn)
    is_leaf = property(lambda self: self._buf.is_leaf)

    @property
    def _shape(self):
        raise RuntimeError("Internal error: NestedTensorImpl doesn't support sizes: a nested tensor's sizes "
                           "differ between components; use .size(dim) for a regular dim or .unbind()")

    @property
    def grad(self):
        g = self._buf.grad
        return None if g is None else _from_buffer(g, self._sizes, self._layout)

    def dim(self):
        return self.ndim

    ndimension = dim

    def size(self, dim=None):
        if dim is None:
            return self._shape
        n = self.ndim
        if not -n <= dim < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
        dim %= n
        if dim == 0:
            return len(self._sizes)
        vals = {s[dim - 1] for s in self._sizes}
        if len(vals) > 1:
            raise RuntimeError(f"Given dimension {dim} is irregular and does not have a size.")
        if not vals:
            raise RuntimeError(f"Given dimension {dim} is irregular and does not have a size.")
        return vals.pop()

    def numel(self):
        return builtins.sum(math.prod(s) for s in self._sizes)

    nelement = numel

    def requires_grad_(self, requires_grad=True):
        self._buf.requires_grad_(requires_grad)
        return self

    def unbind(self, dim=0):
        if dim != 0:
            raise RuntimeError(f"NestedTensor can only be unbound along dimension 0 got dimension {dim} instead.")
        out, off = [], 0
        for s in self._sizes:
            n = math.prod(s)
            out.append(self._buf[off:off + n].view(s))
            off += n
        return tuple(out)

    def __getitem__(self, i):
        if isinstance(i, int):
            parts = self.unbind()
            return parts[i]
        raise _unsupported("index.Tensor")

    def __len__(self):
        return len(self._sizes)

    def __iter__(self):
        return iter(self.unbind())

    def values(self):
        if self._layout is not jagged:
            raise RuntimeError("values(): only a nested tensor with layout=ember.jagged has values() and offsets()")
        inner = tuple(self._sizes[0][1:]) if self._sizes else ()
        return self._buf.view((-1,) + inner)

    def offsets(self):
        if self._layout is not jagged:
            raise RuntimeError("offsets(): only a nested tensor with layout=ember.jagged has values() and offsets()")
        e = _e()
        return e.tensor([0] + list(_cumsum([s[0] for s in self._sizes])), dtype=e.int64)

    def lengths(self):
        return None

    def to_padded_tensor(self, padding, output_size=None):
        return to_padded_tensor(self, padding, output_size)

    def clone(self, *, memory_format=None):
        return _from_buffer(self._buf.clone(), self._sizes, self._layout)

    def detach(self):
        return _from_buffer(self._buf.detach(), self._sizes, self._layout)

    def contiguous(self, memory_format=None):
        return self

    def is_contiguous(self, memory_format=None):
        return True

    def to(self, *args, **kwargs):
        e = _e()
        dtype = kwargs.get("dtype")
        for a in args:
            if isinstance(a, e.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
        if dtype is None or dtype == self.dtype:
            return self
        return _from_buffer(self._buf.to(dtype), self._sizes, self._layout)

    def _map(self, fn):
        return _from_buffer(fn(self._buf), self._sizes, self._layout)

    def _binary(self, other, fn, op):
        if isinstance(other, NestedTensor):
            if other._sizes != self._sizes:
                raise RuntimeError(f"{op} does not support broadcasting when given a NestedTensor")
            return self._map(lambda b: fn(b, other._buf))
        if isinstance(other, Tensor):
            if other.ndim != 0:
                raise RuntimeError(f"{op}: a nested tensor combines only with a nested tensor of the same structure, a "
                                   "scalar or a 0-dim tensor (no broadcasting of a dense tensor)")
        return self._map(lambda b: fn(b, other))

    def bmm(self, mat2):
        if not isinstance(mat2, NestedTensor):
            raise RuntimeError("Expected both to be nested, but got a nested self and non-nested other")
        if self.ndim != 3 or mat2.ndim != 3:
            raise RuntimeError(f"batch1 must be a 3D tensor, got {self.ndim}-D")
        if len(self._sizes) != len(mat2._sizes):
            raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{len(self._sizes)}, *]")
        return nested_tensor([a @ b for a, b in zip(self.unbind(), mat2.unbind())], layout=self._layout) \
            if not self.requires_grad and not mat2.requires_grad else \
            as_nested_tensor([a @ b for a, b in zip(self.unbind(), mat2.unbind())], layout=self._layout)

    def matmul(self, other):
        return self.bmm(other)

    __matmul__ = matmul

    def __repr__(self, *args, **kwargs):
        return _repr(self)

    __str__ = __repr__

    def __bool__(self):
        raise RuntimeError("Boolean value of a nested tensor is ambiguous")

    def __reduce_ex__(self, proto):
        return (_from_buffer, (self._buf.detach(), self._sizes, self._layout))

    def __deepcopy__(self, memo):
        r = self.detach().clone()
        if self.requires_grad:
            r.requires_grad_()
        memo[id(self)] = r
        return r

    __hash__ = object.__hash__


def _cumsum(xs):
    t = 0
    for x in xs:
        t += x
        yield t


def _padded_shape(sizes):
    if not sizes:
        return (0,)
    return (len(sizes),) + tuple(max(s[d] for s in sizes) for d in range(len(sizes[0])))


def _positions(sizes, shape):
    """Indices into the padded ``shape`` of every component element, in buffer order."""
    e = _e()
    cols = []
    for i, s in enumerate(sizes):
        n = math.prod(s)
        if n == 0:
            continue
        grids = e.meshgrid(*[e.arange(k) for k in s], indexing="ij") if s else []
        cols.append(e.stack([e.full((n,), i, dtype=e.int64)] + [g.reshape(-1) for g in grids]))
    if not cols:
        return e.zeros((len(shape), 0), dtype=e.int64)
    return e.cat(cols, 1)


def _from_buffer(buf, sizes, layout):
    sizes = [tuple(int(k) for k in s) for s in sizes]
    shape = _padded_shape(sizes)
    idx = _positions(sizes, shape)
    twin = _native._sparse_coo_tensor(idx, buf.detach(), shape, True, False)
    t = Tensor.__new__(NestedTensor, twin)
    t.__dict__.update(_buf=buf, _sizes=sizes, _layout=layout)
    return t


def _check_layout(layout, sizes):
    if layout not in (None, strided, jagged):
        raise RuntimeError(f"Specified layout is unsupported for nested tensors: {layout}")
    if layout is jagged and sizes and (len(sizes[0]) == 0 or len({s[1:] for s in sizes}) > 1):
        raise RuntimeError("Cannot represent given tensor list as a nested tensor with the jagged layout. Note that "
                           "the jagged layout only allows for a single ragged dimension. For example: (B, *, D_0, "
                           "D_1, ..., D_N), with ragged * dim.")
    return strided if layout is None else layout


def _host_only(device, what):
    """Nested tensors live on the CPU: another device raises rather than being ignored."""
    from .._creation import _check_device
    dev = _check_device(device)
    if dev.type != "cpu":
        raise NotImplementedError(f"Could not run 'aten::{what}' with arguments from the 'NestedTensor"
                                  f"{dev.type.capitalize()}' backend: ember's nested tensors live on the CPU (got "
                                  f"device {dev})")


def _components(tensor_list, dtype, what):
    e = _e()
    if isinstance(tensor_list, Tensor) and not isinstance(tensor_list, NestedTensor):
        tensor_list = list(tensor_list.unbind(0)) if tensor_list.ndim else None
        if tensor_list is None:
            raise RuntimeError(f"{what}: expected a list of tensors or a tensor with at least one dim")
    if not isinstance(tensor_list, (list, tuple)):
        raise TypeError(f"{what}(): argument 'tensor_list' must be a list of Tensors, not {type(tensor_list).__name__}")
    parts = [t if isinstance(t, Tensor) else e.tensor(t) for t in tensor_list]
    for i, t in enumerate(parts):
        if t.ndim != parts[0].ndim:
            raise RuntimeError(f"All Tensors given to nested_tensor must have the same dimension. Found dimension "
                               f"{t.ndim} for Tensor at index {i} and dimension {parts[0].ndim} for Tensor at index 0.")
        if t.is_sparse or getattr(t, "is_nested", False):
            raise RuntimeError(f"{what}: the components must be strided tensors")
        _host_only(t.device, what)
    if dtype is None and parts:
        dtype = parts[0].dtype
    return parts, dtype


def nested_tensor(tensor_list, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A nested tensor holding copies of the tensors in ``tensor_list`` (a new leaf: no
    autograd history; ``requires_grad`` makes it require grad)."""
    e = _e()
    _host_only(device, "nested_tensor")
    parts, dtype = _components(tensor_list, dtype, "nested_tensor")
    sizes = [tuple(t.shape) for t in parts]
    layout = _check_layout(layout, sizes)
    dt = dtype if dtype is not None else e.get_default_dtype()
    buf = e.cat([t.detach().reshape(-1).to(dt) for t in parts]) if parts else e.zeros(0, dtype=dt)
    buf = buf.clone() if len(parts) == 1 else buf
    if requires_grad:
        buf.requires_grad_()
    return _from_buffer(buf, sizes, layout)


def as_nested_tensor(ts, dtype=None, device=None, layout=None):
    """A nested tensor from a list of tensors (or a tensor, split along dim 0) that keeps
    autograd history: gradients flow back to the given tensors."""
    e = _e()
    _host_only(device, "as_nested_tensor")
    if isinstance(ts, NestedTensor):
        if layout not in (None, ts._layout):
            return nested_tensor(list(ts.unbind()), dtype=dtype, layout=layout)
        return ts if dtype in (None, ts.dtype) else ts.to(dtype)
    parts, dtype = _components(ts, dtype, "as_nested_tensor")
    sizes = [tuple(t.shape) for t in parts]
    layout = _check_layout(layout, sizes)
    dt = dtype if dtype is not None else e.get_default_dtype()
    buf = e.cat([t.reshape(-1).to(dt) for t in parts]) if parts else e.zeros(0, dtype=dt)
    return _from_buffer(buf, sizes, layout)


def nested_tensor_from_jagged(values, offsets=None, lengths=None, jagged_dim=None, min_seqlen=None, max_seqlen=None):
    """A jagged nested tensor whose component ``i`` is ``values[offsets[i]:offsets[i+1]]``."""
    if offsets is None:
        raise RuntimeError("nested_tensor_from_jagged(): ember needs offsets (lengths-only nested tensors are not "
                           "supported)")
    if lengths is not None or jagged_dim not in (None, 1):
        raise RuntimeError("nested_tensor_from_jagged(): ember supports contiguous components along dim 1 only "
                           "(lengths=None, jagged_dim=None or 1)")
    offs = [int(o) for o in offsets.tolist()]
    if offs and (offs[0] != 0 or offs[-1] != values.shape[0] or any(b < a for a, b in zip(offs, offs[1:]))):
        raise RuntimeError(f"nested_tensor_from_jagged(): offsets must rise from 0 to values.shape[0] "
                           f"(={values.shape[0]}), got {offs}")
    inner = tuple(values.shape[1:])
    sizes = [(b - a,) + inner for a, b in zip(offs, offs[1:])]
    return _from_buffer(values.reshape(-1), sizes, jagged)


def narrow(tensor, dim, start, length, layout=strided):
    """A nested tensor whose component ``i`` is ``tensor[i].narrow(dim - 1, start[i], length[i])``
    (``dim`` must be 1; ``start``/``length`` ints or 1-D tensors of B entries)."""
    e = _e()
    if dim != 1:
        raise RuntimeError("narrow(): only dim=1 is supported")
    B = tensor.shape[0]
    st = [int(start)] * B if not isinstance(start, Tensor) else [int(v) for v in start.tolist()]
    ln = [int(length)] * B if not isinstance(length, Tensor) else [int(v) for v in length.tolist()]
    return as_nested_tensor([tensor[i].narrow(0, st[i], ln[i]) for i in range(B)], layout=layout)


def masked_select(tensor, mask):
    """A jagged nested tensor whose component ``i`` holds the elements of ``tensor[i]`` where
    ``mask[i]`` is True (``mask`` broadcasts to ``tensor``'s shape)."""
    e = _e()
    if not isinstance(tensor, Tensor) or isinstance(tensor, NestedTensor) or tensor.is_sparse:
        raise RuntimeError("torch.nested.masked_select requires a strided tensor")
    if not isinstance(mask, Tensor) or mask.dtype != e.bool:
        raise RuntimeError("torch.nested.masked_select requires a bool mask tensor")
    if tensor.ndim < 1:
        raise RuntimeError("torch.nested.masked_select requires a tensor with at least one dim")
    mask = mask.broadcast_to(tuple(tensor.shape))
    values = tensor.masked_select(mask)
    counts = mask.reshape(tensor.shape[0], -1).sum(1)
    offsets = e.cat([e.zeros(1, dtype=e.int64), counts.cumsum(0)])
    return nested_tensor_from_jagged(values, offsets)


def to_padded_tensor(input, padding, output_size=None, out=None):
    """The components of nested ``input`` in one dense tensor, padded with ``padding`` to their
    largest size per dim (or to ``output_size``, which may not be smaller)."""
    e = _e()
    if not isinstance(input, NestedTensor):
        raise NotImplementedError("Could not run 'aten::to_padded_tensor' with arguments from the 'CPU' backend: the "
                                  "input is not a nested tensor")
    shape = _padded_shape(input._sizes)
    if output_size is not None:
        output_size = tuple(int(s) for s in output_size)
        if len(output_size) != len(shape):
            raise RuntimeError(f"Length of output_size does not match NestedTensor dims. Broadcasting is not "
                               f"supported. (got {len(output_size)}, expected {len(shape)})")
        if any(o < s for o, s in zip(output_size, shape)):
            raise RuntimeError("Value in output_size is less than NestedTensor padded size. Truncation is not "
                               "supported.")
        shape = output_size
    idx = _positions(input._sizes, shape)
    r = e.full(shape, padding, dtype=input.dtype)
    r = r.index_put((*idx,), input._buf)
    return r if out is None else out.copy_(r)


# ---- methods and errors -----------------------------------------------------------------------

_UNARY = ["abs", "neg", "negative", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp",
          "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "sigmoid", "relu", "sign", "sgn", "floor", "ceil",
          "round", "trunc", "frac", "reciprocal", "square", "erf", "erfinv", "logical_not", "bitwise_not", "isnan",
          "isinf", "isfinite", "silu", "gelu", "float", "double", "half", "bfloat16", "long", "int", "bool",
          "nan_to_num", "clamp", "clip", "pow", "deg2rad", "rad2deg", "positive"]
_BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
           "div": lambda a, b: a / b, "true_divide": lambda a, b: a / b, "maximum": lambda a, b: _e().maximum(a, b),
           "minimum": lambda a, b: _e().minimum(a, b), "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
           "lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
           "remainder": lambda a, b: a % b, "floor_divide": lambda a, b: a // b, "atan2": lambda a, b: a.atan2(b),
           "logical_and": lambda a, b: a.logical_and(b), "logical_or": lambda a, b: a.logical_or(b)}
_DUNDER = {"__add__": "add", "__radd__": "add", "__sub__": "sub", "__mul__": "mul", "__rmul__": "mul",
           "__truediv__": "div", "__eq__": "eq", "__ne__": "ne", "__lt__": "lt", "__le__": "le", "__gt__": "gt",
           "__ge__": "ge", "__mod__": "remainder", "__floordiv__": "floor_divide"}
_KEEP = {"dim", "ndimension", "numel", "nelement", "element_size", "get_device", "is_floating_point", "is_complex",
         "is_signed", "__len__", "__repr__", "__str__", "__format__", "__hash__", "__init__", "__new__",
         "__getattribute__", "__setattr__", "__delattr__", "__dir__", "__sizeof__", "__subclasshook__",
         "__init_subclass__", "__reduce__", "__getstate__", "__class__", "register_hook", "retain_grad",
         "requires_grad_", "backward", "size", "is_contiguous", "contiguous", "is_inference", "is_shared",
         "is_pinned", "__iter__", "__getitem__", "__bool__"}


def _unary(name):
    def fn(self, *args, **kwargs):
        return self._map(lambda b: getattr(b, name)(*args, **kwargs))
    fn.__name__ = name
    return fn


def _binary(name):
    f = _BINARY[name]

    def fn(self, other, *args, **kwargs):
        if args or kwargs:
            alpha = kwargs.pop("alpha", args[0] if args else 1)
            if name in ("add", "sub") and not kwargs:
                g = _BINARY[name]
                return self._binary(other, lambda a, b: g(a, b * alpha) if alpha != 1 else g(a, b), name)
            raise _unsupported(name)
        return self._binary(other, f, name)
    fn.__name__ = name
    return fn


def _rsub(self, other):
    return self._map(lambda b: other - b)


def _raiser(name):
    op = name.strip("_") if name.startswith("__") else name

    def fn(self, *args, **kwargs):
        raise _unsupported(op)
    fn.__name__ = name
    return fn


def _install():
    NT = NestedTensor
    for n in _UNARY:
        setattr(NT, n, _unary(n))
    for n in _BINARY:
        setattr(NT, n, _binary(n))
    for d, n in _DUNDER.items():
        setattr(NT, d, getattr(NT, n))
    NT.__rsub__ = _rsub
    NT.__neg__ = NT.neg
    NT.__abs__ = NT.abs
    NT.__pos__ = lambda self: self
    for name in dir(Tensor):
        if name in NT.__dict__ or name in _KEEP or (name.startswith("_") and not name.startswith("__")):
            continue
        attr = getattr(Tensor, name, None)
        if isinstance(attr, property) or type(attr).__name__ == "getset_descriptor" or not callable(attr):
            continue
        setattr(NT, name, _raiser(name))
    NT.__hash__ = object.__hash__


_install()


def _repr(self):
    if self._layout is jagged:
        inner = self._sizes[0][1:] if self._sizes else ()
        size = "(" + ", ".join([str(len(self._sizes)), "j"] + [str(k) for k in inner]) + ")"
        return f"NestedTensor(size={size}, offsets={self.offsets()!r}, contiguous=True)"
    body = ",\n".join("  " + repr(t.detach()).replace("\n", "\n  ") for t in self.unbind())
    suffix = ", requires_grad=True" if self.requires_grad and self.grad_fn is None else ""
    if self.grad_fn is not None:
        suffix = f", grad_fn=<{self.grad_fn.name()}>"
    return "nested_tensor([\n" + body + ("\n" if body else "\n") + "]" + suffix + ")"


def _dense_to_padded_tensor(self, padding, output_size=None):
    return to_padded_tensor(self, padding, output_size)


Tensor.to_padded_tensor = _dense_to_padded_tensor

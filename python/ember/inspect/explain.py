"""``explain(t)``: a tensor's storage, layout and contiguity, in numbers and in a picture.

The model: element ``(i0, i1, …)`` of a tensor lives at
``storage[storage_offset + i0*stride0 + i1*stride1 + …]`` (strides in elements).
"""
import itertools
from dataclasses import dataclass, field

from .._native import Tensor

MAX_PICTURE = 64  # storage cells drawn in the text picture


@dataclass
class Explanation:
    """Structured facts about a tensor's memory; ``str()`` renders the report."""

    shape: tuple
    dtype: str
    device: str
    itemsize: int
    storage_nbytes: int
    storage_elements: int
    storage_data_ptr: int
    storage_handles: int
    covers_storage: bool
    strides: tuple
    storage_offset: int
    contiguity: str
    formula: str
    is_contiguous: bool = False  # t.is_contiguous(): row-major, the layout .view() and most fast paths need
    cells_read: list = field(default_factory=list)  # storage index read for each logical element, row-major
    picture: str = ""

    def __str__(self):
        lines = [
            f"Tensor   shape {self.shape}  dtype {self.dtype}  device {self.device}",
            f"Storage  {self.storage_nbytes} bytes = {self.storage_elements} elements x {self.itemsize} B "
            f"at 0x{self.storage_data_ptr:x}; {self.storage_handles} handle(s) share it; "
            + ("this view covers all of it" if self.covers_storage else "this view covers only part of it"),
            f"Layout   sizes {self.shape}  strides {self.strides}  storage_offset {self.storage_offset}",
            f"Class    {self.contiguity}",
            f"Contig.  is_contiguous() = {self.is_contiguous}"
            + ("" if self.is_contiguous else "  (call .contiguous() for a row-major copy)"),
            f"Offset   {self.formula}",
        ]
        if self.picture:
            lines.append("Storage cells (value, and [k] = the k-th element this view reads):")
            lines.append(self.picture)
        return "\n".join(lines)

    __repr__ = __str__


def contiguity(shape, strides):
    """Names the layout class: row-major, column-major, channels-last, expanded, overlapping
    or plainly non-contiguous."""
    dims = [(n, s) for n, s in zip(shape, strides) if n != 1]
    if any(n == 0 for n in shape):
        return "row-major (C-contiguous): empty"
    zero = [i for i, (n, s) in enumerate(zip(shape, strides)) if n > 1 and s == 0]
    if zero:
        return f"expanded: stride 0 on dim(s) {zero} (one stored value is read many times; writes are refused)"

    def dense(order):
        expect = 1
        for n, s in order:
            if s != expect:
                return False
            expect *= n
        return True

    if dense(list(reversed(dims))):
        return "row-major (C-contiguous)"
    if dense(dims):
        return "column-major (Fortran-contiguous, e.g. a transposed row-major tensor)"
    if len(shape) == 4 and dense([(shape[1], strides[1]), (shape[3], strides[3]), (shape[2], strides[2]), (shape[0], strides[0])]):
        return "channels-last (NHWC in memory)"
    by_stride = sorted(dims, key=lambda d: d[1])
    extent = 1
    for n, s in by_stride:
        if s < extent:
            return "overlapping: several logical indices share a storage cell (as_strided/unfold)"
        extent = s * (n - 1) + extent
    return "non-contiguous (a strided view: gaps between the elements it reads)"


def _offsets(shape, strides, offset):
    return [offset + sum(i * s for i, s in zip(idx, strides)) for idx in itertools.product(*[range(n) for n in shape])]


def _storage_values(t):
    """The whole storage as a flat list of values (via a 1-D as_strided view)."""
    n = t.untyped_storage().nbytes() // t.element_size()
    return t.detach().as_strided((n,), (1,), 0).tolist() if n else []


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _picture(t, cells):
    vals = _storage_values(t)
    order = {}
    for k, c in enumerate(cells):
        order.setdefault(c, []).append(k)
    out = []
    row = []
    for i, v in enumerate(vals[:MAX_PICTURE]):
        mark = ",".join(str(k) for k in order.get(i, [])[:3]) + ("…" if len(order.get(i, [])) > 3 else "")
        row.append(f"{i:>3}:{_fmt(v)}" + (f"[{mark}]" if mark else " ·"))
        if len(row) == 6:
            out.append("   " + "  ".join(row))
            row = []
    if row:
        out.append("   " + "  ".join(row))
    if len(vals) > MAX_PICTURE:
        out.append(f"   … {len(vals) - MAX_PICTURE} more cells")
    return "\n".join(out)


def explain(t):
    """A report (printable, and a structured object) of ``t``'s storage and layout."""
    if not isinstance(t, Tensor):
        raise TypeError(f"explain() expects an ember.Tensor, got {type(t).__name__}")
    shape, strides, off = tuple(t.shape), tuple(t.stride()), t.storage_offset()
    st = t.untyped_storage()
    item = t.element_size()
    n_el = st.nbytes() // item
    cells = _offsets(shape, strides, off) if t.numel() <= 4096 else []
    covered = len(set(cells)) == n_el if cells or t.numel() == 0 else t.numel() == n_el and t.is_contiguous()
    terms = " + ".join(f"i{k}×{s}" for k, s in enumerate(strides))
    formula = f"offset = {off}" + (f" + {terms}" if terms else "") + "   (strides in elements)"
    return Explanation(
        shape=shape, dtype=t.dtype.name, device=str(t.device), itemsize=item, storage_nbytes=st.nbytes(),
        storage_elements=n_el, storage_data_ptr=st.data_ptr(), storage_handles=st._use_count(),
        covers_storage=covered, strides=strides, storage_offset=off, contiguity=contiguity(shape, strides),
        formula=formula, is_contiguous=bool(t.is_contiguous()), cells_read=cells, picture=_picture(t, cells) if t.numel() <= MAX_PICTURE and n_el <= 4 * MAX_PICTURE else "",
    )


@dataclass
class IndexExplanation:
    index: tuple
    storage_offset: int
    strides: tuple
    position: int
    value: object

    def __str__(self):
        terms = " + ".join(f"{i}×{s}" for i, s in zip(self.index, self.strides))
        idx = ",".join(str(i) for i in self.index)
        return f"x[{idx}] → {self.storage_offset}" + (f" + {terms}" if terms else "") + f" = {self.position} → storage[{self.position}] = {_fmt(self.value)}"

    __repr__ = __str__


def explain_index(t, idx):
    """The arithmetic that finds one element: ``x[1,0,1] → 0 + 1×4 + 0×2 + 1×1 = 5 → storage[5] = 0.6``."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    if len(idx) != t.ndim:
        raise IndexError(f"explain_index needs one index per dim ({t.ndim}), got {len(idx)}")
    norm = []
    for d, (i, n) in enumerate(zip(idx, t.shape)):
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of bounds for dimension {d} with size {n}")
        norm.append(i + n if i < 0 else i)
    strides = tuple(t.stride())
    pos = t.storage_offset() + sum(i * s for i, s in zip(norm, strides))
    value = t.detach().as_strided((1,), (1,), pos).tolist()[0]
    return IndexExplanation(tuple(norm), t.storage_offset(), strides, pos, value)


def shares_memory(a, b):
    """True when ``a`` and ``b`` read at least one common storage element."""
    if a.untyped_storage().data_ptr() != b.untyped_storage().data_ptr():
        return False
    if a.numel() == 0 or b.numel() == 0:
        return False
    if a.numel() * b.numel() <= 1 << 20:
        return bool(set(_offsets(tuple(a.shape), a.stride(), a.storage_offset())) & set(_offsets(tuple(b.shape), b.stride(), b.storage_offset())))
    span = lambda t: (t.storage_offset() + sum((n - 1) * s for n, s in zip(t.shape, t.stride()) if s < 0),
                      t.storage_offset() + sum((n - 1) * s for n, s in zip(t.shape, t.stride()) if s > 0))
    (lo1, hi1), (lo2, hi2) = span(a), span(b)
    return lo1 <= hi2 and lo2 <= hi1


def lineage(t):
    """The chain from ``t`` to the tensor that owns its storage: [(description, tensor)]."""
    chain = [(_describe(t), t)]
    base = t._base
    if base is not None and base is not t:
        chain.append((_describe(base), base))
    return chain


def _describe(t):
    fn = t.grad_fn
    made_by = f" made by {fn.name()}" if fn is not None else ""
    return f"shape {tuple(t.shape)} strides {t.stride()} offset {t.storage_offset()}{made_by}"

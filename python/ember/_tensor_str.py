"""``repr``/``str`` of tensors in PyTorch's format, and ``set_printoptions``.

The algorithm, as PyTorch's:
1. One formatter for the whole tensor, built from the values that will be shown (the edge
   items when summarising). For floats it looks at the non-zero finite values: all integral
   → "int mode" (``1.``); the max/min magnitude ratio > 1000, max > 1e8 or (non-integral)
   min < 1e-4 → scientific notation; else fixed with ``precision`` digits. Every element is
   right-aligned to the widest formatted value.
2. Rows are nested brackets; a 1-D row wraps at ``linewidth`` with the indentation of its
   bracket; ≥2-D tensors separate slices with ``dim - 1`` newlines.
3. Suffixes (``dtype=``, ``size=``, ``grad_fn=``/``requires_grad=True``) follow after ", ",
   moving to a new line when they would pass ``linewidth``.
"""
import contextlib
import dataclasses
import math

from ._native import Tensor, get_default_dtype

__all__ = ["set_printoptions", "get_printoptions", "printoptions"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: object = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Sets print options (PyTorch's: ``profile`` is "default", "short" or "full"; ``sci_mode``
    None lets the formatter decide, True/False forces scientific/fixed notation)."""
    if profile is not None:
        profiles = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}
        if profile not in profiles:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}; use 'default', 'short' or 'full'")
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = profiles[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options as a dict (the keyword arguments of ``set_printoptions``)."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Context manager that sets print options temporarily."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


def _flat(values):
    if isinstance(values, list):
        for v in values:
            yield from _flat(v)
    else:
        yield values


class _Formatter:
    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = PRINT_OPTS.precision
        if not floating:
            for v in values:
                self.max_width = max(self.max_width, len(str(v)))
        else:
            finite = [v for v in values if math.isfinite(v) and v != 0]
            if finite:
                mags = [abs(v) for v in finite]
                lo, hi = min(mags), max(mags)
                self.int_mode = all(v == math.ceil(v) for v in finite)
                if self.int_mode:
                    if hi / lo > 1000.0 or hi > 1.0e8:
                        self.sci_mode = True
                        self.max_width = max(len(f"{v:.{p}e}") for v in finite)
                    else:
                        self.max_width = max(len(f"{v:.0f}") + 1 for v in finite)
                elif hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4:
                    self.sci_mode = True
                    self.max_width = max(len(f"{v:.{p}e}") for v in finite)
                else:
                    self.max_width = max(len(f"{v:.{p}f}") for v in finite)
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode

    def format(self, v):
        p = PRINT_OPTS.precision
        if self.floating:
            if self.sci_mode:
                s = f"{v:{self.max_width}.{p}e}"
            elif self.int_mode:
                s = f"{v:.0f}"
                if math.isfinite(v):
                    s += "."
            else:
                s = f"{v:.{p}f}"
        else:
            s = str(v)
        return (self.max_width - len(s)) * " " + s


class _ComplexFormatter:
    """PyTorch's complex form: the real parts and the imaginary parts each get a formatter of
    their own; an element is ``real ± imag j`` (``1.0000+2.0000j``)."""

    def __init__(self, values):
        self.re = _Formatter([v.real for v in values], True)
        self.im = _Formatter([v.imag for v in values], True)
        self.max_width = self.re.max_width + self.im.max_width + 1

    def format(self, v):
        re, im = self.re.format(v.real), (self.im.format(v.imag) + "j").lstrip()
        return re + im if im[0] in "+-" else re + "+" + im


def _summarized_values(t, summarize):
    """The values the formatter sees: all of them, or only the edge items of every dim."""
    e = PRINT_OPTS.edgeitems
    if t.ndim == 0:
        return [t.item()]
    if not summarize:
        return list(_flat(t.tolist()))
    n = t._shape[0]
    if t.ndim == 1:
        return t[:e].tolist() + t[n - e:].tolist() if n > 2 * e else t.tolist()
    if not e:
        return []
    idx = list(range(e)) + list(range(n - e, n)) if n > 2 * e else range(n)
    return [v for i in idx for v in _summarized_values(t[i], summarize)]


def _vector_str(t, indent, summarize, fmt):
    e = PRINT_OPTS.edgeitems
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.max_width + 2)))
    n = t._shape[0]
    if summarize and not e:
        data = ["..."]
    elif summarize and n > 2 * e:
        data = [fmt.format(v) for v in t[:e].tolist()] + [" ..."] + [fmt.format(v) for v in t[n - e:].tolist()]
    else:
        data = [fmt.format(v) for v in t.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with(t, indent, summarize, fmt):
    d = t.ndim
    if d == 0:
        return fmt.format(t.item())
    if d == 1:
        return _vector_str(t, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    n = t._shape[0]
    if summarize and n > 2 * e:
        slices = ([_tensor_str_with(t[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."]
                  + [_tensor_str_with(t[i], indent + 1, summarize, fmt) for i in range(n - e, n)])
    else:
        slices = [_tensor_str_with(t[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (d - 1) + " " * (indent + 1)).join(slices) + "]"


def _tensor_str(t, indent):
    if t.numel() == 0:
        return "[]"
    summarize = t.numel() > PRINT_OPTS.threshold
    values = _summarized_values(t, summarize)
    fmt = _ComplexFormatter(values) if t.dtype.is_complex else _Formatter(values, t.dtype.is_floating_point)
    return _tensor_str_with(t, indent, summarize, fmt)


def _add_suffixes(tensor_str, suffixes, indent):
    out = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            out.append(", " + suffix)
            last_line_len += len(suffix) + 2
    out.append(")")
    return "".join(out)


def _str(self, *, tensor_contents=None):
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    t = self.detach()
    if t.device.type == "wgpu":
        suffixes.append(f"device='{t.device}'")
        t = t.cpu()
    default = get_default_dtype()
    if t.dtype.is_complex:  # complex64 is the default complex dtype while float32 is the default float
        default = default.to_complex()
    if t.device.type == "meta":
        # No values to print: PyTorch's form, the geometry only.
        suffixes += ["device='meta'", "size=" + str(tuple(t._shape))]
        if t.dtype != default:
            suffixes.append("dtype=" + str(t.dtype))
        body = "..."
    elif t.numel() == 0:
        if t.ndim != 1:
            suffixes.append("size=" + str(tuple(t._shape)))
        if t.dtype != default:
            suffixes.append("dtype=" + str(t.dtype))
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(t._shape)))
        if t.dtype not in (default, _LONG, _BOOL):
            suffixes.append("dtype=" + str(t.dtype))
        body = _tensor_str(t, indent)
    if tensor_contents is not None:
        body = tensor_contents
    grad_fn = self.grad_fn
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn.name()}>")
    elif self.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def _repr(self, *, tensor_contents=None):
    return _str(self, tensor_contents=tensor_contents)


def _format(self, format_spec):
    if self.ndim == 0:
        return self.item().__format__(format_spec)
    return object.__format__(self, format_spec)


from ._dtypes import int64 as _LONG, bool as _BOOL  # noqa: E402

Tensor.__repr__ = _repr
Tensor.__str__ = _str
Tensor.__format__ = _format

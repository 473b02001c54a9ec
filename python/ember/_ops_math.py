"""Elementwise and statistical ops composed from ember's native ones, so autograd comes for
free: ``heaviside``, ``gcd``/``lcm``, ``frexp``/``ldexp``/``nextafter``,
``diff``, ``kthvalue``, ``quantile``, ``cross``, ``cov``/``corrcoef``, ``dist``, ``renorm``,
``trapezoid``, ``logcumsumexp``, ``histogram`` … Each is both ``ember.<name>`` and, where
PyTorch has one, the Tensor method of that name.
"""
import builtins
from ._ops_reduce import return_types
import math

from . import _native, _dtypes
from ._native import Tensor

__all__ = []

kthvalue_result = return_types.kthvalue
frexp_result = return_types.frexp
histogram_result = return_types.histogram


# The functions whose ``ember.<name>`` form takes ``out=`` in PyTorch.
_WITH_OUT = {"logaddexp", "logaddexp2", "heaviside", "gcd", "lcm", "ldexp", "frexp", "nextafter", "sinc", "deg2rad",
             "rad2deg", "diff", "kthvalue", "quantile", "nanquantile", "cross", "renorm", "logcumsumexp", "histogram"}


def _into(result, out):
    """Writes ``result`` (a tensor or a tuple of them) into the caller's ``out=`` tensors."""
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"out= expects a tuple of {len(result)} tensors")
        for o, r in zip(out, result):
            o.copy_(r)
        return type(result)(*out) if hasattr(result, "_fields") else tuple(out)
    return out.copy_(result)


def _both(fn):
    """Attaches ``fn`` as ``Tensor.<name>`` and exports ``ember.<name>`` (taking ``out=`` where
    PyTorch's does)."""
    __all__.append(fn.__name__)
    setattr(Tensor, fn.__name__, fn)
    if fn.__name__ not in _WITH_OUT:
        return fn

    def with_out(*args, out=None, **kwargs):
        r = fn(*args, **kwargs)
        return r if out is None else _into(r, out)

    with_out.__name__ = with_out.__qualname__ = fn.__name__
    with_out.__doc__ = fn.__doc__
    with_out.__wrapped__ = fn
    return with_out


def _inplace_of(name):
    """``Tensor.<name>_``: computes out of place, then writes into self (dtype of self kept)."""
    def method(self, *args, **kwargs):
        return self.copy_(getattr(self, name)(*args, **kwargs))

    method.__name__ = name + "_"
    method.__doc__ = f"In-place ``{name}``."
    setattr(Tensor, name + "_", method)


def _t(x, like):
    """``x`` as a tensor (Python numbers become 0-dim tensors of a dtype that promotes like a scalar)."""
    if isinstance(x, Tensor):
        return x
    return _native._tensor(x, None)


def _check_tensor(x, fn, arg="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position 1) must be Tensor, not {type(x).__name__}")


def _float_of(x):
    """``x`` promoted to a floating dtype (integers and bool go to the default dtype)."""
    return x if x.dtype.is_floating_point else x.to(_native.get_default_dtype())


# ---- elementwise ----
@_both
def heaviside(input, values):
    """0 where input < 0, ``values`` where input == 0, 1 where input > 0 (dtypes must match)."""
    _check_tensor(input, "heaviside")
    if not isinstance(values, Tensor) or values.dtype != input.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    one, zero = input.new_ones(()), input.new_zeros(())
    return _native.where(input == 0, values, _native.where(input > 0, one, zero))


def _int_only(fn, *ts):
    for t in ts:
        if t.dtype.is_floating_point:
            raise NotImplementedError(f'"{fn}_cpu" not implemented for \'{t.dtype.name.capitalize()}\'')


@_both
def gcd(input, other):
    """Greatest common divisor, elementwise (integers; gcd(0, 0) = 0; always non-negative)."""
    b = _t(other, input)
    _int_only("gcd", input, b)
    a, b = _native.broadcast_tensors(input, b) if hasattr(_native, "broadcast_tensors") else _bcast(input, b)
    a, b = a.abs(), b.abs()
    # Euclid's algorithm on every element at once: (a, b) ← (b, a mod b) until b is all zero.
    while bool((b != 0).any()):
        nz = b != 0
        safe = b.where(nz, b.new_ones(()))
        a, b = b.where(nz, a), (a % safe).where(nz, b)
    return a


def _bcast(a, b):
    from ._views import broadcast_tensors
    x, y = broadcast_tensors(a, b)
    from ._native import result_type
    dt = result_type(a, b)
    return x.to(dt), y.to(dt)


@_both
def lcm(input, other):
    """Least common multiple, elementwise: |a·b| / gcd (0 when either is 0)."""
    b = _t(other, input)
    _int_only("lcm", input, b)
    g = gcd(input, b)
    safe = g.where(g != 0, g.new_ones(()))
    return ((input // safe) * b).abs().where(g != 0, g)


@_both
def ldexp(input, other):
    """input · 2^other."""
    return _float_of(input) * _native._tensor(2.0, None).pow(_t(other, input)).to(_float_of(input).dtype)


@_both
def frexp(input):
    """(mantissa, exponent) with input = mantissa · 2^exponent and 0.5 ≤ |mantissa| < 1
    (0, inf and NaN give exponent 0 and themselves as mantissa)."""
    _check_tensor(input, "frexp")
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    finite = input.isfinite() & (input != 0)
    safe = input.abs().where(finite, input.new_ones(()))
    e = safe.log2().floor() + 1
    m = safe / e.exp2()
    # log2 can be off by one ulp near powers of two: renormalise into [0.5, 1).
    hi, lo = m >= 1, m < 0.5
    e = e + hi.to(e.dtype) - lo.to(e.dtype)
    m = safe / e.exp2()
    mant = (m * input.sign()).where(finite, input)
    expo = e.where(finite, e.new_zeros(())).to(_dtypes.int32)
    return frexp_result(mant, expo)


@_both
def nextafter(input, other):
    """The next representable float after ``input`` towards ``other`` (bit-level step)."""
    b = _t(other, input)
    if not input.dtype.is_floating_point or input.dtype != b.dtype:
        raise NotImplementedError(f'"nextafter_cpu" not implemented for \'{input.dtype.name.capitalize()}\'')
    ib = {"float32": _dtypes.int32, "float64": _dtypes.int64}.get(input.dtype.name)
    if ib is None:
        raise NotImplementedError(f'"nextafter_cpu" not implemented for \'{input.dtype.name.capitalize()}\'')
    x, y = _bcast(input, b)
    x = x.contiguous()
    bits = x.view(ib)
    # Moving away from zero adds one to the bit pattern's magnitude; towards zero subtracts one.
    away = (y > x) == (x >= 0)
    step = bits.new_ones(()).where(away, bits.new_full((), -1))
    moved = (bits + step).view(input.dtype)
    denorm = _native._full([1], 1, ib).view(input.dtype).reshape(())  # the smallest subnormal
    from_zero = denorm.where(y > 0, -denorm)
    out = moved.where(x != 0, from_zero)
    out = out.where(x != y, y)
    nan = (x != x) | (y != y)
    return out.where(~nan, x.new_full((), math.nan))


@_both
def sinc(input):
    """sin(πx)/(πx), 1 at 0."""
    x = _float_of(input)
    px = x * math.pi
    safe = px.where(x != 0, px.new_ones(()))
    return (safe.sin() / safe).where(x != 0, x.new_ones(()))


# logaddexp, logaddexp2, deg2rad and rad2deg are rows of the native op tables (rust/ember-core).
for _n in ["heaviside", "gcd", "lcm", "ldexp", "nextafter", "sinc"]:
    _inplace_of(_n)


# ---- differences, order statistics, statistics ----
@_both
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along ``dim`` (bool: logical xor)."""
    _check_tensor(input, "diff")
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"diff(): argument 'n' must be int, not {type(n).__name__}")
    for arg, v in (("prepend", prepend), ("append", append)):
        if v is not None and not isinstance(v, Tensor):
            raise TypeError(f"diff(): argument '{arg}' must be Tensor, not {type(v).__name__}")
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    from ._ops_index import cat
    parts = [t if t.ndim else t.expand(*[1 if i == dim % input.ndim else s for i, s in enumerate(input.shape)])
             for t in (prepend,) if t is not None] + [input] + [a for a in (append,) if a is not None]
    x = cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        m = x.shape[dim]
        if m == 0:
            break
        a, b = x.narrow(dim, 1, m - 1), x.narrow(dim, 0, m - 1)
        x = a.logical_xor(b) if x.dtype.name == "bool" else a - b
    return x


@_both
def kthvalue(input, k, dim=-1, keepdim=False):
    """The k-th smallest element along ``dim`` (1-based) and its index."""
    _check_tensor(input, "kthvalue")
    n = input.shape[dim] if input.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    x = input.reshape(1) if input.ndim == 0 else input
    vals, idx = x.sort(dim, stable=True)
    v, i = vals.narrow(dim, k - 1, 1), idx.narrow(dim, k - 1, 1)
    if not keepdim or input.ndim == 0:
        v, i = v.squeeze(dim), i.squeeze(dim)
    if input.ndim == 0:
        v, i = v.reshape(()), i.reshape(())
    return kthvalue_result(v, i)


_INTERP = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, fn):
    _check_tensor(input, fn)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{fn}() input tensor must be either float or double dtype")
    if interpolation not in _INTERP:
        raise ValueError(f"{fn}() interpolation must be one of linear, lower, higher, midpoint or nearest. "
                         f"Got {interpolation}")
    scalar_q = not isinstance(q, Tensor)
    qt = _native._tensor([float(q)] if scalar_q else q.tolist(), input.dtype).reshape(-1) if scalar_q or q.ndim <= 1 \
        else None
    if qt is None:
        raise RuntimeError(f"{fn}() q must be a scalar or 1D tensor")
    if isinstance(q, Tensor) and q.dtype != input.dtype:
        raise RuntimeError(f"{fn}() q tensor must be same dtype as the input tensor")
    if bool(((qt < 0) | (qt > 1)).any()):
        raise RuntimeError(f"{fn}() q values must be in the range [0, 1]")
    if input.numel() == 0:
        raise RuntimeError(f"{fn}() input tensor must be non-empty")
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else dim % builtins.max(input.ndim, 1)
    if x.ndim == 0:
        x = x.reshape(1)
    srt = x.sort(d)[0]  # NaN sorts last
    n = srt.shape[d]
    shape_q = [1] * srt.ndim
    shape_q[d] = -1
    if ignore_nan:
        count = (~srt.isnan()).sum(d, keepdim=True).to(input.dtype)
    else:
        count = _native._full([1] * srt.ndim, float(n), input.dtype)
    # Position of each quantile in the (non-NaN) sorted values: q · (count − 1).
    pos = qt.reshape(shape_q) * (count - 1).clamp(min=0)
    if interpolation == "lower":
        pos = pos.floor()
    elif interpolation == "higher":
        pos = pos.ceil()
    elif interpolation == "nearest":
        pos = pos.round()
    lo = pos.floor().clamp(0, n - 1).long()
    hi = pos.ceil().clamp(0, n - 1).long()
    out_shape = list(srt.shape)
    out_shape[d] = qt.shape[0]
    lo, hi = lo.expand(*out_shape), hi.expand(*out_shape)
    a, b = srt.gather(d, lo), srt.gather(d, hi)
    if interpolation == "midpoint":
        r = a + (b - a) * 0.5
    else:
        r = a + (b - a) * (pos - pos.floor()).expand(*out_shape)
    # A NaN in a slice makes its quantile NaN (quantile) or an all-NaN slice does (nanquantile).
    nan_slice = (count == 0) if ignore_nan else srt.isnan().any(d, keepdim=True)
    r = r.where(~nan_slice.expand(*out_shape), r.new_full((), math.nan))
    r = r.movedim(d, 0)  # quantiles first, then the input's other dims
    if keepdim:
        r = r.reshape(qt.shape[0], *([1] * input.ndim)) if dim is None else r.unsqueeze(d + 1)
    return r[0] if scalar_q else r


@_both
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles along ``dim`` (all elements when None); a NaN makes its slice NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


@_both
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` ignoring NaN values (NaN only where a slice holds nothing else)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


@_both
def cross(input, other, dim=None):
    """The 3-D cross product along ``dim`` (the first dim of size 3 when None)."""
    _check_tensor(input, "cross")
    a, b = _bcast(input, other)
    if dim is None:
        dims = [i for i, s in enumerate(a.shape) if s == 3]
        if not dims:
            raise RuntimeError(f"no dimension of size 3 in input of shape {list(a.shape)}")
        dim = dims[0]
    if a.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[dim]} and "
                           f"{other.shape[dim]}")
    from ._ops_index import stack
    a0, a1, a2 = (a.select(dim, i) for i in range(3))
    b0, b1, b2 = (b.select(dim, i) for i in range(3))
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim)


@_both
def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the rows (variables) of a ≤2-D ``input`` whose columns are observations."""
    _check_tensor(input, "cov")
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with {input.ndim} "
                           "dimensions")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    x = _float_of(x)
    n = x.shape[1]
    w = None
    for arg, v in (("fweights", fweights), ("aweights", aweights)):
        if v is not None and not isinstance(v, Tensor):
            raise TypeError(f"cov(): argument '{arg}' must be Tensor, not {type(v).__name__}")
    if fweights is not None:
        if fweights.dtype.is_floating_point:
            raise RuntimeError("cov(): expected fweights to have integral dtype")
        if fweights.ndim > 1 or fweights.numel() != n:
            raise RuntimeError(f"cov(): expected fweights to have the same numel as there are observations in the "
                               f"input but got {fweights.numel()} != {n}")
        if bool((fweights < 0).any()):
            raise RuntimeError("cov(): fweights cannot be negative")
        w = fweights.to(x.dtype)
    if aweights is not None:
        if not aweights.dtype.is_floating_point:
            raise RuntimeError("cov(): expected aweights to have floating point dtype")
        if aweights.ndim > 1 or aweights.numel() != n:
            raise RuntimeError(f"cov(): expected aweights to have the same numel as there are observations in the "
                               f"input but got {aweights.numel()} != {n}")
        if bool((aweights < 0).any()):
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aweights.to(x.dtype) if w is None else w * aweights.to(x.dtype)
    if w is None:
        w_sum = float(n)
        avg = x.mean(1, keepdim=True) if n else x.sum(1, keepdim=True)
        norm = w_sum - correction
    else:
        w_sum_t = w.sum()
        w_sum = w_sum_t.item()
        avg = (x * w).sum(1, keepdim=True) / w_sum_t
        if correction == 0:
            norm = w_sum
        elif aweights is None:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * (w * aweights.to(x.dtype)).sum().item() / w_sum
    xm = x - avg
    xw = xm if w is None else xm * w
    c = xw.matmul(xm.t()) / builtins.max(norm, 0) if norm > 0 else xw.matmul(xm.t()) / x.new_zeros(())
    return c.reshape(()) if c.shape[0] == 1 else c


@_both
def corrcoef(input):
    """Pearson correlation coefficients of the rows, clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c  # one variable: 1 (NaN for a constant row, as PyTorch gives)
    d = c.diagonal()
    s = d.sqrt()
    r = c / s.unsqueeze(1) / s.unsqueeze(0)
    return r.clamp(-1, 1)


@_both
def dist(input, other, p=2):
    """The p-norm of ``input - other`` (broadcast)."""
    from ._ops_reduce import vector_norm
    return vector_norm(input - other, p)


@_both
def renorm(input, p, dim, maxnorm):
    """Each slice along ``dim`` rescaled so its p-norm is at most ``maxnorm``."""
    _check_tensor(input, "renorm")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    from ._ops_reduce import vector_norm
    d = dim % input.ndim
    others = tuple(i for i in range(input.ndim) if i != d)
    norms = vector_norm(input, p, others, True)
    # PyTorch's factor: maxnorm / (norm + 1e-7) where the norm exceeds maxnorm, else 1.
    factor = (norms + 1e-7).reciprocal() * maxnorm
    return input * factor.where(norms > maxnorm, factor.new_ones(()))


for _n in ["renorm"]:
    _inplace_of(_n)


def _trapz_x(y, x, dx, dim, fn):
    if x is not None and dx is not None:
        raise TypeError(f"{fn}() received an invalid combination of arguments: both x and dx")
    if x is None:
        return None, 1.0 if dx is None else dx
    return x, None


@_both
def trapezoid(y, x=None, *, dx=None, dim=-1):
    """∫ y along ``dim`` by the trapezoid rule, with sample points ``x`` or spacing ``dx``."""
    _check_tensor(y, "trapezoid", "y")
    x, dx = _trapz_x(y, x, dx, dim, "trapezoid")
    n = y.shape[dim]
    if n == 0:
        return _float_of(y).sum(dim)
    mid = (y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1))
    if x is None:
        return _float_of(mid).sum(dim) * (dx / 2.0)
    xd = x.diff(dim=dim if x.ndim == y.ndim else -1)
    if x.ndim == 1 and y.ndim > 1:
        shape = [1] * y.ndim
        shape[dim] = -1
        xd = xd.reshape(shape)
    return (_float_of(mid) * xd).sum(dim) / 2.0


def trapz(y, x=None, *, dx=None, dim=-1):
    """Alias of ``trapezoid``."""
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return trapezoid(y, dx=x, dim=dim)
    return trapezoid(y, x, dx=dx, dim=dim)


@_both
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """Running trapezoid integral along ``dim`` (one element shorter than ``y``)."""
    _check_tensor(y, "cumulative_trapezoid", "y")
    x, dx = _trapz_x(y, x, dx, dim, "cumulative_trapezoid")
    n = y.shape[dim]
    if n == 0:
        return _float_of(y)
    mid = _float_of(y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1))
    if x is None:
        return (mid * (dx / 2.0)).cumsum(dim)
    xd = x.diff(dim=dim if x.ndim == y.ndim else -1)
    if x.ndim == 1 and y.ndim > 1:
        shape = [1] * y.ndim
        shape[dim] = -1
        xd = xd.reshape(shape)
    return (mid * xd / 2.0).cumsum(dim)


__all__.append("trapz")
for _n in ("trapezoid", "cumulative_trapezoid"):  # functions only in PyTorch, not methods
    delattr(Tensor, _n)


@_both
def logcumsumexp(input, dim):
    """log(cumsum(exp(x))) along ``dim``, shifted by the slice maximum for stability."""
    _check_tensor(input, "logcumsumexp")
    x = _float_of(input)
    if x.numel() == 0:
        return x.clone()
    m = x.amax(dim, keepdim=True).detach()
    m = m.where(m.isfinite(), m.new_zeros(()))
    return (x - m).exp().cumsum(dim).log() + m


@_both
def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """(hist, bin_edges): counts (or weights) of ``input`` in equal-width ``bins`` over ``range``
    (min..max of the input when None), or in the bins a 1-D tensor of edges gives."""
    _check_tensor(input, "histogram")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"histogramdd" not implemented for \'{input.dtype.name.capitalize()}\'')
    x = input.reshape(-1)
    if isinstance(bins, Tensor):
        edges = bins.to(input.dtype)
        nb = edges.numel() - 1
        if edges.ndim != 1 or nb < 1:
            raise RuntimeError("torch.histogram(): bins tensor should have one dimension and at least 2 elements")
    else:
        nb = int(bins)
        if nb <= 0:
            raise RuntimeError("torch.histogram(): bins must be > 0, but got {nb} for dimension 0")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif x.numel():
            lo, hi = x.min().item(), x.max().item()
        else:
            lo, hi = 0.0, 0.0
        if lo > hi:
            raise RuntimeError(f"torch.histogram(): min should not exceed max, but got min {lo} max {hi}")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5  # NumPy's and PyTorch's widening of an empty range
        from ._creation import linspace
        edges = linspace(lo, hi, nb + 1, dtype=input.dtype)
    from ._ops_index import searchsorted
    idx = searchsorted(edges, x, right=True) - 1
    # The last bin is closed on the right.
    idx = idx.where(x != edges[-1], idx.new_full((), nb - 1))
    inside = (idx >= 0) & (idx < nb) & (x >= edges[0]) & (x <= edges[-1])
    w = (weight.reshape(-1).to(input.dtype) if weight is not None else x.new_ones(x.shape)) * inside.to(input.dtype)
    hist = x.new_zeros(nb).index_add(0, idx.clamp(0, nb - 1), w)
    if density:
        hist = hist / (hist.sum() * edges.diff())
    return histogram_result(hist, edges)


delattr(Tensor, "histogram")
Tensor.histogram = lambda self, bins=100, *, range=None, weight=None, density=False: histogram(
    self, bins, range=range, weight=weight, density=density)

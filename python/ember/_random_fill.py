"""In-place random fills (``normal_``, ``uniform_``, ``bernoulli_``, ``random_``,
``exponential_``, ``geometric_``, ``cauchy_``, ``log_normal_``) and ``multinomial``.

Every fill draws from the native uniform/normal/integer generators (default or the given
``generator``) on the host, transforms the draws by inverse-CDF where needed, and writes them
into ``self`` with one ``copy_`` (so views, versions and devices behave as for any write).
"""
import math

from . import _native, _dtypes
from ._native import Tensor

__all__ = ["multinomial", "poisson"]


def _method(fn):
    setattr(Tensor, fn.__name__, fn)
    return fn


def _float_only(self, fn):
    if not self.dtype.is_floating_point:
        raise NotImplementedError(f'"{fn}" not implemented for \'{self.dtype.name.capitalize()}\'')


def _uniform01(self, generator, dtype=None):
    return _native._uniform(list(self.shape), dtype or _dtypes.float64, 0.0, 1.0, generator)


@_method
def uniform_(self, from_=0, to=1, *, generator=None):
    """Fills with U[from, to)."""
    _float_only(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}")
    return self.copy_(_native._uniform(list(self.shape), self.dtype, float(from_), float(to), generator))


@_method
def normal_(self, mean=0, std=1, *, generator=None):
    """Fills with N(mean, std²)."""
    _float_only(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return self.copy_(_native._normal(list(self.shape), self.dtype, float(mean), float(std), generator))


@_method
def log_normal_(self, mean=1, std=2, *, generator=None):
    """Fills with exp(N(mean, std²))."""
    _float_only(self, "log_normal_cpu")
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return self.copy_(_native._normal(list(self.shape), _dtypes.float64, float(mean), float(std), generator).exp())


@_method
def exponential_(self, lambd=1, *, generator=None):
    """Fills with Exp(λ) draws: −log(1 − U)/λ."""
    if not self.dtype.is_floating_point:
        raise RuntimeError(f"Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {self.dtype.name.capitalize()}")
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    u = _uniform01(self, generator)
    return self.copy_((-u).log1p() / (-float(lambd)))


@_method
def cauchy_(self, median=0, sigma=1, *, generator=None):
    """Fills with Cauchy(median, σ) draws: median + σ·tan(π(U − ½))."""
    _float_only(self, "cauchy_cpu")
    if sigma <= 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    u = _uniform01(self, generator)
    return self.copy_(((u - 0.5) * math.pi).tan() * float(sigma) + float(median))


@_method
def geometric_(self, p, *, generator=None):
    """Fills with the number of Bernoulli(p) trials up to the first success: ⌈log(1−U)/log(1−p)⌉."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    u = _uniform01(self, generator)
    k = ((-u).log1p() / math.log1p(-p)).ceil().clamp(min=1)
    return self.copy_(k)


@_method
def bernoulli_(self, p=0.5, *, generator=None):
    """Fills with 0/1 draws, 1 with probability ``p`` (a number or a broadcastable tensor)."""
    if isinstance(p, Tensor):
        probs = p.to(_dtypes.float64).expand(*self.shape).contiguous()
    else:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        probs = _native._full(list(self.shape), float(p), _dtypes.float64)
    return self.copy_(_native._bernoulli(probs, generator))


_INT_RANGE = {"uint8": (0, 2 ** 8), "int8": (0, 2 ** 7), "int16": (0, 2 ** 15), "int32": (0, 2 ** 31),
              "int64": (0, 2 ** 63 - 1), "bool": (0, 2), "float16": (0, 2 ** 11 + 1), "bfloat16": (0, 2 ** 8 + 1),
              "float32": (0, 2 ** 24 + 1), "float64": (0, 2 ** 53 + 1), "uint16": (0, 2 ** 16), "uint32": (0, 2 ** 32)}


@_method
def random_(self, from_=None, to=None, *, generator=None):
    """Fills with integers uniform on [from, to); ``random_(to)`` is [0, to); ``random_()`` is
    [0, 2^mantissa] for floats and the whole non-negative range for integers."""
    if from_ is not None and to is None:
        lo, hi = 0, int(from_)
    elif from_ is None:
        if self.dtype.name not in _INT_RANGE:  # uint64's range is beyond the int64 draws
            raise NotImplementedError(f"random_(): no default range for {self.dtype.name}; pass from and to")
        lo, hi = _INT_RANGE[self.dtype.name]
    else:
        lo, hi = int(from_), int(to)
    if lo >= hi:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={lo} >= to={hi}")
    draws = _native._randint(lo, hi, list(self.shape), _dtypes.int64, generator)
    return self.copy_(draws)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices drawn from the categorical distributions in the rows of ``input`` (weights ≥ 0).

    With replacement: inverse CDF (uniform draws located in the row's cumulative sum). Without:
    the Gumbel-top-k trick, taking the k largest of log(w) − log(−log U), which samples
    successive draws without replacement with probability proportional to the weights."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' must be Tensor, not {type(input).__name__}")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {input.dtype}")
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    w = input.detach().to(_dtypes.float64)
    rows = w.reshape(1, -1) if w.ndim == 1 else w
    n = rows.shape[1]
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if bool((~rows.isfinite()).any()) or bool((rows < 0).any()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if bool((rows.sum(1) <= 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if replacement:
        cdf = rows.cumsum(1)
        cdf = cdf / cdf[:, -1:]
        u = _native._uniform([rows.shape[0], num_samples], _dtypes.float64, 0.0, 1.0, generator)
        from ._ops_index import searchsorted
        idx = searchsorted(cdf.contiguous(), u, right=True).clamp(max=n - 1)
    else:
        if not replacement and bool(((rows > 0).sum(1) < num_samples).any()):
            raise RuntimeError("invalid multinomial distribution (with replacement=False, not enough non-negative "
                               "category to sample)")
        u = _native._uniform(list(rows.shape), _dtypes.float64, 0.0, 1.0, generator)
        gumbel = -(-(u.clamp(min=1e-300)).log()).log()
        keys = rows.log() + gumbel  # log(0) = -inf: zero-weight categories are never chosen
        idx = keys.topk(num_samples, 1)[1]
    idx = idx.reshape(num_samples) if input.ndim == 1 else idx
    if out is not None:
        out.copy_(idx)
        return out
    return idx


Tensor.multinomial = lambda self, num_samples, replacement=False, *, generator=None: multinomial(
    self, num_samples, replacement, generator=generator)


def poisson(input, generator=None):
    """Poisson(rate) draws, one per element of ``input`` (rates ≥ 0).

    Each element counts unit-rate exponential arrivals before time ``rate`` (exact; vectorised,
    every element draws until its running sum passes its rate, so the loop runs about
    max(rate) times). Rates above 100 use the normal approximation round(N(λ, λ)) instead: not
    exact, but its mean and variance are λ and its skew (λ^-1/2) is below 0.1 there."""
    if not isinstance(input, Tensor):
        raise TypeError(f"poisson(): argument 'input' must be Tensor, not {type(input).__name__}")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f'"poisson_cpu" not implemented for \'{input.dtype.name.capitalize()}\'')
    rate = input.detach().to(_dtypes.float64)
    if bool((rate < 0).any()) or bool((~rate.isfinite()).any()):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    shape = list(rate.shape)
    count = _native._zeros(shape, _dtypes.float64)
    t = _native._zeros(shape, _dtypes.float64)
    small = rate <= 100
    active = small & (rate > 0)
    while bool(active.any()):
        e = -(-_native._uniform(shape, _dtypes.float64, 0.0, 1.0, generator)).log1p()
        t = t + e * active.to(_dtypes.float64)
        arrived = active & (t <= rate)
        count = count + arrived.to(_dtypes.float64)
        active = arrived
    z = _native._normal(shape, _dtypes.float64, 0.0, 1.0, generator)
    big = (rate + rate.sqrt() * z + 0.5).floor().clamp(min=0)
    return count.where(small, big).to(input.dtype)

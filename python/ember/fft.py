"""ember.fft: discrete Fourier transforms on ``rustfft``/``realfft`` (through ember-linalg).

The kernels work on complex data as real (re, im) pairs in a trailing dim of size 2 — the
``view_as_real`` layout — so the public functions view complex tensors as pairs on the way in
and pairs as complex tensors on the way out (``view_as_real``/``view_as_complex`` are
differentiable views). Every transform is differentiable (each kernel's backward is its
adjoint).
"""
import math

from . import _native
from ._native import Tensor
from .autograd.function import Function

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
           "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_NORMS = (None, "backward", "forward", "ortho")


# ------------------------------------------------------------------ differentiable kernels
def _weights(h, n, like):
    """w_k = 1 for the DC term (and the Nyquist term when n is even), 2 for the others: how
    often a one-sided coefficient appears in the full Hermitian spectrum."""
    import ember
    w = [1.0 if (k == 0 or (n % 2 == 0 and k == n // 2)) else 2.0 for k in range(h)]
    return ember.tensor(w, dtype=like.dtype)


class _C2C(Function):
    """Unnormalized DFT of (…, n, 2) pairs; the adjoint of one direction is the other."""

    @staticmethod
    def forward(ctx, x, inverse):
        ctx.inverse = inverse
        return _native._fft_c2c_pairs(x.contiguous(), inverse)

    @staticmethod
    def backward(ctx, g):
        return _C2C.apply(g, not ctx.inverse), None


class _R2C(Function):
    """(…, n) reals → (…, n/2+1, 2) pairs.  Adjoint: gx = c2r(G / w)."""

    @staticmethod
    def forward(ctx, x):
        ctx.n = x.shape[-1]
        return _native._fft_r2c_pairs(x.contiguous())

    @staticmethod
    def backward(ctx, g):
        n = ctx.n
        w = _weights(g.shape[-2], n, g)
        return _C2R.apply(g / w[:, None], n)


class _C2R(Function):
    """(…, n/2+1, 2) Hermitian half → (…, n) reals (imaginary parts of the DC and Nyquist
    terms ignored).  Adjoint: gZ = w ⊙ r2c(g) with those ignored parts' gradient zero."""

    @staticmethod
    def forward(ctx, x, n):
        ctx.n = n
        return _native._fft_c2r_pairs(x.contiguous(), n)

    @staticmethod
    def backward(ctx, g):
        import ember
        n = ctx.n
        G = _R2C.apply(g)
        h = G.shape[-2]
        w = _weights(h, n, g)
        mask_im = ember.ones(h, 2, dtype=g.dtype)
        mask_im[0, 1] = 0.0
        if n % 2 == 0:
            mask_im[h - 1, 1] = 0.0
        return G * w[:, None] * mask_im, None


# ------------------------------------------------------------------ argument handling
def _check_norm(norm):
    if norm not in _NORMS:
        raise ValueError(f'Invalid normalization mode: "{norm}"')


def _scale(norm, n, inverse):
    """The factor PyTorch's `norm` applies to a transform of signal size n."""
    norm = norm or "backward"
    if norm == "ortho":
        return 1.0 / math.sqrt(n) if n else 1.0
    if (norm == "backward") == inverse:
        return 1.0 / n if n else 1.0
    return 1.0


def _scaled(y, s):
    return y if s == 1.0 else y * s


def _resize(x, dim, n):
    """x zero-padded or trimmed to length n along dim (PyTorch's `n`/`s` semantics)."""
    import ember
    cur = x.shape[dim]
    if n == cur:
        return x
    if n < cur:
        return x.narrow(dim, 0, n)
    pad = list(x.shape)
    pad[dim] = n - cur
    return ember.cat([x, ember.zeros(*pad, dtype=x.dtype)], dim)


def _float_input(x, name):
    import ember
    if not isinstance(x, Tensor):
        raise TypeError(f"fft.{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x.dtype.is_complex:
        return x
    if x.dtype.is_floating_point:
        return x if x.dtype in (ember.float32, ember.float64) else x.float()
    return x.to(ember.get_default_dtype())


def _dims_and_sizes(x, s, dim, name, default_all):
    if dim is None:
        dim = list(range(x.ndim)) if s is None else list(range(x.ndim - len(s), x.ndim))
        if not default_all and s is None:
            dim = dim[-2:]
    elif isinstance(dim, int):
        dim = [dim]
    dim = [d % x.ndim if -x.ndim <= d < x.ndim else _bad_dim(d, x.ndim) for d in dim]
    if len(set(dim)) != len(dim):
        raise RuntimeError(f"fft.{name}: dims must be unique")
    if s is not None and len(s) != len(dim):
        raise RuntimeError(f"fft.{name}: When given, dim and shape arguments must have the same length")
    return dim, s


def _bad_dim(d, ndim):
    raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})")


def _c2r_nd(x, s, dims, norm, name, forward_norm):
    """The real-output inverse transform of real (zero-imaginary) input along `dims`: complex
    inverse DFTs on all but the last dim, then the Hermitian c2r on the last."""
    import ember
    _check_norm(norm)
    if not dims:
        raise RuntimeError(f"fft.{name}: at least one dim must be transformed")
    last = dims[-1]
    n_last = (s[-1] if s is not None and s[-1] != -1 else 2 * (x.shape[last] - 1))
    if n_last < 1:
        raise RuntimeError(f"Invalid number of data points ({n_last}) specified")
    sizes = []
    for i, d in enumerate(dims[:-1]):
        n = s[i] if s is not None and s[i] != -1 else x.shape[d]
        if n < 1:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
        x = _resize(x, d, n)
        sizes.append(n)
    x = _resize(x, last, n_last // 2 + 1)
    z = _pairs(x)
    for d in dims[:-1]:
        z = _C2C.apply(z.movedim(d, -2), True).movedim(-2, d)
    z = z.movedim(last, -2)
    y = _C2R.apply(z, n_last).movedim(-1, last)
    total = n_last * math.prod(sizes)
    return _scaled(y, _scale(norm, total, not forward_norm))


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """Inverse of rfft for a real (zero-imaginary) one-sided spectrum: real output of length
    n (default 2·(m−1)) along `dim`."""
    x = _float_input(input, "irfft")
    d, _ = _dims_and_sizes(x, None, dim, "irfft", True)
    return _into(_c2r_nd(x, None if n is None else [n], d, norm, "irfft", False), out)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    x = _float_input(input, "irfft2")
    d, s = _dims_and_sizes(x, s, list(dim), "irfft2", True)
    return _into(_c2r_nd(x, s, d, norm, "irfft2", False), out)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    x = _float_input(input, "irfftn")
    d, s = _dims_and_sizes(x, s, dim, "irfftn", True)
    return _into(_c2r_nd(x, s, d, norm, "irfftn", False), out)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The FFT of a Hermitian-symmetric signal given by its one-sided half: irfft of its
    conjugate with the forward transform's normalization."""
    x = _conj(_float_input(input, "hfft"))
    d, _ = _dims_and_sizes(x, None, dim, "hfft", True)
    return _into(_c2r_nd(x, None if n is None else [n], d, norm, "hfft", True), out)


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    x = _conj(_float_input(input, "hfft2"))
    d, s = _dims_and_sizes(x, s, list(dim), "hfft2", True)
    return _into(_c2r_nd(x, s, d, norm, "hfft2", True), out)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    x = _conj(_float_input(input, "hfftn"))
    d, s = _dims_and_sizes(x, s, dim, "hfftn", True)
    return _into(_c2r_nd(x, s, d, norm, "hfftn", True), out)


def _pairs(x):
    """x as (…, 2) real pairs: a view of a complex tensor, or (x, 0) for a real one."""
    import ember
    if x.dtype.is_complex:
        return _native._view_as_real(x.resolve_conj())
    return ember.stack([x, ember.zeros_like(x)], -1)


def _conj(x):
    return x.conj() if x.dtype.is_complex else x


def _c2c_nd(x, s, dims, norm, name, inverse):
    """The complex (i)FFT along `dims` of `_float_input` x (fft/ifft/fftn/ifftn), a complex
    result."""
    _check_norm(norm)
    total = 1
    z = _pairs(x)
    for i, d in enumerate(dims):
        n = s[i] if s is not None and s[i] != -1 else x.shape[d]
        if n < 1:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
        z = _resize(z, d, n)
        z = _C2C.apply(z.movedim(d, -2), inverse).movedim(-2, d)
        total *= n
    return _native._view_as_complex(_scaled(z, _scale(norm, total, inverse)).contiguous())


def _r2c_nd(x, s, dims, norm, name, inverse):
    """rfftn (and, conjugated, ihfftn): the one-sided transform of real `_float_input` x along
    the last of `dims`, then full transforms along the others."""
    _check_norm(norm)
    if x.dtype.is_complex:
        raise RuntimeError(f"{name} expects a real input tensor, but got {str(x.dtype).replace('ember.', '').title()}")
    if not dims:
        raise RuntimeError(f"fft.{name}: at least one dim must be transformed")
    sizes = [s[i] if s is not None and s[i] != -1 else x.shape[d] for i, d in enumerate(dims)]
    for n in sizes:
        if n < 1:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
    last = dims[-1]
    x = _resize(x, last, sizes[-1])
    z = _R2C.apply(x.movedim(last, -1)).movedim(-2, last)
    if inverse:  # ihfft: the conjugate of the one-sided forward transform
        z = z * _sign(z)
    for d, n in zip(dims[:-1], sizes[:-1]):
        z = _resize(z, d, n)
        z = _C2C.apply(z.movedim(d, -2), inverse).movedim(-2, d)
    return _native._view_as_complex(_scaled(z, _scale(norm, math.prod(sizes), inverse)).contiguous())


def _sign(z):
    import ember
    return ember.tensor([1.0, -1.0], dtype=z.dtype)


def _one_dim(name, run, inverse, doc):
    """A 1-d transform `name(input, n, dim, norm)` over the n-d driver `run`."""
    def f(input, n=None, dim=-1, norm=None, *, out=None):
        x = _float_input(input, name)
        d, _ = _dims_and_sizes(x, None, dim, name, True)
        return _into(run(x, None if n is None else [n], d, norm, name, inverse), out)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


def _multi_dim(name, run, inverse, default_dim, doc):
    """A 2-d or n-d transform `name(input, s, dim, norm)` over the n-d driver `run`."""
    def f(input, s=None, dim=default_dim, norm=None, *, out=None):
        x = _float_input(input, name)
        d, s = _dims_and_sizes(x, s, dim, name, True)
        return _into(run(x, s, d, norm, name, inverse), out)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


fft = _one_dim("fft", _c2c_nd, False, "The 1-d DFT along `dim` (input zero-padded or trimmed to n); a complex result.")
ifft = _one_dim("ifft", _c2c_nd, True, "The 1-d inverse DFT along `dim`.")
fft2 = _multi_dim("fft2", _c2c_nd, False, (-2, -1), "The 2-d DFT over `dim`.")
ifft2 = _multi_dim("ifft2", _c2c_nd, True, (-2, -1), "The 2-d inverse DFT over `dim`.")
fftn = _multi_dim("fftn", _c2c_nd, False, None, "The n-d DFT over `dim` (all dims by default).")
ifftn = _multi_dim("ifftn", _c2c_nd, True, None, "The n-d inverse DFT over `dim`.")
rfft = _one_dim("rfft", _r2c_nd, False, "The one-sided DFT of real input along `dim`: n//2 + 1 complex terms.")
rfft2 = _multi_dim("rfft2", _r2c_nd, False, (-2, -1), "The one-sided 2-d DFT of real input.")
rfftn = _multi_dim("rfftn", _r2c_nd, False, None, "The one-sided n-d DFT of real input.")
ihfft = _one_dim("ihfft", _r2c_nd, True, "The inverse of hfft: the one-sided inverse DFT of real input.")
ihfft2 = _multi_dim("ihfft2", _r2c_nd, True, (-2, -1), "The one-sided 2-d inverse DFT of real input.")
ihfftn = _multi_dim("ihfftn", _r2c_nd, True, None, "The one-sided n-d inverse DFT of real input.")


def _into(r, out):
    from ._ops_linalg import _into as into
    return into(r, out)


# ------------------------------------------------------------------ pair-layout transforms
def _fft_pairs(x, n=None, dim=-2, norm=None, inverse=False):
    """Internal: complex (i)FFT of (…, 2) pairs along `dim` (a dim of the complex shape, i.e.
    counted without the trailing pair dim when negative: -1 means the last complex dim)."""
    _check_norm(norm)
    cdim = dim % (x.ndim - 1) if dim < 0 else dim
    if dim == -2:
        cdim = x.ndim - 2
    if n is not None:
        x = _resize(x, cdim, n)
    n = x.shape[cdim]
    y = _C2C.apply(x.movedim(cdim, -2), inverse).movedim(-2, cdim)
    return _scaled(y, _scale(norm, n, inverse))


def _rfft_pairs(x, n=None, dim=-1, norm=None):
    """Internal: rfft of real x along `dim` as (…, n/2+1, …, 2) pairs (pair dim last)."""
    _check_norm(norm)
    x = _float_input(x, "rfft")
    dim = dim % x.ndim
    if n is not None:
        x = _resize(x, dim, n)
    n = x.shape[dim]
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    y = _R2C.apply(x.movedim(dim, -1)).movedim(-2, dim)
    return _scaled(y, _scale(norm, n, False))


def _irfft_pairs(z, n=None, dim=-2, norm=None):
    """Internal: irfft of a one-sided complex spectrum given as (…, 2) pairs."""
    _check_norm(norm)
    cdim = dim % z.ndim
    m = z.shape[cdim]
    n = 2 * (m - 1) if n is None else n
    z = _resize(z, cdim, n // 2 + 1)
    y = _C2R.apply(z.movedim(cdim, -2), n).movedim(-1, cdim)
    return _scaled(y, _scale(norm, n, True))


# ------------------------------------------------------------------ helpers
def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Sample frequencies [0, 1, …, ⌈n/2⌉−1, −⌊n/2⌋, …, −1] / (d·n)."""
    import ember
    k = list(range(0, (n - 1) // 2 + 1)) + list(range(-(n // 2), 0))
    r = ember.tensor([v / (d * n) for v in k], dtype=dtype or ember.get_default_dtype())
    r.requires_grad_(requires_grad)
    return _into(r, out)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Non-negative sample frequencies [0, 1, …, ⌊n/2⌋] / (d·n)."""
    import ember
    r = ember.tensor([v / (d * n) for v in range(n // 2 + 1)], dtype=dtype or ember.get_default_dtype())
    r.requires_grad_(requires_grad)
    return _into(r, out)


def _shift(x, dim, sign):
    if dim is None:
        dim = list(range(x.ndim))
    elif isinstance(dim, int):
        dim = [dim]
    dim = list(dim)
    shifts = [sign * (x.shape[d] // 2) for d in dim]
    return x.roll(shifts, dim) if dim else x


def fftshift(input, dim=None):
    """Moves the zero-frequency term to the centre (roll by n//2 along each dim)."""
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):
    """The inverse of fftshift (roll by −(n//2))."""
    return _shift(input, dim, -1)

"""The array API standard's `fft` extension, over ember.fft.

The transforms keep the precision of their input (complex64 <-> float32, complex128 <->
float64). Real input to `fft`/`ifft`/`fftn`/`ifftn` (the standard asks for complex) is
accepted and treated as complex with zero imaginary parts, as in ember.fft."""
import ember
import ember.fft as _F

from . import _dtypes


def _norm(norm):
    if norm not in ("backward", "ortho", "forward"):
        raise ValueError(f"norm must be 'backward', 'ortho' or 'forward', got {norm!r}")
    return norm


def _one(name):
    op = getattr(_F, name)

    def f(x, /, *, n=None, axis=-1, norm="backward"):
        return op(x, n=n, dim=axis, norm=_norm(norm))
    f.__name__ = f.__qualname__ = name
    return f


def _many(name):
    op = getattr(_F, name)

    def f(x, /, *, s=None, axes=None, norm="backward"):
        return op(x, s=s, dim=axes, norm=_norm(norm))
    f.__name__ = f.__qualname__ = name
    return f


fft, ifft, rfft, irfft, hfft, ihfft = (_one(n) for n in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft"))
fftn, ifftn, rfftn, irfftn = (_many(n) for n in ("fftn", "ifftn", "rfftn", "irfftn"))


def _freq(op, n, d, dtype, device):
    dtype = ember.get_default_dtype() if dtype is None else dtype
    if not _dtypes.isdtype(dtype, "real floating"):
        raise ValueError(f"frequencies need a real floating dtype, got {dtype!r}")
    out = op(n, d=d, dtype=dtype)
    return out if device is None else out.to(device)


def fftfreq(n, /, *, d=1.0, dtype=None, device=None):
    return _freq(_F.fftfreq, n, d, dtype, device)


def rfftfreq(n, /, *, d=1.0, dtype=None, device=None):
    return _freq(_F.rfftfreq, n, d, dtype, device)


def fftshift(x, /, *, axes=None):
    return _F.fftshift(x, dim=axes)


def ifftshift(x, /, *, axes=None):
    return _F.ifftshift(x, dim=axes)


__all__ = ["fft", "ifft", "fftn", "ifftn", "rfft", "irfft", "rfftn", "irfftn", "hfft", "ihfft",
           "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

"""The array API standard's `linalg` extension, over ember.linalg (faer underneath; complex
input goes to ember.linalg's complex paths, see docs/complex.md)."""
from collections import namedtuple

import ember
import ember.linalg as _L

from . import _dtypes
from ._elementwise import _operands
from ._linalg_core import matmul, matrix_transpose, tensordot, vecdot
from ._statistical import _sum_dtype

EigResult = namedtuple("EigResult", ["eigenvalues", "eigenvectors"])
EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
QRResult = namedtuple("QRResult", ["Q", "R"])
SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])

_FLOAT = ("real floating", "complex floating")


def _float(x, name, complex_ok=True):
    if not _dtypes.isdtype(x.dtype, _FLOAT):
        raise TypeError(f"linalg.{name}() needs a floating array, got {_dtypes._NAMES[x.dtype]}")
    if not complex_ok and x.dtype in _dtypes._COMPLEX:
        raise NotImplementedError(f"linalg.{name}() of a complex array needs a complex "
                                  f"factorization, which ember does not have yet")
    return x


def _is_complex(x):
    return x.dtype in _dtypes._COMPLEX


def _square(x, name):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{x.shape[-2] if x.ndim > 1 else 1} by {x.shape[-1] if x.ndim else 1} matrices")
    return x


def cholesky(x, /, *, upper=False):
    _float(x, "cholesky")
    return _L.cholesky(x, upper=upper)


def cross(x1, x2, /, *, axis=-1):
    a, b = _operands(x1, x2, "cross", ("integral", "real floating", "complex floating"))
    if not -min(a.ndim, b.ndim) <= axis < 0:
        raise ValueError(f"linalg.cross(): axis must be negative and within both arrays, got {axis}")
    if a.shape[axis] != 3 or b.shape[axis] != 3:
        raise ValueError("linalg.cross(): the axis must have size 3 in both arrays")
    a, b = ember.broadcast_tensors(a, b)
    return _L.cross(a, b, dim=axis)


def det(x, /):
    _float(x, "det")
    return _L.det(x)


def diagonal(x, /, *, offset=0):
    return ember.diagonal(x, offset=offset, dim1=-2, dim2=-1)


def eig(x, /):
    """Eigenvalues and eigenvectors of general square matrices, complex of x's precision
    (added in revision 2025.12)."""
    _square(_float(x, "eig"), "eig")
    return EigResult(*(_complex_eig(x) if _is_complex(x) else _L.eig(x)))


def eigvals(x, /):
    """Eigenvalues of general square matrices (added in revision 2025.12)."""
    _square(_float(x, "eigvals"), "eigvals")
    return _complex_eig(x)[0] if _is_complex(x) else _L.eigvals(x)


def _complex_eig(x):
    """Eigenpairs of complex matrices from ember's real eig, which takes real matrices only.

    The real 2n x 2n embedding [[B, -C], [C, B]] of A = B + iC has the eigenvalues of A and
    those of conj(A); A's eigenvectors appear as [w; -iw]. Shifting A by i*s moves A's
    eigenvalues to λ + is and conj(A)'s to conj(λ) - is, so with s above every |Im λ| the n
    eigenvalues of largest imaginary part are exactly A's (no pairing by tolerance needed).
    A is first divided by its largest magnitude (every |λ| <= n then, and s = 2n + 1 suffices)."""
    n = x.shape[-1]
    y, scale = _scaled(x)
    shift = 2.0 * n + 1.0
    B, C = y.real, y.imag + shift * ember.eye(n, dtype=y.real.dtype)
    M = ember.cat([ember.cat([B, -C], dim=-1), ember.cat([C, B], dim=-1)], dim=-2)
    vals, vecs = _L.eig(M)
    pick = ember.argsort(vals.imag, dim=-1, descending=True, stable=True)[..., :n]
    lam = ember.take_along_dim(vals, pick, dim=-1) - complex(0.0, shift)
    V = ember.take_along_dim(vecs, pick.unsqueeze(-2).expand(vecs.shape[:-1] + (n,)), dim=-1)
    w = V[..., :n, :] + V[..., n:, :] * 1j  # 2w for A's eigenvector w (the bottom half is -iw)
    norm = ember.sqrt((w.real * w.real + w.imag * w.imag).sum(dim=-2, keepdim=True))
    w = w / ember.where(norm == 0, ember.ones_like(norm), norm).to(w.dtype)
    return (lam * scale[..., 0].to(lam.dtype)).to(x.dtype), w.to(x.dtype)


def eigh(x, /):
    _float(x, "eigh")
    return EighResult(*_L.eigh(x))


def eigvalsh(x, /):
    _float(x, "eigvalsh")
    return _L.eigvalsh(x)


def inv(x, /):
    _float(x, "inv")
    return _L.inv(x)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    if _is_complex(_float(x, "matrix_norm")):
        if ord in (2, -2, "nuc"):
            S = svdvals(x)
            out = ember.amax(S, dim=-1) if ord == 2 else ember.amin(S, dim=-1) if ord == -2 else S.sum(dim=-1)
            return out.unsqueeze(-1).unsqueeze(-1) if keepdims else out
        # Frobenius and the max row/column sums depend on the magnitudes only
        x = ember.abs(x)
    return _L.matrix_norm(x, ord=ord, keepdim=keepdims)


def matrix_power(x, n, /):
    return _L.matrix_power(x, n)


def _default_rtol(x):
    return max(x.shape[-2:]) * ember.finfo(_dtypes._PART[x.dtype]).eps


def _cutoff(x, S, rtol):
    """The standard's singular-value cutoff: rtol (default max(M, N) * eps, or an array that
    broadcasts against the stack shape) times the largest singular value of each matrix."""
    if rtol is None:
        rtol = _default_rtol(x)
    if isinstance(rtol, ember.Tensor):
        rtol = rtol.to(S.dtype).unsqueeze(-1)
    return rtol * ember.amax(S, dim=-1, keepdim=True)


def matrix_rank(x, /, *, rtol=None):
    _float(x, "matrix_rank")
    if 0 in x.shape[-2:]:
        return ember.zeros(x.shape[:-2], dtype=ember.int64)
    S = svdvals(x)
    return ember.sum(S > _cutoff(x, S, rtol), dim=-1)


def outer(x1, x2, /):
    a, b = _operands(x1, x2, "outer", ("integral", "real floating", "complex floating"))
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError("linalg.outer(): both arrays must be 1-d")
    return ember.outer(a, b)


def _scaled(x):
    """x divided by the largest magnitude of each matrix, and that scale (1 for a zero matrix).

    Singular values scale linearly, so SVD-based functions run on the scaled matrix, where the
    iteration never squares a value near the dtype's max (a 1e308 entry in float64 made
    ember's SVD fail to converge), and scale the results back with one multiply."""
    if x.numel() == 0:
        return x, ember.ones(x.shape[:-2] + (1, 1), dtype=_dtypes._PART[x.dtype])
    s = ember.amax(ember.abs(x), dim=(-2, -1), keepdim=True)
    s = ember.where((s == 0) | ~ember.isfinite(s), ember.ones_like(s), s)
    return x / s, s


def pinv(x, /, *, rtol=None):
    _float(x, "pinv")
    M, N = x.shape[-2:]
    if M == 0 or N == 0:
        return ember.zeros(x.shape[:-2] + (N, M), dtype=x.dtype)
    U, S, Vh = svd(x, full_matrices=False)
    keep = S > _cutoff(x, S, rtol)
    S_inv = ember.where(keep, 1 / ember.where(keep, S, ember.ones_like(S)), ember.zeros_like(S))
    return Vh.mH @ (S_inv.unsqueeze(-1) * U.mH)


def qr(x, /, *, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"linalg.qr(): mode must be 'reduced' or 'complete', got {mode!r}")
    _float(x, "qr")
    return QRResult(*_L.qr(x, mode=mode))


def slogdet(x, /):
    _float(x, "slogdet")
    return SlogdetResult(*_L.slogdet(x))


def solve(x1, x2, /):
    a, b = _operands(x1, x2, "solve", _FLOAT)
    # the standard treats x2 as a stack of vectors only when it is 1-d (PyTorch: also when its
    # shape is x1's minus the last dim); make the standard's reading explicit
    if b.ndim == 1:
        return _solve(a, b.unsqueeze(-1)).squeeze(-1) if a.ndim == 2 else \
            _solve(a, ember.broadcast_to(b, a.shape[:-1]).unsqueeze(-1)).squeeze(-1)
    return _solve(a, b)


def _solve(a, b):
    return _L.solve(a, b)


def svd(x, /, *, full_matrices=True):
    y, s = _scaled(_float(x, "svd"))
    U, S, Vh = _L.svd(y, full_matrices=full_matrices)
    return SVDResult(U, S * s[..., 0], Vh)


def svdvals(x, /):
    y, s = _scaled(_float(x, "svdvals"))
    return _L.svdvals(y) * s[..., 0]


def trace(x, /, *, offset=0, dtype=None):
    if x.ndim < 2:
        raise ValueError("linalg.trace() needs at least 2 dims")
    d = ember.diagonal(x, offset=offset, dim1=-2, dim2=-1)
    return ember.sum(d, dim=-1, dtype=_sum_dtype(x, dtype))


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    if _is_complex(_float(x, "vector_norm")):
        x = ember.abs(x)  # a norm depends on the magnitudes only
    if isinstance(axis, list):
        axis = tuple(axis)
    if axis == ():
        # a norm over no axes is the norm of each single element (ember reads () as "all")
        return (x != 0).to(x.dtype) if ord == 0 else ember.abs(x)
    return _L.vector_norm(x, ord=ord, dim=axis, keepdim=keepdims)


__all__ = ["cholesky", "cross", "det", "diagonal", "eig", "eigvals", "eigh", "eigvalsh", "inv", "matmul",
           "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "outer", "pinv", "qr",
           "slogdet", "solve", "svd", "svdvals", "tensordot", "trace", "vecdot", "vector_norm"]

"""The pre-``linalg`` names PyTorch keeps at the top level (``torch.det``, ``torch.svd`` …) and
on Tensor, plus the top-level spellings of special functions (``torch.lgamma`` …). Each is a
thin adapter over ``ember.linalg`` / ``ember.special`` with the legacy signature and result
convention (e.g. ``svd`` returns V, not Vᴴ; ``triangular_solve`` takes (b, A))."""
from collections import namedtuple

from . import linalg as _linalg
from . import special as _special
from ._native import Tensor

__all__ = ["det", "logdet", "slogdet", "inverse", "cholesky", "cholesky_solve", "cholesky_inverse", "svd", "qr", "lu",
           "lu_solve", "lu_unpack", "pinverse", "matrix_power", "matrix_exp", "triangular_solve", "orgqr",
           "lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc", "igamma", "igammac", "erfcx_", "logdet"]
__all__ = [n for n in dict.fromkeys(__all__) if not n.endswith("_")]

_svd_t = namedtuple("torch_return_types_svd", ["U", "S", "V"])
_qr_t = namedtuple("torch_return_types_qr", ["Q", "R"])
_slogdet_t = namedtuple("torch_return_types_slogdet", ["sign", "logabsdet"])
_tri_t = namedtuple("torch_return_types_triangular_solve", ["solution", "cloned_coefficient"])


def det(input):
    return _linalg.det(input)


def logdet(input):
    """log det A: NaN for a negative determinant, −inf for a singular matrix; for complex A the
    principal log, logabsdet + i·angle(det)."""
    sign, logabs = _linalg.slogdet(input)
    import ember
    if sign.dtype.is_complex:
        return ember.complex(logabs, sign.angle())
    return ember.where(sign < 0, ember.full_like(logabs, float("nan")), logabs)


def slogdet(input):
    return _slogdet_t(*_linalg.slogdet(input))


def inverse(input, *, out=None):
    return _linalg.inv(input, out=out)


def cholesky(input, upper=False, *, out=None):
    return _linalg.cholesky(input, upper=upper, out=out)


def cholesky_solve(B, L, upper=False, *, out=None):
    """X with (L Lᴴ) X = B given the Cholesky factor (Uᴴ U when `upper`)."""
    if upper:
        L = L.mH
    Y = _linalg.solve_triangular(L, B, upper=False)
    return _linalg.solve_triangular(L.mH, Y, upper=True, out=out)


def cholesky_inverse(L, upper=False, *, out=None):
    """(L Lᴴ)⁻¹ from the factor L (or (Uᴴ U)⁻¹)."""
    import ember
    eye = ember.eye(L.shape[-1], dtype=L.dtype).expand(*L.shape)
    return cholesky_solve(eye, L, upper, out=out)


def svd(input, some=True, compute_uv=True, *, out=None):
    """(U, S, V) with A = U diag(S) Vᴴ; compute_uv=False gives zero-filled U (m×m) and V (n×n)."""
    import ember
    if not compute_uv:
        m, n = input.shape[-2], input.shape[-1]
        S = _linalg.svdvals(input)
        batch = tuple(input.shape[:-2])
        return _svd_t(ember.zeros(*batch, m, m, dtype=input.dtype), S, ember.zeros(*batch, n, n, dtype=input.dtype))
    U, S, Vh = _linalg.svd(input, full_matrices=not some)
    return _svd_t(U, S, Vh.mH)


def qr(input, some=True, *, out=None):
    return _qr_t(*_linalg.qr(input, "reduced" if some else "complete"))


def lu(A, pivot=True, get_infos=False, out=None):
    """(LU, pivots[, infos]): packed factors; with get_infos a singular matrix does not raise."""
    LU, piv, info = _linalg.lu_factor_ex(A, pivot=pivot)
    if get_infos:
        return LU, piv, info
    return LU, piv


def lu_solve(b, LU_data, LU_pivots, *, out=None):
    return _linalg.lu_solve(LU_data, LU_pivots, b, out=out)


lu_unpack = _linalg.lu_unpack


def pinverse(input, rcond=1e-15):
    return _linalg.pinv(input, rtol=rcond)


def matrix_power(input, n, *, out=None):
    return _linalg.matrix_power(input, n, out=out)


def matrix_exp(A):
    return _linalg.matrix_exp(A)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """(X, A.clone()) with op(A) X = b, op = transpose when asked."""
    T = A.triu() if upper else A.tril()
    if transpose:
        T, upper = T.transpose(-1, -2), not upper
    X = _linalg.solve_triangular(T, b, upper=upper, unitriangular=unitriangular)
    return _tri_t(X, A.clone())


def orgqr(input, tau):
    return _linalg.householder_product(input, tau)


def lgamma(input, *, out=None):
    return _special.gammaln(input, out=out)


def digamma(input, *, out=None):
    return _special.digamma(input, out=out)


def polygamma(n, input, *, out=None):
    return _special.polygamma(n, input, out=out)


def mvlgamma(input, p, *, out=None):
    return _special.multigammaln(input, p, out=out)


def i0(input, *, out=None):
    return _special.i0(input, out=out)


def sinc(input, *, out=None):
    return _special.sinc(input, out=out)


def igamma(input, other, *, out=None):
    return _special.gammainc(input, other, out=out)


def igammac(input, other, *, out=None):
    return _special.gammaincc(input, other, out=out)


def _attach():
    """Tensor methods for the names above, added only where Tensor has none already."""
    methods = {
        "det": det, "logdet": logdet, "slogdet": slogdet, "inverse": inverse, "cholesky": cholesky,
        "cholesky_solve": cholesky_solve, "cholesky_inverse": cholesky_inverse, "svd": svd, "qr": qr,
        "lu": lambda self, pivot=True, get_infos=False: lu(self, pivot, get_infos),
        "lu_solve": lu_solve, "pinverse": pinverse, "matrix_power": matrix_power, "matrix_exp": matrix_exp,
        "triangular_solve": triangular_solve, "orgqr": orgqr, "lgamma": lgamma, "digamma": digamma,
        "polygamma": lambda self, n: polygamma(n, self), "mvlgamma": mvlgamma, "i0": i0, "sinc": sinc,
        "igamma": igamma, "igammac": igammac,
    }
    for name, fn in methods.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, fn)


_attach()

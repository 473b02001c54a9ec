"""Linear-algebra names composed on ``ember.linalg``: ``nuclear_norm``, ``geqrf``/``ormqr``
(LAPACK's compact Householder QR and the product with its Q), the randomised low-rank
``svd_lowrank``/``pca_lowrank`` (Halko, Martinsson & Tropp 2011, Algorithm 4.4), and
``linalg.polar``/``linalg.matrix_sqrth``.
"""
import collections

from . import _native, linalg as _linalg
from ._native import Tensor

__all__ = ["nuclear_norm", "geqrf", "ormqr", "svd_lowrank", "pca_lowrank"]

_geqrf_t = collections.namedtuple("geqrf", ["a", "tau"])
_polar_t = collections.namedtuple("linalg_polar", ["U", "H"])


def _into(result, out):
    if out is None:
        return result
    if isinstance(result, tuple):
        for o, r in zip(out, result):
            o.copy_(r)
        return type(result)(*out) if hasattr(result, "_fields") else tuple(out)
    return out.copy_(result)


def nuclear_norm(input, dim=None, keepdim=False, *, out=None):
    """The sum of singular values of each matrix over ``dim`` (the last two dims by default)."""
    if isinstance(dim, bool):  # nuclear_norm(input, keepdim) is PyTorch's other overload
        dim, keepdim = None, dim
    if dim is None and input.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    return _linalg.matrix_norm(input, "nuc", dim=(-2, -1) if dim is None else tuple(dim), keepdim=keepdim, out=out)


def geqrf(input, *, out=None):
    """QR in LAPACK's compact form: R on and above the diagonal of ``a``, the Householder vectors
    (unit head implied) below it, and their scalings ``tau``; ``linalg.householder_product(a, tau)``
    rebuilds Q. Each column j: x = a[j:, j], β = −sign(Re x₀)‖x‖, τ = (β − x₀)/β, v = x[1:]/(x₀ − β),
    then Hᴴ, H = I − τ (1, v)(1, v)ᴴ, is applied to the columns right of j (τ = 0 when x[1:] is
    zero and x₀ real); R's diagonal is real, as LAPACK's for complex input."""
    if not isinstance(input, Tensor):
        raise TypeError(f"geqrf(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input.ndim < 2:
        raise RuntimeError(f"torch.geqrf: input must have at least 2 dimensions.")
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(f"\"geqrf_cpu\" not implemented for '{_linalg._TORCH_NAMES.get(input.dtype.name)}'")
    import ember
    from ._linalg_complex import reflector
    m, n = input.shape[-2], input.shape[-1]
    k = min(m, n)
    a = input.detach().clone()
    taus = []
    for j in range(k):
        x = a[..., j:, j]
        v, tau, beta = reflector(x)
        if j + 1 < n:  # Hᴴ applied to the columns right of j
            rest = a[..., j:, j + 1:]
            w = (v.conj()[..., :, None] * rest).sum(-2, keepdim=True)
            a[..., j:, j + 1:] = rest - tau.conj()[..., None, None] * v[..., :, None] * w
        a[..., j, j] = beta.to(a.dtype)
        if m - j > 1:
            a[..., j + 1:, j] = v[..., 1:]
        taus.append(tau)
    tau = ember.stack(taus, -1) if taus else ember.zeros(*input.shape[:-2], 0, dtype=input.dtype)
    return _into(_geqrf_t(a, tau), out)


def ormqr(input, input2, input3, left=True, transpose=False, *, out=None):
    """``Q @ input3`` (or ``Qᵀ``, or from the right) with Q the full m×m product of the
    Householder reflectors that ``geqrf`` left in ``input`` and ``input2`` (tau)."""
    import ember
    for name, v in (("input", input), ("input2", input2), ("input3", input3)):
        if not isinstance(v, Tensor):
            raise TypeError(f"ormqr(): argument '{name}' must be Tensor, not {type(v).__name__}")
    if input.ndim < 2 or input3.ndim < 2:
        raise RuntimeError("torch.ormqr: input and input3 must have at least 2 dimensions.")
    m = input3.shape[-2] if left else input3.shape[-1]
    if input.shape[-2] != m:
        raise RuntimeError(f"torch.ormqr: input.shape[-2] must be equal to input3.shape[{-2 if left else -1}]")
    if input2.shape[-1] > input.shape[-1] or input2.shape[-1] > m:
        raise RuntimeError("torch.ormqr: input2.shape[-1] must be less than or equal to input.shape[-1]")
    k = input2.shape[-1]
    A = input[..., :, :k]
    if k < m:
        A = ember.cat([A, ember.zeros(*A.shape[:-1], m - k, dtype=A.dtype)], -1)
    Q = _linalg.householder_product(A, input2)
    if transpose:  # the conjugate transpose for complex input
        Q = Q.mH
    return _into(Q.matmul(input3) if left else input3.matmul(Q), out)


def _get_approximate_basis(A, q, niter, M=None):
    """An orthonormal (…, m, q) basis whose span nearly holds A's range: QR of A·Ω for a
    Gaussian Ω, refined by ``niter`` subspace iterations (with re-orthonormalisation)."""
    import ember
    X = A if M is None else A - M
    omega = ember.randn(*X.shape[:-2], X.shape[-1], q, dtype=X.dtype)
    Q = _linalg.qr(X.matmul(omega)).Q
    for _ in range(niter):
        Q = _linalg.qr(X.mH.matmul(Q)).Q
        Q = _linalg.qr(X.matmul(Q)).Q
    return Q


def svd_lowrank(A, q=6, niter=2, M=None):
    """An approximate rank-``q`` SVD ``(U, S, V)`` with ``A − M ≈ U diag(S) Vᵀ`` (``M`` defaults
    to 0), by a randomised range finder and an exact SVD of the small projected matrix."""
    if not isinstance(A, Tensor):
        raise TypeError(f"svd_lowrank(): argument 'A' must be Tensor, not {type(A).__name__}")
    q = 6 if q is None else q
    m, n = A.shape[-2], A.shape[-1]
    if not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if niter < 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    X = A if M is None else A - M.expand_as(A) if isinstance(M, Tensor) else A
    if m < n:  # work on the tall side
        X = X.mH
    Q = _get_approximate_basis(X, q, niter)
    B = Q.mH.matmul(X)
    U, S, Vh = _linalg.svd(B, full_matrices=False)
    U = Q.matmul(U)
    V = Vh.mH
    return (V, S, U) if m < n else (U, S, V)


def pca_lowrank(A, q=None, center=True, niter=2):
    """Principal components of the rows of A: ``svd_lowrank`` of A minus its column means
    (when ``center``), with ``q = min(6, m, n)`` by default."""
    if not isinstance(A, Tensor):
        raise TypeError(f"pca_lowrank(): argument 'A' must be Tensor, not {type(A).__name__}")
    m, n = A.shape[-2], A.shape[-1]
    q = min(6, m, n) if q is None else q
    if not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if niter < 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return svd_lowrank(A, q, niter)
    return svd_lowrank(A - A.mean(-2, keepdim=True), q, niter)


def polar(A, *, out=None):
    """``A = U H`` with U (m×n) having orthonormal columns and H (n×n) Hermitian positive
    semi-definite, from the thin SVD A = W S Vᴴ: U = W Vᴴ, H = V S Vᴴ."""
    _linalg._check(A, "linalg.polar", square=False, complex_ok=True)
    if A.shape[-2] < A.shape[-1]:
        raise RuntimeError(f"linalg.polar: input must have at least as many rows as columns, but got "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    W, S, Vh = _linalg.svd(A, full_matrices=False)
    return _into(_polar_t(W.matmul(Vh), (Vh.mH * S.to(A.dtype)[..., None, :]).matmul(Vh)), out)


def matrix_sqrth(A):
    """The Hermitian positive (semi-)definite X with X X = A, from ``eigh`` (A's lower triangle):
    X = Q diag(√λ) Qᴴ, with negative eigenvalues (round-off) taken as 0."""
    _linalg._check(A, "linalg.matrix_sqrth", complex_ok=True)
    L, Q = _linalg.eigh(A)
    return (Q * L.clamp(min=0).sqrt().to(A.dtype)[..., None, :]).matmul(Q.mH)


_linalg.polar, _linalg.matrix_sqrth = polar, matrix_sqrth
Tensor.geqrf = lambda self: geqrf(self)
Tensor.ormqr = lambda self, input2, input3, left=True, transpose=False: ormqr(self, input2, input3, left, transpose)

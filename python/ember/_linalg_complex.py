"""Complex input for ``ember.linalg`` without complex kernels (the faer kernels take f32/f64).

Two exact techniques, both written with differentiable ember ops so autograd needs no new
formulas:

* The real embedding: A = X + iY acts on [re; im] like the real matrix [[X, −Y], [Y, X]]
  (``embed``). It is a *-homomorphism (products, inverses, transposes and Moore–Penrose
  inverses map to the embedding of the complex result), its singular values are A's, each
  twice, and for Hermitian A its eigenvalues are A's, each twice. Solves, inverses, least
  squares and pinv run the real kernels on it and read the complex answer back.
* Column loops of complex ops for what the embedding cannot give: the LU with partial
  pivoting (LAPACK's getrf: pivot on max |re|+|im|, packed factors, 1-based pivots, the first
  zero pivot as info), which gives det/slogdet with their phase, and the Cholesky factor.
  Each loop step works on the whole batch, so the cost is n Python steps of batched ops.
"""
import ember

from ._native import Tensor
from .autograd.function import Function


def real_dtype(dtype):
    return ember.float32 if dtype == ember.complex64 else ember.float64


def embed(A):
    """(…, m, n) complex → (…, 2m, 2n) real [[X, −Y], [Y, X]]."""
    X, Y = A.real, A.imag
    return ember.cat([ember.cat([X, -Y], -1), ember.cat([Y, X], -1)], -2)


def unembed(E, m, n):
    """The complex matrix whose embedding is E (read from its left block column)."""
    return ember.complex(E[..., :m, :n], E[..., m:, :n])


def stack_parts(B):
    """(…, n, k) complex → (…, 2n, k) real [re; im], the vector form the embedding acts on."""
    return ember.cat([B.real, B.imag], -2)


def unstack_parts(Z):
    n = Z.shape[-2] // 2
    return ember.complex(Z[..., :n, :], Z[..., n:, :])


def pair_mean(values):
    """A's singular values (or Hermitian eigenvalues) from the embedding's sorted ones, where
    each appears twice in a row. The mean of each pair keeps the gradient invariant to the
    arbitrary basis the real kernel picks inside each two-dimensional singular subspace."""
    return (values[..., 0::2] + values[..., 1::2]) * 0.5


def hermitian_from(A, upper):
    """The Hermitian matrix one triangle of A spans (the imaginary part of the diagonal is
    ignored), as LAPACK's Hermitian routines read it."""
    T = A.triu(1) if upper else A.tril(-1)
    return T + T.mH + A.diagonal(0, -2, -1).real.to(A.dtype).diag_embed()


class _HermitianPart(Function):
    """``hermitian_from`` whose gradient is the Hermitian part of the incoming one, as
    PyTorch reports for eigh/cholesky (the input is treated as the Hermitian matrix it stands
    for, not as a function of one triangle)."""

    @staticmethod
    def forward(ctx, A, upper):
        return hermitian_from(A, upper)

    @staticmethod
    def backward(ctx, g):
        return (g + g.mH) * 0.5, None


def hermitian(A, upper=False):
    return _HermitianPart.apply(A, upper)


def _cabs1(x):
    return x.real.abs() + x.imag.abs()


def lu(A):
    """(LU, pivots, info): A = P L U with LAPACK getrf's conventions, as differentiable ember
    ops. A zero pivot column is skipped (its multipliers are 0), as getrf does."""
    m, n = A.shape[-2], A.shape[-1]
    batch = tuple(A.shape[:-2])
    k = min(m, n)
    rows = ember.arange(m)
    U = A
    pivots, zero = [], []
    for j in range(k):
        p = _cabs1(U[..., j:, j].detach()).argmax(-1) + j  # first maximum, as izamax
        pivots.append(p)
        # swap rows j and p of every matrix in the batch with one gather
        order = ember.where(rows == j, p[..., None], ember.where(rows == p[..., None], ember.full_like(p[..., None], j), rows))
        U = U.gather(-2, order[..., :, None].expand(*batch, m, n))
        piv = U[..., j, j]
        is_zero = piv == 0
        zero.append(is_zero)
        if j + 1 < m:
            safe = ember.where(is_zero, ember.ones_like(piv), piv)
            l = ember.where(is_zero[..., None], ember.zeros_like(U[..., j + 1:, j]), U[..., j + 1:, j] / safe[..., None])
            rest = U[..., j + 1:, j + 1:] - l[..., :, None] * U[..., j, None, j + 1:]
            U = ember.cat([U[..., :j + 1, :], ember.cat([U[..., j + 1:, :j], l[..., :, None], rest], -1)], -2)
    if k:
        piv_t = (ember.stack(pivots, -1) + 1).to(ember.int32)
        z = ember.stack(zero, -1).reshape(-1, k).tolist()
    else:
        piv_t = ember.zeros(*batch, 0, dtype=ember.int32)
        z = [[]] * (ember.zeros(*batch).numel())
    info = [next((i + 1 for i, f in enumerate(row) if f), 0) for row in z]
    return U, piv_t, info


def _perm_sign(pivots, dtype):
    swaps = (pivots.long() != ember.arange(1, pivots.shape[-1] + 1)).sum(-1)
    return (1 - 2 * (swaps % 2)).to(dtype)


def det(A):
    LU, piv, _ = lu(A)
    return LU.diagonal(0, -2, -1).prod(-1) * _perm_sign(piv, A.dtype)


def slogdet(A):
    """(sign, logabsdet): sign = det/|det| (complex, 0 for a singular matrix), logabsdet real."""
    LU, piv, _ = lu(A)
    d = LU.diagonal(0, -2, -1)
    a = d.abs()
    unit = d / ember.where(a == 0, ember.ones_like(a), a).to(d.dtype)  # 0 where the pivot is 0
    return unit.prod(-1) * _perm_sign(piv, A.dtype), a.log().sum(-1)


def cholesky(A):
    """(L, info) with A = L Lᴴ from A's lower triangle and the real part of its diagonal; info
    is the order of the first leading minor that is not positive-definite (0 when none)."""
    n = A.shape[-1]
    batch = tuple(A.shape[:-2])
    cols, bad = [], []
    C = A[..., :, :0]  # the columns of L found so far
    for j in range(n):
        row = C[..., j, :]  # L[j, :j]
        d = A[..., j, j].real - (row.real * row.real + row.imag * row.imag).sum(-1)
        ok = d > 0  # False for NaN too
        bad.append(~ok)
        ljj = ember.where(ok, d, ember.ones_like(d)).sqrt()
        below = A[..., j + 1:, j] - C[..., j + 1:, :].matmul(row.conj()[..., :, None])[..., 0]
        col = ember.cat([ember.zeros(*batch, j, dtype=A.dtype), ljj.to(A.dtype)[..., None], below / ljj[..., None]], -1)
        C = ember.cat([C, col[..., :, None]], -1)
    if n:
        flags = ember.stack(bad, -1).reshape(-1, n).tolist()
    else:
        flags = [[]] * ember.zeros(*batch).numel()
    info = [next((i + 1 for i, f in enumerate(row) if f), 0) for row in flags]
    return C, info


def is_complex(*tensors):
    return any(isinstance(t, Tensor) and t.dtype.is_complex for t in tensors)

"""Complex factorizations for the `linalg` extension, written over ember's batched ops until
ember's core (faer, real input only) has complex ones: LU with partial pivoting (det,
slogdet), Cholesky, and Householder QR. Each loops over the columns in Python (n steps of
batched tensor ops), so it suits the small matrices array API code passes around; the real
paths stay on ember.linalg."""
import ember
import ember.linalg as _L


def _batch_arange(n, like_shape):
    return ember.broadcast_to(ember.arange(n), tuple(like_shape) + (n,))


def _lu_diagonal(a):
    """The diagonal of U in P A = L U (partial pivoting) and the sign of the permutation P."""
    n = a.shape[-1]
    batch = tuple(a.shape[:-2])
    parity = ember.ones(batch, dtype=a.dtype)
    for k in range(n):
        # the largest magnitude of column k on or below the diagonal is the pivot
        p = ember.argmax(ember.abs(a[..., k:, k]), dim=-1) + k
        idx = _batch_arange(n, batch)
        pk = p.unsqueeze(-1)
        perm = ember.where(idx == k, pk, ember.where(idx == pk, ember.full_like(idx, k), idx))
        a = ember.take_along_dim(a, ember.broadcast_to(perm.unsqueeze(-1), a.shape), dim=-2)
        parity = ember.where(p != k, -parity, parity)
        piv = a[..., k, k].unsqueeze(-1)
        # a zero pivot means a zero column below the diagonal: nothing to eliminate
        f = ember.where(piv == 0, ember.zeros_like(piv), a[..., k + 1:, k] / ember.where(piv == 0, ember.ones_like(piv), piv))
        below = a[..., k + 1:, :] - f.unsqueeze(-1) * a[..., k:k + 1, :]
        a = ember.cat([a[..., :k + 1, :], below], dim=-2)
    return ember.diagonal(a, dim1=-2, dim2=-1), parity


def det(x):
    d, parity = _lu_diagonal(x)
    return parity * ember.prod(d, dim=-1)


def slogdet(x):
    """(sign, log|det|): sign a unit complex number, or 0 with log|det| = -inf when singular."""
    d, parity = _lu_diagonal(x)
    mag = ember.abs(d)
    logabs = ember.sum(ember.log(mag), dim=-1)
    unit = d / ember.where(mag == 0, ember.ones_like(mag), mag)
    sign = parity * ember.prod(unit, dim=-1)
    singular = ember.any(mag == 0, dim=-1)
    return ember.where(singular, ember.zeros_like(sign), sign), logabs


def cholesky(x, upper=False):
    """Lower L with L L^H = x (x Hermitian positive-definite; only its lower triangle is read)."""
    n = x.shape[-1]
    L = ember.zeros_like(x)
    for j in range(n):
        row = L[..., j:j + 1, :j]
        v = x[..., j:, j] - (L[..., j:, :j] * ember.conj(row)).sum(dim=-1)
        d = v[..., 0].real
        if not bool(ember.all(d > 0)):
            raise _L.LinAlgError(
                "linalg.cholesky: The factorization could not be completed because the input is "
                f"not positive-definite (the leading minor of order {j + 1} is not positive-definite).")
        ljj = ember.sqrt(d)
        col = v / ljj.unsqueeze(-1).to(x.dtype)
        L[..., j:, j] = ember.cat([ljj.unsqueeze(-1).to(x.dtype), col[..., 1:]], dim=-1)
    return ember.conj(L.mT) if upper else L


def qr(x, mode="reduced"):
    """Householder QR: Q unitary (m, m) or (m, k), R upper triangular."""
    m, n = x.shape[-2:]
    k = min(m, n)
    batch = tuple(x.shape[:-2])
    R = x.clone()
    Q = ember.broadcast_to(ember.eye(m, dtype=x.dtype), batch + (m, m)).clone()
    for j in range(k):
        col = R[..., j:, j]
        alpha = col[..., :1]
        norm = ember.linalg.vector_norm(ember.abs(col), dim=-1, keepdim=True).to(x.dtype)
        mag = ember.abs(alpha)
        phase = ember.where(mag == 0, ember.ones_like(alpha), alpha / ember.where(mag == 0, ember.ones_like(mag), mag))
        # v = col + phase * |col| e1: no cancellation in its first entry
        v = ember.cat([alpha + phase * norm, col[..., 1:]], dim=-1)
        vn = ember.linalg.vector_norm(ember.abs(v), dim=-1, keepdim=True).to(x.dtype)
        # nothing below the diagonal: no reflection (H = I), as LAPACK does
        done = (vn == 0) | ember.all(col[..., 1:] == 0, dim=-1, keepdim=True)
        v = ember.where(done, ember.zeros_like(v), v / ember.where(vn == 0, ember.ones_like(vn), vn))
        # R <- H R and Q <- Q H with H = I - 2 v v^H
        sub = R[..., j:, :]
        w = (ember.conj(v).unsqueeze(-1) * sub).sum(dim=-2)
        R = ember.cat([R[..., :j, :], sub - 2 * v.unsqueeze(-1) * w.unsqueeze(-2)], dim=-2)
        qs = Q[..., :, j:]
        u = (qs * v.unsqueeze(-2)).sum(dim=-1)
        Q = ember.cat([Q[..., :, :j], qs - 2 * u.unsqueeze(-1) * ember.conj(v).unsqueeze(-2)], dim=-1)
    R = ember.triu(R)  # the reflections leave rounding-level entries below the diagonal
    if mode == "reduced":
        return Q[..., :, :k].contiguous(), R[..., :k, :].contiguous()
    return Q, R

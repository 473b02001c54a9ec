"""Complex factorizations for the `linalg` extension, written over ember's batched ops until
ember's core (faer, real input only) has complex ones: LU with partial pivoting (det,
slogdet), Cholesky, Householder QR, one-sided Jacobi SVD and cyclic Jacobi Hermitian
eigendecomposition (both in complex128; callers scale the matrix so no squared norm
overflows). Each loops over the columns in Python (n steps of
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


_JACOBI_SWEEPS = 40


def _svd_tall(a):
    """One-sided (Hestenes) Jacobi on the columns of a tall (m >= n) complex128 stack: returns
    (U with the normalised columns, S, V) with a V = U diag(S), S unsorted."""
    n = a.shape[-1]
    batch = tuple(a.shape[:-2])
    a = a.clone()
    v = ember.broadcast_to(ember.eye(n, dtype=a.dtype), batch + (n, n)).clone()
    tol = 4 * ember.finfo(ember.float64).eps
    for _ in range(_JACOBI_SWEEPS):
        rotated = False
        for p in range(n - 1):
            for q in range(p + 1, n):
                ap, aq = a[..., :, p], a[..., :, q]
                alpha = (ember.abs(ap) ** 2).sum(dim=-1)
                beta = (ember.abs(aq) ** 2).sum(dim=-1)
                gamma = (ember.conj(ap) * aq).sum(dim=-1)
                g = ember.abs(gamma)
                act = g > tol * ember.sqrt(alpha * beta)
                if not bool(ember.any(act)):
                    continue
                rotated = True
                # a_q e^{-i phi} makes the pair's Gram matrix real; then a real rotation
                g1 = ember.where(act, g, ember.ones_like(g))
                phase = ember.where(act, gamma / g1.to(a.dtype), ember.ones_like(gamma))
                zeta = (beta - alpha) / (2 * g1)
                t = ember.where(zeta >= 0, ember.ones_like(zeta), -ember.ones_like(zeta)) / (ember.abs(zeta) + ember.sqrt(1 + zeta * zeta))
                c = 1 / ember.sqrt(1 + t * t)
                s = c * t
                c = ember.where(act, c, ember.ones_like(c)).to(a.dtype).unsqueeze(-1)
                s = ember.where(act, s, ember.zeros_like(s)).to(a.dtype).unsqueeze(-1)
                ph = ember.conj(phase).unsqueeze(-1)
                for m_ in (a, v):
                    cp, cq = m_[..., :, p].clone(), m_[..., :, q] * ph
                    m_[..., :, p] = c * cp - s * cq
                    m_[..., :, q] = s * cp + c * cq
        if not rotated:
            break
    S = ember.linalg.vector_norm(ember.abs(a), dim=-2)
    return a, S, v


def _sorted_svd(a):
    u, S, v = _svd_tall(a)
    order = ember.argsort(S, dim=-1, descending=True)
    S = ember.take_along_dim(S, order, dim=-1)
    cols = order.unsqueeze(-2)
    u = ember.take_along_dim(u, ember.broadcast_to(cols, u.shape), dim=-1)
    v = ember.take_along_dim(v, ember.broadcast_to(cols, v.shape), dim=-1)
    # a column whose singular value is at rounding level of the largest carries no reliable
    # direction (its norm can underflow when squared): its U column comes from the completion
    cut = max(a.shape[-2:]) * ember.finfo(ember.float64).eps * S[..., :1]
    nz = ((S > cut) & (S > 0)).unsqueeze(-2)
    u = u / ember.where(nz, S.unsqueeze(-2), ember.ones_like(S).unsqueeze(-2)).to(u.dtype)
    return u, S, v, nz


def _orthonormal(u, nz, complete):
    """u's columns where the singular value is nonzero, completed to orthonormal (complete:
    square unitary) with Householder QR; zero singular values sort last, so QR's columns
    there are orthogonal to every kept column."""
    Q, _ = qr(u, mode="complete")
    k = u.shape[-1]
    head = ember.where(ember.broadcast_to(nz, u.shape), u, Q[..., :, :k])
    return ember.cat([head, Q[..., :, k:]], dim=-1) if complete else head


def svd(x, full_matrices=True):
    """U diag(S) Vh = x with S descending (complex x, one-sided Jacobi in complex128)."""
    dtype = x.dtype
    a = x.to(ember.complex128)
    m, n = a.shape[-2:]
    wide = m < n
    if wide:
        a = ember.conj(a.mT)
    u, S, v, nz = _sorted_svd(a)
    u = _orthonormal(u, nz, full_matrices)
    if wide:  # x^H = u S v^H, so x = v S u^H
        u, v = v, u
    return u.to(dtype), S.to(_PARTS[dtype]), ember.conj(v.mT).contiguous().to(dtype)


_PARTS = {ember.complex64: ember.float32, ember.complex128: ember.float64}


def eigh(x):
    """(eigenvalues ascending, unitary eigenvectors) of Hermitian x (its lower triangle is read),
    by cyclic complex Jacobi rotations in complex128."""
    dtype = x.dtype
    a = x.to(ember.complex128)
    n = a.shape[-1]
    batch = tuple(a.shape[:-2])
    low = ember.tril(a, -1)
    a = low + ember.conj(low.mT) + ember.diag_embed(ember.diagonal(a, dim1=-2, dim2=-1).real.to(a.dtype))
    v = ember.broadcast_to(ember.eye(n, dtype=a.dtype), batch + (n, n)).clone()
    eps = ember.finfo(ember.float64).eps
    for _ in range(_JACOBI_SWEEPS):
        scale = ember.linalg.vector_norm(ember.abs(a), dim=(-2, -1))
        rotated = False
        for p in range(n - 1):
            for q in range(p + 1, n):
                apq = a[..., p, q]
                g = ember.abs(apq)
                act = g > eps * scale
                if not bool(ember.any(act)):
                    continue
                rotated = True
                g1 = ember.where(act, g, ember.ones_like(g))
                # e^{-i phi} on index q makes a_pq real; then the real Jacobi rotation
                phase = ember.where(act, apq / g1.to(a.dtype), ember.ones_like(apq))
                app, aqq = a[..., p, p].real, a[..., q, q].real
                zeta = (aqq - app) / (2 * g1)
                t = ember.where(zeta >= 0, ember.ones_like(zeta), -ember.ones_like(zeta)) / (ember.abs(zeta) + ember.sqrt(1 + zeta * zeta))
                c = 1 / ember.sqrt(1 + t * t)
                s = c * t
                c = ember.where(act, c, ember.ones_like(c)).to(a.dtype).unsqueeze(-1)
                s = ember.where(act, s, ember.zeros_like(s)).to(a.dtype).unsqueeze(-1)
                ph = ember.conj(phase).unsqueeze(-1)
                for m_ in (a, v):  # M <- M G: columns
                    cp, cq = m_[..., :, p].clone(), m_[..., :, q] * ph
                    m_[..., :, p] = c * cp - s * cq
                    m_[..., :, q] = s * cp + c * cq
                # A <- G^H A: rows
                rp, rq = a[..., p, :].clone(), a[..., q, :] * ember.conj(ph)
                a[..., p, :] = c * rp - s * rq
                a[..., q, :] = s * rp + c * rq
        if not rotated:
            break
    w = ember.diagonal(a, dim1=-2, dim2=-1).real
    order = ember.argsort(w, dim=-1)
    w = ember.take_along_dim(w, order, dim=-1)
    v = ember.take_along_dim(v, ember.broadcast_to(order.unsqueeze(-2), v.shape), dim=-1)
    return w.to(_PARTS[dtype]), v.to(dtype)

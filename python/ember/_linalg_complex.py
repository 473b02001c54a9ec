"""Complex input for the ``ember.linalg`` functions that have no complex faer kernel yet (LU,
solve, inv, det, slogdet and eig run on faer's complex kernels in ``_linalg_autograd``).

Two exact techniques, both written with differentiable ember ops so autograd needs no new
formulas:

* The real embedding: A = X + iY acts on [re; im] like the real matrix [[X, −Y], [Y, X]]
  (``embed``). It is a *-homomorphism (products, inverses, transposes and Moore–Penrose
  inverses map to the embedding of the complex result), its singular values are A's, each
  twice, and for Hermitian A its eigenvalues are A's, each twice. Least squares and pinv
  run the real kernels on it and read the complex answer back.
* Column loops of complex ops for what the embedding cannot give: the Cholesky factor, the
  Householder QR and the Hermitian eigendecomposition. Each loop step works on the whole
  batch, so the cost is n Python steps of batched ops.
"""
import ember

from ._linalg_autograd import LinAlgError, _pair_gap, _used
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


def reflector(x):
    """LAPACK larfg on the batch of vectors x (…, p): (v, tau, beta) with v[0] = 1, beta real
    and (I − τ v vᴴ)ᴴ x = beta·e₁; tau = 0 (H = I) when x is already real-on-top and zero below."""
    alpha = x[..., 0]
    tail = x[..., 1:]
    cplx = x.dtype.is_complex
    if tail.shape[-1]:
        # ‖tail‖ scaled by its largest magnitude, so tiny entries don't underflow to 0 when squared
        m = tail.abs().amax(-1)
        safe_m = ember.where(m == 0, ember.ones_like(m), m)
        xnorm = m * (tail.abs() / safe_m[..., None]).pow(2).sum(-1).sqrt()
    else:
        xnorm = ember.zeros_like(alpha.abs())
    ar = alpha.real if cplx else alpha
    trivial = (xnorm == 0) & (alpha.imag == 0) if cplx else xnorm == 0
    beta = -ember.copysign(ember.hypot(alpha.abs(), xnorm), ar)
    safe_beta = ember.where(trivial, ember.ones_like(beta), beta)
    tau = ember.where(trivial, ember.zeros_like(alpha), (beta.to(x.dtype) - alpha) / safe_beta.to(x.dtype))
    denom = ember.where(trivial, ember.ones_like(alpha), alpha - beta.to(x.dtype))
    v = ember.cat([ember.ones_like(alpha)[..., None], tail / denom[..., None]], -1)
    return v, tau, ember.where(trivial, ar, beta)


def _reflect_right(M, v, tau):
    """M (I − τ v vᴴ) as a rank-one update (O(n²), not a matrix product)."""
    return M - (M.matmul(v[..., :, None]) * tau[..., None, None]) * v.conj()[..., None, :]


def _reflect_left(M, v, tau):
    """(I − τ v vᴴ)ᴴ M as a rank-one update."""
    return M - (tau.conj()[..., None, None] * v[..., :, None]) * v.conj()[..., None, :].matmul(M)


def tridiagonalize(H):
    """Hermitian H (…, n, n) → (Q, d, e): Qᴴ H Q is the real symmetric tridiagonal matrix with
    diagonal d and off-diagonal e (Householder similarity, as LAPACK hetrd; the reflector's
    real beta makes each off-diagonal entry real, the last one by a phase-only reflector)."""
    n = H.shape[-1]
    batch = tuple(H.shape[:-2])
    Q = ember.eye(n, dtype=H.dtype).expand(*batch, n, n).clone()
    es = []
    for k in range(n - 1):
        v, tau, beta = reflector(H[..., k + 1:, k])
        es.append(beta)
        v = ember.cat([ember.zeros(*batch, k + 1, dtype=H.dtype), v], -1)
        H = _reflect_left(_reflect_right(H, v, tau), v, tau)
        Q = _reflect_right(Q, v, tau)
    d = H.diagonal(0, -2, -1).real
    e = ember.stack(es, -1) if es else ember.zeros(*batch, 0, dtype=d.dtype)
    return Q, d, e


class QR(Function):
    """Complex A = Q R by Householder reflectors (``geqrf`` + ``householder_product``, R's
    diagonal real as LAPACK's). Backward for m ≥ n, with N = Qᴴ gQ − gR Rᴴ:
    gA = [gQ + Q (−triu(N) − tril(Nᴴ, −1) + i·Im diag N)] R⁻ᴴ — the real formula plus the
    imaginary diagonal term that the real-diagonal gauge of R adds."""

    @staticmethod
    def forward(ctx, A, mode):
        from ._linalg_extra import geqrf
        from .linalg import householder_product
        m, n = A.shape[-2], A.shape[-1]
        k = min(m, n)
        a, tau = geqrf(A)
        cols = m if mode == "complete" else k
        if mode == "r":
            Q = ember.empty(0, dtype=A.dtype)
        elif cols <= n:
            Q = householder_product(a[..., :, :cols], tau)
        else:  # complete Q of a tall matrix: the reflectors' product on all m columns
            Q = householder_product(ember.cat([a, ember.zeros(*a.shape[:-1], cols - n, dtype=a.dtype)], -1), tau)
        R = a[..., :cols, :].triu() if mode != "r" else a[..., :k, :].triu()
        ctx.mode = mode
        ctx.save_for_backward(Q, R)
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        from .linalg import solve_triangular
        Q, R = ctx.saved_tensors
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
        if m < n or (ctx.mode == "complete" and m > n):
            raise NotImplementedError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols, "
                                      "nor when nrows < ncols (wide input); ember implements the tall/square case.")
        N = Q.mH.matmul(gQ) - gR.matmul(R.mH)
        Nd = N.diagonal(0, -2, -1)
        inner = -N.triu() - N.mH.tril(-1) + ember.complex(ember.zeros_like(Nd.imag), Nd.imag).diag_embed()
        B = gQ + Q.matmul(inner)
        return solve_triangular(R, B.mH, upper=True).mH, None


class Eigh(Function):
    """Hermitian A = V diag(w) Vᴴ: tridiagonalized by Householder similarities (complex ops),
    the real tridiagonal solved by the real kernel. Backward (Hermitian gradient):
    gA = V (diag(gw) + F ∘ (M − Mᴴ)/2) Vᴴ, M = Vᴴ gV, F_ij = 1/(w_j − w_i)."""

    @staticmethod
    def forward(ctx, H):
        Q, d, e = tridiagonalize(H)
        T = d.diag_embed() + e.diag_embed(-1) + e.diag_embed(1)
        w, W, ok = ember._native._linalg_eigh(T.contiguous(), False, True)
        if not ok:
            raise LinAlgError("linalg.eigh: The algorithm failed to converge because the input matrix is ill-conditioned "
                              "or has too many repeated eigenvalues.")
        V = Q.matmul(W.to(H.dtype))
        ctx.save_for_backward(w, V)
        return w, V

    @staticmethod
    def backward(ctx, gw, gV):
        w, V = ctx.saved_tensors
        gV = _used(gV)
        inner = gw.to(V.dtype).diag_embed() if gw is not None else ember.zeros_like(V)
        if gV is not None:
            M = V.mH.matmul(gV)
            inner = inner + _pair_gap(w).to(V.dtype) * (M - M.mH) * 0.5
        return V.matmul(inner).matmul(V.mH)


def bidiagonalize(A):
    """A (…, m, n), m ≥ n → (QL, d, e, QR) with QLᴴ A QR the real upper bidiagonal matrix with
    diagonal d and superdiagonal e (Golub–Kahan with Householder reflectors from both sides,
    as LAPACK gebrd; each reflector's real beta makes its entry real)."""
    m, n = A.shape[-2], A.shape[-1]
    batch = tuple(A.shape[:-2])
    QL = ember.eye(m, dtype=A.dtype).expand(*batch, m, m).clone()
    QR = ember.eye(n, dtype=A.dtype).expand(*batch, n, n).clone()
    ds, es = [], []
    for k in range(n):
        v, tau, beta = reflector(A[..., k:, k])
        ds.append(beta)
        v = ember.cat([ember.zeros(*batch, k, dtype=A.dtype), v], -1)
        A, QL = _reflect_left(A, v, tau), _reflect_right(QL, v, tau)
        if k + 1 < n:  # from the right: (I − τ w wᴴ)ᴴ conj(row) = beta e₁ makes row·G = beta e₁ᵀ
            w, tau, beta = reflector(A[..., k, k + 1:].conj())
            es.append(beta)
            w = ember.cat([ember.zeros(*batch, k + 1, dtype=A.dtype), w], -1)
            A, QR = _reflect_right(A, w, tau), _reflect_right(QR, w, tau)
    d = ember.stack(ds, -1) if ds else ember.zeros(*batch, 0, dtype=real_dtype(A.dtype))
    e = ember.stack(es, -1) if es else ember.zeros(*batch, 0, dtype=d.dtype)
    return QL, d, e, QR


class SVD(Function):
    """Complex A = U diag(S) Vh: bidiagonalized by complex Householder reflectors, the real
    bidiagonal matrix decomposed by the real kernel. Backward as the real one with conjugate
    transposes, plus the term the phase freedom of each (u_i, v_i) pair adds for complex input,
    U (S⁻¹ ∘ i·Im diag(Uᴴ gU)) Vᴴ: with the phase of each pair fixed on V's side (a loss that
    does not depend on it has Im diag(Uᴴ gU) = −Im diag(Vᴴ gV)), i·Im(Uᴴ dA V)_ii = s_i (Uᴴ dU)_ii."""

    @staticmethod
    def forward(ctx, A, full_matrices):
        m, n = A.shape[-2], A.shape[-1]
        wide = m < n
        M = A.mH if wide else A
        QL, d, e, QR = bidiagonalize(M)
        rows = M.shape[-2]
        B = d.diag_embed() + e.diag_embed(1)
        if rows > B.shape[-1]:
            B = ember.cat([B, ember.zeros(*B.shape[:-2], rows - B.shape[-1], B.shape[-1], dtype=B.dtype)], -2)
        Ub, S, Vbh, ok = ember._native._linalg_svd(B.contiguous(), full_matrices, True)
        if not ok:
            raise LinAlgError("linalg.svd: The algorithm failed to converge because the input matrix is ill-conditioned "
                              "or has too many repeated singular values.")
        U = QL.matmul(Ub.to(A.dtype))
        Vh = Vbh.to(A.dtype).matmul(QR.mH)
        if wide:
            U, Vh = Vh.mH, U.mH
        ctx.full = full_matrices
        ctx.save_for_backward(U, S, Vh)
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        gU, gVh = _used(gU), _used(gVh)
        m, n = U.shape[-2], Vh.shape[-1]
        k = S.shape[-1]
        if ctx.full and (gU is not None or gVh is not None) and m != n:
            raise RuntimeError("linalg.svd: the derivative is not implemented when full_matrices=True and the input is not "
                               "square; use full_matrices=False.")
        U, Vh = U[..., :, :k], Vh[..., :k, :]
        gU = gU[..., :, :k] if gU is not None else None
        gVh = gVh[..., :k, :] if gVh is not None else None
        dt = U.dtype
        V = Vh.mH
        Sm = S.to(dt).diag_embed()
        inner = gS.to(dt).diag_embed() if gS is not None else ember.zeros(*S.shape[:-1], k, k, dtype=dt)
        F = _pair_gap(S * S).to(dt)
        Sinv = (1 / S).to(dt).diag_embed()
        if gU is not None:
            UhgU = U.mH.matmul(gU)
            J = F * UhgU
            dg = UhgU.diagonal(0, -2, -1)
            inner = inner + (J + J.mH).matmul(Sm) + (ember.complex(ember.zeros_like(dg.imag), dg.imag) / S.to(dt)).diag_embed()
        if gVh is not None:
            K = F * V.mH.matmul(gVh.mH)
            inner = inner + Sm.matmul(K + K.mH)
        gA = U.matmul(inner).matmul(Vh)
        if gU is not None and m > k:
            gA = gA + (gU - U.matmul(U.mH.matmul(gU))).matmul(Sinv).matmul(Vh)
        if gVh is not None and n > k:
            gA = gA + U.matmul(Sinv).matmul(gVh - gVh.matmul(V).matmul(Vh))
        return gA, None

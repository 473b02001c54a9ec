"""The factorizations behind ``ember.linalg``: each is an ``autograd.Function`` whose forward
calls one ``ember-linalg`` kernel (faer) on contiguous float32/float64 input and whose
backward is the standard formula written with ember ops (so it is itself differentiable).

Inputs arrive here already validated and broadcast (``expand`` is differentiable, so the
gradient of a broadcast operand is summed back by the engine, not by these formulas).
"""
from . import _native
from .autograd.function import Function


def _T(x):
    return x.transpose(-1, -2)


def _eye_like(a, n=None):
    import ember
    n = a.shape[-1] if n is None else n
    return ember.eye(n, dtype=a.dtype)


class LinAlgError(RuntimeError):
    """A numerical failure of a factorization (singular or non-positive-definite input)."""


def raise_info(fn, info, batch_shape, message):
    """Raises ``LinAlgError`` for the first failing matrix, naming its batch element the way
    PyTorch does when the input was batched; `message(k)` words the failure of pivot k."""
    for b, k in enumerate(info):
        if k > 0:
            where = f"(Batch element {b}): " if len(batch_shape) > 0 else ""
            raise LinAlgError(f"{fn}: {where}{message(k)}")


def _H(x):
    """The conjugate transpose (the transpose for real x): complex backward formulas are the
    real ones with ᵀ read as ᴴ, under PyTorch's conjugate-Wirtinger convention."""
    return x.mH if x.dtype.is_complex else _T(x)


def _pairs(x):
    """A complex tensor as contiguous (re, im) pairs in a trailing dim: the kernels' layout."""
    import ember
    return ember.view_as_real(x.resolve_conj()).contiguous()


def solve_kernel(A, B):
    """(X, info) for A X = B with A (..., n, n) and B (..., n, k) of one batch shape; info is
    nonzero for a singular A (its pivot is of Aᵀ's LU; `lu_factor_kernel` names A's own)."""
    if A.dtype.is_complex:
        import ember
        X, info = _native._linalg_solve_pairs(_pairs(A), _pairs(B))
        return ember.view_as_complex(X), info
    return _native._linalg_solve(A.contiguous(), B.contiguous())


class Solve(Function):
    """X = A⁻¹B.  gB = A⁻ᴴ gX,  gA = −gB Xᴴ."""

    @staticmethod
    def forward(ctx, A, B, fn):
        X, info = solve_kernel(A, B)
        raise_info(fn, info, A.shape[:-2], lambda k: "The solver failed because the input matrix is singular.")
        ctx.save_for_backward(A, X)
        return X

    @staticmethod
    def backward(ctx, gX):
        A, X = ctx.saved_tensors
        gB = Solve.apply(_H(A), gX, "linalg.solve")
        return -gB.matmul(_H(X)), gB, None


class Inv(Function):
    """X = A⁻¹.  gA = −Xᴴ gX Xᴴ."""

    @staticmethod
    def forward(ctx, A):
        I = _eye_like(A).expand(*A.shape)
        X, info = solve_kernel(A, I)
        if any(info):  # name the zero pivot of A's own LU, as getrf would
            info = lu_factor_kernel(A)[2]
        raise_info("linalg.inv", info, A.shape[:-2],
                   lambda k: f"The diagonal element {k} is zero, the inversion could not be completed because the input matrix is singular.")
        ctx.save_for_backward(X)
        return X

    @staticmethod
    def backward(ctx, gX):
        (X,) = ctx.saved_tensors
        return -_H(X).matmul(gX).matmul(_H(X))


def lu_factor_kernel(A):
    """(LU, pivots int32, info) — LAPACK getrf's packed factors and 1-based row swaps."""
    if A.dtype.is_complex:
        import ember
        LU, piv, info = _native._linalg_lu_factor_pairs(_pairs(A))
        return ember.view_as_complex(LU), piv, info
    return _native._linalg_lu_factor(A.contiguous())


def perm_sign(pivots, dtype):
    """(−1)^(number of real row swaps) of LAPACK's interchange sequence."""
    import ember
    swaps = (pivots.long() != ember.arange(1, pivots.shape[-1] + 1)).sum(-1)
    return (1 - 2 * (swaps % 2)).to(dtype)


def det_from_lu(LU, pivots):
    """det A = Π diag(U) · (−1)^(number of real row swaps)."""
    return LU.diagonal(0, -2, -1).prod(-1) * perm_sign(pivots, LU.dtype)


class Det(Function):
    """d = det A.  gA = g · conj(d) · A⁻ᴴ (well-conditioned A; ∂d/∂A = d·A⁻ᵀ is holomorphic)."""

    @staticmethod
    def forward(ctx, A):
        if A.shape[-1] == 0:
            import ember
            return ember.ones(A.shape[:-2], dtype=A.dtype)
        LU, piv, _ = lu_factor_kernel(A)
        d = det_from_lu(LU, piv)
        ctx.save_for_backward(A, d)
        return d

    @staticmethod
    def backward(ctx, g):
        A, d = ctx.saved_tensors
        gd = g * d.conj() if d.dtype.is_complex else g * d
        return gd[..., None, None] * _H(Inv.apply(A))


class Slogdet(Function):
    """(sign, log|det A|), sign = det/|det| (0 for singular A).  With t = tr(A⁻¹ dA):
    d log|det| = Re t and d sign = i·sign·Im t, so gA = (g_logabsdet − i·Im(conj(g_sign)·sign))·A⁻ᴴ;
    a real sign is piecewise constant and has no gradient."""

    @staticmethod
    def forward(ctx, A):
        import ember
        if A.shape[-1] == 0:
            return ember.ones(A.shape[:-2], dtype=A.dtype), ember.zeros(A.shape[:-2], dtype=A.dtype.to_real())
        LU, piv, _ = lu_factor_kernel(A)
        diag = LU.diagonal(0, -2, -1)
        a = diag.abs()
        if A.dtype.is_complex:  # the unit phase of each pivot, 0 where the pivot is 0
            unit = diag / ember.where(a == 0, ember.ones_like(a), a).to(diag.dtype)
        else:
            unit = diag.sign()
        sign = unit.prod(-1) * perm_sign(piv, A.dtype)  # no overflow/underflow, unlike det
        logabs = a.log().sum(-1)
        if not A.dtype.is_complex:
            ctx.mark_non_differentiable(sign)
        ctx.save_for_backward(A, sign)
        return sign, logabs

    @staticmethod
    def backward(ctx, gsign, glog):
        import ember
        A, sign = ctx.saved_tensors
        g = glog if glog is not None else ember.zeros(sign.shape, dtype=A.dtype.to_real())
        if A.dtype.is_complex:
            g = g.to(A.dtype)
            if gsign is not None:
                g = g - 1j * (gsign.conj() * sign).imag.to(A.dtype)
        return g[..., None, None] * _H(Inv.apply(A))


NOT_PD = ("The factorization could not be completed because the input is not positive-definite "
          "(the leading minor of order {} is not positive-definite).")


def _phi(X):
    """The lower triangle of X with its diagonal halved."""
    return X.tril(-1) + 0.5 * X.diagonal(0, -2, -1).diag_embed()


class Cholesky(Function):
    """A = L Lᵀ from A's lower triangle.  gA = sym(L⁻ᵀ Φ(Lᵀ gL) L⁻¹), Φ = tril with half diagonal."""

    @staticmethod
    def forward(ctx, A, fn):
        L, info = _native._linalg_cholesky(A.contiguous())
        raise_info(fn, info, A.shape[:-2], NOT_PD.format)
        ctx.save_for_backward(L)
        return L

    @staticmethod
    def backward(ctx, gL):
        (L,) = ctx.saved_tensors
        Linv = Inv.apply(L)
        G = _T(Linv).matmul(_phi(_T(L).matmul(gL))).matmul(Linv)
        return 0.5 * (G + _T(G)), None


class QR(Function):
    """A = Q R (Householder).  For m ≥ n: M = R gRᵀ − gQᵀ Q,
    gA = (gQ + Q · copyltu(M)) R⁻ᵀ, with copyltu(M) the symmetric matrix M's lower triangle spans."""

    @staticmethod
    def forward(ctx, A, mode):
        Q, R = _native._linalg_qr(A.contiguous(), mode)
        ctx.mode = mode
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(Q, R)
        if mode == "r":
            import ember
            return ember.empty(0, dtype=A.dtype), R
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_tensors
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
        if m < n or (ctx.mode == "complete" and m > n):
            raise NotImplementedError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols, "
                                      "nor when nrows < ncols (wide input); ember implements the tall/square case.")
        gQ = gQ if gQ is not None else Q * 0
        gR = gR if gR is not None else R * 0
        M = R.matmul(_T(gR)) - _T(gQ).matmul(Q)
        low = M.tril(-1)
        copyltu = low + _T(low) + M.diagonal(0, -2, -1).diag_embed()
        b = gQ + Q.matmul(copyltu)
        return _T(Solve.apply(R, _T(b), "linalg.qr")), None


def _used(g):
    """g, or None when it is absent or all zero: the engine hands unused outputs' gradients in
    as zeros, and the eigenvector/singular-vector terms must then be skipped, not computed as
    0 · ∞ for repeated values (svdvals/eigvalsh of a matrix with a repeated value)."""
    return None if g is None or not bool(g.any()) else g


def _pair_gap(w):
    """F_ij = 1/(w_j − w_i) off the diagonal, 0 on it."""
    import ember
    E = w[..., None, :] - w[..., :, None]
    eye = ember.eye(w.shape[-1], dtype=w.dtype)
    return (1 - eye) / (E + eye)


class Eigh(Function):
    """A = V diag(w) Vᵀ.  gA = V (diag(gw) + F ∘ (Vᵀ gV)) Vᵀ, F_ij = 1/(w_j − w_i)."""

    @staticmethod
    def forward(ctx, A, upper):
        w, V, ok = _native._linalg_eigh(A.contiguous(), upper, True)
        if not ok:
            raise LinAlgError("linalg.eigh: The algorithm failed to converge because the input matrix is ill-conditioned "
                              "or has too many repeated eigenvalues.")
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(w, V)
        return w, V

    @staticmethod
    def backward(ctx, gw, gV):
        w, V = ctx.saved_tensors
        gV = _used(gV)
        inner = gw.diag_embed() if gw is not None else 0
        if gV is not None:
            inner = inner + _pair_gap(w) * _T(V).matmul(gV)
        return V.matmul(inner).matmul(_T(V)), None


class SVD(Function):
    """A = U diag(S) Vh (thin).  With F_ij = 1/(s_j² − s_i²), J = F∘(UᵀgU), K = F∘(VᵀgV):
    gA = U [(J + Jᵀ) S + diag(gS) + S (K + Kᵀ)] Vᵀ + (I − UUᵀ) gU S⁻¹ Vᵀ + U S⁻¹ gVᵀ (I − VVᵀ)."""

    @staticmethod
    def forward(ctx, A, full_matrices):
        U, S, Vh, ok = _native._linalg_svd(A.contiguous(), full_matrices, True)
        if not ok:
            raise LinAlgError("linalg.svd: The algorithm failed to converge because the input matrix is ill-conditioned "
                              "or has too many repeated singular values.")
        ctx.full = full_matrices
        ctx.set_materialize_grads(False)  # an unused U/Vh must not count as a zero gradient
        ctx.save_for_backward(U, S, Vh)
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        import ember
        U, S, Vh = ctx.saved_tensors
        gU, gVh = _used(gU), _used(gVh)
        m, n = U.shape[-2], Vh.shape[-1]
        k = S.shape[-1]
        if ctx.full and (gU is not None or gVh is not None) and m != n:
            raise RuntimeError("linalg.svd: the derivative is not implemented when full_matrices=True and the input is not "
                               "square; use full_matrices=False.")
        U, Vh = U[..., :, :k], Vh[..., :k, :]
        if gU is not None:
            gU = gU[..., :, :k]
        if gVh is not None:
            gVh = gVh[..., :k, :]
        V = _T(Vh)
        Sm = S.diag_embed()
        inner = gS.diag_embed() if gS is not None else ember.zeros(S.shape[:-1] + (k, k), dtype=S.dtype)
        F = _pair_gap(S * S)
        gA = None
        if gU is not None:
            J = F * _T(U).matmul(gU)
            inner = inner + (J + _T(J)).matmul(Sm)
        if gVh is not None:
            gV = _T(gVh)
            K = F * _T(V).matmul(gV)
            inner = inner + Sm.matmul(K + _T(K))
        gA = U.matmul(inner).matmul(Vh)
        Sinv = (1 / S).diag_embed()
        if gU is not None and m > k:
            gA = gA + (gU - U.matmul(_T(U).matmul(gU))).matmul(Sinv).matmul(Vh)
        if gVh is not None and n > k:
            gA = gA + U.matmul(Sinv).matmul(gVh - gVh.matmul(V).matmul(Vh))
        return gA, None


class Pinv(Function):
    """P = A⁺ computed by `compute` (SVD or eigh); the gradient at constant rank, written without
    the factorization (so repeated singular values do not matter):
    gA = −Pᴴ g Pᴴ + (I − A P)ᴴ… = −Pᴴ g Pᴴ + (I − A P) gᴴ P Pᴴ + Pᴴ P gᴴ (I − P A)."""

    @staticmethod
    def forward(ctx, A, compute):
        P = compute(A)
        ctx.save_for_backward(A, P)
        return P

    @staticmethod
    def backward(ctx, g):
        A, P = ctx.saved_tensors
        Ph, gh = P.mH, g.mH
        left = _eye_like(A, A.shape[-2]) - A.matmul(P)
        right = _eye_like(A, A.shape[-1]) - P.matmul(A)
        gA = -Ph.matmul(g).matmul(Ph) + left.matmul(gh).matmul(P).matmul(Ph) + Ph.matmul(P).matmul(gh).matmul(right)
        return gA, None

"""``ember.lobpcg``: the k largest (or smallest) eigenpairs of a symmetric positive definite
generalised problem A x = λ B x, matrix-free (A and B only multiply blocks; A may be sparse).

Algorithm (LOBPCG, Knyazev 2001, with an orthonormalised basis as in Stathopoulos & Wu 2002):
keep a block X of n approximate eigenvectors, their residuals R = A X − B X diag(E) (preconditioned
by iK when given) and the previous step P; each iteration B-orthonormalises the basis S = [X, R, P]
(directions that the eigen-decomposition of Sᵀ B S shows to be dependent are dropped), solves the
small projected problem (Sᵀ A S) c = θ c exactly, and keeps the n best Ritz pairs. It stops when
every wanted residual norm is below ``tol`` (relative to ‖A x‖ + |λ| ‖B x‖) or after ``niter`` steps.

Both of PyTorch's ``method`` values run this orthonormalised iteration. Gradients: the
eigenvalues are differentiable in A (E = xᵀ ((A + Aᵀ)/2) x at the converged x, PyTorch's
symmetrisation); the eigenvectors come back without history.
"""
import math

from . import _native, linalg as _linalg
from ._native import Tensor

__all__ = ["lobpcg"]


class _State:
    """What a ``tracker`` sees each step (the attribute names PyTorch's tracker docs list)."""

    def __init__(self, A, B, iK, iparams, fparams, bparams):
        self.A, self.B, self.iK = A, B, iK
        self.iparams, self.fparams, self.bparams = iparams, fparams, bparams
        self.ivars = {"istep": 0, "converged_count": 0}
        self.fvars = {}
        self.bvars = {"force_stop": False}
        self.tvars = {}
        self.E = self.X = self.R = self.S = None


def _mul(M, X):
    return X if M is None else (M.matmul(X) if not M.is_sparse else _native._sparse_mm(M, X))


def _b_orthonormal(S, B, drop, passes=2):
    """An orthonormal basis (in the B inner product) of span(S), dropping directions whose
    Gram eigenvalue is below ``drop`` times the largest. Columns are scaled to unit length
    first (residuals shrink as the iteration converges) and the projection is done twice, since
    one pass through the Gram matrix keeps only about half the digits."""
    for _ in range(passes):
        norms = S.norm(dim=0)
        S = S[:, norms > 0] / norms[norms > 0][None, :]
        G = S.mT.matmul(_mul(B, S))
        G = (G + G.mT) / 2
        w, V = _linalg.eigh(G)
        keep = w > drop * w.abs().max().clamp(min=1e-300)
        if not bool(keep.any()):
            return S[:, :0]
        w, V = w[keep], V[:, keep]
        S = S.matmul(V / w.sqrt()[None, :])
    return S


def _solve_one(A, B, X, iK, k, n, tol, niter, largest, state):
    import ember
    eps = ember.finfo(X.dtype).eps
    drop = max(eps * 100, 1e-14) if X.dtype == ember.float64 else 1e-5
    X = _b_orthonormal(X, B, drop)
    if X.shape[1] < n:
        raise ValueError("lobpcg: the initial block X has linearly dependent columns")
    P = None
    E = None
    step = 0
    while True:
        AX = _mul(A, X)
        H = X.mT.matmul(AX)
        theta, C = _linalg.eigh((H + H.mT) / 2)
        order = theta.argsort(descending=largest)[:n]
        E, C = theta[order], C[:, order]
        X, AX = X.matmul(C), AX.matmul(C)
        BX = _mul(B, X)
        R = AX - BX * E[None, :]
        scale = AX.norm(dim=0) + E.abs() * BX.norm(dim=0)
        rerr = R.norm(dim=0) / scale.clamp(min=1e-300)
        converged = int((rerr[:k] < tol).sum())
        state.E, state.X, state.R = E, X, R
        state.ivars.update(istep=step, converged_count=converged)
        state.tvars["rerr"] = rerr
        if state.tracker is not None:
            state.tracker(state)
        if converged >= k or state.bvars["force_stop"] or (niter >= 0 and step >= niter):
            break
        W = _mul(iK, R)
        parts = [X, W] + ([P] if P is not None else [])
        S = _b_orthonormal(ember.cat(parts, 1), B, drop)
        AS = _mul(A, S)
        H = S.mT.matmul(AS)
        theta, C = _linalg.eigh((H + H.mT) / 2)
        order = theta.argsort(descending=largest)[:n]
        Xn = S.matmul(C[:, order])
        # the new search direction: the part of the step outside the old block
        P = Xn - X.matmul(X.mT.matmul(_mul(B, Xn)))
        X = _b_orthonormal(Xn, B, drop) if Xn.shape[1] == n else Xn
        step += 1
    return E[:k], X[:, :k]


def lobpcg(A, k=None, B=None, X=None, n=None, iK=None, niter=None, tol=None, largest=None, method=None,
           tracker=None, ortho_iparams=None, ortho_fparams=None, ortho_bparams=None):
    """The ``k`` largest (``largest=False``: smallest) eigenvalues E (…, k) and eigenvectors
    X (…, m, k) of A x = λ B x for symmetric A and symmetric positive definite B."""
    import ember
    if not isinstance(A, Tensor):
        raise TypeError(f"lobpcg(): argument 'A' must be Tensor, not {type(A).__name__}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"A must be a square matrix or a batch of square matrices, got shape {tuple(A.shape)}")
    if not A.dtype.is_floating_point:
        raise ValueError(f"lobpcg: A must have a floating point dtype, got {A.dtype}")
    method = "ortho" if method is None else method
    if method not in ("basic", "ortho"):
        raise ValueError(f"LOBPCG method must be 'basic' or 'ortho', got {method!r}")
    m = A.shape[-1]
    k = (1 if X is None else X.shape[-1]) if k is None else int(k)
    n = (k if n is None else int(n)) if X is None else X.shape[-1]
    if X is not None and not k <= n <= m:
        raise ValueError(f"lobpcg: expected k <= X.shape[-1] <= m, got k={k}, n={n}, m={m}")
    if m < 3 * n:
        raise ValueError(f"LOBPCG algorithm is not applicable when the number of A rows (={m}) is smaller than 3 x "
                         f"the number of requested eigenpairs (={n})")
    tol = math.sqrt(ember.finfo(A.dtype).eps) if tol is None else float(tol)
    niter = 1000 if niter is None else int(niter)
    largest = True if largest is None else bool(largest)
    batch = tuple(A.shape[:-2])
    Es, Xs = [], []
    with ember.no_grad():
        Ad = A.detach()
        for idx in (ember.cartesian_prod(*[ember.arange(b) for b in batch]).reshape(-1, len(batch)).tolist()
                    if batch else [()]):
            a = Ad[tuple(idx)] if idx else Ad
            b = None if B is None else (B[tuple(idx)] if B.ndim > 2 else B).detach()
            x0 = (ember.randn(m, n, dtype=A.dtype) if X is None
                  else (X[tuple(idx)] if X.ndim > 2 else X).detach().to(A.dtype))
            ik = None if iK is None else (iK[tuple(idx)] if iK.ndim > 2 else iK).detach()
            state = _State(a, b, ik, dict(ortho_iparams or {}), dict(ortho_fparams or {}), dict(ortho_bparams or {}))
            state.tracker = tracker
            e, x = _solve_one(a, b, x0, ik, k, n, tol, niter, largest, state)
            Es.append(e)
            Xs.append(x)
    E = ember.stack(Es).reshape(*batch, k)
    Xr = ember.stack(Xs).reshape(*batch, m, k)
    if A.requires_grad and _native.is_grad_enabled() and not A.is_sparse:
        if B is not None:
            raise RuntimeError("lobpcg: gradients are supported only when B is not given")
        As = (A + A.mT) / 2
        E = (Xr * As.matmul(Xr)).sum(-2)
    return E, Xr

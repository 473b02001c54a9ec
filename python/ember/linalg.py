"""ember.linalg: `torch.linalg` — matrix products and norms, and the factorizations and solvers on faer (see _linalg_autograd)."""
from . import _ops_linalg, _ops_reduce
from ._native import Tensor

__all__ = ["matmul", "vecdot", "multi_dot"]


def matmul(input, other, *, out=None):
    """``linalg.matmul`` is ``ember.matmul``."""
    return _ops_linalg.matmul(input, other, out=out)


def vecdot(x, y, *, dim=-1, out=None):
    """The dot product of ``x`` and ``y`` along ``dim``, broadcasting the other dims."""
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        raise TypeError("linalg.vecdot(): arguments must be Tensors")
    if x.dtype.is_complex:
        x = x.conj()  # PyTorch's vecdot conjugates the first argument: Σ conj(x)·y
    return _ops_linalg._into((x * y).sum(dim), out)


def multi_dot(tensors, *, out=None):
    """Product of a chain of matrices; the first may be 1-D (a row) and the last 1-D (a column)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    r = tensors[0]
    for t in tensors[1:]:
        r = r.matmul(t)
    return _ops_linalg._into(r, out)


# Norms: vector_norm comes from the reductions; matrix_norm and norm are defined below.
for _name in ("vector_norm", "norm", "matrix_norm"):
    _fn = getattr(_ops_reduce, _name, None)
    if _fn is not None:
        globals()[_name] = _fn
        __all__.append(_name)
if "norm" not in __all__ and "vector_norm" in __all__:
    norm = vector_norm  # noqa: F821  (defined just above through globals())
    __all__.append("norm")


# ---------------------------------------------------------------------------------------------
# Factorizations and solvers (kernels: faer through ember-linalg; autograd: _linalg_autograd).
import math as _math

from . import _linalg_autograd as _la
from . import _linalg_complex as _cx
from ._linalg_autograd import LinAlgError

__all__ += ["LinAlgError", "solve", "solve_ex", "inv", "inv_ex", "det", "slogdet", "cholesky", "cholesky_ex", "qr",
            "svd", "svdvals", "eigh", "eigvalsh", "eig", "eigvals", "lu_factor", "lu_factor_ex", "lu", "lu_solve",
            "solve_triangular", "lstsq", "pinv", "matrix_rank", "matrix_power", "matrix_exp", "cond", "cross",
            "diagonal", "tensorinv", "tensorsolve", "vander", "householder_product", "cholesky_inverse_",
            "matrix_norm", "vector_norm", "norm"]
__all__ = list(dict.fromkeys(n for n in __all__ if n != "cholesky_inverse_"))



from collections import namedtuple as _nt
_eig_t = _nt("linalg_eig", ["eigenvalues", "eigenvectors"])

# PyTorch's named result tuples (torch.return_types.linalg_*): fields readable by name or position.
_QR = _nt("linalg_qr", ["Q", "R"])
_SVD = _nt("linalg_svd", ["U", "S", "Vh"])
_EIGH = _nt("linalg_eigh", ["eigenvalues", "eigenvectors"])
_SLOGDET = _nt("linalg_slogdet", ["sign", "logabsdet"])
_LU_FACTOR = _nt("linalg_lu_factor", ["LU", "pivots"])
_LU_FACTOR_EX = _nt("linalg_lu_factor_ex", ["LU", "pivots", "info"])
_LU = _nt("linalg_lu", ["P", "L", "U"])
_SOLVE_EX = _nt("linalg_solve_ex", ["result", "info"])
_INV_EX = _nt("linalg_inv_ex", ["inverse", "info"])
_CHOLESKY_EX = _nt("linalg_cholesky_ex", ["L", "info"])

_TORCH_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
                "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
                "complex64": "ComplexFloat", "complex128": "ComplexDouble", "uint16": "UInt16", "uint32": "UInt32",
                "uint64": "UInt64"}


def _check(A, fn, square=True, min_dims=2, complex_ok=False):
    """Validates A; complex A passes only where the caller handles it (`complex_ok`), elsewhere
    it raises NotImplementedError rather than reaching a real-only kernel."""
    if not isinstance(A, Tensor):
        raise TypeError(f"{fn}(): argument 'A' must be Tensor, not {type(A).__name__}")
    if A.ndim < min_dims:
        raise RuntimeError(f"{fn}: The input tensor A must have at least {min_dims} dimensions.")
    if A.dtype.is_complex:
        if not complex_ok:
            raise NotImplementedError(f"{fn}: complex input is not supported yet in ember (got {A.dtype})")
    elif not A.dtype.is_floating_point:
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got {_TORCH_NAMES.get(A.dtype.name, A.dtype.name)}")
    if A.dtype.itemsize < 4:
        raise RuntimeError(f"{fn}: Low precision dtypes not supported. Got {_TORCH_NAMES.get(A.dtype.name, A.dtype.name)}")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are {A.shape[-2]} by {A.shape[-1]} matrices")


def _broadcast_batch(A, B):
    """A (…, n, n) and B (…, n, k) expanded to one batch shape (differentiably)."""
    import ember
    batch = tuple(ember.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2])))
    return A.expand(*batch, *A.shape[-2:]), B.expand(*batch, *B.shape[-2:])


def solve(A, B, *, left=True, out=None):
    """X with A X = B (left) or X A = B; B may be a vector (…, n) when it has one dim fewer than A."""
    fn = "linalg.solve"
    _check(A, fn, complex_ok=True)
    fn = "torch.linalg.solve"
    if not isinstance(B, Tensor):
        raise TypeError(f"{fn}(): argument 'B' must be Tensor, not {type(B).__name__}")
    if B.dtype != A.dtype:
        raise RuntimeError(f"{fn}: Expected A and B to have the same dtype, but found A of type {A.dtype.name} and B of type {B.dtype.name} instead")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vector:
        B = B.unsqueeze(-1)
    if not left:
        A, B = A.transpose(-1, -2), B.transpose(-1, -2)
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} "
                           f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})")
    A2, B2 = _broadcast_batch(A, B)
    X = _la.Solve.apply(A2, B2, fn)
    if not left:
        X = X.transpose(-1, -2)
    if vector:
        X = X.squeeze(-1)
    return _ops_linalg._into(X, out)


def _info_tensor(info, batch):
    import ember
    return ember.tensor(list(info), dtype=ember.int32).reshape(tuple(batch))


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """(result, info); with check_errors=False a singular matrix gives info > 0 instead of raising."""
    try:
        X = solve(A, B, left=left)
        return _SOLVE_EX(X, _info_tensor([0] * _math.prod(A.shape[:-2]), A.shape[:-2]))
    except LinAlgError:
        if check_errors:
            raise
        import ember
        _, _, info = _lu_kernel(A.detach())
        return _SOLVE_EX(ember.full_like(B, float("nan")), _info_tensor(info, A.shape[:-2]))


def _lu_kernel(A):
    """(LU, pivots, info) of getrf, on faer's real or complex LU."""
    return _la.lu_factor_kernel(A)


def inv(A, *, out=None):
    """A⁻¹; raises LinAlgError naming the zero pivot for a singular matrix."""
    _check(A, "linalg.inv", complex_ok=True)
    return _ops_linalg._into(_la.Inv.apply(A), out)


def inv_ex(A, *, check_errors=False, out=None):
    _check(A, "linalg.inv_ex", complex_ok=True)
    _, _, info = _lu_kernel(A.detach())
    if any(info):
        if check_errors:
            inv(A)
        import ember
        return _INV_EX(ember.full_like(A, float("nan")), _info_tensor(info, A.shape[:-2]))
    return _INV_EX(inv(A), _info_tensor(info, A.shape[:-2]))


def det(A, *, out=None):
    """det A from faer's (real or complex) LU."""
    _check(A, "linalg.det", complex_ok=True)
    return _ops_linalg._into(_la.Det.apply(A), out)


def slogdet(A, *, out=None):
    """(sign, logabsdet); a singular matrix gives (0, -inf). For complex A the sign is the
    complex unit det/|det| and logabsdet is real."""
    _check(A, "linalg.slogdet", complex_ok=True)
    return _SLOGDET(*_la.Slogdet.apply(A))


def cholesky(A, *, upper=False, out=None):
    fn = "linalg.cholesky"
    _check(A, fn, complex_ok=True)
    if A.dtype.is_complex:
        L, info = _cx.cholesky(_cx.hermitian(A))
        _la.raise_info(fn, info, A.shape[:-2], _la.NOT_PD.format)
    else:
        L = _la.Cholesky.apply(A, fn)
    return _ops_linalg._into(L.mH if upper else L, out)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    _check(A, "linalg.cholesky_ex", complex_ok=True)
    try:
        return _CHOLESKY_EX(cholesky(A, upper=upper), _info_tensor([0] * _math.prod(A.shape[:-2]), A.shape[:-2]))
    except LinAlgError:
        if check_errors:
            raise
        import ember
        if A.dtype.is_complex:
            _, info = _cx.cholesky(A.detach())
        else:
            _, info = ember._native._linalg_cholesky(A.detach().contiguous())
        return _CHOLESKY_EX(ember.zeros_like(A), _info_tensor(info, A.shape[:-2]))


def qr(A, mode="reduced", *, out=None):
    """(Q, R) with mode 'reduced' (default), 'complete', or 'r' (R only; Q is empty)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'")
    _check(A, "linalg.qr", square=False, complex_ok=True)
    return _QR(*(_cx.QR if A.dtype.is_complex else _la.QR).apply(A, mode))


def svd(A, full_matrices=True, *, driver=None, out=None):
    """(U, S, Vh) with singular values descending."""
    _check(A, "linalg.svd", square=False, complex_ok=True)
    return _SVD(*(_cx.SVD if A.dtype.is_complex else _la.SVD).apply(A, full_matrices))


def svdvals(A, *, driver=None, out=None):
    _check(A, "linalg.svdvals", square=False, complex_ok=True)
    if A.dtype.is_complex:  # each singular value of A appears twice among the embedding's
        return _ops_linalg._into(_cx.pair_mean(svdvals(_cx.embed(A))), out)
    if A.requires_grad:
        return svd(A, full_matrices=False)[1]
    import ember
    _, S, _, ok = ember._native._linalg_svd(A.contiguous(), False, False)
    if not ok:
        raise LinAlgError("linalg.svd: The algorithm failed to converge.")
    return _ops_linalg._into(S, out)


def _uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO == "U"


def eigh(A, UPLO="L", *, out=None):
    """(eigenvalues ascending, eigenvectors as columns) of symmetric A, read from one triangle."""
    _check(A, "linalg.eigh", complex_ok=True)
    if A.dtype.is_complex:
        return _EIGH(*_cx.Eigh.apply(_cx.hermitian(A, _uplo(UPLO))))
    return _EIGH(*_la.Eigh.apply(A, _uplo(UPLO)))


def eigvalsh(A, UPLO="L", *, out=None):
    _check(A, "linalg.eigvalsh", complex_ok=True)
    if A.dtype.is_complex:  # each eigenvalue of Hermitian A appears twice among the embedding's
        E = _cx.embed(_cx.hermitian(A, _uplo(UPLO)))
        return _ops_linalg._into(_cx.pair_mean(eigvalsh(E)), out)
    if A.requires_grad:
        return eigh(A, UPLO)[0]
    import ember
    w, _, ok = ember._native._linalg_eigh(A.contiguous(), _uplo(UPLO), False)
    if not ok:
        raise LinAlgError("linalg.eigvalsh: The algorithm failed to converge.")
    return _ops_linalg._into(w, out)


def eig(A, *, out=None):
    """Eigenvalues and eigenvectors of a square matrix (batched): complex, as in PyTorch, even
    for real A; each eigenvector has unit norm. No gradient (PyTorch's is defined only for
    distinct eigenvalues)."""
    import ember
    _check(A, "linalg.eig", complex_ok=True)
    w, V = _eig_pairs(A)
    return _ops_linalg._into(_eig_t(ember.view_as_complex(w.contiguous()), ember.view_as_complex(V.contiguous())), out)


def eigvals(A, *, out=None):
    """The eigenvalues of a square matrix (complex, as in PyTorch)."""
    import ember
    _check(A, "linalg.eigvals", complex_ok=True)
    return _ops_linalg._into(ember.view_as_complex(_eig_pairs(A, eigenvectors=False).contiguous()), out)


def _eig_pairs(A, eigenvectors=True):
    """Internal: eig of real or complex A with complex results as real (re, im) pairs in a
    trailing dim of size 2 — eigenvalues (…, n, 2), eigenvectors (…, n, n, 2)."""
    import ember
    _check(A, "linalg.eig", complex_ok=True)
    if A.numel() == 0:
        lead, n, rd = tuple(A.shape[:-1]), A.shape[-1], A.dtype.to_real()
        w = ember.zeros(*lead, 2, dtype=rd)
        return (w, ember.zeros(*lead, n, 2, dtype=rd)) if eigenvectors else w
    if A.dtype.is_complex:
        w, V, ok = ember._native._linalg_eig_complex_pairs(_la._pairs(A.detach()), eigenvectors)
    else:
        w, V, ok = ember._native._linalg_eig_pairs(A.detach().contiguous(), eigenvectors)
    if not ok:
        raise LinAlgError("linalg.eig: The algorithm failed to converge.")
    return (w, V) if eigenvectors else w


def lu_factor(A, *, pivot=True, out=None):
    """(LU, pivots): LAPACK's packed factors and 1-based int32 row interchanges; raises for a
    singular matrix like PyTorch's lu_factor does (use lu_factor_ex to get info instead)."""
    LU, piv, info = lu_factor_ex(A, pivot=pivot)
    raise_batch = A.shape[:-2]
    _la.raise_info("torch.linalg.lu_factor", [int(i) for i in info.reshape(-1).tolist()], raise_batch,
                   lambda k: f"U[{k},{k}] is zero and using it on lu_solve would result in a division by zero. If you still "
                             "want to perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")
    return _LU_FACTOR(LU, piv)


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    _check(A, "linalg.lu_factor", square=False, complex_ok=True)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented for the CPU.")
    LU, piv, info = _lu_kernel(A.detach())
    if A.requires_grad:
        if A.shape[-1] != A.shape[-2]:
            raise RuntimeError("linalg.lu_factor: the derivative is implemented for square matrices only in ember.")
        _, L, U = lu(A)  # the same factors, differentiable; packed they are exactly LU
        LU = L.tril(-1) + U
    if check_errors:
        _la.raise_info("linalg.lu_factor_ex", info, A.shape[:-2], lambda k: f"U[{k},{k}] is zero, singular U.")
    return _LU_FACTOR_EX(LU, piv, _info_tensor(info, A.shape[:-2]))


def _perm_matrix(pivots, m, dtype):
    """P with A = P L U from LAPACK's row interchanges: replay the swaps on the identity order."""
    import ember
    piv = pivots.reshape(-1, pivots.shape[-1]).tolist()
    mats = []
    for p in piv:
        order = list(range(m))
        for i, j in enumerate(p):
            order[i], order[j - 1] = order[j - 1], order[i]
        # (P L U) row r = (L U) row order⁻¹(r): P[order[i], i] = 1
        P = [[0.0] * m for _ in range(m)]
        for i, r in enumerate(order):
            P[r][i] = 1.0
        mats.append(P)
    return ember.tensor(mats, dtype=dtype).reshape(tuple(pivots.shape[:-1]) + (m, m))


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """(P, L, U) from packed factors: A = P L U."""
    import ember
    m, n = LU_data.shape[-2], LU_data.shape[-1]
    k = min(m, n)
    P = _perm_matrix(LU_pivots, m, LU_data.dtype) if unpack_pivots else ember.empty(0, dtype=LU_data.dtype)
    if not unpack_data:
        e = ember.empty(0, dtype=LU_data.dtype)
        return P, e, e
    L = LU_data[..., :, :k].tril(-1) + ember.eye(m, k, dtype=LU_data.dtype)
    U = LU_data[..., :k, :].triu()
    return P, L, U


def lu(A, *, pivot=True, out=None):
    """(P, L, U) with A = P L U; differentiable through the identity L U = Pᵀ A (square A)."""
    _check(A, "linalg.lu", square=False, complex_ok=True)
    LU, piv, _ = _lu_kernel(A.detach())
    P, L, U = lu_unpack(LU, piv)
    if A.requires_grad:
        if A.shape[-1] != A.shape[-2]:
            raise RuntimeError("linalg.lu: the derivative is implemented for square matrices only in ember.")
        # With L0, U0 the computed factors, X = L0⁻¹ Pᵀ A U0⁻¹ is I at this point and
        # L0⁻¹ dL + dU U0⁻¹ = dX, strictly lower plus upper: dL = L0 tril(dX, −1), dU = triu(dX) U0.
        # E = X − X.detach() is zero-valued and carries dX, so the values stay exactly L0, U0.
        X = solve_triangular(L, P.transpose(-1, -2).matmul(A), upper=False, unitriangular=True)
        X = solve_triangular(U, X, upper=True, left=False)
        E = X - X.detach()
        L = L + L.matmul(E.tril(-1))
        U = U + E.triu().matmul(U)
    return _LU(P, L, U)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """X with A X = B (or X A = B, Aᵀ) given A's packed LU factors."""
    P, L, U = lu_unpack(LU, pivots)
    A = P.matmul(L).matmul(U)
    if adjoint:
        A = A.mH
    return solve(A, B, left=left, out=out)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """X with A X = B for triangular A (only the `upper`/lower triangle of A is read)."""
    import ember
    fn = "linalg.solve_triangular"
    _check(A, fn, complex_ok=True)
    if B.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor B must have at least 2 dimensions.")
    T = A.triu() if upper else A.tril()
    if unitriangular:
        eye = ember.eye(A.shape[-1], dtype=A.dtype)
        T = T * (1 - eye) + eye
    return solve(T, B, left=left, out=out)


def lstsq(A, B, rcond=None, *, driver=None):
    """Least squares (solution, residuals, rank, singular_values) through QR: full-rank A only."""
    import ember
    from collections import namedtuple
    _check(A, "linalg.lstsq", square=False, complex_ok=True)
    if B.ndim == A.ndim - 1:
        B = B.unsqueeze(-1)
        squeeze = True
    else:
        squeeze = False
    m, n = A.shape[-2], A.shape[-1]
    if A.dtype.is_complex:  # min ‖Ax − b‖ over complex x is the real problem on the embedding
        if B.dtype != A.dtype:
            raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
                               f"input's dtype {A.dtype} and other's dtype {B.dtype}")
        X = _cx.unstack_parts(lstsq(_cx.embed(A), _cx.stack_parts(B)).solution)
    elif m >= n:
        Q, R = qr(A)
        X = solve_triangular(R, Q.transpose(-1, -2).matmul(B), upper=True)
    else:
        Q, R = qr(A.transpose(-1, -2))
        X = Q.matmul(solve_triangular(R.transpose(-1, -2), B, upper=False))
    if squeeze:
        X = X.squeeze(-1)
    Res = namedtuple("torch_return_types_linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
    e = ember.empty(0, dtype=A.dtype)
    return Res(X, e, ember.full(tuple(A.shape[:-2]), min(m, n), dtype=ember.int64), e)


def _tol(S, m, n, atol, rtol, hermitian=False):
    import ember
    smax = S.amax(-1, keepdim=True) if S.shape[-1] else ember.zeros(tuple(S.shape[:-1]) + (1,), dtype=S.dtype)
    eps = 1.1920928955078125e-07 if S.dtype.itemsize == 4 else 2.220446049250313e-16
    if rtol is None:
        rtol = (eps * max(m, n)) if atol is None or atol == 0 else 0.0
    atol = 0.0 if atol is None else atol
    return (smax * rtol).clamp(min=float(atol) if not isinstance(atol, Tensor) else 0.0)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """Moore–Penrose inverse from the SVD (eigh when hermitian), dropping σ ≤ max(atol, rtol·σ_max)."""
    _check(A, "linalg.pinv", square=False, complex_ok=True)
    if hermitian:
        A = _cx.hermitian(A) if A.dtype.is_complex else A
    return _ops_linalg._into(_la.Pinv.apply(A, lambda M: _pinv_values(M, atol, rtol, hermitian)), out)


def _pinv_values(A, atol, rtol, hermitian):
    """pinv's value (no graph): from the SVD (eigh when hermitian), dropping σ ≤ the tolerance.
    Complex A goes through its real embedding, whose pinv is the embedding of A⁺ (A's singular
    values twice each, so the same tolerance)."""
    if A.dtype.is_complex:
        return _cx.unembed(_pinv_values(_cx.embed(A), atol, rtol, hermitian), A.shape[-1], A.shape[-2])
    if hermitian:
        w, V = eigh(A)
        keep = w.abs() > _tol(w.abs(), A.shape[-2], A.shape[-1], atol, rtol)
        winv = (1 / w).masked_fill(~keep, 0.0)
        return (V * winv[..., None, :]).matmul(V.transpose(-1, -2))
    U, S, Vh = svd(A, full_matrices=False)
    keep = S > _tol(S, A.shape[-2], A.shape[-1], atol, rtol)
    Sinv = (1 / S).masked_fill(~keep, 0.0)
    return (Vh.transpose(-1, -2) * Sinv[..., None, :]).matmul(U.transpose(-1, -2))


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    _check(A, "linalg.matrix_rank", square=False, complex_ok=True)
    S = eigvalsh(A).abs() if hermitian else svdvals(A.detach())
    return (S > _tol(S, A.shape[-2], A.shape[-1], atol, rtol)).sum(-1)


def matrix_power(A, n, *, out=None):
    """A^n by repeated squaring; n < 0 inverts first, n = 0 gives the identity."""
    import ember
    if not isinstance(n, int):
        raise TypeError(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{A.shape[-2] if A.ndim >= 2 else 1} by {A.shape[-1] if A.ndim else 1} matrices")
    if n == 0:
        return ember.eye(A.shape[-1], dtype=A.dtype).expand(*A.shape).clone()
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else result.matmul(base)
        n >>= 1
        if n:
            base = base.matmul(base)
    return _ops_linalg._into(result, out)


def matrix_exp(A):
    """e^A by scaling and squaring: scale to ‖A/2^s‖₁ ≤ 1/2, degree-18 Taylor, square s times
    (all matmuls, so the gradient comes from the engine)."""
    import ember
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError("linalg.matrix_exp: A must be batches of square matrices")
    if A.numel() == 0:
        return A.clone()
    norm1 = float(A.detach().abs().sum(-2).amax()) if A.numel() else 0.0
    s = max(0, int(_math.ceil(_math.log2(norm1 / 0.5))) if norm1 > 0.5 else 0)
    X = A / (2 ** s)
    I = ember.eye(A.shape[-1], dtype=A.dtype).expand(*A.shape)
    term, acc = I, I
    for k in range(1, 19):
        term = term.matmul(X) / k
        acc = acc + term
    for _ in range(s):
        acc = acc.matmul(acc)
    return acc


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """'fro', 'nuc', ±inf (max/min row sum), ±1 (max/min column sum), ±2 (largest/smallest σ)."""
    import ember
    if dtype is not None:
        A = A.to(dtype)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    d0, d1 = (d % A.ndim for d in dim)
    if ord == "fro":
        r = _ops_reduce.vector_norm(A, 2, (d0, d1), keepdim) if A.dtype.is_complex else (A * A).sum((d0, d1), keepdim=keepdim).sqrt()
    elif ord in ("nuc", 2, -2):
        M = A.movedim((d0, d1), (-2, -1))
        S = svd(M, full_matrices=False)[1] if A.requires_grad and not A.dtype.is_complex else svdvals(M)
        r = S.sum(-1) if ord == "nuc" else (S.amax(-1) if ord == 2 else S.amin(-1))
        if keepdim:
            for d in sorted((d0, d1)):
                r = r.unsqueeze(d)
    elif ord in (1, -1, float("inf"), float("-inf")):
        sum_dim, red_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        s = A.abs().sum(sum_dim, keepdim=True)
        r = s.amax(red_dim, keepdim=True) if ord in (1, float("inf")) else s.amin(red_dim, keepdim=True)
        if not keepdim:
            r = r.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    return _ops_linalg._into(r, out)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """Vector norm (1-d, or int dim) or matrix norm (2-d, or 2-tuple dim), as ``linalg.norm``."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(A, "fro", dim, keepdim, dtype=dtype, out=out)
        return _ops_linalg._into(_ops_reduce.vector_norm(A, 2, dim, keepdim, dtype=dtype), out)
    if dim is None:
        if A.ndim == 2:
            dim = (-2, -1)
        elif A.ndim == 1:
            dim = (-1,)
        else:
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D.")
    if len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype, out=out)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got '{ord}'")
    return _ops_linalg._into(_ops_reduce.vector_norm(A, ord, dim, keepdim, dtype=dtype), out)


vector_norm = _ops_reduce.vector_norm


def cond(A, p=None, *, out=None):
    """κ(A): σ_max/σ_min for p in (None, 2), σ_min/σ_max for -2, else ‖A‖_p ‖A⁻¹‖_p."""
    if p in (None, 2, -2):
        S = svd(A, full_matrices=False)[1] if A.requires_grad and not A.dtype.is_complex else svdvals(A)
        r = S[..., 0] / S[..., -1] if p in (None, 2) else S[..., -1] / S[..., 0]
    else:
        _check(A, "linalg.cond", complex_ok=True)
        r = matrix_norm(A, p) * matrix_norm(inv(A), p)
    return _ops_linalg._into(r, out)


def cross(input, other, *, dim=-1, out=None):
    """The 3-vector cross product along `dim` (inputs broadcast)."""
    import ember
    a, b = ember.broadcast_tensors(input, other)
    if a.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[dim]} and {other.shape[dim]}")
    a0, a1, a2 = a.unbind(dim)
    b0, b1, b2 = b.unbind(dim)
    r = ember.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim)
    return _ops_linalg._into(r, out)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


def tensorinv(A, ind=2, *, out=None):
    out_shape, in_shape = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    n = _math.prod(out_shape)
    if n != _math.prod(in_shape):
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), "
                           f"but got {_math.prod(in_shape)} != {n}")
    return _ops_linalg._into(inv(A.reshape(n, n)).reshape(in_shape + out_shape), out)


def tensorsolve(A, B, dims=None, *, out=None):
    if dims is not None:
        nd = A.ndim
        dims = [d % nd for d in dims]
        A = A.permute(*[d for d in range(nd) if d not in dims], *dims)
    x_shape = tuple(A.shape[B.ndim:])
    n = B.numel()
    return _ops_linalg._into(solve(A.reshape(n, -1), B.reshape(n)).reshape(x_shape), out)


def vander(x, *, N=None):
    """Columns x^0, x^1, …, x^(N-1) (increasing powers, unlike numpy.vander's default)."""
    import ember
    N = x.shape[-1] if N is None else N
    if N < 0:
        raise RuntimeError("N must be non-negative.")
    cols = [ember.ones_like(x)]
    for _ in range(1, N):
        cols.append(cols[-1] * x)
    return ember.stack(cols[:N], -1) if N else ember.empty(tuple(x.shape) + (0,), dtype=x.dtype)


def householder_product(A, tau, *, out=None):
    """The first n columns of H_1 ⋯ H_k, H_i = I − τ_i v_i v_iᵀ with v_i below A's diagonal (unit head)."""
    import ember
    m, n = A.shape[-2], A.shape[-1]
    k = tau.shape[-1]
    Q = ember.eye(m, dtype=A.dtype).expand(*A.shape[:-2], m, m)
    for i in range(k - 1, -1, -1):
        unit = ember.zeros(m, dtype=A.dtype)
        unit[i] = 1.0
        mask = ember.tensor([1.0 if r > i else 0.0 for r in range(m)], dtype=A.dtype)
        v = A[..., :, i] * mask + unit
        vh = v.conj() if v.dtype.is_complex else v  # H_i = I − τ v vᴴ
        Q = Q - tau[..., i, None, None] * v[..., :, None] * (vh[..., None, :].matmul(Q))
    return _ops_linalg._into(Q[..., :, :n], out)

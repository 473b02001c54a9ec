"""``linalg.ldl_factor``/``ldl_factor_ex``/``ldl_solve``: the LDLᵀ factorisation of a symmetric
(possibly indefinite) matrix with Bunch–Kaufman pivoting, in LAPACK's compact form (``sytrf``
with the lower triangle), so that its ``LD`` and ``pivots`` are the ones PyTorch returns.

Factor (LAPACK's sytf2, lower): at column k with a = |A[k,k]| and c = max |A[k+1:, k]| (row r),
take a 1×1 pivot when a ≥ α c (α = (1 + √17)/8); else look at the largest off-diagonal ρ in
row/column r and take a 1×1 pivot at k (a ≥ α c²/ρ), a 1×1 pivot swapped in from r
(|A[r,r]| ≥ α ρ), or the 2×2 pivot of rows k and r. The swap permutes rows and columns of the
trailing block only; the multipliers go below the diagonal and D on it (and on the subdiagonal
for a 2×2 block). ``pivots`` are 1-based; a 2×2 block stores −r in both of its entries.
Solve (sytrs): undo L·D then Lᵀ block by block, swapping rows of B as the pivots say.
"""
import collections
import math

from . import _native, _dtypes, linalg as _linalg
from ._native import Tensor

__all__ = []

_ALPHA = (1.0 + math.sqrt(17.0)) / 8.0
_factor_t = collections.namedtuple("linalg_ldl_factor", ["LD", "pivots"])
_factor_ex_t = collections.namedtuple("linalg_ldl_factor_ex", ["LD", "pivots", "info"])


def _swap(W, i, j, k):
    """Swaps rows and columns i and j of the trailing block W[k:, k:] (symmetric, kept whole)."""
    if i == j:
        return
    ri, rj = W[i, k:].clone(), W[j, k:].clone()
    W[i, k:], W[j, k:] = rj, ri
    ci, cj = W[k:, i].clone(), W[k:, j].clone()
    W[k:, i], W[k:, j] = cj, ci


def _factor_one(A):
    import ember
    n = A.shape[-1]
    W = A.tril() + A.tril(-1).mT  # the lower triangle is what LAPACK reads
    piv = [0] * n
    info = 0
    k = 0
    while k < n:
        kstep = 1
        absakk = abs(W[k, k].item())
        if k + 1 < n:
            col = W[k + 1:, k].abs()
            imax = k + 1 + int(col.argmax().item())
            colmax = col.max().item()
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0.0 or math.isnan(absakk):
            if info == 0:
                info = k + 1
            kp = k
        elif absakk >= _ALPHA * colmax:
            kp = k
        else:
            row = W[imax, k:imax].abs()
            rowmax = row.max().item()
            if imax + 1 < n:
                rowmax = max(rowmax, W[imax + 1:, imax].abs().max().item())
            if absakk >= _ALPHA * colmax * (colmax / rowmax):
                kp = k
            elif abs(W[imax, imax].item()) >= _ALPHA * rowmax:
                kp = imax
            else:
                kp, kstep = imax, 2
        kk = k + kstep - 1
        _swap(W, kk, kp, k)
        if kstep == 1:
            if k + 1 < n:
                d = W[k, k].item()
                if d != 0.0:
                    x = W[k + 1:, k].clone()
                    W[k + 1:, k + 1:] -= x[:, None] * x[None, :] / d
                    W[k + 1:, k] = x / d
                    W[k, k + 1:] = x / d
            piv[k] = kp + 1
        else:
            if k + 2 < n:
                d21 = W[k + 1, k].item()
                d11 = W[k + 1, k + 1].item() / d21
                d22 = W[k, k].item() / d21
                t = 1.0 / (d11 * d22 - 1.0)
                d21 = t / d21
                ak, ak1 = W[k + 2:, k].clone(), W[k + 2:, k + 1].clone()
                wk = (ak * d11 - ak1) * d21
                wk1 = (ak1 * d22 - ak) * d21
                W[k + 2:, k + 2:] -= ak[:, None] * wk[None, :] + ak1[:, None] * wk1[None, :]
                W[k + 2:, k], W[k + 2:, k + 1] = wk, wk1
                W[k, k + 2:], W[k + 1, k + 2:] = wk, wk1
            piv[k] = piv[k + 1] = -(kp + 1)
        k += kstep
    return W.tril(), ember.tensor(piv, dtype=_dtypes.int32), info


def _check_square(A, fn):
    _linalg._check(A, fn)


def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """(LD, pivots, info): the compact Bunch–Kaufman LDLᵀ of the symmetric matrices A (lower
    triangle read); info = k > 0 when D[k-1, k-1] is exactly zero (A is singular)."""
    import ember
    _check_square(A, "torch.linalg.ldl_factor_ex")
    batch = tuple(A.shape[:-2])
    A2 = A.detach().reshape(-1, A.shape[-2], A.shape[-1])
    LDs, pivs, infos = [], [], []
    for b in range(A2.shape[0]):
        LD, piv, info = _factor_one(A2[b].clone())
        LDs.append(LD)
        pivs.append(piv)
        infos.append(info)
    n = A.shape[-1]
    LD = ember.stack(LDs).reshape(*batch, n, n) if LDs else A.detach().clone()
    piv = ember.stack(pivs).reshape(*batch, n) if pivs else ember.zeros(*batch, n, dtype=_dtypes.int32)
    info = ember.tensor(infos, dtype=_dtypes.int32).reshape(batch)
    if check_errors and any(infos):
        raise RuntimeError(f"torch.linalg.ldl_factor_ex: The factorization could not be completed because the input is "
                           f"not invertible: D[{max(infos) - 1}, {max(infos) - 1}] is exactly zero.")
    r = _factor_ex_t(LD, piv, info)
    if out is not None:
        for o, v in zip(out, r):
            o.copy_(v)
        return _factor_ex_t(*out)
    return r


def ldl_factor(A, *, hermitian=False, out=None):
    """(LD, pivots): ``ldl_factor_ex`` that raises when A is singular."""
    LD, piv, info = ldl_factor_ex(A, hermitian=hermitian)
    bad = [int(v) for v in info.reshape(-1).tolist() if v]
    if bad:
        raise RuntimeError(f"torch.linalg.ldl_factor: The factorization could not be completed because the input is "
                           f"not invertible: D[{bad[0] - 1}, {bad[0] - 1}] is exactly zero.")
    r = _factor_t(LD, piv)
    if out is not None:
        for o, v in zip(out, r):
            o.copy_(v)
        return _factor_t(*out)
    return r


def _solve_one(LD, piv, B):
    n = LD.shape[-1]
    X = B.clone()

    def swap_rows(i, j):
        if i != j:
            ri, rj = X[i].clone(), X[j].clone()
            X[i], X[j] = rj, ri

    k = 0
    while k < n:  # L · D · Y = B
        p = piv[k]
        if p > 0:
            swap_rows(k, p - 1)
            if k + 1 < n:
                X[k + 1:] -= LD[k + 1:, k][:, None] * X[k][None, :]
            X[k] = X[k] / LD[k, k]
            k += 1
        else:
            swap_rows(k + 1, -p - 1)
            if k + 2 < n:
                X[k + 2:] -= LD[k + 2:, k][:, None] * X[k][None, :] + LD[k + 2:, k + 1][:, None] * X[k + 1][None, :]
            akm1k = LD[k + 1, k]
            akm1, ak = LD[k, k] / akm1k, LD[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1.0
            bkm1, bk = X[k] / akm1k, X[k + 1] / akm1k
            X[k], X[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # Lᵀ · X = Y
        p = piv[k]
        if p > 0:
            if k + 1 < n:
                X[k] -= (LD[k + 1:, k][:, None] * X[k + 1:]).sum(0)
            swap_rows(k, p - 1)
            k -= 1
        else:
            if k + 1 < n:
                X[k] -= (LD[k + 1:, k][:, None] * X[k + 1:]).sum(0)
                X[k - 1] -= (LD[k + 1:, k - 1][:, None] * X[k + 1:]).sum(0)
            swap_rows(k, -p - 1)
            k -= 2
    return X


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """X with A X = B, from A's ``ldl_factor`` (LD, pivots)."""
    import ember
    _check_square(LD, "torch.linalg.ldl_solve")
    if pivots.dtype != _dtypes.int32:
        raise RuntimeError(f"torch.linalg.ldl_solve: Expected pivots to be integers. Got {pivots.dtype}")
    if B.ndim < 2 or B.shape[-2] != LD.shape[-1]:
        raise RuntimeError(f"torch.linalg.ldl_solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({LD.shape[-2]}x{LD.shape[-1]} and {B.shape[-2] if B.ndim >= 2 else B.shape[-1]}x"
                           f"{B.shape[-1]})")
    if LD.dtype != B.dtype:
        raise RuntimeError(f"torch.linalg.ldl_solve: Expected LD and B to have the same dtype, but got LD with dtype "
                           f"{LD.dtype} and B with dtype {B.dtype} instead")
    batch = tuple(ember.broadcast_shapes(tuple(LD.shape[:-2]), tuple(B.shape[:-2]), tuple(pivots.shape[:-1])))
    n, k = LD.shape[-1], B.shape[-1]
    LDb = LD.detach().expand(*batch, n, n).reshape(-1, n, n)
    Pb = pivots.expand(*batch, n).reshape(-1, n)
    Bb = B.expand(*batch, n, k).reshape(-1, n, k)
    Xs = [_solve_one(LDb[i], [int(v) for v in Pb[i].tolist()], Bb[i]) for i in range(Bb.shape[0])]
    X = ember.stack(Xs).reshape(*batch, n, k) if Xs else B.expand(*batch, n, k).clone()
    return X if out is None else out.copy_(X)


_linalg.ldl_factor, _linalg.ldl_factor_ex, _linalg.ldl_solve = ldl_factor, ldl_factor_ex, ldl_solve

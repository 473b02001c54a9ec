"""ember.lobpcg against SciPy's dense symmetric eigensolver."""
import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, settings, strategies as st

import ember


def _spd(rng, m):
    M = rng.standard_normal((m, m))
    return M @ M.T + m * np.eye(m)


def _t(a):
    return ember.tensor(np.ascontiguousarray(a.T).tolist(), dtype=ember.float64).t()  # strided


@settings(max_examples=10)
@given(st.integers(6, 14), st.integers(1, 2), st.booleans(), st.integers(0, 2**32 - 1))
def test_extreme_eigenpairs(m, k, largest, seed):
    rng = np.random.default_rng(seed)
    S = _spd(rng, m)
    E, X = ember.lobpcg(_t(S), k=k, largest=largest, tol=1e-10)
    w = np.linalg.eigvalsh(S)
    want = w[::-1][:k] if largest else w[:k]
    np.testing.assert_allclose(E.numpy(), want, rtol=1e-7)
    Xn = X.numpy()
    np.testing.assert_allclose(S @ Xn, Xn * E.numpy()[None, :], atol=1e-5 * np.abs(w).max())


def test_generalised_problem_batch_and_sparse():
    rng = np.random.default_rng(4)
    S, Bm = _spd(rng, 12), np.diag(rng.random(12) + 1.0)
    E, _ = ember.lobpcg(_t(S), k=2, B=_t(Bm), largest=False, tol=1e-10)
    np.testing.assert_allclose(E.numpy(), sla.eigh(S, Bm, eigvals_only=True)[:2], rtol=1e-7)
    batch = np.stack([S, _spd(rng, 12)])
    Eb, Xb = ember.lobpcg(ember.tensor(batch.tolist(), dtype=ember.float64), k=1, tol=1e-10)
    assert tuple(Eb.shape) == (2, 1) and tuple(Xb.shape) == (2, 12, 1)
    np.testing.assert_allclose(Eb.numpy()[:, 0], [np.linalg.eigvalsh(b)[-1] for b in batch], rtol=1e-7)
    D = np.diag(np.arange(1.0, 13.0))
    Es, _ = ember.lobpcg(ember.tensor(D.tolist(), dtype=ember.float64).to_sparse(), k=2, tol=1e-10)
    np.testing.assert_allclose(Es.numpy(), [12.0, 11.0], rtol=1e-7)


def test_initial_block_tracker_and_preconditioner():
    rng = np.random.default_rng(5)
    S = _spd(rng, 15)
    X0 = ember.tensor(rng.standard_normal((15, 3)).tolist(), dtype=ember.float64)
    steps = []
    E, X = ember.lobpcg(_t(S), X=X0, tracker=lambda st: steps.append(st.ivars["istep"]), tol=1e-10)
    assert tuple(E.shape) == (3,) and tuple(X.shape) == (15, 3) and steps == sorted(steps) and steps
    iK = ember.tensor(np.diag(1.0 / np.diag(S)).tolist(), dtype=ember.float64)
    Ep, _ = ember.lobpcg(_t(S), k=2, iK=iK, tol=1e-10)
    np.testing.assert_allclose(Ep.numpy(), np.linalg.eigvalsh(S)[::-1][:2], rtol=1e-7)
    stopped = []

    def stop(st):
        stopped.append(1)
        st.bvars["force_stop"] = True

    ember.lobpcg(_t(S), k=1, tracker=stop)
    assert stopped == [1]


def test_eigenvalue_gradient_is_x_xT():
    rng = np.random.default_rng(6)
    S = _spd(rng, 9)
    A = ember.tensor(S.tolist(), dtype=ember.float64, requires_grad=True)
    E, X = ember.lobpcg(A, k=1, tol=1e-12)
    E.sum().backward()
    x = np.linalg.eigh(S)[1][:, -1]
    np.testing.assert_allclose(A.grad.numpy(), np.outer(x, x), atol=1e-6)


def test_errors():
    A = ember.eye(9, dtype=ember.float64)
    with pytest.raises(ValueError, match="smaller than 3 x the number of requested eigenpairs"):
        ember.lobpcg(A, k=4)
    with pytest.raises(ValueError):
        ember.lobpcg(ember.ones(3, 4))
    with pytest.raises(ValueError):
        ember.lobpcg(A, method="fast")
    with pytest.raises(TypeError):
        ember.lobpcg([[1.0]])

"""Products with few output columns (`x @ w.T` with up to 12 columns, or 1-12 columns past a
multiple of 16): on AVX2 CPUs they run as dot products rather than through gemm's tiles, so
every column count, sum length (tails of the 8-wide lanes), row count (tails of the row
blocks), alpha/beta, batch and row stride is checked against float64 NumPy."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember


def ref(x, w):
    return x.astype(np.float64) @ w.astype(np.float64).T


@settings(max_examples=200, deadline=None)
@given(m=st.integers(1, 9), n=st.sampled_from(list(range(1, 14)) + [16, 17, 20, 28, 29, 31, 44, 100]),
       k=st.sampled_from([1, 2, 7, 8, 9, 15, 16, 17, 63, 100]), pad=st.integers(0, 3), seed=st.integers(0, 2**32 - 1))
def test_x_at_w_t_matches_numpy(m, n, k, pad, seed):
    rng = np.random.default_rng(seed)
    # Rows longer than k (a slice) so the row stride is not k: the kernel must use the stride.
    xb = rng.standard_normal((m, k + pad)).astype(np.float32)
    wb = rng.standard_normal((n, k + pad)).astype(np.float32)
    x, w = ember.from_numpy(xb)[:, :k], ember.from_numpy(wb)[:, :k]
    got = (x @ w.t()).numpy()
    np.testing.assert_allclose(got, ref(xb[:, :k], wb[:, :k]), rtol=2e-5, atol=2e-5 * np.sqrt(k))
    assert got.flags.c_contiguous


@pytest.mark.parametrize("n", [1, 4, 10, 12, 20, 100])
def test_addmm_alpha_beta_and_linear(n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal((37, 50)).astype(np.float32)
    w = rng.standard_normal((n, 50)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    got = ember.addmm(ember.from_numpy(b), ember.from_numpy(x), ember.from_numpy(w).t(), beta=0.5, alpha=-2.0)
    np.testing.assert_allclose(got.numpy(), 0.5 * b - 2.0 * ref(x, w), rtol=1e-5, atol=1e-4)
    lin = ember.nn.functional.linear(ember.from_numpy(x), ember.from_numpy(w), ember.from_numpy(b))
    np.testing.assert_allclose(lin.numpy(), ref(x, w) + b, rtol=1e-5, atol=1e-4)
    # beta = 0 ignores NaN already in the output (BLAS's and PyTorch's rule).
    out = ember.full((37, n), float("nan"))
    ember.addmm(out, ember.from_numpy(x), ember.from_numpy(w).t(), beta=0.0, out=out)
    np.testing.assert_allclose(out.numpy(), ref(x, w), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("num_threads", [1, 2], indirect=True)
def test_batched_and_large_narrow_products(num_threads):
    rng = np.random.default_rng(num_threads)
    x = rng.standard_normal((3, 300, 70)).astype(np.float32)
    w = rng.standard_normal((3, 5, 70)).astype(np.float32)
    got = ember.from_numpy(x) @ ember.from_numpy(w).transpose(1, 2)
    np.testing.assert_allclose(got.numpy(), np.einsum("bmk,bnk->bmn", x.astype(np.float64), w), rtol=1e-5, atol=1e-4)
    # The lecture model's first layer at batch 1024: 96 columns through the tiled product, 4 here.
    x = rng.standard_normal((1024, 784)).astype(np.float32)
    w = rng.standard_normal((100, 784)).astype(np.float32)
    got = (ember.from_numpy(x) @ ember.from_numpy(w).t()).numpy()
    np.testing.assert_allclose(got, ref(x, w), rtol=1e-4, atol=1e-3)


def test_gradients_through_narrow_linear():
    rng = np.random.default_rng(5)
    x = ember.from_numpy(rng.standard_normal((6, 9))).requires_grad_()
    w = ember.from_numpy(rng.standard_normal((3, 9))).requires_grad_()
    assert ember.autograd.gradcheck(lambda a, b: a @ b.t(), (x, w))
    xf = ember.from_numpy(rng.standard_normal((6, 9)).astype(np.float32)).requires_grad_()
    wf = ember.from_numpy(rng.standard_normal((3, 9)).astype(np.float32)).requires_grad_()
    (xf @ wf.t()).sum().backward()
    np.testing.assert_allclose(xf.grad.numpy(), np.tile(wf.detach().numpy().sum(0), (6, 1)), rtol=1e-5)

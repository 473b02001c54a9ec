"""float32 products that ember packs itself on AVX2 CPUs (`matmul_packed`): `x @ w.T` with the
weight contiguous along the sum (a Linear layer's forward), and products whose right operand
gemm would read with columns 1024 floats apart. Checked against float64 NumPy through the
public API: shapes at and past the 16 x 6 tile edges, several depth blocks, alpha/beta, an
unread output holding NaN, batches, strided views and 2 threads (each thread its own block)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember


def f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def close(got, want, k):
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5 * np.sqrt(k) * (1 + np.abs(want).max()))


@settings(max_examples=60, deadline=None)
@given(m=st.integers(8, 70), n=st.integers(13, 90), k=st.sampled_from([8, 9, 15, 16, 17, 100, 513, 1030]),
       pad=st.integers(0, 2), seed=st.integers(0, 2**32 - 1))
def test_x_at_w_t_matches_numpy(m, n, k, pad, seed):
    rng = np.random.default_rng(seed)
    xb, wb = f32(rng, m, k + pad), f32(rng, n, k + pad)
    x, w = ember.from_numpy(xb)[:, :k], ember.from_numpy(wb)[:, :k]
    got = (x @ w.t()).numpy()
    close(got, xb[:, :k].astype(np.float64) @ wb[:, :k].astype(np.float64).T, k)


@pytest.mark.parametrize("num_threads", [1, 2], indirect=True)
def test_linear_layer_shapes(num_threads):
    rng = np.random.default_rng(num_threads)
    for (m, k, n) in [(256, 784, 1024), (64, 784, 100), (33, 1024, 47), (300, 64, 3000)]:
        x, w, b = f32(rng, m, k), f32(rng, n, k), f32(rng, n)
        got = ember.nn.functional.linear(ember.from_numpy(x), ember.from_numpy(w), ember.from_numpy(b))
        close(got.numpy(), x.astype(np.float64) @ w.astype(np.float64).T + b, k)


def test_addmm_alpha_beta_and_unread_nan_output():
    rng = np.random.default_rng(5)
    x, w, c = f32(rng, 40, 600), f32(rng, 70, 600), f32(rng, 40, 70)
    want = x.astype(np.float64) @ w.astype(np.float64).T
    got = ember.addmm(ember.from_numpy(c), ember.from_numpy(x), ember.from_numpy(w).t(), beta=0.5, alpha=-2.0)
    close(got.numpy(), 0.5 * c - 2.0 * want, 600)
    out = ember.full((40, 70), float("nan"))
    ember.matmul(ember.from_numpy(x), ember.from_numpy(w).t(), out=out)
    close(out.numpy(), want, 600)


def test_batched_and_broadcast_weight():
    rng = np.random.default_rng(6)
    x, w = f32(rng, 3, 50, 64), f32(rng, 30, 64)
    got = ember.from_numpy(x) @ ember.from_numpy(w).t()
    close(got.numpy(), x.astype(np.float64) @ w.astype(np.float64).T, 64)
    wb = f32(rng, 3, 30, 64)
    got = ember.bmm(ember.from_numpy(x), ember.from_numpy(wb).transpose(1, 2))
    close(got.numpy(), x.astype(np.float64) @ wb.astype(np.float64).transpose(0, 2, 1), 64)


@pytest.mark.parametrize("shape", [(256, 1024, 1024), (300, 1024, 260), (1024, 1024, 256)])
def test_right_operand_with_4k_column_stride(shape):
    # Row-major a @ b where gemm would read a's rows in place 1024 floats apart.
    m, k, n = shape
    rng = np.random.default_rng(m + n)
    a, b = f32(rng, m, k), f32(rng, k, n)
    close((ember.from_numpy(a) @ ember.from_numpy(b)).numpy(), a.astype(np.float64) @ b.astype(np.float64), k)


def test_transposed_output_and_stepped_operands():
    rng = np.random.default_rng(7)
    xb, wb = f32(rng, 60, 2 * 90), f32(rng, 2 * 45, 90)
    x, w = ember.from_numpy(xb)[:, ::2], ember.from_numpy(wb)[::2]
    out = ember.empty(45, 60).t()  # column-major output
    ember.matmul(x, w.t(), out=out)
    close(out.numpy(), xb[:, ::2].astype(np.float64) @ wb[::2].astype(np.float64).T, 90)


def test_gradients_through_linear():
    rng = np.random.default_rng(8)
    x = ember.from_numpy(f32(rng, 20, 33)).double().requires_grad_()
    w = ember.from_numpy(f32(rng, 17, 33)).double().requires_grad_()
    assert ember.autograd.gradcheck(lambda x, w: x @ w.t(), (x, w))
    # float32 backward through the packed forward agrees with float64.
    x32, w32 = x.detach().float().requires_grad_(), w.detach().float().requires_grad_()
    (x32 @ w32.t()).sum().backward()
    (x @ w.t()).sum().backward()
    close(w32.grad.numpy(), w.grad.numpy(), 20)
    close(x32.grad.numpy(), x.grad.numpy(), 17)


@settings(max_examples=25, deadline=None)
@given(n_out=st.integers(8, 40), batch=st.sampled_from([8, 17, 64, 513, 1030]), width=st.integers(256, 300),
       pad=st.integers(0, 3), seed=st.integers(0, 2**32 - 1))
def test_weight_gradient_g_t_at_x_matches_numpy(n_out, batch, width, pad, seed):
    """`gᵀ @ x` (a Linear layer's weight gradient, x at least 256 wide): packed here, including
    widths past the 16-row tile edge, depths across KC blocks and a row-padded x."""
    rng = np.random.default_rng(seed)
    gb, xb = f32(rng, batch, n_out), f32(rng, batch, width + pad)
    g, x = ember.from_numpy(gb), ember.from_numpy(xb)[:, :width]
    got = (g.t() @ x).numpy()
    close(got, gb.astype(np.float64).T @ xb[:, :width].astype(np.float64), batch)


@pytest.mark.parametrize("num_threads", [1, 2], indirect=True)
def test_lecture_weight_gradient_through_autograd(num_threads):
    rng = np.random.default_rng(11 + num_threads)
    x, w = f32(rng, 1024, 784), f32(rng, 100, 784)
    wt = ember.from_numpy(w.copy()).requires_grad_()
    (ember.from_numpy(x) @ wt.t()).sum().backward()
    close(wt.grad.numpy(), np.ones((100, 1024)) @ x.astype(np.float64), 1024)

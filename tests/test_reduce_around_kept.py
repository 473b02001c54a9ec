"""Reductions whose reduced dims lie on both sides of the kept ones (a conv bias gradient, batch
statistics: NCHW over (0, 2, 3)) run as two stages in the CPU engine; they must match NumPy."""
import numpy as np
import pytest

import ember


@pytest.mark.parametrize("shape,dims", [((4, 3, 5, 6), (0, 2, 3)), ((4, 3, 5), (0, 2)), ((2, 1, 3, 1, 4), (0, 3, 4)),
                                        ((3, 4, 5, 6), (0, 1, 3)), ((2, 3, 4, 5), (0, 3))])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_sum_mean_match_numpy(shape, dims, dtype):
    a = (np.random.default_rng(0).standard_normal(shape) * 10).astype(dtype)
    e = ember.from_numpy(a)
    np.testing.assert_allclose(e.sum(dims).numpy(), a.sum(dims), rtol=1e-5)
    np.testing.assert_allclose(e.sum(dims, keepdim=True).numpy(), a.sum(dims, keepdims=True), rtol=1e-5)
    if dtype != "int64":
        np.testing.assert_allclose(e.mean(dims).numpy(), a.mean(dims), rtol=1e-5)


def test_nansum_keeps_the_nan_of_inf_minus_inf():
    a = np.ones((2, 3, 4), dtype=np.float32)
    a[0, 1, 0] = a[0, 2, 3] = np.nan
    a[1, 1, 1], a[1, 1, 2] = np.inf, -np.inf
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(ember.from_numpy(a).nansum((0, 2)).numpy(), np.nansum(a, (0, 2)))
        np.testing.assert_array_equal(ember.from_numpy(a).sum((0, 2)).numpy(), a.sum((0, 2)))


def test_conv_bias_grad_is_the_sum_over_batch_and_space():
    conv = ember.nn.Conv2d(2, 3, 3)
    x = ember.randn(4, 2, 7, 7)
    out = conv(x)
    g = ember.randn(*out.shape)
    out.backward(g)
    np.testing.assert_allclose(conv.bias.grad.numpy(), g.numpy().sum((0, 2, 3)), rtol=1e-5, atol=1e-5)

"""Memory formats, CPU autocast (bfloat16 products, float32 losses) and GradScaler."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F


def arr(t):
    return np.array(t.detach().float().tolist())


def test_channels_last_strides_and_identity():
    x = ember.randn(2, 3, 4, 5, requires_grad=True)
    y = x.contiguous(memory_format=ember.channels_last)
    assert y.stride() == (60, 1, 15, 3) and tuple(y.shape) == (2, 3, 4, 5)
    assert y.is_contiguous(memory_format=ember.channels_last) and not y.is_contiguous()
    assert y.contiguous(memory_format=ember.channels_last) is y and x.contiguous() is x
    np.testing.assert_array_equal(arr(y), arr(x))
    (y * 2).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), 2 * np.ones((2, 3, 4, 5)))
    z = ember.randn(1, 2, 3, 4, 5).contiguous(memory_format=ember.channels_last_3d)
    assert z.stride() == (120, 1, 40, 10, 2)
    with pytest.raises(RuntimeError, match="rank 4"):
        ember.zeros(2, 3).contiguous(memory_format=ember.channels_last)
    with pytest.raises(RuntimeError, match="preserve"):
        x.contiguous(memory_format=ember.preserve_format)
    assert repr(ember.channels_last) == "ember.channels_last"
    m = nn.Sequential(nn.Conv2d(3, 4, 3))
    nn.utils.convert_conv2d_weight_memory_format(m, ember.channels_last)
    assert m[0].weight.is_contiguous(memory_format=ember.channels_last)
    np.testing.assert_allclose(arr(m(x)), arr(F.conv2d(x, m[0].weight.contiguous(), m[0].bias)), rtol=1e-6)


def test_autocast_cpu_lists_and_values():
    ember.manual_seed(0)
    lin = nn.Linear(6, 4)
    conv = nn.Conv2d(2, 3, 3)
    x = ember.randn(5, 6)
    img = ember.randn(1, 2, 5, 5)
    with ember.autocast("cpu"):
        assert ember.is_autocast_enabled("cpu") and ember.get_autocast_dtype("cpu") == ember.bfloat16
        y = lin(x)
        c = conv(img)
        mm = x @ ember.randn(6, 2)
        loss = F.cross_entropy(y, ember.tensor([0, 1, 2, 3, 0]))
        d = x.double() @ ember.randn(6, 2, dtype=ember.float64)  # float64 is not eligible
    assert y.dtype == c.dtype == mm.dtype == ember.bfloat16
    assert loss.dtype == ember.float32 and d.dtype == ember.float64
    assert not ember.is_autocast_enabled("cpu")
    bf = lambda t: np.array(t.to(ember.bfloat16).float().tolist())  # noqa: E731
    want = bf(x) @ bf(lin.weight).T + bf(lin.bias)
    np.testing.assert_allclose(arr(y), want, rtol=2e-2, atol=2e-2)
    ref = F.conv2d(img.to(ember.bfloat16).float(), conv.weight.to(ember.bfloat16).float(),
                   conv.bias.to(ember.bfloat16).float())
    np.testing.assert_array_equal(arr(c), arr(ref.to(ember.bfloat16)))
    loss.backward()
    assert lin.weight.grad.dtype == ember.float32
    with pytest.warns(UserWarning, match="CPU only"):
        with ember.autocast("cuda"):
            assert (x @ x.t()).dtype == ember.float32


def test_autocast_decorator_nesting_and_flags():
    @ember.autocast("cpu")
    def f(a):
        with ember.autocast("cpu", enabled=False):
            inner = (a @ a.t()).dtype
        return (a @ a.t()).dtype, inner

    assert f(ember.randn(2, 3)) == (ember.bfloat16, ember.float32)
    ember.set_autocast_cpu_enabled(True)
    try:
        assert ember.is_autocast_cpu_enabled() and ember.get_autocast_cpu_dtype() == ember.bfloat16
        assert (ember.randn(2, 2) @ ember.randn(2, 2)).dtype == ember.bfloat16
    finally:
        ember.set_autocast_cpu_enabled(False)
    assert ember.autocast_increment_nesting() == 1 and ember.autocast_decrement_nesting() == 0


def test_grad_scaler_skips_nonfinite_and_adapts_scale():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    opt = ember.optim.SGD([p], lr=0.25)
    s = ember.GradScaler("cpu", init_scale=8.0, growth_interval=2)
    for _ in range(2):
        opt.zero_grad()
        before = np.array(p.tolist())
        s.scale((p * p).sum()).backward()
        np.testing.assert_allclose(p.grad.tolist(), 8.0 * 2 * before)
        s.step(opt)
        s.update()
        np.testing.assert_allclose(p.tolist(), before - 0.25 * 2 * before)  # stepped with the unscaled gradient
    assert s.get_scale() == 16.0  # grew after growth_interval clean steps
    opt.zero_grad()
    s.scale((p * math.inf).sum()).backward()
    before = p.tolist()
    assert s.step(opt) is None and p.tolist() == before
    s.update()
    assert s.get_scale() == 8.0
    opt.zero_grad()
    s.scale((p * p).sum()).backward()
    s.unscale_(opt)
    with pytest.raises(RuntimeError, match="already been called"):
        s.unscale_(opt)
    s.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        s.step(opt)
    s.update()
    assert ember.GradScaler("cpu").state_dict()["scale"] == 2.0 ** 16
    with pytest.warns(UserWarning, match="Disabling"):
        off = ember.GradScaler()
    assert not off.is_enabled() and off.scale(p) is p

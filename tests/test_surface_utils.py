"""nn.utils reparametrisations (weight_norm, spectral_norm, parametrize), BatchNorm fusion,
skip_init, the deprecated nn.init aliases, and the torch.* forms of nn ops."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck
from ember.nn.utils import parametrize as P


def arr(t):
    return np.array(t.detach().tolist())


def test_weight_norm_names_values_and_grad():
    ember.manual_seed(0)
    lin = nn.Linear(4, 3)
    w = arr(lin.weight)
    nn.utils.weight_norm(lin)
    assert [n for n, _ in lin.named_parameters()] == ["bias", "weight_g", "weight_v"]
    np.testing.assert_allclose(arr(lin.weight_g), np.linalg.norm(w, axis=1, keepdims=True), rtol=1e-6)
    with ember.no_grad():
        lin.weight_g.mul_(2.0)
    x = ember.randn(5, 4)
    y = lin(x)
    np.testing.assert_allclose(arr(y), arr(x) @ (2 * w).T + arr(lin.bias), rtol=1e-5, atol=1e-5)
    y.sum().backward()
    assert lin.weight_g.grad is not None and lin.weight_v.grad is not None
    with pytest.raises(RuntimeError, match="two weight_norm"):
        nn.utils.weight_norm(lin)
    nn.utils.remove_weight_norm(lin)
    np.testing.assert_allclose(arr(lin.weight), 2 * w, rtol=1e-5)
    with pytest.raises(ValueError, match="not found"):
        nn.utils.remove_weight_norm(lin)
    whole = nn.utils.weight_norm(nn.Linear(4, 3), dim=None)
    assert tuple(whole.weight_g.shape) == ()


def test_spectral_norm_converges_to_unit_sigma():
    ember.manual_seed(1)
    m = nn.utils.spectral_norm(nn.Conv2d(3, 4, 2))
    assert sorted(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    x = ember.randn(1, 3, 4, 4)
    for _ in range(50):
        m(x)
    sig = np.linalg.svd(arr(m.weight).reshape(4, -1), compute_uv=False)[0]
    assert abs(sig - 1.0) < 1e-4
    m.eval()
    before = arr(m.weight_u)
    m(x)
    np.testing.assert_array_equal(arr(m.weight_u), before)  # eval: no power iteration
    nn.utils.remove_spectral_norm(m)
    assert sorted(m.state_dict()) == ["bias", "weight"]
    with pytest.raises(ValueError, match="n_power_iterations"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


class Exp(nn.Module):
    def forward(self, X):
        return X.exp()

    def right_inverse(self, Y):
        return Y.log()


def test_parametrize_register_cache_remove():
    m = nn.Linear(3, 3)
    w0 = m.weight
    P.register_parametrization(m, "weight", Symmetric())
    assert type(m).__name__ == "ParametrizedLinear" and P.type_before_parametrizations(m) is nn.Linear
    assert P.is_parametrized(m) and P.is_parametrized(m, "weight") and not P.is_parametrized(m, "bias")
    assert m.parametrizations.weight.original is w0
    W = arr(m.weight)
    np.testing.assert_array_equal(W, W.T)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    m(ember.randn(2, 3)).sum().backward()
    assert w0.grad is not None
    with P.cached():
        assert m.weight is m.weight
    assert m.weight is not m.weight
    P.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and list(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_array_equal(arr(m.weight), W)
    with pytest.raises(ValueError, match="does not have a parametrization"):
        P.remove_parametrizations(m, "weight")


def test_parametrize_right_inverse_and_errors():
    m = nn.Linear(2, 2)
    with ember.no_grad():
        m.weight.copy_(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
    P.register_parametrization(m, "weight", Exp())
    np.testing.assert_allclose(arr(m.weight), [[1.0, 2.0], [3.0, 4.0]], rtol=1e-6)
    m.weight = ember.tensor([[1.0, 1.0], [math.e, 1.0]])
    np.testing.assert_allclose(arr(m.parametrizations.weight.original), [[0.0, 0.0], [1.0, 0.0]], atol=1e-6)

    class Bad(nn.Module):
        def forward(self, X):
            return X[0]

    with pytest.raises(ValueError, match="shape"):
        P.register_parametrization(nn.Linear(2, 2), "weight", Bad())
    with pytest.raises(ValueError, match="does not have a parameter"):
        P.register_parametrization(nn.Linear(2, 2), "nope", Symmetric())


def test_fuse_conv_and_linear_with_bn():
    ember.manual_seed(2)
    conv, bn = nn.Conv2d(2, 3, 3).eval(), nn.BatchNorm2d(3).eval()
    with ember.no_grad():
        bn.running_mean.normal_()
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.normal_()
        bn.bias.normal_()
    x = ember.randn(2, 2, 5, 5)
    np.testing.assert_allclose(arr(nn.utils.fuse_conv_bn_eval(conv, bn)(x)), arr(bn(conv(x))), rtol=1e-4, atol=1e-5)
    lin, bn1 = nn.Linear(4, 3).eval(), nn.BatchNorm1d(3).eval()
    with ember.no_grad():
        bn1.running_var.uniform_(0.5, 2.0)
    z = ember.randn(5, 4)
    np.testing.assert_allclose(arr(nn.utils.fuse_linear_bn_eval(lin, bn1)(z)), arr(bn1(lin(z))), rtol=1e-5, atol=1e-6)
    with pytest.raises(AssertionError, match="eval"):
        nn.utils.fuse_conv_bn_eval(conv.train(), bn)


def test_skip_init_and_deprecated_init_aliases():
    m = nn.utils.skip_init(nn.Linear, 3, 5)
    assert tuple(m.weight.shape) == (5, 3) and m.weight.device.type == "cpu"

    class NoDevice(nn.Module):
        def __init__(self, n):
            super().__init__()

    with pytest.raises(RuntimeError, match="device"):
        nn.utils.skip_init(NoDevice, 3)
    w = ember.empty(3, 3)
    with pytest.warns(FutureWarning, match="eye_"):
        nn.init.eye(w)
    assert w.tolist() == np.eye(3).tolist()


def test_torch_level_nn_ops():
    ember.manual_seed(3)
    x = ember.randn(2, 3, 4)
    w = ember.randn(5, 3, 2)
    np.testing.assert_allclose(arr(ember.conv1d(x, w)), arr(F.conv1d(x, w)))
    assert ember.dropout(x, 0.5, False) is x
    e = ember.embedding(ember.eye(3), ember.tensor([2, 0]), padding_idx=-1)
    assert e.tolist() == [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    a, b = ember.randn(4, 3).log_softmax(1), ember.randn(4, 3).softmax(1)
    assert ember.kl_div(a, b, 2).item() == pytest.approx(F.kl_div(a, b, reduction="sum").item(), rel=1e-6)
    assert ember.kl_div(a, b, 0).shape == (4, 3)
    bn = ember.batch_norm(x, None, None, ember.zeros(3), ember.ones(3), False, 0.1, 1e-5)
    np.testing.assert_allclose(arr(bn), arr(x) / np.sqrt(1 + 1e-5), rtol=1e-6)
    y = x.clone()
    ember.sin_(y)
    np.testing.assert_allclose(arr(y), np.sin(arr(x)), rtol=1e-6)
    z = x.clone()
    z.cumsum_(1).clamp_max_(0.5)
    np.testing.assert_allclose(arr(z), np.minimum(np.cumsum(arr(x), 1), 0.5), rtol=1e-5)
    ap = x.clone()
    ap.apply_(lambda v: 2 * v + 1)
    np.testing.assert_allclose(arr(ap), 2 * arr(x) + 1, rtol=1e-6)
    mp = x.clone()
    mp.map_(ember.ones(4), lambda u, v: u * 3 + v)
    np.testing.assert_allclose(arr(mp), arr(x) * 3 + 1, rtol=1e-6)
    p = x.as_subclass(nn.Parameter)
    assert isinstance(p, nn.Parameter) and p.data_ptr() == x.data_ptr()
    s = x.new_empty_strided((2, 3), (1, 2))
    assert s.stride() == (1, 2) and s.dtype == x.dtype
    wt = ember.randn(4, 3, requires_grad=True)
    ember.embedding_renorm_(wt.detach(), ember.tensor([0, 2]), 1.0, 2.0)
    assert np.linalg.norm(arr(wt)[[0, 2]], axis=1).max() <= 1.0 + 1e-5
    inp = ember.randn(3, 5, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda t: ember.rrelu(t, 0.1, 0.3, False), (inp,))

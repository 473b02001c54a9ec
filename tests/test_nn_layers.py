"""Layers: forward against NumPy references, backward by gradcheck (float64, small shapes)."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck


def arr(t):
    return np.array(t.detach().tolist())


def E(a, dtype=ember.float64, requires_grad=False):
    a = np.asarray(a)
    dt = ember.int64 if a.dtype.kind in "iu" else dtype
    return ember.tensor(a.tolist(), dtype=dt, requires_grad=requires_grad)


RNG = np.random.default_rng(0)


def test_linear_forward_init_and_grad():
    ember.manual_seed(0)
    m = nn.Linear(5, 3)
    assert tuple(m.weight.shape) == (3, 5) and tuple(m.bias.shape) == (3,)
    bound = 1 / math.sqrt(5)
    assert np.abs(arr(m.weight)).max() <= bound and np.abs(arr(m.bias)).max() <= bound
    x = RNG.standard_normal((4, 5)).astype(np.float32)
    y = m(E(x, ember.float32))
    np.testing.assert_allclose(arr(y), x @ arr(m.weight).T + arr(m.bias), rtol=1e-5, atol=1e-5)
    assert y.grad_fn.name() == "AddmmBackward0"
    m.double()
    assert gradcheck(lambda t: m(t), (E(x, requires_grad=True),))
    assert tuple(nn.Linear(5, 3, bias=False)(E(x, ember.float32)).shape) == (4, 3)
    assert repr(m) == "Linear(in_features=5, out_features=3, bias=True)"


def test_conv_module_shapes_and_init():
    ember.manual_seed(0)
    m = nn.Conv2d(2, 4, 3, stride=1, padding=1, bias=True)
    assert tuple(m.weight.shape) == (4, 2, 3, 3)
    assert np.abs(arr(m.weight)).max() <= 1 / math.sqrt(18) + 1e-7
    x = E(RNG.standard_normal((1, 2, 5, 5)), ember.float32)
    assert tuple(m(x).shape) == (1, 4, 5, 5)
    np.testing.assert_allclose(arr(m(x)), arr(F.conv2d(x, m.weight, m.bias, 1, 1)))
    assert repr(m) == "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert tuple(nn.Conv1d(2, 3, 3)(E(RNG.standard_normal((2, 2, 7)), ember.float32)).shape) == (2, 3, 5)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)


def test_pool_modules():
    x = E(RNG.standard_normal((2, 3, 6, 6)))
    assert tuple(nn.MaxPool2d(2)(x).shape) == (2, 3, 3, 3)
    out, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert tuple(idx.shape) == (2, 3, 3, 3)
    assert tuple(nn.AvgPool2d(3, stride=2, padding=1)(x).shape) == (2, 3, 3, 3)
    assert tuple(nn.AdaptiveAvgPool2d((2, 1))(x).shape) == (2, 3, 2, 1)
    assert tuple(nn.MaxPool1d(2)(E(RNG.standard_normal((2, 3, 8)))).shape) == (2, 3, 4)
    assert tuple(nn.AvgPool1d(2)(E(RNG.standard_normal((2, 3, 8)))).shape) == (2, 3, 4)
    am = nn.AdaptiveMaxPool2d(2)(x)
    np.testing.assert_allclose(arr(am), arr(x).reshape(2, 3, 2, 3, 2, 3).max(axis=(3, 5)))


@pytest.mark.parametrize("name,ref", [
    ("ReLU", lambda x: np.maximum(x, 0)), ("ReLU6", lambda x: np.clip(x, 0, 6)),
    ("LeakyReLU", lambda x: np.where(x > 0, x, 0.01 * x)), ("ELU", lambda x: np.where(x > 0, x, np.expm1(x))),
    ("SiLU", lambda x: x / (1 + np.exp(-x))), ("Sigmoid", lambda x: 1 / (1 + np.exp(-x))), ("Tanh", np.tanh),
    ("Softplus", lambda x: np.log1p(np.exp(x))), ("Hardtanh", lambda x: np.clip(x, -1, 1)),
    ("Mish", lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    ("GELU", lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))),
])
def test_activations(name, ref):
    x = RNG.standard_normal((3, 4)) * 3
    m = getattr(nn, name)()
    np.testing.assert_allclose(arr(m(E(x))), ref(x), rtol=1e-6, atol=1e-8)
    assert gradcheck(lambda t: m(t), (E(x + 0.05, requires_grad=True),))


def test_softmax_logsoftmax_prelu():
    x = RNG.standard_normal((3, 4))
    e = np.exp(x - x.max(1, keepdims=True))
    sm = e / e.sum(1, keepdims=True)
    np.testing.assert_allclose(arr(nn.Softmax(dim=1)(E(x))), sm, rtol=1e-10)
    np.testing.assert_allclose(arr(nn.LogSoftmax(dim=1)(E(x))), np.log(sm), rtol=1e-10)
    p = nn.PReLU(4, init=0.1).double()
    np.testing.assert_allclose(arr(p(E(x))), np.where(x > 0, x, 0.1 * x))


def test_inplace_activation_writes_input():
    x = E(np.array([-1.0, 2.0]))
    y = nn.ReLU(inplace=True)(x)
    assert arr(x).tolist() == [0.0, 2.0] and arr(y).tolist() == [0.0, 2.0]


def test_dropout_train_eval():
    ember.manual_seed(0)
    d = nn.Dropout(0.25)
    x = ember.ones(2000)
    y = arr(d(x))
    zeros = (y == 0).mean()
    assert 0.18 < zeros < 0.32
    np.testing.assert_allclose(y[y != 0], 1 / 0.75, rtol=1e-6)
    d.eval()
    assert d(x) is x
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout(1.5)


def test_batchnorm_training_running_stats_and_eval():
    x = RNG.standard_normal((8, 3)) * 2 + 1
    bn = nn.BatchNorm1d(3, momentum=0.1).double()
    y = bn(E(x))
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(arr(y), (x - mean) / np.sqrt(var + 1e-5), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(arr(bn.running_mean), 0.9 * 0 + 0.1 * mean, rtol=1e-10)
    np.testing.assert_allclose(arr(bn.running_var), 0.9 * 1 + 0.1 * x.var(0, ddof=1), rtol=1e-10)
    assert int(bn.num_batches_tracked.item()) == 1
    bn.eval()
    np.testing.assert_allclose(arr(bn(E(x))), (x - arr(bn.running_mean)) / np.sqrt(arr(bn.running_var) + 1e-5), rtol=1e-8)
    bn.train()
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size \[1, 3\]"):
        bn(E(x[:1]))
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


def test_batchnorm_cumulative_momentum_and_2d_gradcheck():
    bn = nn.BatchNorm2d(2, momentum=None).double()
    a, b = RNG.standard_normal((3, 2, 2, 2)), RNG.standard_normal((3, 2, 2, 2))
    bn(E(a))
    bn(E(b))
    ma, mb = a.mean(axis=(0, 2, 3)), b.mean(axis=(0, 2, 3))
    np.testing.assert_allclose(arr(bn.running_mean), (ma + mb) / 2, rtol=1e-10)
    bn2 = nn.BatchNorm2d(2).double()
    assert gradcheck(lambda t: bn2(t), (E(a, requires_grad=True),))


def test_layernorm_groupnorm():
    x = RNG.standard_normal((2, 4, 3))
    ln = nn.LayerNorm(3).double()
    m, v = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(arr(ln(E(x))), (x - m) / np.sqrt(v + 1e-5), rtol=1e-8, atol=1e-10)
    assert gradcheck(lambda t: ln(t), (E(x, requires_grad=True),))
    gn = nn.GroupNorm(2, 4).double()
    g = x.reshape(2, 2, -1)
    ref = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)).reshape(x.shape)
    np.testing.assert_allclose(arr(gn(E(x))), ref, rtol=1e-8, atol=1e-10)


def test_embedding_module():
    ember.manual_seed(0)
    emb = nn.Embedding(5, 3, padding_idx=1)
    assert arr(emb.weight)[1].tolist() == [0.0, 0.0, 0.0]
    out = emb(ember.tensor([[1, 2], [4, 1]]))
    assert tuple(out.shape) == (2, 2, 3)
    out.sum().backward()
    assert arr(emb.weight.grad)[1].tolist() == [0.0, 0.0, 0.0]
    assert arr(emb.weight.grad)[2].tolist() == [1.0, 1.0, 1.0]
    pre = nn.Embedding.from_pretrained(E(np.arange(6.0).reshape(3, 2)))
    assert not pre.weight.requires_grad and arr(pre(ember.tensor([2])))[0].tolist() == [4.0, 5.0]
    assert repr(emb) == "Embedding(5, 3, padding_idx=1)"


def test_regression_losses():
    x, y = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    d = x - y
    np.testing.assert_allclose(arr(nn.MSELoss()(E(x), E(y))), (d ** 2).mean())
    np.testing.assert_allclose(arr(nn.MSELoss(reduction="sum")(E(x), E(y))), (d ** 2).sum())
    np.testing.assert_allclose(arr(nn.L1Loss(reduction="none")(E(x), E(y))), np.abs(d))
    ad = np.abs(d)
    np.testing.assert_allclose(arr(nn.SmoothL1Loss(beta=0.5)(E(x), E(y))),
                               np.where(ad < 0.5, 0.5 * ad ** 2 / 0.5, ad - 0.25).mean())
    np.testing.assert_allclose(arr(nn.HuberLoss(delta=0.7)(E(x), E(y))),
                               np.where(ad < 0.7, 0.5 * ad ** 2, 0.7 * (ad - 0.35)).mean())
    for loss in (nn.MSELoss(), nn.L1Loss(), nn.SmoothL1Loss(), nn.HuberLoss()):
        assert gradcheck(lambda a: loss(a, E(y)), (E(x, requires_grad=True),))


def test_classification_losses():
    x = RNG.standard_normal((4, 3))
    t = np.array([0, 2, 1, 2])
    ce = nn.CrossEntropyLoss()(E(x), E(t))
    lp = x - np.log(np.exp(x).sum(1, keepdims=True))
    np.testing.assert_allclose(arr(ce), -lp[np.arange(4), t].mean(), rtol=1e-10)
    probs = np.exp(lp)
    np.testing.assert_allclose(arr(nn.CrossEntropyLoss()(E(x), E(probs))), -(probs * lp).sum(1).mean(), rtol=1e-10)
    np.testing.assert_allclose(arr(nn.NLLLoss()(E(lp), E(t))), -lp[np.arange(4), t].mean(), rtol=1e-10)
    p = 1 / (1 + np.exp(-x))
    yb = (RNG.random((4, 3)) > 0.5).astype(np.float64)
    np.testing.assert_allclose(arr(nn.BCELoss()(E(p), E(yb))), -(yb * np.log(p) + (1 - yb) * np.log(1 - p)).mean(),
                               rtol=1e-10)
    np.testing.assert_allclose(arr(nn.BCEWithLogitsLoss()(E(x), E(yb))),
                               -(yb * np.log(p) + (1 - yb) * np.log(1 - p)).mean(), rtol=1e-10)
    q = np.exp(lp)
    tgt = np.full((4, 3), 1 / 3)
    np.testing.assert_allclose(arr(nn.KLDivLoss(reduction="batchmean")(E(lp), E(tgt))),
                               (tgt * (np.log(tgt) - lp)).sum() / 4, rtol=1e-10)
    np.testing.assert_allclose(arr(nn.KLDivLoss(reduction="sum", log_target=True)(E(lp), E(np.log(tgt)))),
                               (tgt * (np.log(tgt) - lp)).sum(), rtol=1e-10)
    del q


def test_flatten_unflatten_identity():
    x = E(RNG.standard_normal((2, 3, 4)))
    assert tuple(nn.Flatten()(x).shape) == (2, 12)
    assert tuple(nn.Flatten(0, 1)(x).shape) == (6, 4)
    assert tuple(nn.Unflatten(1, (3, 1))(E(RNG.standard_normal((2, 3)))).shape) == (2, 3, 1)
    assert nn.Identity(54, unused="x")(x) is x


def test_init_functions():
    w = ember.empty(30, 20)
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    assert np.abs(arr(w)).max() <= 1 / math.sqrt(20) + 1e-7
    nn.init.xavier_uniform_(w, gain=2.0)
    assert np.abs(arr(w)).max() <= 2.0 * math.sqrt(6 / 50) + 1e-7
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(arr(w).std() - math.sqrt(2 / 30)) < 0.05
    nn.init.constant_(w, 0.5)
    assert (arr(w) == 0.5).all()
    nn.init.zeros_(w)
    nn.init.eye_(w)
    np.testing.assert_array_equal(arr(w), np.eye(30, 20))
    nn.init.orthogonal_(w)
    np.testing.assert_allclose(arr(w).T @ arr(w), np.eye(20), atol=1e-5)
    nn.init.trunc_normal_(w, std=1.0, a=-0.5, b=0.5)
    assert np.abs(arr(w)).max() <= 0.5
    assert nn.init.calculate_gain("relu") == math.sqrt(2)
    assert nn.init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    assert nn.init._calculate_fan_in_and_fan_out(ember.empty(4, 3, 5, 5)) == (75, 100)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(ember.empty(3))
    c = ember.empty(2, 2, 3, 3)
    nn.init.dirac_(c)
    assert arr(c)[0, 0, 1, 1] == 1 and arr(c).sum() == 2


def test_clip_grad_and_vector_conversion():
    a, b = nn.Parameter(E([3.0, 0.0])), nn.Parameter(E([4.0]))
    a.grad, b.grad = E([3.0, 0.0]), E([4.0])
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert float(total.item()) == pytest.approx(5.0)
    np.testing.assert_allclose(arr(a.grad), [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(arr(b.grad), [0.8], rtol=1e-5)
    a.grad = E([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([a, b], 1.0, error_if_nonfinite=True)
    a.grad = E([-5.0, 0.5])
    nn.utils.clip_grad_value_([a], 1.0)
    assert arr(a.grad).tolist() == [-1.0, 0.5]
    v = nn.utils.parameters_to_vector([a, b])
    assert arr(v).tolist() == [3.0, 0.0, 4.0]
    nn.utils.vector_to_parameters(E([1.0, 2.0, 3.0]), [a, b])
    assert arr(a).tolist() == [1.0, 2.0] and arr(b).tolist() == [3.0]


def test_functional_misc():
    x = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(arr(F.normalize(E(x), dim=1)), x / np.linalg.norm(x, axis=1, keepdims=True), rtol=1e-10)
    oh = F.one_hot(ember.tensor([0, 2, 1]), 3)
    assert arr(oh).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]] and oh.dtype == ember.int64
    p = F.pad(E(x), (1, 2))
    np.testing.assert_array_equal(arr(p), np.pad(x, ((0, 0), (1, 2))))
    np.testing.assert_array_equal(arr(F.pad(E(x), (2, 1), mode="reflect")), np.pad(x, ((0, 0), (2, 1)), mode="reflect"))
    np.testing.assert_array_equal(arr(F.pad(E(x), (1, 1, 1, 0), mode="replicate")),
                                  np.pad(x, ((1, 0), (1, 1)), mode="edge"))
    img = E(RNG.standard_normal((1, 1, 2, 3)))
    up = F.interpolate(img, scale_factor=2, mode="nearest")
    np.testing.assert_array_equal(arr(up), arr(img).repeat(2, 2).repeat(2, 3))
    bl = F.interpolate(img, size=(3, 5), mode="bilinear", align_corners=True)
    assert arr(bl)[0, 0, 0, 0] == arr(img)[0, 0, 0, 0] and arr(bl)[0, 0, 2, 4] == arr(img)[0, 0, 1, 2]
    u = F.unfold(E(RNG.standard_normal((1, 2, 4, 4))), 2)
    assert tuple(u.shape) == (1, 8, 9)
    f = F.fold(ember.ones(1, 4, 9, dtype=ember.float64), (4, 4), 2)
    np.testing.assert_array_equal(arr(f)[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])

"""Regressions found by running ordinary PyTorch programs (tests/programs) under ember."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck


# ---- return_types: one class per op, printed as PyTorch prints it ----
@pytest.mark.parametrize("name, call", [
    ("sort", lambda x: ember.sort(x)),
    ("topk", lambda x: x.topk(2)),
    ("kthvalue", lambda x: ember.kthvalue(x, 2)),
])
def test_values_indices_results_are_return_types(name, call):
    r = call(ember.tensor([3.0, 1.0, 2.0]))
    assert type(r) is getattr(ember.return_types, name)
    assert repr(r).startswith(f"ember.return_types.{name}(\nvalues=tensor(")
    assert "\nindices=tensor(" in repr(r)
    values, indices = r
    assert r.values is values and r.indices is indices


def test_frexp_and_histogram_return_types():
    assert type(ember.frexp(ember.ones(2))) is ember.return_types.frexp
    h = ember.histogram(ember.tensor([1.0, 2.0, 2.5]), 2)
    assert type(h) is ember.return_types.histogram
    assert h.hist.tolist() == [1.0, 2.0]


# ---- in-place activations on tensors that autograd saved ----
def _through_linear(act):
    """Applies ``act`` in place to a Linear layer's output, as `nn.LeakyReLU(inplace=True)` after
    a Linear does, and returns (output, input gradient)."""
    a = ember.tensor([-2.0, -0.5, 0.0, 0.3, 1.0, 7.0], requires_grad=True)
    x = a * 1  # the mul saved nothing of its output; act's in-place write must not break backward
    y = act(x)
    assert y is x
    (y * ember.arange(6.0)).sum().backward()
    return y.detach().numpy(), a.grad.numpy()


def test_leaky_relu_inplace_backward():
    y, g = _through_linear(lambda x: F.leaky_relu(x, 0.2, inplace=True))
    xs = np.array([-2.0, -0.5, 0.0, 0.3, 1.0, 7.0], dtype=np.float32)
    np.testing.assert_allclose(y, np.where(xs > 0, xs, 0.2 * xs), rtol=1e-6)
    np.testing.assert_allclose(g, np.arange(6.0) * np.where(xs > 0, 1.0, 0.2), rtol=1e-6)


def test_leaky_relu_module_inplace_in_a_training_step():
    model = nn.Sequential(nn.Linear(2, 4), nn.LeakyReLU(0.2, inplace=True), nn.Linear(4, 1))
    model(ember.randn(3, 2)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_hardtanh_relu6_threshold_inplace_backward():
    y, g = _through_linear(lambda x: F.relu6(x, inplace=True))
    np.testing.assert_allclose(y, [0, 0, 0, 0.3, 1, 6], rtol=1e-6)
    np.testing.assert_allclose(g, [0, 0, 0, 3, 4, 0])  # zero at and beyond both bounds
    y, g = _through_linear(lambda x: F.hardtanh(x, -0.5, 0.5, inplace=True))
    np.testing.assert_allclose(y, [-0.5, -0.5, 0, 0.3, 0.5, 0.5], rtol=1e-6)
    np.testing.assert_allclose(g, [0, 0, 2, 3, 0, 0])
    y, g = _through_linear(lambda x: F.threshold(x, 0.1, -3.0, inplace=True))
    np.testing.assert_allclose(y, [-3, -3, -3, 0.3, 1, 7], rtol=1e-6)
    np.testing.assert_allclose(g, [0, 0, 0, 3, 4, 5])


def test_inplace_activation_on_a_view_updates_the_base():
    base = ember.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    x = base * 1
    F.leaky_relu(x[1], 0.5, inplace=True)
    x.sum().backward()
    assert x.detach().tolist() == [[-1.0, 2.0], [3.0, -2.0]]
    assert base.grad.tolist() == [[1.0, 1.0], [1.0, 0.5]]


def test_inplace_activation_gradcheck():
    x = ember.tensor([-1.5, -0.3, 0.4, 2.0], dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda t: F.leaky_relu(t * 1, 0.1, inplace=True), (x,))
    assert gradcheck(lambda t: F.hardtanh(t * 1, -1.0, 1.0, inplace=True), (x,))


# ---- Conv padding_mode ----
def _np_conv1d(x, w, b):
    n, _, length = x.shape
    k = w.shape[-1]
    out = np.empty((n, w.shape[0], length - k + 1))
    for i in range(length - k + 1):
        out[:, :, i] = np.einsum("nck,ock->no", x[:, :, i:i + k], w) + b
    return out


@pytest.mark.parametrize("mode, np_mode", [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")])
def test_conv1d_padding_modes_match_numpy(mode, np_mode):
    conv = nn.Conv1d(2, 3, 3, padding=2, padding_mode=mode, dtype=ember.float64)
    x = ember.randn(2, 4, 7, dtype=ember.float64)[:, ::2, :]  # strided input
    got = conv(x).detach().numpy()
    xp = np.pad(x.numpy(), ((0, 0), (0, 0), (2, 2)), mode=np_mode)
    want = _np_conv1d(xp, conv.weight.detach().numpy(), conv.bias.detach().numpy()[None, :])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_conv2d_same_padding_mode_and_gradcheck():
    conv = nn.Conv2d(1, 1, (3, 4), padding="same", dilation=(1, 2), padding_mode="circular", dtype=ember.float64)
    assert conv._reversed_padding_repeated_twice == [3, 3, 1, 1]
    x = ember.randn(1, 1, 5, 6, dtype=ember.float64, requires_grad=True)
    assert conv(x).shape == (1, 1, 5, 6)
    assert gradcheck(conv, (x,))
    assert "padding_mode=circular" in repr(conv)


def test_conv3d_reflect_padding_shape():
    assert nn.Conv3d(1, 2, 3, padding=1, padding_mode="reflect")(ember.randn(1, 1, 4, 4, 4)).shape == (1, 2, 4, 4, 4)


def test_bad_padding_mode_raises_value_error():
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="zeros"):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")


# ---- nn.Bilinear / F.bilinear: one output row per batch row ----
@pytest.mark.parametrize("batch", [(5,), (2, 3)])
def test_bilinear_matches_numpy(batch):
    m = nn.Bilinear(2, 3, 4, dtype=ember.float64)
    x1 = ember.randn(*batch, 2, dtype=ember.float64)
    x2 = ember.randn(*batch, 6, dtype=ember.float64)[..., ::2]  # strided
    got = m(x1, x2).detach().numpy()
    want = np.einsum("...i,oij,...j->...o", x1.numpy(), m.weight.detach().numpy(), x2.numpy()) + m.bias.detach().numpy()
    assert got.shape == (*batch, 4)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_bilinear_gradcheck():
    w = ember.randn(2, 3, 2, dtype=ember.float64, requires_grad=True)
    a = ember.randn(4, 3, dtype=ember.float64, requires_grad=True)
    b = ember.randn(4, 2, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda a, b, w: F.bilinear(a, b, w), (a, b, w))


# ---- ember.backends: the start-up switches scripts set ----
def test_backends_switches():
    import ember.backends.cudnn as cudnn
    cudnn.benchmark = True
    try:
        assert ember.backends.cudnn.benchmark is True
    finally:
        cudnn.benchmark = False
    assert ember.backends.mps.is_available() is False and ember.backends.cudnn.is_available() is False
    assert ember.backends.cuda.matmul.allow_tf32 is False and ember.backends.cpu.is_available()


# ---- ember.testing.assert_close ----
def test_assert_close_passes_within_default_tolerance():
    ember.testing.assert_close(ember.ones(3), ember.ones(3) + 1e-7)
    ember.testing.assert_close([ember.ones(1)], (ember.ones(1),))
    ember.testing.assert_close(ember.tensor([float("nan")]), ember.tensor([float("nan")]), equal_nan=True)
    ember.testing.assert_close(ember.ones(2), ember.ones(2, dtype=ember.float64), check_dtype=False)
    ember.testing.assert_close(ember.ones(2, 3)[:, ::2], ember.ones(2, 2))


@pytest.mark.parametrize("a, b, text", [
    (ember.ones(2), ember.ones(3), "attribute 'shape'"),
    (ember.ones(2), ember.ones(2, dtype=ember.float64), "attribute 'dtype'"),
    (ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.1]), "Mismatched elements: 1 / 2"),
    (ember.tensor([1, 2]), ember.tensor([1, 3]), "not equal"),
    (ember.tensor([float("nan")]), ember.tensor([float("nan")]), "not close"),
])
def test_assert_close_raises_assertion_error(a, b, text):
    with pytest.raises(AssertionError, match=text):
        ember.testing.assert_close(a, b)


def test_assert_close_needs_both_tolerances():
    with pytest.raises(ValueError, match="atol"):
        ember.testing.assert_close(ember.ones(1), ember.ones(1), rtol=1e-3)


def test_make_tensor_range_and_layout():
    t = ember.testing.make_tensor((2, 3), dtype=ember.float32, device="cpu", low=0, high=1, noncontiguous=True)
    assert t.shape == (2, 3) and not t.is_contiguous()
    assert bool((t >= 0).all()) and bool((t < 1).all())
    assert ember.testing.make_tensor(3, 2, dtype=ember.int64, device="cpu").dtype == ember.int64


# ---- ember.utils.checkpoint ----
def _ckpt_model():
    ember.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.3), nn.Tanh(), nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 2))


@pytest.mark.parametrize("run", [
    lambda m, x: ember.utils.checkpoint.checkpoint(m, x, use_reentrant=False),
    lambda m, x: ember.utils.checkpoint.checkpoint_sequential(m, 2, x, use_reentrant=False),
])
def test_checkpoint_gives_the_plain_gradients(run):
    m = _ckpt_model()
    x = ember.randn(5, 4, requires_grad=True)
    state = ember.get_rng_state()
    ref = m(x).pow(2).sum()
    ref.backward()
    want = [p.grad.clone() for p in m.parameters()] + [x.grad.clone()]
    m.zero_grad()
    x.grad = None
    ember.set_rng_state(state)  # same dropout mask in forward; checkpoint restores it for the recompute
    out = run(m, x).pow(2).sum()
    out.backward()
    got = [p.grad for p in m.parameters()] + [x.grad]
    assert ember.allclose(out, ref)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-7)


def test_checkpoint_without_grad_inputs_still_trains_parameters():
    m = _ckpt_model()
    ember.utils.checkpoint.checkpoint(m, ember.randn(2, 4), use_reentrant=False).sum().backward()
    assert m[0].weight.grad is not None


def test_checkpoint_keyword_arguments():
    x = ember.ones(2, requires_grad=True)
    y = ember.utils.checkpoint.checkpoint(lambda t, scale=1.0: t * scale, x, use_reentrant=False, scale=3.0)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    with pytest.raises(ValueError, match="Unexpected keyword"):
        ember.utils.checkpoint.checkpoint(lambda t, scale=1.0: t, x, use_reentrant=True, scale=1.0)

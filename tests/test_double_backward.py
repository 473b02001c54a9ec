"""Double backward through convolution and pooling (their backwards are differentiable ops),
on the CPU against finite differences, and the same graphs on meta (shapes only) and wgpu.

Before the backend interface these backwards were native kernels with no history, so the
second derivative came back as zeros — a silently wrong answer gradgradcheck now catches.
"""
import pytest

import ember
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck

from conftest import requires_wgpu


def _rand(*shape, seed=0):
    ember.manual_seed(seed)
    return ember.randn(*shape, dtype=ember.float64, requires_grad=True)


@pytest.mark.parametrize("stride,padding,dilation,groups", [(1, 0, 1, 1), (2, 1, 1, 1), (1, (1, 2), 2, 1), (1, 1, 1, 2)])
def test_conv2d_gradgradcheck(stride, padding, dilation, groups):
    x, w, b = _rand(2, 4, 6, 5), _rand(4, 4 // groups, 3, 2, seed=1), _rand(4, seed=2)
    fn = lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_conv1d_and_same_padding_gradgradcheck():
    x, w = _rand(1, 2, 7), _rand(3, 2, 3, seed=1)
    assert gradgradcheck(lambda x, w: F.conv1d(x, w, padding="same"), (x, w))


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil", [(2, 2, 0, 1, False), (3, 2, 1, 1, True), (2, 1, 0, 2, False)])
def test_max_pool2d_gradgradcheck(kernel, stride, padding, dilation, ceil):
    # distinct values: no ties, so the max is differentiable at the sample point
    x = (ember.randperm(2 * 3 * 7 * 6).to(ember.float64) / 10).reshape(2, 3, 7, 6).requires_grad_()
    fn = lambda x: F.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode=ceil)  # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
                                    dict(kernel_size=2, divisor_override=3)])
def test_avg_pool2d_gradgradcheck(kwargs):
    x = _rand(2, 3, 7, 6)
    fn = lambda x: F.avg_pool2d(x, **kwargs)  # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_adaptive_avg_pool2d_gradgradcheck():
    x = _rand(1, 2, 7, 5)
    assert gradgradcheck(lambda x: F.adaptive_avg_pool2d(x, (3, 2)), (x,))


def test_second_derivative_of_a_cnn_loss_is_nonzero():
    # d/dw of ||d loss/dx||² — the gradient-penalty pattern (WGAN-GP) through conv and pool
    x, w = _rand(1, 1, 6, 6), _rand(2, 1, 3, 3, seed=3)
    y = F.max_pool2d(F.conv2d(x, w).tanh(), 2).sum()
    (gx,) = ember.autograd.grad(y, x, create_graph=True)
    assert gx.grad_fn is not None
    (gw,) = ember.autograd.grad((gx * gx).sum(), w)
    assert float(gw.abs().sum()) > 0


def test_grad_fn_names_of_the_double_backward_nodes():
    x, w = _rand(1, 1, 4, 4), _rand(1, 1, 2, 2, seed=1)
    (gx,) = ember.autograd.grad(F.conv2d(x, w).sum(), x, create_graph=True)
    assert type(gx.grad_fn).__name__ == "ConvolutionBackwardBackward0" or gx.grad_fn.name() == "ConvolutionBackwardBackward0"
    # the pooling's backward is linear in the output gradient: it has history when that does
    v = ember.ones(1, 1, 2, 2, dtype=ember.float64, requires_grad=True)
    (gp,) = ember.autograd.grad(F.avg_pool2d(x, 2), x, grad_outputs=v, create_graph=True)
    assert gp.grad_fn.name() == "AvgPool2DBackwardBackward0"
    (gm,) = ember.autograd.grad(F.max_pool2d(x, 2), x, grad_outputs=v, create_graph=True)
    assert gm.grad_fn.name() == "MaxPool2DWithIndicesBackwardBackward0"


def test_meta_double_backward_gives_shapes():
    x = ember.randn(2, 3, 8, 8, device="meta", requires_grad=True)
    w = ember.randn(4, 3, 3, 3, device="meta", requires_grad=True)
    y = F.avg_pool2d(F.max_pool2d(F.conv2d(x, w, padding=1), 2), 2).sum()
    gx, gw = ember.autograd.grad(y, (x, w), create_graph=True)
    assert gx.shape == x.shape and gw.shape == w.shape and gx.device.type == "meta"
    (ggw,) = ember.autograd.grad(gx.sum(), w)
    assert ggw.shape == w.shape and ggw.device.type == "meta"


@requires_wgpu
def test_wgpu_conv_and_max_pool_double_backward_match_cpu():
    ember.manual_seed(0)
    xc = ember.randn(1, 2, 6, 6, requires_grad=True)
    wc = ember.randn(3, 2, 3, 3, requires_grad=True)

    def second(x, w):
        y = F.max_pool2d(F.conv2d(x, w, padding=1), 2).pow(2).sum()
        (gx,) = ember.autograd.grad(y, x, create_graph=True)
        (gw,) = ember.autograd.grad(gx.pow(2).sum(), w)
        return gx, gw

    gx_c, gw_c = second(xc, wc)
    xg = xc.detach().to("wgpu").requires_grad_()
    wg = wc.detach().to("wgpu").requires_grad_()
    gx_g, gw_g = second(xg, wg)
    assert gx_g.device.type == "wgpu" and gw_g.device.type == "wgpu"
    assert ember.allclose(gx_g.cpu(), gx_c, rtol=1e-3, atol=1e-3)
    assert ember.allclose(gw_g.cpu(), gw_c, rtol=1e-3, atol=1e-3)


@requires_wgpu
def test_wgpu_avg_pool_raises_the_backend_error():
    x = ember.randn(1, 1, 4, 4).to("wgpu")
    with pytest.raises(NotImplementedError, match=r"Could not run 'aten::avg_pool2d' with arguments from the 'Wgpu' backend"):
        F.avg_pool2d(x, 2)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted,smoothing,ignore", [(False, 0.0, -100), (True, 0.0, 1), (True, 0.2, -100), (False, 0.3, 2)])
def test_cross_entropy_gradgradcheck(reduction, weighted, smoothing, ignore):
    x = _rand(5, 4)
    t = ember.tensor([0, 1, 3, 2, 1])
    w = ember.tensor([0.5, 1.0, 2.0, 1.5], dtype=ember.float64) if weighted else None
    fn = lambda x: F.cross_entropy(x, t, weight=w, reduction=reduction, ignore_index=ignore, label_smoothing=smoothing)  # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_gradgradcheck(reduction):
    x = _rand(4, 3)
    t = ember.tensor([0, 2, 1, 2])
    w = ember.tensor([1.0, 0.5, 2.0], dtype=ember.float64)
    fn = lambda x: F.nll_loss(x.log_softmax(1), t, weight=w, reduction=reduction)  # noqa: E731
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_gradgradcheck(reduction):
    x = _rand(3, 4)
    y = ember.rand(3, 4, dtype=ember.float64)
    w = ember.rand(4, dtype=ember.float64) + 0.5
    pw = ember.rand(4, dtype=ember.float64) + 0.5
    fn = lambda x: F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw, reduction=reduction)  # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_meta_cross_entropy_backward_gives_shapes():
    x = ember.randn(6, 5, device="meta", requires_grad=True)
    t = ember.zeros(6, dtype=ember.int64, device="meta")
    (gx,) = ember.autograd.grad(F.cross_entropy(x, t), x, create_graph=True)
    assert gx.shape == x.shape and gx.device.type == "meta"

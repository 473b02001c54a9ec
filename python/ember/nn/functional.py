"""``ember.nn.functional``: the stateless form of every layer.

Activations and reductions delegate to the Tensor methods (one implementation each); the
nn-specific kernels (convolution, pooling, normalisation, fused losses) are native
(``rust/ember/src/ops/nn.rs``) with their backward formulas beside them.
"""
import math

from .. import _native, _argcheck
from .._argcheck import checked as _checked
from .._native import Tensor
from ..autograd.grad_mode import no_grad as _no_grad
from ._functional_loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss,  # noqa: F401
                               kl_div, l1_loss, mse_loss, nll_loss, smooth_l1_loss, soft_margin_loss,
                               cosine_similarity, pairwise_distance, triplet_margin_loss, margin_ranking_loss,
                               hinge_embedding_loss, poisson_nll_loss, gaussian_nll_loss, cosine_embedding_loss)
from ._functional_conv import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool2d,  # noqa: F401
                               avg_pool1d, avg_pool2d, conv1d, conv2d, fold, max_pool1d, max_pool2d,
                               pad, unfold, pixel_shuffle, pixel_unshuffle,
                               max_pool2d_with_indices, max_pool1d_with_indices)
from ._functional_norm import batch_norm, group_norm, layer_norm, normalize, embedding, instance_norm, rms_norm  # noqa: F401


def _inplace(x, y, inplace):
    """Writes ``y`` into ``x`` for the ``inplace=True`` forms (one copy, history kept)."""
    if inplace:
        x.copy_(y)
        return x
    return y


def _native_or(name):
    return getattr(_native, name, None)


# ---- activations ----
# The training hot paths below catch a non-tensor argument on their failure path themselves
# (``_argcheck.reraise``) instead of running inside _argcheck's generic wrapper.
@_checked
def relu(input, inplace=False):
    try:
        return input.relu_() if inplace else input.relu()
    except (TypeError, AttributeError) as e:
        _argcheck.reraise(relu, e, (input, inplace))
        raise


def relu_(input):
    return input.relu_()


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def _needs_graph(x):
    return x.requires_grad and _native.is_grad_enabled()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    if inplace and _needs_graph(input):
        # An in-place op on a graph input must not overwrite what its backward saved (as
        # PyTorch's leaky_relu_ saves its result): scale by a constant factor instead.
        with _no_grad():
            factor = _native.where(input > 0, _native._full([], 1.0, input.dtype),
                                   _native._full([], negative_slope, input.dtype))
        return input.mul_(factor)
    f = _native_or("leaky_relu")
    y = f(input, negative_slope) if f else _native.where(input > 0, input, input * negative_slope)
    return _inplace(input, y, inplace)


def elu(input, alpha=1.0, inplace=False):
    f = _native_or("elu")
    y = f(input, alpha) if f else _native.where(input > 0, input, (input.exp() - 1) * alpha)
    return _inplace(input, y, inplace)


def selu(input, inplace=False):
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return _inplace(input, elu(input, alpha) * scale, inplace)


def celu(input, alpha=1.0, inplace=False):
    return _inplace(input, elu(input / alpha) * alpha, inplace)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    f = _native_or("gelu")
    if f:
        return f(input, approximate)
    if approximate == "tanh":
        return input * 0.5 * (1 + ((input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)).tanh())
    return input * 0.5 * (1 + (input / math.sqrt(2)).erf())


def silu(input, inplace=False):
    f = _native_or("silu")
    y = f(input) if f else input * input.sigmoid()
    return _inplace(input, y, inplace)


def mish(input, inplace=False):
    return _inplace(input, input * softplus(input).tanh(), inplace)


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace and _needs_graph(input):
        # Masked fills keep the saved input intact; the gradient is zero at and beyond each
        # bound, as PyTorch's hardtanh_ backward.
        with _no_grad():
            low, high = input <= min_val, input >= max_val
        return input.masked_fill_(low, min_val).masked_fill_(high, max_val)
    f = _native_or("hardtanh")
    y = f(input, min_val, max_val) if f else input.clamp(min_val, max_val)
    return _inplace(input, y, inplace)


def hardsigmoid(input, inplace=False):
    return _inplace(input, hardtanh(input + 3.0, 0.0, 6.0) / 6.0, inplace)


def hardswish(input, inplace=False):
    return _inplace(input, input * hardtanh(input + 3.0, 0.0, 6.0) / 6.0, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    f = _native_or("softplus")
    if f:
        return f(input, beta, threshold)
    bx = input * beta
    return _native.where(bx > threshold, input, (bx.exp() + 1).log() / beta)


def softsign(input):
    return input / (input.abs() + 1)


def logsigmoid(input):
    return -softplus(-input)


def tanhshrink(input):
    return input - input.tanh()


def threshold(input, threshold, value, inplace=False):
    if inplace and _needs_graph(input):
        with _no_grad():
            below = input <= threshold
        return input.masked_fill_(below, value)
    return _inplace(input, _native.where(input > threshold, input, _native._full([], value, input.dtype)), inplace)


def prelu(input, weight):
    w = weight
    if input.ndim >= 2 and weight.numel() > 1:
        w = weight.reshape([-1] + [1] * (input.ndim - 2))
    return _native.where(input > 0, input, input * w)


def glu(input, dim=-1):
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def _softmax_dim(ndim):
    return 0 if ndim in (0, 1, 3) else 1


@_checked
def softmax(input, dim=None, _stacklevel=3, dtype=None):
    try:
        if dim is None:
            dim = _softmax_dim(input.ndim)
        return input.softmax(dim, dtype=dtype) if dtype is not None else input.softmax(dim)
    except (TypeError, AttributeError) as e:
        _argcheck.reraise(softmax, e, (input, dim, _stacklevel, dtype))
        raise


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return softmax(-input, dim, dtype=dtype)


@_checked
def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    try:
        if dim is None:
            dim = _softmax_dim(input.ndim)
        return input.log_softmax(dim, dtype=dtype) if dtype is not None else input.log_softmax(dim)
    except (TypeError, AttributeError) as e:
        _argcheck.reraise(log_softmax, e, (input, dim, _stacklevel, dtype))
        raise


# ---- linear, dropout, misc ----
@_checked
def linear(input, weight, bias=None):
    try:
        f = getattr(_native, "linear", None)  # looked up per call: ember.inspect.trace patches _native
        if f is not None:
            return f(input, weight, bias)
        out = input.matmul(weight.t())
        return out if bias is None else out + bias
    except (TypeError, AttributeError) as e:
        _argcheck.reraise(linear, e, (input, weight, bias), tensors=("input", "weight", "bias"))
        raise


def bilinear(input1, input2, weight, bias=None):
    # y_k = x1^T W_k x2 + b_k, as a batched product over the output features.
    y = input1.unsqueeze(-2).unsqueeze(-2) @ weight @ input2.unsqueeze(-2).unsqueeze(-1)
    y = y.squeeze(-1).squeeze(-1)
    return y if bias is None else y + bias


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _inplace(input, input * 0.0, inplace)
    keep = _keep_mask(list(input.shape), p, input)
    return _inplace(input, input * (keep / (1.0 - p)), inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 2)


def dropout3d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 3)


def _keep_mask(shape, p, input):
    """Bernoulli(1 - p) keep mask; on meta only its shape (there is nothing to draw)."""
    if input.is_meta:
        return _native._empty_on(shape, input.dtype, input.device)
    mask = _native._bernoulli(_native._full(shape, 1.0 - p, input.dtype))
    return mask if input.device.type == "cpu" else mask.to(input.device)  # drawn on the host


def _feature_dropout(input, p, training, inplace, nspatial):
    _check_p(p)
    if not training or p == 0.0:
        return input
    shape = list(input.shape[:-nspatial]) + [1] * nspatial
    keep = _keep_mask(shape, p, input)
    return _inplace(input, input * (keep / (1.0 - p)) if p < 1 else input * 0.0, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    if not training or p == 0.0:
        return input
    alpha = -1.7580993408473766
    keep = _keep_mask(list(input.shape), p, input)
    a = ((1 - p) * (1 + p * alpha ** 2)) ** -0.5
    b = -a * alpha * p
    return _inplace(input, (input * keep + (1 - keep) * alpha) * a + b, inplace)


def one_hot(tensor, num_classes=-1):
    if tensor.is_floating_point():
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    from .._creation import arange
    if tensor.device.type == "meta":  # no values to check or infer from
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from meta tensor.")
        return (tensor.unsqueeze(-1) == arange(num_classes, device="meta")).long()
    # The bounds are read on the host (one round trip for a device tensor, as PyTorch's CUDA
    # one_hot synchronises for its check); the comparison runs there too.
    host = tensor if tensor.device.type == "cpu" else tensor.cpu()
    if num_classes == -1:
        if host.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(host.max().item()) + 1
    if host.numel():
        if int(host.min().item()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(host.max().item()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = (host.unsqueeze(-1) == arange(num_classes)).long()
    return out if host is tensor else out.to(tensor.device)



from ._functional_attention import scaled_dot_product_attention, multi_head_attention_forward  # noqa: E402,F401
from ._functional_spatial import (conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, conv_tbc,  # noqa: E402,F401
                                  max_pool3d, max_pool3d_with_indices, avg_pool3d, adaptive_avg_pool3d,
                                  adaptive_max_pool3d, adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices,
                                  adaptive_max_pool3d_with_indices, lp_pool1d, lp_pool2d, lp_pool3d, max_unpool1d,
                                  max_unpool2d, max_unpool3d, fractional_max_pool2d, fractional_max_pool3d,
                                  fractional_max_pool2d_with_indices, fractional_max_pool3d_with_indices)
from ._functional_extra import *  # noqa: E402,F401,F403
from ._functional_interp import interpolate, upsample, upsample_nearest, upsample_bilinear  # noqa: E402,F401

"""Loss functions of ``ember.nn.functional``. Cross entropy (class indices), NLL and BCE with
logits are fused native kernels; the others compose tensor ops."""
import warnings

from .. import _native, _argcheck
from .._argcheck import checked as _checked
from .._native import Tensor


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def _check_same_size(input, target, name):
    if target._shape != input._shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


@_checked  # a training hot path: catches a non-tensor argument itself (ember/_argcheck.py)
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _legacy(size_average, reduce, reduction)
    try:
        _check_same_size(input, target, "mse_loss")
        d = input - target
        return _reduce(d * d, reduction)
    except (TypeError, AttributeError) as e:
        _argcheck.reraise(mse_loss, e, (input, target, size_average, reduce, reduction, weight))
        raise


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _legacy(size_average, reduce, reduction)
    _check_same_size(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _legacy(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = (input - target).abs()
    if beta == 0.0:
        return _reduce(d, reduction)
    loss = _native.where(d < beta, d * d * (0.5 / beta), d - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = (input - target).abs()
    loss = _native.where(d < delta, d * d * 0.5, (d - 0.5 * delta) * delta)
    return _reduce(loss, reduction)


def _tensors(fn, **named):
    """PyTorch's TypeError for a non-tensor where its native loss takes a Tensor (these bodies
    compute on the arguments first, so the AttributeError would name an intermediate value)."""
    for pos, (arg, v) in enumerate(named.items(), 1):
        if not isinstance(v, Tensor):
            raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(v).__name__}")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    _tensors("soft_margin_loss", input=input, target=target)
    reduction = _legacy(size_average, reduce, reduction)
    return _reduce(((-target * input).exp() + 1).log(), reduction)


def _class_last(input):
    """(N, C, d1, …) → (N·d1·…, C) so the native kernels see rows of class scores."""
    if input.ndim <= 2:
        return input
    c = input.shape[1]
    return input.movedim(1, -1).reshape(-1, c)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    if input.ndim >= 1 and target.ndim >= 1 and input.shape[0] != target.shape[0] and input.ndim != 1:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({target.shape[0]}).")
    if input.ndim == 1:
        return _native._nll_loss(input.unsqueeze(0), target.reshape(1), weight, reduction, ignore_index).reshape(
            () if reduction != "none" else ())
    out = _native._nll_loss(_class_last(input), target.reshape(-1), weight, reduction, ignore_index)
    if reduction == "none" and input.ndim > 2:
        out = out.reshape(tuple(target.shape))
    return out


@_checked  # a training hot path: catches a non-tensor argument itself (ember/_argcheck.py)
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    reduction = _legacy(size_average, reduce, reduction)
    try:
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
        if target.is_floating_point():
            return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
        if input.ndim == 1:  # unbatched: (C,) with a 0-dim target
            out = _native._cross_entropy(input.unsqueeze(0), target.reshape(1), weight, reduction, ignore_index, label_smoothing)
            return out.reshape(()) if reduction == "none" else out
        if input.shape[0] != target.shape[0]:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({target.shape[0]}).")
        out = _native._cross_entropy(_class_last(input), target.reshape(-1), weight, reduction, ignore_index, label_smoothing)
        if reduction == "none" and input.ndim > 2:
            out = out.reshape(tuple(target.shape))
        return out
    except (TypeError, AttributeError) as e:
        _argcheck.reraise(cross_entropy, e, (input, target, weight, size_average, ignore_index, reduce, reduction,
                                             label_smoothing))
        raise


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    """Class-probability targets: −Σ_c w_c·y_c·log_softmax(x)_c, mean over the batch."""
    if tuple(input.shape) != tuple(target.shape):
        raise RuntimeError(f"Expected target size {tuple(input.shape)}, got {tuple(target.shape)}")
    cdim = 1 if input.ndim > 1 else 0
    c = input.shape[cdim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / c
    lp = input.log_softmax(cdim)
    if weight is not None:
        shape = [1] * input.ndim
        shape[cdim] = c
        lp = lp * weight.reshape(shape)
    loss = -(lp * target).sum(cdim)
    if reduction == "mean":
        n = input.numel() // c
        return loss.sum() / n
    return _reduce(loss, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) is deprecated. "
                         "Please ensure they have the same size.")
    # PyTorch clamps the logs at -100 so that 0·log(0) stays finite.
    loss = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    reduction = _legacy(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    shape = list(input.shape)
    if weight is not None:
        weight = weight.expand(*shape) if tuple(weight.shape) != tuple(shape) else weight
    if pos_weight is not None:
        pos_weight = pos_weight.expand(*shape) if tuple(pos_weight.shape) != tuple(shape) else pos_weight
    return _native._bce_with_logits(input, target, weight, pos_weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    reduction = _legacy(size_average, reduce, reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy: 0·log 0 = 0 where the target is zero.
        safe = _native.where(target > 0, target, _native._full([], 1.0, target.dtype))
        loss = _native.where(target > 0, target * (safe.log() - input), target * 0.0 - target * input * 0.0)
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition.", stacklevel=2)
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
    _tensors("poisson_nll_loss", input=input, target=target)
    reduction = _legacy(size_average, reduce, reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        t = target
        stirling = t * t.log() - t + (t * 6.283185307179586).log() * 0.5
        loss = loss + _native.where(t > 1, stirling, stirling * 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    var = var.clamp(min=eps)
    loss = (var.log() + (input - target) ** 2 / var) * 0.5
    if full:
        loss = loss + 0.9189385332046727
    return _reduce(loss, reduction)


def _tensors(name, **args):
    # Arithmetic on a list would repeat it (``[1, 2] * 2**40``) long before an error.
    for i, (k, v) in enumerate(args.items()):
        if not isinstance(v, Tensor):
            raise TypeError(f"{name}(): argument '{k}' (position {i + 1}) must be Tensor, not {type(v).__name__}")


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    _tensors("cosine_similarity", x1=x1, x2=x2)
    num = (x1 * x2).sum(dim)
    n1 = (x1 * x1).sum(dim).clamp(min=eps * eps).sqrt()
    n2 = (x2 * x2).sum(dim).clamp(min=eps * eps).sqrt()
    return num / (n1 * n2)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    _tensors("pairwise_distance", x1=x1, x2=x2)
    d = (x1 - x2 + eps).abs()
    return (d ** p).sum(-1, keepdim=keepdim) ** (1.0 / p)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    _tensors("margin_ranking_loss", input1=input1, input2=input2, target=target)
    reduction = _legacy(size_average, reduce, reduction)
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    _tensors("hinge_embedding_loss", input=input, target=target)
    reduction = _legacy(size_average, reduce, reduction)
    zero = input * 0.0
    loss = _native.where(target == 1, input, zero) + _native.where(target == -1, (-input + margin).clamp(min=0), zero)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    cos = cosine_similarity(input1, input2, dim=-1, eps=1e-12)
    loss = _native.where(target == 1, 1 - cos, (cos - margin).clamp(min=0))
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    dp = pairwise_distance(anchor, positive, p, eps)
    dn = pairwise_distance(anchor, negative, p, eps)
    if swap:
        ds = pairwise_distance(positive, negative, p, eps)
        dn = _native.where(ds < dn, ds, dn)
    return _reduce((dp - dn + margin).clamp(min=0), reduction)

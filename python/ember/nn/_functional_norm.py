"""Normalisation and embedding for ``ember.nn.functional``.

Batch/layer/group norm compose mean and variance reductions (so they differentiate twice);
``embedding`` is a native gather whose backward sums rows and skips ``padding_idx``.
"""
from .. import _native


def _stats(x, dims):
    mean = x.mean(dims, keepdim=True)
    d = x - mean
    var = (d * d).mean(dims, keepdim=True)
    return mean, d, var


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    if input.ndim < 2:
        raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")
    c = input.shape[1]
    dims = [0] + list(range(2, input.ndim))
    shape = [1, c] + [1] * (input.ndim - 2)
    # Every argument is checked before the running statistics are touched, and they are
    # written last: an error leaves them as they were.
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    updates = []
    if training:
        n = input.numel() // c
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(input.shape)}")
        mean, d, var = _stats(input, dims)
        if running_mean is not None or running_var is not None:
            from ..autograd import no_grad

            with no_grad():
                m = momentum if momentum is not None else 0.0
                # Running variance uses the unbiased estimate; the normalisation the biased one.
                for stat, batch, f in ((running_mean, mean, m), (running_var, var, m * n / (n - 1))):
                    if stat is None:
                        continue
                    if not stat.dtype.is_floating_point:
                        raise RuntimeError(f"batch_norm: running statistics must be floating point, got {stat.dtype}")
                    new = stat * (1 - m) + batch.detach().reshape(c).to(stat.dtype) * f
                    updates.append((stat, new.reshape(stat.shape)))
        y = d / (var + eps).sqrt()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        y = (input - running_mean.reshape(shape)) / (running_var.reshape(shape) + eps).sqrt()
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    if updates:
        from ..autograd import no_grad

        with no_grad():
            for stat, new in updates:
                stat.copy_(new)
    return y


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    dims = list(range(2, input.ndim))
    _, d, var = _stats(input, dims)
    y = d / (var + eps).sqrt()
    shape = [1, input.shape[1]] + [1] * (input.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size{list(input.shape)}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != normalized_shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(p.shape)} and normalized_shape = {list(normalized_shape)}")
    dims = list(range(input.ndim - k, input.ndim))
    _, d, var = _stats(input, dims)
    y = d / (var + eps).sqrt()
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def rms_norm(input, normalized_shape, weight=None, eps=None):
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    dims = list(range(input.ndim - len(normalized_shape), input.ndim))
    if eps is None:
        eps = _finfo_eps(input)
    y = input / ((input * input).mean(dims, keepdim=True) + eps).sqrt()
    return y * weight if weight is not None else y


def _finfo_eps(x):
    from .._dtypes import finfo
    return finfo(x.dtype).eps


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    n, c = input.shape[0], input.shape[1]
    if c % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of shape "
                           f"{list(input.shape)} and num_groups={num_groups}")
    x = input.reshape(n, num_groups, -1)
    _, d, var = _stats(x, [2])
    y = (d / (var + eps).sqrt()).reshape(tuple(input.shape))
    shape = [1, c] + [1] * (input.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    if p == 2.0:
        norm = (input * input).sum(dim, keepdim=True).sqrt()
    else:
        norm = (input.abs() ** p).sum(dim, keepdim=True) ** (1.0 / p)
    return input / norm.clamp(min=eps)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    if padding_idx is not None:
        if padding_idx < 0:
            padding_idx += weight.shape[0]
        if not 0 <= padding_idx < weight.shape[0]:
            raise AssertionError("Padding_idx must be within num_embeddings")
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    return _native._embedding(weight, input, padding_idx)


def _renorm_rows(weight, input, max_norm, norm_type):
    """``max_norm``: rows looked up are rescaled in place to norm ≤ max_norm (PyTorch's embedding_renorm_)."""
    from ..autograd import no_grad

    with no_grad():
        for i in sorted(set(int(v) for v in input.reshape(-1).tolist())):
            row = weight[i]
            norm = float((row.abs() ** norm_type).sum().item()) ** (1.0 / norm_type)
            if norm > max_norm:
                row.mul_(max_norm / (norm + 1e-7))

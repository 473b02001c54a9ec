"""The ``torch.*`` forms of nn ops (ATen's signatures: ``torch.dropout(input, p, train)``,
``torch.embedding(weight, indices, …)``, losses taking ``reduction`` as an int), the
``torch.<op>_(input, …)`` in-place forwarders, and the in-place Tensor methods ember still lacked
(each computes out of place, then writes into self with one ``copy_``)."""
from ._native import Tensor
from ._argcheck import checked as _checked

__all__ = []

_REDUCTION = {0: "none", 1: "mean", 2: "sum"}


def _F():
    import ember.nn.functional as F
    return F


def _red(r):
    return _REDUCTION.get(r, r) if isinstance(r, int) else r  # an unknown code is refused by the loss itself


def _export(fn):
    __all__.append(fn.__name__)
    return fn


# ---- functional ops that PyTorch also exposes as torch.<name> with the same arguments ----
_SAME = """adaptive_avg_pool1d adaptive_max_pool1d avg_pool1d bilinear celu celu_ channel_shuffle conv1d conv2d conv3d
conv_tbc conv_transpose1d conv_transpose2d conv_transpose3d cosine_similarity hardshrink max_pool1d
max_pool1d_with_indices max_pool2d max_pool3d native_channel_shuffle pairwise_distance pdist pixel_shuffle
pixel_unshuffle prelu rms_norm rrelu rrelu_ selu selu_ threshold threshold_ embedding_bag""".split()


def _same(name):
    def fn(*args, **kwargs):
        return getattr(_F(), name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``ember.{name}`` is ``ember.nn.functional.{name}``."
    globals()[name] = fn
    __all__.append(name)


for _n in _SAME:
    _same(_n)


@_export
def dropout(input, p, train):
    return _F().dropout(input, p, train)


@_export
def dropout_(input, p, train):
    return _F().dropout(input, p, train, inplace=True)


@_export
def alpha_dropout(input, p, train):
    return _F().alpha_dropout(input, p, train)


@_export
def alpha_dropout_(input, p, train):
    return _F().alpha_dropout(input, p, train, inplace=True)


@_export
def feature_alpha_dropout(input, p, train):
    return _F().feature_alpha_dropout(input, p, train)


@_export
def feature_alpha_dropout_(input, p, train):
    return _F().feature_alpha_dropout(input, p, train, inplace=True)


def _feature_dropout(input, p, train, inplace):
    F = _F()
    fn = {3: F.dropout1d, 4: F.dropout2d, 5: F.dropout3d}.get(input.ndim, F.dropout2d)
    return fn(input, p, train, inplace)


@_export
def feature_dropout(input, p, train):
    """Dropout of whole channels (one draw per (N, C) slice)."""
    return _feature_dropout(input, p, train, False)


@_export
def feature_dropout_(input, p, train):
    return _feature_dropout(input, p, train, True)


@_export
def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled=True):
    return _F().batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


@_export
def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled=True):
    return _F().instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


@_export
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    return _F().layer_norm(input, normalized_shape, weight, bias, eps)


@_export
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    return _F().group_norm(input, num_groups, weight, bias, eps)


@_export
def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """ATen's argument order: the table first; ``padding_idx=-1`` means none."""
    return _F().embedding(indices, weight, None if padding_idx == -1 else padding_idx)


@_export
def embedding_renorm_(input, indices, max_norm, norm_type):
    """Rescales, in place, the rows of ``input`` listed in ``indices`` to p-norm ≤ max_norm."""
    from .nn._functional_norm import _renorm_rows
    _renorm_rows(input, indices, max_norm, norm_type)
    return input


# ---- losses with an int reduction (0 none, 1 mean, 2 sum) ----
@_export
def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    return _F().binary_cross_entropy_with_logits(input, target, weight, reduction=_red(reduction), pos_weight=pos_weight)


@_export
def kl_div(input, target, reduction=1, *, log_target=False):
    return _F().kl_div(input, target, reduction=_red(reduction), log_target=log_target)


@_export
def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=1):
    return _F().cosine_embedding_loss(input1, input2, target, margin, reduction=_red(reduction))


@_export
def hinge_embedding_loss(input, target, margin=1.0, reduction=1):
    return _F().hinge_embedding_loss(input, target, margin, reduction=_red(reduction))


@_export
def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=1):
    return _F().margin_ranking_loss(input1, input2, target, margin, reduction=_red(reduction))


@_export
def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return _F().poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=_red(reduction))


@_export
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, reduction=1):
    return _F().triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction=_red(reduction))


@_export
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1, zero_infinity=False):
    return _F().ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, _red(reduction), zero_infinity)


# ---- in-place Tensor methods (out of place, then copy_) ----
def _inplace(name, base):
    def method(self, *args, **kwargs):
        return self.copy_(getattr(self, base)(*args, **kwargs))

    method.__name__ = name
    method.__doc__ = f"In-place ``{base}``."
    setattr(Tensor, name, method)


for _n, _b in [("cumsum_", "cumsum"), ("cumprod_", "cumprod"), ("divide_", "div"), ("float_power_", "float_power"),
               ("logical_not_", "logical_not"), ("subtract_", "sub"), ("bitwise_not_", "bitwise_not"),
               ("clamp_max_", "clamp_max"), ("clamp_min_", "clamp_min")]:
    if not hasattr(Tensor, _n):
        _inplace(_n, _b)

Tensor.hardshrink = lambda self, lambd=0.5: _F().hardshrink(self, lambd)
Tensor.prelu = lambda self, weight: _F().prelu(self, weight)


# ---- torch.<op>_(input, ...): the in-place method ----
_INPLACE = """acos_ acosh_ addmv_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ atan_ atanh_ ceil_ cos_
cosh_ deg2rad_ detach_ erf_ erfc_ exp2_ expm1_ fill_ fix_ floor_ frac_ gcd_ lcm_ ldexp_ log10_ log1p_ log2_ log_ logit_
nan_to_num_ negative_ rad2deg_ reciprocal_ round_ rsqrt_ sin_ sinc_ sinh_ sqrt_ square_ tan_ trunc_ xlogy_ clamp_max_
clamp_min_ get_device""".split()


def _method_fn(name):
    def fn(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``ember.{name}(input, ...)`` is ``input.{name}(...)``."
    globals()[name] = fn
    _checked(fn)  # checks its input itself; the rest goes to a Tensor method
    __all__.append(name)


for _n in _INPLACE:
    _method_fn(_n)


# ---- Python-callable maps (CPU; element by element, as PyTorch's are) ----
def apply_(self, callable):
    """Replaces each element x by ``callable(x)`` (CPU only, slow: for tests and small tensors)."""
    if self.device.type != "cpu":
        raise TypeError("apply_ is only implemented on CPU tensors")
    from ._creation import tensor
    flat = [callable(v) for v in self.reshape(-1).tolist()]
    return self.copy_(tensor(flat, dtype=self.dtype).reshape(self.shape) if flat else self)


def map_(self, tensor, callable):
    """self[i] = callable(self[i], tensor[i]) with ``tensor`` broadcast to self's shape."""
    if self.device.type != "cpu":
        raise TypeError("map_ is only implemented on CPU tensors")
    from ._creation import tensor as mk
    other = tensor.expand(*self.shape).reshape(-1).tolist()
    flat = [callable(a, b) for a, b in zip(self.reshape(-1).tolist(), other)]
    return self.copy_(mk(flat, dtype=self.dtype).reshape(self.shape) if flat else self)


def map2_(self, x, y, callable):
    """self[i] = callable(self[i], x[i], y[i]) with x and y broadcast to self's shape."""
    if self.device.type != "cpu":
        raise TypeError("map2_ is only implemented on CPU tensors")
    from ._creation import tensor as mk
    xs, ys = x.expand(*self.shape).reshape(-1).tolist(), y.expand(*self.shape).reshape(-1).tolist()
    flat = [callable(a, b, c) for a, b, c in zip(self.reshape(-1).tolist(), xs, ys)]
    return self.copy_(mk(flat, dtype=self.dtype).reshape(self.shape) if flat else self)


Tensor.apply_, Tensor.map_, Tensor.map2_ = apply_, map_, map2_


def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False, layout=None,
                      pin_memory=False):
    from ._ops_build import empty_strided
    return empty_strided(size, stride, dtype=self.dtype if dtype is None else dtype,
                         device=self.device if device is None else device, requires_grad=requires_grad)


Tensor.new_empty_strided = new_empty_strided


def as_subclass(self, cls):
    """This tensor's data (shared) as an instance of the Tensor subclass ``cls``, with no history."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(f"as_subclass(): expected a subclass of Tensor, got {cls}")
    from .multiprocessing.reductions import _as_class
    return _as_class(self.detach(), cls, self.requires_grad)


Tensor.as_subclass = as_subclass

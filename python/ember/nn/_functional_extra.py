"""More of ``ember.nn.functional``, composed from differentiable tensor ops: shrink and
randomized activations, channel shuffle, ``pdist``, ``gumbel_softmax``, local response norm,
feature alpha dropout, margin and CTC losses, ``embedding_bag``, ``affine_grid``/``grid_sample``."""
import math

import ember
from .._native import Tensor

__all__ = ["hardshrink", "softshrink", "rrelu", "rrelu_", "elu_", "celu_", "selu_", "leaky_relu_", "hardtanh_",
           "threshold_", "channel_shuffle", "native_channel_shuffle", "pdist", "gumbel_softmax", "local_response_norm",
           "feature_alpha_dropout", "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
           "triplet_margin_with_distance_loss", "ctc_loss", "embedding_bag", "affine_grid", "grid_sample"]


def _F():
    return ember.nn.functional


from ._functional_loss import _legacy, _reduce  # noqa: E402  (one copy of the reduction rules)


# ---- activations ----
def hardshrink(input, lambd=0.5):
    """x where |x| > λ, else 0."""
    return input.where(input.abs() > lambd, input.new_zeros(()))


def softshrink(input, lambd=0.5):
    """x − λ above λ, x + λ below −λ, 0 between."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return (input - input.clamp(-lambd, lambd))


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU whose negative slope is drawn from U(lower, upper) per element in training, and
    is (lower + upper)/2 in evaluation."""
    if training:
        slope = ember.empty(*input.shape, dtype=input.dtype).uniform_(lower, upper)
    else:
        slope = (lower + upper) / 2.0
    y = input.where(input >= 0, input * slope)
    if inplace:
        return input.copy_(y)
    return y


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def elu_(input, alpha=1.0):
    return _F().elu(input, alpha, True)


def celu_(input, alpha=1.0):
    return _F().celu(input, alpha, True)


def selu_(input):
    return _F().selu(input, True)


def leaky_relu_(input, negative_slope=0.01):
    return _F().leaky_relu(input, negative_slope, True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return _F().hardtanh(input, min_val, max_val, True)


def threshold_(input, threshold, value):
    return _F().threshold(input, threshold, value, True)


def channel_shuffle(input, groups):
    """(N, C, *) with the channels of ``groups`` groups interleaved (ShuffleNet)."""
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with sizes "
                           f"{list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c = input.shape[0], input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    rest = list(input.shape[2:])
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)


native_channel_shuffle = channel_shuffle


def pdist(input, p=2):
    """Distances between each pair of rows of an (N, M) input: the upper triangle of cdist, flat."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    i, j = ember.triu_indices(n, n, 1)
    diff = input.index_select(0, i) - input.index_select(0, j)
    from .._ops_reduce import vector_norm
    return vector_norm(diff, p, -1)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + Gumbel noise) / τ); ``hard`` returns one-hot samples whose gradient is the
    soft sample's (straight-through estimator)."""
    g = -ember.empty(*logits.shape, dtype=logits.dtype).exponential_().log()
    y = ((logits + g) / tau).softmax(dim)
    if not hard:
        return y
    idx = y.argmax(dim, keepdim=True)
    y_hard = ember.zeros_like(logits).scatter(dim, idx, 1.0)
    return y_hard - y.detach() + y


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + α · mean of x² over ``size`` neighbouring channels)^β."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    sq = (input * input).movedim(1, -1)
    sq = _F().pad(sq, (size // 2, (size - 1) // 2))
    avg = sq.unfold(-1, size, 1).mean(-1).movedim(-1, 1)
    return input / (avg * alpha + k).pow(beta)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels (one draw per (N, C) feature map), keeping SELU's mean/var."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    alpha = -1.7580993408473766
    shape = list(input.shape[:2]) + [1] * (input.ndim - 2)
    keep = ember.empty(*shape, dtype=input.dtype).bernoulli_(1 - p)
    if p == 1.0:
        y = input * 0.0 + alpha * 0.0
    else:
        a = ((1 - p) * (1 + p * alpha ** 2)) ** -0.5
        b = -a * alpha * p
        y = (input * keep + (1 - keep) * alpha) * a + b
    return input.copy_(y) if inplace else y


# ---- losses ----
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Σ_{j≠y} max(0, margin − x_y + x_j)^p / C (times weight[y])."""
    reduction = _legacy(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = target.reshape(-1)
    if x.shape[0] != t.shape[0]:
        raise RuntimeError(f"inconsistent target size, expected {x.shape[0]} but got {list(target.shape)}")
    c = x.shape[1]
    xy = x.gather(1, t.unsqueeze(1))
    m = (margin - xy + x).clamp(min=0)
    if p == 2:
        m = m * m
    if weight is not None:
        m = m * weight.index_select(0, t).unsqueeze(1)
    not_y = ember.arange(c).unsqueeze(0) != t.unsqueeze(1)
    loss = (m * not_y.to(m.dtype)).sum(1) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Σ_{j ∈ targets} Σ_{i ∉ targets} max(0, 1 − (x_j − x_i)) / C; targets end at the first −1."""
    reduction = _legacy(size_average, reduce, reduction)
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = target if target.ndim == 2 else target.reshape(1, -1)
    if list(x.shape) != list(t.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    n, c = x.shape
    # is_target[b, k]: class k is among b's targets (those before the first −1).
    valid = (t >= 0).to(ember.int64).cumprod(1).bool()
    tt = t.clamp(min=0)
    is_target = ember.zeros(n, c, dtype=x.dtype).scatter_add(1, tt, valid.to(x.dtype)) > 0
    xt = x.gather(1, tt)  # (n, c): x at each target slot
    margins = (1 - (xt.unsqueeze(2) - x.unsqueeze(1))).clamp(min=0)  # (n, slot, class)
    use = valid.unsqueeze(2) & (~is_target).unsqueeze(1)
    loss = (margins * use.to(x.dtype)).sum((1, 2)) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """−mean_c [y·log σ(x) + (1 − y)·log σ(−x)] per sample."""
    reduction = _legacy(size_average, reduce, reduction)
    F = _F()
    loss = -(target * F.logsigmoid(input) + (1 - target) * F.logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(-1) / input.shape[-1]
    return _reduce(loss, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """max(d(a, p) − d(a, n) + margin, 0) with any distance function (pairwise L2 by default)."""
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} instead")
    if anchor.ndim != positive.ndim or anchor.ndim != negative.ndim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative "
                           f"{negative.ndim}D inputs")
    dist = distance_function if distance_function is not None else _F().pairwise_distance
    dp, dn = dist(anchor, positive), dist(anchor, negative)
    if swap:
        dn = ember.minimum(dn, dist(positive, negative))
    loss = (dp - dn + margin).clamp(min=0)
    return _reduce(loss, reduction)


def _lse0(x):
    """logsumexp over dim 0 whose gradient stays finite where every term is −inf (unreachable
    CTC states): there the result is −inf and the gradient 0, as in PyTorch's CTC backward."""
    m = x.detach().amax(0)
    m = m.where(m.isfinite(), m.new_zeros(()))
    s = (x - m).exp().sum(0)
    ok = s > 0
    return (s.where(ok, s.new_ones(())).log() + m).where(ok, s.new_full((), float("-inf")))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """Connectionist temporal classification: −log Σ over alignments of the target, by the forward
    (α) recursion in log space over the blank-extended target l' = (b, l1, b, l2, …, b).

    α_t(s) = logsumexp(α_{t−1}(s), α_{t−1}(s−1), α_{t−1}(s−2) if l'_s ≠ b and l'_s ≠ l'_{s−2}) + y_t(l'_s);
    the loss is −logsumexp(α_{T−1}(S−1), α_{T−1}(S−2))."""
    lp = log_probs if log_probs.ndim == 3 else log_probs.unsqueeze(1)
    T, N, C = lp.shape
    il = input_lengths.tolist() if isinstance(input_lengths, Tensor) else list(input_lengths)
    tl = target_lengths.tolist() if isinstance(target_lengths, Tensor) else list(target_lengths)
    if isinstance(il, int):
        il, tl = [il], [tl]
    tg = targets if targets.ndim > 0 else targets.reshape(1)
    concatenated = tg.ndim == 1 and (log_probs.ndim == 3 or len(tl) > 1 or tg.shape[0] != tl[0])
    if log_probs.ndim == 2 and tg.ndim == 1:
        tg = tg.unsqueeze(0)
        concatenated = False
    losses, offset = [], 0
    ninf = float("-inf")
    for b in range(N):
        L, Tb = int(tl[b]), int(il[b])
        if Tb > T:
            raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value {Tb} (while checking "
                               f"arguments for ctc_loss_cpu)")
        if concatenated:
            lab = tg[offset:offset + L].tolist()
            offset += L
        else:
            lab = tg[b, :L].tolist()
        ext = [blank]
        for c in lab:
            ext += [c, blank]
        S = len(ext)
        idx = ember.tensor(ext, dtype=ember.int64)
        y = lp[:Tb, b].index_select(1, idx)  # (Tb, S)
        can_skip = [False, False] + [ext[s] != blank and ext[s] != ext[s - 2] for s in range(2, S)]
        skip_mask = ember.tensor(can_skip)
        neg = ember.full((1,), ninf, dtype=lp.dtype)
        init = [0.0 if s < 2 else ninf for s in range(S)]
        alpha = y[0] + ember.tensor(init, dtype=lp.dtype)
        for t in range(1, Tb):
            a1 = ember.cat([neg, alpha[:-1]])
            a2 = ember.cat([neg, neg, alpha[:-2]]) if S > 1 else ember.cat([neg, alpha[:-1]])[:S]
            a2 = a2.where(skip_mask, ember.full((), ninf, dtype=lp.dtype))
            alpha = _lse0(ember.stack([alpha, a1, a2])) + y[t]
        if Tb == 0:
            nll = ember.full((), 0.0 if L == 0 else math.inf, dtype=lp.dtype)
        else:
            nll = -_lse0(alpha[-2:]) if S > 1 else -alpha[-1]
        losses.append(nll)
    loss = ember.stack(losses)
    if zero_infinity:
        loss = loss.where(loss != math.inf, loss.new_zeros(()))
    if reduction == "mean":
        tlen = ember.tensor([max(int(v), 1) for v in tl], dtype=loss.dtype)
        return (loss / tlen).mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss if log_probs.ndim == 3 else loss.reshape(())
    raise ValueError(f"{reduction} is not a valid value for reduction")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxes of bags of embeddings: bags are the rows of a 2-D ``input``, or the
    slices of a 1-D ``input`` starting at each of ``offsets``."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  f"GitHub.")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed "
                             "length sequences. However, found offsets of type Tensor")
        b, l = input.shape
        offsets = ember.arange(0, b * l, l) if l else ember.zeros(b, dtype=ember.int64)
        flat = input.reshape(-1)
        psw = per_sample_weights.reshape(-1) if per_sample_weights is not None else None
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        flat, psw = input, per_sample_weights
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    offs = offsets.tolist()
    if include_last_offset:
        offs = offs[:-1]
    nb = len(offs)
    n = flat.shape[0]
    if offs and offs[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {offs[0]}")
    if max_norm is not None:
        with ember.no_grad():
            _F().embedding(flat, weight, None, max_norm, norm_type)  # renormalises the looked-up rows in place
    keep = ember.ones(n, dtype=ember.bool) if padding_idx is None else flat != (padding_idx % weight.shape[0])
    bag = (ember.searchsorted(ember.tensor(offs, dtype=ember.int64), ember.arange(n), right=True) - 1) if nb else \
        ember.zeros(0, dtype=ember.int64)
    return _EmbeddingBag.apply(weight, psw, (flat, bag, keep, nb, mode))


class _EmbeddingBag(ember.autograd.Function):
    """One node for the whole bag reduction (``EmbeddingBagBackward0``, as PyTorch), over the
    flattened indices ``flat``, each one's bag number ``bag`` and the mask ``keep`` of
    non-padding entries; gradients are written with differentiable ops (double backward works)."""
    _node_name = "EmbeddingBagBackward0"

    @staticmethod
    def forward(ctx, weight, psw, index):
        flat, bag, keep, nb, mode = index
        n, d = flat.shape[0], weight.shape[1]
        emb = weight.index_select(0, flat) * keep.unsqueeze(1).to(weight.dtype)
        ctx.index = index
        if mode in ("sum", "mean"):
            # Each entry's weight in its bag: 1 (sum), 1/count (mean), times per_sample_weights;
            # the constant part is kept apart so that backward multiplies psw in differentiably.
            ctx.base_scale = keep.to(weight.dtype)
            if mode == "mean":
                counts = ember.zeros(nb, dtype=weight.dtype).index_add(0, bag, keep.to(weight.dtype)).clamp(min=1)
                ctx.base_scale = ctx.base_scale / counts.index_select(0, bag)
            scale = ctx.base_scale if psw is None else ctx.base_scale * psw
            ctx.save_for_backward(weight, psw)
            return ember.zeros(nb, d, dtype=weight.dtype).index_add(0, bag, emb * scale.unsqueeze(1))
        big = emb.where(keep.unsqueeze(1), ember.full((), float("-inf"), dtype=emb.dtype))
        out = ember.full((nb, d), float("-inf"), dtype=weight.dtype)
        out = out.scatter_reduce(0, bag.unsqueeze(1).expand(n, d), big, "amax", include_self=True)
        # The gradient of a max goes to the first entry of the bag that attains it.
        pos = ember.arange(n).unsqueeze(1).expand(n, d)
        hit = (big == out.index_select(0, bag)) & keep.unsqueeze(1)
        cand = pos.where(hit, ember.full((), n, dtype=pos.dtype))
        first = ember.full((nb, d), n, dtype=pos.dtype).scatter_reduce(0, bag.unsqueeze(1).expand(n, d), cand, "amin")
        ctx.winner = first.index_select(0, bag) == pos if nb else hit
        ctx.save_for_backward(weight, psw)
        return out.where(out != float("-inf"), out.new_zeros(()))

    @staticmethod
    def backward(ctx, grad):
        weight, psw = ctx.saved_tensors
        flat, bag, keep, nb, mode = ctx.index
        g = grad.index_select(0, bag)  # each entry's bag's output gradient, (n, d)
        if mode == "max":
            contrib = g * ctx.winner.to(g.dtype)
        else:
            scale = ctx.base_scale if psw is None else ctx.base_scale * psw
            contrib = g * scale.unsqueeze(1)
        grad_weight = ember.zeros_like(weight).index_add(0, flat, contrib) if ctx.needs_input_grad[0] else None
        grad_psw = None
        if psw is not None and ctx.needs_input_grad[1]:
            grad_psw = (g * weight.index_select(0, flat)).sum(1) * keep.to(g.dtype)
        return grad_weight, grad_psw, None


# ---- spatial transformers ----
def affine_grid(theta, size, align_corners=None):
    """Sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps ``theta`` (N, 2, 3) / (N, 3, 4)
    applied to normalised [-1, 1] output coordinates."""
    ac = bool(align_corners)
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = list(size)
    nsp = len(size) - 2
    if nsp not in (2, 3):
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if list(theta.shape[1:]) != [nsp, nsp + 1]:
        raise ValueError(f"Expected a batch of {nsp}D affine matrices of shape Nx{nsp}x{nsp + 1} for size {size}. Got "
                         f"{list(theta.shape)}.")

    def lin(n):
        if n <= 1:
            return ember.zeros(max(n, 1), dtype=theta.dtype)
        v = ember.linspace(-1, 1, n, dtype=theta.dtype)
        return v if ac else v * (n - 1) / n

    sp = size[2:][::-1]  # x (W), y (H), z (D)
    axes = [lin(n) for n in sp]
    grids = ember.meshgrid(*axes[::-1], indexing="ij")[::-1]  # x, y(, z), each of shape (D,)H,W
    base = ember.stack(list(grids) + [ember.ones(*grids[0].shape, dtype=theta.dtype)], -1)
    pts = base.reshape(1, -1, nsp + 1)
    out = pts.matmul(theta.transpose(1, 2))
    return out.reshape(size[0], *size[2:], nsp)


def _reflect(x, twice_low, twice_high):
    """PyTorch's reflect_coordinates: fold x back into [low, high] by mirror reflections."""
    if twice_low == twice_high:
        return x * 0.0
    lo, span = twice_low / 2.0, (twice_high - twice_low) / 2.0
    x = (x - lo).abs()
    flips = (x / span).floor()
    extra = x - flips * span
    even = (flips.remainder(2) == 0)
    return (extra + lo).where(even, span - extra + lo)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Samples (N, C, H, W) or (N, C, D, H, W) ``input`` at the normalised locations in ``grid``
    ((N, Ho, Wo, 2) or (N, Do, Ho, Wo, 3), x first, −1..1): bilinear/trilinear or nearest, with
    zeros, border or reflection padding."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if input.ndim not in (4, 5) or grid.ndim != input.ndim or grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but got "
                           f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if mode == "bicubic":
        raise NotImplementedError("grid_sample(mode='bicubic') is not supported by ember yet")
    ac = bool(align_corners)
    nsp = input.ndim - 2
    n, c = input.shape[0], input.shape[1]
    sizes = list(input.shape[2:])  # (D,) H, W
    coords = []  # per spatial dim in input order, from the grid's reversed (x, y, z) components
    for i in range(nsp):
        g = grid[..., nsp - 1 - i]
        size = sizes[i]
        x = (g + 1) / 2 * (size - 1) if ac else ((g + 1) * size - 1) / 2
        if padding_mode == "border":
            x = x.clamp(0, size - 1)
        elif padding_mode == "reflection":
            x = _reflect(x, 0, 2 * (size - 1)) if ac else _reflect(x, -1, 2 * size - 1)
            x = x.clamp(0, size - 1)
        coords.append(x)
    flat = input.reshape(n, c, -1)
    out_sp = list(grid.shape[1:-1])

    def tap(idx):
        inside = None
        lin = None
        for i, ix in enumerate(idx):
            ok = (ix >= 0) & (ix <= sizes[i] - 1)
            inside = ok if inside is None else inside & ok
            ci = ix.clamp(0, sizes[i] - 1)
            lin = ci if lin is None else lin * sizes[i] + ci
        v = flat.gather(2, lin.long().reshape(n, 1, -1).expand(n, c, -1)).reshape(n, c, *out_sp)
        return v * inside.unsqueeze(1).to(v.dtype)

    if mode == "nearest":
        return tap([x.round() for x in coords])
    lows = [x.floor() for x in coords]
    fr = [(x - lo).unsqueeze(1) for x, lo in zip(coords, lows)]
    out = None
    for corner in range(1 << nsp):
        idx, w = [], None
        for i in range(nsp):
            bit = (corner >> (nsp - 1 - i)) & 1
            idx.append(lows[i] + bit)
            wi = fr[i] if bit else 1 - fr[i]
            w = wi if w is None else w * wi
        term = tap(idx) * w
        out = term if out is None else out + term
    return out


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    """cross_entropy(linear(input, W, b), target), W of shape (C, *out_features, in_features).
    ``options`` (PyTorch's chunking strategy) changes memory use only, never the value."""
    F = _F()
    c, *out_features, in_features = linear_weight.shape
    logits = F.linear(input, linear_weight.reshape(-1, in_features),
                      None if linear_bias is None else linear_bias.reshape(-1))
    logits = logits.reshape(*input.shape[:-1], c, *out_features)
    kw = dict(weight=weight, reduction=reduction, label_smoothing=label_smoothing)
    if ignore_index is not None:
        kw["ignore_index"] = ignore_index
    return F.cross_entropy(logits, target, **kw)


__all__ += ["linear_cross_entropy"]

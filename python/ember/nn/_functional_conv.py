"""Convolution, pooling, padding and resampling for ``ember.nn.functional``.

conv2d / max_pool2d / avg_pool2d / adaptive_avg_pool2d are native kernels; the 1-D forms run
the 2-D kernel on a height-1 image; ``pad`` and ``interpolate`` compose indexing ops.
"""
import math

from .. import _native


def _pair(v, n=2):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return tuple(v) * n
        return tuple(v)
    return (v,) * n


def _batched(input, nspatial, name):
    """Adds the batch dim to unbatched input; returns (input, squeeze_back)."""
    if input.ndim == nspatial + 1:
        return input.unsqueeze(0), True
    if input.ndim != nspatial + 2:
        kind = {1: ("2D", "3D"), 2: ("3D", "4D")}[nspatial]
        raise RuntimeError(f"Expected {kind[0]} (unbatched) or {kind[1]} (batched) input to {name}, "
                           f"but got input of size: {list(input.shape)}")
    return input, False


# ---- convolution ----
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    x, unb = _batched(input, 2, "conv2d")
    stride, dilation = _pair(stride), _pair(dilation)
    kh, kw = weight.shape[2], weight.shape[3]
    if isinstance(padding, str):
        if padding == "valid":
            pad = [0, 0, 0, 0]
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            # Extra padding for even kernels goes on the bottom/right, as PyTorch does.
            th, tw = dilation[0] * (kh - 1), dilation[1] * (kw - 1)
            pad = [th // 2, th - th // 2, tw // 2, tw - tw // 2]
        else:
            raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
    else:
        ph, pw = _pair(padding)
        pad = [ph, ph, pw, pw]
    out = _native._conv2d(x, weight, bias, stride, pad, dilation, groups)
    return out.squeeze(0) if unb else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    x, unb = _batched(input, 1, "conv1d")
    if isinstance(padding, str):
        pad = padding
    else:
        pad = (0, _pair(padding, 1)[0])
    out = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, _pair(stride, 1)[0]), pad,
                 (1, _pair(dilation, 1)[0]), groups).squeeze(2)
    return out.squeeze(0) if unb else out


# ---- pooling ----
def _pool_out(size, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    num = size + 2 * p - eff
    out = (-(-num // s) if ceil_mode else num // s) + 1
    # The last window must start inside the input or its left padding.
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    if out < 1:
        raise RuntimeError(f"Given input size: ({size}). Calculated output size: ({out}). Output size is too small")
    return out


def _pool_args(kernel_size, stride, padding, dilation, name="max_pool2d"):
    k = _pair(kernel_size)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _pair(stride)
    p, d = _pair(padding), _pair(dilation)
    for what, v in (("kernel_size", k), ("stride", s), ("dilation", d)):
        if any(x <= 0 for x in v):
            raise RuntimeError(f"{name}: {what} must be greater than zero, but got {v}")
    for i in range(2):
        if p[i] > k[i] // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[i]}, "
                               f"kernel_size={k[i]} and dilation={d[i]}")
    return k, s, p, d


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True):
    x, unb = _batched(input, 2, "max_pool2d")
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation)
    oh = _pool_out(x.shape[2], k[0], s[0], p[0], d[0], ceil_mode)
    ow = _pool_out(x.shape[3], k[1], s[1], p[1], d[1], ceil_mode)
    out, idx = _native._max_pool2d(x, k, s, p, d, (oh, ow))
    if unb:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return out, idx


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    out, idx = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True):
    x, unb = _batched(input, 1, "max_pool1d")
    s = _pair(kernel_size, 1)[0] if stride is None else _pair(stride, 1)[0]
    out, idx = max_pool2d_with_indices(x.unsqueeze(2), (1, _pair(kernel_size, 1)[0]), (1, s), (0, _pair(padding, 1)[0]),
                                       (1, _pair(dilation, 1)[0]), ceil_mode)
    out, idx = out.squeeze(2), idx.squeeze(2)
    return (out.squeeze(0), idx.squeeze(0)) if unb else (out, idx)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    out, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    x, unb = _batched(input, 2, "avg_pool2d")
    k, s, p, _ = _pool_args(kernel_size, stride, padding, 1)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    oh = _pool_out(x.shape[2], k[0], s[0], p[0], 1, ceil_mode)
    ow = _pool_out(x.shape[3], k[1], s[1], p[1], 1, ceil_mode)
    out = _native._avg_pool2d(x, k, s, p, (oh, ow), count_include_pad,
                              None if divisor_override is None else float(divisor_override))
    return out.squeeze(0) if unb else out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    x, unb = _batched(input, 1, "avg_pool1d")
    s = _pair(kernel_size, 1)[0] if stride is None else _pair(stride, 1)[0]
    out = avg_pool2d(x.unsqueeze(2), (1, _pair(kernel_size, 1)[0]), (1, s), (0, _pair(padding, 1)[0]), ceil_mode,
                     count_include_pad).squeeze(2)
    return out.squeeze(0) if unb else out


def adaptive_avg_pool2d(input, output_size):
    x, unb = _batched(input, 2, "adaptive_avg_pool2d")
    oh, ow = _pair(output_size)
    oh = x.shape[2] if oh is None else oh
    ow = x.shape[3] if ow is None else ow
    out = _native._adaptive_avg_pool2d(x, (oh, ow))
    return out.squeeze(0) if unb else out


def adaptive_avg_pool1d(input, output_size):
    x, unb = _batched(input, 1, "adaptive_avg_pool1d")
    out = adaptive_avg_pool2d(x.unsqueeze(2), (1, _pair(output_size, 1)[0])).squeeze(2)
    return out.squeeze(0) if unb else out


def _adaptive_bounds(size, out):
    return [(o * size // out, -(-((o + 1) * size) // out)) for o in range(out)]


def adaptive_max_pool2d(input, output_size):
    """Composed from per-window maxima (windows overlap and vary in size, so no single kernel call)."""
    from .. import _ops_index  # noqa: F401  (stack/cat)
    import ember

    x, unb = _batched(input, 2, "adaptive_max_pool2d")
    oh, ow = _pair(output_size)
    oh = x.shape[2] if oh is None else oh
    ow = x.shape[3] if ow is None else ow
    rows = []
    for (h0, h1) in _adaptive_bounds(x.shape[2], oh):
        cols = []
        for (w0, w1) in _adaptive_bounds(x.shape[3], ow):
            cols.append(x[:, :, h0:h1, w0:w1].flatten(2).max(2)[0])
        rows.append(ember.stack(cols, -1))
    out = ember.stack(rows, -2)
    return out.squeeze(0) if unb else out


def adaptive_max_pool1d(input, output_size):
    x, unb = _batched(input, 1, "adaptive_max_pool1d")
    out = adaptive_max_pool2d(x.unsqueeze(2), (1, _pair(output_size, 1)[0])).squeeze(2)
    return out.squeeze(0) if unb else out


# ---- unfold / fold ----
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: (N, C, H, W) → (N, C·kh·kw, L), as a convolution with a one-hot kernel bank."""
    import ember

    n, c = input.shape[0], input.shape[1]
    kh, kw = _pair(kernel_size)
    eye = ember.eye(kh * kw, dtype=input.dtype).reshape(kh * kw, 1, kh, kw)
    w = eye.repeat(c, 1, 1, 1)
    out = conv2d(input, w, None, stride, padding, dilation, groups=c)
    return out.reshape(n, c * kh * kw, -1)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of ``unfold``: computed as the gradient of unfold at zero."""
    import ember

    oh, ow = _pair(output_size)
    kh, kw = _pair(kernel_size)
    n, ckk, _ = input.shape
    c = ckk // (kh * kw)
    with ember.enable_grad():
        z = ember.zeros(n, c, oh, ow, dtype=input.dtype, requires_grad=True)
        u = unfold(z, kernel_size, dilation, padding, stride)
        (g,) = ember.autograd.grad(u, z, input, create_graph=input.requires_grad)
    return g


# ---- padding and resampling ----
def pad(input, pad, mode="constant", value=None):
    import ember

    if len(pad) % 2 != 0:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension")
    out = input
    for i in range(len(pad) // 2):
        dim = input.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        size = out.shape[dim]
        if mode == "constant":
            if lo < 0:
                out = out.narrow(dim, -lo, out.shape[dim] + lo)
                lo = 0
            if hi < 0:
                out = out.narrow(dim, 0, out.shape[dim] + hi)
                hi = 0
            parts = []
            shape = list(out.shape)
            if lo:
                shape[dim] = lo
                parts.append(ember.full(shape, 0.0 if value is None else value, dtype=out.dtype, device=out.device))
            parts.append(out)
            if hi:
                shape[dim] = hi
                parts.append(ember.full(shape, 0.0 if value is None else value, dtype=out.dtype, device=out.device))
            out = ember.cat(parts, dim) if len(parts) > 1 else out
            continue
        if mode == "reflect":
            if lo >= size or hi >= size:
                raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                                   f"but got: padding ({lo}, {hi}) at dimension {dim} of input {list(input.shape)}")
            idx = list(range(lo, 0, -1)) + list(range(size)) + list(range(size - 2, size - 2 - hi, -1))
        elif mode == "replicate":
            idx = [0] * lo + list(range(size)) + [size - 1] * hi
        elif mode == "circular":
            idx = [(j - lo) % size for j in range(size + lo + hi)]
        else:
            raise NotImplementedError(f"pad mode {mode!r} is not supported")
        out = out.index_select(dim, ember.tensor(idx, dtype=ember.int64, device=out.device))
    return out


def _nearest_index(insize, outsize, scale):
    s = insize / outsize if scale is None else 1.0 / scale
    return [min(int(math.floor(o * s)), insize - 1) for o in range(outsize)]


def _linear_weights(insize, outsize, align_corners, scale):
    out = []
    for o in range(outsize):
        if align_corners:
            src = o * (insize - 1) / (outsize - 1) if outsize > 1 else 0.0
        else:
            s = insize / outsize if scale is None else 1.0 / scale
            src = max((o + 0.5) * s - 0.5, 0.0)
        i0 = min(int(math.floor(src)), insize - 1)
        i1 = min(i0 + 1, insize - 1)
        out.append((i0, i1, src - i0))
    return out


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    import ember

    nsp = input.ndim - 2
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    scales = [None] * nsp
    if size is None:
        sf = _pair(scale_factor, nsp)
        size = [int(math.floor(input.shape[2 + i] * sf[i])) for i in range(nsp)]
        if not recompute_scale_factor:
            scales = list(sf)
    size = _pair(size, nsp)
    if mode in ("nearest",):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear")
        out = input
        for i in range(nsp):
            idx = _nearest_index(input.shape[2 + i], size[i], scales[i])
            out = out.index_select(2 + i, ember.tensor(idx, dtype=ember.int64))
        return out
    if mode in ("linear", "bilinear"):
        ac = bool(align_corners)
        out = input
        for i in range(nsp):
            w = _linear_weights(input.shape[2 + i], size[i], ac, scales[i])
            dim = 2 + i
            a = out.index_select(dim, ember.tensor([t[0] for t in w], dtype=ember.int64))
            b = out.index_select(dim, ember.tensor([t[1] for t in w], dtype=ember.int64))
            shape = [1] * out.ndim
            shape[dim] = len(w)
            lam = ember.tensor([t[2] for t in w], dtype=input.dtype).reshape(shape)
            out = a + (b - a) * lam
        return out
    raise NotImplementedError(f"interpolate mode {mode!r} is not supported in ember yet (nearest, linear, bilinear are)")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):
    r = upscale_factor
    *lead, c, h, w = input.shape
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    n = len(lead)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    r = downscale_factor
    *lead, c, h, w = input.shape
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    n = len(lead)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)

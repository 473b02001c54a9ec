"""Convolution, pooling, padding and resampling for ``ember.nn.functional``.

conv2d / max_pool2d / avg_pool2d / adaptive_avg_pool2d are native kernels; the 1-D forms run
the 2-D kernel on a height-1 image; ``pad`` composes indexing ops (``interpolate`` lives in _functional_interp).
"""

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
    if weight.ndim != 4:
        raise RuntimeError(f"Expected 4-dimensional weight for conv2d, but got weight of size {list(weight.shape)}")
    kh, kw = weight.shape[2], weight.shape[3]
    # Checked here, before the kernel: these used to be accepted and give garbage or a panic.
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {kh} kernel_width: {kw}")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != weight.shape[0]):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{weight.shape[0]} elements, but got bias of size {list(bias.shape)} instead")
    if isinstance(padding, str):
        pad = padding  # "valid"/"same": Rust computes it with the rest of the geometry
    else:
        ph, pw = _pair(padding)
        pad = [ph, ph, pw, pw]
        if ph < 0 or pw < 0:
            raise RuntimeError("negative padding is not supported")
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
def _pool_args(kernel_size, stride, padding, dilation):
    """PyTorch's pooling arguments as pairs (stride defaults to the kernel). Rust validates them
    and computes the output geometry; only signs are checked here, since the native side takes
    unsigned sizes."""
    k = _pair(kernel_size)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _pair(stride)
    p, d = _pair(padding), _pair(dilation)
    if any(v < 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if any(v < 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}")
    if any(v < 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} dilationW: {d[1]}")
    if any(v < 0 for v in p):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(p)}")
    return k, s, p, d


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True):
    x, unb = _batched(input, 2, "max_pool2d")
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation)
    out, idx = _native._max_pool2d(x, k, s, p, d, bool(ceil_mode))
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
    out = _native._avg_pool2d(x, k, s, p, bool(ceil_mode), count_include_pad,
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
    if isinstance(oh, int) and isinstance(ow, int) and (oh < 0 or ow < 0):
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{oh}, {ow}}}")
    out = _native._adaptive_avg_pool2d(x, (oh, ow))
    return out.squeeze(0) if unb else out


def adaptive_avg_pool1d(input, output_size):
    x, unb = _batched(input, 1, "adaptive_avg_pool1d")
    out = adaptive_avg_pool2d(x.unsqueeze(2), (1, _pair(output_size, 1)[0])).squeeze(2)
    return out.squeeze(0) if unb else out


def _adaptive_windows(size, out, k):
    """Input positions of each of ``out`` adaptive windows over ``size``, ``k`` per window
    (window o spans [floor(o*size/out), ceil((o+1)*size/out)); shorter windows repeat their
    last position, which leaves a max unchanged), as one int64 index of out*k."""
    import ember

    if out == 0:
        return ember.zeros(0, dtype=ember.int64)
    o = ember.arange(out).unsqueeze(1)
    lo = (o * size) // out
    hi = -((-(o + 1) * size) // out)
    return ember.minimum(lo + ember.arange(k).unsqueeze(0), hi - 1).reshape(-1)


def adaptive_max_pool2d(input, output_size):
    """Separable: the max over each row window, then over each column window, each one
    gather (index_select of every window's positions) and one max; no loop over windows."""
    from .._limits import check_alloc

    x, unb = _batched(input, 2, "adaptive_max_pool2d")
    oh, ow = _pair(output_size)
    oh = x.shape[2] if oh is None else oh
    ow = x.shape[3] if ow is None else ow
    if oh < 0 or ow < 0:
        raise RuntimeError(f"adaptive_max_pool2d(): elements of output_size must be greater than or equal to 0 but "
                           f"received {{{oh}, {ow}}}")
    for d in range(1, 4):
        if x.shape[d] == 0:
            raise RuntimeError(f"adaptive_max_pool2d(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with dimension {d + unb - 1} "
                               "being empty")
    n, c, h, w = x.shape
    # The longest window: ceil(size/out), one more when the windows don't tile exactly.
    kh = -(-h // oh) + (1 if h % oh else 0) if oh else 1
    kw = -(-w // ow) + (1 if w % ow else 0) if ow else 1
    check_alloc("adaptive_max_pool2d", [n, c, oh * kh, w], x.element_size())
    check_alloc("adaptive_max_pool2d", [n, c, oh, ow * kw], x.element_size())
    rows = x.index_select(2, _adaptive_windows(h, oh, kh).to(x.device)).reshape(n, c, oh, kh, w).max(3)[0]
    out = rows.index_select(3, _adaptive_windows(w, ow, kw).to(x.device)).reshape(n, c, oh, ow, kw).max(4)[0]
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
    from .._limits import check_alloc

    final = list(input.shape)
    for i in range(len(pad) // 2):
        dim = input.ndim - 1 - i
        final[dim] = input.shape[dim] + pad[2 * i] + pad[2 * i + 1]
        if final[dim] < 0:
            raise RuntimeError(f"The input size {input.shape[dim]}, plus negative padding {pad[2 * i]} and "
                               f"{pad[2 * i + 1]} resulted in a negative output size, which is invalid. Check "
                               f"dimension {dim} of your input.")
    # Checked before any loop or index sized by the padding (the output, and an int64 index per dim).
    check_alloc("pad", final, input.element_size())
    for n in final:
        check_alloc("pad", [n], 8)
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
        # Output position p reads input position j = p - lo, folded back into [0, size).
        if mode not in ("reflect", "replicate", "circular"):
            raise NotImplementedError(f"pad mode {mode!r} is not supported")
        if mode == "circular" and (lo > size or hi > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        j = ember.arange(-lo, size + hi)
        if mode == "reflect":
            idx = (size - 1) - ((size - 1) - j.abs()).abs()
        elif mode == "replicate":
            idx = j.clamp(0, size - 1)
        else:
            idx = j % size
        out = out.index_select(dim, idx.to(out.device))
    return out


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

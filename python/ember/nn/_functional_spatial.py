"""N-d convolution and pooling composed from the native 2-D kernels and views:
``conv3d``, ``conv_transpose1d/2d/3d``, ``max_pool3d``, ``avg_pool3d``, adaptive 3-D pooling,
``lp_pool*``, ``max_unpool*``.

- conv3d: one 2-D convolution per depth tap kd, over the depth slices that tap reads (stride
  and dilation in depth become a stepped slice), summed over taps.
- conv_transposeNd: the adjoint of a strided convolution is a stride-1 convolution of the input
  with (s − 1) zeros inserted between elements, padded by d·(k − 1) − p, with the kernel
  flipped and its in/out channels swapped within each group.
- pooling: ``Tensor.unfold`` along each spatial dim gives every window as trailing dims (a view);
  max/mean over those dims. Padding is −inf for max and 0 for average.
"""
import math

import ember

from .. import _native
from ._functional_conv import conv2d


def _tup(v, n):
    if isinstance(v, (tuple, list)):
        return tuple(v) * n if len(v) == 1 else tuple(v)
    return (v,) * n


def _batched(input, nsp, name):
    if input.ndim == nsp + 1:
        return input.unsqueeze(0), True
    if input.ndim != nsp + 2:
        raise RuntimeError(f"Expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) input to {name}, but got input of "
                           f"size: {list(input.shape)}")
    return input, False


# ---- conv3d ----
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    x, unb = _batched(input, 3, "conv3d")
    s, d = _tup(stride, 3), _tup(dilation, 3)
    k = tuple(weight.shape[2:])
    if weight.ndim != 5:
        raise RuntimeError(f"Expected 5-dimensional weight for 5-dimensional input {list(x.shape)}, but got "
                           f"{weight.ndim}-dimensional weight of size {list(weight.shape)} instead")
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input{list(x.shape)} to "
                           f"have {weight.shape[1] * groups} channels, but got {x.shape[1]} channels instead")
    if isinstance(padding, str):
        pads = ember._native._conv_padding(padding, list(k), list(d), list(s))  # "valid"/"same", computed in Rust
    else:
        pads = [(p, p) for p in _tup(padding, 3)]
    F = ember.nn.functional
    flat = [v for pr in reversed(pads) for v in pr]
    if any(flat):
        x = F.pad(x, flat)
    n, c, D = x.shape[0], x.shape[1], x.shape[2]
    od = (D - d[0] * (k[0] - 1) - 1) // s[0] + 1
    if od < 1:
        raise RuntimeError(f"Calculated output size is too small for input of depth {D} and kernel {k[0]}")
    out = None
    for kd in range(k[0]):
        xs = x.narrow(2, kd * d[0], (od - 1) * s[0] + 1)[:, :, ::s[0]]
        xs = xs.permute(0, 2, 1, 3, 4).reshape(n * od, c, x.shape[3], x.shape[4])
        y = conv2d(xs, weight[:, :, kd], None, s[1:], 0, d[1:], groups)
        out = y if out is None else out + y
    out = out.reshape(n, od, out.shape[1], out.shape[2], out.shape[3]).permute(0, 2, 1, 3, 4)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    return out.squeeze(0) if unb else out


def _conv_nd(x, w, bias, stride, padding, dilation, groups):
    nsp = x.ndim - 2
    if nsp == 1:
        return ember.nn.functional.conv1d(x, w, bias, stride[0], padding[0], dilation[0], groups)
    if nsp == 2:
        return conv2d(x, w, bias, stride, padding, dilation, groups)
    return conv3d(x, w, bias, stride, padding, dilation, groups)


# ---- transposed convolution ----
def _dilate(x, dim, s):
    """Inserts s − 1 zeros between consecutive elements along ``dim``."""
    if s == 1 or x.shape[dim] == 0:
        return x
    n = x.shape[dim]
    z = ember.zeros(*x.shape, dtype=x.dtype, device=x.device)
    parts = [x] + [z] * (s - 1)
    y = ember.stack(parts, dim + 1)  # (…, n, s, …)
    shape = list(x.shape)
    shape[dim] = n * s
    return y.reshape(shape).narrow(dim, 0, (n - 1) * s + 1)


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nsp, name, output_size=None):
    x, unb = _batched(input, nsp, name)
    s, p, op, d = _tup(stride, nsp), _tup(padding, nsp), _tup(output_padding, nsp), _tup(dilation, nsp)
    k = tuple(weight.shape[2:])
    if weight.ndim != nsp + 2:
        raise RuntimeError(f"Expected {nsp + 2}-dimensional weight for {name}, but got {weight.ndim}-dimensional weight")
    if x.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input{list(x.shape)} to "
                           f"have {weight.shape[0]} channels, but got {x.shape[1]} channels instead")
    for i in range(nsp):
        if op[i] >= s[i] and op[i] >= d[i]:
            raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                               f"output_padding_height: {op[i]} stride: {s[i]} dilation: {d[i]}")
    for i in range(nsp):
        x = _dilate(x, 2 + i, s[i])
    # Pad (or crop) each side by d(k − 1) − p; output_padding extends the far side.
    F = ember.nn.functional
    flat = []
    for i in reversed(range(nsp)):
        e = d[i] * (k[i] - 1) - p[i]
        flat += [e, e + op[i]]
    if any(flat):
        x = F.pad(x, flat)
    cin, cout_g = weight.shape[0], weight.shape[1]
    w = weight.flip(*range(2, 2 + nsp))
    w = w.reshape(groups, cin // groups, cout_g, *k).transpose(1, 2).reshape(groups * cout_g, cin // groups, *k)
    out = _conv_nd(x, w, bias, (1,) * nsp, (0,) * nsp, d, groups)
    return out.squeeze(0) if unb else out


def _output_padding(input, output_size, stride, padding, kernel, dilation, nsp):
    """output_padding that makes the output ``output_size`` (nn.ConvTranspose's forward argument)."""
    if output_size is None:
        return None
    out = list(output_size)[-nsp:]
    res = []
    for i in range(nsp):
        n = input.shape[input.ndim - nsp + i]
        lo = (n - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + 1
        if not lo <= out[i] < lo + max(stride[i], dilation[i]):
            raise ValueError(f"requested an output size of {out}, but valid sizes range from {lo} to "
                             f"{lo + max(stride[i], dilation[i]) - 1} (for an input of {list(input.shape[2:])})")
        res.append(out[i] - lo)
    return tuple(res)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1, "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2, "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3, "conv_transpose3d")


def conv_tbc(input, weight, bias, pad=0):
    """1-D convolution on (time, batch, channel) input with a (k, C_in, C_out) weight."""
    x = input.permute(1, 2, 0)
    w = weight.permute(2, 1, 0)
    out = ember.nn.functional.conv1d(x, w, bias, 1, pad)
    return out.permute(2, 0, 1)


# ---- pooling over unfolded windows ----
def _windows(x, nsp, k, s, p, d, ceil_mode, fill, name):
    """Every pooling window of the last ``nsp`` dims as trailing dims: (…, o_1..o_n, k_1..k_n)."""
    # Rust validates the arguments and computes the output sizes (one rule for every pooling)
    spatial = list(x.shape[x.ndim - nsp:])
    planes = x.shape[x.ndim - nsp - 1] if x.ndim > nsp else 1
    outs = _native._pool_output_sizes([planes] + spatial, list(k), list(s), list(p), list(d), bool(ceil_mode))
    flat = []
    for i in reversed(range(nsp)):
        size = x.shape[x.ndim - nsp + i]
        need = (outs[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1
        flat += [p[i], max(need - size - p[i], 0)]
    if any(flat):
        x = ember.nn.functional.pad(x, flat, value=fill)
    base = x.ndim - nsp
    for i in range(nsp):
        eff = d[i] * (k[i] - 1) + 1
        x = x.unfold(base + i, eff, s[i])
        if d[i] > 1:
            x = x[..., ::d[i]]
        x = x.narrow(base + i, 0, outs[i])
    return x, outs


def _max_pool(input, nsp, kernel_size, stride, padding, dilation, ceil_mode, name):
    x, unb = _batched(input, nsp, name)
    k = _tup(kernel_size, nsp)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _tup(stride, nsp)
    p, d = _tup(padding, nsp), _tup(dilation, nsp)
    w, outs = _windows(x, nsp, k, s, p, d, ceil_mode, float("-inf"), name)
    flat = w.reshape(*w.shape[:x.ndim], -1)
    vals, j = flat.max(-1)
    # Window position j → input coordinate o·s − p + k_idx·d in each dim → flat spatial index.
    sizes = x.shape[2:]
    idx = None
    rem = j
    coords = []
    for i in reversed(range(nsp)):
        coords.append(rem % k[i])
        rem = rem // k[i]
    coords.reverse()
    for i in range(nsp):
        shape = [1] * (2 + nsp)
        shape[2 + i] = outs[i]
        o = ember.arange(outs[i]).reshape(shape)
        c = o * s[i] - p[i] + coords[i] * d[i]
        idx = c if idx is None else idx * sizes[i] + c
    if unb:
        vals, idx = vals.squeeze(0), idx.squeeze(0)
    return vals, idx


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    out, idx = _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d")
    return (out, idx) if return_indices else out


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    x, unb = _batched(input, 3, "avg_pool3d")
    k = _tup(kernel_size, 3)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _tup(stride, 3)
    p = _tup(padding, 3)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    w, outs = _windows(x, 3, k, s, p, (1, 1, 1), ceil_mode, 0.0, "avg_pool3d")
    total = w.sum((-1, -2, -3))
    if divisor_override is not None:
        out = total / divisor_override
    else:
        # The divisor counts window cells inside the input (and, with count_include_pad, inside
        # the explicit padding, never in the extra cells ceil_mode adds).
        ones = ember.ones(*x.shape[2:], dtype=x.dtype, device=x.device)
        if count_include_pad:
            ones = ember.nn.functional.pad(ones, [v for i in reversed(range(3)) for v in (p[i], p[i])], value=1.0)
            cw, _ = _count_windows(ones, k, s, p, outs)
        else:
            cw, _ = _windows(ones, 3, k, s, p, (1, 1, 1), ceil_mode, 0.0, "avg_pool3d")
        out = total / cw.sum((-1, -2, -3))
    return out.squeeze(0) if unb else out


def _count_windows(padded_ones, k, s, p, outs):
    """Windows over an already padded ones-grid, zero-extended for ceil_mode's overhang."""
    flat = []
    for i in reversed(range(3)):
        size = padded_ones.shape[i]
        need = (outs[i] - 1) * s[i] + k[i]
        flat += [0, max(need - size, 0)]
    x = ember.nn.functional.pad(padded_ones, flat) if any(flat) else padded_ones
    for i in range(3):
        x = x.unfold(i, k[i], s[i]).narrow(i, 0, outs[i])
    return x, outs


def _adaptive_out(x, output_size, nsp, name):
    """The checked output size of adaptive pooling ``x`` (None keeps an input size)."""
    o = list(_tup(output_size, nsp))
    if len(o) != nsp:
        raise RuntimeError(f"{name}(): output_size must have {nsp} elements, got {len(o)}: {o}")
    o = [x.shape[2 + i] if o[i] is None else o[i] for i in range(nsp)]
    if any(not hasattr(type(v), "__index__") for v in o):
        raise TypeError(f"{name}(): output_size must be ints or None, got {o}")
    o = [v.__index__() for v in o]
    if any(v < 0 for v in o):
        raise RuntimeError(f"{name}(): elements of output_size must be greater than or equal to 0 but received {o}")
    from .._limits import check_alloc
    # One Python-level window per output cell (a few KB of objects each): refuse before looping,
    # counting the cells even when there are no channels (the loop still visits each one).
    check_alloc(name, [max(x.shape[0] * x.shape[1], 1)] + o, 4096)
    return o


def _adaptive_bounds(size, out):
    return [(o * size // out, -(-((o + 1) * size) // out)) for o in range(out)]


def _adaptive3d(input, output_size, reduce, name):
    x, unb = _batched(input, 3, name)
    o = _adaptive_out(x, output_size, 3, name)
    planes = []
    for (a0, a1) in _adaptive_bounds(x.shape[2], o[0]):
        rows = []
        for (b0, b1) in _adaptive_bounds(x.shape[3], o[1]):
            cols = []
            for (c0, c1) in _adaptive_bounds(x.shape[4], o[2]):
                cols.append(reduce(x[:, :, a0:a1, b0:b1, c0:c1].flatten(2)))
            rows.append(ember.stack(cols, -1))
        planes.append(ember.stack(rows, -2))
    out = ember.stack(planes, -3)
    return out.squeeze(0) if unb else out


def adaptive_avg_pool3d(input, output_size):
    return _adaptive3d(input, output_size, lambda t: t.mean(-1), "adaptive_avg_pool3d")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    out = _adaptive3d(input, output_size, lambda t: t.max(-1)[0], "adaptive_max_pool3d")
    if return_indices:
        return out, _adaptive_max_indices(input, output_size, 3)
    return out


def _adaptive_max_indices(input, output_size, nsp):
    """Flat spatial indices of the adaptive-max windows' maxima (as PyTorch returns them)."""
    x, unb = _batched(input, nsp, "adaptive_max_pool")
    o = _adaptive_out(x, output_size, nsp, "adaptive_max_pool")
    sizes = list(x.shape[2:])
    import itertools
    bounds = [_adaptive_bounds(sizes[i], o[i]) for i in range(nsp)]
    cells = []
    for combo in itertools.product(*bounds):
        sl = (slice(None), slice(None)) + tuple(slice(a, b) for a, b in combo)
        win = x[sl]
        j = win.flatten(2).max(-1)[1]
        # Window-local flat index → global flat index.
        wsz = [b - a for a, b in combo]
        rem, idx = j, None
        loc = []
        for i in reversed(range(nsp)):
            loc.append(rem % wsz[i])
            rem = rem // wsz[i]
        loc.reverse()
        for i in range(nsp):
            c = loc[i] + combo[i][0]
            idx = c if idx is None else idx * sizes[i] + c
        cells.append(idx)
    out = ember.stack(cells, -1).reshape(*x.shape[:2], *o)
    return out.squeeze(0) if unb else out


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return ember.nn.functional.adaptive_max_pool1d(input, output_size), _adaptive_max_indices(input, output_size, 1)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return ember.nn.functional.adaptive_max_pool2d(input, output_size), _adaptive_max_indices(input, output_size, 2)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool3d(input, output_size), _adaptive_max_indices(input, output_size, 3)


# ---- power-average pooling ----
def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nsp, name):
    """(Σ x^p)^(1/p) over each window, computed as PyTorch does: avg_pool(x^p) · kernel volume,
    so a window that ceil_mode cuts short is scaled up to the full kernel volume."""
    x, unb = _batched(input, nsp, name)
    k = _tup(kernel_size, nsp)
    s = k if stride is None else _tup(stride, nsp)
    w, _ = _windows(x, nsp, k, s, (0,) * nsp, (1,) * nsp, ceil_mode, 0.0, name)
    dims = tuple(range(-nsp, 0))
    if norm_type == float("inf"):
        out = w.amax(dims)
    else:
        ones = ember.ones(*x.shape[2:], dtype=x.dtype, device=x.device)
        count = _windows(ones, nsp, k, s, (0,) * nsp, (1,) * nsp, ceil_mode, 0.0, name)[0].sum(dims)
        out = (w.pow(norm_type).sum(dims) / count * math.prod(k)).pow(1.0 / norm_type)
    return out.squeeze(0) if unb else out


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(input, float(norm_type), kernel_size, stride, ceil_mode, 1, "lp_pool1d")


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(input, float(norm_type), kernel_size, stride, ceil_mode, 2, "lp_pool2d")


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(input, float(norm_type), kernel_size, stride, ceil_mode, 3, "lp_pool3d")


# ---- max unpooling: scatter the maxima back to where max_pool found them ----
def _max_unpool(input, indices, kernel_size, stride, padding, output_size, nsp, name):
    x, unb = _batched(input, nsp, name)
    idx = indices.unsqueeze(0) if unb else indices
    k = _tup(kernel_size, nsp)
    s = k if stride is None else _tup(stride, nsp)
    p = _tup(padding, nsp)
    if output_size is None:
        out = [(x.shape[2 + i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(nsp)]
    else:
        out = list(output_size)[-nsp:]
    if list(idx.shape) != list(x.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(x.shape)}) but got "
                           f"indices tensor with shape: {list(idx.shape)}")
    n, c = x.shape[0], x.shape[1]
    total = math.prod(out)
    if idx.numel() and (int(idx.min().item()) < 0 or int(idx.max().item()) >= total):
        raise RuntimeError(f"Found an invalid max index: {int(idx.max().item())} (output volumes are of size "
                           f"{'x'.join(str(v) for v in out)}")
    flat = ember.zeros(n, c, total, dtype=x.dtype, device=x.device)
    flat = flat.scatter(2, idx.reshape(n, c, -1), x.reshape(n, c, -1))
    res = flat.reshape(n, c, *out)
    return res.squeeze(0) if unb else res


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3, "max_unpool3d")


# ---- fractional max pooling (Graham, 2014) ----
def _fractional_starts(n_in, n_out, k, u, ftype):
    """PyTorch's pseudo-random window starts for one (sample, channel, dim): with
    α = (n_in − k)/(n_out − 1), start_i = ⌊(i + u)α⌋ − ⌊uα⌋ and the last window ends at n_in
    (computed in the input's float precision, as PyTorch does)."""
    if n_out == 1:
        return [n_in - k]
    u = ftype(u)
    alpha = ftype(n_in - k) / ftype(n_out - 1)
    return [int((ftype(i) + u) * alpha) - int(u * alpha) for i in range(n_out - 1)] + [n_in - k]


def _fractional_max_pool(input, nsp, kernel_size, output_size, output_ratio, return_indices, _random_samples, name):
    x, unb = _batched(input, nsp, name)
    k = _tup(kernel_size, nsp)
    sizes = list(x.shape[2:])
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
        ratio = _tup(output_ratio, nsp)
        output_size = [int(sizes[i] * ratio[i]) for i in range(nsp)]
    out = list(_tup(output_size, nsp))
    for i in range(nsp):
        if out[i] + k[i] - 1 > sizes[i]:
            raise RuntimeError(f"{name}(): pool size {k[i]} too large relative to input size {sizes[i]} and output "
                               f"size {out[i]}")
    n, c = x.shape[0], x.shape[1]
    if _random_samples is None:
        _random_samples = ember.rand(n, c, nsp, dtype=x.dtype)
    samples = _random_samples.reshape(n, c, nsp).tolist()
    import numpy as np
    ftype = np.float64 if x.dtype == ember.float64 else np.float32
    # Which sample drives which dim: 2-D uses (W, H), 3-D uses (T, H, W), as PyTorch's kernels do.
    which = [1, 0] if nsp == 2 else [0, 1, 2]
    # All stride-1 windows as trailing dims, their maxima and argmax, then pick the chosen starts.
    w = x
    for i in range(nsp):
        w = w.unfold(2 + i, k[i], 1)
    flat = w.reshape(*w.shape[:2 + nsp], -1)
    vals, arg = flat.max(-1)
    for i in range(nsp):
        starts = ember.tensor([[_fractional_starts(sizes[i], out[i], k[i], samples[b][ch][which[i]], ftype)
                                for ch in range(c)] for b in range(n)], dtype=ember.int64)
        shape = [n, c] + [1] * nsp
        shape[2 + i] = out[i]
        idx_shape = list(vals.shape)
        idx_shape[2 + i] = out[i]
        starts = starts.reshape(shape).expand(*idx_shape)
        vals, arg = vals.gather(2 + i, starts), arg.gather(2 + i, starts)
        # Remember each kept window's start along dim i for the flat indices below.
        if i == 0:
            start_list = [starts]
        else:
            start_list = [s.gather(2 + i, starts) for s in start_list] + [starts]
    # Flat spatial index of each maximum: (start + offset inside the window) per dim.
    rem, offs = arg, []
    for i in reversed(range(nsp)):
        offs.append(rem % k[i])
        rem = rem // k[i]
    offs.reverse()
    idx = None
    for i in range(nsp):
        coord = start_list[i] + offs[i]
        idx = coord if idx is None else idx * sizes[i] + coord
    if unb:
        vals, idx = vals.squeeze(0), idx.squeeze(0)
    return (vals, idx) if return_indices else vals


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    return _fractional_max_pool(input, 2, kernel_size, output_size, output_ratio, return_indices, _random_samples,
                                "fractional_max_pool2d")


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    return _fractional_max_pool(input, 3, kernel_size, output_size, output_ratio, return_indices, _random_samples,
                                "fractional_max_pool3d")


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=True,
                                       _random_samples=None):
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, True, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=True,
                                       _random_samples=None):
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, True, _random_samples)

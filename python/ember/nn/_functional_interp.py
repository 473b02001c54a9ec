"""``F.interpolate`` with every PyTorch mode: nearest, nearest-exact, (bi/tri)linear, bicubic and
area, for 3-D, 4-D and 5-D input.

Resampling is separable: each spatial dim in turn is resampled by gathering source rows
(``index_select``) and mixing them with per-output weights, so autograd comes for free.
Source coordinates follow PyTorch: with ``scale = in/out`` (or ``1/scale_factor`` when a scale
factor is given and not recomputed),
- nearest: ⌊dst·scale⌋; nearest-exact: ⌊(dst + ½)·scale⌋ (both clamped to in − 1);
- linear / cubic: (dst + ½)·scale − ½ (linear clamps it at 0), or dst·(in − 1)/(out − 1) with
  ``align_corners``; cubic uses the Keys kernel with A = −0.75 on 4 taps clamped to the border;
- area: adaptive average pooling to the output size.
"""
import math

import ember

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}
_ALL = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")


def _tup(v, n):
    if isinstance(v, (tuple, list)):
        if len(v) != n:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {n} and output size of {v}. Please provide input tensor in "
                             f"(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
        return list(v)
    return [v] * n


def _select(x, dim, idx):
    return x.index_select(dim, ember.tensor(idx, dtype=ember.int64, device=x.device))


def _weights(x, dim, w):
    shape = [1] * x.ndim
    shape[dim] = len(w)
    return ember.tensor(w, dtype=x.dtype, device=x.device).reshape(shape)


def _src(o, in_size, out_size, scale, align_corners, cubic):
    if align_corners:
        return o * (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    s = in_size / out_size if scale is None else 1.0 / scale
    src = (o + 0.5) * s - 0.5
    return src if cubic else max(src, 0.0)


def _cubic_weights(t, A=-0.75):
    def near(x):  # |x| ≤ 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _resample_dim(x, dim, out, mode, scale, align_corners):
    n = x.shape[dim]
    if mode in ("nearest", "nearest-exact"):
        s = n / out if scale is None else 1.0 / scale
        off = 0.5 if mode == "nearest-exact" else 0.0
        o = ember.arange(out, dtype=ember.float64)
        return x.index_select(dim, ((o + off) * s).floor().clamp(max=n - 1).to(ember.int64).to(x.device))
    if mode == "bicubic":
        taps = [[], [], [], []]
        ws = [[], [], [], []]
        for o in range(out):
            src = _src(o, n, out, scale, align_corners, True)
            i0 = math.floor(src)
            for k, w in enumerate(_cubic_weights(src - i0)):
                taps[k].append(min(max(i0 - 1 + k, 0), n - 1))
                ws[k].append(w)
        res = None
        for k in range(4):
            term = _select(x, dim, taps[k]) * _weights(x, dim, ws[k])
            res = term if res is None else res + term
        return res
    # The same float64 arithmetic as _src, on a tensor of output positions (no per-position
    # Python loop on this hot path).
    o = ember.arange(out, dtype=ember.float64)
    if align_corners:
        src = o * (n - 1) / (out - 1) if out > 1 else o * 0.0
    else:
        src = ((o + 0.5) * (n / out if scale is None else 1.0 / scale) - 0.5).clamp(min=0.0)
    i0 = src.floor().clamp(max=n - 1)
    lo, hi = i0.to(ember.int64), (i0 + 1).clamp(max=n - 1).to(ember.int64)
    shape = [1] * x.ndim
    shape[dim] = out
    lam = (src - i0).to(x.dtype).reshape(shape).to(x.device)
    a, b = x.index_select(dim, lo.to(x.device)), x.index_select(dim, hi.to(x.device))
    return a + (b - a) * lam


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resizes the spatial dims of (N, C, *spatial) input to ``size`` or by ``scale_factor``."""
    if mode not in _ALL:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the "
                                  f"modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact "
                                  f"(got {mode})")
    nsp = input.ndim - 2
    if nsp < 1 or nsp > 3:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the "
                                  f"modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact "
                                  f"(got {mode})")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    need = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}.get(mode)
    if need is not None and need != nsp:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {need + 2}D input")
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D tensor as "
                         "input")
    if antialias:
        raise NotImplementedError("interpolate(antialias=True) is not supported by ember yet")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    in_sizes = list(input.shape[2:])
    scales = [None] * nsp
    if size is not None:
        out = [int(v) for v in _tup(size, nsp)]
    else:
        sf = [float(v) for v in _tup(scale_factor, nsp)]
        if not all(math.isfinite(v) for v in sf):
            raise RuntimeError(f"value cannot be converted to type int64_t without overflow: interpolate's "
                               f"scale_factor {sf} gives no finite output size")
        out = [int(math.floor(in_sizes[i] * sf[i])) for i in range(nsp)]
        if not recompute_scale_factor:
            scales = sf
    for o in out:
        if o <= 0:
            raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({in_sizes}) and output "
                               f"({out})")
    # Sized by an argument: refuse what can't fit before any index list is built.
    from .._limits import check_alloc
    check_alloc("interpolate", list(input.shape[:2]) + out, input.element_size())
    if mode == "area":
        F = ember.nn.functional
        return {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}[nsp](input, out)
    x = input
    for i in range(nsp):
        if out[i] != in_sizes[i] or mode not in ("nearest", "nearest-exact") or scales[i] is not None:
            x = _resample_dim(x, 2 + i, out[i], mode, scales[i], align_corners)
    return x


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)

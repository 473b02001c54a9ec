"""nn.functional native kernels against NumPy references, backward by gradcheck (float64)."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.autograd import gradcheck


def arr(t):
    return np.array(t.detach().tolist())


def E(a, dtype=ember.float64, requires_grad=False):
    a = np.asarray(a)
    dt = ember.int64 if a.dtype.kind in "iu" else dtype
    return ember.tensor(a.tolist(), dtype=dt, requires_grad=requires_grad)


def conv2d_ref(x, w, b, stride, pad, dil, groups):
    n, cin, h, wd = x.shape
    cout, cig, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[1]), (pad[2], pad[3])))
    oh = (h + pad[0] + pad[1] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + pad[2] + pad[3] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, cout, oh, ow))
    cog = cout // groups
    for co in range(cout):
        g = co // cog
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cig:(g + 1) * cig, i * stride[0]:i * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                           j * stride[1]:j * stride[1] + dil[1] * (kw - 1) + 1:dil[1]]
                out[:, co, i, j] = (patch * w[co]).sum(axis=(1, 2, 3)) + (b[co] if b is not None else 0)
    return out


@pytest.mark.parametrize("stride,padding,dilation,groups,bias", [
    (1, 0, 1, 1, True), (2, 1, 1, 1, False), (1, 2, 2, 1, True), ((2, 1), (1, 0), 1, 2, True), (1, "same", 1, 1, True),
    (1, "valid", 1, 2, False)])
def test_conv2d_matches_numpy(stride, padding, dilation, groups, bias):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((6, 4 // groups, 3, 2))
    b = rng.standard_normal(6) if bias else None
    got = F.conv2d(E(x), E(w), E(b) if bias else None, stride, padding, dilation, groups)
    s = stride if isinstance(stride, tuple) else (stride, stride)
    d = (dilation, dilation)
    if padding == "same":
        th, tw = d[0] * 2, d[1] * 1
        pad = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    elif padding == "valid":
        pad = (0, 0, 0, 0)
    else:
        p = padding if isinstance(padding, tuple) else (padding, padding)
        pad = (p[0], p[0], p[1], p[1])
    np.testing.assert_allclose(arr(got), conv2d_ref(x, w, b, s, pad, d, groups), rtol=1e-10, atol=1e-10)
    if padding == "same":
        assert tuple(got.shape[2:]) == (7, 6)


def test_conv2d_gradcheck_and_grad_fn():
    rng = np.random.default_rng(1)
    x = E(rng.standard_normal((2, 2, 5, 4)), requires_grad=True)
    w = E(rng.standard_normal((4, 1, 2, 3)), requires_grad=True)
    b = E(rng.standard_normal(4), requires_grad=True)
    assert F.conv2d(x, w, b, groups=2).grad_fn.name() == "ConvolutionBackward0"
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, groups=2), (x, w, b))


def test_conv1d_and_float32():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, 9)), rng.standard_normal((5, 3, 3))
    got = F.conv1d(E(x, ember.float32), E(w, ember.float32), None, stride=2, padding=1)
    assert got.dtype == ember.float32
    ref = conv2d_ref(x[:, :, None], w[:, :, None], None, (1, 2), (0, 0, 1, 1), (1, 1), 1)[:, :, 0]
    np.testing.assert_allclose(arr(got), ref, rtol=1e-5, atol=1e-5)


def test_conv2d_errors():
    with pytest.raises(RuntimeError, match="Expected 3D"):
        F.conv2d(ember.zeros(2, 2), ember.zeros(1, 1, 1, 1))
    with pytest.raises(RuntimeError, match="channels"):
        F.conv2d(ember.zeros(1, 3, 4, 4), ember.zeros(2, 2, 1, 1))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        F.conv2d(ember.zeros(1, 1, 2, 2), ember.zeros(1, 1, 3, 3))


def maxpool_ref(x, k, s, p, d, ceil):
    n, c, h, w = x.shape
    def size(i, kk, ss, pp, dd):
        num = i + 2 * pp - dd * (kk - 1) - 1
        o = (-(-num // ss) if ceil else num // ss) + 1
        if ceil and (o - 1) * ss >= i + pp:
            o -= 1
        return o
    oh, ow = size(h, k[0], s[0], p[0], d[0]), size(w, k[1], s[1], p[1], d[1])
    out = np.full((n, c, oh, ow), -np.inf)
    idx = np.zeros((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            for a in range(k[0]):
                for b in range(k[1]):
                    y, z = i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + b * d[1]
                    if 0 <= y < h and 0 <= z < w:
                        v = x[:, :, y, z]
                        better = v > out[:, :, i, j]
                        out[:, :, i, j] = np.where(better, v, out[:, :, i, j])
                        idx[:, :, i, j] = np.where(better, y * w + z, idx[:, :, i, j])
    return out, idx


@pytest.mark.parametrize("k,s,p,d,ceil", [(2, None, 0, 1, False), (3, 2, 1, 1, True), ((2, 3), (1, 2), (1, 1), (2, 1), False),
                                          (3, 2, 0, 1, True)])
def test_max_pool2d_values_indices_and_grad(k, s, p, d, ceil):
    rng = np.random.default_rng(3)
    x = rng.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8).astype(np.float64)  # distinct values: unique argmax
    kk = k if isinstance(k, tuple) else (k, k)
    ss = kk if s is None else (s if isinstance(s, tuple) else (s, s))
    pp = p if isinstance(p, tuple) else (p, p)
    dd = d if isinstance(d, tuple) else (d, d)
    out, idx = F.max_pool2d(E(x), k, s, p, d, ceil_mode=ceil, return_indices=True)
    ro, ri = maxpool_ref(x, kk, ss, pp, dd, ceil)
    np.testing.assert_array_equal(arr(out), ro)
    np.testing.assert_array_equal(arr(idx), ri)
    assert idx.dtype == ember.int64
    xt = E(x / 100.0, requires_grad=True)
    assert F.max_pool2d(xt, k, s, p, d, ceil).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert gradcheck(lambda t: F.max_pool2d(t, k, s, p, d, ceil), (xt,))


@pytest.mark.parametrize("k,s,p,ceil,cip,div", [(2, None, 0, False, True, None), (3, 2, 1, False, True, None),
                                                (3, 2, 1, True, False, None), (2, 1, 1, False, True, 3)])
def test_avg_pool2d(k, s, p, ceil, cip, div):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 2, 6, 5))
    got = F.avg_pool2d(E(x), k, s, p, ceil, cip, div)
    ss = k if s is None else s
    h, w = 6, 5
    def size(i):
        num = i + 2 * p - k
        o = (-(-num // ss) if ceil else num // ss) + 1
        if ceil and (o - 1) * ss >= i + p:
            o -= 1
        return o
    ref = np.zeros((1, 2, size(h), size(w)))
    for i in range(size(h)):
        for j in range(size(w)):
            hs, ws = i * ss - p, j * ss - p
            he, we = min(hs + k, h + p), min(ws + k, w + p)
            full = (he - hs) * (we - ws)
            hs2, ws2, he2, we2 = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
            tot = x[:, :, hs2:he2, ws2:we2].sum(axis=(2, 3))
            dv = div if div else (full if cip else (he2 - hs2) * (we2 - ws2))
            ref[:, :, i, j] = tot / dv
    np.testing.assert_allclose(arr(got), ref, rtol=1e-12)
    xt = E(x, requires_grad=True)
    assert gradcheck(lambda t: F.avg_pool2d(t, k, s, p, ceil, cip, div), (xt,))


def test_adaptive_avg_pool2d():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 7, 5))
    got = F.adaptive_avg_pool2d(E(x), (3, 2))
    ref = np.zeros((2, 3, 3, 2))
    for i in range(3):
        for j in range(2):
            h0, h1 = i * 7 // 3, -(-(i + 1) * 7 // 3)
            w0, w1 = j * 5 // 2, -(-(j + 1) * 5 // 2)
            ref[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    np.testing.assert_allclose(arr(got), ref, rtol=1e-12)
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, 2), (E(x[:1, :1], requires_grad=True),))
    assert tuple(F.adaptive_avg_pool2d(E(x), 1).shape) == (2, 3, 1, 1)


def log_softmax_np(x):
    m = x.max(1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(1, keepdims=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted,ignore,smooth", [(False, -100, 0.0), (True, -100, 0.0), (True, 1, 0.0),
                                                    (False, 2, 0.2), (True, -100, 0.1)])
def test_cross_entropy_class_indices(reduction, weighted, ignore, smooth):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 4))
    t = np.array([0, 1, 2, 3, 1])
    w = rng.random(4) + 0.5 if weighted else None
    got = F.cross_entropy(E(x), E(t), E(w) if weighted else None, ignore_index=ignore, reduction=reduction,
                          label_smoothing=smooth)
    lp = log_softmax_np(x)
    ww = w if weighted else np.ones(4)
    keep = t != ignore
    nll = np.where(keep, -ww[t] * lp[np.arange(5), t], 0.0)
    sm = np.where(keep, -(lp * ww).sum(1), 0.0)
    if reduction == "none":
        ref = (1 - smooth) * nll + smooth / 4 * sm
    elif reduction == "sum":
        ref = (1 - smooth) * nll.sum() + smooth / 4 * sm.sum()
    else:
        d = ww[t][keep].sum()
        ref = (1 - smooth) * nll.sum() / d + smooth / 4 * sm.sum() / d
    np.testing.assert_allclose(arr(got), ref, rtol=1e-10)
    xt = E(x, requires_grad=True)
    assert gradcheck(lambda a: F.cross_entropy(a, E(t), E(w) if weighted else None, ignore_index=ignore,
                                               reduction=reduction, label_smoothing=smooth), (xt,))


def test_cross_entropy_shapes_and_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)\."):
        F.cross_entropy(x, ember.tensor([0, 1]))
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        F.cross_entropy(x, ember.tensor([0, 1, 7]))
    rng = np.random.default_rng(7)
    x4 = rng.standard_normal((2, 3, 2, 2))
    t4 = rng.integers(0, 3, (2, 2, 2))
    got = F.cross_entropy(E(x4), E(t4), reduction="none")
    assert tuple(got.shape) == (2, 2, 2)
    lp = log_softmax_np(np.moveaxis(x4, 1, -1).reshape(-1, 3))
    np.testing.assert_allclose(arr(got).reshape(-1), -lp[np.arange(8), t4.reshape(-1)], rtol=1e-10)
    assert F.cross_entropy(E(x4[0, :, 0, 0]), E(np.array(1))).ndim == 0


def test_nll_loss_matches_numpy():
    rng = np.random.default_rng(8)
    lp = log_softmax_np(rng.standard_normal((4, 3)))
    t = np.array([2, 0, 1, 1])
    w = np.array([0.5, 2.0, 1.0])
    got = F.nll_loss(E(lp), E(t), E(w))
    np.testing.assert_allclose(arr(got), -(w[t] * lp[np.arange(4), t]).sum() / w[t].sum(), rtol=1e-12)
    assert gradcheck(lambda a: F.nll_loss(a, E(t), E(w), reduction="sum"), (E(lp, requires_grad=True),))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_stable(reduction):
    rng = np.random.default_rng(9)
    x = np.concatenate([rng.standard_normal(5) * 3, [100.0, -100.0]])
    y = rng.random(7)
    w = rng.random(7)
    pw = rng.random(7) + 0.5
    got = F.binary_cross_entropy_with_logits(E(x), E(y), E(w), reduction=reduction, pos_weight=E(pw))
    logsig = -np.logaddexp(0, -x)
    log1msig = -np.logaddexp(0, x)
    loss = -w * (pw * y * logsig + (1 - y) * log1msig)
    ref = {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]
    np.testing.assert_allclose(arr(got), ref, rtol=1e-10)
    assert np.isfinite(arr(got)).all()
    assert gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, E(y), E(w), reduction=reduction, pos_weight=E(pw)),
                     (E(x, requires_grad=True),))


def test_embedding_forward_backward_padding():
    w = E(np.arange(12.0).reshape(4, 3), requires_grad=True)
    idx = E(np.array([[0, 2], [2, 3]]))
    out = F.embedding(idx, w, padding_idx=2)
    assert tuple(out.shape) == (2, 2, 3)
    np.testing.assert_array_equal(arr(out), np.arange(12.0).reshape(4, 3)[[[0, 2], [2, 3]]])
    assert out.grad_fn.name() == "EmbeddingBackward0"
    out.sum().backward()
    np.testing.assert_array_equal(arr(w.grad), [[1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 1, 1]])
    with pytest.raises(IndexError):
        F.embedding(E(np.array([4])), w)

"""The CNN training path's CPU kernels against NumPy definitions, on strided inputs:
max_pool2d's separable kernel for windows inside the plane (every stride / dilation / kernel
combination that has no padding), ReLU's fused backward, and conv2d / max_pool2d writing
their results straight into storages. Gradients are also checked with gradcheck."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
import ember.nn.functional as F
from strategies import assert_close, np_of, to_ember


def np_max_pool(x, k, s, d, ceil_mode=False, pad=(0, 0)):
    """(values, flat per-plane indices): first maximum in window order wins, NaN wins."""
    n, c, h, w = x.shape

    def out(size, k, s, p, d):
        num = size + 2 * p - d * (k - 1) - 1
        o = (-(-num // s) if ceil_mode else num // s) + 1
        if ceil_mode and (o - 1) * s >= size + p:
            o -= 1
        return o

    oh, ow = out(h, k[0], s[0], pad[0], d[0]), out(w, k[1], s[1], pad[1], d[1])
    vals = np.empty((n, c, oh, ow), x.dtype)
    idx = np.empty((n, c, oh, ow), np.int64)
    for b in range(n):
        for ch in range(c):
            for oy in range(oh):
                for ox in range(ow):
                    best, bi = None, 0
                    for ki in range(k[0]):
                        for kj in range(k[1]):
                            iy, ix = oy * s[0] + ki * d[0] - pad[0], ox * s[1] + kj * d[1] - pad[1]
                            if not (0 <= iy < h and 0 <= ix < w):
                                continue
                            v = x[b, ch, iy, ix]
                            if best is None or (not np.isnan(best) and (v > best or np.isnan(v))):
                                best, bi = v, iy * w + ix
                    vals[b, ch, oy, ox] = -np.inf if best is None else best
                    idx[b, ch, oy, ox] = bi
    return vals, idx


def strided_images(rng, shape, dtype, kind):
    """(ember view, numpy view) of the same values: contiguous, channels-last permuted, or stepped."""
    if kind == "contiguous":
        a = rng.standard_normal(shape).astype(dtype)
        return to_ember(a), a
    if kind == "permute":
        n, c, h, w = shape
        base = rng.standard_normal((n, h, w, c)).astype(dtype)
        return to_ember(base).permute(0, 3, 1, 2), base.transpose(0, 3, 1, 2)
    base = rng.standard_normal(tuple(2 * s for s in shape)).astype(dtype)
    sl = tuple(slice(0, 2 * s, 2) for s in shape)
    return to_ember(base)[sl], base[sl]


@settings(max_examples=40, deadline=None)
@given(
    k=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    d=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    hw=st.tuples(st.integers(5, 9), st.integers(5, 9)),
    kind=st.sampled_from(["contiguous", "permute", "step"]),
    dtype=st.sampled_from([np.float32, np.float64]),
    ceil_mode=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_max_pool2d_unpadded_matches_numpy(k, s, d, hw, kind, dtype, ceil_mode, seed):
    rng = np.random.default_rng(seed)
    t, a = strided_images(rng, (2, 3) + hw, dtype, kind)
    # Ties and NaN: small integers repeat, and a few NaNs must win their windows.
    a = np.round(a * 2).astype(dtype)
    a.flat[rng.integers(0, a.size, 3)] = np.nan
    t = to_ember(np.ascontiguousarray(a)) if kind == "contiguous" else t
    if kind != "contiguous":
        # Write the same rounded values (and NaNs) through the view into ember's strided tensor.
        t.copy_(to_ember(np.ascontiguousarray(a)))
    out, idx = F.max_pool2d(t, k, s, 0, d, ceil_mode=ceil_mode, return_indices=True)
    want, want_idx = np_max_pool(a, k, s, d, ceil_mode)
    assert_close(out, want)
    np.testing.assert_array_equal(np_of(idx), want_idx)


@pytest.mark.parametrize("k,s,pad,d", [((2, 2), (2, 2), (1, 1), (1, 1)), ((3, 3), (2, 1), (1, 0), (1, 2))])
def test_max_pool2d_padded_still_matches(k, s, pad, d):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 2, 7, 8)).astype(np.float32)
    out, idx = F.max_pool2d(to_ember(a), k, s, pad, d, return_indices=True)
    want, want_idx = np_max_pool(a, k, s, d, pad=pad)
    assert_close(out, want)
    np.testing.assert_array_equal(np_of(idx), want_idx)


def test_max_pool2d_backward_scatters_to_argmax():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    x = to_ember(a).requires_grad_()
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    g = rng.standard_normal(tuple(out.shape)).astype(np.float32)
    out.backward(to_ember(g))
    want = np.zeros_like(a).reshape(2, 3, -1)
    np.add.at(want, (np.arange(2)[:, None, None], np.arange(3)[None, :, None], np_of(idx).reshape(2, 3, -1)),
              g.reshape(2, 3, -1))
    assert_close(x.grad, want.reshape(a.shape))


@pytest.mark.parametrize("k,s,d", [((2, 2), (2, 2), (1, 1)), ((3, 2), (1, 2), (2, 1))])
def test_max_pool2d_gradcheck(k, s, d):
    rng = np.random.default_rng(3)
    # Distinct values, well apart, so finite differences never cross a tie.
    a = rng.permutation(2 * 2 * 7 * 7).astype(np.float64).reshape(2, 2, 7, 7) * 0.1
    x = ember.from_numpy(a).requires_grad_()
    assert ember.autograd.gradcheck(lambda t: F.max_pool2d(t, k, s, 0, d), (x,), eps=1e-4)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=4).map(tuple),
       kind=st.sampled_from(["contiguous", "permute", "step"]),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**31))
def test_relu_backward_matches_numpy(shape, kind, dtype, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(dtype)
    a.flat[0] = 0.0  # the boundary: relu'(0) is 0, as PyTorch
    base = to_ember(a)
    if kind == "permute":
        x = base.permute(*reversed(range(len(shape)))).detach().requires_grad_()
        a = a.transpose(tuple(reversed(range(len(shape)))))
    elif kind == "step":
        big = rng.standard_normal(tuple(2 * s for s in shape)).astype(dtype)
        sl = tuple(slice(0, 2 * s, 2) for s in shape)
        x, a = to_ember(big)[sl].detach().requires_grad_(), big[sl]
    else:
        x = base.detach().requires_grad_()
    g = rng.standard_normal(a.shape).astype(dtype)
    gt = to_ember(np.ascontiguousarray(g.transpose())).t() if len(shape) == 2 else to_ember(g)
    F.relu(x).backward(gt)
    assert_close(x.grad, np.where(a > 0, g, 0).astype(dtype))


def test_relu_backward_non_finite_follows_pytorch():
    # threshold_backward: a non-positive output gives exactly 0 (even for an inf/NaN gradient),
    # a NaN output passes the gradient through.
    x = ember.tensor([-1.0, 0.0, 2.0, float("nan"), -3.0]).requires_grad_()
    x.relu().backward(ember.tensor([float("inf"), float("nan"), 5.0, 7.0, -2.0]))
    got = x.grad.tolist()
    assert got[:3] == [0.0, 0.0, 5.0] and got[3] == 7.0 and got[4] == 0.0
    assert str(got[4]) == "0.0"  # +0, not -0 from -2 * 0


def test_relu_double_backward_still_differentiable():
    x = ember.tensor([-1.0, 0.5, 2.0], dtype=ember.float64).requires_grad_()
    w = ember.tensor([3.0, -1.0, 2.0], dtype=ember.float64).requires_grad_()
    (gx,) = ember.autograd.grad((x.relu() * w).sum(), x, create_graph=True)
    (gw,) = ember.autograd.grad((gx * gx).sum(), w)
    assert gw.tolist() == [0.0, -2.0, 4.0]
    assert ember.autograd.gradcheck(lambda t: t.relu() * t, (ember.tensor([-1.0, 0.5, 2.0], dtype=ember.float64).requires_grad_(),))


@pytest.mark.parametrize("cin,cout,k,stride,pad,groups", [(1, 4, 3, 1, 0, 1), (4, 6, 3, 2, 1, 2), (3, 5, 1, 1, 0, 1)])
def test_conv2d_forward_and_grads_match_numpy(cin, cout, k, stride, pad, groups):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((2, cin, 7, 6))
    wt = rng.standard_normal((cout, cin // groups, k, k))
    b = rng.standard_normal(cout)
    x = ember.from_numpy(a.transpose(0, 1, 3, 2).copy()).transpose(2, 3).requires_grad_()  # non-contiguous
    w, bias = ember.from_numpy(wt).requires_grad_(), ember.from_numpy(b).requires_grad_()
    out = F.conv2d(x, w, bias, stride, pad, 1, groups)
    ap = np.pad(a, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (7 + 2 * pad - k) // stride + 1, (6 + 2 * pad - k) // stride + 1
    cig, cog = cin // groups, cout // groups
    want = np.empty((2, cout, oh, ow))
    for co in range(cout):
        gi = co // cog
        for oy in range(oh):
            for ox in range(ow):
                win = ap[:, gi * cig:(gi + 1) * cig, oy * stride:oy * stride + k, ox * stride:ox * stride + k]
                want[:, co, oy, ox] = (win * wt[co]).sum(axis=(1, 2, 3)) + b[co]
    assert_close(out, want)
    assert ember.autograd.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, pad, 1, groups), (x, w, bias))

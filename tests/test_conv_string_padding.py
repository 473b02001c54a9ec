"""conv1d/2d/3d padding="same"/"valid": computed in Rust with the rest of the conv geometry
(Python passes the string through), checked against a NumPy convolution."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F

from conftest import WGPU


def np_conv2d(x, w, pad, dilation):
    """Cross-correlation of (N,C,H,W) with (O,C,kh,kw); pad = (top, bottom, left, right)."""
    x = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[1]), (pad[2], pad[3])))
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    dh, dw = dilation
    oh, ow = h - dh * (kh - 1), wd - dw * (kw - 1)
    out = np.zeros((n, o, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i * dh:i * dh + oh, j * dw:j * dw + ow]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return out


@pytest.mark.parametrize("k,dilation", [((3, 3), (1, 1)), ((2, 4), (1, 1)), ((3, 2), (2, 3)), ((1, 5), (1, 2))])
def test_conv2d_same_keeps_the_size_and_puts_the_odd_pad_after(k, dilation):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 10))
    w = rng.standard_normal((4, 3) + k)
    got = F.conv2d(ember.tensor(x), ember.tensor(w), padding="same", dilation=dilation)
    th, tw = dilation[0] * (k[0] - 1), dilation[1] * (k[1] - 1)
    want = np_conv2d(x, w, (th // 2, th - th // 2, tw // 2, tw - tw // 2), dilation)
    assert got.shape == (2, 4, 7, 10)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-10)
    valid = F.conv2d(ember.tensor(x), ember.tensor(w), padding="valid", dilation=dilation)
    np.testing.assert_allclose(valid.numpy(), np_conv2d(x, w, (0, 0, 0, 0), dilation), rtol=1e-10, atol=1e-10)


def test_conv1d_and_conv3d_same():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 9)), rng.standard_normal((4, 3, 4))
    got = F.conv1d(ember.tensor(x), ember.tensor(w), padding="same", dilation=2)
    want = np_conv2d(x[:, :, None], w[:, :, None], (0, 0, 3, 3), (1, 2))[:, :, 0]
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-10)
    x3, w3 = ember.tensor(rng.standard_normal((1, 2, 5, 6, 4))), ember.tensor(rng.standard_normal((3, 2, 2, 3, 4)))
    same = F.conv3d(x3, w3, padding="same")
    assert same.shape == (1, 3, 5, 6, 4)
    # "same" is the explicit asymmetric pad (last dim first, odd element after) then "valid"
    np.testing.assert_allclose(same.numpy(), F.conv3d(F.pad(x3, [1, 2, 1, 1, 0, 1]), w3).numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("fn,x,w", [
    (F.conv1d, (1, 2, 6), (3, 2, 3)), (F.conv2d, (1, 2, 6, 6), (3, 2, 3, 3)), (F.conv3d, (1, 2, 4, 4, 4), (3, 2, 3, 3, 3))])
def test_string_padding_errors(fn, x, w):
    x, w = ember.ones(*x), ember.ones(*w)
    with pytest.raises(ValueError, match="Invalid padding string 'full', should be one of"):
        fn(x, w, padding="full")
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        fn(x, w, padding="same", stride=2)


@pytest.mark.parametrize("device", ["meta"] + (["wgpu"] if WGPU else []))
def test_same_padding_on_other_backends(device):
    rng = np.random.default_rng(2)
    x, w = ember.tensor(rng.standard_normal((1, 2, 5, 6)), dtype=ember.float32), ember.tensor(rng.standard_normal((3, 2, 2, 3)), dtype=ember.float32)
    ref = F.conv2d(x, w, padding="same", dilation=(2, 1))
    got = F.conv2d(x.to(device), w.to(device), padding="same", dilation=(2, 1))
    assert got.shape == ref.shape == (1, 3, 5, 6) and got.device.type == device
    if device != "meta":
        np.testing.assert_allclose(got.cpu().numpy(), ref.numpy(), rtol=1e-4, atol=1e-4)

"""Pooling output geometry is computed once, in Rust, from PyTorch's arguments
(kernel_size, stride, padding, dilation, ceil_mode): output sizes, the ceil_mode rule that the
last window must start inside the input or its left padding, and PyTorch's error texts.
Expected shapes were generated with PyTorch 2.x (F.max_pool2d / F.avg_pool2d on a
(1, 2, H, H+1) input); None means PyTorch raises RuntimeError."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F

# (H, kernel, stride, padding, dilation, ceil_mode, output (OH, OW) or None)
MAX_CASES = [
    (3, 2, 3, 0, 2, False, (1, 1)),
    (6, 2, 1, 0, 1, False, (5, 6)),
    (5, 3, 2, 0, 1, True, (2, 3)),
    (5, 2, 2, 0, 2, True, (2, 3)),
    (6, 3, 2, 0, 2, False, (1, 2)),
    (7, 3, 1, 1, 1, False, (7, 8)),
    (1, 2, 1, 1, 1, False, (2, 3)),
    (6, 2, 3, 1, 2, True, (3, 3)),
    (2, 2, 3, 1, 1, False, (1, 2)),
    (7, 1, 1, 0, 2, True, (7, 8)),
    (2, 3, 1, 1, 2, True, None),
    (3, 3, 2, 1, 1, True, (2, 3)),
    (7, 2, 2, 1, 1, False, (4, 5)),
    (7, 2, 1, 0, 2, False, (5, 6)),
    (2, 2, 1, 1, 1, True, (3, 4)),
    (6, 3, 1, 0, 1, False, (4, 5)),
    (2, 1, 2, 0, 2, True, (1, 2)),
    (5, 3, 2, 0, 2, True, (1, 2)),
    (6, 2, 3, 0, 1, False, (2, 2)),
    (6, 1, 1, 0, 2, True, (6, 7)),
    (7, 1, 3, 0, 1, False, (3, 3)),
    (3, 1, 1, 0, 2, False, (3, 4)),
    (3, 2, 3, 1, 2, False, (1, 2)),
    (1, 3, 1, 0, 2, False, None),
    (7, 3, 1, 1, 2, False, (5, 6)),
    (7, 1, 2, 0, 2, False, (4, 4)),
    (7, 3, 2, 0, 1, True, (3, 4)),
    (5, 3, 3, 0, 1, False, (1, 2)),
    (1, 2, 3, 0, 2, True, (1, 1)),
    (5, 3, 2, 1, 1, True, (3, 4)),
    (5, 3, 2, 0, 2, False, (1, 1)),
    (6, 1, 3, 0, 1, False, (2, 3)),
    (5, 3, 3, 1, 2, True, (2, 2)),
    (3, 3, 3, 0, 2, True, (1, 1)),
    (5, 1, 1, 0, 1, True, (5, 6)),
    (6, 2, 2, 1, 2, True, (4, 4)),
    (6, 3, 2, 1, 1, True, (4, 4)),
    (7, 3, 1, 0, 1, True, (5, 6)),
    (5, 3, 3, 1, 2, False, (1, 2)),
    (2, 2, 3, 0, 2, False, None),
    (5, 3, 1, 1, 2, True, (3, 4)),
    (7, 2, 2, 0, 2, False, (3, 3)),
    (7, 2, 3, 0, 1, True, (3, 3)),
    (7, 2, 2, 0, 1, True, (4, 4)),
    (2, 3, 1, 1, 1, False, (2, 3)),
    (6, 3, 2, 1, 1, False, (3, 4)),
    (1, 2, 3, 1, 2, True, (1, 1)),
    (6, 1, 2, 0, 2, False, (3, 4)),
]

# (H, kernel, stride, padding, ceil_mode, output (OH, OW) or None)
AVG_CASES = [
    (7, 3, 3, 0, True, (3, 3)),
    (1, 3, 3, 1, True, (1, 1)),
    (3, 3, 3, 1, True, (2, 2)),
    (1, 3, 1, 0, True, None),
    (3, 2, 3, 1, False, (2, 2)),
    (3, 3, 1, 0, False, (1, 2)),
    (5, 3, 3, 0, False, (1, 2)),
    (3, 3, 2, 1, True, (2, 3)),
    (3, 1, 3, 0, False, (1, 2)),
    (1, 3, 2, 1, False, (1, 1)),
    (7, 2, 2, 0, False, (3, 4)),
    (5, 2, 3, 1, False, (2, 3)),
    (3, 3, 2, 0, False, (1, 1)),
    (6, 2, 1, 0, False, (5, 6)),
    (2, 3, 2, 0, False, None),
    (7, 1, 3, 0, True, (3, 3)),
    (7, 1, 2, 0, True, (4, 4)),
    (2, 2, 2, 0, True, (1, 2)),
    (2, 2, 3, 0, True, (1, 1)),
    (3, 1, 1, 0, False, (3, 4)),
    (7, 2, 1, 1, True, (8, 9)),
    (7, 2, 2, 1, False, (4, 5)),
    (6, 3, 3, 0, True, (2, 3)),
    (5, 1, 2, 0, False, (3, 3)),
    (5, 3, 3, 1, False, (2, 2)),
    (6, 1, 3, 0, True, (2, 3)),
    (2, 3, 2, 1, True, (2, 2)),
    (5, 2, 1, 1, True, (6, 7)),
    (7, 1, 3, 0, False, (3, 3)),
    (5, 1, 2, 0, False, (3, 3)),
    (2, 2, 3, 1, False, (1, 2)),
    (2, 2, 2, 0, False, (1, 1)),
]


@pytest.mark.parametrize("h,k,s,p,d,ceil,want", MAX_CASES)
def test_max_pool2d_output_size_matches_pytorch(h, k, s, p, d, ceil, want):
    x = ember.randn(1, 2, h, h + 1)
    if want is None:
        with pytest.raises(RuntimeError, match="Output size is too small"):
            F.max_pool2d(x, k, s, p, d, ceil_mode=ceil)
        return
    out, idx = F.max_pool2d(x, k, s, p, d, ceil_mode=ceil, return_indices=True)
    assert tuple(out.shape[2:]) == want
    # every window's max is the input value its index names (windows clipped to the input; a
    # window over padding only is -inf, as in PyTorch)
    got = out.reshape(1, 2, -1).numpy()
    at = idx.reshape(1, 2, -1).clamp(0, h * (h + 1) - 1)
    picked = x.reshape(1, 2, -1).gather(2, at).numpy()
    finite = np.isfinite(got)
    np.testing.assert_array_equal(got[finite], picked[finite])


@pytest.mark.parametrize("h,k,s,p,ceil,want", AVG_CASES)
def test_avg_pool2d_output_size_matches_pytorch(h, k, s, p, ceil, want):
    x = ember.randn(1, 2, h, h + 1)
    if want is None:
        with pytest.raises(RuntimeError, match="Output size is too small"):
            F.avg_pool2d(x, k, s, p, ceil_mode=ceil)
        return
    assert tuple(F.avg_pool2d(x, k, s, p, ceil_mode=ceil).shape[2:]) == want


def test_nd_pooling_uses_the_same_rule():
    assert tuple(F.max_pool3d(ember.zeros(1, 2, 5, 4, 3), 2, stride=2, ceil_mode=True).shape) == (1, 2, 3, 2, 2)
    assert tuple(F.max_pool1d(ember.zeros(1, 2, 5), 2, stride=2, ceil_mode=True).shape) == (1, 2, 3)
    assert tuple(F.avg_pool1d(ember.zeros(1, 2, 5), 2, stride=2, ceil_mode=True).shape) == (1, 2, 3)
    with pytest.raises(RuntimeError, match=r"Given input size: \(2x3x3x3\)\. Calculated output size: \(2x0x0x0\)\. Output size is too small"):
        F.max_pool3d(ember.zeros(1, 2, 3, 3, 3), 5)


BAD = [
    (lambda x: F.max_pool2d(x, 5), r"^Given input size: \(2x3x3\)\. Calculated output size: \(2x0x0\)\. Output size is too small$"),
    (lambda x: F.avg_pool2d(x, 5), r"^Given input size: \(2x3x3\)\. Calculated output size: \(2x0x0\)\. Output size is too small$"),
    (lambda x: F.max_pool2d(x, 0, stride=1), r"^kernel size should be greater than zero, but got kH: 0 kW: 0$"),
    (lambda x: F.max_pool2d(x, 2, stride=0), r"^stride should not be zero$"),
    (lambda x: F.max_pool2d(x, 0), r"^stride should not be zero$"),
    (lambda x: F.max_pool2d(x, 2, dilation=0), r"^dilation should be greater than zero, but got dilationH: 0 dilationW: 0$"),
    (lambda x: F.max_pool2d(x, 2, padding=2), r"^pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1$"),
    (lambda x: F.avg_pool2d(x, 2, padding=2), r"^pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1$"),
    (lambda x: F.avg_pool2d(x, 2, divisor_override=0), r"^divisor must be not zero$"),
    (lambda x: F.max_pool2d(x, 2, padding=-1), r"^pad must be non-negative, but got pad: -1$"),
    (lambda x: F.max_pool2d(x, 2, stride=-1), r"^stride should be greater than zero"),
]


@pytest.mark.parametrize("i", range(len(BAD)))
@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_bad_pool_arguments_raise_pytorchs_error(i, device):
    fn, msg = BAD[i]
    with pytest.raises(RuntimeError, match=msg):
        fn(ember.zeros(1, 2, 3, 3, device=device))


def test_ceil_mode_reaches_the_native_kernel_and_export():
    # the binding takes ceil_mode (PyTorch's argument), not an output size computed in Python
    from ember import _native
    out, _ = _native._max_pool2d(ember.zeros(1, 1, 5, 5), (2, 2), (2, 2), (0, 0), (1, 1), True)
    assert tuple(out.shape) == (1, 1, 3, 3)
    out = _native._avg_pool2d(ember.zeros(1, 1, 5, 5), (2, 2), (2, 2), (0, 0), False, True)
    assert tuple(out.shape) == (1, 1, 2, 2)

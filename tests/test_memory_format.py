"""``clone(memory_format=…)``: the copy's strides are those PyTorch documents for the format
(channels_last: NHWC, ``stride[1] = 1``, ``stride[3] = C``, ``stride[2] = W·C``,
``stride[0] = H·W·C``; channels_last_3d: NDHWC; contiguous_format: row-major), whatever the
input's layout; values and gradients pass through unchanged. The expected strides of the
fixed cases were read off PyTorch 2.15."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from strategies import assert_close, np_of, strided_pair


def format_strides(shape, order):
    """The strides of ``shape`` laid out with dims in ``order``, outermost first (no size-0 or
    size-1 special case, as PyTorch computes them)."""
    strides, acc = [0] * len(shape), 1
    for d in reversed(order):
        strides[d] = acc
        acc *= shape[d]
    return tuple(strides)


@pytest.mark.parametrize("shape, want", [
    ((2, 3, 4, 5), (60, 1, 15, 3)),
    ((2, 1, 4, 4), (16, 1, 4, 1)),
    ((1, 3, 1, 1), (3, 1, 3, 3)),
    ((2, 0, 3, 3), (0, 1, 0, 0)),
    ((0, 2, 2, 2), (8, 1, 4, 2)),
])
def test_clone_channels_last_strides(shape, want):
    x = ember.randn(*shape)
    y = x.clone(memory_format=ember.channels_last)
    assert y.stride() == want
    assert y.shape == x.shape
    assert y.is_contiguous(memory_format=ember.channels_last)
    assert np.array_equal(y.numpy(), x.numpy())
    assert y.data_ptr() != x.data_ptr() or x.numel() == 0


def test_clone_channels_last_3d_strides():
    x = ember.randn(2, 3, 4, 5, 6)
    y = ember.clone(x, memory_format=ember.channels_last_3d)
    assert y.stride() == (360, 1, 90, 18, 3)
    assert y.is_contiguous(memory_format=ember.channels_last_3d)
    assert np.array_equal(y.numpy(), x.numpy())


def test_clone_formats_from_channels_last():
    y = ember.randn(2, 3, 4, 5).contiguous(memory_format=ember.channels_last)
    assert y.stride() == (60, 1, 15, 3)
    assert y.clone().stride() == (60, 1, 15, 3)
    assert y.clone(memory_format=ember.preserve_format).stride() == (60, 1, 15, 3)
    c = y.clone(memory_format=ember.contiguous_format)
    assert c.stride() == (60, 20, 5, 1) and c.is_contiguous()
    assert np.array_equal(c.numpy(), y.numpy())
    # preserve_format on a non-dense input: dense, in the input's memory order
    assert y[:, :, ::2].clone().stride() == (30, 1, 15, 3)


def test_clone_format_errors():
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        ember.randn(2, 3, 4).clone(memory_format=ember.channels_last)
    with pytest.raises(RuntimeError, match="required rank 5 tensor to use channels_last_3d format"):
        ember.randn(2, 3, 4, 5).clone(memory_format=ember.channels_last_3d)
    with pytest.raises(TypeError, match="must be torch.memory_format, not str"):
        ember.randn(2, 3).clone(memory_format="channels_last")


@settings(max_examples=40, deadline=None)
@given(strided_pair(dtypes=["float32", "float64", "int32"], min_dims=4, max_dims=4),
       st.sampled_from(["channels_last", "contiguous_format", "preserve_format"]))
def test_clone_strided_inputs(pair, fmt):
    x, a = pair
    y = x.clone(memory_format=getattr(ember, fmt))
    assert_close(y, a)
    assert y.dtype == x.dtype and y.shape == x.shape
    if fmt == "channels_last":
        assert y.stride() == format_strides(x.shape, (0, 2, 3, 1))
    elif fmt == "contiguous_format":
        assert y.stride() == ember.empty(x.shape).stride()
    # the copy owns its memory: writing it leaves the input alone
    if y.numel():
        y.fill_(7)
        assert_close(x, a)


def test_clone_format_gradient():
    x = ember.randn(2, 3, 2, 2, dtype=ember.float64, requires_grad=True)
    y = x.clone(memory_format=ember.channels_last)
    assert y.grad_fn is not None and y.requires_grad
    w = ember.randn(2, 3, 2, 2, dtype=ember.float64)
    (y * w).sum().backward()
    assert np.array_equal(x.grad.numpy(), w.numpy())
    assert ember.autograd.gradcheck(lambda t: t.clone(memory_format=ember.channels_last) * 2, (x,))


def test_contiguous_channels_last_matches_clone():
    x = ember.randn(2, 3, 4, 5).transpose(2, 3)
    c = x.contiguous(memory_format=ember.channels_last)
    assert c.stride() == format_strides(tuple(c.shape), (0, 2, 3, 1))
    assert np.array_equal(c.numpy(), np_of(x))
    assert c.contiguous(memory_format=ember.channels_last) is c

"""PyTorch's output layout for elementwise ops: a new output takes its operands' memory order
(TensorIterator), not row-major. The expected strides below were read off PyTorch 2.15;
values are checked against NumPy on strided inputs."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from strategies import assert_close, np_of, strided_pair


def xy():
    x = ember.randn(4, 3)
    y = ember.randn(4, 3)
    return x, y


def is_dense(t):
    """Non-overlapping and dense: a permutation of a row-major layout (size-1 dims free)."""
    if t.numel() == 0:
        return True
    dims = sorted((s, n) for n, s in zip(t.shape, t.stride()) if n != 1)
    expect = 1
    for s, n in dims:
        if s != expect:
            return False
        expect *= n
    return True


def test_binary_first_operand_decides():
    x, y = xy()
    assert (x.t() + y.t()).stride() == (1, 3)
    assert (x.t() + y.t().contiguous()).stride() == (1, 3)
    assert (x.t().contiguous() + y.t()).stride() == (4, 1)
    assert (x.t() * 2).stride() == (1, 3)
    assert (2 * x.t()).stride() == (1, 3)
    assert (x.t() + ember.tensor(1.0)).stride() == (1, 3)
    assert ember.maximum(x.t(), y.t()).stride() == (1, 3)
    assert (x.t() - y.t()).stride() == (1, 3)


def test_broadcast_dims_do_not_decide():
    x, _ = xy()
    assert ember.randn(3, 1).expand(3, 4).add(x.t()).stride() == (1, 3)
    assert (ember.randn(3, 1) + x.t()).stride() == (1, 3)
    assert (x.t() + ember.randn(4)).stride() == (1, 3)


def test_unary_keeps_order_and_drops_gaps():
    x, _ = xy()
    assert x.t().exp().stride() == (1, 3)
    assert x.t().neg().stride() == (1, 3)
    assert (-x.t()).stride() == (1, 3)
    assert x.t().abs().stride() == (1, 3)
    assert x.t().sigmoid().stride() == (1, 3)
    assert ember.nn.functional.relu(x.t()).stride() == (1, 3)
    assert x.t().clamp(0, 1).stride() == (1, 3)
    assert x[:, ::2].exp().stride() == (2, 1)
    a = ember.randn(2, 3, 4).permute(2, 0, 1)
    assert a.stride() == (1, 12, 4)
    assert a.sin().stride() == (1, 12, 4)
    assert (a + 1).stride() == (1, 12, 4)


def test_bool_results_and_where():
    x, y = xy()
    assert (x.t() > 0).stride() == (1, 3)
    assert (x.t() > y.t().contiguous()).stride() == (1, 3)
    assert (x.t().contiguous() > y.t()).stride() == (4, 1)
    assert x.t().isnan().stride() == (1, 3)
    assert (~(x.t() > 0)).stride() == (1, 3)
    assert ember.logical_not(x.t()).stride() == (1, 3)
    assert (x.t().int() & 3).stride() == (1, 3)
    assert x.t().int().bitwise_not().stride() == (1, 3)
    assert ember.where(x.t() > 0, x.t(), 0.0).stride() == (1, 3)
    # the condition is the first operand
    assert ember.where(ember.ones(3, 4, dtype=ember.bool), x.t(), 0.0).stride() == (4, 1)
    assert ember.where(x.t().contiguous() > 0, x.t(), y.t()).stride() == (4, 1)


def test_casts_clone_and_like_preserve_format():
    x, _ = xy()
    xt = x.t()
    for t in (xt.float(), xt.double(), xt.to(ember.int32), xt.clone(), ember.empty_like(xt), ember.zeros_like(xt),
              ember.ones_like(xt), ember.full_like(xt, 7.0), ember.rand_like(xt), ember.randn_like(xt),
              ember.randint_like(xt, 5)):
        assert t.stride() == (1, 3), t
        assert tuple(t.shape) == (3, 4)
    assert ember.zeros_like(xt).eq(0).all()
    assert ember.full_like(xt, 7.0).eq(7).all()
    np.testing.assert_array_equal(np_of(xt.double()), np_of(xt).astype(np.float64))
    np.testing.assert_array_equal(np_of(xt.clone()), np_of(xt))
    # dense: the very strides; not dense: dense in the same order
    a = x.t()[:, ::2]
    assert a.stride() == (1, 6)
    for t in (a.clone(), ember.empty_like(a), a.to(ember.float64), a.exp()):
        assert t.stride() == (1, 3)
    assert ember.zeros_like(xt, memory_format=ember.contiguous_format).stride() == (4, 1)
    # dense with a free size-1 stride: kept exactly, as PyTorch's empty_like keeps it
    odd = ember.randn(8).as_strided((1, 4), (8, 1))
    assert ember.empty_like(odd).stride() == (8, 1) and odd.clone().stride() == (8, 1)
    assert ember.zeros_like(ember.randn(2, 3, 4, 5), memory_format=ember.channels_last).stride() == (60, 1, 15, 3)
    assert xt.contiguous().stride() == (4, 1)


def test_inplace_and_out_unchanged():
    x, y = xy()
    out = ember.empty(3, 4)
    assert ember.add(x.t(), y.t(), out=out).stride() == (4, 1)
    z = x.t().clone()
    z.add_(y.t())
    assert z.stride() == (1, 3)
    w = ember.empty(3, 4)
    w.copy_(x.t())
    assert w.stride() == (4, 1)


def test_view_raises_where_pytorch_raises():
    x, y = xy()
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.t().exp().view(12)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        (x.t() + y.t()).view(12)
    assert (x.t().contiguous() + y.t()).view(12).shape == (12,)
    assert (x.t() + y.t()).reshape(12).shape == (12,)
    assert (x.t() + y.t()).t().view(12).shape == (12,)


def test_meta_geometry_equals_cpu():
    x, y = xy()
    mx, my = x.to("meta"), y.to("meta")
    cases = [
        (lambda a, b: a.t() + b.t()), (lambda a, b: a.t().contiguous() + b.t()), (lambda a, b: a.t().exp()),
        (lambda a, b: a[:, ::2].exp()), (lambda a, b: a.t() > 0), (lambda a, b: ember.where(a.t() > 0, a.t(), b.t())),
        (lambda a, b: a.t().double()), (lambda a, b: a.t().clone()), (lambda a, b: a.t()[:, ::2].clone()),
        (lambda a, b: ember.logical_not(a.t())), (lambda a, b: a.t().isnan()), (lambda a, b: a.t() * 2),
    ]
    for f in cases:
        c, m = f(x, y), f(mx, my)
        assert m.device.type == "meta"
        assert (tuple(m.shape), m.stride(), m.dtype) == (tuple(c.shape), c.stride(), c.dtype)


def test_gradients_keep_layout_rules():
    x = ember.randn(4, 3, requires_grad=True)
    x.t().exp().sum().backward()
    assert x.grad.stride() == (3, 1)
    x = ember.randn(4, 3, requires_grad=True)
    (g,) = ember.autograd.grad(x.t().exp(), x, ember.ones(3, 4))
    assert g.stride() == (1, 4)
    l = ember.randn(3, 4, requires_grad=True)
    (l.t() * 2).sum().backward()
    assert l.grad.stride() == (4, 1)
    np.testing.assert_allclose(np_of(l.grad), np.full((3, 4), 2.0))


def test_gradcheck_through_transposed_outputs():
    a = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    b = ember.randn(4, 3, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b: (a.t() * b).exp(), (a, b))
    assert ember.autograd.gradcheck(lambda a, b: ember.where(a.t() > 0, a.t(), b) / 2, (a, b))


@settings(max_examples=60, deadline=None)
@given(strided_pair(max_dims=4), st.integers(0, 2**32 - 1))
def test_values_and_dense_outputs_on_strided_inputs(pair, seed):
    t, a = pair
    rng = np.random.default_rng(seed)
    b = rng.standard_normal(a.shape).astype(a.dtype)
    tb = ember.tensor(b.tolist(), dtype=t.dtype).reshape(a.shape) if a.ndim else ember.tensor(float(b), dtype=t.dtype)
    for got, want in ((t.exp(), np.exp(a)), (t + tb, a + b), (tb * t, b * a), (t > tb, a > b), (t.clone(), a),
                      (ember.where(t > 0, t, tb), np.where(a > 0, a, b))):
        assert_close(got, want)
        assert is_dense(got)
    # a single operand's order is kept (ignoring size-1 and broadcast dims; empty tensors are
    # row-major, as all empty tensors count as contiguous)
    if t.numel() == 0:
        return
    y = t.exp()
    keep = [d for d in range(t.ndim) if t.shape[d] > 1 and t.stride()[d] != 0]
    order_in = sorted(keep, key=lambda d: t.stride()[d])
    order_out = sorted(keep, key=lambda d: y.stride()[d])
    if len({t.stride()[d] for d in keep}) == len(keep):
        assert order_in == order_out


def test_empty_output_with_zero_strides_accepts_writes():
    # PyTorch gives t.abs() + 0.5 strides (0, 0, 1, 0) here, and writing into such an empty
    # tensor is allowed: no element can share a location when there are none
    t = ember.empty(0, 2, 0, 1)
    x = t.abs() + 0.5
    assert x.stride() == (0, 0, 1, 0)
    assert x.clone().copy_(x).shape == (0, 2, 0, 1)
    assert x.clone().igamma_(x + 1).shape == (0, 2, 0, 1)
    e = ember.empty_strided((0, 2, 3), (0, 0, 1))
    assert e.copy_(ember.empty(0, 2, 3)).shape == (0, 2, 3)

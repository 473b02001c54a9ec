"""Tensor.grad_dtype (PyTorch 2.9+): defaults to the dtype; AccumulateGrad casts incoming
gradients to it; `.grad =` must match it unless it is None; settable on leaves only."""
import numpy as np
import pytest

import ember


def test_default_and_cast_on_accumulate():
    a = ember.ones(3, requires_grad=True)
    assert a.grad_dtype == ember.float32
    a.grad_dtype = ember.float64
    assert a.grad_dtype == ember.float64
    (a * 2).sum().backward()
    assert a.grad.dtype == ember.float64 and a.grad.tolist() == [2.0, 2.0, 2.0]
    (a * 3).sum().backward()  # accumulates in float64
    assert a.grad.dtype == ember.float64 and a.grad.tolist() == [5.0, 5.0, 5.0]


def test_none_allows_any_assignment():
    d = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="attempting to assign a gradient with dtype 'Double' to a tensor with "
                                           "grad_dtype 'Float'"):
        d.grad = ember.ones(3, dtype=ember.float64)
    assert d.grad is None
    d.grad_dtype = None
    assert d.grad_dtype is None
    d.grad = ember.ones(3, dtype=ember.float64)
    assert d.grad.dtype == ember.float64
    (d * 2).sum().backward()  # None: no cast; float32 grad adds onto the float64 one
    np.testing.assert_array_equal(d.grad.numpy(), [3.0, 3.0, 3.0])


def test_setter_errors():
    c = ember.ones(3, requires_grad=True) * 2
    assert c.grad_dtype == ember.float32  # readable on non-leaves
    with pytest.raises(RuntimeError, match="grad_dtype can only be set on leaf tensors."):
        c.grad_dtype = ember.float64
    e = ember.ones(3, requires_grad=True)
    e.grad_dtype = ember.float64
    e.grad = ember.ones(3, dtype=ember.float64)
    with pytest.raises(RuntimeError, match="Cannot set grad_dtype to 'Long' because there is already a gradient"):
        e.grad_dtype = ember.int64
    with pytest.raises(RuntimeError, match="grad_dtype must be a torch.dtype or None, but got str"):
        e.grad_dtype = "x"
    assert e.grad_dtype == ember.float64

"""Backward through views, in-place ops on views (CopySlices), and the version counter."""
import pytest

import ember
from ember import autograd


def leaf(vals, dtype=ember.float64):
    return ember.tensor(vals, dtype=dtype, requires_grad=True)


def grad_of(f, x):
    x.grad = None
    f(x).sum().backward()
    return x.grad.tolist()


@pytest.mark.parametrize("view, expected", [
    (lambda x: x[1], [[0, 0, 0], [1, 1, 1]]),
    (lambda x: x[:, 1:], [[0, 1, 1], [0, 1, 1]]),
    (lambda x: x[:, ::2], [[1, 0, 1], [1, 0, 1]]),
    (lambda x: x.t(), [[1, 1, 1], [1, 1, 1]]),
    (lambda x: x.narrow(1, 1, 1), [[0, 1, 0], [0, 1, 0]]),
    (lambda x: x.diagonal(), [[1, 0, 0], [0, 1, 0]]),
    (lambda x: x.view(6)[2:4], [[0, 0, 1], [1, 0, 0]]),
    (lambda x: x.unsqueeze(0).squeeze(0), [[1, 1, 1], [1, 1, 1]]),
    (lambda x: x.expand(4, 2, 3), [[4, 4, 4], [4, 4, 4]]),
    (lambda x: x.as_strided((2,), (4,), 0), [[1, 0, 0], [0, 1, 0]]),
    (lambda x: x.unfold(1, 2, 1), [[1, 2, 1], [1, 2, 1]]),
])
def test_backward_through_views(view, expected):
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert grad_of(view, x) == expected


def test_chain_of_views_weights():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    w = ember.tensor([10.0, 20.0], dtype=ember.float64)
    (x.t()[1] * w).sum().backward()  # x.t()[1] = column 1 of x
    assert x.grad.tolist() == [[0.0, 10.0], [0.0, 20.0]]


def test_inplace_on_view_of_clone():
    a = leaf([1.0, 2.0, 3.0])
    x = a.clone()
    x[0] *= 2
    assert x.grad_fn.name() == "CopySlices"
    (x * x).sum().backward()
    # x = [2a0, a1, a2]; d/da sum(x^2) = [8 a0, 2 a1, 2 a2]
    assert a.grad.tolist() == [8.0, 4.0, 6.0]


def test_setitem_with_tensor_requiring_grad():
    a = leaf([1.0, 2.0, 3.0])
    y = leaf(5.0)
    x = a.clone()
    x[1] = y
    assert x.grad_fn.name() == "CopySlices"
    (x * x).sum().backward()
    assert a.grad.tolist() == [2.0, 0.0, 6.0]
    assert y.grad.item() == 10.0


def test_setitem_into_plain_tensor_makes_it_non_leaf():
    x = ember.zeros(3, dtype=ember.float64)
    y = leaf(2.0)
    x[2] = y
    assert x.requires_grad and not x.is_leaf
    (x * 3).sum().backward()
    assert y.grad.item() == 3.0


def test_inplace_on_view_updates_view_history():
    a = leaf([1.0, 2.0, 3.0])
    x = a * 1
    v = x[1:]
    v.mul_(3)
    assert v.grad_fn is not None
    assert x.tolist() == [1.0, 6.0, 9.0]
    (x * ember.tensor([1.0, 10.0, 100.0], dtype=ember.float64)).sum().backward()
    assert a.grad.tolist() == [1.0, 30.0, 300.0]


def test_inplace_add_with_other_requiring_grad():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    x = a * 2
    x.add_(b * b)
    x.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]
    assert b.grad.tolist() == [6.0, 8.0]


def test_inplace_mul_uses_value_before_write():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    x = a + 0
    x.mul_(b)
    x.sum().backward()
    assert a.grad.tolist() == [3.0, 4.0]
    assert b.grad.tolist() == [1.0, 2.0]


def test_inplace_on_leaf_requiring_grad_raises():
    a = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        a.add_(1)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an in-place"):
        a[0] = 5.0
    assert a.tolist() == [1.0, 2.0]  # unchanged
    with ember.no_grad():
        a.add_(1)  # allowed without grad mode
    assert a.tolist() == [2.0, 3.0]


def test_version_counter_input_saved_by_mul():
    a = leaf([1.0, 2.0, 3.0])
    b = a * 1
    c = b * b  # MulBackward0 saves b
    b.add_(1)
    with pytest.raises(RuntimeError) as e:
        c.sum().backward()
    msg = str(e.value)
    assert msg.startswith("one of the variables needed for gradient computation has been modified by an inplace "
                          "operation: [torch.DoubleTensor [3]], which is output 0 of AddBackward0, is at version 1; "
                          "expected version 0 instead. Hint:")
    assert "MulBackward0" in msg  # names the op that saved it


def test_version_counter_leaf_input():
    a = leaf([1.0, 2.0])
    c = a * a
    with ember.no_grad():
        a.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[torch.DoubleTensor \[2\]\] is at "
                                           r"version 1; expected version 0 instead. Hint: MulBackward0"):
        c.sum().backward()


class _Exp(autograd.Function):
    """exp with the output saved for backward, as native ExpBackward0 does."""

    @staticmethod
    def forward(ctx, x):
        y = ember.tensor([2.718281828459045 ** v for v in x.tolist()], dtype=x.dtype)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


def test_version_counter_saved_output():
    a = leaf([0.0, 1.0, 2.0])
    y = _Exp.apply(a)
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"\[torch.DoubleTensor \[3\]\], which is output 0 of _ExpBackward, is at "
                                           r"version 1; expected version 0 instead"):
        y.sum().backward()


def test_saved_output_unmodified_works_and_double_backward():
    a = leaf([0.0, 1.0])
    y = _Exp.apply(a)
    (g,) = autograd.grad(y.sum(), a, create_graph=True)
    assert g.tolist() == pytest.approx([1.0, 2.718281828459045])
    (h,) = autograd.grad(g.sum(), a)  # d/da (g * y) where y's history was re-attached on unpack
    assert h.tolist() == pytest.approx([1.0, 2.718281828459045])


def test_detach_shares_version_counter():
    a = leaf([1.0, 2.0])
    b = a * 1
    c = b * b
    b.detach().zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()


def test_view_created_before_inplace_on_base_sees_new_history():
    a = leaf([1.0, 2.0, 3.0])
    x = a.clone()
    v = x[:2]
    x.mul_(2)  # v now reads doubled values: its history must include the mul
    assert v.grad_fn.name() == "AsStridedBackward0"
    v.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0, 0.0]


def test_view_created_before_inplace_on_sibling_view():
    a = leaf([1.0, 2.0, 3.0])
    x = a.clone()
    w = x[:2]
    x[1:] *= 3
    (w * ember.tensor([1.0, 10.0], dtype=ember.float64)).sum().backward()
    assert a.grad.tolist() == [1.0, 30.0, 0.0]


def test_view_history_unchanged_without_writes():
    a = leaf([1.0, 2.0, 3.0])
    v = (a * 1)[1:]
    assert v.grad_fn.name() == "SliceBackward0"
    assert v.grad_fn is v.grad_fn

"""Custom autograd.Function subclasses written in Python."""
import pytest

import ember
from ember import autograd
from ember.autograd import Function


def leaf(vals):
    return ember.tensor(vals, dtype=ember.float64, requires_grad=True)


class ScaleBy(Function):
    @staticmethod
    def forward(ctx, x, k):  # k is a Python number: it gets no gradient
        ctx.k = k
        ctx.save_for_backward(x)
        return x * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False)
        return g * ctx.k, None


def test_apply_forward_backward_and_name():
    a = leaf([1.0, 2.0])
    y = ScaleBy.apply(a, 3.0)
    assert y.grad_fn.name() == "ScaleByBackward"
    ((acc, _),) = y.grad_fn.next_functions
    assert acc.variable is a
    y.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]


def test_no_graph_when_inputs_dont_require_grad():
    y = ScaleBy.apply(ember.tensor([1.0]), 2.0)
    assert not y.requires_grad and y.grad_fn is None
    with ember.no_grad():
        assert ScaleBy.apply(leaf([1.0]), 2.0).grad_fn is None


class MulAdd(Function):
    """Two tensor inputs, two outputs; setup_context style."""

    @staticmethod
    def forward(x, y):
        return x * y, x + y

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, g_prod, g_sum):
        x, y = ctx.saved_tensors
        return g_prod * y + g_sum, g_prod * x + g_sum


def test_setup_context_and_multiple_outputs():
    x, y = leaf([2.0]), leaf([5.0])
    p, s = MulAdd.apply(x, y)
    (p * 10 + s).sum().backward()
    assert x.grad.tolist() == [51.0]
    assert y.grad.tolist() == [21.0]


def test_unused_output_gets_zero_grad_materialized():
    x, y = leaf([2.0]), leaf([5.0])
    p, _ = MulAdd.apply(x, y)
    p.sum().backward()  # g_sum materialized as zeros
    assert x.grad.tolist() == [5.0]


class ReturnsNoneGrad(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * 2 + y

    @staticmethod
    def backward(ctx, g):
        return g * 2, None


def test_none_gradient_for_tensor_input():
    x, y = leaf([1.0]), leaf([1.0])
    ReturnsNoneGrad.apply(x, y).sum().backward()
    assert x.grad.tolist() == [2.0]
    assert y.grad is None


class ArgMaxLike(Function):
    @staticmethod
    def forward(ctx, x):
        idx = ember.tensor([0.0, 1.0], dtype=ember.float64)
        ctx.mark_non_differentiable(idx)
        return x * 1, idx

    @staticmethod
    def backward(ctx, g, g_idx):
        assert g_idx.tolist() == [0.0, 0.0]  # non-differentiable output's grad is zeros
        return g


def test_mark_non_differentiable():
    x = leaf([1.0, 2.0])
    y, idx = ArgMaxLike.apply(x)
    assert y.requires_grad and not idx.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


class AddOneInPlace(Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 1


def test_mark_dirty_keeps_identity_and_rebases_history():
    a = leaf([1.0, 2.0])
    x = a * 2
    y = AddOneInPlace.apply(x)
    assert y is x
    assert x.tolist() == [3.0, 5.0]
    assert x.grad_fn.name() == "AddOneInPlaceBackward"
    x.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]


def test_mark_dirty_on_leaf_raises():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        AddOneInPlace.apply(leaf([1.0]))


class Boom(Exception):
    pass


class Raises(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        raise Boom("from backward")


def test_exception_in_backward_propagates_unchanged():
    with pytest.raises(Boom, match="from backward"):
        Raises.apply(leaf([1.0])).sum().backward()
    # The next, unrelated engine error is not mistaken for it.
    a = leaf([1.0])
    y = (a * a).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


class WrongCount(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        return g, g


def test_wrong_number_of_gradients():
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        WrongCount.apply(leaf([1.0])).sum().backward()


def test_saved_tensors_freed_after_backward():
    a = leaf([1.0])
    y = ScaleBy.apply(a, 2.0)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()


def test_custom_function_gradcheck():
    x = leaf([0.3, -1.2])
    y = leaf([2.0, 0.5])
    assert autograd.gradcheck(lambda a, b: MulAdd.apply(a, b), (x, y))


def test_once_differentiable_backward_runs_without_grad():
    from ember.autograd.function import once_differentiable

    class Sq(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = leaf([3.0])
    (g,) = autograd.grad(Sq.apply(x).sum(), x, create_graph=True)
    assert g.tolist() == [6.0] and not g.requires_grad

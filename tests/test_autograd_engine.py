"""Autograd engine and API: backward/grad, accumulation, graph introspection, errors."""
import warnings

import pytest

import ember
from ember import autograd


def leaf(vals, dtype=None):
    return ember.tensor(vals, dtype=dtype, requires_grad=True)


# ---- requires_grad, is_leaf, propagation -------------------------------------------------

def test_requires_grad_creation_and_method():
    a = ember.tensor([1.0, 2.0])
    assert not a.requires_grad and a.is_leaf and a.grad_fn is None
    assert a.requires_grad_() is a
    assert a.requires_grad and a.is_leaf
    a.requires_grad_(False)
    assert not a.requires_grad
    b = ember.zeros(3, requires_grad=True)
    assert b.requires_grad and b.is_leaf


def test_requires_grad_on_integers_raises():
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        ember.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        ember.tensor([1, 2], requires_grad=True)


def test_requires_grad_false_on_non_leaf_raises():
    b = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        b.requires_grad_(False)


def test_propagation_rules():
    a, c = leaf([1.0, 2.0]), ember.tensor([3.0, 4.0])
    y = a * c
    assert y.requires_grad and not y.is_leaf
    assert not (c * c).requires_grad
    # Integer and bool results never require grad.
    assert not a.to(ember.int64).requires_grad
    assert a.to(ember.int64).grad_fn is None
    assert (a + ember.tensor([1, 2])).requires_grad
    with ember.no_grad():
        z = a * 2
    assert not z.requires_grad and z.is_leaf


# ---- backward: values, accumulation ---------------------------------------------------------

def test_closed_form_polynomial():
    # y = sum(x^3 + 2x^2 - x / 4): dy/dx = 3x^2 + 4x - 1/4
    x = leaf([-1.5, 0.5, 2.0], dtype=ember.float64)
    y = (x * x * x + 2 * x * x - x / 4).sum()
    y.backward()
    expected = [3 * v * v + 4 * v - 0.25 for v in [-1.5, 0.5, 2.0]]
    assert x.grad.tolist() == pytest.approx(expected)
    assert x.grad.dtype == ember.float64 and tuple(x.grad.shape) == (3,)


def test_quotient_and_broadcast():
    # z = sum(a / b) with b broadcast over rows: dz/da = 1/b, dz/db = -sum_rows(a)/b^2
    a = leaf([[1.0, 2.0], [3.0, 4.0]], dtype=ember.float64)
    b = leaf([2.0, 5.0], dtype=ember.float64)
    (a / b).sum().backward()
    assert a.grad.view(4).tolist() == pytest.approx([0.5, 0.2, 0.5, 0.2])
    assert b.grad.tolist() == pytest.approx([-4.0 / 4, -6.0 / 25])
    assert tuple(b.grad.shape) == (2,)


def test_grad_accumulates_across_backward_calls():
    a = leaf([1.0, 2.0, 3.0])
    (a * a).sum().backward()
    (a * a).sum().backward()
    assert a.grad.tolist() == [4.0, 8.0, 12.0]
    a.grad = None
    (a * 3).sum().backward()
    assert a.grad.tolist() == [3.0, 3.0, 3.0]


def test_same_input_twice_sums_gradients():
    a = leaf([2.0])
    (a * a + a).backward()
    assert a.grad.tolist() == [5.0]


def test_backward_with_gradient_argument():
    a = leaf([1.0, 2.0])
    (a * 3).backward(ember.tensor([1.0, 10.0]))
    assert a.grad.tolist() == [3.0, 30.0]


def test_backward_inputs_restricts_accumulation():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a * b).sum().backward(inputs=[a])
    assert a.grad.tolist() == [3.0, 4.0]
    assert b.grad is None


def test_autograd_backward_function():
    a = leaf([1.0, 2.0])
    y1, y2 = (a * 2).sum(), (a * a).sum()
    autograd.backward([y1, y2])
    assert a.grad.tolist() == [4.0, 6.0]


def test_retain_graph_allows_second_backward():
    a = leaf([1.0, 2.0])
    y = (a * a).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert a.grad.tolist() == [4.0, 8.0]


def test_graph_that_saved_nothing_can_be_backwarded_twice():
    a = leaf([1.0, 2.0])
    y = a.sum()
    y.backward()
    y.backward()
    assert a.grad.tolist() == [2.0, 2.0]


# ---- autograd.grad and higher order -------------------------------------------------------

def test_grad_returns_tuple_and_leaves_grad_alone():
    a = leaf([1.0, 2.0])
    (g,) = autograd.grad((a * a).sum(), a)
    assert g.tolist() == [2.0, 4.0]
    assert a.grad is None
    assert not g.requires_grad


def test_grad_wrt_non_leaf():
    a = leaf([1.0, 2.0])
    b = a * 3
    (g,) = autograd.grad((b * b).sum(), [b])
    assert g.tolist() == [6.0, 12.0]


def test_grad_with_grad_outputs():
    a = leaf([1.0, 2.0])
    (g,) = autograd.grad(a * a, a, grad_outputs=ember.tensor([1.0, -1.0]))
    assert g.tolist() == [2.0, -4.0]


def test_create_graph_second_and_third_derivatives():
    x = leaf([0.5, 2.0], dtype=ember.float64)
    y = (x * x * x * x).sum()  # x^4
    (g1,) = autograd.grad(y, x, create_graph=True)
    assert g1.requires_grad and g1.grad_fn is not None
    assert g1.tolist() == pytest.approx([4 * v ** 3 for v in [0.5, 2.0]])
    (g2,) = autograd.grad(g1.sum(), x, create_graph=True)
    assert g2.tolist() == pytest.approx([12 * v ** 2 for v in [0.5, 2.0]])
    (g3,) = autograd.grad(g2.sum(), x)
    assert g3.tolist() == pytest.approx([24 * v for v in [0.5, 2.0]])


def test_backward_create_graph_gives_differentiable_grad():
    x = leaf([3.0], dtype=ember.float64)
    (x * x * x).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.tolist() == pytest.approx([27.0])
    (h,) = autograd.grad(g.sum(), x)
    assert h.tolist() == pytest.approx([18.0])


def test_allow_unused():
    a, b = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match=r"The differentiated Tensor at index 1 appears to not have been used in the "
                                           r"graph. Set allow_unused=True if this is the desired behavior."):
        autograd.grad((a * a).sum(), [a, b])
    ga, gb = autograd.grad((a * a).sum(), [a, b], allow_unused=True)
    assert ga.tolist() == [2.0] and gb is None
    ga, gb = autograd.grad((a * a).sum(), [a, b], materialize_grads=True)
    assert gb.tolist() == [0.0]


# ---- errors ---------------------------------------------------------------------------------

def test_non_scalar_backward_needs_gradient():
    a = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (a * 2).backward()
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        autograd.grad(a * 2, a)


def test_backward_twice_raises():
    a = leaf([1.0, 2.0])
    y = (a * a).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_output_without_grad_raises():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        ember.tensor([1.0]).sum().backward()
    a = leaf([1.0])
    with pytest.raises(RuntimeError, match="element 1 of tensors does not require grad"):
        autograd.backward([a.sum(), ember.tensor(1.0)], [ember.tensor(1.0), ember.tensor(1.0)])


def test_grad_of_input_not_requiring_grad_raises():
    a = leaf([1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad(a.sum(), [ember.tensor([1.0])])


def test_gradient_shape_mismatch_raises():
    a = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (a * 2).backward(ember.tensor([1.0, 2.0, 3.0]))


def test_grad_shape_assignment_checked():
    a = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        a.grad = ember.zeros(3)


# ---- graph introspection ------------------------------------------------------------------

def test_grad_fn_names_and_next_functions():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = (a * b + a).sum()
    f = y.grad_fn
    assert f.name() == "SumBackward0"
    ((add, nr),) = f.next_functions
    assert add.name() == "AddBackward0" and nr == 0
    (mul, _), (acc_a, nr_a) = add.next_functions
    assert mul.name() == "MulBackward0"
    assert acc_a.name() == "AccumulateGrad" and nr_a == 0
    assert acc_a.variable is a  # the very leaf object
    (acc_a2, _), (acc_b, _) = mul.next_functions
    assert acc_a2 is acc_a  # one accumulator per leaf
    assert acc_b.variable is b
    assert acc_a.next_functions == ()


def test_names_of_sub_div_neg_views_clone_to():
    a = leaf([[1.0, 2.0], [3.0, 4.0]])
    assert (a - 1).grad_fn.name() == "SubBackward0"
    assert (a / 2).grad_fn.name() == "DivBackward0"
    assert a.view(4).grad_fn.name() == "ViewBackward0"
    assert a.t().grad_fn.name() == "TBackward0"
    assert a.permute(1, 0).grad_fn.name() == "PermuteBackward0"
    assert a[0].grad_fn.name() == "SelectBackward0"
    assert a.expand(3, 2, 2).grad_fn.name() == "ExpandBackward0"
    assert a.clone().grad_fn.name() == "CloneBackward0"
    assert a.to(ember.float64).grad_fn.name() == "ToCopyBackward0"
    assert a.unsqueeze(0).grad_fn.name() == "UnsqueezeBackward0"


def test_grad_fn_identity_is_stable():
    a = leaf([1.0])
    y = a * 2
    assert y.grad_fn is y.grad_fn
    assert y.grad_fn == y.grad_fn and hash(y.grad_fn) == hash(y.grad_fn)


def test_metadata_dict_lives_on_the_node():
    y = leaf([1.0]) * 2
    y.grad_fn.metadata["tag"] = "mine"
    import gc

    gc.collect()
    assert y.grad_fn.metadata == {"tag": "mine"}


def test_no_grad_fn_variable_attribute_error():
    y = leaf([1.0]) * 2
    with pytest.raises(AttributeError):
        y.grad_fn.variable


# ---- detach, retain_grad, non-leaf .grad ----------------------------------------------------

def test_detach_shares_storage_and_drops_history():
    a = leaf([1.0, 2.0])
    y = a * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert d.data_ptr() == y.data_ptr()
    d[0] = 7.0
    assert y.tolist() == [7.0, 4.0]


def test_detach_in_place():
    a = leaf([1.0])
    y = a * 2
    assert y.detach_() is y
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None


def test_non_leaf_grad_is_none_with_warning():
    y = leaf([1.0]) * 2
    (y * y).sum().backward()
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert y.grad is None


def test_retain_grad():
    a = leaf([1.0, 2.0])
    y = a * 2
    y.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad.tolist() == [4.0, 8.0]
    assert a.grad.tolist() == [8.0, 16.0]
    y.retain_grad()  # idempotent: still accumulates once per backward
    a.retain_grad()  # no-op on a leaf
    assert not a.retains_grad


def test_data_is_detached_view():
    a = leaf([1.0, 2.0])
    d = a.data
    assert not d.requires_grad
    d[1] = 5.0
    assert a.tolist() == [1.0, 5.0]


def test_backward_inputs_non_leaf_gets_grad():
    a = leaf([1.0, 2.0])
    b = a * 3
    (b * b).sum().backward(inputs=[b])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert b.grad.tolist() == [6.0, 12.0]
    assert a.grad is None


def test_detach_in_place_of_view_with_history_raises():
    a = leaf([1.0, 2.0])
    v = (a * 2)[:1]
    with pytest.raises(RuntimeError, match=r"Can't detach views in-place. Use detach\(\) instead."):
        v.detach_()
    assert v.grad_fn is not None

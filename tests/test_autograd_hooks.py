"""Tensor hooks, node hooks and pre-hooks, and their removable handles."""
import ember


def leaf(vals=(1.0, 2.0)):
    return ember.tensor(list(vals), requires_grad=True)


def test_leaf_hook_sees_and_replaces_gradient():
    a = leaf()
    seen = []
    h1 = a.register_hook(lambda g: seen.append(g.tolist()))
    h2 = a.register_hook(lambda g: g * 10)
    (a * 3).sum().backward()
    assert seen == [[3.0, 3.0]]
    assert a.grad.tolist() == [30.0, 30.0]
    h2.remove()
    h1.remove()
    a.grad = None
    (a * 3).sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]
    assert seen == [[3.0, 3.0]]


def test_non_leaf_hook_changes_upstream_gradient():
    a = leaf()
    y = a * 2
    y.register_hook(lambda g: g + 1)
    (y * 1).sum().backward()
    assert a.grad.tolist() == [4.0, 4.0]


def test_hook_handle_as_context_manager():
    a = leaf()
    with a.register_hook(lambda g: g * 0):
        (a * 1).sum().backward()
    assert a.grad.tolist() == [0.0, 0.0]
    (a * 1).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]


def test_hook_on_tensor_without_grad_raises():
    import pytest

    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        ember.tensor([1.0]).register_hook(lambda g: g)


def test_hook_runs_before_retain_grad_stores():
    a = leaf()
    y = a * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 5)
    y.sum().backward()
    assert y.grad.tolist() == [5.0, 5.0]
    assert a.grad.tolist() == [10.0, 10.0]


def test_node_hook_and_prehook_with_removal():
    a = leaf()
    y = a * 2
    calls = []
    hp = y.grad_fn.register_prehook(lambda gout: (gout[0] * 3,))
    hh = y.grad_fn.register_hook(lambda gin, gout: calls.append((len(gin), len(gout))))
    y.sum().backward(retain_graph=True)
    assert a.grad.tolist() == [6.0, 6.0]
    assert calls == [(1, 1)]
    hp.remove()
    hh.remove()
    a.grad = None
    y.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]
    assert calls == [(1, 1)]


def test_node_hook_replaces_grad_inputs():
    a = leaf()
    y = a * 2
    y.grad_fn.register_hook(lambda gin, gout: (gin[0] * 0 + 7,))
    y.sum().backward()
    assert a.grad.tolist() == [7.0, 7.0]


def test_hook_may_register_another_hook():
    a = leaf()
    y = a * 2

    def first(g):
        y.grad_fn.register_hook(lambda gi, go: None)
        return None

    y.register_hook(first)
    y.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]


def test_hook_exception_propagates():
    import pytest

    a = leaf()

    def bad(g):
        raise KeyError("in hook")

    a.register_hook(bad)
    with pytest.raises(KeyError, match="in hook"):
        (a * 1).sum().backward()


def test_leaf_hook_applies_to_autograd_grad():
    from ember import autograd

    a = leaf()
    a.register_hook(lambda g: g * 100)
    (g,) = autograd.grad((a * 2).sum(), a)
    assert g.tolist() == [200.0, 200.0]
    assert a.grad is None

"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode; thread-local."""
import threading

import pytest

import ember
from ember import autograd


def leaf():
    return ember.tensor([1.0, 2.0], requires_grad=True)


def test_no_grad_context():
    a = leaf()
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        y = a * 2
    assert ember.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_restores_on_exception():
    with pytest.raises(ValueError):
        with ember.no_grad():
            raise ValueError
    assert ember.is_grad_enabled()


@pytest.mark.parametrize("deco", [ember.no_grad, ember.no_grad(), autograd.no_grad, ember.inference_mode,
                                  ember.inference_mode()])
def test_disabling_decorators_with_and_without_parentheses(deco):
    @deco
    def f(x):
        return x * 2, ember.is_grad_enabled()

    y, enabled = f(leaf())
    assert not y.requires_grad and not enabled
    assert ember.is_grad_enabled()
    assert f.__name__ == "f"


@pytest.mark.parametrize("deco", [ember.enable_grad, ember.enable_grad()])
def test_enable_grad_decorator_inside_no_grad(deco):
    @deco
    def f(x):
        return x * 2

    with ember.no_grad():
        assert f(leaf()).requires_grad
        assert not ember.is_grad_enabled()


def test_enable_grad_context_nested():
    with ember.no_grad():
        with ember.enable_grad():
            assert ember.is_grad_enabled()
            assert (leaf() * 2).requires_grad
        assert not ember.is_grad_enabled()


def test_set_grad_enabled_forms():
    a = leaf()
    with ember.set_grad_enabled(False):
        assert not (a * 2).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)  # plain call sets the mode
    try:
        assert not ember.is_grad_enabled()
    finally:
        ember.set_grad_enabled(True)

    @ember.set_grad_enabled(False)
    def f():
        return ember.is_grad_enabled()

    assert ember.is_grad_enabled()  # decorating doesn't change the mode
    assert f() is False
    assert ember.is_grad_enabled()


def test_inference_mode():
    a = leaf()
    with ember.inference_mode():
        assert ember.is_inference_mode_enabled()
        assert not (a * 2).requires_grad
    assert not ember.is_inference_mode_enabled()
    with ember.inference_mode(False):
        assert (a * 2).requires_grad


def test_decorated_generator():
    @ember.no_grad()
    def gen():
        for _ in range(2):
            yield ember.is_grad_enabled()

    g = gen()
    assert next(g) is False
    assert ember.is_grad_enabled()  # not leaked between resumptions
    assert next(g) is False


def test_grad_mode_is_thread_local():
    seen = {}
    ready, go = threading.Event(), threading.Event()

    def worker():
        seen["start"] = ember.is_grad_enabled()
        with ember.no_grad():
            ready.set()
            go.wait(5)
            seen["inside"] = ember.is_grad_enabled()
        seen["tracks"] = (leaf() * 2).requires_grad

    t = threading.Thread(target=worker)
    with ember.no_grad():
        t.start()
        ready.wait(5)
        assert not ember.is_grad_enabled()
    # The worker is still inside its no_grad; this thread is back to enabled.
    assert ember.is_grad_enabled()
    assert (leaf() * 2).requires_grad
    go.set()
    t.join()
    assert seen == {"start": True, "inside": False, "tracks": True}

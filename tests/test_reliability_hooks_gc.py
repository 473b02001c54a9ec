"""Gradient hooks and Python's cycle collector (issue 19): a hook that captures its own tensor
is collected once nothing else holds the tensor, as in PyTorch, and never while a graph or a
view still needs the hook."""
import gc
import weakref

import ember


class _Sentinel:
    pass


def _collected_after(make):
    """Builds a tensor + hook cycle holding a sentinel with ``make(sentinel)``, drops every
    reference, collects: True when the sentinel is gone."""
    s = _Sentinel()
    ref = weakref.ref(s)
    make(s)
    del s
    gc.collect()
    return ref() is None


def test_leaf_hook_capturing_its_leaf_is_collected():
    def make(s):
        x = ember.ones(3, requires_grad=True)
        x.register_hook(lambda g, x=x, s=s: g)

    assert _collected_after(make)


def test_parameter_hook_capturing_its_parameter_is_collected():
    def make(s):
        p = ember.nn.Parameter(ember.ones(2))
        p.register_hook(lambda g, p=p, s=s: g)

    assert _collected_after(make)


def test_non_leaf_hook_capturing_its_tensor_is_collected():
    def make(s):
        x = ember.ones(3, requires_grad=True)
        y = x * 2
        y.register_hook(lambda g, y=y, s=s: g)

    assert _collected_after(make)


def test_hook_still_runs_when_only_the_graph_holds_the_leaf():
    seen = []
    x = ember.ones(3, requires_grad=True)
    x.register_hook(lambda g, x=x: seen.append(g.tolist()))  # a cycle through the leaf, and...
    loss = (x * 2).sum()  # ...the graph holds the leaf too: not garbage
    del x
    gc.collect()
    loss.backward()
    assert seen == [[2.0, 2.0, 2.0]]


def test_hook_replacing_the_gradient_survives_collection_while_the_leaf_is_alive():
    x = ember.ones(2, requires_grad=True)
    x.register_hook(lambda g, x=x: g * 10)
    gc.collect()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [30.0, 30.0]
    v = x[:1]  # a view shares the leaf: its hook stays through a collection
    gc.collect()
    x.grad = None
    (v * 1).sum().backward()
    assert x.grad.tolist() == [10.0, 0.0]


def test_hooks_without_a_cycle_are_freed_with_their_tensor():
    def make(s):
        x = ember.ones(3, requires_grad=True)
        x.register_hook(lambda g, s=s: g)
        y = x * 2
        y.register_hook(lambda g, s=s: g)
        y.retain_grad()

    s = _Sentinel()
    ref = weakref.ref(s)
    make(s)
    del s
    assert ref() is None  # plain reference counting, no collector needed


def test_collections_during_tensor_construction_are_safe():
    # The collector may visit a Parameter while Python is still building it (its __dict__ is
    # allocated after the object is tracked, before its Rust value is written): it must skip
    # it, not read the missing value (a segfault in the test suite before the check).
    import subprocess
    import sys
    import textwrap
    code = textwrap.dedent("""
        import gc, ember
        gc.set_threshold(1, 1, 1)  # a collection at nearly every allocation
        keep = []
        for i in range(3000):
            p = ember.nn.Parameter(ember.ones(2))
            p.register_hook(lambda g, p=p: g)
            keep.append(ember.nn.Parameter(ember.ones(1)) * 2)
        print("ok")
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**__import__("os").environ, "PYTHONPATH": __import__("os").pathsep.join(sys.path)})
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-2000:]

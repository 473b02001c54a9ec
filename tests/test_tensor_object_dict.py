"""Tensors made by ops are allocated without an instance dict (``rust/ember-py/src/alloc.rs``);
CPython creates it on first use. Everything a ``__dict__`` is for must still work."""
import copy
import gc
import pickle
import weakref

import ember


def test_op_results_carry_no_dict_until_one_is_used():
    y = ember.arange(3, dtype=ember.float32) + 1
    assert not any(isinstance(r, dict) for r in gc.get_referents(y))
    y.foo = 1
    assert {"foo": 1} in gc.get_referents(y)


def test_attributes_on_op_results_are_stored_and_read_back():
    x = ember.arange(4, dtype=ember.float32)
    for y in (x + 1, x[1:3], x.view(2, 2), x.exp()):
        assert type(y) is ember.Tensor
        assert vars(y) == {} and not hasattr(y, "foo")
        y.foo = 1
        assert y.foo == 1 and y.__dict__ == {"foo": 1}
        del y.foo
        assert y.__dict__ == {}


def test_the_same_python_object_keeps_its_attributes():
    w = ember.ones(2, requires_grad=True)
    (w * 2).sum().backward()
    g = w.grad
    g.tag = "g"
    assert w.grad is g and w.grad.tag == "g"  # while it lives, .grad hands out the same object


def test_weakrefs_gc_and_deepcopy_of_a_tensor_with_attributes():
    y = ember.arange(3, dtype=ember.float32) * 2
    y.label = [1, 2]
    y.label.append(y)  # a cycle through the lazily made dict: the collector must see it
    r = weakref.ref(y)
    c = copy.deepcopy(y)
    assert c.label[:2] == [1, 2] and c.tolist() == [0.0, 2.0, 4.0]
    p = pickle.loads(pickle.dumps(ember.arange(2, dtype=ember.float32) + 0))
    assert p.tolist() == [0.0, 1.0]
    del y, c
    gc.collect()
    assert r() is None


def test_subclasses_keep_their_own_construction_and_dict():
    class Tagged(ember.Tensor):
        pass

    t = Tagged(ember.ones(2))
    t.note = "n"
    assert type(t) is Tagged and t.note == "n"
    p = ember.nn.Parameter(ember.ones(2))
    p.extra = 3
    assert p.extra == 3 and type(p + 1) is ember.Tensor

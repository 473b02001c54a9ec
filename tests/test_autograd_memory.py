"""Memory: graphs are freed when unreferenced, saved tensors freed after backward."""
import gc
import weakref

import ember
from ember import autograd


# A Python object of a tensor or node may die while the native object lives on (the
# binding makes a new wrapper when needed), so native liveness is measured through the
# storage's handle count: every live native tensor over a storage holds one handle.

def users(storage):
    return storage._use_count()


def test_graph_freed_without_references():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    s = b.untyped_storage()
    y = (b * b).sum()  # MulBackward0 saves b
    wy, wf = weakref.ref(y), weakref.ref(y.grad_fn)
    del b
    assert users(s) == 1  # b lives on in the graph
    del y
    # No cycles between tensors and nodes: freed by refcounting alone, without gc.
    assert users(s) == 0
    assert wy() is None and wf() is None


def test_saved_tensor_freed_after_backward():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    s = b.untyped_storage()
    y = (b * b).sum()
    del b
    assert users(s) == 1
    y.backward()
    assert users(s) == 0  # released by backward (no retain_graph) while y is still alive
    assert y.grad_fn.next_functions[0][0]._saved_tensors_info() == []


def test_saved_tensor_kept_with_retain_graph():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    s = b.untyped_storage()
    y = (b * b).sum()
    del b
    y.backward(retain_graph=True)
    assert users(s) == 1
    del y
    assert users(s) == 0


def test_saved_output_makes_no_cycle():
    class Keep(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * 2

    a = ember.tensor([1.0], requires_grad=True)
    y = Keep.apply(a)
    s = y.untyped_storage()
    assert users(s) == 2  # y itself and the saved copy of its data
    del y
    assert users(s) == 0


def test_hook_closure_released_with_graph():
    a = ember.tensor([1.0], requires_grad=True)
    y = a * 2
    payload = ember.zeros(4)
    s = payload.untyped_storage()
    y.grad_fn.register_hook(lambda gi, go, p=payload: None)
    del payload
    assert users(s) == 1
    del y
    assert users(s) == 0


def test_leaf_accumulator_identity_and_release():
    a = ember.tensor([1.0], requires_grad=True)
    y = a * 2
    acc = y.grad_fn.next_functions[0][0]
    assert acc.variable is a
    wacc = weakref.ref(acc)
    del y, acc
    assert wacc() is None
    wa = weakref.ref(a)
    del a
    gc.collect()
    assert wa() is None


def _rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_rss_flat_over_training_steps():
    w = ember.tensor([[0.1, 0.2], [0.3, 0.4]], requires_grad=True)
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]])

    def step():
        loss = ((x * w - 1) * (x * w - 1)).sum()
        loss.backward()
        with ember.no_grad():
            w.sub_(w.grad * 0.01)
        w.grad = None

    for _ in range(300):  # warm up allocator pools
        step()
    before = _rss()
    for _ in range(1000):
        step()
    grown = _rss() - before
    assert grown < 1 << 20, f"resident memory grew by {grown} bytes over 1000 steps"

"""EmbeddingBag's node, schedulers with an int lr, IterableDataset's class, assert_close's messages
(each as PyTorch documents or does)."""
import abc
import collections.abc

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader, Dataset, IterableDataset


# ---- EmbeddingBag ----

def _bag_reference(idx, offsets, w, mode, psw=None):
    bounds = list(offsets) + [len(idx)]
    rows = []
    for b in range(len(offsets)):
        sel = idx[bounds[b]:bounds[b + 1]]
        if len(sel) == 0:
            rows.append(np.zeros(w.shape[1]))
            continue
        vals = w[sel] * (psw[bounds[b]:bounds[b + 1], None] if psw is not None else 1.0)
        rows.append({"sum": vals.sum(0), "mean": vals.mean(0), "max": vals.max(0)}[mode])
    return np.stack(rows)


@settings(max_examples=25, deadline=None)
@given(mode=st.sampled_from(["sum", "mean", "max"]), n=st.integers(0, 8), nbags=st.integers(1, 4),
       seed=st.integers(0, 1000), weighted=st.booleans())
def test_embedding_bag_values_node_and_gradcheck(mode, n, nbags, seed, weighted):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, 6, n)
    offsets = np.sort(np.concatenate([[0], rng.integers(0, n + 1, nbags - 1)])).astype(np.int64)
    w_np = rng.standard_normal((6, 3))
    psw_np = rng.random(n) if weighted and mode == "sum" else None
    w = ember.tensor(w_np, requires_grad=True)
    psw = ember.tensor(psw_np, requires_grad=True) if psw_np is not None else None
    out = F.embedding_bag(ember.tensor(idx, dtype=ember.int64), w, ember.tensor(offsets), mode=mode,
                          per_sample_weights=psw)
    np.testing.assert_allclose(out.detach().numpy(), _bag_reference(idx, offsets, w_np, mode, psw_np), atol=1e-12)
    assert out.grad_fn.name() == "EmbeddingBagBackward0"
    assert out.grad_fn.next_functions[0][0].variable is w
    inputs = (w,) if psw is None else (w, psw)

    def f(*ts):
        return F.embedding_bag(ember.tensor(idx, dtype=ember.int64), ts[0], ember.tensor(offsets), mode=mode,
                               per_sample_weights=ts[1] if len(ts) > 1 else None)
    if mode != "max":  # max's subgradient is not smooth where entries tie; checked by hand below
        assert ember.autograd.gradcheck(f, inputs)
        assert ember.autograd.gradgradcheck(f, inputs)


def test_embedding_bag_max_gradient_goes_to_first_maximum_and_padding_is_skipped():
    w = ember.tensor([[1.0, 5.0], [1.0, 2.0], [0.0, 0.0]], requires_grad=True)
    out = F.embedding_bag(ember.tensor([0, 1]), w, ember.tensor([0]), mode="max")
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    bag = nn.EmbeddingBag(4, 2, mode="mean", padding_idx=1)
    x = ember.tensor([[0, 1], [1, 1]])
    out = bag(x)
    assert out.grad_fn.name() == "EmbeddingBagBackward0"
    np.testing.assert_allclose(out.detach().numpy(), [bag.weight.detach().numpy()[0], [0.0, 0.0]])
    out.sum().backward()
    np.testing.assert_array_equal(bag.weight.grad.numpy()[1], [0.0, 0.0])


# ---- schedulers with an int lr ----

@pytest.mark.parametrize("name, kw, want", [
    ("PolynomialLR", dict(total_iters=4), [1, 0.75, 0.5, 0.25, 0.0]),
    ("StepLR", dict(step_size=2), [1, 1, 0.1, 0.1, 0.01]),
    ("MultiStepLR", dict(milestones=[2]), [1, 1, 0.1, 0.1, 0.1]),
    ("ExponentialLR", dict(gamma=0.5), [1, 0.5, 0.25, 0.125, 0.0625]),
    ("CosineAnnealingLR", dict(T_max=4), [1, 0.8535533905932737, 0.5, 0.14644660940672627, 0.0]),
])
def test_int_lr_is_reported_as_the_int_while_unchanged(name, kw, want):
    p = nn.Parameter(ember.zeros(2))
    opt = ember.optim.SGD([p], lr=1)
    sched = getattr(ember.optim.lr_scheduler, name)(opt, **kw)
    got = [sched.get_last_lr()[0]]
    for _ in range(len(want) - 1):
        opt.step()
        sched.step()
        got.append(sched.get_last_lr()[0])
    assert [type(v) for v in got] == [type(v) for v in want]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


# ---- IterableDataset / Dataset classes ----

def test_iterable_dataset_is_an_abc_iterable_and_dataset_is_generic():
    assert type(IterableDataset) is abc.ABCMeta
    assert issubclass(IterableDataset, collections.abc.Iterable) and issubclass(IterableDataset, Dataset)
    assert type(Dataset) is type

    class NoIter(IterableDataset):
        pass
    with pytest.raises(TypeError, match="abstract"):
        NoIter()

    class Stream(IterableDataset[int]):
        def __iter__(self):
            return iter(range(5))
    assert isinstance(Stream(), collections.abc.Iterable)
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=2)] == [[0, 1], [2, 3], [4]]

    class Squares(Dataset[int]):
        def __getitem__(self, i):
            return i * i

        def __len__(self):
            return 3
    assert [Squares()[i] for i in range(3)] == [0, 1, 4]


# ---- assert_close messages ----

def _message(actual, expected, **kw):
    with pytest.raises(AssertionError) as info:
        ember.testing.assert_close(actual, expected, **kw)
    return str(info.value)


def test_assert_close_messages_as_pytorch():
    T = ember.tensor
    assert _message(T([1.0, 2.0, 3.0]), T([1.0, 2.5, 3.0])) == (
        "Tensor-likes are not close!\n\nMismatched elements: 1 / 3 (33.3%)\n"
        "Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)\n"
        "Greatest relative difference: 0.20000000298023224 at index (1,) (up to 1.3e-06 allowed)")
    assert _message(T([1, 2]), T([1, 3])) == (
        "Tensor-likes are not equal!\n\nMismatched elements: 1 / 2 (50.0%)\n"
        "Greatest absolute difference: 1 at index (1,)\nGreatest relative difference: 0.3333333432674408 at index (1,)")
    assert _message(T(3), T(4)) == ("Scalars are not equal!\n\nExpected 4 but got 3.\nAbsolute difference: 1\n"
                                    "Relative difference: 0.25")
    assert _message(1.0, 1.5) == ("Scalars are not close!\n\nExpected 1.5 but got 1.0.\n"
                                  "Absolute difference: 0.5 (up to 1e-07 allowed)\n"
                                  "Relative difference: 0.3333333333333333 (up to 1e-07 allowed)")
    assert _message(True, False) == "Booleans mismatch: True is not False"
    nested = _message({"a": [T([1.0]), T([3.0])]}, {"a": [T([1.0]), T([3.5])]})
    assert nested.endswith("\n\nThe failure occurred for item ['a'][1]")
    assert _message([1.0, 2.0], [1.0, 2.5]).endswith("The failure occurred for item [1]")
    assert _message(T([1.0]), T([2.0]), msg="custom") == "custom"
    assert _message([T(1.0)], [T(2.0)], msg=lambda m: "<" + m + ">").endswith("for item [0]>")
    assert _message(T([1.0, 2.0]), T([1, 3]), check_dtype=False).endswith(
        "Greatest relative difference: 0.3333333432674408 at index (1,) (up to 1.3e-06 allowed)")
    bf = _message(T([1.0, 2.0], dtype=ember.bfloat16), T([1.0, 2.5], dtype=ember.bfloat16))
    assert bf.endswith("Greatest relative difference: 0.2001953125 at index (1,) (up to 0.016 allowed)")
    ember.testing.assert_close(T([1.0, float("nan")]), T([1.0, float("nan")]), equal_nan=True)
    ember.testing.assert_close(2.0, 2.0 + 1e-9)

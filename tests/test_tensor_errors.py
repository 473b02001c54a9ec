"""Bad input gets PyTorch's exception type and message, never a Rust panic, and changes nothing."""
import itertools

import numpy as np
import pytest

import ember

EXPECTED = (TypeError, ValueError, IndexError, RuntimeError, OverflowError)
SWEEP_EXPECTED = EXPECTED


def test_zero_dim_errors():
    z = ember.tensor(0.1)
    with pytest.raises(IndexError, match=r"invalid index of a 0-dim tensor. Use `tensor.item\(\)` in Python"):
        z[0]
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(z)
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(z)
    assert z[...].shape == () and z[None].shape == (1,)


def test_scalar_conversion_errors():
    t = ember.ones(3)
    with pytest.raises(RuntimeError, match="a Tensor with 3 elements cannot be converted to Scalar"):
        t.item()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(t)
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
        bool(ember.zeros(0))
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        float(t)
    with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
        [1, 2][ember.tensor(0.0)]


def test_dim_out_of_range():
    x = ember.ones(2, 3)
    for f in [lambda: x.size(2), lambda: x.transpose(0, 2), lambda: x.stride(-3),
              lambda: x.squeeze(2), lambda: x.select(2, 0), lambda: x.narrow(5, 0, 1), lambda: x.flatten(0, 2),
              lambda: x.movedim(0, 2), lambda: x.chunk(2, 2)]:
        with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got"):
            f()
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 2\)"):
        x.size(2)


def test_view_and_shape_errors():
    x = ember.arange(12.0).reshape(3, 4)
    with pytest.raises(RuntimeError, match=r"view size is not compatible with input tensor's size and stride \(at least one "
                                           r"dimension spans across two contiguous subspaces\). Use .reshape\(...\) instead."):
        x.t().view(-1)
    with pytest.raises(RuntimeError, match=r"shape '\[5, -1\]' is invalid for input of size 12"):
        x.view(5, -1)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.reshape(-1, -1)
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the existing size \(3\) at "
                                           r"non-singleton dimension 1.  Target sizes: \[2, 4\].  Tensor sizes: \[3\]"):
        ember.ones(3).expand(2, 4)
    with pytest.raises(RuntimeError, match=r"start \(3\) \+ length \(2\) exceeds dimension size \(4\)."):
        ember.ones(4).narrow(0, 3, 2)
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[3]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[0, 0, 0]
    with pytest.raises(RuntimeError, match="tensor.mT is only supported on matrices"):
        ember.ones(3).mT


def test_shape_mismatches_name_both_shapes():
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(4\)") as e:
        ember.ones(3).copy_(ember.ones(4))
    assert "[3]" in str(e.value) and "[4]" in str(e.value)
    x = ember.ones(2, 3)
    with pytest.raises(RuntimeError):
        x[0] = ember.ones(4)
    assert x.tolist() == [[1.0] * 3] * 2


def test_inplace_into_expanded_is_refused():
    e = ember.ones(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="unsupported operation: more than one element of the written-to tensor refers to a "
                                           "single memory location"):
        e.add_(1)


def test_wrong_argument_types():
    x = ember.ones(2, 3)
    for f in [lambda: x.view("a"), lambda: x.reshape(2.0, 3), lambda: x.permute("ab"), lambda: x.expand(None),
              lambda: x.copy_(1), lambda: x.fill_("a"), lambda: x.transpose("a", 0), lambda: x.unflatten(0, "ab"),
              lambda: x.narrow(0, 1.5, 1), lambda: x.split(1.5), lambda: x.chunk("2"), lambda: ember.zeros("a"),
              lambda: ember.tensor("abc"), lambda: ember.from_numpy([1]), lambda: ember.broadcast_tensors(x, 1)]:
        with pytest.raises(TypeError):
            f()


def test_numeric_edge_arguments():
    x = ember.arange(6.0)
    with pytest.raises(RuntimeError, match="size is -1 but must be >= 0"):
        x.unfold(0, -1, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        x.unfold(0, 2, 0)
    with pytest.raises(RuntimeError, match="invalid storage offset -1"):
        x.as_strided((2,), (1,), -1)
    with pytest.raises(RuntimeError, match="Negative sizes"):
        x.as_strided((-2,), (1,))
    with pytest.raises(RuntimeError):
        x.as_strided((2 ** 40, 2 ** 40), (2 ** 40, 1))
    with pytest.raises(RuntimeError):
        x.expand(2 ** 40, 2 ** 40, 6)
    with pytest.raises(RuntimeError):
        x.view(2 ** 62, 2 ** 62)
    with pytest.raises(RuntimeError, match="negative dimension"):
        ember.Tensor(-1)
    with pytest.raises(RuntimeError, match="overflow"):
        ember.empty(2 ** 62, 2 ** 62)
    assert x[: 2 ** 70].shape == (6,) and x[-(2 ** 70):2].tolist() == [0.0, 1.0]
    with pytest.raises(RuntimeError, match="0-dim"):
        ember.tensor(1.0).unflatten(0, (1,))
    assert ember.tensor(1.0).movedim(0, 0).shape == ()


BAD = [None, -1, -10, 2 ** 40, 2 ** 63, 1.5, "a", [], [-1], (1, 2, 3, 4, 5), True, ember.tensor([1, 2]), ember.tensor(1)]
METHODS = {"view": 1, "reshape": 1, "transpose": 2, "permute": 1, "movedim": 2, "squeeze": 1, "unsqueeze": 1, "flatten": 2,
           "unflatten": 2, "expand": 1, "narrow": 3, "select": 2, "unfold": 3, "diagonal": 3, "as_strided": 3,
           "stride": 1, "size": 1, "split": 2, "chunk": 2, "unbind": 1, "tensor_split": 1, "hsplit": 1, "copy_": 1,
           "fill_": 1, "__getitem__": 1, "expand_as": 1, "broadcast_to": 1, "swapaxes": 2}


@pytest.mark.parametrize("name", ["0d", "empty", "2d", "T", "int"])
def test_no_panic_on_bad_arguments(name):
    make = {"0d": lambda: ember.tensor(1.5), "empty": lambda: ember.zeros(0, 3), "2d": lambda: ember.arange(6.0).reshape(2, 3),
            "T": lambda: ember.arange(6.0).reshape(2, 3).t(), "int": lambda: ember.arange(4)}[name]
    t = make()
    before = t.tolist()
    for m, k in METHODS.items():
        f = getattr(t, m)
        args = [(b,) for b in BAD]
        if k >= 2:
            args += list(itertools.product(BAD[:7], repeat=2))
        if k == 3:
            args += list(itertools.product(BAD[:5], repeat=3))
        for a in args:
            try:
                f(*a)
            except SWEEP_EXPECTED:
                assert t.tolist() == before, f"{m}{a} failed but changed the tensor"
            else:
                if m.endswith("_"):  # a successful in-place write: start again from fresh data
                    t = make()
                    f = getattr(t, m)
            # a PanicException (a BaseException) or any other exception fails the test here


def test_setitem_errors_leave_tensor_unchanged():
    x = ember.arange(6.0).reshape(2, 3)
    for idx, val in [(0, "a"), (0, [1, 2]), (5, 1.0), ((0, 0, 0), 1.0), (slice(None, None, -1), 1.0), (0, ember.ones(4)),
                     (0, None)]:
        with pytest.raises(EXPECTED):
            x[idx] = val
        assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_absurd_piece_counts_are_refused():
    for f in [lambda: ember.zeros(0, 3).chunk(2 ** 40), lambda: ember.ones(3).tensor_split(2 ** 40),
              lambda: ember.zeros(0, 3).vsplit(2 ** 40)]:
        with pytest.raises(RuntimeError, match="would create"):
            f()


def test_ints_beyond_64_bits_raise_pytorchs_errors():
    x = ember.ones(2, 3)
    # a size list element is PyTorch's TypeError (its argument parser); a single int is its ValueError
    with pytest.raises(TypeError, match="Overflow when unpacking long long"):
        x.view(2 ** 64)
    for f in [lambda: x.transpose(2 ** 64, 0), lambda: x.narrow(0, 0, 2 ** 70),
              lambda: x.diagonal(2 ** 65), lambda: x.as_strided((1,), (1,), 2 ** 64), lambda: x.unsqueeze(-(2 ** 70))]:
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            f()
    # dims: one int is the ValueError, an element of a dims tuple the TypeError (PyTorch 2.15)
    big = 2 ** 64
    for f in [lambda: x.sum(big), lambda: x.mean(big), lambda: x.softmax(big), lambda: x.cumsum(big),
              lambda: ember.cat([x], big), lambda: x.squeeze(big), lambda: x.max(big), lambda: x.size(big),
              lambda: x.gather(big, x.long()), lambda: x.argsort(big), lambda: x.mode(big), lambda: x.select(big, 0)]:
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            f()
    for f in [lambda: x.sum((0, big)), lambda: x.permute(0, big), lambda: x.squeeze((big,)), lambda: x.reshape(big)]:
        with pytest.raises(TypeError, match="Overflow when unpacking long long"):
            f()
    with pytest.raises(TypeError):
        x.transpose(0.0, 1)
    assert x.transpose(ember.tensor(0), 1).shape == (3, 2)

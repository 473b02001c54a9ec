"""repr/str in PyTorch's format (expected strings are PyTorch's output, with ember's dtype names)."""
import math

import pytest

import ember


@pytest.fixture(autouse=True)
def _default_printoptions():
    ember.set_printoptions(profile="default")
    yield
    ember.set_printoptions(profile="default")


@pytest.mark.parametrize("make, expected", [
    (lambda: ember.tensor([[0.1, 0.2], [0.3, 0.4]]), "tensor([[0.1000, 0.2000],\n        [0.3000, 0.4000]])"),
    (lambda: ember.tensor(3.5), "tensor(3.5000)"),
    (lambda: ember.tensor(-0.5), "tensor(-0.5000)"),
    (lambda: ember.tensor(3.0), "tensor(3.)"),
    (lambda: ember.tensor(7), "tensor(7)"),
    (lambda: ember.tensor(True), "tensor(True)"),
    (lambda: ember.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (lambda: ember.tensor([1, 2, 3]), "tensor([1, 2, 3])"),
    (lambda: ember.tensor([-1, 10]), "tensor([-1, 10])"),
    (lambda: ember.tensor([True, False]), "tensor([ True, False])"),
    (lambda: ember.tensor([1e10, 1.0]), "tensor([1.0000e+10, 1.0000e+00])"),
    (lambda: ember.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: ember.tensor(1e10), "tensor(1.0000e+10)"),
    (lambda: ember.tensor([100000.0]), "tensor([100000.])"),
    (lambda: ember.tensor([1.0, math.nan, math.inf]), "tensor([1., nan, inf])"),
    (lambda: ember.tensor([1.5, math.nan]), "tensor([1.5000,    nan])"),
    (lambda: ember.tensor([-math.inf, 0.25]), "tensor([  -inf, 0.2500])"),
    (lambda: ember.tensor([0.0, 0.0]), "tensor([0., 0.])"),
    (lambda: ember.zeros(0), "tensor([])"),
    (lambda: ember.zeros(0, 3), "tensor([], size=(0, 3))"),
    (lambda: ember.zeros(0, dtype=ember.int64), "tensor([], dtype=ember.int64)"),
    (lambda: ember.tensor([1.0, 2.0], dtype=ember.float64), "tensor([1., 2.], dtype=ember.float64)"),
    (lambda: ember.tensor([1, 2], dtype=ember.int32), "tensor([1, 2], dtype=ember.int32)"),
    (lambda: ember.tensor([1.5], dtype=ember.float16), "tensor([1.5000], dtype=ember.float16)"),
    (lambda: ember.tensor([1, 0], dtype=ember.uint8), "tensor([1, 0], dtype=ember.uint8)"),
    (lambda: ember.zeros(2, 2, 2), "tensor([[[0., 0.],\n         [0., 0.]],\n\n        [[0., 0.],\n         [0., 0.]]])"),
    (lambda: ember.arange(6).reshape(2, 3).t(), "tensor([[0, 3],\n        [1, 4],\n        [2, 5]])"),
])
def test_repr_exact(make, expected):
    t = make()
    assert repr(t) == expected
    assert str(t) == expected


def test_requires_grad_and_grad_fn_suffixes():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    assert repr(a) == "tensor([1., 2.], requires_grad=True)"
    assert repr(a + 1) == "tensor([2., 3.], grad_fn=<AddBackward0>)"
    assert repr(a[0]) == "tensor(1., grad_fn=<SelectBackward0>)"


def test_line_wrapping_at_80_columns():
    expected = ("tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
                "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n"
                "        36, 37, 38, 39])")
    assert repr(ember.arange(40)) == expected
    assert all(len(line) <= 80 for line in repr(ember.arange(100)).split("\n"))


def test_summarised_1d_and_2d():
    assert repr(ember.arange(2000)) == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    row = "[0., 0., 0.,  ..., 0., 0., 0.]"
    expected = "tensor([" + row + ",\n" + ",\n".join(["        " + row] * 2 + ["        ..."] + ["        " + row] * 3) + "])"
    assert repr(ember.zeros(100, 100)) == expected


def test_summarised_formatter_sees_only_edge_items():
    # The middle value would force scientific notation if it were looked at.
    t = ember.ones(2001)
    t[1000] = 1e20
    assert repr(t) == "tensor([1., 1., 1.,  ..., 1., 1., 1.])"


def test_set_and_get_printoptions():
    ember.set_printoptions(precision=2)
    assert repr(ember.tensor([0.1234, 1.5])) == "tensor([0.12, 1.50])"
    assert ember.get_printoptions()["precision"] == 2
    ember.set_printoptions(threshold=5, edgeitems=2)
    assert repr(ember.arange(10)) == "tensor([0, 1,  ..., 8, 9])"
    ember.set_printoptions(profile="default")
    assert ember.get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
    ember.set_printoptions(linewidth=20)
    assert repr(ember.arange(8)) == "tensor([0, 1, 2, 3,\n        4, 5, 6, 7])"


def test_sci_mode_forced():
    ember.set_printoptions(sci_mode=True)
    assert repr(ember.tensor([1.0, 2.5])) == "tensor([1.0000e+00, 2.5000e+00])"
    ember.set_printoptions(sci_mode=False)
    # PyTorch keeps the width it measured in scientific notation.
    assert repr(ember.tensor([1e-5, 1.0])) == "tensor([    0.0000,     1.0000])"


def test_printoptions_context_restores():
    with ember.printoptions(precision=1):
        assert repr(ember.tensor([0.25])) == "tensor([0.2])"
    assert repr(ember.tensor([0.25])) == "tensor([0.2500])"


def test_suffix_moves_to_next_line_when_too_long():
    t = ember.ones(18, dtype=ember.float64)
    s = repr(t)
    assert s.endswith(",\n       dtype=ember.float64)")
    assert all(len(line) <= 80 for line in s.split("\n"))


def test_strided_views_print_their_logical_values():
    x = ember.arange(12).reshape(3, 4)
    assert repr(x[:, ::2]) == "tensor([[ 0,  2],\n        [ 4,  6],\n        [ 8, 10]])"
    assert repr(x[1].expand(2, 4)) == "tensor([[4, 5, 6, 7],\n        [4, 5, 6, 7]])"


def test_format_of_0dim():
    assert f"{ember.tensor(2.5):.2f}" == "2.50"
    assert format(ember.tensor(3)) == "3"


from hypothesis import given, strategies as st  # noqa: E402

from strategies import ALL, strided_pair  # noqa: E402


@given(strided_pair(dtypes=ALL, max_side=6))
def test_repr_of_random_strided_tensors(pair):
    t, a = pair
    s = repr(t)
    assert s.startswith("tensor(") and s.endswith(")")
    default = {"float32", "int64", "bool"}
    assert ("dtype=ember." + t.dtype.name in s) == (t.dtype.name not in default or (t.numel() == 0 and t.dtype.name != "float32"))
    if t.numel() == 0:
        assert s.startswith("tensor([]")
    elif t.dtype.name in ("int64", "int32", "int16", "int8", "uint8"):
        # every value appears, in order, as its decimal form
        body = s[len("tensor("):].split(", dtype=")[0].rstrip(")")
        nums = [int(x) for x in body.replace("[", " ").replace("]", " ").replace(",", " ").split()]
        assert nums == a.reshape(-1).tolist()
    assert all(len(line) <= 80 for line in s.split("\n"))
    assert str(t) == s

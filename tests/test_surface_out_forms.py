"""out= as PyTorch takes it (returns out, casts under can_cast, refuses autograd, shape must
match), size= on creation functions, and the keyword/overload forms fixed in Python."""
import numpy as np
import warnings

import pytest
from hypothesis import given, settings

import ember
from strategies import FLOAT, np_of, strided_pair

UNARY = ["exp", "abs", "neg", "sigmoid", "tanh", "floor", "sqrt", "sin", "erf", "square"]
BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "atan2", "fmod", "remainder", "hypot", "eq", "lt"]


@pytest.mark.parametrize("name", UNARY)
@settings(max_examples=15)
@given(pair=strided_pair(dtypes=FLOAT, allow_expand=False))
def test_unary_out_into_a_strided_target(name, pair):
    t, _ = pair
    x = t.abs() if name == "sqrt" else t
    want = getattr(ember, name)(x)
    target = ember.zeros(*[2 * s for s in x.shape], dtype=want.dtype)
    out = target[tuple(slice(0, 2 * s, 2) for s in x.shape)] if x.ndim else target
    assert getattr(ember, name)(x, out=out) is out
    np.testing.assert_array_equal(np_of(out), np_of(want))


@pytest.mark.parametrize("name", BINARY)
@settings(max_examples=15)
@given(pair=strided_pair(dtypes=FLOAT))
def test_binary_out(name, pair):
    t, _ = pair
    other = t * 0.5 + 1.0
    want = getattr(ember, name)(t, other)
    out = ember.empty(tuple(want.shape), dtype=want.dtype)
    assert getattr(ember, name)(t, other, out=out) is out
    np.testing.assert_array_equal(np_of(out), np_of(want))


def test_reductions_and_tuples_with_out():
    x = ember.tensor([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
    o = ember.empty(2)
    assert ember.sum(x, 1, out=o) is o and o.tolist() == [2.5, 3.5]
    assert ember.mean(x, dim=0, out=ember.empty(3)).tolist() == [1.0, 1.0, 1.0]
    v, i = ember.empty(2), ember.empty(2, dtype=ember.int64)
    r = ember.max(x, 1, out=(v, i))
    assert r.values is v and r.indices is i and i.tolist() == [2, 1]
    v, i = ember.empty(2, 3), ember.empty(2, 3, dtype=ember.int64)
    assert ember.sort(x, descending=True, out=(v, i)).values is v and v[0].tolist() == [3.0, 1.5, -2.0]
    c = ember.empty(2, 3)
    assert ember.cumsum(x, dim=0, out=c) is c and c[1].tolist() == [2.0, 2.0, 2.0]
    s = ember.empty(2, 2)
    assert ember.index_select(x, 1, ember.tensor([0, 2]), out=s) is s and s.tolist() == [[1.5, 3.0], [0.5, -1.0]]
    w = ember.empty(2, 3)
    assert ember.where(x > 0, x, 0.0, out=w) is w and w[0].tolist() == [1.5, 0.0, 3.0]
    with pytest.raises(TypeError):
        ember.max(x, 1, out=ember.empty(2))


def test_out_casts_up_but_never_down():
    x = ember.tensor([1.5, 2.5])
    o = ember.empty(2, dtype=ember.float64)
    assert ember.exp(x, out=o) is o and o.dtype == ember.float64
    i = ember.zeros(2, dtype=ember.int64)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        ember.exp(x, out=i)
    assert i.tolist() == [0, 0]  # untouched after the error


def test_out_of_another_shape_is_resized():
    o = ember.empty(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty out resizes silently
        assert ember.add(ember.ones(2, 3), 1, out=o) is o
    assert tuple(o.shape) == (2, 3) and o.stride() == (3, 1) and o.tolist() == [[2.0] * 3] * 2
    full = ember.zeros(4)
    with pytest.warns(UserWarning, match="was resized since it had shape \\[4\\]"):
        ember.mul(ember.ones(2), 3, out=full)
    assert full.tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match="argument 'out' must be Tensor"):
        ember.add(ember.ones(2), 1, out=[0.0, 0.0])


def test_out_refuses_autograd():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ember.mul(x, 2, out=ember.empty(2))
    with ember.no_grad():
        assert ember.mul(x, 2, out=ember.empty(2)).tolist() == [2.0, 2.0]


def test_creation_out_fills_the_target_in_its_dtype():
    o = ember.empty(4)
    assert ember.arange(4, out=o) is o and o.dtype == ember.float32 and o.tolist() == [0.0, 1.0, 2.0, 3.0]
    z = ember.full((2, 2), 5.0)
    assert ember.zeros(2, 2, out=z) is z and z.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    e = ember.empty(3, dtype=ember.float64)
    assert ember.linspace(0, 1, 3, out=e).tolist() == [0.0, 0.5, 1.0] and e.dtype == ember.float64
    r = ember.empty(5)
    assert ember.randn(5, out=r) is r
    ember.manual_seed(0)
    a = ember.rand(3, out=ember.empty(3))
    ember.manual_seed(0)
    assert ember.equal(a, ember.rand(3))
    with pytest.warns(UserWarning, match="resized"):
        assert ember.ones(3, out=ember.empty(2)).tolist() == [1.0, 1.0, 1.0]


def test_creation_size_keyword():
    assert tuple(ember.zeros(size=(2, 3)).shape) == (2, 3)
    assert tuple(ember.ones(size=[4]).shape) == (4,)
    assert tuple(ember.rand(size=(1, 2)).shape) == (1, 2)
    with pytest.raises(TypeError):
        ember.zeros(2, size=(2,))
    x = ember.ones(1, dtype=ember.float64)
    n = x.new_zeros(size=(2,))
    assert tuple(n.shape) == (2,) and n.dtype == ember.float64
    assert tuple(x.new_ones((1, 2)).shape) == (1, 2) and tuple(x.new_empty(size=[3]).shape) == (3,)
    with pytest.raises(TypeError):
        x.new_zeros(2, bogus=1)


def test_keyword_and_overload_forms():
    x = ember.tensor([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
    assert ember.equal(x.pow(exponent=2), x * x)
    assert ember.remainder(-3, ember.tensor([2.0, -2.0, 4.0])).tolist() == [1.0, -1.0, 1.0]
    assert [p.shape[0] for p in x.split(split_size=1, dim=0)] == [1, 1]
    assert ember.sum(x, axis=1).tolist() == [2.5, 3.5]
    assert ember.mean(x, axis=0).tolist() == [1.0, 1.0, 1.0]
    assert tuple(ember.reshape(x, shape=(3, 2)).shape) == (3, 2)
    with pytest.raises(RuntimeError, match="negative dimension"):
        ember.randperm(-1)
    with pytest.raises(TypeError):
        ember.remainder("a", x)

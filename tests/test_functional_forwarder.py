"""The functional forms (``ember.add(x, y)``, ``ember.exp(x)``, ``ember.sum(x)`` …) as one native
call each (``_native._Forwarder``), and ``ember.add/sub/mul/div(a, b, out=c)`` written straight
into ``c`` by the kernel: values against NumPy on strided operands, and every case the direct
write must leave to the general rules (aliasing, casts, resizing, autograd, subclasses)."""
import inspect
import pickle

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from strategies import FLOAT, np_of, strided_pair

NP = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
      "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide, "true_divide": np.divide}


@pytest.mark.parametrize("name", sorted(NP))
@settings(max_examples=20, deadline=None)
@given(pa=strided_pair(dtypes=FLOAT, min_dims=1, max_dims=3), data=st.data())
def test_binary_out_matches_numpy_on_strided_operands(name, pa, data):
    t, a = pa
    # the second operand: a strided tensor of the same shape, a broadcast row, or a number
    kind = data.draw(st.sampled_from(["tensor", "row", "scalar"]))
    if kind == "tensor":  # the same shape through reversed dims (not contiguous from 2-D on)
        rev = tuple(reversed(range(a.ndim)))
        u = ember.tensor(np.random.default_rng(1).standard_normal(a.shape[::-1])).to(t.dtype).permute(*rev)
        b = np_of(u)
    elif kind == "row":
        b = np.random.default_rng(2).standard_normal(a.shape[-1:]).astype(a.dtype)
        u = ember.tensor(b)
    else:
        u = b = 1.5
    out = ember.full(a.shape, 7.0, dtype=t.dtype)
    ptr, before = out.data_ptr(), out._version
    assert getattr(ember, name)(t, u, out=out) is out
    assert out.data_ptr() == ptr and out._version > before
    np.testing.assert_allclose(np_of(out), NP[name](a, b), rtol=1e-6)


def test_out_overlapping_an_operand_is_computed_as_if_from_a_copy():
    x = ember.arange(8, dtype=ember.float32)
    want = np.arange(7, dtype=np.float32) + np.arange(1, 8, dtype=np.float32)
    assert ember.add(x[:-1], x[1:], out=x[1:]) is not None  # out overlaps both operands, shifted
    np.testing.assert_array_equal(np_of(x)[1:], want)
    y = ember.arange(6, dtype=ember.float32).reshape(2, 3)
    ember.mul(y, y.view(2, 3), out=y)  # another handle on the output's exact elements: safe in place
    np.testing.assert_array_equal(np_of(y), np.arange(6, dtype=np.float32).reshape(2, 3) ** 2)
    z = ember.arange(4, dtype=ember.float32).reshape(2, 2)
    ember.sub(z, z.t(), out=z)  # same storage through a transposed view
    np.testing.assert_array_equal(np_of(z), np.array([[0, -1], [1, 0]], dtype=np.float32))


def test_out_that_is_not_contiguous_or_of_another_dtype_or_shape():
    base = ember.zeros(4, 3)
    out = base[::2].t()  # strided out
    a = ember.ones(3, 2)
    assert ember.add(a, 2, out=out) is out
    np.testing.assert_array_equal(np_of(base)[::2], np.full((2, 3), 3.0, dtype=np.float32))
    o64 = ember.empty(3, dtype=ember.float64)
    assert ember.mul(ember.ones(3), 2, out=o64) is o64 and o64.tolist() == [2.0] * 3
    small = ember.empty(2)
    with pytest.warns(UserWarning, match="was resized"):
        assert ember.sub(ember.ones(3), 1, out=small) is small
    assert small.tolist() == [0.0] * 3
    i = ember.zeros(3, dtype=ember.int64)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        ember.div(ember.ones(3, dtype=ember.int64), 2, out=i)  # true division gives float
    assert i.tolist() == [0, 0, 0]


def test_errors_leave_out_untouched():
    out = ember.full((3,), 5.0)
    with pytest.raises(RuntimeError, match="must match the size|broadcast|size"):
        ember.add(ember.ones(3), ember.ones(2), out=out)
    assert out.tolist() == [5.0] * 3
    b = ember.ones(3, dtype=ember.bool)
    ob = ember.zeros(3, dtype=ember.bool)
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors"):
        ember.sub(b, b, out=ob)
    assert ob.tolist() == [False] * 3
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ember.add(ember.ones(3, requires_grad=True), 1, out=out)
    assert out.tolist() == [5.0] * 3
    leaf = ember.zeros(3, requires_grad=True)
    with ember.no_grad():
        assert ember.add(ember.ones(3), 1, out=leaf) is leaf  # PyTorch allows it under no_grad
    assert leaf.tolist() == [2.0] * 3


def test_alpha_and_subclasses_take_the_general_path():
    out = ember.empty(3)
    assert ember.add(ember.ones(3), ember.ones(3), alpha=3, out=out) is out and out.tolist() == [4.0] * 3

    class Sub(ember.Tensor):
        def add(self, other, **kw):
            return ember.Tensor.add(self, other, **kw) * 10

    s = Sub(ember.ones(3))
    assert ember.add(s, 1, out=out) is out and out.tolist() == [20.0] * 3  # the override ran
    p = ember.nn.Parameter(ember.ones(3))
    with ember.no_grad():
        assert ember.mul(p, 4, out=out) is out and out.tolist() == [4.0] * 3


def test_forwarders_look_and_fail_like_the_functions_they_stand_for():
    x = ember.arange(4.0)
    assert ember.add.__name__ == "add" and ember.subtract.__name__ == "subtract"
    assert ember.exp.__module__ == "ember" and "input.exp" in ember.exp.__doc__
    assert "out" in inspect.signature(ember.add).parameters
    for f in (ember.add, ember.div, ember.exp, ember.maximum):
        assert pickle.loads(pickle.dumps(f)) is f
    assert ember.add(input=x, other=x).tolist() == [0.0, 2.0, 4.0, 6.0]
    assert ember.exp(input=ember.zeros(2)).tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match=r"add\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        ember.add([1.0], x)
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'input'"):
        ember.exp()
    with pytest.raises(TypeError, match="missing 2 required positional arguments: 'input' and 'other'"):
        ember.add()
    for f in (ember.add, ember.maximum):
        with pytest.raises(TypeError, match="multiple values for argument 'input'"):
            f(x, x, input=x)
    with pytest.raises(TypeError, match="argument 'out' must be Tensor, not list"):
        ember.add(x, x, out=[0.0] * 4)
    kw = {"out": None}
    assert ember.add(x, 1, **kw).tolist() == [1.0, 2.0, 3.0, 4.0] and kw == {"out": None}
    kw = {"alpha": 2, "out": ember.empty(4)}
    ember.add(x, 1, **kw)
    assert set(kw) == {"alpha", "out"}  # the caller's dict is not consumed


def test_copy_mode_functions_and_in_place_names():
    x = ember.tensor([1.0, float("nan")])
    o = ember.zeros(2, dtype=ember.bool)
    assert ember.isnan(x, out=o) is o and o.tolist() == [False, True]
    y = ember.tensor([-1.0, 2.0])
    with pytest.raises(TypeError, match=r"relu_\(\) got an unexpected keyword argument 'out'"):
        ember.relu_(y, out=ember.empty(2))
    assert y.tolist() == [-1.0, 2.0]  # refused before writing


def test_binary_out_on_every_device(device):
    a = ember.arange(6.0).reshape(2, 3).to(device)
    b = ember.ones(3).to(device)
    out = ember.empty(2, 3, device=device)
    assert ember.add(a, b, out=out) is out
    np.testing.assert_array_equal(out.cpu().numpy(), np.arange(6.0, dtype=np.float32).reshape(2, 3) + 1)
    assert ember.mul(a, a, out=a) is a
    np.testing.assert_array_equal(a.cpu().numpy(), (np.arange(6.0, dtype=np.float32) ** 2).reshape(2, 3))


def test_meta_out():
    a = ember.empty(2, 3, device="meta")
    out = ember.empty(2, 3, device="meta")
    assert ember.add(a, a, out=out) is out and out.shape == (2, 3)


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_div_rounding_mode_into_out(mode):
    a = np.array([7, -7, 5, -9], dtype=np.int64)
    b = np.array([2, 2, -3, 4], dtype=np.int64)
    out = ember.zeros(4, dtype=ember.int64)
    assert ember.div(ember.tensor(a), ember.tensor(b), rounding_mode=mode, out=out) is out
    want = np.floor_divide(a, b) if mode == "floor" else np.trunc(a / b).astype(np.int64)
    assert out.tolist() == want.tolist()
    with pytest.raises(RuntimeError, match="rounding_mode to be one of None, 'trunc', or 'floor'"):
        ember.div(ember.tensor(a), ember.tensor(b), rounding_mode="up", out=out)
    assert out.tolist() == want.tolist()

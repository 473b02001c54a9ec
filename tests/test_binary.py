"""Binary ops vs NumPy with broadcasting on strided inputs; errors; gradcheck."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from strategies import FLOAT, INT, assert_close, strided_pair


def pair(data, dtypes):
    t, a = data.draw(strided_pair(dtypes, max_dims=3))
    # a second operand broadcastable against the first: a suffix of its shape, some dims 1
    shape = tuple(1 if data.draw(st.booleans()) else s for s in a.shape[data.draw(st.integers(0, a.ndim)):])
    b = (np.random.default_rng(data.draw(st.integers(0, 99))).standard_normal(shape) * 5).astype(a.dtype)
    if a.dtype.kind in "iu":
        b = np.where(b == 0, 1, b).astype(a.dtype)
    return t, a, ember.tensor(b.tolist(), dtype=t.dtype).reshape(shape) if shape else ember.tensor(b.item(), dtype=t.dtype), b


FLOAT_BIN = [
    ("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("div", np.divide), ("atan2", np.arctan2),
    ("maximum", np.maximum), ("minimum", np.minimum), ("fmax", np.fmax), ("fmin", np.fmin), ("hypot", np.hypot),
    ("copysign", np.copysign), ("remainder", np.remainder), ("fmod", np.fmod), ("floor_divide", np.floor_divide),
    ("logaddexp", np.logaddexp), ("logaddexp2", np.logaddexp2),
]


@pytest.mark.parametrize("name,ref", FLOAT_BIN, ids=[o[0] for o in FLOAT_BIN])
@given(data=st.data())
def test_float_binary(name, ref, data):
    t, a, u, b = pair(data, FLOAT)
    with np.errstate(all="ignore"):
        expect = ref(a, b)
    assert_close(getattr(t, name)(u), expect)


INT_BIN = [("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("floor_divide", np.floor_divide),
           ("remainder", np.remainder), ("fmod", np.fmod), ("maximum", np.maximum), ("minimum", np.minimum),
           ("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or), ("bitwise_xor", np.bitwise_xor)]


@pytest.mark.parametrize("name,ref", INT_BIN, ids=[o[0] for o in INT_BIN])
@given(data=st.data())
def test_int_binary(name, ref, data):
    t, a, u, b = pair(data, INT)
    with np.errstate(all="ignore"):
        assert_close(getattr(t, name)(u), ref(a, b).astype(a.dtype))


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"])
@given(data=st.data())
def test_compare(op, data):
    t, a, u, b = pair(data, FLOAT + INT)
    ref = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
           "ge": np.greater_equal, "logical_and": np.logical_and, "logical_or": np.logical_or,
           "logical_xor": np.logical_xor}[op]
    assert_close(getattr(t, op)(u), ref(a, b))


def test_operators_and_reflected():
    x = ember.tensor([-7, 7, 5])
    assert (x // 2).tolist() == [-4, 3, 2]
    assert (x % 3).tolist() == [2, 1, 2]
    assert (x % -3).tolist() == [-1, -2, -1]
    assert (x.fmod(3)).tolist() == [-1, 1, 2]
    assert (10 // x).tolist() == [-2, 1, 2]
    assert (2 ** ember.tensor([1, 2, 3])).tolist() == [2, 4, 8]
    assert (ember.tensor([1.0, 2.0]) ** 2).tolist() == [1.0, 4.0]
    assert ember.pow(2, ember.tensor([1.0, 3.0])).tolist() == [2.0, 8.0]
    assert (1 - ember.tensor([1.0, 2.0])).tolist() == [0.0, -1.0]
    assert (ember.tensor([1, 2]) << 2).tolist() == [4, 8]
    assert (ember.tensor([-8, 8]) >> 1).tolist() == [-4, 4]
    assert (~ember.tensor([True, False])).tolist() == [False, True]
    assert (~ember.tensor([0, 5])).tolist() == [-1, -6]
    assert (5 & ember.tensor([3])).tolist() == [1]
    assert ember.tensor([-7.0]).div(2, rounding_mode="trunc").tolist() == [-3.0]
    assert ember.tensor([-7.0]).div(2, rounding_mode="floor").tolist() == [-4.0]
    assert ember.tensor([-7]).div(2, rounding_mode="trunc").tolist() == [-3]
    assert abs(ember.tensor([-3.0])).tolist() == [3.0]
    assert (+ember.tensor([1])).tolist() == [1]
    assert ember.tensor([1.0, 2.0]).add(ember.tensor([1.0, 1.0]), alpha=3).tolist() == [4.0, 5.0]
    assert ember.xlogy(ember.tensor([0.0, 2.0], dtype=ember.float64), ember.tensor([0.0, np.e], dtype=ember.float64)).tolist() == [0.0, 2.0]
    assert (ember.tensor([1, 2]) == 1).tolist() == [True, False]
    x = ember.tensor([1.0])
    assert len({x, x}) == 1  # hashable despite elementwise __eq__
    assert ember.tensor([True]) + ember.tensor([True]) is not None


def test_errors():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"):
        ember.ones(2, 3) + ember.ones(2, 4)
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        ember.tensor([2]) ** -1
    with pytest.raises(RuntimeError, match="(?s)not implemented for 'Float'.*integer and bool"):
        ember.tensor([1.0]) << 1
    with pytest.raises(RuntimeError, match="(?s)not implemented for 'Float'"):
        ember.tensor([1.0]) & ember.tensor([1.0])
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors"):
        ember.tensor([True]) - ember.tensor([True])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        ember.tensor([1]) // 0
    with pytest.raises(RuntimeError, match="rounding_mode"):
        ember.tensor([1.0]).div(2, rounding_mode="round")


def test_empty_and_zero_dim():
    assert (ember.zeros(0, 3) + ember.ones(3)).shape == (0, 3)
    assert (ember.tensor(2.0) * ember.tensor(3.0)).item() == 6.0


GRAD = ["add", "sub", "mul", "div", "atan2", "maximum", "minimum", "hypot", "remainder", "fmod", "pow", "xlogy", "copysign", "fmax", "fmin",
        "logaddexp", "logaddexp2"]


@pytest.mark.parametrize("name", GRAD)
def test_gradcheck_binary(name):
    ember.manual_seed(1)
    x = (ember.rand(2, 3, dtype=ember.float64) + 0.5).requires_grad_()
    y = (ember.rand(3, dtype=ember.float64) + 1.7).requires_grad_()  # broadcast
    assert ember.autograd.gradcheck(lambda a, b: getattr(a, name)(b), (x, y))


def test_gradcheck_scalar_operands_and_names():
    x = (ember.rand(3, dtype=ember.float64) + 0.5).requires_grad_()
    gc = ember.autograd.gradcheck
    assert gc(lambda a: a ** 3, (x,)) and gc(lambda a: 2 ** a, (x,)) and gc(lambda a: 1 / a, (x,)) and gc(lambda a: 3 - a, (x,))
    assert (x ** 2).grad_fn.name() == "PowBackward0"
    assert (x ** x).grad_fn.name() == "PowBackward1"
    assert (2 ** x).grad_fn.name() == "PowBackward2"
    assert ember.maximum(x, x).grad_fn.name() == "MaximumBackward0"
    assert gc(lambda a: a * a, (x,))
    assert ember.autograd.gradgradcheck(lambda a, b: a * b / (a + b), (x, x.detach().clone().requires_grad_()))


def test_large_transposed_operands_take_the_transpose_path():
    # ≥ 64k elements: a transposed operand is transposed once by the blocked copy kernel.
    import numpy as np

    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((301, 257)).astype(np.float32), rng.standard_normal((257, 301)).astype(np.float32)
    ta, tb = ember.tensor(a), ember.tensor(b)
    np.testing.assert_allclose(np.array((ta.t() + tb).tolist()), a.T + b, rtol=1e-6)
    np.testing.assert_allclose(np.array((tb - ta.t()).tolist()), b - a.T, rtol=1e-6)
    sq = ember.tensor(rng.standard_normal((300, 300)))
    want = sq.tolist()
    sq.add_(sq.t())
    np.testing.assert_allclose(np.array(sq.tolist()), np.array(want) + np.array(want).T, rtol=1e-12)


@pytest.mark.parametrize("name,ref", [("logaddexp", np.logaddexp), ("logaddexp2", np.logaddexp2)])
def test_logaddexp_rows(name, ref):
    inf, nan = float("inf"), float("nan")
    a = np.array([inf, -inf, -inf, inf, -1000.0, 1000.0, nan, 0.0, 30.0])
    b = np.array([inf, -inf, inf, -inf, -1000.0, 1.0, 0.0, nan, -30.0])
    for dt in (np.float32, np.float64):
        got = getattr(ember, name)(ember.tensor(a.astype(dt)), ember.tensor(b.astype(dt)))
        with np.errstate(invalid="ignore"):
            expect = ref(a, b).astype(dt)
        np.testing.assert_allclose(got.numpy(), expect, rtol=1e-6)
    half = getattr(ember.tensor([1.0, 2.0], dtype=ember.bfloat16), name)(ember.tensor([0.5, 2.0], dtype=ember.bfloat16))
    assert half.dtype == ember.bfloat16 and np.allclose(half.float().numpy(), ref([1.0, 2.0], [0.5, 2.0]), rtol=1e-2)
    # PyTorch has no integer kernel and doesn't promote
    with pytest.raises(NotImplementedError, match=f'"{name}_cpu" not implemented for \'Long\''):
        getattr(ember, name)(ember.tensor([1, 2]), ember.tensor([1, 2]))
    with pytest.raises(NotImplementedError, match="'Bool'"):
        getattr(ember, name)(ember.tensor([True]), ember.tensor([False]))
    # a float operand promotes the pair: computed in float
    assert getattr(ember, name)(ember.tensor([1, 2]), ember.tensor([0.5])).dtype == ember.float32
    x = ember.tensor([0.3, -2.0], dtype=ember.float64, requires_grad=True)
    y = ember.tensor([1.0, 0.5], dtype=ember.float64, requires_grad=True)
    assert getattr(x, name)(y).grad_fn.name() == {"logaddexp": "LogaddexpBackward0", "logaddexp2": "Logaddexp2Backward0"}[name]
    assert ember.autograd.gradgradcheck(lambda p, q: getattr(p, name)(q), (x, y))
    # in place, through a strided view, with a broadcast operand
    base = ember.tensor([[1.0, 9.0], [2.0, 9.0]])
    col = base[:, 0]
    getattr(col, name + "_")(ember.tensor(0.5))
    np.testing.assert_allclose(base.numpy()[:, 0], ref([1.0, 2.0], 0.5), rtol=1e-6)
    assert base.numpy()[0, 1] == 9.0

"""In-place elementwise ops whose output is one of their inputs (`x.add_(y)`, `x.add_(x)`,
`add(a, b, out=b)`, `relu_`), on contiguous rows long enough for the vectorised loops and with
odd lengths for their remainders: exact against NumPy."""

import numpy as np
import pytest

import ember

SIZES = (1, 7, 33, 1000, 78400 + 3)
DTYPES = ("float32", "float64", "int32", "int64")


def data(n, dtype, seed):
    rng = np.random.default_rng(seed)
    if dtype.startswith("int"):
        return rng.integers(-50, 50, n).astype(dtype)
    return rng.standard_normal(n).astype(dtype)


def check(t, a):
    got = t.numpy()
    assert got.dtype == a.dtype
    np.testing.assert_array_equal(got, a)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_tensor_operand(n, dtype):
    a, b = data(n, dtype, 0), data(n, dtype, 1)
    for name, ref in [("add_", np.add), ("sub_", np.subtract), ("mul_", np.multiply)]:
        x, y = ember.from_numpy(a.copy()), ember.from_numpy(b)
        getattr(x, name)(y)
        check(x, ref(a, b))
    x = ember.from_numpy(a.copy())
    x.add_(x)
    check(x, a + a)
    x, y = ember.from_numpy(a), ember.from_numpy(b.copy())
    ember.sub(x, y, out=y)  # the output is the second operand
    check(y, a - b)
    x = ember.from_numpy(a.copy())
    x.add_(ember.from_numpy(b), alpha=3)
    check(x, a + b * np.array(3, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_scalar_and_unary(n, dtype):
    a = data(n, dtype, 2)
    x = ember.from_numpy(a.copy())
    x.mul_(3)
    check(x, a * np.array(3, dtype))
    x = ember.from_numpy(a.copy())
    x.sub_(ember.tensor(2, dtype=x.dtype))  # a 0-dim operand broadcast over the row
    check(x, a - np.array(2, dtype))
    x = ember.from_numpy(a.copy())
    ember.sub(ember.tensor(5, dtype=x.dtype), x, out=x)  # broadcast first operand, output second
    check(x, np.array(5, dtype) - a)
    for name, ref in [("neg_", np.negative), ("abs_", np.abs), ("relu_", lambda v: np.maximum(v, 0))]:
        x = ember.from_numpy(a.copy())
        getattr(x, name)()
        check(x, ref(a))
    if dtype.startswith("float"):
        x = ember.from_numpy(a.copy())
        x.div_(ember.from_numpy(a[::-1].copy()))
        check(x, a / a[::-1])
        x = ember.from_numpy(a.copy())
        x.exp_()
        np.testing.assert_allclose(x.numpy(), np.exp(a), rtol=1e-6 if dtype == "float32" else 1e-14)


@pytest.mark.parametrize("n", SIZES)
def test_strided_views_in_place(n):
    a, b = data(2 * n, "float32", 3), data(2 * n, "float32", 4)
    x, y = ember.from_numpy(a.copy()), ember.from_numpy(b)
    x[::2].add_(y[1::2])
    want = a.copy()
    want[::2] += b[1::2]
    check(x, want)
    x = ember.from_numpy(a.copy())
    x[1:].mul_(2.5)  # in place on a view that starts past the storage's first element
    want = a.copy()
    want[1:] *= np.float32(2.5)
    check(x, want)

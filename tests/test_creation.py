"""Creation functions: dtype inference as PyTorch's, values against numpy, random shapes/ranges/seeding."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from strategies import assert_close


@pytest.mark.parametrize("data, dtype", [
    ([True, 1], "int64"), ([True, 1.5], "float32"), ([1, 2.0], "float32"), ([True, False], "bool"),
    (1e10, "float32"), (3, "int64"), (True, "bool"), ([], "float32"), ([[1], [2]], "int64"),
])
def test_tensor_dtype_inference(data, dtype):
    assert ember.tensor(data).dtype == getattr(ember, dtype)


def test_tensor_from_numpy_and_tensors():
    assert ember.tensor(np.arange(3.0)).dtype == ember.float64
    assert ember.tensor(np.arange(3, dtype=np.int16)).dtype == ember.int16
    assert ember.tensor(np.float64(2.5)).dtype == ember.float64
    a = np.arange(4.0)
    t = ember.tensor(a)
    t[0] = 9
    assert a[0] == 0  # tensor() copies
    s = ember.as_tensor(a)
    s[0] = 9
    assert a[0] == 9  # as_tensor shares
    assert ember.tensor([ember.tensor(1.0), ember.tensor(2.0)]).tolist() == [1.0, 2.0]
    assert ember.tensor([ember.tensor([1, 2]), ember.tensor([3, 4])]).tolist() == [[1, 2], [3, 4]]
    assert ember.tensor([1, 2], dtype=ember.float64).dtype == ember.float64
    assert ember.tensor([[]]).shape == (1, 0)


def test_tensor_bad_data():
    with pytest.raises(ValueError, match="expected sequence of length 2 at dim 1"):
        ember.tensor([[1, 2], [3]])
    with pytest.raises(TypeError):
        ember.tensor("abc")
    with pytest.raises(TypeError):
        ember.tensor([1, "a"])
    with pytest.raises(TypeError):
        ember.tensor(None)
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError):
        ember.tensor(loop)


@pytest.mark.parametrize("args, kw", [((5,), {}), ((1, 4), {}), ((0, 1, 0.25), {}), ((1, 4), {"dtype": ember.float64}),
                                      ((10, 0, -3), {}), ((0.5, 3), {}), ((-2.0, 2.0, 0.5), {})])
def test_arange_matches_numpy(args, kw):
    t = ember.arange(*args, **kw)
    a = np.arange(*args)
    want = "int64" if all(isinstance(v, int) for v in args) else "float32"
    assert t.dtype == kw.get("dtype", getattr(ember, want))
    assert_close(t, a, check_dtype=False)


def test_arange_errors():
    with pytest.raises(RuntimeError):
        ember.arange(0, 10, 0)
    with pytest.raises(RuntimeError):
        ember.arange(0, 10, -1)


@given(st.floats(-100, 100), st.floats(-100, 100), st.integers(0, 50))
def test_linspace_matches_numpy(start, end, steps):
    t = ember.linspace(start, end, steps, dtype=ember.float64)
    assert_close(t, np.linspace(start, end, steps), atol=1e-9)
    assert ember.linspace(start, end, steps).dtype == ember.float32


def test_linspace_logspace_values():
    assert ember.linspace(0, 10, 5, dtype=ember.int64).tolist() == [0, 2, 5, 7, 10]
    assert ember.linspace(3, 9, 1).tolist() == [3.0] and ember.linspace(3, 9, 0).shape == (0,)
    assert_close(ember.logspace(0, 2, 3), np.logspace(0, 2, 3).astype(np.float32))
    assert_close(ember.logspace(0, 3, 4, base=2, dtype=ember.float64), np.logspace(0, 3, 4, base=2))


def test_eye_full_zeros_ones():
    assert_close(ember.eye(3), np.eye(3, dtype=np.float32))
    assert_close(ember.eye(2, 4, dtype=ember.int64), np.eye(2, 4, dtype=np.int64))
    assert ember.eye(2, dtype=ember.bool).tolist() == [[True, False], [False, True]]
    assert ember.full((2, 2), 1.5).dtype == ember.float32
    assert ember.full((2,), 7).dtype == ember.int64 and ember.full((2,), True).dtype == ember.bool
    assert ember.full((2,), 7, dtype=ember.float64).tolist() == [7.0, 7.0]
    assert ember.zeros(2, 3).tolist() == [[0.0] * 3] * 2 and ember.ones((2,), dtype=ember.int8).tolist() == [1, 1]
    assert ember.zeros([2, 3]).shape == ember.zeros(ember.Size([2, 3])).shape == (2, 3)
    assert ember.empty(0, 4).shape == (0, 4)
    x = ember.arange(6.0).reshape(2, 3)
    assert ember.zeros_like(x).shape == (2, 3) and ember.ones_like(x, dtype=ember.int32).dtype == ember.int32
    assert ember.full_like(x, 4).tolist() == [[4.0] * 3] * 2


def test_creation_bad_sizes():
    with pytest.raises(RuntimeError, match="negative dimension"):
        ember.zeros(2, -1)
    with pytest.raises(RuntimeError, match="overflow"):
        ember.zeros(2 ** 40, 2 ** 40)
    with pytest.raises(TypeError):
        ember.zeros(2.5)
    with pytest.raises(TypeError):
        ember.ones("a")
    with pytest.raises(RuntimeError):
        ember.eye(-1)


def test_random_shapes_dtypes_ranges():
    r = ember.rand(200, 3)
    assert r.shape == (200, 3) and r.dtype == ember.float32
    vals = r.flatten().tolist()
    assert min(vals) >= 0.0 and max(vals) < 1.0
    n = ember.randn(4000, dtype=ember.float64)
    assert n.dtype == ember.float64
    nv = np.array(n.tolist())
    assert abs(nv.mean()) < 0.1 and abs(nv.std() - 1) < 0.1
    i = ember.randint(3, 9, (500,))
    assert i.dtype == ember.int64 and set(i.tolist()) == set(range(3, 9))
    assert ember.randint(5, (3, 2)).shape == (3, 2)
    assert ember.randint(0, 5, (4,), dtype=ember.int16).dtype == ember.int16
    p = ember.randperm(50)
    assert sorted(p.tolist()) == list(range(50)) and p.dtype == ember.int64
    g = ember.normal(2.0, 3.0, size=(3000,))
    gv = np.array(g.tolist())
    assert abs(gv.mean() - 2) < 0.3 and abs(gv.std() - 3) < 0.3
    t = ember.normal(ember.zeros(5), 1.0)
    assert t.shape == (5,)
    b = ember.bernoulli(ember.full((1000,), 0.3))
    assert set(b.tolist()) <= {0.0, 1.0} and 0.2 < sum(b.tolist()) / 1000 < 0.4
    assert ember.bernoulli(ember.zeros(10)).tolist() == [0.0] * 10
    with pytest.raises(RuntimeError):
        ember.rand(2, dtype=ember.int64)
    with pytest.raises(RuntimeError):
        ember.randint(5, 3, (2,))


def test_seeding():
    ember.manual_seed(7)
    a = ember.randn(5).tolist() + ember.rand(3).tolist() + ember.randint(0, 100, (4,)).tolist()
    ember.manual_seed(7)
    b = ember.randn(5).tolist() + ember.rand(3).tolist() + ember.randint(0, 100, (4,)).tolist()
    assert a == b
    g = ember.Generator().manual_seed(3)
    x = ember.rand(4, generator=g).tolist()
    g.manual_seed(3)
    assert ember.rand(4, generator=g).tolist() == x
    assert g.initial_seed() == 3
    state = g.get_state()
    y = ember.randperm(10, generator=g).tolist()
    g.set_state(state)
    assert ember.randperm(10, generator=g).tolist() == y


def test_requires_grad_at_creation():
    assert ember.zeros(2, requires_grad=True).requires_grad
    assert ember.tensor([1.0], requires_grad=True).is_leaf
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        ember.tensor([1], requires_grad=True)

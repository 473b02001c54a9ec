"""Kernels that choose their iteration order from the strides: operands whose memory order is not
the output's (both transposed, permuted, transposed reductions), large enough to take the
blocked paths (≥ 65536 elements), against NumPy; and the zero-copy exchange fast paths."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember

RNG = np.random.default_rng(0)


def big(shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("shape", [(300, 257), (64, 1031), (5, 129, 130)])
def test_both_operands_transposed(shape):
    a, b = big(shape), big(shape)
    perm = tuple(reversed(range(len(shape))))
    ta, tb = ember.from_numpy(a).permute(*perm), ember.from_numpy(b).permute(*perm)
    np.testing.assert_array_equal((ta + tb).numpy(), a.transpose(perm) + b.transpose(perm))
    np.testing.assert_array_equal((ta * tb).numpy(), a.transpose(perm) * b.transpose(perm))
    # one transposed, one not; and an output written in place through a transposed view
    c = big(tuple(a.transpose(perm).shape))
    np.testing.assert_array_equal((ta - ember.from_numpy(c)).numpy(), a.transpose(perm) - c)
    out = ember.from_numpy(big(shape).copy())
    out.permute(*perm).copy_(ta + tb)
    np.testing.assert_array_equal(out.numpy(), a + b)


@given(perm=st.permutations(range(3)), dim=st.integers(0, 2), keep=st.booleans())
@settings(max_examples=25, deadline=None)
def test_reductions_over_permuted_dims(perm, dim, keep):
    a = np.random.default_rng(1).standard_normal((40, 33, 50))
    t = ember.from_numpy(a).permute(*perm)
    ap = a.transpose(perm)
    np.testing.assert_allclose(t.sum(dim, keepdim=keep).numpy(), ap.sum(dim, keepdims=keep), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(t.amax(dim).numpy(), ap.max(dim))
    np.testing.assert_array_equal(t.argmax(dim).numpy(), ap.argmax(dim))
    np.testing.assert_array_equal(t.argmin(dim).numpy(), ap.argmin(dim))
    d2 = ((dim + 1) % 3, dim)
    np.testing.assert_allclose(t.sum(d2).numpy(), ap.sum(d2), rtol=1e-12, atol=1e-12)


def test_transposed_matrix_reductions():
    x = big((513, 700))
    t = ember.from_numpy(x).t()
    np.testing.assert_allclose(t.sum(0).numpy(), x.T.sum(0), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(t.sum(1).numpy(), x.T.sum(1), rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(t.max(1).indices.numpy(), x.T.argmax(1))


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16,
                                   np.float32, np.float64])
def test_from_numpy_fast_path_dtypes_and_strides(dtype):
    a = (RNG.standard_normal((6, 5, 4)) * 10).astype(dtype)
    v = a[::2, 1:, ::3].transpose(2, 0, 1)
    t = ember.from_numpy(v)
    assert t.shape == v.shape and t.dtype.name == np.dtype(dtype).name
    np.testing.assert_array_equal(t.numpy(), v)
    assert t.numpy().ctypes.data == v.ctypes.data  # shares memory both ways
    scalar = ember.from_numpy(np.array(3, dtype=dtype))
    assert scalar.shape == () and scalar.item() == np.array(3, dtype=dtype).item()


def test_from_numpy_slow_path_cases_still_checked():
    ro = np.arange(4.0)
    ro.flags.writeable = False
    with pytest.warns(UserWarning, match="not writable"):
        assert ember.from_numpy(ro).tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(TypeError, match="longdouble"):
        ember.from_numpy(np.zeros(3, np.longdouble))
    with pytest.raises(TypeError):
        ember.from_numpy(np.zeros(3, ">f4"))
    with pytest.raises(ValueError, match="negative"):
        ember.from_numpy(np.arange(4.0)[::-1])

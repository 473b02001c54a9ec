"""torch.hash_tensor: XOR of the elements' 64-bit patterns as uint64, against NumPy."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from strategies import strided_pair


def np_hash(a, axis=None, keepdims=False):
    w = a.astype(np.float64).view(np.uint64) if a.dtype.kind == "f" else a.astype(np.int64).view(np.uint64)
    return np.bitwise_xor.reduce(w, axis=axis, keepdims=keepdims) if axis != () else w


def test_matches_pytorch_values():
    assert ember.hash_tensor(ember.tensor([1.0, 2.0, 3.0])).item() == 4609434218613702656  # PyTorch's value
    h = ember.hash_tensor(ember.tensor([[1, 2], [3, 4]]), dim=1)
    assert h.dtype == ember.uint64 and h.tolist() == [3, 7]
    assert ember.hash_tensor(ember.tensor([[1, 2], [3, 4]]), 0, keepdim=True).tolist() == [[2, 6]]
    assert ember.hash_tensor(ember.tensor([True, False])).item() == 1
    assert ember.hash_tensor(ember.tensor([-1], dtype=ember.int8)).item() == 2 ** 64 - 1
    assert ember.tensor([1.0, 2.0]).hash_tensor().item() == 9218868437227405312


def test_errors():
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        ember.hash_tensor(ember.tensor([]))
    assert ember.hash_tensor(ember.zeros(0, 3), dim=0).tolist() == [0, 0, 0]
    with pytest.raises(NotImplementedError, match="xor_sum_cpu"):
        ember.hash_tensor(ember.tensor([1j]))
    with pytest.raises(IndexError):
        ember.hash_tensor(ember.zeros(2, 2), dim=2)


@settings(max_examples=40, deadline=None)
@given(strided_pair(dtypes=["float32", "float64", "int32", "int64"], min_dims=1, max_dims=3), st.data())
def test_strided_against_numpy(pair, data):
    t, a = pair
    if a.size == 0:
        return
    axis = data.draw(st.one_of(st.none(), st.integers(0, a.ndim - 1)))
    keep = data.draw(st.booleans())
    got = ember.hash_tensor(t, axis, keepdim=keep) if axis is not None else ember.hash_tensor(t)
    want = np_hash(a, axis=axis, keepdims=keep and axis is not None)
    assert got.dtype == ember.uint64
    np.testing.assert_array_equal(np.asarray(got.tolist(), dtype=np.uint64).reshape(np.shape(want)), want)

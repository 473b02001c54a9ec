"""slice_inverse, from_file, indices_copy/values_copy, Tensor.stft/istft, StorageBase, is_sparse_csr, and the
deprecated out-of-place Tensor.resize/resize_as."""
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from strategies import FLOAT, np_of, strided_pair


@given(strided_pair(dtypes=FLOAT, min_dims=1, allow_expand=False), st.data())
def test_slice_inverse_views_the_base_again(pair, data):
    base, a = pair
    dim = data.draw(st.integers(0, base.ndim - 1))
    n = base.shape[dim]
    start = data.draw(st.integers(0, n))
    end = data.draw(st.integers(start, n))
    step = data.draw(st.integers(1, 3))
    piece = base.narrow(dim, 0, n)[(slice(None),) * dim + (slice(start, end, step),)]
    r = ember.slice_inverse(piece, base, dim, start, end, step)
    assert tuple(r.shape) == tuple(base.shape) and r.stride() == base.stride()
    assert r.storage_offset() == base.storage_offset()
    np.testing.assert_array_equal(np_of(r), a)
    assert r.untyped_storage().data_ptr() == base.untyped_storage().data_ptr()
    assert ember.equal(piece.slice_inverse(base, dim, start, end, step), r)


def test_slice_inverse_takes_srcs_geometry():
    base = ember.arange(12.0).reshape(3, 4)
    piece = base[:, 1:3]
    r = ember.slice_inverse(piece, ember.ones(4, 3).t(), 1, 1, 3)
    assert tuple(r.shape) == (3, 4) and r.stride() == (1, 3)
    with pytest.raises(TypeError):
        ember.slice_inverse(piece, [1, 2])


@pytest.mark.parametrize("dtype", [ember.float32, ember.int16, ember.float64, ember.bfloat16])
def test_from_file_shared_writes_through(tmp_path, dtype):
    f = tmp_path / "data.bin"
    t = ember.from_file(str(f), shared=True, size=6, dtype=dtype)
    assert tuple(t.shape) == (6,) and t.dtype == dtype
    assert t.tolist() == [0] * 6  # a new file is zero-filled
    t.copy_(ember.arange(6).to(dtype))
    del t
    again = ember.from_file(f, shared=False, size=6, dtype=dtype)
    assert again.tolist() == list(range(6))


def test_from_file_private_mapping_leaves_the_file(tmp_path):
    f = tmp_path / "data.bin"
    np.arange(4, dtype=np.float64).tofile(f)
    t = ember.from_file(str(f), shared=False, size=4, dtype=ember.float64)
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0]
    t.fill_(9.0)
    assert np.fromfile(f, dtype=np.float64).tolist() == [0.0, 1.0, 2.0, 3.0]
    assert ember.from_file(str(f), size=0).numel() == 0


def test_from_file_errors(tmp_path):
    with pytest.raises(RuntimeError):
        ember.from_file(str(tmp_path / "missing.bin"), shared=False, size=2)
    f = tmp_path / "small.bin"
    f.write_bytes(b"\0" * 4)
    with pytest.raises(RuntimeError):
        ember.from_file(str(f), shared=False, size=4, dtype=ember.float32)


def test_indices_and_values_copy_do_not_share():
    s = ember.sparse_coo_tensor([[0, 2], [1, 0]], [1.0, 2.0], (3, 3)).coalesce()
    i, v = ember.indices_copy(s), ember.values_copy(s)
    assert ember.equal(i, s.indices()) and ember.equal(v, s.values())
    v.fill_(0.0)
    assert s.values().tolist() == [1.0, 2.0]
    o = ember.empty(2)
    assert ember.values_copy(s, out=o) is o and o.tolist() == [1.0, 2.0]


def test_stft_istft_methods_are_the_functions():
    x = ember.randn(2, 16, dtype=ember.float64)
    w = ember.hann_window(8, dtype=ember.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = x.stft(8, hop_length=2, window=w, return_complex=False)
        b = ember.stft(x, 8, 2, None, w, return_complex=False)
    assert ember.equal(a, b)
    with pytest.raises(RuntimeError, match="return_complex"):
        x.stft(8)
    with pytest.raises(TypeError, match="complex"):
        a.istft(8)


def test_storage_base_and_is_sparse_csr():
    x = ember.ones(2)
    assert isinstance(x.untyped_storage(), ember.StorageBase)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert not isinstance(x.storage(), ember.StorageBase)  # a legacy TypedStorage is not one
    assert x.is_sparse_csr is False and x.to_sparse().is_sparse_csr is False


@given(strided_pair(dtypes=FLOAT, allow_expand=False))
def test_out_of_place_resize_is_a_counted_reshape(pair):
    t, a = pair
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        r = t.resize(a.size)
    np.testing.assert_array_equal(np_of(r), a.reshape(-1))
    with pytest.warns(UserWarning, match="non-inplace resize_as is deprecated"):
        r2 = t.resize_as(ember.empty(1, a.size))
    assert tuple(r2.shape) == (1, a.size)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="can only change the shape"):
        t.resize(a.size + 1)


def test_resize_gradient():
    from ember.autograd import gradcheck
    x = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(lambda v: v.t().resize(3, 2) * 2, (x,))
        assert x.resize(6).grad_fn.name() == "ResizeBackward"

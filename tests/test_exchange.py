"""Zero-copy exchange with numpy and DLPack: memory is shared both ways and owners stay alive."""
import gc
import weakref

import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from strategies import NP_DTYPES, strided_pair, np_of

SUPPORTED = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("name", SUPPORTED)
def test_from_numpy_shares_memory_and_dtype(name):
    a = (np.arange(12) % 2 == 0) if name == "bool" else np.arange(12).astype(NP_DTYPES[name])
    a = a.reshape(3, 4)
    t = ember.from_numpy(a)
    assert t.dtype == getattr(ember, name)
    assert t.data_ptr() == a.ctypes.data
    assert t.stride() == (4, 1)
    assert t.tolist() == a.tolist()
    t[1, 2] = 0
    assert a[1, 2] == 0
    a[0, 0] = 1
    assert t[0, 0].item() == 1


def test_from_numpy_keeps_array_alive():
    a = np.arange(1000, dtype=np.float64)
    ref = weakref.ref(a) if hasattr(a, "__weakref__") else None
    t = ember.from_numpy(a)
    del a
    gc.collect()
    assert t.sum().item() == sum(range(1000))
    v = t[10:20]
    del t
    gc.collect()
    assert v.tolist() == [float(i) for i in range(10, 20)]
    assert ref is None or ref() is not None


def test_from_numpy_non_contiguous_stays_a_view():
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    a = base[::2, 1::3].T
    t = ember.from_numpy(a)
    assert t.stride() == tuple(s // 4 for s in a.strides)
    assert not t.is_contiguous()
    assert t.tolist() == a.tolist()
    t[0, 1] = -5
    assert base[2, 1] == -5
    b = np.broadcast_to(np.arange(3.0), (4, 3))
    with pytest.warns(UserWarning, match="not writable"):
        tb = ember.from_numpy(b)
    assert tb.stride() == (0, 1)


def test_from_numpy_errors():
    with pytest.raises(ValueError, match="At least one stride in the given numpy array is negative"):
        ember.from_numpy(np.arange(5)[::-1])
    with pytest.raises(TypeError, match="The only supported types are: float64, float32"):
        ember.from_numpy(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="expected np.ndarray"):
        ember.from_numpy([1, 2, 3])
    with pytest.raises(TypeError):
        ember.from_numpy(np.arange(3, dtype=">i4"))


def test_numpy_shares_memory():
    x = ember.arange(6.0).reshape(2, 3)
    n = x.numpy()
    assert n.dtype == np.float32 and n.shape == (2, 3)
    assert n.ctypes.data == x.data_ptr()
    n[1, 1] = 42
    assert x[1, 1].item() == 42
    x[0, 0] = -1
    assert n[0, 0] == -1


def test_numpy_of_views_is_strided():
    x = ember.arange(12).reshape(3, 4)
    n = x.t().numpy()
    assert n.strides == (8, 32)
    assert n.tolist() == np.arange(12).reshape(3, 4).T.tolist()
    e = x[0].expand(2, 4).numpy()
    assert e.strides == (0, 8)
    s = x[1:, ::2].numpy()
    assert s.ctypes.data == x[1:, ::2].data_ptr()
    assert s.tolist() == [[4, 6], [8, 10]]


def test_numpy_keeps_tensor_alive():
    n = ember.arange(100.0).numpy()
    gc.collect()
    assert n.sum() == sum(range(100))


def test_numpy_errors_and_force():
    t = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. Use tensor.detach\(\).numpy\(\) instead."):
        t.numpy()
    assert t.numpy(force=True).tolist() == [1.0, 1.0]
    assert t.detach().numpy().tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="Got unsupported ScalarType BFloat16"):
        ember.ones(2, dtype=ember.bfloat16).numpy()


def test_buffer_protocol():
    x = ember.arange(6, dtype=ember.int32).reshape(2, 3)
    m = memoryview(x)
    assert (m.format, m.shape, m.strides, m.itemsize, m.readonly) == ("i", (2, 3), (12, 4), 4, False)
    m[1, 2] = 50
    assert x[1, 2].item() == 50
    a = np.asarray(x)
    assert a.ctypes.data == x.data_ptr()
    a2 = np.asarray(x.t())
    assert a2.strides == (4, 12) and a2.ctypes.data == x.data_ptr()
    assert bytes(ember.tensor([1, 2], dtype=ember.uint8)) == b"\x01\x02"
    assert bytes(x.t()) == np.ascontiguousarray(np.asarray(x).T).tobytes()  # the consumer copies strided buffers
    with pytest.raises(BufferError, match="bfloat16"):
        memoryview(ember.ones(2, dtype=ember.bfloat16))
    for name in SUPPORTED:
        t = ember.zeros(3, dtype=getattr(ember, name))
        assert np.asarray(t).dtype == NP_DTYPES[name]


def test_array_interface_and_array():
    x = ember.arange(6.0).reshape(2, 3)[:, 1:]
    ai = x.__array_interface__
    assert ai["shape"] == (2, 2) and ai["strides"] == (12, 4) and ai["typestr"] == "<f4"
    assert ai["data"][0] == x.data_ptr()
    assert np.array(x, dtype=np.float64).dtype == np.float64
    c = x.__array__(copy=True)
    c[0, 0] = 100
    assert x[0, 0].item() == 1.0
    assert x.__array__().ctypes.data == x.data_ptr()


@given(strided_pair(dtypes=["float32", "float64", "int64", "int16", "bool"]))
def test_numpy_round_trip_strided(pair):
    t, a = pair
    n = t.numpy()
    assert n.shape == a.shape and n.dtype == a.dtype
    np.testing.assert_array_equal(n, a)
    if t.numel():
        assert n.ctypes.data == t.data_ptr()
        assert n.strides == tuple(s * t.itemsize for s in t.stride())
    back = ember.from_numpy(n)
    assert back.stride() == t.stride() and back.data_ptr() == t.data_ptr() or t.numel() == 0
    assert np_of(back).tolist() == a.tolist()


def test_dlpack_to_numpy_shares_memory():
    x = ember.arange(12.0).reshape(3, 4)
    assert x.__dlpack_device__() == (1, 0)
    d = np.from_dlpack(x)
    assert d.ctypes.data == x.data_ptr()
    d[0, 0] = 7
    assert x[0, 0].item() == 7
    dt = np.from_dlpack(x.t())
    assert dt.strides == (4, 16)
    del x
    gc.collect()
    assert d[2, 3] == 11.0  # the capsule's box keeps the storage alive


def test_from_dlpack_numpy_and_capsule():
    a = np.arange(10, dtype=np.int32)[::2]
    t = ember.from_dlpack(a)
    assert t.dtype == ember.int32 and t.stride() == (2,) and t.data_ptr() == a.ctypes.data
    t[0] = 99
    assert a[0] == 99
    del a
    gc.collect()
    assert t.tolist() == [99, 2, 4, 6, 8]
    cap = ember.arange(3.0).__dlpack__()
    u = ember.from_dlpack(cap)
    assert u.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="already consumed"):
        ember.from_dlpack(cap)


def test_dlpack_round_trip_same_pointer_and_unconsumed_capsule_is_freed():
    x = ember.arange(8.0)
    y = ember.from_dlpack(x)
    assert y.data_ptr() == x.data_ptr()
    y[3] = -3
    assert x[3].item() == -3
    before = x.untyped_storage()._use_count()
    cap = x.__dlpack__()
    assert x.untyped_storage()._use_count() == before + 1
    del cap
    gc.collect()
    assert x.untyped_storage()._use_count() == before


def test_dlpack_errors():
    with pytest.raises(RuntimeError, match="Can't export tensors that require gradient"):
        ember.ones(2, requires_grad=True).__dlpack__()
    with pytest.raises(ValueError):
        ember.from_dlpack(object())
    c = ember.arange(3.0).__dlpack__(copy=True)
    assert ember.from_dlpack(c).tolist() == [0.0, 1.0, 2.0]


def test_versioned_capsules_and_unsupported_dtypes():
    x = ember.arange(4.0)
    cap = x.__dlpack__(max_version=(1, 0))
    v = ember.from_dlpack(cap)
    assert v.data_ptr() == x.data_ptr()
    with pytest.raises(ValueError, match="already consumed"):
        ember.from_dlpack(cap)
    # every dtype NumPy exports through DLPack has an ember dtype since uint16/32/64
    for arr in (np.arange(3, dtype=np.uint16), np.arange(3, dtype=np.uint32), np.arange(3, dtype=np.uint64)):
        assert ember.from_dlpack(arr).tolist() == [0, 1, 2]
    gc.collect()
    w = ember.from_dlpack(np.arange(6, dtype=np.int64).reshape(2, 3).T)
    assert w.tolist() == [[0, 3], [1, 4], [2, 5]] and w.stride() == (1, 3)


def test_numpy_operands_become_tensors():
    t = ember.ones(3)
    for r in (t + np.arange(3.0), np.arange(3.0) + t):
        assert isinstance(r, ember.Tensor) and r.dtype == ember.float64 and r.tolist() == [1.0, 2.0, 3.0]
    r = np.float32(2) * t
    assert isinstance(r, ember.Tensor) and r.dtype == ember.float32
    assert (t * np.arange(3, dtype=np.int32)).dtype == ember.float32


# ---- the native from_numpy / numpy() paths (numpy_api.rs) ----

ALL_NUMPY = ["bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64", "float16", "float32",
             "float64", "complex64", "complex128"]


@pytest.mark.parametrize("name", ALL_NUMPY)
def test_numpy_native_every_dtype_round_trip(name):
    a = (np.arange(12) % 3).astype(name).reshape(3, 4)
    t = ember.from_numpy(a)
    assert t.dtype == getattr(ember, name if name != "bool" else "bool")
    for view, ref in ((t, a), (t.t(), a.T), (t[1:, ::2], a[1:, ::2]), (t[0].expand(2, 4), np.broadcast_to(a[0], (2, 4)))):
        n = view.numpy()
        assert n.dtype == np.dtype(name) and n.shape == ref.shape and n.strides == ref.strides
        assert n.ctypes.data == view.data_ptr() and n.base is view
        np.testing.assert_array_equal(n, ref)


def test_numpy_native_base_outlives_in_place_geometry_changes():
    t = ember.arange(4.0)
    n = t.numpy()
    t.resize_(1000)  # a new, larger storage: the array keeps reading the old one, still alive
    t.set_(ember.zeros(3))
    gc.collect()
    assert n.tolist() == [0.0, 1.0, 2.0, 3.0]
    del t
    gc.collect()
    assert n.base is not None and n.sum() == 6.0


def test_numpy_native_refuses_what_has_no_host_memory():
    with pytest.raises(NotImplementedError):
        ember.ones(2, device="meta").numpy()
    with pytest.raises(TypeError, match="sparse"):
        ember.ones(2, 2).to_sparse().numpy()
    with pytest.raises(RuntimeError, match="conjugate bit"):
        ember.ones(2, dtype=ember.complex64).conj().numpy()
    c = ember.tensor([1 + 2j]).conj()
    assert c.numpy(force=True).tolist() == [1 - 2j]
    p = ember.nn.Parameter(ember.ones(2))
    with pytest.raises(RuntimeError, match="requires grad"):
        p.numpy()
    n = p.numpy(force=True)
    n[0] = 5.0
    assert p[0].item() == 5.0  # force on a CPU tensor still shares memory, as in PyTorch


def test_from_numpy_native_paths_and_fallbacks():
    class Sub(np.ndarray):
        pass

    s = np.arange(4.0).view(Sub)
    t = ember.from_numpy(s)
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0] and t.data_ptr() == s.ctypes.data
    r = np.arange(3.0)
    r.flags.writeable = False
    with pytest.warns(UserWarning, match="not writable"):
        assert ember.from_numpy(r).tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(TypeError, match="expected np.ndarray \\(got bytes\\)"):
        ember.from_numpy(b"abc")
    with pytest.raises(TypeError, match="expected np.ndarray \\(got memoryview\\)"):
        ember.from_numpy(memoryview(bytearray(8)))
    one = np.ones((1, 3, 1), dtype=np.float32)[:, ::2]  # size-1 dims take the __array_interface__ path
    assert ember.from_numpy(one).stride() == tuple(s // 4 for s in one.strides)
    assert ember.from_numpy.__module__ in ("ember", "ember._native") and "sharing memory" in ember.from_numpy.__doc__

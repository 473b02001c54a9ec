"""dtype objects, aliases, finfo/iinfo, the default dtype, and Tensor attributes."""
import pickle

import numpy as np
import pytest

import ember

SIZES = {"bool": 1, "uint8": 1, "int8": 1, "int16": 2, "int32": 4, "int64": 8, "float16": 2, "bfloat16": 2,
         "float32": 4, "float64": 8}


@pytest.mark.parametrize("name", list(SIZES))
def test_dtype_properties(name):
    d = getattr(ember, name)
    assert d.itemsize == SIZES[name]
    assert d.is_floating_point == name.startswith(("float", "bfloat"))
    assert d.is_signed == (name not in ("bool", "uint8"))
    assert repr(d) == str(d) == f"ember.{name}"
    assert pickle.loads(pickle.dumps(d)) == d
    assert ember.zeros(2, dtype=d).dtype == d
    assert ember.zeros(2, dtype=d).element_size() == SIZES[name]


def test_aliases():
    assert ember.float is ember.float32 and ember.double is ember.float64 and ember.half is ember.float16
    assert ember.long is ember.int64 and ember.int is ember.int32 and ember.short is ember.int16
    assert ember.tensor([1.0]).dtype == ember.float32
    assert {ember.float32: 1}[ember.zeros(1).dtype] == 1


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_numpy(name):
    f, n = ember.finfo(getattr(ember, name)), np.finfo(getattr(np, name))
    assert f.eps == n.eps and f.max == n.max and f.min == n.min and f.tiny == n.tiny
    assert f.bits == n.bits and f.resolution == n.resolution


def test_finfo_bfloat16_and_default():
    f = ember.finfo(ember.bfloat16)
    assert f.eps == 2.0 ** -7 and f.bits == 16
    assert ember.finfo().dtype == "float32"
    with pytest.raises(TypeError):
        ember.finfo(ember.int32)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_numpy(name):
    i, n = ember.iinfo(getattr(ember, name)), np.iinfo(getattr(np, name))
    assert (i.min, i.max, i.bits) == (n.min, n.max, n.bits)


def test_iinfo_rejects_floats():
    with pytest.raises(TypeError):
        ember.iinfo(ember.float32)


def test_default_dtype():
    assert ember.get_default_dtype() == ember.float32
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.5]).dtype == ember.float64
        assert ember.zeros(2).dtype == ember.float64
        assert ember.arange(0.0, 1.0).dtype == ember.float64
        assert ember.tensor([1]).dtype == ember.int64
        assert repr(ember.tensor([1.0])) == "tensor([1.])"
        assert repr(ember.tensor([1.0], dtype=ember.float32)) == "tensor([1.], dtype=ember.float32)"
    finally:
        ember.set_default_dtype(ember.float32)
    with pytest.raises(TypeError):
        ember.set_default_dtype(ember.int64)


def test_tensor_attributes():
    x = ember.arange(24, dtype=ember.float32).reshape(2, 3, 4)
    assert isinstance(x.shape, ember.Size) and x.shape == (2, 3, 4)
    assert isinstance(x.size(), ember.Size) and x.size(1) == 3 and x.size(-1) == 4
    assert repr(x.shape) == "ember.Size([2, 3, 4])" and x.shape.numel() == 24
    assert x.stride() == (12, 4, 1) and x.stride(0) == 12 and x.stride(-1) == 1
    assert x.ndim == x.dim() == 3 and x.numel() == 24 and len(x) == 2
    assert x.element_size() == x.itemsize == 4 and x.nbytes == 96
    assert x.is_contiguous() and not x.transpose(0, 2).is_contiguous()
    s = x.untyped_storage()
    assert s.data_ptr() == x.data_ptr() and s.nbytes() == 96 and s.size() == 96 and s.element_size() == 1
    v = x[1, 1:]
    assert v.storage_offset() == 16 and v.data_ptr() == x.data_ptr() + 64
    assert v.untyped_storage().data_ptr() == s.data_ptr()
    assert x.is_floating_point() and not ember.arange(2).is_floating_point()
    assert x.is_signed() and not ember.zeros(1, dtype=ember.uint8).is_signed()


def test_scalar_conversions_and_iteration():
    assert ember.tensor(3).item() == 3 and isinstance(ember.tensor(3).item(), int)
    assert isinstance(ember.tensor(2.5).item(), float) and ember.tensor([True]).item() is True
    assert int(ember.tensor(3.7)) == 3 and float(ember.tensor([2])) == 2.0
    assert bool(ember.tensor(0.0)) is False and bool(ember.tensor([2]))
    assert [10, 20, 30][ember.tensor(1)] == 20 and list(range(5))[ember.tensor(1):ember.tensor(3)] == [1, 2]
    x = ember.arange(6).reshape(2, 3)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[0, 1, 2], [3, 4, 5]]
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]] and ember.tensor(1.5).tolist() == 1.5
    assert ember.zeros(2, 0).tolist() == [[], []]
    assert x.T.tolist() == [[0, 3], [1, 4], [2, 5]] and x.mT.shape == (3, 2)


def test_new_methods_inherit_dtype():
    x = ember.zeros(2, dtype=ember.int32)
    assert x.new_zeros(3).dtype == ember.int32 and x.new_zeros(3).shape == (3,)
    assert x.new_ones((2, 2)).tolist() == [[1, 1], [1, 1]]
    assert x.new_full((2,), 7).tolist() == [7, 7] and x.new_full((2,), 7).dtype == ember.int32
    assert x.new_empty(4).shape == (4,) and x.new_empty(4).dtype == ember.int32
    assert x.new_tensor([1.7, 2]).dtype == ember.int32
    assert x.new_zeros(2, dtype=ember.float64).dtype == ember.float64


def _bf16_rne(x32):
    """bf16 bit patterns of float32 values, rounded to nearest even (PyTorch's c10 rounding)."""
    u = x32.view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def test_bfloat16_casts_round_to_nearest_even_like_pytorch():
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(20000) * rng.choice([1e-30, 1e-3, 1.0, 1e3, 1e30], 20000)).astype(np.float32)
    # values just above a halfway point must round up (0x3d5e8007 -> 0x3d5f)
    x[:4] = np.array([0x3D5E8007, 0xBFF08005, 0x3F808000, 0x3F818000], dtype=np.uint32).view(np.float32)
    bits = lambda t: t.view(ember.int16).numpy().view(np.uint16)
    want = _bf16_rne(x)
    assert np.array_equal(bits(ember.from_numpy(x).to(ember.bfloat16)), want)
    # strided source (the engine's row loop) and back to float32 exactly
    got = ember.from_numpy(x)[::2].bfloat16()
    assert np.array_equal(bits(got), want[::2])
    assert np.array_equal(got.float().numpy().view(np.uint32), want[::2].astype(np.uint32) << 16)
    # from float64, PyTorch rounds to float32 first, then to bfloat16
    xd = rng.standard_normal(20000)
    xd[:3] = np.array([0xBFFE1000A5797E83, 0x400050009A278F04, 0xBFA5AFFFF36664E1], dtype=np.uint64).view(np.float64)
    assert np.array_equal(bits(ember.from_numpy(xd).to(ember.bfloat16)), _bf16_rne(xd.astype(np.float32)))
    # NaN stays NaN, overflow rounds to inf
    special = np.array([np.nan, np.inf, -np.inf, 3.4e38], dtype=np.float32)
    out = ember.from_numpy(special).bfloat16().float().numpy()
    assert np.isnan(out[0]) and out[1] == np.inf and out[2] == -np.inf and out[3] == np.inf

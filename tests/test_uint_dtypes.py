"""uint16/uint32/uint64: creation, casts, wrapping arithmetic, comparisons, bitwise ops,
reductions, PyTorch's promotion rule, exchange with NumPy (buffer protocol, DLPack), and the
array API namespace's view of them. Values span each type's whole range (uint64's upper half
included); NumPy is the oracle."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
import ember.array_api as xp
from strategies import ALL, COMPLEX, NP_DTYPES, UINT, assert_close, np_of, strided_pair

SETTINGS = settings(max_examples=25, deadline=None)
BITS = {"uint16": 16, "uint32": 32, "uint64": 64}


@st.composite
def two_of_one_uint(draw, min_side=0):
    """Two strided operands of one unsigned dtype and one shape."""
    name = draw(st.sampled_from(UINT))
    x, a = draw(strided_pair(dtypes=[name], min_dims=1, max_dims=3, allow_expand=True))
    y, b = draw(strided_pair(dtypes=[name], min_dims=len(a.shape), max_dims=len(a.shape)))
    # take y's leading block of x's shape when it is big enough, else a fresh contiguous one
    if all(s >= n for s, n in zip(b.shape, a.shape)):
        sl = tuple(slice(0, n) for n in a.shape)
        y, b = y[sl], b[sl]
    else:
        b = (a[...] ^ np.asarray(7, dtype=a.dtype)).astype(a.dtype)
        y = ember.from_numpy(np.ascontiguousarray(b))
    return name, x, a, y, b


# ---- the dtype objects ----

@pytest.mark.parametrize("name", UINT)
def test_dtype_object(name):
    d = getattr(ember, name)
    assert repr(d) == f"ember.{name}" and d.name == name
    assert d.itemsize == BITS[name] // 8
    assert not d.is_signed and not d.is_floating_point and not d.is_complex
    assert ember.dtype(name) == d
    t = ember.zeros(3, dtype=d)
    assert t.dtype == d and t.element_size() == BITS[name] // 8 and not t.is_signed()


@pytest.mark.parametrize("name", UINT)
def test_iinfo(name):
    i = ember.iinfo(getattr(ember, name))
    assert (i.bits, i.min, i.max) == (BITS[name], 0, 2 ** BITS[name] - 1)
    j = xp.iinfo(getattr(xp, name))
    assert (j.bits, j.min, j.max, j.dtype) == (BITS[name], 0, 2 ** BITS[name] - 1, getattr(xp, name))


# ---- creation ----

def test_creation_from_python_ints():
    top = 2 ** 64 - 1
    t = ember.tensor([[0, 1], [2 ** 63, top]], dtype=ember.uint64)
    assert t.tolist() == [[0, 1], [2 ** 63, top]]
    assert t[1, 1].item() == top and int(t[1, 0]) == 2 ** 63
    # an int that fits the signed type of the width wraps, as PyTorch's does
    assert ember.tensor([-1], dtype=ember.uint32).tolist() == [2 ** 32 - 1]
    assert ember.tensor([-2 ** 15], dtype=ember.uint16).tolist() == [2 ** 15]
    assert ember.tensor([-1], dtype=ember.uint64).tolist() == [top]
    for name, bad in [("uint16", 2 ** 16), ("uint32", 2 ** 32), ("uint32", -2 ** 32), ("uint64", 2 ** 64)]:
        with pytest.raises(RuntimeError, match="without overflow"):
            ember.tensor([bad], dtype=getattr(ember, name))
    assert ember.full((2,), top, dtype=ember.uint64).tolist() == [top, top]
    assert ember.full((1,), 1e19, dtype=ember.uint64).tolist() == [10 ** 19]
    assert ember.full((1,), -1, dtype=ember.uint16).tolist() == [65535]
    with pytest.raises(RuntimeError, match="uint32_t without overflow"):
        ember.full((1,), 2 ** 32, dtype=ember.uint32)
    with pytest.raises(RuntimeError, match="uint32_t without overflow"):
        ember.full((1,), -5.0, dtype=ember.uint32)
    assert ember.ones(2, dtype=ember.uint32).tolist() == [1, 1]
    assert ember.arange(5, dtype=ember.uint16).tolist() == [0, 1, 2, 3, 4]


def test_printing_and_gradients():
    t = ember.tensor([5, 2 ** 63], dtype=ember.uint64)
    assert repr(t) == "tensor([                  5, 9223372036854775808], dtype=ember.uint64)"
    assert repr(ember.tensor(5, dtype=ember.uint16)) == "tensor(5, dtype=ember.uint16)"
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1], dtype=ember.uint32).requires_grad_()


# ---- casts ----

@SETTINGS
@given(strided_pair(dtypes=UINT, max_dims=3), st.sampled_from(ALL + COMPLEX + UINT))
def test_cast_from_uint(pair, to):
    t, a = pair
    got = t.to(getattr(ember, to))
    with np.errstate(over="ignore"):
        want = a.astype(NP_DTYPES[to])
    assert_close(got, want, rtol=1e-6, atol=0)


@SETTINGS
@given(strided_pair(dtypes=[d for d in ALL if d not in ("float16",)], max_dims=3), st.sampled_from(UINT))
def test_cast_to_uint(pair, to):
    t, a = pair
    got = t.to(getattr(ember, to))
    if a.dtype.kind == "f":
        # float -> unsigned goes through int64, truncating toward zero (-1.5 -> 2**N - 1)
        want = np.trunc(a).astype(np.int64).astype(NP_DTYPES[to])
    else:
        want = a.astype(NP_DTYPES[to])
    assert_close(got, want)


def test_cast_edges():
    f = ember.tensor([1e10, -1.0, float("nan"), 70000.0], dtype=ember.float64)
    assert f.to(ember.uint32).tolist() == [1410065408, 2 ** 32 - 1, 0, 70000]
    assert f.to(ember.uint16).tolist()[3] == 70000 % 2 ** 16
    assert ember.tensor([1e19, 2.0 ** 63], dtype=ember.float64).to(ember.uint64).tolist() == [10 ** 19, 2 ** 63]
    assert ember.tensor([-1], dtype=ember.int64).to(ember.uint64).tolist() == [2 ** 64 - 1]
    assert ember.tensor([2 ** 64 - 1], dtype=ember.uint64).to(ember.float64).tolist() == [2.0 ** 64]
    assert ember.tensor([2 ** 32 - 1], dtype=ember.uint32).to(ember.int32).tolist() == [-1]
    assert ember.tensor([2 + 1j]).to(ember.uint32).tolist() == [2]


# ---- arithmetic, comparisons, bitwise ----

BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply}


@SETTINGS
@given(two_of_one_uint(), st.sampled_from(sorted(BINARY)))
def test_arithmetic_wraps(ops, op):
    name, x, a, y, b = ops
    assert_close(getattr(ember, op)(x, y), BINARY[op](a, b))


@SETTINGS
@given(two_of_one_uint())
def test_division_and_remainder(ops):
    name, x, a, y, b = ops
    b = b | np.asarray(1, dtype=b.dtype)
    y = ember.from_numpy(np.ascontiguousarray(b))
    assert_close(ember.floor_divide(x, y), a // b)
    assert_close(ember.remainder(x, y), a % b)
    assert_close(ember.div(x, y, rounding_mode="trunc"), a // b)
    assert_close(x / y, a.astype(np.float32) / b.astype(np.float32), rtol=1e-6)


@SETTINGS
@given(strided_pair(dtypes=UINT, min_dims=1, max_dims=3), st.integers(-3, 2 ** 40))
def test_python_scalars_keep_the_dtype_and_wrap(pair, s):
    t, a = pair
    k = np.asarray(s).astype(np.int64).astype(a.dtype)  # the scalar wrapped into the dtype
    assert_close(t + s, a + k)
    assert_close(t * s, a * k)
    assert_close(t - s, a - k)
    assert_close(t * 1.5, a.astype(np.float32) * np.float32(1.5), rtol=1e-6)


@SETTINGS
@given(two_of_one_uint())
def test_comparisons(ops):
    name, x, a, y, b = ops
    for f, g in [(ember.eq, np.equal), (ember.ne, np.not_equal), (ember.lt, np.less), (ember.le, np.less_equal),
                 (ember.gt, np.greater), (ember.ge, np.greater_equal)]:
        assert_close(f(x, y), g(a, b))
    assert_close(ember.maximum(x, y), np.maximum(a, b))
    assert_close(ember.minimum(x, y), np.minimum(a, b))
    assert_close(x == 3, a == 3)


@SETTINGS
@given(two_of_one_uint())
def test_bitwise(ops):
    name, x, a, y, b = ops
    assert_close(x & y, a & b)
    assert_close(x | y, a | b)
    assert_close(x ^ y, a ^ b)
    assert_close(~x, ~a)
    n = (b % np.asarray(BITS[name], dtype=b.dtype)).astype(b.dtype)  # in-range shift amounts
    s = ember.from_numpy(np.ascontiguousarray(n))
    assert_close(x << s, a << n)
    assert_close(x >> s, a >> n)


# ---- reductions ----

@SETTINGS
@given(strided_pair(dtypes=UINT, min_dims=1, max_dims=3, max_side=4).filter(lambda p: p[1].size > 0))
def test_reductions(pair):
    t, a = pair
    with np.errstate(over="ignore"):
        # sum and prod are int64 (PyTorch's integer result), wrapping
        assert_close(t.sum(), a.astype(np.int64).sum())
        assert_close(t.prod(), a.astype(np.int64).prod())
        assert_close(t.sum(dim=0), a.astype(np.int64).sum(axis=0))
        assert_close(t.sum(dtype=t.dtype), a.sum(dtype=a.dtype))
    assert_close(t.max(), a.max())
    assert_close(t.min(), a.min())
    assert_close(t.argmax(), np.argmax(a))
    assert_close(t.argmin(), np.argmin(a))
    assert_close(t.amax(dim=-1), a.max(axis=-1))
    v, i = t.max(dim=0)
    assert_close(v, a.max(axis=0))
    assert_close(i, np.argmax(a, axis=0))
    s, _ = t.reshape(-1).sort()
    assert_close(s, np.sort(a.reshape(-1)))


# ---- promotion ----

# torch.promote_types on PyTorch 2.15: a uint16/uint32/uint64 meets only itself or a float;
# every other partner (bool and uint8 included) is refused with RuntimeError (None here)
PROMOTE = {
    "uint16": {"uint16": "uint16", "bool": None, "uint8": None, "int8": None, "int16": None, "int32": None,
               "int64": None, "uint32": None, "uint64": None, "float16": "float16", "bfloat16": "bfloat16",
               "float32": "float32", "float64": "float64", "complex64": None},
    "uint32": {"uint32": "uint32", "bool": None, "uint8": None, "int8": None, "int16": None, "int32": None,
               "int64": None, "uint16": None, "uint64": None, "float16": "float16", "bfloat16": "bfloat16",
               "float32": "float32", "float64": "float64", "complex64": None},
    "uint64": {"uint64": "uint64", "bool": None, "uint8": None, "int8": None, "int16": None, "int32": None,
               "int64": None, "uint16": None, "uint32": None, "float16": "float16", "bfloat16": "bfloat16",
               "float32": "float32", "float64": "float64", "complex64": None},
}


@pytest.mark.parametrize("u", UINT)
def test_promote_types_table(u):
    for other, want in PROMOTE[u].items():
        for a, b in [(u, other), (other, u)]:
            da, db = getattr(ember, a), getattr(ember, b)
            if want is None:
                with pytest.raises(RuntimeError, match="Promotion for uint16, uint32, uint64 types is not supported"):
                    ember.promote_types(da, db)
            else:
                assert ember.promote_types(da, db) == getattr(ember, want)


def test_promotion_in_ops():
    u = ember.tensor([3, 1], dtype=ember.uint32)
    assert ember.result_type(u, 1) == ember.uint32
    assert ember.result_type(u, ember.tensor(1)) == ember.uint32  # a 0-dim tensor doesn't widen
    assert ember.result_type(u, 2.5) == ember.float32
    assert (u * ember.tensor(2)).dtype == ember.uint32
    assert (u + ember.tensor([1.5], dtype=ember.float64)).dtype == ember.float64
    with pytest.raises(RuntimeError, match="attempted to promote UInt32 and Long"):
        u + ember.tensor([1, 2])
    with pytest.raises(RuntimeError, match="attempted to promote UInt32 and Int"):
        ember.cat([u, ember.tensor([1], dtype=ember.int32)])
    with pytest.raises(RuntimeError, match="attempted to promote UInt32 and Int"):
        ember.where(ember.tensor([True, False]), u, ember.tensor([5, 5], dtype=ember.int32))
    assert u.to(ember.int64).add(ember.tensor([1, 2])).tolist() == [4, 3]


# ---- exchange ----

@SETTINGS
@given(strided_pair(dtypes=UINT, min_dims=1, max_dims=3, allow_expand=False))
def test_numpy_round_trip_shares_memory(pair):
    _, a = pair
    t = ember.from_numpy(a)
    assert t.dtype.name == str(a.dtype)
    np.testing.assert_array_equal(np_of(t), a)
    n = t.numpy()
    assert n.dtype == a.dtype and (a.size == 0 or np.shares_memory(n, a))
    if a.size:
        idx = (0,) * a.ndim
        a[idx] = np.iinfo(a.dtype).max
        assert t[idx].item() == np.iinfo(a.dtype).max


@pytest.mark.parametrize("name", UINT)
def test_dlpack_round_trip(name):
    a = np.arange(12, dtype=NP_DTYPES[name]).reshape(3, 4)[:, ::2]
    a[0, 0] = np.iinfo(a.dtype).max
    t = ember.from_dlpack(a)
    assert t.dtype == getattr(ember, name) and t.tolist() == a.tolist()
    back = np.from_dlpack(t)
    assert back.dtype == a.dtype and np.shares_memory(back, a)
    np.testing.assert_array_equal(back, a)


def test_tolist_of_upper_half():
    vals = [2 ** 63, 2 ** 64 - 1, 2 ** 63 + 12345, 7]
    a = np.array(vals, dtype=np.uint64)
    t = ember.from_numpy(a)
    assert t.tolist() == vals and all(type(v) is int for v in t.tolist())
    assert [t[i].item() for i in range(4)] == vals
    assert t.max().item() == 2 ** 64 - 1 and t.argmax().item() == 1


def test_save_load(tmp_path):
    d = {name: ember.tensor([0, 2 ** BITS[name] - 1, 5], dtype=getattr(ember, name)) for name in UINT}
    ember.save(d, tmp_path / "u.safetensors")
    back = ember.load(tmp_path / "u.safetensors")
    for name in UINT:
        assert back[name].dtype == d[name].dtype and back[name].tolist() == d[name].tolist()


@pytest.mark.skipif(not ember.wgpu.is_available(), reason="no wgpu adapter (lavapipe) on this machine")
def test_wgpu_refuses_with_the_dtype_error():
    with pytest.raises(TypeError, match="uint32 is not supported on the wgpu device"):
        ember.ones(2, dtype=ember.uint32).to("wgpu")


# ---- the array API namespace ----

def test_array_api_dtypes():
    info = xp.__array_namespace_info__()
    assert info.dtypes(kind="unsigned integer") == {"uint8": xp.uint8, "uint16": xp.uint16, "uint32": xp.uint32,
                                                    "uint64": xp.uint64}
    assert {"uint16", "uint32", "uint64"} <= set(info.dtypes())
    for name in UINT:
        d = getattr(xp, name)
        assert xp.isdtype(d, "unsigned integer") and xp.isdtype(d, "integral") and not xp.isdtype(d, "signed integer")


# the standard's lattice: unsigned with unsigned -> the wider; with a signed type -> the
# smallest signed type holding both; uint64 with a signed type is not defined (TypeError)
STANDARD = [("uint8", "uint16", "uint16"), ("uint16", "uint32", "uint32"), ("uint32", "uint64", "uint64"),
            ("uint16", "int8", "int32"), ("uint16", "int16", "int32"), ("uint16", "int32", "int32"),
            ("uint32", "int8", "int64"), ("uint32", "int32", "int64"), ("uint32", "int64", "int64"),
            ("uint16", "int64", "int64"), ("uint8", "int8", "int16")]


@pytest.mark.parametrize("a,b,want", STANDARD)
def test_array_api_promotion(a, b, want):
    da, db, dw = getattr(xp, a), getattr(xp, b), getattr(xp, want)
    assert xp.result_type(da, db) == dw and xp.result_type(db, da) == dw
    assert xp.can_cast(da, dw) and xp.can_cast(db, dw)
    x = xp.asarray([1, 2], dtype=da)
    y = xp.asarray([3, 4], dtype=db)
    assert xp.add(x, y).dtype == dw and xp.add(x, y).tolist() == [4, 6]


def test_array_api_casts_and_sum():
    assert not xp.can_cast(xp.uint64, xp.int64) and not xp.can_cast(xp.int8, xp.uint64)
    assert not xp.can_cast(xp.uint32, xp.uint16)
    with pytest.raises(TypeError):
        xp.result_type(xp.uint64, xp.int64)
    assert xp.result_type(xp.uint32, xp.float32) == xp.float32
    assert xp.result_type(xp.uint16, xp.bool) == xp.uint16
    x = xp.asarray([2 ** 32 - 1, 1], dtype=xp.uint32)
    s = xp.sum(x)
    assert s.dtype == xp.uint64 and int(s) == 2 ** 32  # the standard's unsigned sum dtype
    assert xp.asarray([2 ** 64 - 1], dtype=xp.uint64).tolist() == [2 ** 64 - 1]

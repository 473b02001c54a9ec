"""ember.array_api creation, dtype, manipulation, searching, set, sorting, statistical,
linear-algebra and inspection functions against the standard's text, with array_api_strict as
the value oracle."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import array_api_strict as strict
import ember
import ember.array_api as xp
from array_api_oracle import FLOATS, INTS, NAMES, assert_same, dtype_name, to_numpy, to_strict
from strategies import strided_pair

# the oracle (NumPy under array_api_strict) warns on the special values it is fed on purpose
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_namespace_and_version():
    x = ember.ones(2)
    assert x.__array_namespace__() is xp
    assert x.__array_namespace__(api_version="2023.12") is xp
    assert xp.__array_api_version__ == "2025.12"
    with pytest.raises(ValueError):
        x.__array_namespace__(api_version="2099.01")
    missing = [n for n in strict.__all__ if not hasattr(xp, n)]
    # what ember lacks today: wide unsigned dtypes, and strict's own flag helpers
    assert set(missing) <= {"uint16", "uint32", "uint64", "Device",
                            "ArrayAPIStrictFlags", "get_array_api_strict_flags", "__version__",
                            "reset_array_api_strict_flags", "set_array_api_strict_flags"}, missing
    assert set(strict.linalg.__all__) <= set(dir(xp.linalg))
    assert set(strict.fft.__all__) <= set(dir(xp.fft))


def test_asarray_copy_contract():
    x = xp.asarray([1.0, 2.0])
    assert xp.asarray(x) is x
    assert xp.asarray(x, copy=False) is x
    y = xp.asarray(x, copy=True)
    y[0] = 5.0
    assert x[0] == 1.0
    with pytest.raises(ValueError):
        xp.asarray(x, dtype=xp.float64, copy=False)
    with pytest.raises(ValueError):
        xp.asarray([1, 2], copy=False)
    n = np.arange(3.0)
    shared = xp.asarray(n, copy=False)
    n[0] = 7.0
    assert shared[0] == 7.0


@pytest.mark.parametrize("obj,want", [(True, "bool"), (3, "int64"), (2.5, "float32"),
                                      ([[1, 2], [3, 4]], "int64"), ([1, 2.0], "float32"),
                                      ([True, False], "bool")])
def test_asarray_dtype_inference(obj, want):
    assert dtype_name(xp.asarray(obj).dtype) == want
    with pytest.raises(OverflowError):
        xp.asarray(2**70)


@given(st.integers(-20, 20), st.integers(-20, 20), st.sampled_from([1, 2, 3, -1, -3]))
def test_arange_length_and_values(start, stop, step):
    assert_same(xp.arange(start, stop, step), strict.arange(start, stop, step))
    assert_same(xp.arange(float(start), stop, step * 0.5, dtype=xp.float64),
                strict.arange(float(start), stop, step * 0.5, dtype=strict.float64))


def test_creation_functions():
    assert_same(xp.eye(3, 4, k=1, dtype=xp.int32), strict.eye(3, 4, k=1, dtype=strict.int32))
    assert_same(xp.eye(2, k=5), strict.eye(2, k=5, dtype=strict.float32))
    assert_same(xp.linspace(0, 1, 5, endpoint=False, dtype=xp.float64),
                strict.linspace(0, 1, 5, endpoint=False, dtype=strict.float64))
    assert_same(xp.full((2,), 3), strict.full((2,), 3))
    assert_same(xp.full((2,), True), strict.full((2,), True))
    assert_same(xp.zeros(3, dtype=xp.uint8), strict.zeros(3, dtype=strict.uint8))
    a, b = xp.meshgrid(xp.arange(3), xp.arange(2))
    sa, sb = strict.meshgrid(strict.arange(3), strict.arange(2))
    assert_same(a, sa) and assert_same(b, sb)
    assert_same(xp.triu(xp.ones((3, 3)), k=1), strict.triu(strict.ones((3, 3), dtype=strict.float32), k=1))
    x = xp.arange(4)
    assert_same(xp.from_dlpack(x), to_numpy(x))


def test_data_type_functions():
    assert xp.isdtype(xp.int8, "signed integer") and not xp.isdtype(xp.uint8, "signed integer")
    assert xp.isdtype(xp.float32, ("integral", "real floating"))
    assert xp.isdtype(xp.float64, xp.float64)
    with pytest.raises(ValueError):
        xp.isdtype(xp.int8, "integers")
    for a in NAMES:
        for b in NAMES:
            assert xp.can_cast(getattr(xp, a), getattr(xp, b)) == strict.can_cast(getattr(strict, a), getattr(strict, b)), (a, b)
    f = xp.finfo(xp.float32)
    assert (f.bits, f.eps, f.dtype) == (32, float(np.finfo(np.float32).eps), xp.float32)
    assert xp.iinfo(xp.asarray([1], dtype=xp.int16)).max == 32767
    with pytest.raises(ValueError):
        xp.finfo(xp.int8)
    assert xp.result_type(xp.uint8, xp.int8) == xp.int16
    assert xp.result_type(xp.asarray([1], dtype=xp.int8), 300) == xp.int8  # the scalar takes the array's dtype
    y = xp.astype(xp.asarray([1.7, -1.7, 0.0]), xp.int32)
    assert_same(y, np.array([1, -1, 0], dtype=np.int32))
    x = xp.asarray([1.0])
    assert xp.astype(x, xp.float32, copy=False) is x and xp.astype(x, xp.float32) is not x


def test_inspection():
    info = xp.__array_namespace_info__()
    assert info.default_device() == ember.device("cpu")
    assert info.default_dtypes() == {"real floating": xp.float32, "complex floating": xp.complex64,
                                     "integral": xp.int64, "indexing": xp.int64}
    assert set(info.dtypes()) == set(NAMES)
    assert set(info.dtypes(kind="integral")) == set(INTS)
    assert info.capabilities()["boolean indexing"] is True
    with pytest.raises(ValueError):
        info.dtypes(device="no-such-device")


@given(strided_pair(dtypes=FLOATS, min_dims=1, max_dims=3, max_side=4), st.data())
def test_reductions_follow_the_standard(pair, data):
    t, a = pair
    s = strict.asarray(np.array(a, copy=True))
    axis = data.draw(st.one_of(st.none(), st.integers(0, t.ndim - 1),
                               st.lists(st.integers(0, t.ndim - 1), unique=True).map(tuple)))
    keep = data.draw(st.booleans())
    for name in ("sum", "prod", "mean", "all", "any"):
        if name == "mean" and (t.numel() == 0):
            continue
        _close(getattr(xp, name)(t, axis=axis, keepdims=keep), getattr(strict, name)(s, axis=axis, keepdims=keep))
    if t.numel() and all(t.shape[i] for i in (range(t.ndim) if axis is None else ((axis,) if isinstance(axis, int) else axis))):
        for name in ("max", "min"):
            assert_same(getattr(xp, name)(t, axis=axis, keepdims=keep), getattr(strict, name)(s, axis=axis, keepdims=keep))
        for corr in (0.0, 1.0):
            for name in ("std", "var"):
                _close(getattr(xp, name)(t, axis=axis, correction=corr, keepdims=keep),
                       getattr(strict, name)(s, axis=axis, correction=corr, keepdims=keep))


def _close(got, want):
    # summation order differs between libraries: compare dtype and shape exactly, values closely
    g, w = to_numpy(got), to_numpy(want)
    assert (dtype_name(got.dtype), g.shape) == (str(w.dtype), w.shape)
    np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4, equal_nan=True)


def test_reduction_dtypes_and_errors():
    assert xp.sum(xp.asarray([1, 2], dtype=xp.int8)).dtype == xp.int64
    assert xp.sum(xp.asarray([1.0], dtype=xp.float32)).dtype == xp.float32
    assert xp.prod(xp.asarray([1, 2], dtype=xp.int8), dtype=xp.int8).dtype == xp.int8
    assert xp.var(xp.asarray([1.0, 3.0])) == 1.0  # correction=0 by default (PyTorch: 1)
    with pytest.raises(ValueError):
        xp.max(xp.asarray([]))
    with pytest.raises(TypeError):
        xp.mean(xp.asarray([1, 2]))


def test_cumulative():
    x = xp.asarray([[1, 2], [3, 4]], dtype=xp.int32)
    s = to_strict(x)
    for name in ("cumulative_sum", "cumulative_prod"):
        for incl in (False, True):
            assert_same(getattr(xp, name)(x, axis=1, include_initial=incl),
                        getattr(strict, name)(s, axis=1, include_initial=incl))
    with pytest.raises(ValueError):
        xp.cumulative_sum(x)  # axis is required above one dim


def test_unique_family_nans_are_distinct():
    x = xp.asarray([[3.0, math.nan, 1.0], [math.nan, 3.0, -0.0]])
    s = to_strict(x)
    got, want = xp.unique_all(x), strict.unique_all(s)
    assert got._fields == ("values", "indices", "inverse_indices", "counts")
    for g, w in zip(got, want):
        assert_same(g, w, zero_sign=False)
    assert_same(xp.unique_values(x), strict.unique_values(s), zero_sign=False)
    v, c = xp.unique_counts(x)
    assert_same(c, strict.unique_counts(s).counts)
    v, inv = xp.unique_inverse(x)
    assert tuple(inv.shape) == (2, 3)


@given(strided_pair(dtypes=INTS + FLOATS, min_dims=1, max_dims=3, max_side=4), st.booleans())
def test_sort_and_argsort_are_stable(pair, descending):
    t, a = pair
    s = strict.asarray(np.array(a, copy=True))
    assert_same(xp.sort(t, axis=-1, descending=descending), strict.sort(s, axis=-1, descending=descending))
    assert_same(xp.argsort(t, axis=0, descending=descending), strict.argsort(s, axis=0, descending=descending))


def test_searching():
    x = xp.asarray([[1.0, 5.0, 5.0], [0.0, -1.0, 7.0]])
    s = to_strict(x)
    assert_same(xp.argmax(x, axis=1, keepdims=True), strict.argmax(s, axis=1, keepdims=True))
    assert_same(xp.argmin(x), strict.argmin(s))
    assert_same(xp.count_nonzero(x, axis=0), strict.count_nonzero(s, axis=0))
    for g, w in zip(xp.nonzero(x), strict.nonzero(s)):
        assert_same(g, w)
    with pytest.raises(ValueError):
        xp.nonzero(xp.asarray(1.0))
    sorted_ = xp.asarray([1.0, 2.0, 2.0, 4.0])
    q = xp.asarray([2.0, 3.0, 0.0])
    for side in ("left", "right"):
        assert_same(xp.searchsorted(sorted_, q, side=side), strict.searchsorted(to_strict(sorted_), to_strict(q), side=side))
    assert_same(xp.where(x > 1, x, 0.0), strict.where(s > 1, s, 0.0))
    assert_same(xp.where(x > 1, 1, 2.5), np.where(to_numpy(x) > 1, 1, 2.5).astype("float32"))
    with pytest.raises(TypeError):
        xp.where(x, x, x)  # the condition must be boolean
    assert_same(xp.take(x, xp.asarray([1, 0, 1]), axis=1), strict.take(s, strict.asarray([1, 0, 1]), axis=1))
    i = xp.asarray([[0], [2]])
    assert_same(xp.take_along_axis(x, i, axis=1), strict.take_along_axis(s, to_strict(i), axis=1))


def test_manipulation():
    x = xp.reshape(xp.arange(6, dtype=xp.int16), (2, 3))
    s = to_strict(x)
    assert_same(xp.concat([x, x], axis=None), strict.concat([s, s], axis=None))
    assert_same(xp.concat([x, xp.astype(x, xp.int32)], axis=1), strict.concat([s, strict.astype(s, strict.int32)], axis=1))
    assert_same(xp.expand_dims(x, axis=-1), strict.expand_dims(s, axis=-1))
    with pytest.raises(IndexError):
        xp.expand_dims(x, axis=4)
    assert_same(xp.flip(x), strict.flip(s))
    assert_same(xp.flip(x, axis=(0, 1)), strict.flip(s, axis=(0, 1)))
    assert_same(xp.moveaxis(x, 0, 1), strict.moveaxis(s, 0, 1))
    assert_same(xp.permute_dims(x, (1, 0)), strict.permute_dims(s, (1, 0)))
    assert_same(xp.repeat(x, 2, axis=1), strict.repeat(s, 2, axis=1))
    assert_same(xp.repeat(x, xp.asarray([1, 0, 2]), axis=1), strict.repeat(s, strict.asarray([1, 0, 2]), axis=1))
    assert_same(xp.roll(x, 1), strict.roll(s, 1))
    assert_same(xp.roll(x, (1, -1), axis=(0, 1)), strict.roll(s, (1, -1), axis=(0, 1)))
    assert_same(xp.squeeze(xp.expand_dims(x, axis=0), axis=0), s)
    with pytest.raises(ValueError):
        xp.squeeze(x, axis=0)  # size 2, not 1 (PyTorch leaves it alone)
    assert_same(xp.stack([x, x], axis=1), strict.stack([s, s], axis=1))
    assert_same(xp.tile(x, (2, 1)), strict.tile(s, (2, 1)))
    for g, w in zip(xp.unstack(x, axis=1), strict.unstack(s, axis=1)):
        assert_same(g, w)
    b = xp.broadcast_arrays(x, xp.asarray([1, 2, 3], dtype=xp.int16))
    assert [tuple(t.shape) for t in b] == [(2, 3), (2, 3)]
    assert tuple(xp.broadcast_to(xp.asarray([1]), (3, 2)).shape) == (3, 2)
    with pytest.raises(ValueError):
        xp.reshape(xp.permute_dims(x, (1, 0)), (6,), copy=False)
    assert_same(xp.diff(x, axis=1, n=1), strict.diff(s, axis=1, n=1))


def test_linalg_extension():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    spd = a @ a.T
    x, s = xp.asarray(spd), strict.asarray(spd)
    L = xp.linalg
    assert_same(L.cholesky(x), strict.linalg.cholesky(s), ulps=4096)
    assert_same(L.det(x), strict.linalg.det(s), ulps=4096)
    w, v = L.eigh(x)
    np.testing.assert_allclose(to_numpy(w), to_numpy(strict.linalg.eigvalsh(s)), rtol=1e-10)
    q, r = L.qr(xp.asarray(a))
    np.testing.assert_allclose(to_numpy(q) @ to_numpy(r), a, atol=1e-12)
    sign, logdet = L.slogdet(x)
    np.testing.assert_allclose(float(logdet), float(strict.linalg.slogdet(s).logabsdet), rtol=1e-12)
    U, S, Vh = L.svd(xp.asarray(a), full_matrices=False)
    np.testing.assert_allclose(to_numpy(S), to_numpy(strict.linalg.svdvals(strict.asarray(a))), rtol=1e-12)
    b = xp.asarray([1.0, 2.0, 3.0])
    np.testing.assert_allclose(to_numpy(L.solve(x, b)), np.linalg.solve(spd, [1.0, 2.0, 3.0]), rtol=1e-10)
    assert_same(L.trace(xp.asarray([[1, 2], [3, 4]], dtype=xp.int8)), np.array(5, dtype=np.int64))
    assert_same(L.outer(b, b), strict.linalg.outer(to_strict(b), to_strict(b)))
    assert_same(L.cross(b, xp.flip(b)), strict.linalg.cross(to_strict(b), strict.flip(to_strict(b))))
    assert_same(L.vector_norm(x, axis=(0, 1)), strict.linalg.vector_norm(s, axis=(0, 1)), ulps=64)
    assert_same(L.matrix_norm(x, ord="fro"), strict.linalg.matrix_norm(s, ord="fro"), ulps=64)
    assert_same(xp.vecdot(x, x, axis=-2), strict.vecdot(s, s, axis=-2), ulps=64)
    assert_same(xp.tensordot(x, x, axes=1), strict.tensordot(s, s, axes=1), ulps=64)
    assert_same(xp.matrix_transpose(x), strict.matrix_transpose(s))
    with pytest.raises(ValueError):
        xp.matmul(xp.asarray(1.0), x)


def test_pinv_and_rank_with_rtol_arrays_and_extreme_scales():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 4, 3))
    a[1, :, 2] = a[1, :, 0]  # rank 2
    x, s = xp.asarray(a), strict.asarray(a)
    assert_same(xp.linalg.matrix_rank(x), strict.linalg.matrix_rank(s))
    r = xp.asarray([1e-12, 0.5])
    assert_same(xp.linalg.matrix_rank(x, rtol=r), strict.linalg.matrix_rank(s, rtol=to_strict(r)))
    np.testing.assert_allclose(to_numpy(xp.linalg.pinv(x)), to_numpy(strict.linalg.pinv(s)), atol=1e-8)
    assert tuple(xp.linalg.pinv(xp.zeros((3, 0, 2))).shape) == (3, 2, 0)
    # an entry near float64's max: the SVD runs on the scaled matrix
    big = xp.asarray([[1e308, 1.0], [1.0, 1.0]], dtype=xp.float64)
    assert float(xp.linalg.svdvals(big)[0]) == 1e308


def test_fft_real_parts():
    assert_same(xp.fft.fftfreq(5, d=0.5), strict.fft.fftfreq(5, d=0.5, dtype=strict.float32))
    assert_same(xp.fft.rfftfreq(6, dtype=xp.float64), strict.fft.rfftfreq(6, dtype=strict.float64))
    x = xp.reshape(xp.arange(6.0), (2, 3))
    assert_same(xp.fft.fftshift(x, axes=1), strict.fft.fftshift(to_strict(x), axes=1))
    assert_same(xp.fft.ifftshift(x), strict.fft.ifftshift(to_strict(x)))


@pytest.mark.parametrize("ns", ["", "linalg", "fft"])
def test_signatures_match_the_standard(ns):
    """Parameter names, kinds (positional-only, keyword-only) and defaults as the standard
    writes them (array_api_strict follows the standard's stubs)."""
    import inspect
    ours, ref = (getattr(m, ns) if ns else m for m in (xp, strict))
    names = [n for n in ref.__all__ if hasattr(ours, n) and inspect.isfunction(getattr(ref, n))]
    assert len(names) > (100 if not ns else 10)
    bad = []
    for n in names:
        want = inspect.signature(getattr(ref, n)).parameters
        got = inspect.signature(getattr(ours, n)).parameters
        # strict marks "not given" with its own sentinel where the standard writes None
        w = [(p.name, p.kind, None if type(p.default).__name__ == "Undef" else p.default) for p in want.values()]
        g = [(p.name, p.kind, p.default) for p in got.values()]
        if w != g:
            bad.append((n, g, w))
    assert not bad, bad


def test_isin_python_scalar_takes_the_array_dtype():
    import ember.array_api as xp
    for dt in (xp.uint16, xp.uint64, xp.int8, xp.float32):
        x = xp.asarray([1, 0, 2], dtype=dt)
        assert xp.isin(x, 0).tolist() == [False, True, False]
        assert xp.isin(x, 0, invert=True).tolist() == [True, False, True]

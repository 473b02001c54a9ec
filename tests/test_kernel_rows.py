"""The vectorised row kernels against NumPy on rows long enough to use their lanes: max/min
with indices (one pass, per-lane index), comparisons into bool, and in-place updates, on
strided inputs with NaN, ±inf and -0.0 planted where ties and lane boundaries meet."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from strategies import assert_close, np_of

SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0]


@st.composite
def long_rows(draw, dtypes=("float32", "float64"), max_row=700):
    """(ember tensor, numpy array): a 2-D view whose rows (dim 1) are 1..max_row long, read
    contiguous, transposed, or with a step, holding few distinct values (many ties) and
    specials planted at drawn positions."""
    dtype = draw(st.sampled_from(dtypes))
    rows, n = draw(st.integers(1, 4)), draw(st.integers(1, max_row))
    kind = draw(st.sampled_from(["contiguous", "transposed", "step"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if dtype in ("float32", "float64", "float16"):
        base = rng.integers(-3, 4, size=(rows, 2 * n)).astype(dtype)
        for _ in range(draw(st.integers(0, 6))):
            base[rng.integers(rows), rng.integers(2 * n)] = draw(st.sampled_from(SPECIALS))
    else:
        info = np.iinfo(dtype)
        base = rng.integers(max(info.min, -3), min(info.max, 4), size=(rows, 2 * n)).astype(dtype)
        for _ in range(draw(st.integers(0, 4))):
            base[rng.integers(rows), rng.integers(2 * n)] = draw(st.sampled_from([info.min, info.max]))
    if kind == "contiguous":
        a = base[:, :n]
        t = ember.from_numpy(base.copy())[:, :n]
    elif kind == "step":
        a = base[:, ::2]
        t = ember.from_numpy(base.copy())[:, ::2]
    else:
        bt = np.ascontiguousarray(base[:, :n].T)
        a = bt.T
        t = ember.from_numpy(bt.copy()).t()
    return t, a


@settings(max_examples=300)
@given(long_rows(dtypes=("float32", "float64", "float16", "int32", "int64", "int16", "uint8", "int8")))
def test_max_min_with_indices_long_rows(ta):
    t, a = ta
    for dim in (1, 0):
        v, i = t.max(dim)
        assert_close(i, np.argmax(a, axis=dim))
        assert_close(v, np.max(a, axis=dim))
        v, i = t.min(dim)
        assert_close(i, np.argmin(a, axis=dim))
        assert_close(v, np.min(a, axis=dim))
        assert_close(t.argmax(dim), np.argmax(a, axis=dim))
        assert_close(t.argmin(dim), np.argmin(a, axis=dim))
    assert t.argmax().item() == np.argmax(a) and t.argmin().item() == np.argmin(a)


def test_max_picks_the_first_nan_and_first_tie_across_lanes():
    # The kernel keeps one running extreme per lane (32 or 64 of them for float32: element i
    # is in lane i % 32 or i % 64).
    n = 1000
    x = np.zeros(n, np.float32)
    x[130] = x[70] = 5.0  # equal maxima in different lanes: the smaller index wins
    e = ember.from_numpy(x.copy())
    assert e.max(0).indices.item() == 70 and e.argmax().item() == 70
    x[600] = x[664] = x[900] = np.nan  # 600 and 664 share a lane (its last NaN is 664); 900 is elsewhere
    e = ember.from_numpy(x.copy())
    for v, i in (e.max(0), e.min(0)):
        assert np.isnan(v.item()) and i.item() == 600
    y = np.full(n, -1.0, np.float32)
    y[300], y[77] = 0.0, -0.0  # -0.0 == 0.0: the first one wins and keeps its sign
    v, i = ember.from_numpy(y).max(0)
    assert i.item() == 77 and np.signbit(v.item())
    z = np.full(n, np.inf, np.float32)
    assert ember.from_numpy(z).max(0).indices.item() == 0 and ember.from_numpy(-z).min(0).indices.item() == 0


@pytest.mark.parametrize("dtype", ["int8", "uint8", "float32"])
def test_max_min_rows_longer_than_a_lane_counter(dtype):
    # Byte-wide elements count their steps in bytes: a row of 70,000 runs in pieces of at most
    # 255 steps, and the first extreme must win across pieces as well as across lanes.
    rng = np.random.default_rng(2)
    x = rng.integers(-100, 100, size=(3, 70_000)).astype(dtype)
    x[0, [9_000, 40_000, 69_999]] = 120  # ties in different pieces: the first one wins
    x[1, 69_998] = 121  # the extreme in the last piece's tail
    x[2, [50, 66_000]] = 0 if dtype == "uint8" else -120  # min ties across pieces
    e = ember.from_numpy(x)
    np.testing.assert_array_equal(np_of(e.max(1).indices), np.argmax(x, 1))
    np.testing.assert_array_equal(np_of(e.min(1).indices), np.argmin(x, 1))
    np.testing.assert_array_equal(np_of(e.max(1).values), np.max(x, 1))
    np.testing.assert_array_equal(np_of(e.argmin(1)), np.argmin(x, 1))


def test_max_rows_at_two_threads_match_one():
    rng = np.random.default_rng(1)
    x = rng.integers(-5, 5, size=(3000, 300)).astype(np.float32)
    x[rng.integers(3000, size=50), rng.integers(300, size=50)] = np.nan
    e = ember.from_numpy(x)
    old = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        v1, i1 = e.max(1)
        ember.set_num_threads(2)
        v2, i2 = e.max(1)
    finally:
        ember.set_num_threads(old)
    np.testing.assert_array_equal(np_of(i1), np.argmax(x, 1))
    np.testing.assert_array_equal(np_of(i2), np.argmax(x, 1))
    np.testing.assert_array_equal(np_of(v2), np.max(x, 1))


CMP = {"gt": np.greater, "ge": np.greater_equal, "lt": np.less, "le": np.less_equal, "eq": np.equal, "ne": np.not_equal}


@settings(max_examples=200)
@given(long_rows(dtypes=("float32", "float64", "int32", "int64", "uint8"), max_row=300), st.data())
def test_compare_strided_into_bool(xa, data):
    t, a = xa
    name = data.draw(st.sampled_from(sorted(CMP)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    b = a[:, ::-1].copy() if data.draw(st.booleans()) else rng.permutation(a.ravel()).reshape(a.shape)
    tb = ember.from_numpy(np.ascontiguousarray(b.T)).t() if data.draw(st.booleans()) else ember.from_numpy(b)
    for x, y, nx, ny in ((t, tb, a, b), (tb, t, b, a), (t, t, a, a)):
        r = getattr(x, name)(y)
        assert r.dtype == ember.bool
        assert_close(r, CMP[name](nx, ny))
    s = a.ravel()[0].item() if a.size else 0
    assert_close(getattr(t, name)(s), CMP[name](a, np.asarray(s, a.dtype)))


@settings(max_examples=100)
@given(long_rows(dtypes=("float32", "float64", "int64"), max_row=300), st.sampled_from(["add_", "mul_", "sub_", "div_"]))
def test_inplace_rows_write_through_views(ta, name):
    t, a = ta
    if name == "div_" and a.dtype.kind != "f":
        return
    a = a.copy()
    other = np.full(a.shape, 3, a.dtype)
    getattr(t, name)(ember.from_numpy(other))
    assert_close(t, {"add_": a + other, "mul_": a * other, "sub_": a - other, "div_": a / other}[name])
    before = np_of(t)
    getattr(t, name)(2)
    ref = {"add_": before + 2, "mul_": before * 2, "sub_": before - 2, "div_": before / 2}[name]
    assert_close(t, ref.astype(a.dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compare_nan_inf_negzero(dtype):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0] * 50, dtype)
    y = np.roll(x, 7)
    ex, ey = ember.from_numpy(x), ember.from_numpy(y)
    for name, f in CMP.items():
        np.testing.assert_array_equal(np_of(getattr(ex, name)(ey)), f(x, y))

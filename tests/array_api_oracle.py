"""Helpers for the array API tests: move data between ember.array_api and array_api_strict
(the standard's reference implementation, our value oracle) and compare results exactly,
signed zeros and NaN included."""
import array_api_strict as strict
import numpy as np

import ember
import ember.array_api as xp

NAMES = ["bool", "int8", "int16", "int32", "int64", "uint8", "float32", "float64"]
FLOATS = ["float32", "float64"]
INTS = ["int8", "int16", "int32", "int64", "uint8"]


def to_numpy(a):
    """A numpy copy of an ember tensor or a strict array (through DLPack, sharing nothing later)."""
    if isinstance(a, ember.Tensor):
        return np.array(a.tolist(), dtype=str(a.dtype).split(".")[-1]).reshape(tuple(a.shape))
    return np.array(np.from_dlpack(a), copy=True)


def to_strict(a):
    return strict.asarray(to_numpy(a))


def dtype_name(d):
    return str(d).split(".")[-1]


def assert_same(got, want, ulps=4, zero_sign=True):
    """`got` (ember) equals `want` (strict or numpy): dtype, shape, NaN where NaN, the sign of
    every zero and infinity (unless `zero_sign` is False: where the standard leaves it open),
    and finite floats within a few ulps (libm differences)."""
    w = want if isinstance(want, np.ndarray) else to_numpy(want)
    g = to_numpy(got)
    assert dtype_name(got.dtype) == str(w.dtype).replace("bool_", "bool"), (got.dtype, w.dtype)
    assert g.shape == w.shape, (g.shape, w.shape)
    if w.dtype.kind != "f":
        np.testing.assert_array_equal(g, w)
        return
    assert np.array_equal(np.isnan(g), np.isnan(w)), f"NaN mismatch: {g} vs {w}"
    exact = (w == 0) | np.isinf(w)
    assert np.array_equal(g[exact], w[exact]) and (
        not zero_sign or np.array_equal(np.signbit(g[exact]), np.signbit(w[exact]))), \
        f"zeros/infinities differ: {g} vs {w}"
    fin = np.isfinite(w) & (w != 0)
    tol = ulps * np.spacing(np.abs(w[fin]).astype(w.dtype))
    assert np.all(np.abs(g[fin] - w[fin]) <= tol), f"values differ: {g[fin]} vs {w[fin]}"

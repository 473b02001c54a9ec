"""Helpers for the array API tests: move data between ember.array_api and array_api_strict
(the standard's reference implementation, our value oracle) and compare results exactly,
signed zeros and NaN included."""
import array_api_strict as strict
import numpy as np

import ember
import ember.array_api as xp

NAMES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64",
         "complex64", "complex128"]
FLOATS = ["float32", "float64"]
COMPLEX = ["complex64", "complex128"]
INTS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


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
    if w.dtype.kind == "c":
        _assert_same_complex(g, w, ulps, zero_sign)
        return
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


def _assert_same_complex(g, w, ulps, zero_sign):
    """Complex values: NaN, infinite and zero parts as for floats, finite values within a few
    ulps of their magnitude (a part far smaller than the other carries only that much)."""
    for p, q in ((g.real, w.real), (g.imag, w.imag)):
        assert np.array_equal(np.isnan(p), np.isnan(q)), f"NaN mismatch: {g} vs {w}"
        inf = np.isinf(q)
        assert np.array_equal(p[inf] == q[inf], np.ones(inf.sum(), bool)) if zero_sign else \
            np.all(np.isinf(p[inf])), f"infinities differ: {g} vs {w}"
        both_zero = (q == 0) & (p == 0)
        assert not zero_sign or np.array_equal(np.signbit(p[both_zero]), np.signbit(q[both_zero])), \
            f"signs of zeros differ: {g} vs {w}"
    fin = np.isfinite(w.real) & np.isfinite(w.imag)
    mag = np.abs(w[fin])
    tol = ulps * np.spacing(mag.astype(w.real.dtype)) + np.finfo(w.real.dtype).tiny
    assert np.all(np.abs(g[fin] - w[fin]) <= tol), f"values differ: {g[fin]} vs {w[fin]}"

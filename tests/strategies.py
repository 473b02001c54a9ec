"""Hypothesis strategies that build *strided* inputs on purpose.

Every array is drawn as a base, then permuted, sliced with steps, or expanded, and the same
view is taken in ember and NumPy so tests compare values, dtypes, shapes and strides on
non-contiguous data.
"""
import numpy as np
from hypothesis import strategies as st

import ember

NP_DTYPES = {
    "bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "int16": np.int16, "int32": np.int32,
    "int64": np.int64, "float16": np.float16, "float32": np.float32, "float64": np.float64,
    "complex64": np.complex64, "complex128": np.complex128,
    "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
}
FLOAT = ["float32", "float64"]
INT = ["uint8", "int8", "int16", "int32", "int64"]
ALL = ["bool"] + INT + ["float16"] + FLOAT
COMPLEX = ["complex64", "complex128"]
UINT = ["uint16", "uint32", "uint64"]  # PyTorch's limited-support unsigned dtypes


def edtype(name):
    return getattr(ember, name)


def shapes(min_dims=0, max_dims=4, min_side=0, max_side=5):
    return st.lists(st.integers(min_side, max_side), min_size=min_dims, max_size=max_dims).map(tuple)


def values(shape, dtype, rng):
    n = int(np.prod(shape)) if shape else 1
    if dtype == "bool":
        return (rng.random(n) < 0.5).reshape(shape)
    if dtype in INT:
        info = np.iinfo(NP_DTYPES[dtype])
        lo, hi = max(info.min, -50), min(info.max, 50)
        return rng.integers(lo, hi + 1, n).astype(NP_DTYPES[dtype]).reshape(shape)
    if dtype in UINT:
        # the whole range (wraparound and uint64's upper half), with small values mixed in
        top = np.iinfo(NP_DTYPES[dtype]).max
        big = rng.integers(0, top, n, dtype=NP_DTYPES[dtype], endpoint=True)
        return np.where(rng.random(n) < 0.5, big, big % 8).reshape(shape)
    if dtype in COMPLEX:
        return (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(NP_DTYPES[dtype]).reshape(shape)
    return rng.standard_normal(n).astype(NP_DTYPES[dtype]).reshape(shape)


def to_ember(a):
    """A contiguous ember copy of a contiguous numpy array (no memory sharing)."""
    return ember.tensor(a.tolist(), dtype=edtype(str(a.dtype) if a.dtype != np.bool_ else "bool")).reshape(a.shape)


@st.composite
def strided_pair(draw, dtypes=FLOAT, min_dims=0, max_dims=4, max_side=5, allow_expand=True):
    """(ember tensor, numpy array) holding the same values through the same kind of view."""
    dtype = draw(st.sampled_from(dtypes))
    shape = draw(shapes(min_dims, max_dims, 0, max_side))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    base_shape = tuple(s * 2 if s else 0 for s in shape)  # room for stepped slices
    a = values(base_shape, dtype, rng)
    t = to_ember(a)
    kind = draw(st.sampled_from(["contiguous", "permute", "step", "expand"] if allow_expand else ["contiguous", "permute", "step"]))
    sl = tuple(slice(0, s) for s in shape)
    a, t = a[sl], t[sl] if shape else t
    if kind == "permute" and len(shape) > 1:
        perm = draw(st.permutations(range(len(shape))))
        a, t = a.transpose(perm), t.permute(*perm)
    elif kind == "step" and len(shape) > 0:
        a2 = values(tuple(s * 2 for s in shape), dtype, rng)
        t2 = to_ember(a2)
        sl = tuple(slice(0, 2 * s, 2) for s in shape)
        a, t = a2[sl], t2[sl]
    elif kind == "expand" and len(shape) > 0:
        d = draw(st.integers(0, len(shape) - 1))
        sl = tuple(slice(0, 1) if i == d else slice(None) for i in range(len(shape)))
        a, t = a[sl], t[sl]
        a = np.broadcast_to(a, shape)
        t = t.expand(*shape)
    return t, a


def np_of(t):
    """NumPy copy of an ember tensor through tolist (independent of the exchange code)."""
    name = t.dtype.name
    if name == "bfloat16":
        name = "float32"
    return np.array(t.tolist(), dtype=NP_DTYPES[name]).reshape(tuple(t.shape))


def assert_close(t, a, rtol=None, atol=None, check_dtype=True):
    """Values, shape and (optionally) dtype of ember tensor `t` against numpy array `a`."""
    a = np.asarray(a)
    assert tuple(t.shape) == a.shape, f"shape {tuple(t.shape)} != {a.shape}"
    if check_dtype:
        assert t.dtype.name == ("bool" if a.dtype == np.bool_ else str(a.dtype)), f"dtype {t.dtype} != {a.dtype}"
    got = np_of(t)
    if a.dtype.kind in "fc":
        tol = {"float16": 1e-2, "float32": 1e-5, "float64": 1e-10}.get(str(a.dtype), 1e-5)
        np.testing.assert_allclose(got, a, rtol=rtol or tol, atol=atol or tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, a)

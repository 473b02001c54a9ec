"""The array object of ember.array_api (`Array`, an ember.Tensor subclass): its operators,
in-place operators, indexing and conversions follow the standard, with array_api_strict (and
NumPy for indexing) as the oracle, while plain ember.Tensors keep PyTorch's semantics; and the
revision-2025.12 additions (eig/eigvals, tuple expand_dims, scalar searchsorted, ...)."""
import math
import operator

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import array_api_strict as strict
import ember
import ember.array_api as xp
from array_api_oracle import FLOATS, INTS, assert_same, dtype_name, to_numpy, to_strict
from strategies import strided_pair

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

Array = xp.Array
SIGNED = ["int8", "int16", "int32", "int64"]
ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
         "//": operator.floordiv, "%": operator.mod, "**": operator.pow}
BITWISE = {"&": operator.and_, "|": operator.or_, "^": operator.xor, "<<": operator.lshift,
           ">>": operator.rshift}
COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
           "==": operator.eq, "!=": operator.ne}
INPLACE = {"+": operator.iadd, "-": operator.isub, "*": operator.imul, "/": operator.itruediv,
           "//": operator.ifloordiv, "%": operator.imod, "**": operator.ipow, "&": operator.iand,
           "|": operator.ior, "^": operator.ixor, "<<": operator.ilshift, ">>": operator.irshift}
FUNCTION = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "//": "floor_divide",
            "%": "remainder", "**": "pow", "&": "bitwise_and", "|": "bitwise_or", "^": "bitwise_xor",
            "<<": "bitwise_left_shift", ">>": "bitwise_right_shift", "<": "less", "<=": "less_equal",
            ">": "greater", ">=": "greater_equal", "==": "equal", "!=": "not_equal"}


def _array(values, dtype):
    return xp.asarray(values, dtype=getattr(xp, dtype))


@st.composite
def same_kind_operands(draw, kinds):
    """(x1, x2) of one kind with any dtypes of it, one of them 0-d, the other strided."""
    names = draw(st.sampled_from(kinds))
    d1, d2 = draw(st.sampled_from(names)), draw(st.sampled_from(names))
    t, _ = draw(strided_pair(dtypes=[d1], min_dims=1, max_dims=3, max_side=4))
    v = draw(st.integers(1, 5)) if d2 in INTS else draw(st.floats(-4, 4, width=32))
    s = _array(v, d2)
    return (xp.asarray(t), s) if draw(st.booleans()) else (s, xp.asarray(t))


@settings(max_examples=60, deadline=None)
@given(same_kind_operands([SIGNED, FLOATS]), st.sampled_from(["+", "-", "*", "/", "**", "<", "==", ">="]))
def test_zero_d_operands_promote_like_arrays(pair, sym):
    # int8 + a 0-d int64 array is int64 here (PyTorch's 0-d rule would give int8)
    x1, x2 = pair
    if sym in ("/", "**") and x1.dtype not in (xp.float32, xp.float64):
        return  # integer true division and integer powers are implementation-defined
    got = {**ARITH, **COMPARE}[sym](x1, x2)
    assert type(got) is Array
    want = {**ARITH, **COMPARE}[sym](to_strict(x1), to_strict(x2))
    assert dtype_name(got.dtype) == dtype_name(want.dtype)
    assert_same(got, getattr(xp, FUNCTION[sym])(x1, x2))  # the operator is the function


@settings(max_examples=60, deadline=None)
@given(same_kind_operands([SIGNED]), st.sampled_from(["&", "|", "^", "<<", ">>", "//", "%"]))
def test_integer_operators_against_strict(pair, sym):
    x1, x2 = pair
    if sym in ("<<", ">>", "//", "%"):
        x2 = xp.clip(x2, min=1, max=7)  # shift counts in range, divisors nonzero
    got = {**ARITH, **BITWISE}[sym](x1, x2)
    assert_same(got, {**ARITH, **BITWISE}[sym](to_strict(x1), to_strict(x2)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_float_floordiv_and_mod_operators_follow_the_standard(dtype):
    inf = math.inf
    a = _array([inf, inf, -inf, -inf, 5.0, -5.0, -0.0, 0.0], dtype)
    b = _array([2.0, -2.0, 2.0, -2.0, -inf, inf, 2.0, -2.0], dtype)
    assert_same(a // b, to_numpy(xp.floor_divide(a, b)))
    q = to_numpy(a // b)[:6]
    assert q.tolist() == [inf, -inf, -inf, inf, 0.0, 0.0] and np.signbit(q[4:]).all()  # floor(x/∓inf) = -0
    m = a % b
    assert_same(m, to_numpy(xp.remainder(a, b)))
    assert np.signbit(to_numpy(m)[6:]).tolist() == [False, True]  # -0 % 2 -> +0, 0 % -2 -> -0
    # ember.Tensor keeps PyTorch's: inf // 2 is NaN there
    assert math.isnan((ember.tensor([inf]) // 2.0).item())


@settings(max_examples=40, deadline=None)
@given(same_kind_operands([SIGNED, FLOATS]), st.sampled_from(["+", "*", "-"]))
def test_python_scalar_and_reflected_operands(pair, sym):
    x = pair[0] if pair[0].ndim else pair[1]
    op = ARITH[sym]
    for got, want in ((op(x, 2), op(to_strict(x), 2)), (op(3, x), op(3, to_strict(x)))):
        assert type(got) is Array
        assert_same(got, want)


@pytest.mark.parametrize("sym", list(INPLACE))
@pytest.mark.parametrize("dtype", ["int16", "float64"])
def test_inplace_operators_keep_the_object_and_follow_the_standard(sym, dtype):
    if dtype == "int16" and sym in ("/", "**"):
        return
    if dtype == "float64" and sym in BITWISE:
        return
    base = xp.asarray(np.arange(1, 13).reshape(3, 4), dtype=getattr(xp, dtype))
    x = base[::2, 1:]  # strided
    y = _array(2, dtype)  # 0-d, same dtype
    want = INPLACE[sym](to_strict(x), to_strict(y))
    before = x
    x = INPLACE[sym](x, y)
    assert x is before and x.dtype == getattr(xp, dtype)
    assert_same(x, want)
    assert_same(base[::2, 1:], want)  # written through to the array it views


def test_inplace_operators_refuse_to_change_dtype_or_shape():
    x = xp.asarray([1, 2], dtype=xp.int8)
    with pytest.raises(TypeError):
        x += xp.asarray(1, dtype=xp.int64)  # the standard promotes to int64: not in place
    with pytest.raises(TypeError):
        x /= 2  # int / int is a float
    f = xp.asarray([1.0, 2.0])
    with pytest.raises(ValueError):
        f += xp.ones((3, 2))  # the result would be (3, 2)
    assert_same(x, np.array([1, 2], dtype="int8"))
    f += xp.ones((2,))
    m = xp.eye(2)
    m @= xp.asarray([[1.0, 2.0], [3.0, 4.0]])
    assert_same(m, np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32"))


@st.composite
def index_keys(draw, shape):
    """Basic keys with negative steps, None and Ellipsis, as the standard allows them."""
    key, dims = [], list(range(len(shape)))
    ellipsis_at = draw(st.integers(-1, len(shape)))
    for i, n in enumerate(shape):
        if i == ellipsis_at:
            key.append(Ellipsis)
            if draw(st.booleans()):
                break
        kind = draw(st.sampled_from(["slice", "slice", "int", "none"] if n else ["slice", "none"]))
        if kind == "none":
            key.append(None)
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        else:
            bound = st.none() | st.integers(-n - 2, n + 2)
            key.append(slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2, -1, -2, -3]))))
    return tuple(key)


@settings(max_examples=150, deadline=None)
@given(strided_pair(dtypes=["float32", "int64"], max_dims=3, allow_expand=False), st.data())
def test_getitem_with_negative_steps_matches_numpy(pair, data):
    t, a = pair
    x = xp.asarray(t)
    key = data.draw(index_keys(a.shape))
    got = x[key]
    assert type(got) is Array
    assert_same(got, np.asarray(a[key]))


@settings(max_examples=150, deadline=None)
@given(strided_pair(dtypes=["float32", "int64"], max_dims=3, allow_expand=False), st.data())
def test_setitem_with_negative_steps_matches_numpy(pair, data):
    t, a = pair
    x, a = xp.asarray(t), np.array(a, copy=True)
    key = data.draw(index_keys(a.shape))
    target = a[key]
    value = np.arange(np.prod(target.shape), dtype=a.dtype).reshape(target.shape) + 100
    x[key] = xp.asarray(value)
    a[key] = value
    assert_same(x, a)
    assert_same(xp.asarray(t), a)  # written into the tensor it was made from


def test_setitem_negative_step_with_an_index_array_and_a_scalar():
    a = np.arange(24.0, dtype="float32").reshape(2, 3, 4)
    x = xp.asarray(a.tolist(), dtype=xp.float32)
    idx = np.array([1, 0, 1])
    x[xp.asarray(idx[:2]), ::-2] = xp.asarray(np.arange(16.0, dtype="float32").reshape(2, 2, 4) - 50)
    a[idx[:2], ::-2] = np.arange(16.0, dtype="float32").reshape(2, 2, 4) - 50
    assert_same(x, a)
    x[0, ::-1, 1] = 7.0
    a[0, ::-1, 1] = 7.0
    assert_same(x, a)
    assert_same(x[xp.asarray(idx), ::-3], a[idx, ::-3])


@pytest.mark.parametrize("mask_shape, out_shape", [((0,), (0, 3)), ((2, 0), (0,)), ((0, 0), (0,)),
                                                   ((0, 3), (0,))])
def test_boolean_masks_with_length_zero_dims(mask_shape, out_shape):
    x = xp.reshape(xp.arange(6.0), (2, 3))
    mask = xp.zeros(mask_shape, dtype=xp.bool)
    out = x[mask]
    assert type(out) is Array and out.shape == out_shape and out.dtype == x.dtype
    x[mask] = 5.0  # selects nothing
    assert_same(x, np.arange(6.0, dtype="float32").reshape(2, 3))
    with pytest.raises(IndexError):
        x[xp.zeros((3, 0), dtype=xp.bool)]  # a nonzero dim must match
    with pytest.raises(IndexError):
        x[xp.zeros((2, 3, 0), dtype=xp.bool)]


def test_plain_tensors_keep_pytorch_semantics():
    t = ember.tensor([1, 2], dtype=ember.int8)
    a = xp.asarray(t)
    assert type(t) is ember.Tensor and type(a) is Array
    assert (t + ember.tensor(3)).dtype == ember.int8  # PyTorch's 0-d rule
    assert (a + ember.tensor(3)).dtype == ember.int64  # the standard's
    with pytest.raises(ValueError):
        ember.arange(3)[::-1]  # PyTorch: positive steps only
    assert math.isnan((ember.tensor([math.inf]) // 2.0).item())
    # operations on an Array through ember's own functions give plain tensors
    assert type(ember.add(a, 1)) is ember.Tensor and type(a.sum()) is ember.Tensor


def test_arrays_share_memory_and_autograd_history():
    t = ember.arange(4.0)
    a = xp.asarray(t)
    assert a.data_ptr() == t.data_ptr()
    a[1] = 10.0
    assert t[1].item() == 10.0
    w = ember.ones(3, requires_grad=True)
    y = xp.sum(xp.multiply(xp.asarray(w), 2.0))
    assert type(y) is Array
    y.backward()
    assert w.grad.tolist() == [2.0, 2.0, 2.0]
    x = xp.asarray([1.0, 2.0])
    assert xp.asarray(x) is x and xp.astype(x, xp.float32, copy=False) is x
    assert xp.asarray(x, copy=True) is not x


def test_every_function_returns_arrays():
    x = xp.asarray([[3.0, 1.0], [1.0, 2.0]])
    results = [xp.exp(x), xp.sum(x), xp.matmul(x, x), xp.linalg.inv(x), xp.fft.fft(x), x.T, x.mT,
               xp.where(x > 1, x, 0.0), x[0], -x, abs(x), ~xp.asarray([1, 2])]
    results += list(xp.unique_all(xp.asarray([1, 1, 2]))) + list(xp.linalg.eigh(x))
    results += list(xp.meshgrid(xp.arange(2), xp.arange(3))) + list(xp.broadcast_arrays(x, x[0]))
    assert all(type(r) is Array for r in results)
    assert type(xp.meshgrid(xp.arange(2))) is tuple  # revision 2025.12
    assert type(xp.__array_namespace_info__().devices()) is tuple


def test_attributes_and_conversions():
    x = xp.reshape(xp.arange(6), (2, 3))
    assert x.size == 6 and isinstance(x.size, int)
    assert x.size() == (2, 3) and x.size(1) == 3  # still callable, as ember.Tensor.size
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2)
    with pytest.raises(ValueError):
        xp.arange(3).T  # the standard's T is for 2-d arrays
    with pytest.raises(ValueError):
        xp.arange(3).mT
    assert x.__array_namespace__() is xp and x.__array_namespace__(api_version="2025.12") is xp
    with pytest.raises(ValueError):
        x.__array_namespace__(api_version="2099.01")
    assert x.to_device("cpu") is x and x.device == ember.device("cpu")
    assert x.__dlpack_device__() == (1, 0)
    with pytest.raises(ValueError):
        int(xp.asarray(math.nan))
    with pytest.raises(OverflowError):
        int(xp.asarray(-math.inf))
    with pytest.raises(TypeError):
        float(xp.asarray(1 + 2j))
    with pytest.raises(TypeError):
        int(xp.asarray(1 + 2j))
    with pytest.raises(TypeError):
        operator.index(xp.asarray(2.0))
    assert operator.index(xp.asarray(3, dtype=xp.int8)) == 3 and int(xp.asarray(-2.7)) == -2
    assert complex(xp.asarray(True)) == 1 + 0j and bool(xp.asarray(math.nan)) is True
    with pytest.raises(TypeError):
        bool(xp.ones(2))
    assert hash(x) == hash(x)


# ---- revision 2025.12 ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
def test_eig_and_eigvals_against_numpy(dtype):
    rng = np.random.default_rng(3)
    A = rng.standard_normal((3, 4, 4))
    if dtype.startswith("complex"):
        A = A + 1j * rng.standard_normal((3, 4, 4))
        A[1] = A[1] + np.conj(A[1].T)  # Hermitian: every eigenvalue real
    A = A.astype(dtype)
    x = xp.asarray(A)
    w, V = xp.linalg.eig(x)
    want_dtype = {"float32": "complex64", "float64": "complex128"}.get(dtype, dtype)
    assert dtype_name(w.dtype) == want_dtype and dtype_name(V.dtype) == want_dtype
    wn, Vn = to_numpy(w), to_numpy(V)
    tol = 1e-4 if want_dtype == "complex64" else 1e-10
    np.testing.assert_allclose(A @ Vn, Vn * wn[..., None, :], atol=tol * 10)
    want = np.linalg.eigvals(A.astype("complex128"))
    def ordered(z):  # by real, then imaginary part, rounded so that rounding noise cannot reorder
        return z[np.lexsort((np.round(z.imag, 3), np.round(z.real, 3)))]
    for g, e in zip(to_numpy(xp.linalg.eigvals(x)), want):
        np.testing.assert_allclose(ordered(g), ordered(e), atol=tol * 10)
    if dtype.startswith("complex"):
        np.testing.assert_allclose(np.linalg.norm(Vn, axis=-2), 1, atol=tol)


def test_eig_edge_cases():
    assert xp.linalg.eigvals(xp.zeros((2, 0, 0), dtype=xp.complex64)).shape == (2, 0)
    tiny = xp.linalg.eigvals(xp.asarray([[1e-30 + 0j, 0], [0, 2e-30]], dtype=xp.complex128))
    np.testing.assert_allclose(np.sort(to_numpy(tiny).real), [1e-30, 2e-30], rtol=1e-10)
    with pytest.raises(TypeError):
        xp.linalg.eig(xp.eye(2, dtype=xp.int64))


def test_expand_dims_tuples_searchsorted_scalars_broadcast_shapes_isin():
    x = xp.ones((2, 3))
    assert xp.expand_dims(x, axis=(0, -1)).shape == (1, 2, 3, 1)
    assert xp.expand_dims(x, axis=(3, 1)).shape == (2, 1, 3, 1)
    assert_same(xp.expand_dims(x, axis=(0, 2)), np.expand_dims(np.ones((2, 3), "float32"), (0, 2)))
    with pytest.raises(ValueError):
        xp.expand_dims(x, axis=(0, -4))  # the same position twice
    with pytest.raises(IndexError):
        xp.expand_dims(x, axis=(0, 4))
    s = xp.asarray([1.0, 2.0, 4.0])
    for v, side in ((2, "left"), (2.0, "right"), (0.5, "left"), (9, "right")):
        got = xp.searchsorted(s, v, side=side)
        assert got.shape == () and got.dtype == xp.int64
        assert int(got) == int(strict.searchsorted(to_strict(s), strict.asarray(float(v)), side=side))
    assert xp.broadcast_shapes((2, 1), (3,)) == (2, 3) and xp.broadcast_shapes() == ()
    with pytest.raises(ValueError):
        xp.broadcast_shapes((2, 3), (4, 3))
    assert xp.isin(xp.asarray([1, 2, 3]), 2).tolist() == [False, True, False]
    assert bool(xp.isin(2, xp.asarray([1, 2]))) and xp.isin(2, xp.asarray([1, 2])).shape == ()
    assert xp.isin(xp.asarray([1, 5]), xp.asarray([[5]]), invert=True).tolist() == [True, False]

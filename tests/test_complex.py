"""complex64/complex128: creation, exchange, promotion, elementwise ops, reductions, matmul,
printing, the part views and autograd (PyTorch's conjugate-Wirtinger convention), against
NumPy on strided inputs."""
import cmath

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from ember.autograd import gradcheck
from strategies import COMPLEX, strided_pair

TOL = {"complex64": dict(rtol=2e-5, atol=2e-5), "complex128": dict(rtol=1e-12, atol=1e-12)}


def close(t, a, dtype=None):
    dtype = dtype or str(a.dtype)
    got = t.resolve_conj().numpy() if isinstance(t, ember.Tensor) else np.asarray(t)
    assert got.dtype == a.dtype, (got.dtype, a.dtype)
    np.testing.assert_allclose(got, a, equal_nan=True, **TOL.get(dtype, dict(rtol=2e-5, atol=2e-5)))


# ---- creation, exchange, printing
def test_creation_from_python_and_numpy():
    t = ember.tensor([1 + 2j, 3 - 4j])
    assert t.dtype == ember.complex64 and t.dtype.is_complex and not t.dtype.is_floating_point
    assert t.tolist() == [1 + 2j, 3 - 4j] and ember.tensor(2 - 1j).item() == 2 - 1j
    assert ember.tensor([1, 2.5, 1j]).dtype == ember.complex64
    assert ember.tensor([1j], dtype=ember.cdouble).dtype == ember.complex128
    assert ember.cfloat is ember.complex64 and ember.zeros(2, dtype=ember.complex64).tolist() == [0j, 0j]
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1j]).dtype == ember.complex128
    finally:
        ember.set_default_dtype(ember.float32)
    assert ember.full((2,), 1 + 1j).dtype == ember.complex64
    with pytest.raises(RuntimeError, match="cannot be converted"):
        ember.full((2,), 1 + 1j, dtype=ember.float32)
    assert ember.full((2,), 3 + 0j, dtype=ember.float32).tolist() == [3.0, 3.0]


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_numpy_exchange_shares_memory(dtype):
    a = (np.arange(6) + 1j * np.arange(6)[::-1]).astype(dtype).reshape(2, 3)
    t = ember.from_numpy(a)
    assert t.dtype == getattr(ember, np.dtype(dtype).name)
    a[0, 1] = 7 - 7j
    assert t[0, 1].item() == 7 - 7j
    back = t.numpy()
    back[1, 2] = -1j
    assert a[1, 2] == -1j
    assert memoryview(t).format == ("Zf" if dtype == np.complex64 else "Zd")
    np.testing.assert_array_equal(np.from_dlpack(t), a)
    np.testing.assert_array_equal(ember.from_dlpack(a).numpy(), a)
    np.testing.assert_array_equal(ember.from_numpy(a.T).numpy(), a.T)  # strided


def test_printing_matches_pytorch():
    assert repr(ember.tensor([1 + 2j, -3.5 - 1j])) == "tensor([ 1.0000+2.j, -3.5000-1.j])"
    assert repr(ember.tensor([1 + 2j, 3 + 4j])) == "tensor([1.+2.j, 3.+4.j])"
    assert repr(ember.tensor([[0.001 + 1000j, 2 - 2j], [1e-5j, 3]])) == (
        "tensor([[1.0000e-03+1.0000e+03j, 2.0000e+00-2.0000e+00j],\n"
        "        [0.0000e+00+1.0000e-05j, 3.0000e+00+0.0000e+00j]])")
    assert repr(ember.tensor(1.5 - 2j)) == "tensor(1.5000-2.j)"
    assert repr(ember.tensor([1 + 2j], dtype=ember.complex128)) == "tensor([1.+2.j], dtype=ember.complex128)"
    assert repr(ember.zeros(2, dtype=ember.complex64)) == "tensor([0.+0.j, 0.+0.j])"
    assert repr(ember.arange(12.).reshape(3, 4) * (1 + 1j)) == (
        "tensor([[ 0.+0.j,  1.+1.j,  2.+2.j,  3.+3.j],\n"
        "        [ 4.+4.j,  5.+5.j,  6.+6.j,  7.+7.j],\n"
        "        [ 8.+8.j,  9.+9.j, 10.+10.j, 11.+11.j]])")


def test_promotion_follows_pytorch():
    f32, f64, i64 = ember.ones(2), ember.ones(2, dtype=ember.float64), ember.ones(2, dtype=ember.int64)
    assert (f32 + 0j).dtype == ember.complex64
    assert (f64 * 1j).dtype == ember.complex128
    assert (i64 + 1j).dtype == ember.complex64
    assert (f64 + ember.tensor(1j)).dtype == ember.complex128
    assert (f32 + ember.tensor(1j, dtype=ember.complex128)).dtype == ember.complex64
    assert (ember.ones(2, dtype=ember.complex64) + ember.ones(2, dtype=ember.float64)).dtype == ember.complex128
    assert ember.promote_types(ember.complex64, ember.float64) == ember.complex128
    assert ember.result_type(ember.ones(1, dtype=ember.complex64), 2.5) == ember.complex64
    assert ember.float32.to_complex() == ember.complex64 and ember.complex128.to_real() == ember.float64
    with pytest.raises(RuntimeError):
        ember.ones(2).add_(ember.ones(2) * 1j)  # complex result can't be written into float


# ---- elementwise
@settings(max_examples=40, deadline=None)
@given(strided_pair(dtypes=COMPLEX, max_dims=3), st.sampled_from(["add", "sub", "mul", "div"]))
def test_binary_on_strided_inputs(pair, name):
    t, a = pair
    other = (a[..., ::-1] * (0.5 - 1.5j) + (1 + 0.25j)).astype(a.dtype) if a.ndim else a * (2 - 1j)
    np_name = {"sub": "subtract", "mul": "multiply", "div": "divide"}.get(name, name)
    close(getattr(ember, name)(t, ember.from_numpy(np.ascontiguousarray(other))), getattr(np, np_name)(a, other))


@settings(max_examples=60, deadline=None)
@given(strided_pair(dtypes=COMPLEX, max_dims=3),
       st.sampled_from(["exp", "log", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh", "reciprocal", "square",
                        "neg", "log2", "log10", "log1p", "expm1", "rsqrt", "sigmoid", "asin", "acos", "atan",
                        "asinh", "acosh", "atanh"]))
def test_unary_on_strided_inputs(pair, name):
    t, a = pair
    ref = {"neg": np.negative, "rsqrt": lambda z: 1 / np.sqrt(z), "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
           "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "asinh": np.arcsinh, "acosh": np.arccosh,
           "atanh": np.arctanh}.get(name, getattr(np, name, None))
    with np.errstate(all="ignore"):
        want = ref(a.astype(np.complex128))
        # Near a pole or branch point the function amplifies the input's rounding: a
        # backward-stable kernel is then off by about cond(z) * eps, so the tolerance scales
        # with the condition number |z f'(z) / f(z)| (estimated in complex128).
        h = 1e-7
        cond = np.abs((ref(a.astype(np.complex128) * (1 + h)) - want) / (h * want))
        cond = np.where(np.isfinite(cond), np.maximum(cond, 1.0), 1.0)
    got = getattr(ember, name)(t).resolve_conj().numpy()
    assert got.dtype == a.dtype, (got.dtype, a.dtype)
    tol = TOL[str(a.dtype)]["rtol"]
    want = want.astype(a.dtype)
    bad = ~((np.abs(got - want) <= tol + tol * cond * np.abs(want)) | (np.isnan(got) & np.isnan(want)) | (got == want))
    assert not bad.any(), (name, a[bad], got[bad], want[bad], cond[bad])


@settings(max_examples=30, deadline=None)
@given(strided_pair(dtypes=COMPLEX, max_dims=3))
def test_abs_angle_sgn_real_imag(pair):
    t, a = pair
    rdt = np.float32 if a.dtype == np.complex64 else np.float64
    close(t.abs(), np.abs(a).astype(rdt), str(a.dtype))
    close(ember.angle(t), np.angle(a).astype(rdt), str(a.dtype))
    with np.errstate(all="ignore"):
        close(ember.sgn(t), np.where(a == 0, 0, a / np.abs(a)).astype(a.dtype))
    close(t.real, a.real, str(a.dtype))
    close(t.imag, a.imag, str(a.dtype))
    close(t.conj(), np.conj(a))
    close(ember.view_as_real(t.contiguous()), np.stack([a.real, a.imag], -1).astype(rdt), str(a.dtype))


def test_small_arguments_keep_their_digits():
    w = np.array([1e-9 + 2e-9j, -3e-12 + 1e-12j, 1e-5 - 1e-6j])
    z = ember.from_numpy(w.copy())
    # Taylor series as the oracle: NumPy's own complex log1p loses these digits
    series = {"log1p": [1, -1 / 2, 1 / 3, -1 / 4, 1 / 5], "expm1": [1, 1 / 2, 1 / 6, 1 / 24, 1 / 120],
              "asinh": [1, 0, -1 / 6, 0, 3 / 40], "atanh": [1, 0, 1 / 3, 0, 1 / 5], "asin": [1, 0, 1 / 6, 0, 3 / 40],
              "atan": [1, 0, -1 / 3, 0, 1 / 5], "sin": [1, 0, -1 / 6, 0, 1 / 120], "tanh": [1, 0, -1 / 3, 0, 2 / 15]}
    for name, coef in series.items():
        want = sum(c * w ** (k + 1) for k, c in enumerate(coef))
        np.testing.assert_allclose(getattr(ember, name)(z).numpy(), want, rtol=1e-12, err_msg=name)


def test_pow_special_values_and_branch_cuts():
    w = np.array([-1 + 0j, complex(-1, -0.0), 0j, 4 + 0j])
    z = ember.from_numpy(w.copy())
    close(ember.sqrt(z), np.sqrt(w))
    close(ember.log(z[[0, 1, 3]]), np.log(w[[0, 1, 3]]))
    close(z[[0, 3]] ** 0.5, w[[0, 3]] ** 0.5)
    close(z ** 2, w ** 2)
    close(ember.pow(z, 0), np.ones(4, dtype=np.complex128))


def test_parts_are_views_sharing_storage():
    z = ember.tensor([1 + 2j, 3 + 4j])
    z.real[0] = 10.0
    z.imag.mul_(-1)
    assert z.tolist() == [10 - 2j, 3 - 4j]
    r = ember.view_as_real(z)
    assert r.shape == (2, 2) and r.stride() == (2, 1) and r.dtype == ember.float32
    r[1, 1] = 9.0
    assert z[1].item() == 3 + 9j
    c = ember.view_as_complex(r)
    assert c.data_ptr() == z.data_ptr() and c.tolist() == z.tolist()
    z.imag = ember.tensor([5.0, 6.0])
    assert z.tolist() == [10 + 5j, 3 + 6j]
    assert ember.view_as_real_copy(z).data_ptr() != z.data_ptr()


def test_view_as_complex_and_part_errors():
    with pytest.raises(RuntimeError, match="last dimension of size 2"):
        ember.view_as_complex(ember.ones(3))
    with pytest.raises(RuntimeError, match="stride 1"):
        ember.view_as_complex(ember.ones(2, 4).t())
    with pytest.raises(RuntimeError, match="one or more dimensions"):
        ember.view_as_complex(ember.tensor(1.0))
    with pytest.raises(NotImplementedError):
        ember.view_as_complex(ember.ones(3, 2, dtype=ember.int32))
    with pytest.raises(RuntimeError, match="only supported for complex"):
        ember.view_as_real(ember.ones(3))
    with pytest.raises(TypeError, match="non-complex"):
        ember.ones(2).imag
    x = ember.ones(2)
    assert ember.real(x) is x


def test_ops_without_complex_meaning_raise():
    z = ember.tensor([1 + 2j, 3 - 4j])
    # PyTorch's exception types: NotImplementedError from the kernel dispatch, TypeError where
    # it checks the dtype up front (sort, argmax, maximum)
    for f in (lambda: ember.max(z), lambda: z < z, lambda: ember.floor(z), lambda: ember.remainder(z, 2),
              lambda: ember.clamp(z, 0, 1), lambda: ember.atan2(z, z)):
        with pytest.raises(NotImplementedError):
            f()
    for f in (lambda: ember.sort(z), lambda: ember.argmax(z), lambda: ember.maximum(z, z), lambda: z.topk(1)):
        with pytest.raises(TypeError):
            f()
    with pytest.raises(NotImplementedError):
        ember.complex(ember.ones(2, dtype=ember.int64), ember.ones(2, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="Expected object of scalar type Float"):
        ember.complex(ember.ones(2), ember.ones(2, dtype=ember.float64))
    assert z.tolist() == [1 + 2j, 3 - 4j]  # untouched
    assert (z == z).all() and not (z != z).any() and ember.isfinite(z).all()
    assert ember.isnan(ember.tensor([complex(0, float("nan"))])).item()


def test_complex_and_polar():
    re, im = ember.tensor([1.0, -2.0]), ember.tensor([0.5, 3.0])
    close(ember.complex(re, im), np.array([1 + 0.5j, -2 + 3j], dtype=np.complex64))
    r, th = ember.tensor([2.0, 1.0], dtype=ember.float64), ember.tensor([0.3, -2.0], dtype=ember.float64)
    close(ember.polar(r, th), np.array([cmath.rect(2, 0.3), cmath.rect(1, -2.0)]))
    close(ember.complex(ember.ones(2, 1), ember.zeros(3)), np.ones((2, 3), dtype=np.complex64))


# ---- reductions and products
@settings(max_examples=30, deadline=None)
@given(strided_pair(dtypes=COMPLEX, min_dims=1, max_dims=3))
def test_reductions(pair):
    t, a = pair
    close(t.sum(), np.asarray(a.sum(), dtype=a.dtype))
    close(t.sum(-1), a.sum(-1).astype(a.dtype))
    if a.size:
        close(t.mean(), np.asarray(a.mean(), dtype=a.dtype))
        close(t.prod(-1), np.prod(a, -1).astype(a.dtype))


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_matmul_family(dtype):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((3, 4, 5)) + 1j * rng.standard_normal((3, 4, 5))).astype(dtype)
    b = (rng.standard_normal((3, 5, 2)) + 1j * rng.standard_normal((3, 5, 2))).astype(dtype)
    ta, tb = ember.from_numpy(a), ember.from_numpy(b)
    close(ta @ tb, a @ b)
    close(ember.bmm(ta, tb), a @ b)
    close(ta[0] @ tb[0], a[0] @ b[0])
    close(ta[0].mT @ ta[0], a[0].T @ a[0])  # transposed operand
    close(ember.mv(ta[0], tb[0, :, 0]), a[0] @ b[0, :, 0])
    close(ember.dot(tb[0, :, 0], tb[0, :, 1]), np.asarray(b[0, :, 0] @ b[0, :, 1]))
    close(ta[0].mH, a[0].conj().T)


# ---- autograd
def c128(*shape, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return ember.from_numpy(z).requires_grad_()


@pytest.mark.parametrize("fn", [
    lambda z, w: z * w, lambda z, w: z / w, lambda z, w: z + w * 2, lambda z, w: z - w,
    lambda z, w: z ** 2 * w, lambda z, w: (z * 1j).exp() + w.log(), lambda z, w: z.sqrt() * w.sin(),
    lambda z, w: z.tanh() / w.cosh(), lambda z, w: z.reciprocal() + w.sigmoid(), lambda z, w: z.abs() * w,
    lambda z, w: ember.angle(z) + w.real, lambda z, w: ember.sgn(z) * w.conj(), lambda z, w: ember.view_as_real(z * w),
    lambda z, w: (z @ w.mT).sum(-1), lambda z, w: z.sum() * w.mean(), lambda z, w: z.prod(-1) * w[:, 0],
    lambda z, w: z.imag * w.real, lambda z, w: ember.pow(z, w), lambda z, w: z.asin() * w.atanh(),
    lambda z, w: z.acosh() + w.asinh() * w.atan(), lambda z, w: ember.linalg.vector_norm(z) * w,
], ids=lambda f: f.__code__.co_firstlineno)
def test_gradcheck_complex(fn):
    assert gradcheck(fn, (c128(2, 3, seed=1), c128(2, 3, seed=2)), eps=1e-6, atol=1e-6)


def test_gradcheck_real_inputs_of_complex_results():
    x = ember.tensor([0.7, -1.2, 2.0], dtype=ember.float64, requires_grad=True)
    y = ember.tensor([0.4, 0.9, -0.3], dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda a, b: ember.complex(a, b) ** 2, (x, y))
    assert gradcheck(lambda a, b: ember.polar(a.abs() + 0.5, b), (x, y))
    assert gradcheck(lambda a, b: (a * (1 + 2j)).abs() + b, (x, y))
    r = ember.tensor([[1.0, 2.0], [3.0, -4.0]], dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda a: ember.view_as_complex(a).exp(), (r,))


def test_gradient_convention_matches_pytorch():
    # L = |z|^2 = z conj(z): PyTorch's gradient is 2z (∂L/∂x + i ∂L/∂y)
    z = ember.tensor([1 + 2j, -3 + 0.5j], requires_grad=True)
    (z * z.conj()).real.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 2 * np.array([1 + 2j, -3 + 0.5j]), rtol=1e-6)
    # a real parameter inside a complex computation gets a real gradient
    w = ember.tensor([2.0], requires_grad=True)
    ((w * (1 + 1j)).abs() ** 2).sum().backward()
    assert w.grad.dtype == ember.float32
    np.testing.assert_allclose(w.grad.numpy(), [8.0], rtol=1e-6)


def test_requires_grad_allowed_on_complex():
    z = ember.zeros(2, dtype=ember.complex64, requires_grad=True)
    assert z.requires_grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linalg_eig_is_complex(dtype):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((2, 4, 4)).astype(dtype)
    w, v = ember.linalg.eig(ember.from_numpy(a))
    assert w.dtype == (ember.complex64 if dtype == np.float32 else ember.complex128)
    wn, vn = w.numpy(), v.numpy()
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(a.astype(vn.dtype) @ vn, vn * wn[:, None, :], rtol=tol, atol=tol)  # A V = V diag(w)
    np.testing.assert_allclose(np.sort_complex(ember.linalg.eigvals(ember.from_numpy(a)).numpy()),
                               np.sort_complex(np.linalg.eigvals(a)), rtol=tol, atol=tol)
    assert ember.linalg.eig(ember.from_numpy(a)).eigenvalues.shape == (2, 4)


def test_scans_statistics_and_closeness():
    rng = np.random.default_rng(7)
    a = (rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))).astype(np.complex128)
    t = ember.from_numpy(a)
    close(t.cumsum(1), np.cumsum(a, 1))
    close(t.cumprod(0), np.cumprod(a, 0))
    np.testing.assert_allclose(t.var().item(), np.var(a, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(t.std(1).numpy(), np.std(a, 1, ddof=1), rtol=1e-12)
    assert t.var().dtype == ember.float64
    assert not ember.isclose(t, t.conj()).any() and ember.isclose(t, t + 1e-12).all()
    assert ember.allclose(t, t * (1 + 1e-9)) and not ember.allclose(t, t * 1j)
    nan = ember.tensor([complex(float("nan"), 1)])
    assert not ember.isclose(nan, nan).item() and ember.isclose(nan, nan, equal_nan=True).item()
    z = c128(2, 3)
    assert gradcheck(lambda v: v.cumsum(1) * v.cumprod(0), (z,))
    assert gradcheck(lambda v: v.var(1) + v.std(), (z,))


def test_complex_ranges():
    close(ember.linspace(0, 1 + 1j, 3), np.linspace(0, 1 + 1j, 3).astype(np.complex64))
    assert ember.linspace(0, 1, 3, dtype=ember.cfloat).dtype == ember.complex64
    close(ember.logspace(0, 1j, 2), (10 ** np.linspace(0, 1j, 2)).astype(np.complex64))
    r = ember.randn(20000, dtype=ember.cfloat)
    assert r.dtype == ember.complex64 and abs(r.real.var().item() - 0.5) < 0.05 and abs(r.imag.var().item() - 0.5) < 0.05
    u = ember.rand(1000, dtype=ember.cdouble)
    assert 0 <= u.real.min().item() and u.imag.max().item() < 1


def test_backward_of_complex_scalar_needs_a_gradient():
    z = c128(3)
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        z.sum().backward()
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        ember.autograd.grad(z.sum(), [z])
    z.sum().backward(ember.tensor(1 + 0j, dtype=ember.complex128))
    np.testing.assert_allclose(z.grad.numpy(), np.ones(3))


SPECIAL = [complex(x, y) for x in (0.0, -0.0, 1.5, -2.0, float("inf"), -float("inf"), float("nan"))
           for y in (0.0, -0.0, 0.5, -3.0, float("inf"), -float("inf"), float("nan"))]


@pytest.mark.parametrize("name,ref", [("exp", np.exp), ("sinh", np.sinh), ("cosh", np.cosh), ("tanh", np.tanh),
                                      ("sin", np.sin), ("cos", np.cos), ("tan", np.tan), ("log", np.log),
                                      ("sqrt", np.sqrt), ("asinh", np.arcsinh), ("acosh", np.arccosh),
                                      ("atanh", np.arctanh), ("asin", np.arcsin), ("acos", np.arccos),
                                      ("atan", np.arctan)])
def test_special_values_follow_c99(name, ref):
    """Infinities, NaNs and signed zeros as C99 Annex G (and NumPy) give them: where NumPy's
    result is finite, the values match; where it is infinite or NaN, so is ours, part by part."""
    w = np.array(SPECIAL, dtype=np.complex128)
    with np.errstate(all="ignore"):
        want = ref(w)
    got = getattr(ember, name)(ember.from_numpy(w.copy())).numpy()
    for part in ("real", "imag"):
        g, e = getattr(got, part), getattr(want, part)
        fin = np.isfinite(e)
        np.testing.assert_allclose(g[fin], e[fin], rtol=1e-12, atol=1e-15, err_msg=f"{name} {part} {w[fin]}")
        assert np.array_equal(np.isnan(g), np.isnan(e)), (name, part, w[np.isnan(g) != np.isnan(e)])
        inf = np.isinf(e)
        assert np.array_equal(np.isinf(g), inf), (name, part, w[np.isinf(g) != inf])


@pytest.mark.skipif(not ember.wgpu.is_available(), reason="no wgpu adapter (lavapipe) on this machine")
def test_wgpu_refuses_complex_with_the_dtype_error():
    with pytest.raises(TypeError, match="complex64 is not supported on the wgpu device"):
        ember.ones(2, dtype=ember.complex64).to("wgpu")
    with pytest.raises(TypeError, match="not supported on the wgpu device"):
        ember.ones(2, device="wgpu") * 1j


@pytest.mark.parametrize("dtype", [ember.complex64, ember.complex128])
def test_matmul_empty_inner_dim_gives_zeros(dtype):
    # k = 0: an empty sum, so zeros (or beta·input); the zero read must be a whole complex element
    for _ in range(20):
        out = ember.ones(2, 3, 0, dtype=dtype) @ ember.ones(2, 0, 4, dtype=dtype)
        assert out.tolist() == [[[0j] * 4] * 3] * 2
    c = ember.full((3, 4), 1 + 2j, dtype=dtype)
    got = ember.addmm(c, ember.ones(3, 0, dtype=dtype), ember.ones(0, 4, dtype=dtype), beta=2j)
    assert got.tolist() == [[(1 + 2j) * 2j] * 4] * 3
    got = ember.addmm(c, ember.ones(3, 1, dtype=dtype), ember.ones(1, 4, dtype=dtype), beta=2j, alpha=1j)
    assert got.tolist() == [[(1 + 2j) * 2j + 1j] * 4] * 3  # complex beta/alpha with zero real part

"""Composed torch/Tensor ops (ember._ops_math, _ops_build, _ops_misc, _random_fill) against
NumPy on strided inputs, with gradcheck for the differentiable ones."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from ember.autograd import gradcheck
from strategies import strided_pair, assert_close, np_of, to_ember

F64 = ember.float64


def g64(a, requires_grad=True):
    return ember.tensor(np.asarray(a, dtype=np.float64).tolist(), dtype=F64, requires_grad=requires_grad)


# ---- elementwise ----
@given(strided_pair(), strided_pair())
def test_logaddexp_and_logaddexp2(p, q):
    (t, a), (u, b) = p, q
    if a.shape != b.shape:
        u, b = t.flip(list(range(t.ndim))) if t.ndim else t, np.flip(a) if a.ndim else a
    assert_close(ember.logaddexp(t, u), np.logaddexp(a, b), rtol=1e-5, atol=1e-5)
    assert_close(t.logaddexp2(u), np.logaddexp2(a, b), rtol=1e-5, atol=1e-5)


def test_logaddexp_extremes_and_grad():
    inf = math.inf
    r = ember.logaddexp(ember.tensor([inf, -inf, -1000.0, 1000.0]), ember.tensor([inf, -inf, -1000.0, 1.0]))
    np.testing.assert_allclose(np_of(r), np.logaddexp([inf, -inf, -1000.0, 1000.0], [inf, -inf, -1000.0, 1.0]))
    assert gradcheck(ember.logaddexp, (g64([0.3, -2.0]), g64([1.0, 0.5])))
    assert gradcheck(ember.logaddexp2, (g64([0.3, -2.0]), g64([1.0, 0.5])))


@given(strided_pair(dtypes=["int32", "int64", "int16"]), st.integers(-30, 30))
def test_gcd_lcm(p, k):
    t, a = p
    b = np.full(a.shape, k, dtype=a.dtype)
    u = to_ember(b.copy())
    assert_close(ember.gcd(t, u), np.gcd(a, b))
    assert_close(t.lcm(u), np.lcm(a, b))


def test_gcd_rejects_floats_and_inplace():
    with pytest.raises(RuntimeError, match="gcd"):
        ember.gcd(ember.tensor([1.0]), ember.tensor([2.0]))
    x = ember.tensor([12, 18])
    x.gcd_(ember.tensor([8, 12]))
    assert x.tolist() == [4, 6]


@given(strided_pair())
def test_heaviside_sinc_deg2rad(p):
    t, a = p
    vals = to_ember(np.array([0.5], dtype=a.dtype))
    assert_close(ember.heaviside(t, vals), np.heaviside(a, np.array([0.5], dtype=a.dtype)))
    assert_close(ember.sinc(t), np.sinc(a), rtol=1e-5, atol=1e-6)
    assert_close(t.deg2rad(), np.deg2rad(a))
    assert_close(ember.rad2deg(t), np.rad2deg(a), rtol=1e-5, atol=1e-4)


def test_heaviside_dtype_mismatch():
    with pytest.raises(RuntimeError, match="different dtypes"):
        ember.heaviside(ember.tensor([1.0]), ember.tensor([1]))


@given(strided_pair(dtypes=["float32", "float64"]))
def test_frexp_ldexp(p):
    t, a = p
    m, e = ember.frexp(t)
    nm, ne = np.frexp(a)
    assert_close(m, nm)
    assert e.dtype == ember.int32
    np.testing.assert_array_equal(np_of(e), ne)
    assert_close(ember.ldexp(m, e), a)


def test_frexp_specials_and_int_error():
    m, e = ember.frexp(ember.tensor([0.0, math.inf, -math.inf, 1e-40]))
    nm, ne = np.frexp(np.array([0.0, np.inf, -np.inf, 1e-40], dtype=np.float32))
    np.testing.assert_array_equal(np_of(m), nm)
    np.testing.assert_array_equal(np_of(e), ne)
    with pytest.raises(RuntimeError, match="floating"):
        ember.frexp(ember.tensor([1]))


@given(strided_pair(dtypes=["float32", "float64"]), st.sampled_from([-1.0, 0.0, 2.0, math.inf]))
def test_nextafter(p, toward):
    t, a = p
    b = np.full(a.shape, toward, dtype=a.dtype)
    assert_close(ember.nextafter(t, to_ember(b.copy())), np.nextafter(a, b), rtol=0, atol=0)


# ---- statistics and order ----
@given(strided_pair(min_dims=1), st.integers(0, 3))
def test_diff(p, n):
    t, a = p
    assert_close(ember.diff(t, n=n, dim=-1), np.diff(a, n=n, axis=-1))
    if a.ndim > 1:
        pre = np.ones((1,) + a.shape[1:], dtype=a.dtype)
        assert_close(t.diff(dim=0, prepend=to_ember(pre)), np.diff(a, axis=0, prepend=pre))


def test_diff_grad_and_bool():
    assert gradcheck(lambda x: ember.diff(x, n=2, dim=1), (g64(np.random.default_rng(0).random((2, 5))),))
    assert ember.diff(ember.tensor([True, True, False])).tolist() == [False, True]


@given(strided_pair(min_dims=1, dtypes=["float64"]), st.data())
def test_kthvalue(p, data):
    t, a = p
    if a.shape[-1] == 0:
        return
    k = data.draw(st.integers(1, a.shape[-1]))
    v, i = ember.kthvalue(t, k, -1, keepdim=True)
    assert_close(v, np.sort(a, -1)[..., k - 1:k])
    np.testing.assert_array_equal(np.take_along_axis(a, np_of(i), -1), np_of(v))


def test_kthvalue_error_and_grad():
    with pytest.raises(RuntimeError, match="out of range"):
        ember.kthvalue(ember.tensor([1.0, 2.0]), 3)
    assert gradcheck(lambda x: ember.kthvalue(x, 2, 1).values, (g64([[3.0, 1.0, 2.0], [0.5, 4.0, 6.0]]),))


@given(strided_pair(min_dims=1, dtypes=["float32", "float64"]),
       st.sampled_from(["linear", "lower", "higher", "midpoint", "nearest"]), st.booleans())
def test_quantile(p, method, keepdim):
    t, a = p
    if a.size == 0 or a.shape[0] == 0:
        return
    q = [0.0, 0.3, 0.5, 1.0]
    got = ember.quantile(t, ember.tensor(q, dtype=t.dtype), dim=0, keepdim=keepdim, interpolation=method)
    assert_close(got, np.quantile(a, q, axis=0, keepdims=keepdim, method=method).astype(a.dtype), rtol=1e-4, atol=1e-5)
    assert_close(ember.quantile(t, 0.25), np.quantile(a, 0.25).astype(a.dtype), rtol=1e-4, atol=1e-5)


def test_quantile_nan_and_errors():
    x = ember.tensor([[1.0, math.nan, 3.0], [1.0, 2.0, 3.0]])
    assert_close(ember.quantile(x, 0.5, dim=1), np.quantile(np_of(x), 0.5, axis=1).astype(np.float32))
    assert_close(ember.nanquantile(x, 0.5, dim=1), np.nanquantile(np_of(x), 0.5, axis=1).astype(np.float32))
    with pytest.raises(RuntimeError, match="float or double"):
        ember.quantile(ember.tensor([1, 2]), 0.5)
    with pytest.raises(RuntimeError, match=r"range \[0, 1\]"):
        ember.quantile(ember.tensor([1.0]), 1.5)
    assert gradcheck(lambda x: ember.quantile(x, 0.3), (g64([3.0, 1.0, 2.0, 7.0]),))


@given(strided_pair(min_dims=2, max_dims=2, dtypes=["float64"]))
def test_cov_corrcoef(p):
    t, a = p
    if a.shape[1] < 2:
        return
    assert_close(ember.cov(t), np.cov(a))
    assert_close(ember.cov(t, correction=0), np.cov(a, bias=True))
    if a.shape[0] and np.all(np.std(a, axis=1) > 1e-6):
        assert_close(ember.corrcoef(t), np.corrcoef(a))


def test_cov_weights_and_errors():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 6))
    fw, aw = np.array([1, 2, 1, 3, 1, 1]), rng.random(6)
    got = ember.cov(ember.tensor(a), fweights=ember.tensor(fw), aweights=ember.tensor(aw))
    np.testing.assert_allclose(np_of(got), np.cov(a, fweights=fw, aweights=aw), rtol=1e-10)
    with pytest.raises(RuntimeError, match="integral"):
        ember.cov(ember.tensor(a), fweights=ember.tensor(aw))
    with pytest.raises(RuntimeError, match="two or fewer"):
        ember.cov(ember.zeros(2, 2, 2))
    assert gradcheck(ember.cov, (g64(a),))


@given(strided_pair(min_dims=1, dtypes=["float64"]))
def test_cross(p):
    t, a = p
    if a.shape[-1] != 3:
        a = np.random.default_rng(0).standard_normal(a.shape[:-1] + (3,))
        t = to_ember(a)
    b = np.flip(a, -1).copy()
    assert_close(ember.cross(t, to_ember(b), dim=-1), np.cross(a, b))


def test_cross_errors_and_grad():
    with pytest.raises(RuntimeError, match="length 3"):
        ember.cross(ember.zeros(2, 4), ember.zeros(2, 4), dim=1)
    assert gradcheck(lambda a, b: ember.cross(a, b, dim=1), (g64(np.eye(3)[:2]), g64(np.ones((2, 3)))))


@given(strided_pair(min_dims=1, dtypes=["float64"]))
def test_logcumsumexp_trapezoid(p):
    t, a = p
    assert_close(ember.logcumsumexp(t, 0), np.logaddexp.accumulate(a, axis=0) if a.shape[0] else a)
    assert_close(ember.trapezoid(t, dim=-1), np.trapezoid(a, axis=-1))
    assert_close(ember.trapezoid(t, dx=0.5, dim=0), np.trapezoid(a, dx=0.5, axis=0))


def test_cumulative_trapezoid_and_x():
    y = np.array([[1.0, 2.0, 4.0], [0.0, 1.0, -1.0]])
    x = np.array([0.0, 1.0, 3.0])
    got = ember.trapezoid(ember.tensor(y), ember.tensor(x))
    np.testing.assert_allclose(np_of(got), np.trapezoid(y, x))
    cum = ember.cumulative_trapezoid(ember.tensor(y), ember.tensor(x))
    np.testing.assert_allclose(np_of(cum), [np.cumsum([(1 + 2) / 2 * 1, (2 + 4) / 2 * 2]), [0.5, 0.5]])


def test_dist_renorm():
    a, b = np.array([[1.0, 2.0], [3.0, -4.0]]), np.array([0.5, 0.0])
    for p in (1, 2, 3.5, math.inf):
        np.testing.assert_allclose(ember.dist(ember.tensor(a), ember.tensor(b), p).item(),
                                   np.linalg.norm((a - b).ravel(), p), rtol=1e-6)
    x = ember.tensor(a)
    r = ember.renorm(x, 2, 0, 3.0)
    norms = np.linalg.norm(a, axis=1)
    want = a * np.where(norms > 3.0, 3.0 / (norms + 1e-7), 1.0)[:, None]
    np.testing.assert_allclose(np_of(r), want, rtol=1e-6)
    assert gradcheck(lambda t: ember.renorm(t, 2, 0, 3.0), (g64(a),))


def test_histogram():
    a = np.random.default_rng(3).standard_normal(50)
    h, e = ember.histogram(ember.tensor(a), bins=7)
    nh, ne = np.histogram(a, bins=7)
    np.testing.assert_allclose(np_of(h), nh)
    np.testing.assert_allclose(np_of(e), ne, rtol=1e-12)
    w = np.abs(a)
    h, e = ember.histogram(ember.tensor(a), bins=ember.tensor([-1.0, 0.0, 0.5, 2.0]), weight=ember.tensor(w),
                           density=True)
    nh, _ = np.histogram(a, bins=[-1.0, 0.0, 0.5, 2.0], weights=w, density=True)
    np.testing.assert_allclose(np_of(h), nh, rtol=1e-12)


# ---- builders ----
SYMMETRIC = {"hann_window": np.hanning, "hamming_window": np.hamming, "blackman_window": np.blackman,
             "bartlett_window": np.bartlett, "kaiser_window": lambda m: np.kaiser(m, 12.0)}


@pytest.mark.parametrize("name", sorted(SYMMETRIC))
@pytest.mark.parametrize("n", [0, 1, 2, 5, 8])
def test_windows(name, n):
    """Periodic windows are the symmetric window of length n + 1 without its last point."""
    fn, sym = getattr(ember, name), SYMMETRIC[name]
    want = np.ones(1) if n == 1 else sym(n + 1)[:-1] if n else np.zeros(0)
    np.testing.assert_allclose(np_of(fn(n, dtype=F64)), want, atol=1e-12)
    if n > 1:
        np.testing.assert_allclose(np_of(fn(n, periodic=False, dtype=F64)), sym(n), atol=1e-12)
    assert fn(3).dtype == ember.float32
    with pytest.raises(RuntimeError, match="floating point"):
        fn(3, dtype=ember.int64)


@pytest.mark.parametrize("row,col,off", [(3, 4, 0), (4, 3, 1), (3, 3, -1), (0, 3, 0), (5, 2, -10), (2, 5, 10)])
def test_tri_indices(row, col, off):
    np.testing.assert_array_equal(np_of(ember.tril_indices(row, col, off)).reshape(2, -1),
                                  np.array(np.tril_indices(row, off, col)).reshape(2, -1))
    np.testing.assert_array_equal(np_of(ember.triu_indices(row, col, off)).reshape(2, -1),
                                  np.array(np.triu_indices(row, off, col)).reshape(2, -1))


def test_cartesian_prod_combinations_block_diag():
    import itertools
    a, b = [1, 2, 3], [4, 5]
    assert ember.cartesian_prod(ember.tensor(a), ember.tensor(b)).tolist() == [list(v) for v in itertools.product(a, b)]
    for r in (0, 1, 2, 3):
        for rep in (False, True):
            gen = itertools.combinations_with_replacement if rep else itertools.combinations
            got = ember.combinations(ember.tensor(a), r, with_replacement=rep)
            assert got.reshape(-1).tolist() == [v for c in gen(a, r) for v in c]
    m = ember.block_diag(ember.tensor([[1, 2]]), ember.tensor(3.0), ember.tensor([4, 5]))
    assert m.dtype == ember.float32
    assert m.tolist() == [[1, 2, 0, 0, 0], [0, 0, 3, 0, 0], [0, 0, 0, 4, 5]]
    assert gradcheck(lambda x, y: ember.block_diag(x, y), (g64(np.ones((2, 2))), g64([1.0, 2.0])))


@given(strided_pair(min_dims=1, max_dims=1, dtypes=["float64", "int64"]), st.integers(0, 4), st.booleans())
def test_vander(p, n, inc):
    t, a = p
    assert_close(ember.vander(t, n, inc), np.vander(a, n, inc), rtol=1e-9)


def test_unravel_index_and_isin():
    idx = np.array([[0, 5], [17, 23]])
    got = ember.unravel_index(ember.tensor(idx), (2, 3, 4))
    for g, w in zip(got, np.unravel_index(idx, (2, 3, 4))):
        np.testing.assert_array_equal(np_of(g), w)
    with pytest.raises(TypeError, match="integer dtype"):
        ember.unravel_index(ember.tensor([1.0]), (2,))
    with pytest.raises(ValueError, match="negative"):
        ember.unravel_index(ember.tensor([1]), (2, -1))
    e = np.array([[1, 5, 2], [7, 2, 9]])
    te = np.array([2, 9, 11])
    for inv in (False, True):
        np.testing.assert_array_equal(np_of(ember.isin(ember.tensor(e), ember.tensor(te), invert=inv)),
                                      np.isin(e, te, invert=inv))
    assert ember.isin(3, ember.tensor([1, 3])).item() is True
    assert ember.isin(ember.tensor([1.5, 2.0]), 2).tolist() == [False, True]


def test_scatter_family():
    x = ember.zeros(3, 4, dtype=F64)
    src = ember.ones(3, 2, dtype=F64)
    want = np.zeros((3, 4))
    want[:, 1:4:2] = 1
    np.testing.assert_array_equal(np_of(ember.slice_scatter(x, src, 1, 1, 4, 2)), want)
    d = ember.diagonal_scatter(ember.zeros(3, 3), ember.tensor([1.0, 2.0]), 1)
    np.testing.assert_array_equal(np_of(d), np.diag([1.0, 2.0], 1))
    s = ember.select_scatter(ember.zeros(2, 2), ember.tensor([1.0, 2.0]), 1, 0)
    assert s.tolist() == [[1.0, 0.0], [2.0, 0.0]]
    with pytest.raises(RuntimeError, match="src"):
        ember.select_scatter(ember.zeros(2, 2), ember.ones(3), 0, 0)
    assert gradcheck(lambda a, b: ember.slice_scatter(a, b, 1, 1, 4, 2), (g64(np.zeros((3, 4))), g64(np.ones((3, 2)))))


# ---- misc Tensor methods ----
def test_put_index_reduce_fill_diagonal_ravel():
    a = np.arange(6.0).reshape(2, 3)
    x = ember.tensor(a)
    np.put(b := a.copy(), [0, 4], [9.0, 8.0])
    np.testing.assert_array_equal(np_of(x.put(ember.tensor([0, 4]), ember.tensor([9.0, 8.0]))), b)
    acc = x.clone().put_(ember.tensor([1, 1]), ember.tensor([1.0, 2.0]), accumulate=True)
    assert acc.tolist()[0][1] == 4.0
    with pytest.raises(IndexError):
        x.clone().put_(ember.tensor([6]), ember.tensor([1.0]))
    r = x.index_reduce(0, ember.tensor([0, 0, 1]), ember.tensor([[2.0] * 3, [3.0] * 3, [4.0] * 3]), "amax",
                       include_self=False)
    assert r.tolist() == [[3.0, 3.0, 3.0], [4.0, 4.0, 4.0]]
    z = ember.zeros(5, 2)
    z.fill_diagonal_(7.0, wrap=True)
    zz = np.zeros((5, 2))
    np.fill_diagonal(zz, 7.0, wrap=True)
    np.testing.assert_array_equal(np_of(z), zz)
    t = x.t()
    assert t.ravel().tolist() == a.T.ravel().tolist()
    assert x.sum_to_size(1, 3).tolist() == [a.sum(0).tolist()]
    assert ember.is_nonzero(ember.tensor([1])) and not ember.tensor(0.0).is_nonzero()
    with pytest.raises(RuntimeError, match="more than one value"):
        ember.is_nonzero(ember.tensor([1, 2]))


def test_flags_and_constants():
    assert ember.pi == math.pi and ember.e == math.e and math.isinf(ember.inf) and math.isnan(ember.nan)
    assert not ember.are_deterministic_algorithms_enabled()
    ember.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert ember.are_deterministic_algorithms_enabled() and ember.is_deterministic_algorithms_warn_only_enabled()
        assert ember.get_deterministic_debug_mode() == 1
        ember.set_deterministic_debug_mode("error")
        assert ember.get_deterministic_debug_mode() == 2
    finally:
        ember.set_deterministic_debug_mode(0)
    assert not ember.are_deterministic_algorithms_enabled()
    with pytest.raises(RuntimeError):
        ember.set_deterministic_debug_mode("loud")
    assert ember.get_float32_matmul_precision() == "highest"


def test_copy_variants_own_their_memory():
    x = ember.arange(6.0).reshape(2, 3)
    y = ember.transpose_copy(x, 0, 1)
    assert y.is_contiguous() and y.tolist() == x.t().tolist()
    y[0, 0] = 100.0
    assert x[0, 0].item() == 0.0
    assert [p.tolist() for p in ember.split_copy(x, 1, 1)] == [p.tolist() for p in x.split(1, 1)]
    assert ember.narrow_copy(x, 1, 1, 2).tolist() == [[1.0, 2.0], [4.0, 5.0]]


# ---- random fills ----
def test_random_fills_distributions():
    ember.manual_seed(0)
    n = 20000
    u = ember.empty(n, dtype=F64).uniform_(-2, 3)
    a = np_of(u)
    assert a.min() >= -2 and a.max() < 3 and abs(a.mean() - 0.5) < 0.05
    nrm = np_of(ember.empty(n, dtype=F64).normal_(1.0, 2.0))
    assert abs(nrm.mean() - 1.0) < 0.06 and abs(nrm.std() - 2.0) < 0.06
    ex = np_of(ember.empty(n, dtype=F64).exponential_(2.0))
    assert ex.min() >= 0 and abs(ex.mean() - 0.5) < 0.02
    ge = np_of(ember.empty(n, dtype=F64).geometric_(0.25))
    assert ge.min() >= 1 and np.all(ge == np.round(ge)) and abs(ge.mean() - 4.0) < 0.15
    ln = np_of(ember.empty(n, dtype=F64).log_normal_(0.0, 0.5))
    assert abs(np.log(ln).mean()) < 0.02 and abs(np.log(ln).std() - 0.5) < 0.02
    ca = np_of(ember.empty(n, dtype=F64).cauchy_(1.0, 2.0))
    assert abs(np.median(ca) - 1.0) < 0.1
    b = np_of(ember.empty(n).bernoulli_(0.3))
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.02
    r = np_of(ember.empty(n, dtype=ember.int64).random_(3, 7))
    assert set(np.unique(r)) == {3, 4, 5, 6}
    r8 = np_of(ember.empty(1000, dtype=ember.uint8).random_())
    assert r8.max() <= 255 and len(np.unique(r8)) > 200


def test_random_fill_generator_reproducible_and_errors():
    g = ember.Generator().manual_seed(5)
    a = ember.empty(4).normal_(generator=g)
    g.manual_seed(5)
    assert ember.empty(4).normal_(generator=g).tolist() == a.tolist()
    with pytest.raises(RuntimeError, match="std"):
        ember.empty(2).normal_(0, -1)
    with pytest.raises(RuntimeError, match="from"):
        ember.empty(2).uniform_(3, 1)
    with pytest.raises(RuntimeError, match="lambda"):
        ember.empty(2).exponential_(0)
    with pytest.raises(RuntimeError, match="not implemented"):
        ember.empty(2, dtype=ember.int64).normal_()
    v = ember.zeros(4, 4)[:, 1]
    v.uniform_()
    assert v.shape == (4,)


def test_multinomial_and_poisson():
    ember.manual_seed(1)
    p = ember.tensor([0.1, 0.0, 0.6, 0.3], dtype=F64)
    draws = np_of(ember.multinomial(p, 20000, replacement=True))
    freq = np.bincount(draws, minlength=4) / 20000
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.6, 0.3], atol=0.02)
    wo = ember.multinomial(ember.tensor([[1.0, 2.0, 3.0, 0.0]]), 3)
    assert wo.shape == (1, 3) and sorted(wo[0].tolist()) == [0, 1, 2]
    with pytest.raises(RuntimeError, match="without replacement"):
        ember.multinomial(p, 5)
    with pytest.raises(RuntimeError, match="element < 0"):
        ember.multinomial(ember.tensor([-1.0, 2.0]), 1)
    with pytest.raises(RuntimeError, match="sum of probabilities"):
        ember.multinomial(ember.tensor([0.0, 0.0]), 1, True)
    lam = ember.tensor([0.5, 4.0, 40.0, 400.0], dtype=F64).expand(5000, 4).contiguous()
    s = np_of(ember.poisson(lam))
    assert np.all(s == np.round(s)) and s.min() >= 0
    np.testing.assert_allclose(s.mean(0), [0.5, 4.0, 40.0, 400.0], rtol=0.05)
    np.testing.assert_allclose(s.var(0), [0.5, 4.0, 40.0, 400.0], rtol=0.1)


def test_out_arguments_where_pytorch_has_them():
    a, b = ember.tensor([1.0, 2.0]), ember.tensor([0.0, 0.0])
    o = ember.empty(2)
    assert ember.logaddexp(a, b, out=o) is o and o.tolist() == ember.logaddexp(a, b).tolist()
    m, e = ember.empty(2), ember.empty(2, dtype=ember.int32)
    r = ember.frexp(ember.tensor([8.0, 3.0]), out=(m, e))
    assert r.mantissa is m and e.tolist() == [4, 2]
    v, i = ember.empty(()), ember.empty((), dtype=ember.int64)
    ember.kthvalue(ember.tensor([3.0, 1.0, 2.0]), 2, out=(v, i))
    assert (v.item(), i.item()) == (2.0, 2)
    with pytest.raises(TypeError):
        ember.cov(ember.zeros(2, 3), out=o)  # PyTorch's cov has no out=

"""Matrix products, einsum and their gradients, against NumPy on strided operands."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from ember.autograd import gradcheck, gradgradcheck
from strategies import INT, NP_DTYPES, assert_close, np_of, to_ember, values

FLOAT_TOL = {"float16": 2e-2, "float32": 1e-4, "float64": 1e-10}


def operand(shape, dtype, kind, rng):
    """(ember, numpy) with `shape`, built as a contiguous, transposed, stepped or expanded view."""
    shape = tuple(shape)
    if kind == "transposed" and len(shape) >= 2:
        base = values(shape[:-2] + (shape[-1], shape[-2]), dtype, rng)
        return to_ember(base).transpose(-1, -2), base.swapaxes(-1, -2)
    if kind == "step" and len(shape) >= 1:
        base = values(tuple(2 * s for s in shape), dtype, rng)
        sl = tuple(slice(None, None, 2) for _ in shape)
        return to_ember(base)[sl], base[sl]
    if kind == "expand" and len(shape) >= 1:
        base = values((1,) + shape[1:], dtype, rng)
        return to_ember(base).expand(*shape), np.broadcast_to(base, shape)
    a = values(shape, dtype, rng)
    return to_ember(a), a


def reference(fn, *arrays, dtype):
    """NumPy's answer, computed in float64 for float dtypes and in the dtype itself for ints."""
    if dtype in INT:
        return fn(*arrays)
    return fn(*[a.astype(np.float64) for a in arrays]).astype(NP_DTYPES[dtype])


def check(t, want, dtype):
    tol = FLOAT_TOL.get(dtype)
    if tol is None:
        assert_close(t, want)
    else:
        assert_close(t, want, rtol=tol, atol=tol)


kinds = st.sampled_from(["contiguous", "transposed", "step", "expand"])
side = st.integers(0, 5)


@st.composite
def matmul_shapes(draw):
    """Shapes of every matmul case: 1-D/2-D mixes, folded 3-D@2-D, broadcast batches."""
    m, k, n = draw(side), draw(side), draw(side)
    case = draw(st.sampled_from(["1x1", "2x1", "1x2", "2x2", "3x2", "3x1", "1x3", "2x4", "batched"]))
    batch_a = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    batch_b = tuple(1 if draw(st.booleans()) else s for s in batch_a)[draw(st.integers(0, len(batch_a))):]
    a = {"1": (k,), "2": (m, k), "3": batch_a + (m, k), "b": batch_a + (m, k)}
    b = {"1": (k,), "2": (k, n), "3": batch_a + (k, n), "4": (2,) + batch_a + (k, n)}
    if case == "batched":
        return batch_a + (m, k), batch_b + (k, n)
    return a[case[0]], b[case[2]]


@given(matmul_shapes(), st.sampled_from(["float32", "float64", "int64", "int32", "int8", "uint8", "int16", "float16"]),
       kinds, kinds, st.integers(0, 2**32 - 1))
def test_matmul_matches_numpy(shapes, dtype, ka, kb, seed):
    rng = np.random.default_rng(seed)
    (ta, na), (tb, nb) = operand(shapes[0], dtype, ka, rng), operand(shapes[1], dtype, kb, rng)
    want = reference(np.matmul, na, nb, dtype=dtype)
    got = ta @ tb
    check(got, want, dtype)
    check(ember.matmul(ta, tb), want, dtype)


@given(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6), st.integers(0, 4),
       st.sampled_from(["float32", "float64", "int64", "int8"]), kinds, kinds, st.integers(0, 2**32 - 1))
def test_mm_bmm_mv_dot(m, k, n, b, dtype, ka, kb, seed):
    rng = np.random.default_rng(seed)
    (x, nx), (y, ny) = operand((m, k), dtype, ka, rng), operand((k, n), dtype, kb, rng)
    check(x.mm(y), reference(np.matmul, nx, ny, dtype=dtype), dtype)
    (x3, nx3), (y3, ny3) = operand((b, m, k), dtype, ka, rng), operand((b, k, n), dtype, kb, rng)
    check(ember.bmm(x3, y3), reference(np.matmul, nx3, ny3, dtype=dtype), dtype)
    (v, nv) = operand((k,), dtype, kb, rng)
    check(x.mv(v), reference(np.matmul, nx, nv, dtype=dtype), dtype)
    (w, nw) = operand((k,), dtype, ka, rng)
    d = ember.dot(v, w)
    assert d.shape == () and d.dtype == getattr(ember, dtype)
    check(d, reference(np.dot, nv, nw, dtype=dtype), dtype)
    check(ember.vdot(v, w), reference(np.vdot, nv, nw, dtype=dtype), dtype)


def test_empty_inner_dim_gives_zeros():
    for dt in [ember.float32, ember.int64]:
        z = ember.ones(3, 0, dtype=dt) @ ember.ones(0, 4, dtype=dt)
        assert z.shape == (3, 4) and z.tolist() == [[0] * 4] * 3
    assert ember.dot(ember.ones(0), ember.ones(0)).item() == 0.0
    assert (ember.ones(2, 0, 3) @ ember.ones(3, 5)).shape == (2, 0, 5)
    r = ember.addmm(ember.full((2, 2), 3.0), ember.ones(2, 0), ember.ones(0, 2), beta=2)
    assert r.tolist() == [[6.0, 6.0], [6.0, 6.0]]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32"])
def test_addmm_family(dtype):
    rng = np.random.default_rng(1)
    beta, alpha = (2, 3) if dtype in INT else (0.5, -1.5)
    (i, ni), (a, na), (b, nb) = (operand(s, dtype, "transposed", rng) for s in [(4, 5), (4, 3), (3, 5)])
    check(ember.addmm(i, a, b, beta=beta, alpha=alpha), reference(lambda i, a, b: beta * i + alpha * (a @ b), ni, na, nb, dtype=dtype), dtype)
    (r, nr) = operand((5,), dtype, "step", rng)  # a row, broadcast over the result
    check(r.addmm(a, b, beta=beta, alpha=alpha), reference(lambda r, a, b: beta * r + alpha * (a @ b), nr, na, nb, dtype=dtype), dtype)
    (v, nv), (u, nu) = operand((3,), dtype, "step", rng), operand((4,), dtype, "contiguous", rng)
    check(ember.addmv(u, a, v, beta=beta, alpha=alpha), reference(lambda u, a, v: beta * u + alpha * (a @ v), nu, na, nv, dtype=dtype), dtype)
    check(ember.addr(i, u, r, beta=beta, alpha=alpha), reference(lambda i, u, r: beta * i + alpha * np.outer(u, r), ni, nu, nr, dtype=dtype), dtype)
    (b1, nb1), (b2, nb2), (ib, nib) = (operand(s, dtype, "transposed", rng) for s in [(2, 4, 3), (2, 3, 5), (2, 4, 5)])
    check(ember.baddbmm(ib, b1, b2, beta=beta, alpha=alpha), reference(lambda i, x, y: beta * i + alpha * (x @ y), nib, nb1, nb2, dtype=dtype), dtype)
    check(ember.addbmm(i, b1, b2, beta=beta, alpha=alpha),
          reference(lambda i, x, y: (beta * i + alpha * (x @ y).sum(0)).astype(i.dtype), ni, nb1, nb2, dtype=dtype), dtype)


def test_beta_zero_ignores_nan_and_inplace_forms():
    nan = ember.full((2, 2), float("nan"))
    a = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert ember.addmm(nan, a, a, beta=0).tolist() == [[7.0, 10.0], [15.0, 22.0]]
    assert ember.addmv(ember.full((2,), float("nan")), a, a[0], beta=0).tolist() == [5.0, 11.0]
    assert ember.baddbmm(nan.unsqueeze(0), a.unsqueeze(0), a.unsqueeze(0), beta=0).tolist() == [[[7.0, 10.0], [15.0, 22.0]]]
    c = ember.ones(2, 2)
    assert c.addmm_(a, a, alpha=2) is c and c.tolist() == [[15.0, 21.0], [31.0, 45.0]]
    with pytest.raises(RuntimeError, match="argument beta must not be a floating point number"):
        ember.addmm(ember.ones(2, 2, dtype=ember.int64), a.long(), a.long(), beta=0.5)


def test_half_and_bfloat16():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 16)).astype(np.float32), rng.standard_normal((16, 4)).astype(np.float32)
    for dt in [ember.float16, ember.bfloat16]:
        r = to_ember(x).to(dt) @ to_ember(y).to(dt).t().contiguous().t()
        assert r.dtype == dt
        np.testing.assert_allclose(np_of(r.float()), x @ y, rtol=0.05, atol=0.15)


def test_threads_and_large_products():
    # sizes above the kernel's threading threshold (2**21 multiply-adds): split one product,
    # split a broadcast batch of small products, split integer tiles
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((96, 200)), rng.standard_normal((200, 130))
    xb, yb = rng.standard_normal((256, 20, 30)).astype(np.float32), rng.standard_normal((1, 30, 20)).astype(np.float32)
    xi, yi = rng.integers(-9, 9, (100, 300)), rng.integers(-9, 9, (300, 90))
    old = ember.get_num_threads()
    try:
        for n in [1, 2]:
            ember.set_num_threads(n)
            assert_close(to_ember(x).t().contiguous().t() @ to_ember(y), x @ y)
            assert_close(to_ember(xb) @ to_ember(yb), xb @ yb, rtol=1e-4, atol=1e-4)
            assert_close(to_ember(xi) @ to_ember(yi), xi @ yi)
    finally:
        ember.set_num_threads(old)


EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("ij->ji", [(3, 4)]),
    ("ii->i", [(4, 4)]), ("ii", [(4, 4)]), ("i,j->ij", [(3,), (4,)]), ("ij->", [(3, 4)]), ("ij->j", [(3, 4)]),
    ("i,i->", [(5,)] * 2), ("i,i->i", [(5,)] * 2), ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("iij->j", [(3, 3, 4)]), ("ij,ij->ij", [(3, 4)] * 2), ("ab,cd->abcd", [(2, 3), (4, 5)]), ("ijk", [(2, 3, 4)]),
    ("ji", [(2, 3)]), ("i...->...", [(2, 3, 4)]), ("ij,kj", [(3, 4), (5, 4)]), ("Ab,bC->AC", [(2, 3), (3, 4)]),
("bn,anm,bm->ba", [(2, 3), (5, 3, 4), (2, 4)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM)
@pytest.mark.parametrize("kind", ["contiguous", "transposed"])
def test_einsum_matches_numpy(eq, shapes, kind):
    rng = np.random.default_rng(5)
    ops = [operand(s, "float64", kind, rng) for s in shapes]
    want = np.einsum(eq, *[a for _, a in ops])
    assert_close(ember.einsum(eq, *[t for t, _ in ops]), want)
    assert_close(ember.einsum(eq, [t for t, _ in ops]), want)


def test_einsum_sublist_and_int():
    a = ember.arange(6).reshape(2, 3)
    b = ember.arange(12).reshape(3, 4)
    assert ember.einsum(a, [0, 1], b, [1, 2], [0, 2]).tolist() == (np.arange(6).reshape(2, 3) @ np.arange(12).reshape(3, 4)).tolist()
    assert ember.einsum("ij->i", a.int()).dtype == ember.int32


@pytest.mark.parametrize("eq,shapes,msg", [
    ("ij,jk->ik", [(2, 3)], "fewer operands"),
    ("ij->ik", [(2, 3)], "output subscript k does not appear"),
    ("ijk->ij", [(2, 3)], r"number of subscripts in the equation \(3\) does not match the number of dimensions \(2\)"),
    ("i1->i", [(2, 3)], "invalid subscript given at index 1"),
    ("ij,jk->ik", [(2, 3), (4, 5)], "subscript j has size 4 for operand 1"),
    ("ii->i", [(2, 3)], "subscript i is repeated for operand 0"),
    ("i.j->ij", [(2, 3)], "not part of any ellipsis"),
])
def test_einsum_errors(eq, shapes, msg):
    with pytest.raises(RuntimeError, match=msg):
        ember.einsum(eq, *[ember.ones(*s) for s in shapes])


def test_tensordot_inner_outer_kron():
    rng = np.random.default_rng(6)
    (a, na), (b, nb) = operand((2, 3, 4), "float64", "transposed", rng), operand((4, 3, 5), "float64", "step", rng)
    assert_close(ember.tensordot(a, b, dims=([1, 2], [1, 0])), np.tensordot(na, nb, axes=([1, 2], [1, 0])))
    (c, nc) = operand((3, 4, 5), "float64", "contiguous", rng)
    assert_close(ember.tensordot(a, c, dims=2), np.tensordot(na, nc, axes=2))
    assert_close(ember.tensordot(a, c, dims=0), np.tensordot(na, nc, axes=0))
    (d, nd) = operand((5, 4), "float64", "transposed", rng)
    assert_close(ember.inner(a, d), np.inner(na, nd))
    assert_close(ember.outer(a[0, 0], d[0]), np.outer(na[0, 0], nd[0]))
    assert_close(ember.ger(a[0, 0], d[0]), np.outer(na[0, 0], nd[0]))
    assert_close(ember.kron(a[0], d), np.kron(na[0], nd))
    assert_close(ember.kron(a, d), np.kron(na, nd))
    assert_close(ember.linalg.vecdot(a, a), (na * na).sum(-1))
    assert_close(ember.linalg.matmul(a, c[0]), na @ nc[0])
    assert_close(ember.linalg.multi_dot([a[0], c[0], d]), na[0] @ nc[0] @ nd)
    assert_close(ember.chain_matmul(a[0], c[0], d), na[0] @ nc[0] @ nd)


@pytest.mark.parametrize("fn,shapes,msg", [
    (lambda a, b: a.mm(b), [(2, 3), (4, 5)], r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (lambda a, b: a @ b, [(2, 2, 3), (4, 5)], r"mat1 and mat2 shapes cannot be multiplied \(4x3 and 4x5\)"),
    (lambda a, b: ember.dot(a, b), [(3,), (4,)],
     r"inconsistent tensor size, expected tensor \[3\] and src \[4\] to have the same number of elements, but got 3 and 4 elements respectively"),
    (lambda a, b: a @ b, [(3,), (4,)], r"inconsistent tensor size, expected tensor \[3\] and src \[4\]"),
    (lambda a, b: a.bmm(b), [(2, 2, 3), (2, 4, 5)],
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: \[2, 4\]\."),
    (lambda a, b: a @ b, [(), (2, 2)], "both arguments to matmul need to be at least 1D, but they are 0D and 2D"),
    (lambda a, b: a.mv(b), [(2, 3), (4,)], r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"),
    (lambda a, b: a.mm(b), [(2, 3, 1), (3, 2)], "self must be a matrix"),
    (lambda a, b: a.bmm(b), [(2, 3), (2, 3, 2)], "batch1 must be a 3D tensor"),
    (lambda a, b: a @ b, [(2, 2, 3), (3, 3, 2)], "The size of tensor a"),
    (lambda a, b: ember.addmm(ember.ones(3), a, b), [(2, 3), (3, 4)], r"The expanded size of the tensor \(4\) must match the existing size \(3\)"),
    (lambda a, b: ember._native.linear(a, b), [(2, 3), (5, 4)], r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
])
def test_error_messages(fn, shapes, msg):
    a, b = (ember.ones(*s) for s in shapes)
    with pytest.raises(RuntimeError, match=msg):
        fn(a, b)


def test_dtype_errors():
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: float != double"):
        ember.ones(2, 2) @ ember.ones(2, 2, dtype=ember.float64)
    with pytest.raises(RuntimeError, match="long int != float"):
        ember.ones(2, 2, dtype=ember.int64).mm(ember.ones(2, 2))
    with pytest.raises(RuntimeError, match="\"addmm_impl_cpu_\" not implemented for 'Bool'"):
        ember.ones(2, 2, dtype=ember.bool) @ ember.ones(2, 2, dtype=ember.bool)
    with pytest.raises(RuntimeError, match="dot : expected both vectors to have same dtype, but found Float and Double"):
        ember.dot(ember.ones(2), ember.ones(2, dtype=ember.float64))
    with pytest.raises(TypeError):
        ember.ones(2, 2) @ "x"


def test_grad_fn_names_and_linear():
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    w = ember.randn(5, 4, dtype=ember.float64, requires_grad=True)
    b = ember.randn(5, dtype=ember.float64, requires_grad=True)
    y = ember._native.linear(x, w, b)
    assert y.grad_fn.name() == "AddmmBackward0"
    assert_close(y.detach(), np_of(x.detach()) @ np_of(w.detach()).T + np_of(b.detach()))
    assert ember._native.linear(x, w).grad_fn.name() == "MmBackward0"
    x3 = ember.randn(2, 3, 4, dtype=ember.float64, requires_grad=True)
    y3 = ember._native.linear(x3, w, b)
    assert y3.shape == (2, 3, 5)
    assert_close(y3.detach(), np_of(x3.detach()) @ np_of(w.detach()).T + np_of(b.detach()))
    assert gradcheck(lambda x, w, b: ember._native.linear(x, w, b), (x3, w, b))
    assert gradcheck(lambda x, w: ember._native.linear(x, w), (x3[0, 0], w))
    names = {
        "BmmBackward0": lambda: x3.bmm(x3.transpose(1, 2)), "MvBackward0": lambda: x.mv(w[0]),
        "DotBackward0": lambda: ember.dot(b, b), "AddmvBackward0": lambda: ember.addmv(w[:, 0], w, x[0]),
        "BaddbmmBackward0": lambda: ember.baddbmm(x3[:, :, :3], x3, x3.transpose(1, 2)),
    }
    for name, f in names.items():
        assert f().grad_fn.name() == name


def _leaf(*shape, scale=1.0):
    return (ember.randn(*shape, dtype=ember.float64) * scale).requires_grad_()


@pytest.mark.parametrize("name,fn,shapes", [
    ("mm", lambda a, b: a.mm(b), [(3, 4), (4, 2)]),
    ("mm-transposed", lambda a, b: a.t().mm(b.t()), [(4, 3), (2, 4)]),
    ("bmm", lambda a, b: a.bmm(b), [(2, 3, 4), (2, 4, 2)]),
    ("matmul-broadcast", lambda a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)]),
    ("matmul-fold", lambda a, b: a @ b, [(2, 3, 4), (4, 2)]),
    ("matmul-1d-2d", lambda a, b: a @ b, [(4,), (4, 3)]),
    ("matmul-2d-batch", lambda a, b: a @ b, [(3, 4), (2, 4, 2)]),
    ("matmul-1d-batch", lambda a, b: a @ b, [(4,), (2, 4, 2)]),
    ("mv", lambda a, b: a.mv(b), [(3, 4), (4,)]),
    ("dot", lambda a, b: ember.dot(a, b), [(4,), (4,)]),
    ("addmm", lambda i, a, b: ember.addmm(i, a, b, beta=0.5, alpha=2.0), [(3,), (3, 4), (4, 3)]),
    ("addmv", lambda i, a, b: ember.addmv(i, a, b, beta=2, alpha=0.5), [(1,), (3, 4), (4,)]),
    ("baddbmm", lambda i, a, b: ember.baddbmm(i, a, b, alpha=-1), [(3, 2), (2, 3, 4), (2, 4, 2)]),
    ("addbmm", lambda i, a, b: ember.addbmm(i, a, b, beta=3), [(3, 2), (2, 3, 4), (2, 4, 2)]),
    ("addr", lambda i, a, b: ember.addr(i, a, b, alpha=2), [(3, 2), (3,), (2,)]),
    ("einsum", lambda a, b: ember.einsum("bij,jk->bki", a, b), [(2, 3, 4), (4, 2)]),
    ("einsum-trace", lambda a: ember.einsum("ii->", a), [(3, 3)]),
    ("tensordot", lambda a, b: ember.tensordot(a, b, dims=([0, 2], [1, 0])), [(2, 3, 4), (4, 2)]),
    ("kron", lambda a, b: ember.kron(a, b), [(2, 3), (2, 2)]),
])
def test_gradcheck_and_gradgradcheck(name, fn, shapes):
    ember.manual_seed(7)
    inputs = tuple(_leaf(*s) for s in shapes)
    assert gradcheck(fn, inputs)
    if name in {"mm", "mm-transposed", "bmm", "matmul-broadcast", "matmul-fold", "addmm", "mv", "dot", "baddbmm", "einsum"}:
        assert gradgradcheck(fn, inputs)


def test_backward_through_expanded_batch_sums():
    a = _leaf(3, 4)
    b = _leaf(5, 4, 2)
    (a @ b).sum().backward()
    want = np.ones((5, 3, 2)) @ np_of(b.detach()).swapaxes(1, 2)
    assert_close(a.grad, want.sum(0))
    assert math.isclose(float(a.grad.sum().item()), float(want.sum()), rel_tol=1e-9)

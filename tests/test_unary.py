"""Unary ops vs NumPy on strided inputs, dtype rules, and gradcheck of every formula."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import ember
from strategies import FLOAT, INT, assert_close, strided_pair

erf = np.vectorize(math.erf, otypes=[float])
sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731

# name, numpy reference, domain transform applied to the input first
FLOAT_OPS = [
    ("exp", np.exp, None), ("exp2", np.exp2, None), ("expm1", np.expm1, None),
    ("log", np.log, np.abs), ("log2", np.log2, np.abs), ("log10", np.log10, np.abs), ("log1p", np.log1p, np.abs),
    ("sqrt", np.sqrt, np.abs), ("rsqrt", lambda a: 1 / np.sqrt(a), lambda a: np.abs(a) + 0.5),
    ("reciprocal", lambda a: 1 / a, lambda a: np.abs(a) + 0.5),
    ("sin", np.sin, None), ("cos", np.cos, None), ("tan", np.tan, None),
    ("asin", np.arcsin, np.tanh), ("acos", np.arccos, np.tanh), ("atan", np.arctan, None),
    ("sinh", np.sinh, None), ("cosh", np.cosh, None), ("tanh", np.tanh, None),
    ("asinh", np.arcsinh, None), ("acosh", np.arccosh, lambda a: np.abs(a) + 1), ("atanh", np.arctanh, lambda a: np.tanh(a) * 0.9),
    ("sigmoid", sig, None), ("erf", erf, None), ("erfc", lambda a: 1 - erf(a), None),
    ("silu", lambda a: a * sig(a), None), ("frac", lambda a: a - np.trunc(a), None),
    ("floor", np.floor, None), ("ceil", np.ceil, None), ("trunc", np.trunc, None), ("round", np.round, lambda a: a * 4),
    ("neg", np.negative, None), ("abs", np.abs, None), ("sign", np.sign, None), ("square", np.square, None),
    ("relu", lambda a: np.maximum(a, 0), None), ("deg2rad", np.deg2rad, None), ("rad2deg", np.rad2deg, None),
]


@pytest.mark.parametrize("name,ref,dom", FLOAT_OPS, ids=[o[0] for o in FLOAT_OPS])
@given(data=st.data())
def test_float_unary_matches_numpy(name, ref, dom, data):
    t, a = data.draw(strided_pair(FLOAT))
    if dom is not None:
        a = dom(a).astype(a.dtype)
        t = ember.tensor(a.tolist(), dtype=t.dtype).reshape(a.shape) if a.ndim else ember.tensor(float(a), dtype=t.dtype)
    r = getattr(t, name)()
    expect = np.asarray(ref(a.astype(np.float64))).astype(a.dtype)
    assert_close(r, expect, rtol=1e-5 if a.dtype == np.float32 else 1e-9, atol=1e-5 if a.dtype == np.float32 else 1e-9)


KEEP_INT = [("neg", np.negative), ("abs", np.abs), ("sign", np.sign), ("square", np.square), ("relu", lambda a: np.maximum(a, 0)),
            ("floor", lambda a: a), ("ceil", lambda a: a), ("trunc", lambda a: a), ("round", lambda a: a)]


@pytest.mark.parametrize("name,ref", KEEP_INT, ids=[o[0] for o in KEEP_INT])
@given(data=st.data())
def test_int_ops_keep_dtype(name, ref, data):
    t, a = data.draw(strided_pair(INT))
    with np.errstate(over="ignore"):
        assert_close(getattr(t, name)(), ref(a).astype(a.dtype))


@given(data=st.data())
def test_int_input_promotes_to_default_float(data):
    t, a = data.draw(strided_pair(INT + ["bool"]))
    assert_close(t.exp(), np.exp(a.astype(np.float64)).astype(np.float32), rtol=1e-5)
    assert t.sqrt().dtype == ember.float32 and t.sigmoid().dtype == ember.float32


def test_exp_f32_accuracy_vs_numpy():
    # normal range (below -87.3 results are subnormal: compared in absolute ulps instead)
    x = np.linspace(-87, 88, 200001, dtype=np.float32)
    got = np.array(ember.tensor(x.tolist(), dtype=ember.float32).exp().tolist(), dtype=np.float32)
    ref = np.exp(x.astype(np.float64))
    rel = np.abs(got - ref) / ref
    assert rel.max() < 3e-7  # about 2 ulp
    xs = np.linspace(-103, -87.5, 1001, dtype=np.float32)
    sub = np.array(ember.tensor(xs.tolist(), dtype=ember.float32).exp().tolist(), dtype=np.float32)
    assert np.abs(sub.astype(np.float64) - np.exp(xs.astype(np.float64))).max() <= 4 * 1.4e-45 + 1e-38 * 3e-7
    special = ember.tensor([float("inf"), float("-inf"), float("nan"), 89.0, -104.0]).exp().tolist()
    assert special[0] == float("inf") and special[1] == 0.0 and math.isnan(special[2]) and special[3] == float("inf")


def test_activations_vs_formulas():
    a = np.linspace(-6, 6, 97)
    x = ember.tensor(a.tolist(), dtype=ember.float64)
    n = ember._native
    cases = {
        "leaky": (n.leaky_relu(x, 0.1), np.where(a > 0, a, 0.1 * a)),
        "elu": (n.elu(x, 1.5), np.where(a > 0, a, 1.5 * np.expm1(a))),
        "selu": (n.selu(x), 1.0507009873554805 * np.where(a > 0, a, 1.6732632423543772 * np.expm1(a))),
        "celu": (n.celu(x, 2.0), np.where(a > 0, a, 2.0 * np.expm1(a / 2.0))),
        "gelu": (n.gelu(x), a * 0.5 * (1 + erf(a / math.sqrt(2)))),
        "gelu_tanh": (x.gelu(approximate="tanh"), 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a**3)))),
        "softplus": (n.softplus(x, 2.0, 5.0), np.where(2 * a > 5, a, np.log1p(np.exp(2 * a)) / 2)),
        "mish": (n.mish(x), a * np.tanh(np.log1p(np.exp(a)))),
        "hardtanh": (n.hardtanh(x, -2.0, 3.0), np.clip(a, -2, 3)),
        "relu6": (n.relu6(x), np.clip(a, 0, 6)),
        "hardsigmoid": (n.hardsigmoid(x), np.clip(a / 6 + 0.5, 0, 1)),
        "hardswish": (n.hardswish(x), a * np.clip(a + 3, 0, 6) / 6),
        "logsigmoid": (n.logsigmoid(x), -np.log1p(np.exp(-a))),
        "logit": (ember.tensor([0.1, 0.5, 0.9], dtype=ember.float64).logit(), np.log(np.array([0.1, 0.5, 0.9]) / (1 - np.array([0.1, 0.5, 0.9])))),
        "erfinv": (ember.tensor([-0.9, 0.0, 0.3], dtype=ember.float64).erfinv(), np.array([-1.1630871536766743, 0.0, 0.2724627147267544])),
    }
    for k, (got, ref) in cases.items():
        np.testing.assert_allclose(np.array(got.tolist()), ref, rtol=1e-10, atol=1e-12, err_msg=k)


def test_round_half_even_and_decimals():
    x = ember.tensor([0.5, 1.5, 2.5, -0.5, -1.5, 1.2345])
    assert x.round().tolist() == [0.0, 2.0, 2.0, -0.0, -2.0, 1.0]
    np.testing.assert_allclose(ember.tensor([1.2345, 123.45]).round(decimals=2).tolist(), [1.23, 123.45], rtol=1e-6)
    np.testing.assert_allclose(ember.tensor([1234.5]).round(decimals=-2).tolist(), [1200.0])


def test_clamp_forms():
    x = ember.tensor([-2.0, 0.5, 3.0])
    assert x.clamp(0, 1).tolist() == [0.0, 0.5, 1.0]
    assert x.clamp(min=0).tolist() == [0.0, 0.5, 3.0]
    assert x.clip(max=1).tolist() == [-2.0, 0.5, 1.0]
    lo, hi = ember.tensor([0.0, 1.0, 0.0]), ember.tensor([1.0, 2.0, 2.0])
    assert x.clamp(lo, hi).tolist() == [0.0, 1.0, 2.0]
    i = ember.tensor([-5, 0, 7])
    assert i.clamp(-1, 3).tolist() == [-1, 0, 3] and i.clamp(-1, 3).dtype == ember.int64
    assert i.clamp(0.5).dtype == ember.float32
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        x.clamp()


def test_predicates_and_nan_to_num():
    x = ember.tensor([1.0, float("nan"), float("inf"), float("-inf"), -0.0])
    assert x.isnan().tolist() == [False, True, False, False, False]
    assert x.isinf().tolist() == [False, False, True, True, False]
    assert x.isfinite().tolist() == [True, False, False, False, True]
    assert x.isposinf().tolist() == [False, False, True, False, False]
    assert x.isneginf().tolist() == [False, False, False, True, False]
    assert x.signbit().tolist() == [False, False, False, True, True]
    assert x.nan_to_num(nan=0.0, posinf=1.0, neginf=-1.0).tolist() == [1.0, 0.0, 1.0, -1.0, -0.0]
    assert ember.tensor([1, 2]).isnan().tolist() == [False, False]


def test_where_masked_fill_lerp_addc():
    c = ember.tensor([True, False, True])
    x, y = ember.tensor([1.0, 2.0, 3.0]), ember.tensor([10.0, 20.0, 30.0])
    assert ember.where(c, x, y).tolist() == [1.0, 20.0, 3.0]
    assert ember.where(c, x, 0.0).tolist() == [1.0, 0.0, 3.0]
    assert ember.where(c, 1, 0).dtype == ember.int64
    assert x.masked_fill(c, -1).tolist() == [-1.0, 2.0, -1.0]
    assert ember.tensor([1, 2, 3]).masked_fill(c, 7).dtype == ember.int64
    assert x.lerp(y, 0.5).tolist() == [5.5, 11.0, 16.5]
    assert x.addcmul(x, y, value=2).tolist() == [21.0, 82.0, 183.0]
    assert x.addcdiv(y, x, value=0.5).tolist() == [6.0, 7.0, 8.0]
    with pytest.raises(RuntimeError, match="boolean"):
        ember.where(x, x, y)


def test_errors():
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
        -ember.tensor([True])
    with pytest.raises(RuntimeError, match="frac"):
        ember.tensor([1, 2]).frac()
    with pytest.raises(ValueError, match="approximate"):
        ember.tensor([1.0]).gelu(approximate="bad")


def test_empty_and_zero_dim():
    assert ember.tensor(2.0).exp().shape == () and abs(ember.tensor(2.0).exp().item() - math.exp(2)) < 1e-5
    assert ember.zeros(0, 3).sigmoid().shape == (0, 3)


GRAD_OPS = ["exp", "exp2", "expm1", "sin", "cos", "tan", "atan", "sinh", "cosh", "tanh", "asinh", "sigmoid", "erf",
            "erfc", "silu", "mish", "neg", "abs", "square", "relu", "frac", "sign", "floor", "deg2rad", "rad2deg"]
POS_OPS = ["log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal", "acosh"]
UNIT_OPS = ["asin", "acos", "atanh", "erfinv", "logit"]


@pytest.mark.parametrize("name", GRAD_OPS + POS_OPS + UNIT_OPS)
def test_gradcheck_unary(name):
    ember.manual_seed(0)
    base = ember.rand(2, 3, dtype=ember.float64)
    if name in POS_OPS:
        x = base + 1.2
    elif name in UNIT_OPS:
        x = base * 0.8 + 0.1
    else:
        x = base * 4 - 2
    x = x.detach().requires_grad_()
    assert ember.autograd.gradcheck(lambda t: getattr(t, name)(), (x,))


@pytest.mark.parametrize("fn", ["leaky_relu", "elu", "selu", "celu", "gelu", "softplus", "hardtanh", "relu6",
                                "hardsigmoid", "hardswish", "logsigmoid"])
def test_gradcheck_activations(fn):
    x = (ember.rand(7, dtype=ember.float64) * 5 - 2.5).detach().requires_grad_()
    f = getattr(ember._native, fn)
    assert ember.autograd.gradcheck(lambda t: f(t), (x,))


def test_gradcheck_gelu_tanh_clamp_where_lerp_addc():
    x = (ember.rand(5, dtype=ember.float64) * 4 - 2).requires_grad_()
    y = ember.rand(5, dtype=ember.float64).requires_grad_()
    c = ember.tensor([True, False, True, False, True])
    gc = ember.autograd.gradcheck
    assert gc(lambda t: t.gelu(approximate="tanh"), (x,))
    assert gc(lambda t: t.clamp(-1.0, 1.0), (x,))
    assert gc(lambda t, u: t.clamp(min=u), (x, y))
    assert gc(lambda t, u: ember.where(c, t, u), (x, y))
    assert gc(lambda t, u: t.lerp(u, 0.3), (x, y))
    assert gc(lambda t, u: t.addcmul(t, u, value=0.5), (x, y))
    assert gc(lambda t, u: t.addcdiv(t, u + 1, value=0.5), (x, y))
    assert gc(lambda t: t.masked_fill(c, 2.0), (x,))


def test_gradgradcheck_few():
    x = (ember.rand(4, dtype=ember.float64) + 0.5).requires_grad_()
    for f in (lambda t: t.exp(), lambda t: t.tanh(), lambda t: t.sigmoid(), lambda t: ember._native.gelu(t)):
        assert ember.autograd.gradgradcheck(f, (x,))


def test_grad_fn_names():
    x = ember.rand(3, requires_grad=True)
    names = {"exp": "ExpBackward0", "relu": "ReluBackward0", "sigmoid": "SigmoidBackward0", "tanh": "TanhBackward0",
             "abs": "AbsBackward0", "neg": "NegBackward0", "square": "PowBackward0"}
    for m, n in names.items():
        assert getattr(x, m)().grad_fn.name() == n
    assert x.clamp(0, 1).grad_fn.name() == "ClampBackward1"
    assert ember._native.gelu(x).grad_fn.name() == "GeluBackward0"


def test_table_row_ops_deg2rad_rad2deg():
    # rows of the native table: PyTorch's grad_fn names, integer input promoted, in place on views
    x = ember.tensor([180.0, -90.0, 0.0], dtype=ember.float64, requires_grad=True)
    assert x.deg2rad().grad_fn.name() == "Deg2RadBackward0" and x.rad2deg().grad_fn.name() == "Rad2DegBackward0"
    r = ember.deg2rad(ember.tensor([180, 90], dtype=ember.int32))
    assert r.dtype == ember.float32 and np.allclose(r.numpy(), [math.pi, math.pi / 2])
    assert ember.rad2deg(ember.tensor([math.pi], dtype=ember.float16)).dtype == ember.float16
    base = ember.tensor([[90.0, 1.0], [180.0, 2.0]])
    col = base[:, 0]
    col.deg2rad_()
    np.testing.assert_allclose(base.numpy(), [[math.pi / 2, 1.0], [math.pi, 2.0]], rtol=1e-6)
    out = ember.empty(2)
    assert ember.rad2deg(ember.tensor([math.pi, 1.0]), out=out) is out
    np.testing.assert_allclose(out.numpy(), [180.0, 180.0 / math.pi], rtol=1e-6)
    y = x.deg2rad().rad2deg()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0, 1.0])
    assert ember.autograd.gradgradcheck(lambda t: t.deg2rad() * t, (x,))

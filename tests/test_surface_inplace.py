"""The in-place special functions (digamma_, lgamma_, polygamma_, mvlgamma_, igamma_, igammac_,
i0_): values against SciPy written through strided views, PyTorch's shape/dtype rules, autograd."""
import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given

import ember
from ember.autograd import gradcheck
from strategies import FLOAT, np_of, strided_pair

UNARY = {
    "digamma_": (lambda t: t.digamma_(), sp.digamma),
    "lgamma_": (lambda t: t.lgamma_(), sp.gammaln),
    "polygamma_": (lambda t: t.polygamma_(1), lambda a: sp.polygamma(1, a)),
    "mvlgamma_": (lambda t: t.mvlgamma_(p=2), lambda a: np.vectorize(lambda v: sp.multigammaln(v, 2),
                                                                      otypes=[np.float64])(a)),
    "i0_": (lambda t: t.i0_(), sp.i0),
    "ember.i0_": (lambda t: ember.i0_(t), sp.i0),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(pair=strided_pair(dtypes=FLOAT, allow_expand=False))
def test_unary_inplace_writes_through_strided_views(name, pair):
    t, a = pair
    op, ref = UNARY[name]
    x = t.abs() + 1.5 if name == "mvlgamma_" else t.abs() + 0.25  # inside every domain
    xa = np.abs(a).astype(a.dtype) + (1.5 if name == "mvlgamma_" else 0.25)
    base = ember.zeros(*[2 * s for s in x.shape], dtype=x.dtype)
    view = base[tuple(slice(0, 2 * s, 2) for s in x.shape)] if x.ndim else base
    view.copy_(x)
    r = op(view)
    assert r is view
    rtol = 1e-4 if x.dtype == ember.float32 else 1e-9
    np.testing.assert_allclose(np_of(view), ref(xa.astype(np.float64)).astype(a.dtype), rtol=rtol, atol=1e-5)
    if x.ndim:  # the gaps between the strided elements are untouched
        mask = np.ones(tuple(base.shape), bool)
        mask[tuple(slice(0, 2 * s, 2) for s in x.shape)] = False
        assert (np_of(base)[mask] == 0).all()


@given(strided_pair(dtypes=FLOAT, allow_expand=False, min_dims=1))
def test_igamma_inplace(pair):
    t, a = pair
    x, y = t.abs() + 0.5, (t * 2).abs() + 0.1
    xa, ya = np.abs(a.astype(np.float64)) + 0.5, np.abs(a.astype(np.float64) * 2) + 0.1
    rtol = 1e-4 if t.dtype == ember.float32 else 1e-9
    np.testing.assert_allclose(np_of(x.clone().igamma_(y)), sp.gammainc(xa, ya), rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(np_of(x.clone().igammac_(y)), sp.gammaincc(xa, ya), rtol=rtol, atol=1e-6)


def test_dtype_and_shape_rules_leave_self_unchanged():
    i = ember.ones(3, dtype=ember.int64)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.digamma_()
    assert i.tolist() == [1, 1, 1]
    x = ember.ones(3)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        x.igamma_(ember.ones(2, 3))
    assert x.tolist() == [1.0, 1.0, 1.0]
    x.igammac_(ember.ones(1))  # broadcasting the other operand is fine
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        ember.ones(2, requires_grad=True).lgamma_()
    with pytest.raises(TypeError):
        ember.i0_([1.0])


@pytest.mark.parametrize("op", [lambda t: t.digamma_(), lambda t: t.lgamma_(), lambda t: t.polygamma_(2),
                                lambda t: t.mvlgamma_(3), lambda t: t.i0_(), lambda t: ember.i0_(t)])
def test_inplace_gradients(op):
    x = (ember.rand(2, 3, dtype=ember.float64) + 2.0).requires_grad_()
    assert gradcheck(lambda a: op(a.clone() * 1.0), (x,))


def test_igamma_inplace_gradient_wrt_x():
    a = (ember.rand(4, dtype=ember.float64) + 1.0)
    x = (ember.rand(4, dtype=ember.float64) + 0.5).requires_grad_()
    assert gradcheck(lambda v: a.clone().igamma_(v), (x,))

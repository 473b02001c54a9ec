"""The complex-number functions on real tensors, as PyTorch runs them there: identities
(real, conj, resolve_conj, resolve_neg), angle 0/π, isreal all True, adjoint/H/mH transposes."""
import math

import numpy as np
import pytest
from hypothesis import given

import ember
from ember.autograd import gradcheck
from strategies import ALL, FLOAT, np_of, strided_pair


@given(strided_pair(dtypes=ALL))
def test_identities_return_the_input_itself(pair):
    t, _ = pair
    for fn in (ember.real, ember.conj, ember.resolve_conj, ember.resolve_neg, ember.conj_physical_):
        assert fn(t) is t
    for m in ("real", "conj", "resolve_conj", "resolve_neg", "conj_physical_"):
        r = getattr(t, m)
        assert (r if m == "real" else r()) is t


@given(strided_pair(dtypes=FLOAT))
def test_conj_physical_is_the_values(pair):
    t, a = pair
    np.testing.assert_array_equal(np_of(ember.conj_physical(t)), np.conj(a))
    o = ember.empty(tuple(t.shape), dtype=t.dtype)
    assert ember.conj_physical(t, out=o) is o
    np.testing.assert_array_equal(np_of(o), a)


@given(strided_pair(dtypes=ALL))
def test_angle_matches_numpy(pair):
    t, a = pair
    r = ember.angle(t)
    want_dtype = t.dtype if t.dtype.is_floating_point else ember.get_default_dtype()
    assert r.dtype == want_dtype and tuple(r.shape) == a.shape
    # PyTorch: π for x < 0, else 0 (−0.0 gives 0), NaN stays NaN
    ref = np.where(a.astype(np.float64) < 0, math.pi, 0.0)
    np.testing.assert_allclose(np_of(r).astype(np.float64), ref, rtol=1e-3 if r.dtype == ember.float16 else 1e-6)
    assert np.array_equal(t.angle().numpy(), r.numpy())


def test_angle_special_values_and_zero_gradient():
    x = ember.tensor([1.0, -2.0, float("nan"), -0.0, -float("inf"), float("inf")])
    r = ember.angle(x)
    assert r[:2].tolist() == [0.0, pytest.approx(math.pi)] and math.isnan(r[2].item())
    assert r[3].item() == 0.0 and r[4].item() == pytest.approx(math.pi) and r[5].item() == 0.0
    w = ember.tensor([0.5, -1.5, 2.0], dtype=ember.float64, requires_grad=True)
    assert gradcheck(ember.angle, (w,))
    ember.angle(w).sum().backward()
    assert w.grad.tolist() == [0.0, 0.0, 0.0]


@given(strided_pair(dtypes=ALL))
def test_isreal_is_all_true(pair):
    t, a = pair
    r = ember.isreal(t)
    assert r.dtype == ember.bool and tuple(r.shape) == a.shape
    np.testing.assert_array_equal(np_of(r), np.isreal(a))
    assert ember.equal(t.isreal(), r)


@given(strided_pair(dtypes=FLOAT, min_dims=2))
def test_adjoint_and_mH_are_transposing_views(pair):
    t, a = pair
    for r in (ember.adjoint(t), t.adjoint(), t.mH):
        np.testing.assert_array_equal(np_of(r), np.swapaxes(a, -1, -2))
        assert r.untyped_storage().data_ptr() == t.untyped_storage().data_ptr()  # a view


@given(strided_pair(dtypes=FLOAT, min_dims=2, max_dims=2))
def test_H_of_a_matrix(pair):
    t, a = pair
    np.testing.assert_array_equal(np_of(t.H), a.T)


def test_geometry_errors():
    with pytest.raises(RuntimeError, match="only supported on matrices or batches of matrices. Got 1-D"):
        ember.adjoint(ember.ones(3))
    with pytest.raises(RuntimeError, match=r"tensor.H is only supported on matrices \(2-D tensors\). Got 3-D"):
        ember.ones(2, 3, 4).H
    with pytest.raises(RuntimeError, match="tensor.mH is only supported on matrices or batches of matrices. Got 1-D"):
        ember.ones(3).mH
    assert ember.tensor(2.0).H.item() == 2.0
    for fn in (ember.real, ember.angle, ember.isreal, ember.adjoint):
        with pytest.raises(TypeError):
            fn([1.0, 2.0])


def test_adjoint_gradients():
    x = ember.randn(2, 3, 4, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda a: ember.adjoint(a) * 2, (x,))
    assert gradcheck(lambda a: a.mH.sum(-1), (x,))
    m = ember.randn(3, 2, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda a: a.H.exp(), (m,))
    assert ember.adjoint(m).grad_fn.name() == "TransposeBackward0"

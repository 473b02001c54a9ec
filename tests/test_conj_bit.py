"""The lazy conjugate bit: ``conj()`` of a complex tensor is a view of the same memory with
``is_conj()`` set; reads see the conjugates, writes store them, views keep the bit, and
``resolve_conj()`` materializes. Checked against NumPy on strided inputs."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from ember.autograd import gradcheck
from strategies import COMPLEX, strided_pair


def vals(t):
    return np.array(t.tolist(), dtype=np.complex128)


def cplx(n=4, dtype=ember.complex64, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    return ember.tensor(a.tolist(), dtype=dtype)


def test_conj_is_a_view_with_the_bit():
    x = ember.tensor([1 + 2j, 3 - 4j])
    y = x.conj()
    assert y.is_conj() and ember.is_conj(y) and not x.is_conj()
    assert y.data_ptr() == x.data_ptr() and y._base is x and y._is_view()
    assert y.tolist() == [1 - 2j, 3 + 4j]
    assert not y.conj().is_conj() and y.conj().tolist() == x.tolist()
    assert ember.conj(x).is_conj()


def test_real_tensors_are_their_own_conjugate():
    r = ember.randn(3)
    assert r.conj() is r and not r.conj().is_conj() and r.resolve_conj() is r


def test_resolve_conj_materializes_without_alias():
    x = ember.tensor([1 + 2j, 3 - 4j])
    y = x.conj()
    z = y.resolve_conj()
    assert not z.is_conj() and z.tolist() == [1 - 2j, 3 + 4j] and z.data_ptr() != x.data_ptr()
    x.zero_()
    assert z.tolist() == [1 - 2j, 3 + 4j]
    assert x.resolve_conj() is x


def test_writes_to_the_base_show_through():
    x = ember.tensor([1 + 2j, 3 - 4j])
    y = x.conj()
    x[0] = 5 + 1j
    assert y.tolist() == [5 - 1j, 3 + 4j]


def test_ops_read_the_conjugates():
    x = cplx(4)
    y = x.conj()
    want = np.conj(vals(x))
    np.testing.assert_allclose(vals(y + 1), want + 1, rtol=1e-6)
    np.testing.assert_allclose(vals(y * x), want * vals(x), rtol=1e-5)
    np.testing.assert_allclose(y.abs().numpy(), np.abs(want), rtol=1e-6)
    np.testing.assert_allclose(complex(y.sum().item()), want.sum(), rtol=1e-5)
    np.testing.assert_allclose(vals(ember.exp(y)), np.exp(want), rtol=1e-5)
    m = cplx(6, seed=1).reshape(2, 3)
    np.testing.assert_allclose(vals(m.conj() @ m.conj().T), np.conj(vals(m)) @ np.conj(vals(m)).T, rtol=1e-5)
    assert not (y + 1).is_conj() and not y.clone().is_conj()
    np.testing.assert_allclose(vals(y.clone()), want, rtol=1e-6)
    np.testing.assert_allclose(vals(y.to(ember.complex128)), want, rtol=1e-6)
    assert repr(ember.tensor([1 + 1j]).conj()) == "tensor([1.-1.j])"


def test_views_keep_the_bit_and_the_alias():
    x = cplx(6).reshape(2, 3)
    y = x.conj()
    want = np.conj(vals(x))
    for v, w in [(y[0], want[0]), (y.T, want.T), (y.view(6), want.reshape(6)), (y.reshape(3, 2), want.reshape(3, 2)),
                 (y.unsqueeze(0), want[None]), (y[:, 1:], want[:, 1:]), (y.transpose(0, 1), want.T),
                 (y.detach(), want), (x.mH, want.T), (x.adjoint(), want.T)]:
        assert v.is_conj(), v
        np.testing.assert_allclose(vals(v), w, rtol=1e-6)
    assert y[0].data_ptr() == x.data_ptr()
    assert y.to(ember.complex64) is y and y.contiguous() is y  # ops that return their input


def test_in_place_ops_write_the_conjugate_through():
    x0 = cplx(4)
    x = x0.clone()
    x.conj().add_(1)  # conj(conj(x) + 1) = x + 1
    np.testing.assert_allclose(vals(x), vals(x0) + 1, rtol=1e-6)
    x = x0.clone()
    x.conj().mul_(2j)
    np.testing.assert_allclose(vals(x), np.conj(np.conj(vals(x0)) * 2j), rtol=1e-6)
    x = x0.clone()
    x.conj().fill_(1 + 2j)
    assert x.tolist() == [1 - 2j] * 4
    x.conj().zero_()
    assert x.tolist() == [0j] * 4
    x = x0.clone()
    x.conj().copy_(ember.tensor([1j, 2j, 3j, 4j]))
    assert x.tolist() == [-1j, -2j, -3j, -4j]


def test_setitem_through_a_conjugate_view():
    z = ember.zeros(2, 3, dtype=ember.complex64)
    yy = z.conj()
    yy[0] = 1j  # basic index: a conjugate view, written
    assert z[0].tolist() == [-1j] * 3
    yy[1, ember.tensor([0, 2])] = ember.tensor([2j, 3j])  # advanced index: materialized, written back
    assert z[1].tolist() == [-2j, 0j, -3j]
    yy[yy.real == 0] = 5  # boolean mask
    assert z[1, 1].item() == 5


def test_parts_of_a_conjugate_view():
    x = ember.tensor([1 + 2j, 3 - 4j])
    y = x.conj()
    assert y.real.tolist() == [1.0, 3.0] and y.imag.tolist() == [-2.0, 4.0]
    y.real = ember.tensor([7.0, 8.0])
    y.imag = ember.tensor([1.0, 1.0])
    assert x.tolist() == [7 - 1j, 8 - 1j]
    with pytest.raises(RuntimeError, match="conjugate view"):
        y.imag.add_(1)  # .imag of a conjugate view is materialized: a write could not reach x
    assert x.tolist() == [7 - 1j, 8 - 1j]


def test_exports_refuse_the_bit():
    y = ember.tensor([1 + 2j]).conj()
    with pytest.raises(RuntimeError, match="view_as_real doesn't work on unresolved conjugated tensors"):
        ember.view_as_real(y)
    with pytest.raises(RuntimeError, match="conjugate bit set"):
        y.numpy()
    assert y.numpy(force=True).tolist() == [1 - 2j]
    assert ember.view_as_real(y.resolve_conj()).tolist() == [[1.0, -2.0]]
    assert np.from_dlpack(y).tolist() == [1 - 2j]  # exported materialized


def test_autograd_through_conj():
    a = ember.tensor([1 + 1j, 2 - 1j, 0.5j], dtype=ember.complex128, requires_grad=True)
    b = a.conj()
    assert b.grad_fn.name() == "ConjBackward0" and b.requires_grad and not b.is_leaf
    w = ember.tensor([1j, 2, 3], dtype=ember.complex128)
    (b * w).real.sum().backward()
    assert a.grad.tolist() == [1j, 2, 3]  # PyTorch's value
    assert gradcheck(lambda t: t.conj() * w, (a.detach().requires_grad_(),))
    assert gradcheck(lambda t: (t.conj() @ t).abs(), (a.detach().requires_grad_(),))
    assert gradcheck(lambda t: t.conj().resolve_conj().exp(), (a.detach().requires_grad_(),))
    with pytest.raises(RuntimeError, match="conjugate view"):
        (a * 1).conj().add_(1)


@settings(max_examples=30, deadline=None)
@given(strided_pair(dtypes=COMPLEX, max_dims=3), st.sampled_from(["neg", "abs", "sqrt", "sum", "mul", "cumsum"]))
def test_conjugate_views_of_strided_tensors(pair, op):
    t, a = pair
    y, b = t.conj(), np.conj(a)
    assert y.is_conj() == (t.dtype.is_complex)
    f = {"neg": (lambda u: -u, np.negative), "abs": (ember.abs, np.abs), "sqrt": (ember.sqrt, np.sqrt),
         "sum": (lambda u: u.sum(), np.sum), "mul": (lambda u: u * t, lambda v: v * a),
         "cumsum": (lambda u: u.cumsum(-1) if u.ndim else u, lambda v: np.cumsum(v, -1) if v.ndim else v)}[op]
    got, want = f[0](y), np.asarray(f[1](b))
    tol = 1e-4 if t.dtype == ember.complex64 else 1e-10
    np.testing.assert_allclose(np.asarray(got.tolist(), dtype=want.dtype).reshape(want.shape), want, rtol=tol, atol=tol)
    np.testing.assert_array_equal(y.resolve_conj().numpy(), b)

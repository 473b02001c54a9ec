"""ember.nn.utils.parametrizations (weight_norm, spectral_norm, orthogonal) against NumPy."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
import ember.nn as nn
from ember.nn.utils import parametrizations as P, parametrize


def _np(t):
    return t.detach().numpy()


@settings(max_examples=15, deadline=None)
@given(out=st.integers(1, 5), inp=st.integers(1, 5), dim=st.sampled_from([0, 1, -1, None]), seed=st.integers(0, 99))
def test_weight_norm_is_g_times_v_over_norm(out, inp, dim, seed):
    ember.manual_seed(seed)
    m = nn.Linear(inp, out)
    w0 = _np(m.weight).copy()
    P.weight_norm(m, dim=dim)
    # The parametrized weight starts equal to the original one.
    np.testing.assert_allclose(_np(m.weight), w0, rtol=1e-5, atol=1e-6)
    g, v = m.parametrizations.weight.original0, m.parametrizations.weight.original1
    with ember.no_grad():
        g.mul_(2.5)
        v.add_(0.3)
    gn, vn = _np(g), _np(v)
    if dim in (None, -1):  # as PyTorch: dim=-1 means the norm over the whole tensor, like None
        norm = np.linalg.norm(vn)
    else:
        norm = np.sqrt((vn * vn).sum(axis=1 - dim, keepdims=True))
    np.testing.assert_allclose(_np(m.weight), gn * vn / norm, rtol=1e-5, atol=1e-6)


def test_weight_norm_names_shapes_and_gradients():
    m = P.weight_norm(nn.Conv2d(2, 3, 3), dim=0)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert tuple(m.parametrizations.weight.original0.shape) == (3, 1, 1, 1)
    assert tuple(m.parametrizations.weight.original1.shape) == (3, 2, 3, 3)
    assert type(m).__name__ == "ParametrizedConv2d"
    names = [n for n, _ in m.named_parameters()]
    assert names == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    m(ember.randn(1, 2, 5, 5)).sum().backward()
    assert m.parametrizations.weight.original0.grad is not None
    assert m.parametrizations.weight.original1.grad is not None
    # Assigning the weight goes through right_inverse: g = ||w|| per output channel, v = w.
    w = ember.randn(3, 2, 3, 3)
    m.weight = w
    np.testing.assert_allclose(_np(m.weight), _np(w), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(m.parametrizations.weight.original1), _np(w))
    parametrize.remove_parametrizations(m, "weight")
    assert list(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(_np(m.weight), _np(w), rtol=1e-5, atol=1e-6)


def test_weight_norm_loads_a_state_dict_of_the_hook_based_weight_norm():
    ember.manual_seed(5)
    old = nn.utils.weight_norm(nn.Linear(3, 2))
    sd = old.state_dict()
    assert {"weight_g", "weight_v"} <= set(sd)
    new = P.weight_norm(nn.Linear(3, 2))
    new.load_state_dict(sd)
    np.testing.assert_allclose(_np(new.weight), _np(old.weight_v) * _np(old.weight_g) /
                               np.linalg.norm(_np(old.weight_v), axis=1, keepdims=True), rtol=1e-5)


def test_weight_norm_errors_and_leave_parametrized_false():
    with pytest.raises(ValueError, match="no parameter or buffer with name 'foo'"):
        P.weight_norm(nn.Linear(2, 2), name="foo")
    m = P.weight_norm(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="sequence of tensors"):
        parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)


@pytest.mark.parametrize("shape, dim", [((6, 4), 0), ((3, 5), 0), ((4, 3, 2, 2), 0), ((2, 3, 3), 1)])
def test_spectral_norm_top_singular_value_goes_to_one(shape, dim):
    ember.manual_seed(0)
    m = nn.Module()
    m.weight = nn.Parameter(ember.randn(*shape))
    P.spectral_norm(m, n_power_iterations=5, dim=dim)
    for _ in range(10):
        w = m.weight
    mat = np.moveaxis(_np(w), dim, 0).reshape(shape[dim], -1)
    assert abs(np.linalg.svd(mat, compute_uv=False)[0] - 1.0) < 1e-3
    orig = np.moveaxis(_np(m.parametrizations.weight.original), dim, 0).reshape(shape[dim], -1)
    sigma = np.linalg.svd(orig, compute_uv=False)[0]
    np.testing.assert_allclose(_np(w), _np(m.parametrizations.weight.original) / sigma, rtol=1e-3, atol=1e-5)


def test_spectral_norm_buffers_training_and_eval():
    ember.manual_seed(1)
    m = P.spectral_norm(nn.Linear(3, 5))
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original", "parametrizations.weight.0._u",
                                    "parametrizations.weight.0._v"]
    sn = m.parametrizations.weight[0]
    assert tuple(sn._u.shape) == (5,) and tuple(sn._v.shape) == (3,)
    np.testing.assert_allclose(np.linalg.norm(_np(sn._u)), 1.0, rtol=1e-5)
    m.eval()
    u = _np(sn._u).copy()
    _ = m.weight
    np.testing.assert_array_equal(_np(sn._u), u)  # eval mode: no power iteration
    m.train()
    with ember.no_grad():
        m.parametrizations.weight.original.add_(ember.randn(5, 3))
    _ = m.weight
    assert not np.array_equal(_np(sn._u), u)  # training mode: u and v updated in place
    m(ember.randn(2, 3)).sum().backward()
    assert m.parametrizations.weight.original.grad is not None


def test_spectral_norm_conv_transpose_uses_dim_1_and_1d_weight_normalizes():
    ember.manual_seed(2)
    m = P.spectral_norm(nn.ConvTranspose2d(4, 2, 3))  # weight (4, 2, 3, 3): dim 1 -> u has 2 entries
    assert tuple(m.parametrizations.weight[0]._u.shape) == (2,)
    b = nn.Module()
    b.weight = nn.Parameter(ember.tensor([3.0, 4.0]))
    P.spectral_norm(b)
    np.testing.assert_allclose(_np(b.weight), [0.6, 0.8], rtol=1e-6)
    with pytest.raises(ValueError, match="n_power_iterations"):
        P.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 3)])
def test_orthogonal_gives_orthonormal_columns_and_gradients(orthogonal_map, shape):
    ember.manual_seed(3)
    m = nn.Module()
    m.weight = nn.Parameter(ember.randn(*shape, dtype=ember.float64))
    P.orthogonal(m, orthogonal_map=orthogonal_map)
    n, k = shape[-2:]
    # Move off the identity point, but not on the diagonal: householder reads only its sign (as
    # PyTorch, through an int cast, so it gets no gradient either).
    off_diag = 1.0 - ember.eye(n, k, dtype=ember.float64)
    with ember.no_grad():
        m.parametrizations.weight.original.add_(0.3 * ember.randn(*shape, dtype=ember.float64) * off_diag)
    W = _np(m.weight)
    G = np.swapaxes(W, -1, -2) @ W if n >= k else W @ np.swapaxes(W, -1, -2)
    np.testing.assert_allclose(G, np.broadcast_to(np.eye(min(n, k)), G.shape), atol=1e-10)
    assert list(m.state_dict()) == ["parametrizations.weight.original", "parametrizations.weight.0.base"]
    (m.weight * ember.randn(*shape, dtype=ember.float64)).sum().backward()
    grad = m.parametrizations.weight.original.grad
    assert grad is not None and np.isfinite(_np(grad)).all() and np.abs(_np(grad)).sum() > 0


def test_orthogonal_initial_value_keeps_an_orthogonal_weight():
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))[0]
    m = nn.Linear(4, 4, bias=False)
    with ember.no_grad():
        m.weight.copy_(ember.tensor(Q, dtype=ember.float32))
    P.orthogonal(m)  # square -> matrix_exp; an already-orthogonal weight is kept as base
    np.testing.assert_allclose(_np(m.weight), Q, atol=1e-5)
    assert m.parametrizations.weight[0].orthogonal_map.name == "matrix_exp"
    assert P.orthogonal(nn.Linear(3, 5)).parametrizations.weight[0].orthogonal_map.name == "householder"


def test_orthogonal_without_trivialization():
    ember.manual_seed(4)
    m = P.orthogonal(nn.Linear(4, 4), orthogonal_map="householder", use_trivialization=False)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    Q = np.linalg.qr(np.random.default_rng(1).standard_normal((4, 4)))[0]
    m.weight = ember.tensor(Q, dtype=ember.float32)  # right_inverse through geqrf
    np.testing.assert_allclose(_np(m.weight), Q, atol=1e-5)
    c = P.orthogonal(nn.Linear(4, 4), orthogonal_map="cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError, match="not possible to assign"):
        c.weight = ember.tensor(Q, dtype=ember.float32)


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        P.orthogonal(nn.Linear(3, 3), name="bias")
    with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
        P.orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(ValueError, match="no parameter or buffer"):
        P.orthogonal(nn.Linear(3, 3), name="nope")

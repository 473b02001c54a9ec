"""Nested tensors (ember.nested) against per-component NumPy."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from strategies import assert_close


@st.composite
def components(draw, jagged=False):
    """2-4 float64 arrays of one dimensionality and differing sizes (only dim 0 differs when
    ``jagged``), some of them non-contiguous ember views."""
    ndim = draw(st.integers(1, 3))
    b = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    inner = tuple(draw(st.lists(st.integers(1, 3), min_size=ndim - 1, max_size=ndim - 1)))
    arrays = []
    for _ in range(b):
        shape = (draw(st.integers(0, 4)),) + (inner if jagged else tuple(rng.integers(1, 4, ndim - 1)))
        arrays.append(rng.standard_normal(shape))
    tensors = []
    for a in arrays:
        if a.ndim >= 2 and draw(st.booleans()):
            tensors.append(ember.from_numpy(np.ascontiguousarray(np.swapaxes(a, 0, 1))).transpose(0, 1))
        else:
            tensors.append(ember.from_numpy(a.copy()))
    return arrays, tensors


def padded(arrays, pad):
    shape = (len(arrays),) + tuple(max(a.shape[d] for a in arrays) for d in range(arrays[0].ndim))
    out = np.full(shape, pad)
    for i, a in enumerate(arrays):
        out[(i,) + tuple(slice(0, k) for k in a.shape)] = a
    return out


@settings(max_examples=25, deadline=None)
@given(components(), st.sampled_from([ember.strided, ember.jagged]))
def test_components_round_trip(ct, layout):
    arrays, tensors = ct
    if layout is ember.jagged and len({a.shape[1:] for a in arrays}) > 1:
        with pytest.raises(RuntimeError, match="single ragged dimension"):
            ember.nested.nested_tensor(tensors, layout=layout)
        return
    nt = ember.nested.nested_tensor(tensors, layout=layout)
    assert isinstance(nt, ember.Tensor) and nt.is_nested and nt.layout is layout
    assert nt.dim() == arrays[0].ndim + 1 and nt.size(0) == len(arrays) and len(nt) == len(arrays)
    assert nt.numel() == sum(a.size for a in arrays)
    for got, want in zip(nt.unbind(), arrays):
        assert_close(got, want)
    assert_close(nt.to_padded_tensor(-1.0), padded(arrays, -1.0))
    assert_close(ember.nested.to_padded_tensor(nt, 0.0), padded(arrays, 0.0))


@settings(max_examples=25, deadline=None)
@given(components())
def test_elementwise_ops(ct):
    arrays, tensors = ct
    nt = ember.nested.nested_tensor(tensors)
    other = ember.nested.nested_tensor([t * 2 + 1 for t in tensors])
    checks = [(nt.sin(), [np.sin(a) for a in arrays]), (ember.exp(nt), [np.exp(a) for a in arrays]),
              (-nt, [-a for a in arrays]), (nt + other, [3 * a + 1 for a in arrays]),
              (nt * other, [a * (2 * a + 1) for a in arrays]), (nt * 3, [3 * a for a in arrays]),
              (nt - 1, [a - 1 for a in arrays]), (2 - nt, [2 - a for a in arrays]),
              (ember.relu(nt), [np.maximum(a, 0) for a in arrays]), (nt.abs(), [np.abs(a) for a in arrays])]
    for got, want in checks:
        assert got.is_nested
        for g, w in zip(got.unbind(), want):
            assert_close(g, w)
    assert nt.to(ember.float32).dtype == ember.float32


def test_irregular_sizes_raise_pytorch_errors():
    nt = ember.nested.nested_tensor([ember.ones(2, 3), ember.ones(1, 4)])
    with pytest.raises(RuntimeError, match="doesn't support sizes"):
        nt.size()
    with pytest.raises(RuntimeError, match="doesn't support sizes"):
        nt.shape
    with pytest.raises(RuntimeError, match="Given dimension 1 is irregular"):
        nt.size(1)
    with pytest.raises(RuntimeError, match="unbound along dimension 0"):
        nt.unbind(1)
    with pytest.raises(RuntimeError, match="broadcasting"):
        nt + ember.nested.nested_tensor([ember.ones(1, 4), ember.ones(2, 3)])
    with pytest.raises(RuntimeError, match="same dimension"):
        ember.nested.nested_tensor([ember.ones(2), ember.ones(2, 3)])
    with pytest.raises(RuntimeError, match="Truncation"):
        nt.to_padded_tensor(0.0, (2, 1, 4))
    with pytest.raises(NotImplementedError, match="'CPU' backend"):
        ember.ones(2).to_padded_tensor(0.0)
    for op in (lambda: nt.sum(), lambda: nt.view(-1), lambda: nt.reshape(-1), lambda: nt.mean(),
               lambda: nt.softmax(0), lambda: nt @ ember.ones(3, 2)):
        with pytest.raises(RuntimeError):
            op()


def test_regular_dims_and_jagged_parts():
    nj = ember.nested.nested_tensor([ember.ones(2, 3), ember.ones(4, 3)], layout=ember.jagged)
    assert nj.size(2) == 3 and nj.size(-1) == 3
    assert nj.values().shape == (6, 3)
    np.testing.assert_array_equal(nj.offsets().numpy(), [0, 2, 6])
    with pytest.raises(RuntimeError, match="irregular"):
        nj.size(1)
    v = ember.arange(10.).reshape(5, 2)
    f = ember.nested.nested_tensor_from_jagged(v, ember.tensor([0, 2, 5]))
    assert f.layout is ember.jagged
    assert_close(f.unbind()[1], np.arange(10.).reshape(5, 2)[2:], check_dtype=False)


def test_as_nested_tensor_keeps_autograd_and_gradcheck():
    x = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    y = ember.randn(1, 3, dtype=ember.float64, requires_grad=True)

    def f(x, y):
        return ember.nested.as_nested_tensor([x, y]).sin().to_padded_tensor(0.0)
    assert ember.autograd.gradcheck(f, (x, y))
    nt = ember.nested.nested_tensor([x, y])
    assert not nt.requires_grad  # nested_tensor copies: a new leaf
    assert ember.nested.nested_tensor([x, y], requires_grad=True).requires_grad


def test_bmm_and_narrow_and_repr():
    a = ember.nested.nested_tensor([ember.ones(2, 3), ember.ones(4, 3)])
    b = ember.nested.nested_tensor([ember.ones(3, 2), ember.ones(3, 5)])
    r = a.bmm(b)
    assert [tuple(t.shape) for t in r.unbind()] == [(2, 2), (4, 5)]
    assert_close(r.unbind()[1], np.full((4, 5), 3.0), check_dtype=False)
    n = ember.nested.narrow(ember.arange(15.).reshape(3, 5), 1, ember.tensor([0, 1, 2]), ember.tensor([2, 3, 1]),
                            layout=ember.jagged)
    assert [tuple(t.shape) for t in n.unbind()] == [(2,), (3,), (1,)]
    assert_close(n.unbind()[1], np.array([6., 7, 8]), check_dtype=False)
    s = repr(ember.nested.nested_tensor([ember.tensor([1., 2]), ember.tensor([3.])]))
    assert s == "nested_tensor([\n  tensor([1., 2.]),\n  tensor([3.])\n])"


def test_masked_select_rows_become_components():
    x = ember.arange(6.).reshape(2, 3)
    m = ember.tensor([[True, False, True], [False, False, True]])
    nt = ember.nested.masked_select(x, m)
    assert nt.layout is ember.jagged
    assert [t.tolist() for t in nt.unbind()] == [[0.0, 2.0], [5.0]]
    with pytest.raises(RuntimeError, match="bool mask"):
        ember.nested.masked_select(x, ember.ones(2, 3))


def test_other_devices_raise_instead_of_being_ignored():
    with pytest.raises(NotImplementedError, match="NestedTensorMeta"):
        ember.nested.nested_tensor([ember.ones(2)], device="meta")


def test_pickle_and_deepcopy():
    import copy
    import pickle
    nt = ember.nested.nested_tensor([ember.ones(2, 3), ember.arange(3.).reshape(1, 3)], layout=ember.jagged)
    for r in (pickle.loads(pickle.dumps(nt)), copy.deepcopy(nt)):
        assert r.is_nested and r.layout is ember.jagged
        assert_close(r.to_padded_tensor(0.0), nt.to_padded_tensor(0.0).numpy())

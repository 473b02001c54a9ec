"""DistributedSampler and the smaller torch.autograd pieces (Variable, is_tensor_like, switches)."""
import pytest

import ember
from ember.utils.data import DistributedSampler


def test_distributed_sampler_partitions_the_dataset():
    data = list(range(10))
    shards = [list(DistributedSampler(data, num_replicas=3, rank=r, shuffle=False)) for r in range(3)]
    assert shards == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]  # padded by wrapping around
    assert all(len(DistributedSampler(data, 3, r)) == 4 for r in range(3))
    dropped = [list(DistributedSampler(data, 3, r, shuffle=False, drop_last=True)) for r in range(3)]
    assert dropped == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    s = [DistributedSampler(data, 2, r, seed=7) for r in range(2)]
    a = [list(x) for x in s]
    assert sorted(a[0] + a[1]) == data
    assert [list(x) for x in s] == a  # same epoch, same order
    for x in s:
        x.set_epoch(1)
    b = [list(x) for x in s]
    assert sorted(b[0] + b[1]) == data and b != a
    with pytest.raises(ValueError, match="Invalid rank"):
        DistributedSampler(data, 2, 2)
    loader = ember.utils.data.DataLoader(data, batch_size=2, sampler=DistributedSampler(data, 5, 1, shuffle=False))
    assert [t.tolist() for t in loader] == [[1, 6]]


def test_autograd_variable_and_switches():
    t = ember.ones(2)
    v = ember.autograd.Variable(t, requires_grad=True)
    assert v is t and v.requires_grad and isinstance(t, ember.autograd.Variable)
    assert not isinstance(3.0, ember.autograd.Variable)
    with pytest.raises(RuntimeError, match="deprecated"):
        ember.autograd.variable([1.0])
    assert ember.autograd.is_tensor_like(t) and not ember.autograd.is_tensor_like([1.0])
    assert ember.autograd.is_multithreading_enabled()
    with ember.autograd.set_multithreading_enabled(False):
        assert not ember.autograd.is_multithreading_enabled()
    assert ember.autograd.is_multithreading_enabled()
    assert ember.autograd.is_view_replay_enabled() is False
    with ember.autograd.enforce_grad_layout_policy():
        w = ember.randn(3, 2, requires_grad=True)
        (w.t() * 2).sum().backward()
        assert w.grad.stride() == w.stride()


import numpy as np  # noqa: E402
from hypothesis import given, strategies as st  # noqa: E402

from strategies import strided_pair, np_of  # noqa: E402


@given(strided_pair(min_dims=1, max_dims=3, dtypes=["float64"]), st.sampled_from([1, 2]), st.floats(0.25, 3.0))
def test_gradient_matches_numpy(p, edge_order, h):
    t, a = p
    if min(a.shape) < edge_order + 1:
        return
    got = ember.gradient(t, spacing=h, edge_order=edge_order)
    want = np.gradient(a, h, edge_order=edge_order)
    want = want if isinstance(want, (list, tuple)) else [want]
    for g, w in zip(got, want):
        np.testing.assert_allclose(np_of(g), w, rtol=1e-9, atol=1e-9)


def test_gradient_coordinates_and_errors():
    a = np.random.default_rng(0).standard_normal((4, 5))
    xs = np.array([0.0, 1.0, 3.0, 4.5])
    for order in (1, 2):
        got = ember.gradient(ember.tensor(a), spacing=[ember.tensor(xs)], dim=0, edge_order=order)
        np.testing.assert_allclose(np_of(got[0]), np.gradient(a, xs, axis=0, edge_order=order), rtol=1e-9)
    with pytest.raises(RuntimeError, match="edge_order"):
        ember.gradient(ember.tensor([1.0, 2.0]), edge_order=2)
    assert ember.autograd.gradcheck(lambda t: ember.gradient(t, dim=1)[0],
                                    (ember.tensor(a, requires_grad=True),))


def test_histogramdd_matches_numpy():
    x = np.random.default_rng(1).standard_normal((60, 3))
    w = np.random.default_rng(2).random(60)
    h, e = ember.histogramdd(ember.tensor(x), [3, 4, 2], weight=ember.tensor(w), density=True)
    nh, ne = np.histogramdd(x, [3, 4, 2], weights=w, density=True)
    np.testing.assert_allclose(np_of(h), nh, rtol=1e-10)
    for a, b in zip(e, ne):
        np.testing.assert_allclose(np_of(a), b, rtol=1e-12)


def test_functional_rnn_entry_points_match_modules():
    ember.manual_seed(0)
    for mode, cls in (("lstm", ember.nn.LSTM), ("gru", ember.nn.GRU), ("rnn_tanh", ember.nn.RNN)):
        m = cls(3, 4, 2, bidirectional=True, batch_first=True)
        x = ember.randn(2, 5, 3)
        h0 = ember.randn(4, 2, 4)
        params = [getattr(m, n) for n in m._flat_weights_names]
        if mode == "lstm":
            c0 = ember.randn(4, 2, 4)
            out, (h, c) = m(x, (h0, c0))
            o2, h2, c2 = ember.lstm(x, (h0, c0), params, True, 2, 0.0, False, True, True)
            assert (c - c2).abs().max().item() == 0
        else:
            out, h = m(x, h0)
            o2, h2 = getattr(ember, mode)(x, h0, params, True, 2, 0.0, False, True, True)
        assert (out - o2).abs().max().item() == 0 and (h - h2).abs().max().item() == 0
    cell = ember.nn.GRUCell(3, 4)
    x, h = ember.randn(2, 3), ember.randn(2, 4)
    got = ember.gru_cell(x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    assert (got - cell(x, h)).abs().max().item() == 0


def test_native_entry_points_and_small_functions():
    x = ember.randn(3, 4, dtype=ember.float64)
    out, mean, rstd = ember.native_layer_norm(x, [4], None, None, 1e-5)
    a = np_of(x)
    np.testing.assert_allclose(np_of(mean).ravel(), a.mean(1))
    np.testing.assert_allclose(np_of(rstd).ravel(), 1 / np.sqrt(a.var(1) + 1e-5))
    y, keep = ember.native_dropout(x, 0.5, True)
    np.testing.assert_allclose(np_of(y), np.where(np_of(keep), a * 2, 0.0))
    assert ember.nonzero_static(ember.tensor([0, 3, 0, 4]), size=1).tolist() == [[1]]
    assert ember.nonzero_static(ember.tensor([0, 3]), size=3, fill_value=9).tolist() == [[1], [9], [9]]
    buf = bytearray(np.arange(4, dtype=np.float32).tobytes())
    t = ember.frombuffer(buf, dtype=ember.float32, count=2, offset=4)
    assert t.tolist() == [1.0, 2.0]
    t[0] = 7.0
    assert np.frombuffer(buf, dtype=np.float32)[1] == 7.0  # shares the buffer
    with pytest.raises(ValueError, match="multiple of element size"):
        ember.frombuffer(bytearray(5), dtype=ember.float32)
    ember.manual_seed(3)
    draws = np_of(ember.binomial(ember.full((4000,), 12.0), ember.full((4000,), 0.25)))
    assert abs(draws.mean() - 3.0) < 0.1 and abs(draws.var() - 2.25) < 0.2 and draws.max() <= 12
    assert ember.range(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert ember.constant_pad_nd(ember.ones(2), [1, 2], 5.0).tolist() == [5.0, 1.0, 1.0, 5.0, 5.0]
    w = ember.randn(4, 3, 2, 2)
    xi = ember.randn(1, 3, 5, 5)
    np.testing.assert_allclose(np_of(ember.convolution(xi, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)),
                               np_of(ember.nn.functional.conv2d(xi, w)))
    v = ember.randn(3, 4)
    assert ember.norm_except_dim(v, 2, 0).shape == (3, 1)
    assert v.new(2, 2).shape == (2, 2) and v.new([1, 2]).dtype == ember.float32 and v.new().numel() == 0
    assert v.bernoulli(0.0).sum().item() == 0 and v.const_data_ptr() == v.data_ptr()
    assert not ember.is_distributed(v) and not v.is_nested


def test_legacy_tensor_types_and_typed_storage():
    import warnings
    x = ember.arange(6.0).reshape(2, 3)
    assert isinstance(x, ember.FloatTensor) and not isinstance(x, ember.LongTensor)
    assert isinstance(ember.tensor([1]), ember.LongTensor)
    assert ember.FloatTensor(2, 3).shape == (2, 3) and ember.LongTensor([1, 2]).dtype == ember.int64
    assert ember.DoubleTensor().numel() == 0 and ember.ByteTensor(ember.Size([2])).dtype == ember.uint8
    with pytest.raises(TypeError, match="expected"):
        ember.LongTensor(x)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        s = x[1].storage()
    assert any("TypedStorage is deprecated" in str(m.message) for m in w)
    assert type(s) is ember.FloatStorage and len(s) == 6 and s.dtype == ember.float32
    assert s[4] == 4.0 and s[1:3].tolist() == [1.0, 2.0] and x.storage_type() is ember.FloatStorage
    s[0] = 10.0
    assert x[0, 0].item() == 10.0  # the storage is the tensor's memory
    assert s.untyped().nbytes() == 24 and isinstance(s.untyped(), ember.UntypedStorage)
    assert ember.IntStorage([1, 2]).tolist() == [1, 2] and ember.TypedStorage(3, dtype=ember.float64).size() == 3


def test_post_accumulate_grad_hook():
    w = ember.randn(3, requires_grad=True)
    seen = []
    h = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.clone()))
    (w * 2).sum().backward()
    (w * 3).sum().backward()
    assert [s.tolist() for s in seen] == [[2.0] * 3, [5.0] * 3]  # called after accumulation
    h.remove()
    w.sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda p: None)


def test_vmap_empty_permuted_segment_reduce():
    a, b = ember.randn(4, 3), ember.randn(4, 3)
    np.testing.assert_allclose(np_of(ember.vmap(ember.dot)(a, b)), (np_of(a) * np_of(b)).sum(1), rtol=1e-6)
    out = ember.vmap(lambda x, y: (x * y, x + y), in_dims=(1, None), out_dims=(0, 1))(a, ember.tensor(2.0))
    assert out[0].shape == (3, 4) and out[1].shape == (4, 3)
    with pytest.raises(ValueError, match="same size"):
        ember.vmap(ember.dot)(ember.ones(2, 3), ember.ones(3, 3))
    x = ember.randn(3, requires_grad=True)
    ember.vmap(lambda v: v * v)(x.reshape(3, 1)).sum().backward()
    np.testing.assert_allclose(np_of(x.grad), 2 * np_of(x.detach()), rtol=1e-6)
    t = ember.empty_permuted((2, 3, 4, 5), (0, 2, 3, 1))
    assert t.shape == (2, 3, 4, 5) and t.stride() == (60, 1, 15, 3)
    d = ember.arange(12.0).reshape(6, 2)
    got = ember.segment_reduce(d, "mean", lengths=ember.tensor([2, 0, 4]))
    want = np.array([np_of(d)[:2].mean(0), [np.nan, np.nan], np_of(d)[2:].mean(0)])
    np.testing.assert_allclose(np_of(got), want)
    got = ember.segment_reduce(d, "max", offsets=ember.tensor([0, 3, 6]), initial=8.0)
    np.testing.assert_allclose(np_of(got), [[8.0, 8.0], [10.0, 11.0]])
    with pytest.raises(RuntimeError, match="sum to"):
        ember.segment_reduce(d, "sum", lengths=[1, 2])

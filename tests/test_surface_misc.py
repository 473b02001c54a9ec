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

"""DistributedSampler: partition, padding, drop_last, shuffling per epoch (no MPI needed)."""
import warnings

import pytest
from hypothesis import given, settings, strategies as st

from ember.utils.data import DistributedSampler


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), replicas=st.integers(1, 6), shuffle=st.booleans(), drop_last=st.booleans(),
       seed=st.integers(0, 5), epoch=st.integers(0, 3))
def test_partition_and_padding(n, replicas, shuffle, drop_last, seed, epoch):
    parts = []
    for r in range(replicas):
        s = DistributedSampler(range(n), num_replicas=replicas, rank=r, shuffle=shuffle, seed=seed,
                               drop_last=drop_last)
        s.set_epoch(epoch)
        parts.append(list(s))
        assert len(parts[-1]) == len(s)
    sizes = {len(p) for p in parts}
    assert len(sizes) == 1  # every rank the same number of samples
    flat = [i for p in parts for i in p]
    if drop_last:
        assert len(sizes) == 1 and sizes.pop() == n // replicas
        assert len(set(flat)) == len(flat)  # nothing repeated
    else:
        assert set(flat) == set(range(n))   # everything covered
        assert len(flat) == -(-n // replicas) * replicas
        assert len(flat) - len(set(flat)) < replicas  # padding repeats fewer than num_replicas indices
    if not shuffle:
        expect = list(range(n)) + list(range(n)) * replicas
        for r in range(replicas):
            assert parts[r] == expect[:len(parts[0]) * replicas][r::replicas]


def test_shuffle_depends_on_epoch_and_seed_only():
    a = DistributedSampler(range(50), num_replicas=2, rank=0, seed=3)
    b = DistributedSampler(range(50), num_replicas=2, rank=0, seed=3)
    assert list(a) == list(b)
    a.set_epoch(1)
    b.set_epoch(1)
    first = list(a)
    assert first == list(b) and first != list(DistributedSampler(range(50), num_replicas=2, rank=0, seed=3))


def test_iterating_an_epoch_twice_warns():
    s = DistributedSampler(range(10), num_replicas=2, rank=1)
    list(s)
    with pytest.warns(UserWarning, match="set_epoch"):
        list(s)
    s.set_epoch(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(s)
        list(DistributedSampler(range(10), num_replicas=2, rank=1, shuffle=False).__iter__())


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(RuntimeError, match="Requires distributed package"):
        DistributedSampler(range(4))

"""``DistributedSampler``: each rank iterates its own 1/num_replicas share of a dataset.

Epoch e, shuffled: one permutation of ``range(len(dataset))`` drawn from a generator seeded
with ``seed + e`` — the same on every rank, so the shares never overlap. The list is padded by
repeating its head (or cut, with ``drop_last``) to ``num_samples * num_replicas`` indices, and
rank r takes every num_replicas-th index starting at r.
"""
import math
import warnings

from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Restricts loading to this rank's share of ``dataset``. Call ``set_epoch(epoch)`` before
    each epoch: with ``shuffle=True`` the order depends on ``seed + epoch`` and would otherwise
    repeat (iterating the same epoch twice warns)."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if not dist.is_initialized():
                raise RuntimeError("Requires distributed package to be available (call "
                                   "ember.distributed.init_process_group first, or pass num_replicas and rank)")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if not isinstance(num_replicas, int) or num_replicas <= 0:
            raise ValueError(f"num_replicas should be a positive integer, got {num_replicas!r}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self._last_shuffled_epoch = None

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            if self._last_shuffled_epoch == self.epoch:
                warnings.warn(f"DistributedSampler: epoch {self.epoch} is being iterated again with shuffle=True, so "
                              "it repeats the previous order; call sampler.set_epoch(epoch) at the start of every "
                              "epoch", UserWarning, stacklevel=2)
            self._last_shuffled_epoch = self.epoch
            from ... import _native, _creation
            g = _native.Generator().manual_seed(self.seed + self.epoch)
            indices = _creation.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad > 0 and indices:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[:self.total_size]
        assert len(indices) == self.total_size
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Sets the epoch that seeds the shuffle; call it before each epoch's iteration."""
        self.epoch = epoch

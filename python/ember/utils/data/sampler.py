"""Samplers: iterables of dataset indices (or, for ``BatchSampler``, of index lists).

Random samplers draw from their ``generator`` when given one, so a seeded generator
reproduces the order; without one, each ``iter()`` seeds a fresh generator from the global
one (so ``ember.manual_seed`` reproduces it too).
"""
import bisect
import itertools
import math

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]


def _ember():
    from ... import _native, _creation

    return _native, _creation


def _fresh_generator():
    """A generator seeded from the global one (PyTorch's RandomSampler does the same)."""
    _native, _creation = _ember()
    seed = _creation.randint(0, 2**63 - 1, ()).item()
    return _native.Generator().manual_seed(seed)


class Sampler:
    """Base class: subclasses implement ``__iter__`` (and ``__len__`` when they can)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """``0, 1, …, len(data_source) - 1``."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation (``replacement=False``; ``num_samples`` beyond ``len`` chains
    further permutations), or ``num_samples`` uniform draws with replacement."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source, self.replacement, self._num_samples, self.generator = data_source, replacement, num_samples, generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        _, _creation = _ember()
        n = len(self.data_source)
        gen = self.generator if self.generator is not None else _fresh_generator()
        if self.replacement:
            # Chunks of 32 keep the draws lazy for huge num_samples.
            for _ in range(self.num_samples // 32):
                yield from _creation.randint(0, n, (32,), generator=gen).tolist()
            yield from _creation.randint(0, n, (self.num_samples % 32,), generator=gen).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from _creation.randperm(n, generator=gen).tolist()
            yield from _creation.randperm(n, generator=gen).tolist()[:self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in random order, without replacement."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = indices, generator

    def __iter__(self):
        _, _creation = _ember()
        for i in _creation.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


def _weighted_draws(weights, num_samples, replacement, generator):
    """Indices drawn with probability proportional to ``weights`` (``ember.multinomial``'s
    rule). With replacement: inverse CDF of uniform draws. Without: the ``num_samples``
    smallest keys ``E_i / w_i`` (``E_i`` exponential), which picks items in the same
    distribution as drawing one at a time and removing it."""
    _, _creation = _ember()
    if any(not w >= 0 or math.isinf(w) for w in weights):
        raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0, inf or nan)")
    total = math.fsum(weights)
    if total <= 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    from ... import float64

    u = _creation.rand(num_samples if replacement else len(weights), dtype=float64, generator=generator).tolist()
    if replacement:
        cdf = list(itertools.accumulate(weights))
        last = max(i for i, w in enumerate(weights) if w > 0)
        return [min(bisect.bisect_right(cdf, x * cdf[-1]), last) for x in u]
    if num_samples > len(weights):
        raise RuntimeError(f"cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                           f"({num_samples} samples from {len(weights)} categories)")
    if num_samples > sum(1 for w in weights if w > 0):
        raise RuntimeError("invalid multinomial distribution (with replacement=False, not enough non-negative "
                           "category to sample)")
    keys = [(-math.log1p(-x) / w) if w > 0 else math.inf for x, w in zip(u, weights)]
    return sorted(range(len(weights)), key=keys.__getitem__)[:num_samples]


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices ``i`` drawn with probability ``weights[i] / sum(weights)``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        from ..._native import Tensor

        if isinstance(weights, Tensor):
            if weights.ndim != 1:
                raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(weights.shape)}")
            w = weights.tolist()
        else:
            w = list(weights)
            if any(isinstance(x, (list, tuple)) or (isinstance(x, Tensor) and x.ndim > 0) for x in w):
                raise ValueError(f"weights should be a 1d sequence but given weights have shape ({len(w)}, {len(w[0])})")
        self.weights = [float(x) for x in w]
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator

    def __iter__(self):
        yield from _weighted_draws(self.weights, self.num_samples, self.replacement, self.generator)

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``)."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size

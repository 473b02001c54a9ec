"""ember.utils.data: datasets, samplers, default_collate and the DataLoader (incl. workers)."""
import collections
import contextlib
import os
import signal

import numpy as np
import pytest

import ember
from ember.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,
                              SequentialSampler, Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                              default_collate, default_convert, get_worker_info, random_split)


@contextlib.contextmanager
def deadline(seconds):
    """Fails the test instead of hanging it."""
    def boom(*_):
        raise TimeoutError(f"test still running after {seconds} s (a hang)")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def flat(batches):
    return [x for b in batches for x in b.tolist()]


class Squares(Dataset):
    """Sample i: (tensor [i, i*i] float32, i, f"s{i}")."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i >= self.n:
            raise IndexError(i)
        return ember.tensor([float(i), float(i * i)]), i, f"s{i}"


# ---- datasets ----

def test_tensor_dataset_and_size_mismatch():
    x, y = ember.arange(10).reshape(5, 2), ember.arange(5)
    ds = TensorDataset(x, y)
    assert len(ds) == 5
    a, b = ds[3]
    assert a.tolist() == [6, 7] and b.item() == 3
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, ember.arange(4))


def test_subset_concat_and_random_split():
    ds = TensorDataset(ember.arange(10))
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3 and sub[0][0].item() == 7
    cat = ConcatDataset([sub, TensorDataset(ember.arange(100, 104))])
    assert len(cat) == 7 and cat[3][0].item() == 100 and cat[-1][0].item() == 103 and cat[2][0].item() == 5
    assert len(sub + sub) == 6
    with pytest.raises(ValueError, match="absolute value of index"):
        cat[-8]

    from ember.utils.data import ChainDataset, StackDataset

    st = StackDataset(ds, range(10))
    assert st[2][0][0].item() == 2 and st[2][1] == 2
    assert StackDataset(x=ds, y=range(10))[3]["y"] == 3
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(ds, range(3))
    assert list(ChainDataset([Stream(2), Stream(3)])) == [0, 1, 0, 1, 2] and len(Stream(2) + Stream(3)) == 5

    parts = random_split(ds, [3, 7], generator=ember.Generator().manual_seed(1))
    again = random_split(ds, [3, 7], generator=ember.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7] and parts[0].indices == again[0].indices
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    fr = random_split(ds, [0.5, 0.3, 0.2], generator=ember.Generator().manual_seed(0))
    assert [len(p) for p in fr] == [5, 3, 2]
    assert [len(p) for p in random_split(range(7), [0.5, 0.5])] == [4, 3]  # remainder goes first
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset"):
        random_split(ds, [3, 3])


# ---- samplers ----

def test_sequential_random_and_subset_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    g = ember.Generator().manual_seed(3)
    perm = list(RandomSampler(range(10), generator=g))
    assert sorted(perm) == list(range(10))
    assert list(RandomSampler(range(10), generator=ember.Generator().manual_seed(3))) == perm
    draws = list(RandomSampler(range(3), replacement=True, num_samples=70, generator=g))
    assert len(draws) == 70 and set(draws) == {0, 1, 2}
    longer = list(RandomSampler(range(4), num_samples=10, generator=g))
    assert len(longer) == 10 and sorted(longer[:4]) == [0, 1, 2, 3] and sorted(longer[4:8]) == [0, 1, 2, 3]
    assert len(RandomSampler(range(4), num_samples=10)) == 10
    ember.manual_seed(5)
    a = list(RandomSampler(range(20)))
    ember.manual_seed(5)
    assert list(RandomSampler(range(20))) == a  # no generator: follows the global seed
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)
    sub = list(SubsetRandomSampler([10, 20, 30], generator=g))
    assert sorted(sub) == [10, 20, 30]


def test_weighted_random_sampler():
    g = ember.Generator().manual_seed(0)
    draws = list(WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=g))
    counts = collections.Counter(draws)
    assert counts[0] == 0 and 0.70 < counts[2] / 4000 < 0.80
    no_rep = list(WeightedRandomSampler(ember.tensor([1.0, 0.0, 5.0, 2.0]), 3, replacement=False, generator=g))
    assert sorted(no_rep) == [0, 2, 3]
    firsts = collections.Counter(list(WeightedRandomSampler([1.0, 9.0], 2, replacement=False, generator=g))[0]
                                 for _ in range(500))
    assert firsts[1] > 400  # the heavy item is usually drawn first
    with pytest.raises(RuntimeError, match="not enough non-negative category"):
        list(WeightedRandomSampler([1.0, 0.0], 2, replacement=False))
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler(ember.ones(2, 2), 2)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        WeightedRandomSampler([1.0], -1)


def test_batch_sampler():
    assert list(BatchSampler(range(7), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), 0, False)


# ---- collate ----

Point = collections.namedtuple("Point", "x y")


def test_default_collate_cases():
    t = default_collate([ember.tensor([1, 2]), ember.tensor([3, 4])])
    assert t.tolist() == [[1, 2], [3, 4]] and t.dtype == ember.int64
    f = default_collate([1.5, 2.0])
    assert f.dtype == ember.float64 and f.tolist() == [1.5, 2.0]
    i = default_collate([1, 2])
    assert i.dtype == ember.int64 and i.tolist() == [1, 2]
    assert default_collate([True, False]).dtype == ember.bool
    assert default_collate(["a", "b"]) == ["a", "b"]
    a = default_collate([np.array([1.0, 2.0], dtype=np.float32), np.array([3.0, 4.0], dtype=np.float32)])
    assert a.dtype == ember.float32 and a.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    s = default_collate([np.float64(0.5), np.float64(1.5)])
    assert s.dtype == ember.float64 and s.tolist() == [0.5, 1.5]
    assert default_collate([np.int32(1), np.int32(2)]).dtype == ember.int32
    pairs = default_collate([(ember.tensor(1.0), 0), (ember.tensor(2.0), 1)])
    assert isinstance(pairs, list) and pairs[0].tolist() == [1.0, 2.0] and pairs[1].tolist() == [0, 1]
    d = default_collate([{"x": 1, "y": [1.0, 2.0]}, {"x": 2, "y": [3.0, 4.0]}])
    assert d["x"].tolist() == [1, 2] and [v.tolist() for v in d["y"]] == [[1.0, 3.0], [2.0, 4.0]]
    od = default_collate([collections.OrderedDict(b=1, a=2)] * 2)
    assert type(od) is collections.OrderedDict and list(od) == ["b", "a"]
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3] and p.y.dtype == ember.float64
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([ember.ones(2), ember.ones(3)])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([object(), object()])


def test_default_convert():
    out = default_convert({"a": np.arange(3), "b": (np.float32(1.0), "s"), "c": 5})
    assert isinstance(out["a"], ember.Tensor) and out["a"].tolist() == [0, 1, 2]
    assert isinstance(out["b"], list) and out["b"][0].dtype == ember.float32 and out["b"][1] == "s"
    assert out["c"] == 5
    t = ember.ones(2)
    assert default_convert(t) is t


# ---- DataLoader, main process ----

def test_batching_len_and_drop_last():
    ds = TensorDataset(ember.arange(10).reshape(5, 2), ember.arange(5))
    loader = DataLoader(ds, batch_size=2)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert batches[0][0].tolist() == [[0, 1], [2, 3]] and batches[2][1].tolist() == [4]
    assert len(DataLoader(ds, batch_size=2, drop_last=True)) == 2
    assert [b[1].tolist() for b in DataLoader(ds, batch_size=2, drop_last=True)] == [[0, 1], [2, 3]]
    assert [b[1].item() for b in DataLoader(ds, batch_size=None)] == [0, 1, 2, 3, 4]
    assert list(DataLoader(list(range(5)), batch_size=None)) == [0, 1, 2, 3, 4]  # ints stay ints
    assert [list(b) for b in DataLoader(ds, batch_sampler=[[4, 0], [1]])][0][1].tolist() == [4, 0]


def test_seeded_shuffle_is_reproducible_and_iterating_twice_works():
    ds = TensorDataset(ember.arange(20))
    loader = DataLoader(ds, batch_size=6, shuffle=True, generator=ember.Generator().manual_seed(7))
    e1, e2 = [flat(b for (b,) in loader) for _ in range(2)]
    assert sorted(e1) == sorted(e2) == list(range(20)) and e1 != e2
    again = DataLoader(ds, batch_size=6, shuffle=True, generator=ember.Generator().manual_seed(7))
    assert [flat(b for (b,) in again) for _ in range(2)] == [e1, e2]


def test_loader_argument_errors():
    ds = TensorDataset(ember.arange(4))
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, shuffle=True, sampler=SequentialSampler(ds))
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(4), shuffle=True)
    loader = DataLoader(ds, pin_memory=True)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 3


# ---- DataLoader, workers ----

def collect(loader):
    return [(b[0].tolist(), b[1].tolist(), b[2]) for b in loader]


@pytest.mark.parametrize("workers,batch,shuffle", [(2, 3, True), (3, 4, False)])
def test_workers_give_the_same_batches_as_the_main_process(workers, batch, shuffle):
    ds = Squares(23)
    with deadline(30):
        ref = collect(DataLoader(ds, batch_size=batch, shuffle=shuffle, generator=ember.Generator().manual_seed(1)))
        loader = DataLoader(ds, batch_size=batch, shuffle=shuffle, num_workers=workers,
                            generator=ember.Generator().manual_seed(1))
        got = collect(loader)
        assert got == ref and len(got) == len(loader)
        batch0 = next(iter(loader))
        assert batch0[0].is_shared()  # collated in the worker straight into shared memory


def test_persistent_workers_match_across_epochs():
    ds = Squares(10)
    with deadline(30):
        ref = DataLoader(ds, batch_size=3, shuffle=True, generator=ember.Generator().manual_seed(4))
        loader = DataLoader(ds, batch_size=3, shuffle=True, num_workers=2, persistent_workers=True,
                            prefetch_factor=1, generator=ember.Generator().manual_seed(4))
        for _ in range(2):
            assert collect(loader) == collect(ref)
        next(iter(loader))  # abandon an epoch half-way: the next one still starts clean
        next(iter(ref))
        assert collect(loader) == collect(ref)


class WhoAmI(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return i, info.id, info.num_workers, info.seed, os.environ.get("EMBER_TEST_INIT", "")


def _init_worker(worker_id):
    os.environ["EMBER_TEST_INIT"] = f"init{worker_id}"


def test_worker_init_fn_and_get_worker_info():
    assert get_worker_info() is None
    with deadline(30):
        batches = list(DataLoader(WhoAmI(), batch_size=2, num_workers=2, worker_init_fn=_init_worker))
    assert [b[0].tolist() for b in batches] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert [b[1].tolist() for b in batches] == [[0, 0], [1, 1], [0, 0], [1, 1]]  # batch k from worker k % 2
    assert all(b[2].tolist() == [2, 2] for b in batches)
    seeds = {b[1][0].item(): b[3][0].item() for b in batches}
    assert seeds[1] == seeds[0] + 1
    assert [b[4] for b in batches][:2] == [["init0", "init0"], ["init1", "init1"]]
    assert "EMBER_TEST_INIT" not in os.environ


class Faulty(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 4:
            return _deep_failure(i)
        return ember.tensor(i)


def _deep_failure(i):
    raise ValueError(f"sample {i} is broken")


def test_worker_exception_is_reraised_with_its_traceback():
    loader = DataLoader(Faulty(), batch_size=2, num_workers=2)
    with deadline(30):
        it = iter(loader)
        assert next(it).tolist() == [0, 1] and next(it).tolist() == [2, 3]
        with pytest.raises(ValueError) as e:
            next(it)
    msg = str(e.value)
    assert "Caught ValueError in DataLoader worker process 0" in msg
    assert "Original Traceback" in msg and "_deep_failure" in msg and "sample 4 is broken" in msg


class Killer(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            os.kill(os.getpid(), signal.SIGKILL)
        return ember.tensor(i)


def test_a_killed_worker_is_an_error_not_a_hang():
    with deadline(20):
        with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid \d+\) exited unexpectedly.*SIGKILL"):
            list(DataLoader(Killer(), batch_size=2, num_workers=2))


class Slow(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        import time

        time.sleep(5)
        return i


def test_timeout():
    with deadline(20):
        with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
            list(DataLoader(Slow(), num_workers=1, timeout=0.3))


class Stream(IterableDataset):
    """0..n-1, each worker taking its own contiguous share."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __iter__(self):
        info = get_worker_info()
        lo, hi = 0, self.n
        if info is not None:
            per = -(-self.n // info.num_workers)
            lo, hi = info.id * per, min(self.n, (info.id + 1) * per)
        return iter(range(lo, hi))


def test_iterable_dataset_with_worker_sharding():
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(DataLoader(Stream(7), batch_size=3)) == 3
    with deadline(30):
        batches = [b.tolist() for b in DataLoader(Stream(10), batch_size=2, num_workers=2)]
        # Worker 0 streams 0..4 and worker 1 5..9; batches alternate between them.
        assert batches == [[0, 1], [5, 6], [2, 3], [7, 8], [4], [9]]
        dropped = [b.tolist() for b in DataLoader(Stream(10), batch_size=2, num_workers=2, drop_last=True)]
        assert dropped == [[0, 1], [5, 6], [2, 3], [7, 8]]
        persistent = DataLoader(Stream(6), batch_size=None, num_workers=3, persistent_workers=True)
        for _ in range(2):
            assert sorted(persistent) == list(range(6))


def test_samples_without_batching_send_only_their_own_elements():
    big = TensorDataset(ember.arange(4000).reshape(1000, 4))
    with deadline(30):
        samples = list(DataLoader(big, batch_size=None, num_workers=1))
    assert [s[0].tolist() for s in samples[:2]] == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(samples) == 1000
    s = samples[-1][0]
    assert s.is_shared() and s.untyped_storage().nbytes() == s.nbytes  # not the whole 32 KB dataset
    assert not big.tensors[0].is_shared()  # the parent's dataset is untouched


def test_breaking_out_early_shuts_the_workers_down():
    import time

    loader = DataLoader(Squares(100), batch_size=2, num_workers=2)
    with deadline(20):
        it = iter(loader)
        next(it)
        workers = list(it._workers)
        start = time.monotonic()
        del it
        assert all(not w.is_alive() for w in workers)
        assert time.monotonic() - start < 4


def test_spawn_start_method():
    # Everything a worker needs (dataset, collate_fn, pipes) must pickle under spawn.
    ds = TensorDataset(ember.arange(20).reshape(10, 2), ember.arange(10))
    ref = [(a.tolist(), b.tolist()) for a, b in DataLoader(ds, batch_size=4)]
    with deadline(60):
        loader = DataLoader(ds, batch_size=4, num_workers=1, multiprocessing_context="spawn")
        assert [(a.tolist(), b.tolist()) for a, b in loader] == ref
    with pytest.raises(ValueError, match="multiprocessing_context option should specify a valid start method"):
        DataLoader(ds, num_workers=1, multiprocessing_context="teleport")


def test_out_of_order_delivery_yields_every_batch():
    with deadline(30):
        got = [b[1].tolist() for b in DataLoader(Squares(12), batch_size=2, num_workers=2, in_order=False,
                                                 prefetch_factor=0)]
    assert sorted(got) == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]


def _failing_init(worker_id):
    raise KeyError(f"no config for worker {worker_id}")


def test_worker_init_fn_failure_is_reported_for_its_batches():
    loader = DataLoader(Squares(4), batch_size=1, num_workers=1, worker_init_fn=_failing_init)
    with deadline(30):
        it = iter(loader)
        for _ in range(2):
            with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0") as e:
                next(it)
            assert "_failing_init" in str(e.value) and "no config for worker 0" in str(e.value)


class NumpyDicts(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return {"x": np.full((2,), i, dtype=np.float32), "y": i * 0.5, "name": f"n{i}", "pt": Point(i, [i, -i])}


def test_workers_collate_numpy_and_nested_samples_like_the_main_process():
    def norm(b):
        return (b["x"].tolist(), b["x"].dtype, b["y"].tolist(), b["y"].dtype, b["name"], b["pt"].x.tolist(),
                [v.tolist() for v in b["pt"].y])

    ref = [norm(b) for b in DataLoader(NumpyDicts(), batch_size=4)]
    with deadline(30):
        got = [norm(b) for b in DataLoader(NumpyDicts(), batch_size=4, num_workers=2)]
    assert got == ref and ref[1][0] == [[4.0, 4.0], [5.0, 5.0]] and ref[0][3] == ember.float64

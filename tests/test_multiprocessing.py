"""ember.multiprocessing: shared-memory storages and tensors crossing processes without copies."""
import os

import pytest

import ember
import ember.multiprocessing as mp

ctx = mp.get_context("fork")


def test_share_memory_moves_the_storage_in_place_for_every_view():
    base = ember.arange(12, dtype=ember.float32).reshape(3, 4)
    view = base[1:, ::2]
    storage_before = base.untyped_storage()
    assert not base.is_shared() and not view.is_shared()
    assert base.share_memory_() is base
    assert base.is_shared() and view.is_shared()
    assert base.untyped_storage() == storage_before  # same storage object, new memory
    assert base.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    view.fill_(-1)  # a write through the view lands in the same shared buffer
    assert base.tolist() == [[0, 1, 2, 3], [-1, 5, -1, 7], [-1, 9, -1, 11]]
    assert view.data_ptr() == base.data_ptr() + (4 * 4)
    ptr = base.data_ptr()
    base.share_memory_()  # already shared: nothing moves
    assert base.data_ptr() == ptr
    assert base.untyped_storage().is_shared()
    other = ember.ones(3)
    assert other.untyped_storage().share_memory_().is_shared() and other.is_shared()


@pytest.mark.parametrize("dtype", [ember.float64, ember.bfloat16, ember.int8, ember.bool])
def test_share_memory_keeps_values_of_every_dtype(dtype):
    t = ember.tensor([0, 1, 1, 0, 1]).to(dtype)
    expect = t.tolist()
    t.share_memory_()
    assert t.tolist() == expect and t.dtype == dtype


def test_empty_tensor_can_be_shared():
    t = ember.zeros(0, 3).share_memory_()
    assert t.is_shared() and tuple(t.shape) == (0, 3)


def _child_writes(t, done):
    t[0] = 42
    t.add_(1)
    done.set()


def test_child_process_writes_are_seen_by_the_parent():
    t = ember.zeros(4, dtype=ember.int64).share_memory_()
    done = ctx.Event()
    p = ctx.Process(target=_child_writes, args=(t, done))
    p.start()
    p.join(10)
    assert p.exitcode == 0 and done.is_set()
    assert t.tolist() == [43, 1, 1, 1]


def _echo(q_in, q_out):
    t = q_in.get(timeout=10)
    # Report where the data lives here, write into it, and send it back.
    q_out.put((t.is_shared(), tuple(t.shape), t.stride(), t.storage_offset()))
    t.mul_(10)
    q_out.put(t)
    q_in.get(timeout=10)  # keep the tensor (and this process) alive until the parent took it


def test_queue_round_trip_shares_memory_without_copy():
    q_in, q_out = ctx.Queue(), ctx.Queue()
    base = ember.arange(12, dtype=ember.float32).reshape(3, 4)
    view = base.t()[1:]  # strided, offset view
    p = ctx.Process(target=_echo, args=(q_in, q_out))
    p.start()
    try:
        q_in.put(view)
        shared, shape, stride, offset = q_out.get(timeout=10)
        assert shared and shape == (3, 3) and stride == (1, 4) and offset == 1
        back = q_out.get(timeout=10)
        assert base.is_shared()  # sending moved the sender's storage into shared memory
        # The child's in-place write is visible here through the original tensor.
        assert base.tolist() == [[0, 10, 20, 30], [4, 50, 60, 70], [8, 90, 100, 110]]
        assert back.tolist() == view.tolist()
        back[0, 0] = -5  # and ours in the copy that came back, which maps the same memory
        assert base[0, 1].item() == -5
        q_in.put(None)
    finally:
        p.join(10)
    assert p.exitcode == 0


def test_non_leaf_requiring_grad_is_refused():
    import multiprocessing.reduction as red

    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Cowardly refusing"):
        red.ForkingPickler.dumps(x * 2)
    y = red.ForkingPickler.loads(red.ForkingPickler.dumps(x))  # a leaf may go, with its flag
    assert y.requires_grad and y.is_shared()
    import pickle

    z = pickle.loads(pickle.dumps(x * 2))  # plain pickle copies the values of anything
    assert z.tolist() == [2.0, 2.0] and z.is_leaf and not z.is_shared()


def _pool_sum(t):
    return t.sum().item()


def test_pool_and_reexported_api():
    for name in ("Process", "Queue", "Pool", "get_context", "set_start_method", "cpu_count", "Event"):
        assert hasattr(mp, name)
    with ctx.Pool(1) as pool:
        assert pool.map(_pool_sum, [ember.ones(3), ember.ones(5)]) == [3.0, 5.0]
    assert mp.get_sharing_strategy() == "file_descriptor"
    with pytest.raises(ValueError):
        mp.set_sharing_strategy("file_system")


def test_full_shared_memory_is_a_clear_error(tmp_path, monkeypatch):
    # More bytes than /dev/shm holds in total: posix_fallocate refuses at once (ENOSPC), so
    # the test needs no memory, and the error comes before anything is mapped.
    stat = os.statvfs("/dev/shm")
    total = stat.f_blocks * stat.f_frsize
    with pytest.raises(RuntimeError, match=r"unable to allocate \d+ bytes of shared memory in /dev/shm.*--shm-size"):
        ember._native._empty_shared([total + (1 << 20)], ember.uint8, "/dev/shm")
    monkeypatch.setenv("EMBER_SHM_DIR", str(tmp_path / "missing"))
    with pytest.raises(RuntimeError, match="unable to create a shared-memory file"):
        ember.ones(3).share_memory_()


def _big_op(q):
    x = ember.ones(1_000_000)
    q.put((x + x).sum().item())


def test_forked_child_can_run_parallel_kernels():
    # The parent's pool threads don't survive fork; without a fresh pool the child would
    # wait on them forever.
    x = ember.ones(1_000_000)
    assert (x + x).sum().item() == 2e6  # the parent's pool is up
    q = ctx.Queue()
    p = ctx.Process(target=_big_op, args=(q,))
    p.start()
    try:
        assert q.get(timeout=20) == 2e6
    finally:
        p.join(5)
        if p.is_alive():
            p.terminate()


class Tagged(ember.Tensor):
    """A subclass defined after ember was imported still crosses processes as shared memory."""


def test_tensor_subclasses_are_shared_too():
    import multiprocessing.reduction as red

    t = Tagged(ember.ones(3))
    u = red.ForkingPickler.loads(red.ForkingPickler.dumps(t))
    assert type(u) is Tagged and u.is_shared() and t.is_shared() and u.tolist() == [1.0, 1.0, 1.0]


def test_rebuilding_from_a_bad_handle_fails_cleanly():
    t = ember.ones(4).share_memory_()
    fd, nbytes = ember._native._shared_fd(t)
    for bad in ([100], [4, 4]):  # addresses bytes outside the segment / strides length mismatch
        dup = os.dup(fd)
        with pytest.raises(RuntimeError):
            ember._native._from_shared_fd(dup, nbytes, ember.float32, bad, [1], 0)
        with pytest.raises(OSError):
            os.fstat(dup)  # the descriptor was taken over and closed, not leaked
    dup = os.dup(fd)
    u = ember._native._from_shared_fd(dup, nbytes, ember.float32, [2], [2], 1)
    u.fill_(7)
    assert t.tolist() == [1.0, 7.0, 1.0, 7.0]


def _spawn_fn(i, t, fail_at):
    if i == fail_at:
        raise ValueError(f"rank {i} failed")
    t[i] = i + 1


def test_spawn_runs_ranks_and_reraises_failures():
    t = ember.zeros(3).share_memory_()
    assert mp.spawn(_spawn_fn, args=(t, -1), nprocs=3, start_method="fork") is None
    assert t.tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(mp.ProcessRaisedException, match="rank 1 failed"):
        mp.spawn(_spawn_fn, args=(t, 1), nprocs=2, start_method="fork")

"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

With ``num_workers > 0`` the batches are exactly those of ``num_workers=0``, in the same
order: the main process draws every index (the sampler never runs in a worker), hands
batch ``k`` to worker ``k mod num_workers`` (skipping workers whose iterable stream has
ended), keeps at most ``prefetch_factor * num_workers`` batches in flight, and reorders the
answers by batch number. Workers collate into shared memory, so a batch crosses the process
boundary as a handle. A dead worker is noticed at once (its process sentinel wakes the main
process) and raised as an error instead of hanging.
"""
import itertools
import multiprocessing
import multiprocessing.connection
import os
import signal
import time

from . import _worker
from ._collate import default_collate, default_convert
from .dataset import IterableDataset
from ...multiprocessing.reductions import recv_shared
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]


class _InfiniteConstantSampler(Sampler):
    """The "indices" of an iterable dataset: ``None`` forever (the fetcher ignores them)."""

    def __iter__(self):
        while True:
            yield None


def _draw_seed(generator):
    from ..._creation import randint

    return randint(0, 2**63 - 1, (), generator=generator).item()


def _default_context():
    """``fork`` where the platform has it (fast start, nothing to pickle), else the default."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


class DataLoader:
    """Iterates over ``dataset`` in batches (PyTorch's signature and semantics).

    ``batch_size=None`` turns batching off (each sample goes through ``default_convert``);
    ``pin_memory`` is accepted and does nothing (ember has no pinned host memory)."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 to "
                             "enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset, self.num_workers, self.prefetch_factor = dataset, num_workers, prefetch_factor
        self.pin_memory, self.pin_memory_device, self.timeout = pin_memory, pin_memory_device, timeout
        self.worker_init_fn, self.in_order = worker_init_fn, in_order
        self._iterable = isinstance(dataset, IterableDataset)

        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                                 f"sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, but "
                                 f"got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
                                 "drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size, self.drop_last, self.sampler, self.batch_sampler = batch_size, drop_last, sampler, batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.multiprocessing_context = multiprocessing_context
        self._iterator = None
        self.__initialized = True

    def __setattr__(self, name, value):
        if getattr(self, "_DataLoader__initialized", False) and name in (
                "batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers"):
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, ctx):
        if ctx is not None:
            if self.num_workers == 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process loading (num_workers > "
                                 f"0), but got num_workers={self.num_workers}")
            if isinstance(ctx, str):
                valid = multiprocessing.get_all_start_methods()
                if ctx not in valid:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                                     f"{valid!r}, but got multiprocessing_context={ctx!r}")
                ctx = multiprocessing.get_context(ctx)
            elif not isinstance(ctx, multiprocessing.context.BaseContext):
                raise TypeError(f"multiprocessing_context option should be a valid context object or a string "
                                f"specifying the start method, but got multiprocessing_context={ctx}")
        self.__multiprocessing_context = ctx

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiProcessIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)


class _BaseIter:
    def __init__(self, loader):
        self._dataset, self._iterable = loader.dataset, loader._iterable
        self._auto_collation, self._drop_last = loader._auto_collation, loader.drop_last
        self._index_sampler, self._collate_fn = loader._index_sampler, loader.collate_fn
        self._num_workers, self._timeout = loader.num_workers, loader.timeout
        self._sampler_iter = iter(self._index_sampler)
        # Drawn in every mode, so num_workers doesn't change what a seeded generator yields next.
        self._base_seed = _draw_seed(loader.generator)
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _reset(self, loader, first_iter=False):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        if not first_iter:
            # A persistent worker's seed stays, but a new epoch still consumes one draw, so
            # the generator advances exactly as a fresh num_workers=0 iterator advances it.
            _draw_seed(loader.generator)

    def _next_index(self):
        return next(self._sampler_iter)

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return data

    def __len__(self):
        return len(self._index_sampler)


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = _worker.create_fetcher(self._iterable, self._dataset, self._auto_collation, self._collate_fn,
                                               self._drop_last)

    def _next_data(self):
        return self._fetcher.fetch(self._next_index())


_KILL_GRACE = 2.0  # seconds a worker gets to exit after SIGTERM, then after SIGKILL


def _out_of_fds(err):
    """True when ``err`` comes from running out of file descriptors (EMFILE / ENFILE, or a
    descriptor transfer truncated for lack of free slots)."""
    import errno
    import resource

    if isinstance(err, OSError) and err.errno in (errno.EMFILE, errno.ENFILE):
        return True
    try:
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        return soft != resource.RLIM_INFINITY and len(os.listdir("/proc/self/fd")) >= soft - 8
    except OSError as e:
        return e.errno in (errno.EMFILE, errno.ENFILE)
    except Exception:
        return False


def _fd_exhausted_error():
    return RuntimeError(
        "Too many open files. Communication with the workers is no longer possible. Please increase the limit using "
        "`ulimit -n` in the shell, or lower num_workers / prefetch_factor / the number of tensors per batch (each "
        "tensor in a batch crosses the process boundary as one file descriptor).")


def _describe_exit(code):
    if code is not None and code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class _MultiProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._persistent = loader.persistent_workers
        self._in_order = loader.in_order
        ctx = loader.multiprocessing_context or _default_context()
        self._workers, self._task_conns, self._result_conns = [], [], []
        self._shutdown = False
        try:
            for i in range(self._num_workers):
                task_r, task_w = ctx.Pipe(duplex=False)
                # A socket pair, so tensors' descriptors can travel with the batch.
                result_r, result_w = ctx.Pipe(duplex=True)
                w = ctx.Process(target=_worker.worker_loop, daemon=True, args=(
                    self._iterable, self._dataset, task_r, result_w, self._auto_collation, self._collate_fn,
                    self._drop_last, self._base_seed, loader.worker_init_fn, i, self._num_workers, os.getpid()))
                w.start()
                # Only the worker holds these ends now: its death closes result_w, which the
                # main process sees as end-of-file.
                task_r.close()
                result_w.close()
                self._workers.append(w)
                self._task_conns.append(task_w)
                self._result_conns.append(result_r)
        except BaseException:
            self._shutdown_workers()
            raise
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False):
        super()._reset(loader, first_iter)
        self._send_idx = 0  # next task number to hand out
        self._rcvd_idx = 0  # next task number to yield
        # task number → (worker,) while in flight, (worker, data) once it arrived early
        self._task_info = {}
        self._workers_status = [True] * self._num_workers  # False once its stream ended
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # Persistent workers: a new epoch. Drop what's left of the last one.
            for wid in range(self._num_workers):
                self._send_task(wid, _worker._ResumeIteration())
            pending = self._num_workers
            while pending > 0:
                idx, _ = self._get_data()
                if isinstance(idx, _worker._ResumeIteration):
                    pending -= 1
        for _ in range(max(1, self._prefetch_factor * self._num_workers)):
            self._try_put_index()

    def _outstanding(self):
        return sum(1 for info in self._task_info.values() if len(info) == 1 and self._workers_status[info[0]])

    def _try_put_index(self):
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            wid = next(self._worker_cycle)
            if self._workers_status[wid]:
                break
        else:
            return
        self._send_task(wid, (self._send_idx, index))
        self._task_info[self._send_idx] = (wid,)
        self._send_idx += 1

    def _send_task(self, wid, msg):
        """Sends to worker ``wid``; a worker that is gone is reported as a dead worker (its
        read end closed with it, so the pipe is broken), never as a BrokenPipeError."""
        try:
            self._task_conns[wid].send(msg)
        except (OSError, ValueError) as e:
            raise self._worker_gone(wid, e) from None

    def _worker_gone(self, wid, err):
        """The error for worker ``wid`` whose pipe broke or closed: waits a moment for it to be
        reaped so that its death reads like every other, then shuts the rest down."""
        w = self._workers[wid]
        w.join(timeout=2.0)
        dead = [x for x in self._workers if not x.is_alive()] or [w]
        self._shutdown_workers(graceful=False)
        return self._dead_workers_error(dead)

    def _dead_workers_error(self, dead):
        pids = ", ".join(str(w.pid) for w in dead)
        how = ", ".join(_describe_exit(w.exitcode) for w in dead)
        label = "pid" if len(dead) == 1 else "pid(s)"
        return RuntimeError(f"DataLoader worker ({label} {pids}) exited unexpectedly ({how}). A worker that is "
                            "killed (e.g. out of memory) or crashes in native code can't report an error itself; "
                            "run with num_workers=0 to see the failure in the main process.")

    def _get_data(self):
        """The next message from any worker (blocking, up to ``timeout`` seconds)."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = multiprocessing.connection.wait(self._result_conns + [w.sentinel for w in self._workers], remaining)
            for wid, conn in enumerate(self._result_conns):
                if conn in ready:
                    try:
                        return recv_shared(conn)
                    except (EOFError, OSError) as e:
                        if _out_of_fds(e):
                            self._shutdown_workers(graceful=False)
                            raise _fd_exhausted_error() from None
                        raise self._worker_gone(wid, e) from None
                    except (AssertionError, RuntimeError) as e:
                        # multiprocessing's descriptor passing fails this way when the kernel
                        # truncated the descriptors for lack of free slots in this process.
                        self._shutdown_workers(graceful=False)
                        if _out_of_fds(e):
                            raise _fd_exhausted_error() from None
                        raise RuntimeError(f"DataLoader: receiving a batch from worker {wid} (pid "
                                           f"{self._workers[wid].pid}) failed: {e}") from None
            dead = [w for w in self._workers if not w.is_alive()]
            if dead:
                self._shutdown_workers(graceful=False)
                raise self._dead_workers_error(dead)
            if not ready:
                self._shutdown_workers(graceful=False)
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _next_data(self):
        while True:
            # Skip tasks whose worker's stream ended before it answered them.
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._workers_status[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                data = self._task_info.pop(self._rcvd_idx)[1]
                self._rcvd_idx += 1
                return self._process_data(data)
            if self._shutdown or self._outstanding() == 0:
                raise StopIteration
            idx, data = self._get_data()
            if isinstance(idx, _worker._ResumeIteration):
                continue
            if isinstance(data, _worker._IterableDatasetStopIteration):
                self._workers_status[data.worker_id] = False
                del self._task_info[idx]
                self._try_put_index()
                continue
            if idx == self._rcvd_idx or not self._in_order:
                del self._task_info[idx]
                if idx == self._rcvd_idx:
                    self._rcvd_idx += 1
                return self._process_data(data)
            self._task_info[idx] += (data,)

    def _process_data(self, data):
        self._try_put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return data

    def _shutdown_workers(self, graceful=True):
        """Tells the workers to exit and waits for them, for a bounded time in all: workers
        still there after ``MP_STATUS_CHECK_INTERVAL`` seconds (at once with
        ``graceful=False``, after a timeout or a dead worker) are terminated, and those that
        ignore SIGTERM are killed. Never an unbounded join."""
        if self._shutdown:
            return
        self._shutdown = True
        for conn in self._task_conns:
            try:
                # A stuck worker doesn't read its pipe: never block on a full one here.
                os.set_blocking(conn.fileno(), False)
                conn.send(None)
            except (OSError, ValueError):
                pass
        # Closing our read ends unblocks a worker stuck sending a batch nobody will read.
        for conn in self._result_conns:
            conn.close()
        deadline = time.monotonic() + (_worker.MP_STATUS_CHECK_INTERVAL if graceful else 0)
        for w in self._workers:
            w.join(timeout=max(0.0, deadline - time.monotonic()))
        for stop in ("terminate", "kill"):
            alive = [w for w in self._workers if w.is_alive()]
            for w in alive:
                getattr(w, stop)()
            deadline = time.monotonic() + _KILL_GRACE
            for w in alive:
                w.join(timeout=max(0.0, deadline - time.monotonic()))
        for conn in self._task_conns:
            conn.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:
            pass

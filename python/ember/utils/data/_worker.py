"""What runs inside a DataLoader worker process, and the messages it exchanges.

Protocol (per worker: a pipe for tasks, and a socket pair for results so that the shared
memory descriptors of a batch travel with it; the main process writes tasks, the worker answers):
  main → worker   ``(task_idx, index)``  fetch and collate this batch (or sample)
                  ``_ResumeIteration``   start a new epoch (persistent workers)
                  ``None``               exit
  worker → main   ``(task_idx, batch)``  or ``(task_idx, ExceptionWrapper)``
                  ``(task_idx, _IterableDatasetStopIteration)``  this worker's stream ended
                  ``(_ResumeIteration, None)``  acknowledges a new epoch
Tensors in a batch are collated straight into shared memory and cross the pipe as handles
(see ember.multiprocessing).
"""
import os
import random
import sys
import traceback
from dataclasses import dataclass

from ...multiprocessing.reductions import send_shared

__all__ = ["get_worker_info", "WorkerInfo", "ExceptionWrapper"]

# How long a worker waits for a task before checking that its parent is still alive.
MP_STATUS_CHECK_INTERVAL = 5.0

_worker_info = None


@dataclass(frozen=True)
class WorkerInfo:
    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """Inside a DataLoader worker: a ``WorkerInfo`` (``id``, ``num_workers``, ``seed``, and
    this worker's copy of ``dataset``); in the main process: ``None``."""
    return _worker_info


class _KeyErrorMessage(str):
    """KeyError prints its argument's repr; this keeps the traceback text readable."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its traceback text
    (the traceback object itself can't be pickled)."""

    def __init__(self, exc_info=None, where="in background"):
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            # Exception types whose constructor wants other arguments.
            raise RuntimeError(msg) from None
        raise exception


class _IterableDatasetStopIteration:
    def __init__(self, worker_id):
        self.worker_id = worker_id


class _ResumeIteration:
    pass


class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn

    def fetch(self, index):
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            data = getitems(index) if callable(getitems) else [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset_iter = iter(dataset)
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last):
    return (_IterableFetcher if iterable else _MapFetcher)(dataset, auto_collation, collate_fn, drop_last)


def _to_shared(obj):
    """The batch with every tensor in shared memory, moved now, in this thread, rather than
    in the middle of pickling. A tensor that views a much bigger storage (a sample of a
    TensorDataset with ``batch_size=None``) is cloned first, so only its own elements are
    sent instead of the whole dataset's storage."""
    from ..._native import Tensor

    if isinstance(obj, Tensor):
        if not obj.is_shared() and obj.untyped_storage().nbytes() > 2 * obj.nbytes + 4096:
            rg = obj.requires_grad
            obj = obj.detach().clone().requires_grad_(rg) if rg else obj.detach().clone()
        return obj.share_memory_()
    if type(obj) in (list, tuple):
        return type(obj)(_to_shared(v) for v in obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_to_shared(v) for v in obj))
    if type(obj) is dict:
        return {k: _to_shared(v) for k, v in obj.items()}
    return obj  # other containers: the pickler shares their tensors as they are


def _seed_worker(seed, worker_id):
    import ember

    random.seed(seed)
    ember.manual_seed(seed)
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed([worker_id, seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF])


def _send(conn, msg, worker_id):
    """Sends a result; a batch that can't be pickled becomes an error for the main process."""
    try:
        send_shared(conn, msg)
    except (BrokenPipeError, EOFError, ConnectionResetError):
        raise
    except Exception:
        err = ExceptionWrapper(where=f"in DataLoader worker process {worker_id} (sending the batch)")
        if isinstance(msg[1], ExceptionWrapper):
            # The exception's own type can't be pickled (e.g. a class defined in a function):
            # keep its traceback text under a type that can.
            err, err.exc_type = msg[1], RuntimeError
        send_shared(conn, (msg[0], err))


def worker_loop(iterable, dataset, task_conn, result_conn, auto_collation, collate_fn, drop_last, base_seed, init_fn,
                worker_id, num_workers, parent_pid):
    """The body of worker ``worker_id``; returns when told to, or when the parent is gone."""
    global _worker_info
    import signal

    import ember

    try:
        # Ctrl-C goes to the whole process group; the main process handles it and shuts
        # the workers down.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # One thread per worker: the workers already are the parallelism, and a fresh pool
        # avoids the parent's threads, which a forked child doesn't have.
        ember.set_num_threads(1)
        seed = base_seed + worker_id
        _seed_worker(seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_error = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        iteration_end = False
        while True:
            if not task_conn.poll(MP_STATUS_CHECK_INTERVAL):
                if os.getppid() != parent_pid:
                    return
                continue
            try:
                task = task_conn.recv()
            except EOFError:
                return
            if task is None:
                return
            if isinstance(task, _ResumeIteration):
                iteration_end = False
                if init_error is None:
                    try:
                        fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
                    except Exception:
                        init_error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
                send_shared(result_conn, (task, None))
                continue
            if iteration_end:
                # This worker's stream has ended; the main process knows and skips the task.
                continue
            idx, index = task
            if init_error is not None:
                data = init_error  # every batch reports the failed start, not a stale fetcher
            else:
                try:
                    data = _to_shared(fetcher.fetch(index))
                except StopIteration:
                    if not iterable:
                        data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
                    else:
                        data, iteration_end = _IterableDatasetStopIteration(worker_id), True
                except Exception:
                    data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            _send(result_conn, (idx, data), worker_id)
            del data, index, task
    except (KeyboardInterrupt, BrokenPipeError, ConnectionResetError):
        # The main process went away or is shutting us down.
        pass

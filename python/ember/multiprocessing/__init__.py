"""ember.multiprocessing: Python's ``multiprocessing`` with tensors that cross processes
through shared memory, like ``torch.multiprocessing``.

Everything ``multiprocessing`` offers is re-exported (``Process``, ``Queue``, ``Pool``,
``get_context``, ``set_start_method``, …). Importing ember registers a reducer for tensors in
``multiprocessing``'s ``ForkingPickler``, so a tensor put on a ``Queue``/``Pipe`` or passed to
a spawned ``Process`` is moved into shared memory (once, in place: ``share_memory_()``) and
the receiver maps that same memory. Only a handle crosses the pipe, never the data, and a
write on either side is seen by the other.

Under the hood: a shared storage is an unnamed file on the tmpfs ``/dev/shm`` (another
directory with ``EMBER_SHM_DIR``) mapped with ``MAP_SHARED``. The sharing strategy is
``"file_descriptor"``: the sender's descriptor is duplicated into the receiver (``SCM_RIGHTS``
through ``multiprocessing.reduction.DupFd``). No name ever exists in ``/dev/shm``, so nothing
leaks when a process is killed; the memory goes away with the last descriptor and mapping.

**The producer must keep a tensor alive until the consumer has received it.** With the
file-descriptor strategy the receiver fetches the descriptor from the sending process when
it unpickles the message, so the sender process must still be running at that moment (keep
the tensor referenced and the process alive until the consumer has taken it off the queue).
DataLoader workers don't depend on this: their result channel is a Unix socket, and the
descriptors travel inside the message (``reductions.send_shared`` / ``recv_shared``).

Plain ``pickle`` (files, ``copy.deepcopy``) copies a tensor's values instead; only
``multiprocessing``'s pickler shares memory.

Each shared storage keeps one file descriptor open in every process that maps it (so it can
be passed on again); a process holding thousands of received tensors at once may need a
higher ``ulimit -n``. A forked child gets a fresh kernel thread pool (the parent's threads
don't survive ``fork``).
"""
import multiprocessing as _mp
import os as _os
from multiprocessing import *  # noqa: F401,F403

from .reductions import init_reductions, rebuild_tensor, reduce_tensor  # noqa: F401

_sharing_strategy = "file_descriptor"


def get_all_sharing_strategies():
    """The strategies this build supports: ``{"file_descriptor"}``."""
    return {"file_descriptor"}


def get_sharing_strategy():
    return _sharing_strategy


def set_sharing_strategy(new_strategy):
    """Only ``"file_descriptor"`` exists in ember (see the module docstring)."""
    if new_strategy not in get_all_sharing_strategies():
        raise ValueError(f"sharing strategy {new_strategy!r} is not supported by ember; "
                         f"choose one of {sorted(get_all_sharing_strategies())}")


class ProcessRaisedException(Exception):
    """An exception raised in a process started by ``ember.multiprocessing.spawn``."""

    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.error_index, self.pid = error_index, error_pid


def _spawn_entry(fn, i, args, err_queue):
    import traceback

    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except BaseException:
        err_queue.put((i, traceback.format_exc()))
        raise SystemExit(1)


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Runs ``fn(i, *args)`` in ``nprocs`` processes; with ``join`` waits for all and re-raises
    the first failure (with the child's traceback) as ``ProcessRaisedException``."""
    ctx = _mp.get_context(start_method)
    err_queue = ctx.SimpleQueue()
    procs = [ctx.Process(target=_spawn_entry, args=(fn, i, args, err_queue), daemon=daemon) for i in range(nprocs)]
    for p in procs:
        p.start()
    if not join:
        return procs
    from multiprocessing.connection import wait

    # Wait for all; on the first failure stop the others instead of waiting on them.
    pending = {p.sentinel: p for p in procs}
    while pending:
        for s in wait(list(pending)):
            p = pending.pop(s)
            p.join()
            if p.exitcode != 0:
                for q in procs:
                    if q.is_alive():
                        q.terminate()
                    q.join()
                pending.clear()
                break
    if not err_queue.empty():
        i, tb = err_queue.get()
        raise ProcessRaisedException(f"\n\n-- Process {i} terminated with the following error:\n{tb}", i, procs[i].pid)
    for i, p in enumerate(procs):
        if p.exitcode != 0:
            raise ProcessRaisedException(f"process {i} terminated with exit code {p.exitcode}", i, p.pid)
    return None


def _fresh_thread_pool_in_child():
    # A forked child has only the forking thread: the parent's kernel threads are gone, and
    # the first parallel op would wait on them forever. A new pool of the same size fixes it.
    from .. import _native

    _native.set_num_threads(_native.get_num_threads())


_os.register_at_fork(after_in_child=_fresh_thread_pool_in_child)
init_reductions()

__all__ = list(_mp.__all__) + ["get_all_sharing_strategies", "get_sharing_strategy", "set_sharing_strategy", "spawn",
                               "ProcessRaisedException"]

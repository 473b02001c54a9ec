"""ProcessGroup: one MPI communicator and the thread that talks to it.

Every collective on a group (DDP buckets included) is queued to the group's communication
thread and runs there in submission order, so the order is the same on every rank and
blocking MPI calls (which release the GIL) overlap with the caller's work. Point-to-point
messages run on threads of their own over a second communicator, so an ``irecv`` waiting for
its message never holds up a ``send`` queued after it.
The caller gets a ``Work``; a synchronous op is just ``submit(...).wait()``. Waiting is
bounded by the group's timeout; a watchdog aborts the job if an op stays stuck well past it
while nobody waits.
"""
import os
import queue
import threading
import time

import numpy as np

from . import _faults
from ._faults import DistBackendError


def debug_level():
    """``EMBER_DISTRIBUTED_DEBUG`` (or ``TORCH_DISTRIBUTED_DEBUG``): OFF, INFO or DETAIL."""
    return (os.environ.get("EMBER_DISTRIBUTED_DEBUG") or os.environ.get("TORCH_DISTRIBUTED_DEBUG") or "OFF").upper()


class _Op:
    __slots__ = ("name", "seq", "fn", "what", "fp", "trace_args", "done", "exc", "result", "t_submit", "t_start",
                 "t_end", "group", "tensors")

    def __init__(self, group, name, seq, fn, what, fp, trace_args, tensors):
        self.group, self.name, self.seq, self.fn, self.what, self.fp = group, name, seq, fn, what, fp
        self.trace_args, self.tensors = trace_args, tensors
        self.done = threading.Event()
        self.exc = self.result = None
        self.t_submit = time.perf_counter()
        self.t_start = self.t_end = None

    def label(self):
        return f"{self.name} #{self.seq}" if self.seq >= 0 else self.name


class Work:
    """A pending operation (``async_op=True``); ``wait()`` blocks until it finished."""

    def __init__(self, op):
        self._op = op

    def wait(self, timeout=None):
        """Blocks until the op finished; raises its error, or ``DistBackendError`` after the
        group's timeout (or ``timeout``, a ``timedelta`` or seconds) naming what is stuck."""
        op = self._op
        limit = op.group.timeout if timeout is None else getattr(timeout, "total_seconds", lambda: timeout)()
        deadline = op.t_submit + limit
        while not op.done.wait(max(0.0, min(1.0, deadline - time.perf_counter()))):
            if time.perf_counter() >= deadline:
                raise op.group.timeout_error(op, limit)
            if op.seq >= 0 and not op.group._thread.is_alive():
                raise DistBackendError(f"{op.group.rank_str()} the communication thread of process group "
                                       f"{op.group.name} has stopped; {op.label()} can never finish")
        if op.exc is not None:
            raise op.exc
        return True

    def is_completed(self):
        return self._op.done.is_set()

    def is_success(self):
        return self._op.done.is_set() and self._op.exc is None

    def exception(self):
        return self._op.exc

    def result(self):
        """The tensors the op wrote (after ``wait()``)."""
        self.wait()
        return list(self._op.tensors)

    def source_rank(self):
        """For ``irecv``: the global rank the message came from."""
        self.wait()
        return self._op.result

    def synchronize(self):
        self.wait()

    def __repr__(self):
        state = "completed" if self.is_completed() else "pending"
        return f"<ember.distributed.Work {self._op.label()} on {self._op.group.name} ({state})>"


class ProcessGroup:
    """A set of ranks with its own MPI communicator and communication thread."""

    def __init__(self, comm, global_ranks, timeout, name):
        self.comm, self.ranks, self.timeout, self.name = comm, list(global_ranks), float(timeout), name
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        # Point-to-point messages travel on their own communicator and threads: an irecv
        # waiting for its message must not hold up the send queued after it.
        self.p2p_comm = comm.Dup()
        self.seq = 0  # collectives submitted so far (p2p ops are not counted)
        self._queue = queue.SimpleQueue()
        self._current = None
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=f"ember-comm-{name}", daemon=True)
        self._thread.start()
        self._watchdog = threading.Thread(target=self._watch, name=f"ember-watchdog-{name}", daemon=True)
        self._watchdog.start()

    def rank_str(self):
        from . import _state
        w = _state.world
        return f"[rank {w.rank}/{w.size}]" if w else f"[rank {self.rank}/{self.size}]"

    # ---- submitting ---------------------------------------------------------------------
    def submit(self, name, fn, what="", fp=None, collective=True, check=None, trace_args=None, tensors=()):
        """Queues ``fn(comm)`` on the communication thread and returns its ``Work``.

        ``fp`` is the fingerprint keyword arguments (``_faults.fingerprint``) of a collective;
        it is exchanged first when ``check`` is true (default: ``EMBER_DISTRIBUTED_DEBUG=DETAIL``).
        """
        if self._closed:
            raise RuntimeError(f"the process group {self.name} has been destroyed")
        seq = -1
        if collective:
            seq = self.seq
            self.seq += 1
        if check is None:
            check = debug_level() == "DETAIL"
        fpv = None
        if collective and check:
            fields = dict(fp or {})
            fpv = _faults.fingerprint(fields.pop("op", name), seq, **fields)
        op = _Op(self, name, seq, fn, what, fpv, trace_args or {}, tensors)
        if collective:
            self._queue.put(op)
        else:
            threading.Thread(target=self._execute, args=(op, self.p2p_comm), name=f"ember-p2p-{self.name}",
                             daemon=True).start()
        return Work(op)

    def run(self, name, fn, **kw):
        """``submit(...).wait()``: runs ``fn`` on the communication thread and returns its result."""
        w = self.submit(name, fn, **kw)
        w.wait()
        return w._op.result

    # ---- the communication thread -------------------------------------------------------
    def _loop(self):
        while True:
            op = self._queue.get()
            if op is None:
                return
            self._current = op
            self._execute(op, self.comm)
            self._current = None

    def _execute(self, op, comm):
        from ..inspect.trace import active, record_event
        op.t_start = time.perf_counter()
        try:
            if op.fp is not None:
                self._exchange_fingerprint(op)
            op.result = op.fn(comm)
        except BaseException as e:  # noqa: BLE001  (handed to the waiter)
            op.exc = e
        op.t_end = time.perf_counter()
        op.done.set()
        if active():
            args = {"group": self.name, "seq": op.seq, "what": op.what,
                    "queued_ms": round((op.t_start - op.t_submit) * 1e3, 3)}
            args.update(op.trace_args)
            label = op.name + (f" bucket {args['bucket']}" if "bucket" in args else "")
            record_event(label, op.t_start, op.t_end, thread="comm", args=args)

    def _exchange_fingerprint(self, op):
        from ._mpi import mpi
        MPI = mpi()
        gathered = np.empty((self.size, op.fp.size), dtype=np.int64)
        self.comm.Allgather([op.fp, MPI.INT64_T], [gathered, MPI.INT64_T])
        if (gathered != gathered[0]).any():
            raise _faults.mismatch_error(self.rank, self.size, f"{op.label()} ({op.what or op.name})", gathered)

    def _watch(self):
        grace = max(5.0, 0.1 * self.timeout)
        while not self._closed:
            time.sleep(min(1.0, max(self.timeout / 4, 0.05)))
            op = self._current
            if op is not None and op.t_start is not None and time.perf_counter() - op.t_start > self.timeout + grace:
                err = self.timeout_error(op, self.timeout)
                _faults.abort(f"{self.rank_str()} watchdog: {err}\n{self.rank_str()} aborting the job")

    def timeout_error(self, op, limit):
        now = time.perf_counter()
        cur = self._current
        msg = (f"{self.rank_str()} {op.label()} on process group {self.name} (ranks {self.ranks}) did not finish "
               f"within the timeout of {limit:g} s (waited {now - op.t_submit:.2f} s)")
        if op.what:
            msg += f"\n  it carries: {op.what}"
        if cur is not None and cur is not op:
            msg += (f"\n  the communication thread is still inside {cur.label()}, started "
                    f"{now - cur.t_start:.2f} s ago" + (f", carrying {cur.what}" if cur.what else ""))
        msg += ("\n  Another rank probably skipped this collective, called a different one, or is stuck or dead. "
                "Set EMBER_DISTRIBUTED_DEBUG=DETAIL to compare every collective across ranks, or raise the "
                "timeout (init_process_group(timeout=...) or EMBER_DISTRIBUTED_TIMEOUT in seconds).")
        return DistBackendError(msg)

    def close(self):
        """Stops the threads (waiting briefly for queued work) and frees the communicator."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout=5.0)
        if not self._thread.is_alive() and self.comm is not None:
            for c in (self.comm, self.p2p_comm):
                try:
                    c.Free()
                except Exception:  # noqa: BLE001  (MPI may already be finalised at exit)
                    pass
        self.comm = None

    def __repr__(self):
        return f"<ember.distributed.ProcessGroup {self.name} ranks={self.ranks}>"

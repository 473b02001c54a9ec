"""DDP's gradient reducer: buckets, per-parameter readiness, the end-of-backward callback.

How a synchronised backward runs:

1. Every parameter's gradient accumulator (its ``AccumulateGrad`` node) carries a hook that
   runs right after ``.grad`` was updated. It copies ``.grad`` into the parameter's slot of a
   flat bucket; when a bucket's last slot arrives the bucket is *ready*.
2. Ready buckets are launched strictly in bucket order (bucket i waits for i-1), so every rank
   issues the same all_reduces in the same order. A launch queues the bucket on the process
   group's communication thread: divide by world size, MPI_Allreduce in place, write the
   averages back into ``.grad`` — while the backward goes on computing the next gradients.
   (A backward that holds the GIL would keep the thread from even starting MPI, so a launch
   briefly hands the GIL to an idle communication thread; MPI itself runs without it.)
3. DDP's forward put a marker node into the graph *before* the module ran, so it has the
   lowest sequence number of the iteration's graph: the engine runs it last. Its backward is
   the "backward finished" callback: it names parameters that got no gradient (unless
   ``find_unused_parameters``), then waits (bounded by the group's timeout) for every bucket.
"""
import hashlib
import threading
import time
import weakref

import numpy as np

from ... import _native
from ...distributed import _faults, _mpi

FIRST_BUCKET_BYTES = 1024 * 1024  # a small first bucket starts communication early, as in PyTorch


class Bucket:
    def __init__(self, index, dtype):
        self.index, self.dtype = index, dtype
        self.members = []   # parameter indices
        self.offsets = []
        self.numel = 0
        self.flat = None
        self.pending = 0
        self.work = None
        self.t_ready = None

    def nbytes(self):
        return self.numel * self.dtype.itemsize


class Reducer:
    def __init__(self, named_params, group, bucket_cap_bytes, find_unused, as_view):
        self.names = [n for n, _ in named_params]
        self.params = [p for _, p in named_params]
        self.group, self.find_unused, self.as_view = group, find_unused, as_view
        # With one rank the average is the gradient itself: no copies, no communication.
        self.solo = group.size == 1
        self.cap = bucket_cap_bytes
        self._build(list(reversed(range(len(self.params)))))
        self._order = []  # the order gradients arrived in during the first synchronised backward
        self.armed = False
        self.iteration = 0     # synchronised backward passes so far
        self.last_stats = None
        self._ready = [False] * len(self.params)
        self._hooks, self._nodes = [], {}
        from ...autograd import enable_grad
        with enable_grad():  # (DDP may be built under no_grad)
            for i, p in enumerate(self.params):
                # Holding the parameter's AccumulateGrad node keeps it the one every graph uses;
                # its hook runs right after .grad was updated.
                node = p.view_as(p).grad_fn.next_functions[0][0]
                self._nodes[node] = i
                self._hooks.append(node.register_hook(self._make_hook(i)))

    # ---- bucket assignment ----------------------------------------------------------------
    def _build(self, order):
        self.buckets = self._assign(self.cap, order)
        self.where = {}  # param index -> (bucket, offset)
        for b in self.buckets:
            for i, off in zip(b.members, b.offsets):
                self.where[i] = (b, off)
            b.flat = _native._zeros([b.numel], _wire_dtype(b.dtype))

    def _assign(self, cap, order):
        """Parameters in ``order`` — at first reverse registration order (roughly the order
        backward produces gradients), after the first backward the order gradients really
        arrived in on rank 0 — one open bucket per dtype, closed when it reaches its byte cap."""
        buckets, open_ = [], {}
        for i in order:
            p = self.params[i]
            b = open_.get(p.dtype)
            if b is None:
                b = open_[p.dtype] = Bucket(len(buckets), p.dtype)
                buckets.append(b)
            b.members.append(i)
            b.offsets.append(b.numel)
            b.numel += p.numel()
            limit = min(FIRST_BUCKET_BYTES, cap) if b.index == 0 else cap
            if b.nbytes() >= limit:
                del open_[p.dtype]
        return buckets

    def describe(self, b):
        parts = [f"{self.names[i]} {self.params[i].dtype.name}{list(self.params[i].shape)}" for i in b.members]
        return f"bucket {b.index} ({b.dtype.name}, {b.numel} elements): " + ", ".join(parts)

    # ---- one iteration --------------------------------------------------------------------
    def prepare(self, outputs):
        """Called at the end of a synchronised forward: arms the hooks for the coming backward."""
        self.armed = True
        self._ready = [False] * len(self.params)
        self._next = 0
        self._t_first_hook = self._t_last_hook = None
        for b in self.buckets:
            b.pending, b.work, b.t_ready = len(b.members), None, None
        self.global_used = None
        if self.find_unused and not self.solo:
            used = self._reachable(outputs)
            local = np.array([i in used for i in range(len(self.params))], dtype=np.uint8)
            self.global_used = np.zeros_like(local)
            MPI = _mpi.mpi()
            gu = self.global_used
            self._used_work = self.group.submit(
                "all_reduce", lambda comm: comm.Allreduce([local, MPI.UINT8_T], [gu, MPI.UINT8_T], MPI.MAX),
                what="DDP map of the parameters used in this iteration",
                fp={"op": "ddp_unused_map", "numel": local.size, "dtype": "uint8"},
                check=self.iteration == 0 or None)
            for i in range(len(self.params)):
                if not local[i]:
                    b, off = self.where[i]
                    b.flat[off:off + self.params[i].numel()].zero_()
                    self._mark_ready(i)

    def _reachable(self, outputs):
        """Indices of the parameters whose AccumulateGrad is reachable from ``outputs``."""
        seen, stack, found = set(), [o.grad_fn for o in outputs if o.grad_fn is not None], set()
        while stack:
            n = stack.pop()
            if n is None or n in seen:
                continue
            seen.add(n)
            i = self._nodes.get(n)
            if i is not None:
                found.add(i)
            stack.extend(f for f, _ in n.next_functions)
        return found

    def _make_hook(self, i):
        ref = weakref.ref(self)  # the hook lives in a Rust node: a strong ref would be an invisible cycle

        def hook(grad_inputs, grad_outputs):
            self = ref()
            if self is None or not self.armed:
                return None
            now = time.perf_counter()
            if self._t_first_hook is None:
                self._t_first_hook = now
            self._t_last_hook = now
            if self._ready[i]:
                raise RuntimeError(
                    f"Expected to mark a variable ready only once. Parameter {self.names[i]} (index {i}) got a "
                    "second gradient in the same synchronised iteration (a parameter used by two backward "
                    "passes, or reentrant backward). Use no_sync() for all but the last backward.")
            if not self.solo:
                p = self.params[i]
                b, off = self.where[i]
                b.flat[off:off + p.numel()].copy_(p.grad.reshape(-1))
            if self.iteration == 0:
                self._order.append(i)
            self._mark_ready(i)
            return None
        return hook

    def _mark_ready(self, i):
        self._ready[i] = True
        b, _ = self.where[i]
        b.pending -= 1
        if b.pending == 0:
            b.t_ready = time.perf_counter()
            from ...inspect.trace import active, record_event
            if active():
                record_event(f"DDP bucket {b.index} ready", b.t_ready, None, args={"bucket": b.index})
            # buckets go out in index order on every rank, even when a later one is ready first
            while self._next < len(self.buckets) and self.buckets[self._next].pending == 0:
                nb = self.buckets[self._next]
                self._launch(nb)
                if active():
                    record_event(f"DDP bucket {nb.index} launched", time.perf_counter(), None,
                                 args={"bucket": nb.index})
                self._next += 1

    def _launch(self, b):
        if self.solo:
            return
        idle = self.group._current is None and self.group._queue.empty()
        n, params, where = self.group.size, self.params, self.where
        used, as_view = self.global_used, self.as_view
        flat = b.flat
        entered = threading.Event()

        def run(comm):
            flat.div_(n)
            entered.set()
            comm.Allreduce(_mpi.mpi().IN_PLACE, _mpi.buf(flat), _mpi.mpi().SUM)
            for i in b.members:
                if used is not None and not used[i]:
                    continue  # unused on every rank: .grad stays as it was, as in PyTorch
                p = params[i]
                _, off = where[i]
                avg = flat[off:off + p.numel()].view(tuple(p.shape))
                if p.grad is None or p.grad.dtype != avg.dtype or as_view:
                    p.grad = avg if (as_view and p.dtype == avg.dtype) else (
                        avg.clone() if p.dtype == avg.dtype else avg.to(p.dtype))
                else:
                    p.grad.copy_(avg)
        b.work = self.group.submit(
            "all_reduce", run, what=self.describe(b),
            fp={"op": "ddp_bucket", "dtype": _wire_dtype(b.dtype).name, "numel": b.numel, "root": b.index,
                "reduce_op": "sum"},
            check=self.iteration == 0 or None,
            trace_args={"bucket": b.index, "numel": b.numel, "dtype": b.dtype.name,
                        "params": [self.names[i] for i in b.members]})
        # While the backward holds the GIL the communication thread cannot even start the
        # all_reduce. So when it is idle and more gradients are still to come, give it the GIL
        # until it is inside MPI (which runs without the GIL) — a thread switch, not a wait
        # for the transfer. The last bucket needs no such help: finalize() waits for it.
        # (Not before a fingerprint exchange, which waits for the other ranks.)
        if idle and b.index < len(self.buckets) - 1 and b.work._op.fp is None:
            entered.wait(0.05)

    def finalize(self):
        """The end-of-backward callback (see the module docstring)."""
        if not self.armed:
            return
        self.armed = False
        t_compute_end = time.perf_counter()
        missing = [i for i, r in enumerate(self._ready) if not r]
        if missing and not self.find_unused:  # (with find_unused, one rank alone skips the search)
            rank = self.group.rank_str()
            names = ", ".join(self.names[i] for i in missing)
            raise RuntimeError(
                f"{rank} DistributedDataParallel: these parameters were not used in producing the loss, so no "
                f"gradient reached them in this backward: {names} (parameter indices "
                f"{' '.join(map(str, missing))}). Pass find_unused_parameters=True to DistributedDataParallel if "
                "parts of the model are legitimately skipped, or make sure every forward output takes part in "
                "the loss.")
        works = [b.work for b in self.buckets if b.work is not None]
        if self.find_unused and not self.solo:
            works.insert(0, self._used_work)
        for w in works:
            w.wait()
        t_end = time.perf_counter()
        comm = sum(w._op.t_end - w._op.t_start for w in works)
        exposed = max(0.0, t_end - t_compute_end)
        # comm_s: the buckets' spans on the communication thread (MPI time plus any wait for the
        # GIL); exposed_s: how long backward() waited for them after the last gradient;
        # lead_s: per bucket, how long before that moment its all_reduce started.
        self.last_stats = {"comm_s": comm, "exposed_s": exposed, "backward_s": t_end - (self._t_first_hook or t_end),
                           "bucket_numel": [b.numel for b in self.buckets if b.work is not None],
                           "lead_s": [t_compute_end - b.work._op.t_start for b in self.buckets if b.work is not None]}
        if self.iteration == 0 and not self.solo:
            self._rebuild()
        self.iteration += 1

    def _rebuild(self):
        """Buckets in the order gradients arrived on rank 0 (as PyTorch does after its first
        iteration), so that bucket 0 is the first one ready and launches go out early."""
        seen = set(self._order)
        order = self._order + [i for i in reversed(range(len(self.params))) if i not in seen]
        mine = np.array(order, dtype=np.int64)
        MPI = _mpi.mpi()
        self.group.run("broadcast", lambda comm: comm.Bcast([mine, MPI.INT64_T], root=0),
                       what="DDP bucket order of rank 0", fp={"op": "ddp_bucket_order", "numel": mine.size,
                                                              "dtype": "int64", "root": 0})
        order = mine.tolist()
        if order != [i for b in self.buckets for i in b.members]:
            self._build(order)

    def remove(self):
        for h in self._hooks:
            h.remove()


def _wire_dtype(dtype):
    import ember
    return getattr(ember, _mpi.wire_dtype(dtype))


def verify_params(group, names, params):
    """Raises (on every rank alike) unless every rank has the same parameter names, shapes and
    dtypes; the error lists all ranks' parameters side by side."""
    desc = [f"{n} {p.dtype.name}{list(p.shape)}" for n, p in zip(names, params)]
    digest = int.from_bytes(hashlib.sha1("\n".join(desc).encode()).digest()[:8], "little", signed=True)
    MPI = _mpi.mpi()

    def run(comm):
        mine = np.array([len(desc), digest], dtype=np.int64)
        allfp = np.empty((comm.Get_size(), 2), dtype=np.int64)
        comm.Allgather([mine, MPI.INT64_T], [allfp, MPI.INT64_T])
        if (allfp == allfp[0]).all():
            return
        everyone = comm.allgather(desc)
        rows = max(len(d) for d in everyone)
        cols = [{f"param {k}": d[k] for k in range(len(d))} for d in everyone]
        keys = [f"param {k}" for k in range(rows)]
        differ = {k for k in keys if len({c.get(k) for c in cols}) > 1}
        counts = ", ".join(f"rank {r} has {len(d)}" for r, d in enumerate(everyone))
        title = (f"{group.rank_str()} DistributedDataParallel expects the same model on every rank, but the "
                 f"parameters differ ({counts} parameters). Parameters, one column per rank:")
        raise _faults.DistBackendError(_faults.side_by_side(title, cols, keys, differ))
    group.run("ddp_verify_params", run, what=f"{len(desc)} parameter shapes", fp={"numel": 2, "dtype": "int64"})


def broadcast_coalesced(group, tensors, src=0, name="ddp_broadcast_state"):
    """Copies ``tensors`` from group rank ``src`` to every rank, one flat message per dtype."""
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault(t.dtype, []).append(t)
    for dtype, ts in by_dtype.items():
        wire = _wire_dtype(dtype)
        flat = _native._zeros([sum(t.numel() for t in ts)], wire)

        def run(comm, ts=ts, flat=flat):
            if group.rank == src:
                off = 0
                for t in ts:
                    flat[off:off + t.numel()].copy_(t.detach().reshape(-1))
                    off += t.numel()
            comm.Bcast(_mpi.buf(flat), root=src)
            if group.rank != src:
                off = 0
                for t in ts:
                    t.detach().copy_(flat[off:off + t.numel()].view(tuple(t.shape)))
                    off += t.numel()
        group.run(name, run, what=f"{len(ts)} {dtype.name} tensors",
                  fp={"numel": flat.numel(), "dtype": wire.name, "root": src})

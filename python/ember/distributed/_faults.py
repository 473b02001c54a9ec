"""Fault reporting: errors never turn into silent hangs.

* An uncaught exception on any rank prints ``[rank r/N]`` before every line of its traceback
  and aborts the whole MPI job (the other ranks would otherwise wait forever in their next
  collective).
* A collective that does not finish within its timeout raises ``DistBackendError`` naming the
  rank, the op, its sequence number, what it carried (for DDP: bucket, parameter names, shapes,
  dtypes) and the elapsed time; a watchdog aborts the job shortly after if nobody is waiting.
* Fingerprints: before a checked collective every rank contributes a few integers describing
  it (op, sequence number, dtype, element count, root, reduce op); if they differ, every rank
  raises the same error with all ranks' fingerprints side by side.
"""
import os
import sys
import time
import traceback

import numpy as np


class DistError(RuntimeError):
    """Base of ember.distributed's errors (a RuntimeError, as in PyTorch)."""


class DistBackendError(DistError):
    """A collective failed or timed out in the MPI backend."""


def _prefix():
    from . import _state
    w = _state.world
    if w is not None:
        return f"[rank {w.rank}/{w.size}]"
    return f"[rank {os.environ.get('RANK', '?')}/{os.environ.get('WORLD_SIZE', '?')}]"


def _excepthook(kind, value, tb):
    """Prints the traceback with a ``[rank r/N]`` prefix on every line, then aborts the job."""
    pre = _prefix()
    text = "".join(traceback.format_exception(kind, value, tb))
    lines = [f"{pre} uncaught {kind.__name__}; aborting the job (all ranks)"]
    lines += [f"{pre} {ln}" for ln in text.rstrip("\n").split("\n")]
    abort("\n".join(lines))


def abort(message, code=1):
    """Writes ``message`` to stderr and aborts every rank of the MPI job."""
    try:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
        sys.stdout.flush()
        # MPI_Abort tears the job down at once; give the launcher a moment to forward what
        # this rank just wrote, or the traceback can be lost on a busy machine.
        time.sleep(0.3)
    finally:
        from ._mpi import mpi
        mpi().COMM_WORLD.Abort(code)
        os._exit(code)  # Abort does not return; this only guards a broken MPI


def install_excepthook():
    if sys.excepthook is not _excepthook:
        sys.excepthook = _excepthook


# ---- fingerprints -------------------------------------------------------------------------
OPS = ["all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor", "reduce_scatter_tensor",
       "gather", "scatter", "barrier", "all_to_all_single", "all_to_all", "all_gather_object",
       "broadcast_object_list", "new_group", "ddp_verify_params", "ddp_broadcast_state", "ddp_bucket",
       "ddp_unused_map", "ddp_sync_buffers",
       "ddp_bucket_order"]
DTYPES = ["-", "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
REDUCE = ["-", "sum", "avg", "product", "min", "max", "band", "bor", "bxor"]
FIELDS = ("op", "seq", "dtype", "numel", "root/bucket", "reduce_op")


def fingerprint(op, seq, dtype="-", numel=0, root=-1, reduce_op="-"):
    """The integers every rank compares before a checked collective."""
    return np.array([OPS.index(op), seq, DTYPES.index(dtype), numel, root, REDUCE.index(reduce_op)], dtype=np.int64)


def _decode(row):
    return {"op": OPS[row[0]], "seq": str(row[1]), "dtype": DTYPES[row[2]], "numel": str(row[3]),
            "root/bucket": "-" if row[4] < 0 else str(row[4]), "reduce_op": REDUCE[row[5]]}


def side_by_side(title, columns, rows, differing):
    """A table with one column per rank; rows in ``differing`` are marked ``<-- differs``."""
    head = [""] + [f"rank {r}" for r in range(len(columns))]
    body = [[name] + [c.get(name, "(missing)") for c in columns] for name in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    fmt = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = [title, "  " + fmt(head)]
    out += ["  " + fmt(b) + ("   <-- differs" if b[0] in differing else "") for b in body]
    return "\n".join(out)


def mismatch_error(rank, size, what, gathered):
    """The error raised (identically on every rank) when fingerprints differ."""
    cols = [_decode(row) for row in gathered]
    differing = {f for f in FIELDS if len({c[f] for c in cols}) > 1}
    title = (f"[rank {rank}/{size}] collective mismatch detected before {what}: the ranks are not calling the "
             f"same collective (different op, order, dtype or element count). Fingerprints, one column per rank:")
    return DistBackendError(side_by_side(title, cols, FIELDS, differing))

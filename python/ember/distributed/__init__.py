"""ember.distributed: PyTorch's ``torch.distributed`` API on MPI (through mpi4py).

Start a job with ``python -m ember.distributed.run --nproc-per-node N script.py`` (or plain
``mpiexec -n N python script.py``), then in the script::

    import ember.distributed as dist
    dist.init_process_group("mpi")
    dist.all_reduce(t)                      # in place, every rank gets the sum

Rank and world size come from MPI; mpi4py is imported only by ``init_process_group``, so
importing ember (or a DataLoader worker) never initialises MPI. Each process group owns an MPI
communicator and one communication thread that runs every operation in submission order,
which keeps the order identical on all ranks and lets blocking MPI calls (which release the
GIL) overlap with computation.

Faults never hang silently: after ``init_process_group`` an uncaught exception on any rank
prints ``[rank r/N]`` + its traceback and aborts the whole job; every collective has a timeout
(``init_process_group(timeout=)``, default 30 min, overridden by ``EMBER_DISTRIBUTED_TIMEOUT``
seconds) whose error names the op, its sequence number and what it carried; with
``EMBER_DISTRIBUTED_DEBUG=DETAIL`` every collective first compares a fingerprint (op, order,
dtype, element count, root) across ranks and mismatches are shown side by side.
"""
from ._collectives import (ReduceOp, all_gather, all_gather_into_tensor, all_gather_object,  # noqa: F401
                           all_reduce, all_to_all, all_to_all_single, barrier, broadcast, broadcast_object_list,
                           gather, reduce, reduce_scatter_tensor, scatter)
from ._faults import DistBackendError, DistError  # noqa: F401
from ._init import (Backend, GroupMember, default_pg_timeout, destroy_process_group, get_backend,  # noqa: F401
                    get_global_rank, get_group_rank, get_process_group_ranks, get_rank, get_world_size, group,
                    init_process_group, is_available, is_gloo_available, is_initialized, is_mpi_available,
                    is_nccl_available, is_torchelastic_launched, new_group)
from ._p2p import irecv, isend, recv, send  # noqa: F401
from ._work import ProcessGroup, Work  # noqa: F401

__all__ = ["init_process_group", "destroy_process_group", "is_available", "is_initialized", "is_mpi_available",
           "is_gloo_available", "is_nccl_available", "is_torchelastic_launched", "get_rank", "get_world_size",
           "get_backend", "get_global_rank", "get_group_rank", "get_process_group_ranks", "new_group", "group",
           "GroupMember", "Backend", "ReduceOp", "Work", "ProcessGroup", "DistError", "DistBackendError",
           "default_pg_timeout", "all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor",
           "reduce_scatter_tensor", "gather", "scatter", "all_to_all_single", "all_to_all", "send", "recv", "isend",
           "irecv", "barrier", "all_gather_object", "broadcast_object_list"]

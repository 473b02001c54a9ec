"""Starting and ending: ``init_process_group``, groups, ranks."""
import atexit
import datetime
import os

from . import _faults, _mpi, _state
from ._work import ProcessGroup

default_pg_timeout = datetime.timedelta(minutes=30)


class _GroupNamespace:
    """``dist.group.WORLD`` / ``dist.GroupMember.WORLD``: the default group once initialised."""
    NON_GROUP_MEMBER = object()

    @property
    def WORLD(self):  # noqa: N802  (PyTorch's name)
        return _state.world


group = GroupMember = _GroupNamespace()


class Backend(str):
    """Backend names; ember carries every collective over MPI."""
    MPI = "mpi"
    GLOO = "gloo"
    NCCL = "nccl"
    UNDEFINED = "undefined"


def is_available():
    """True: ember.distributed exists in every build (it needs mpi4py at ``init_process_group``)."""
    return True


def is_mpi_available():
    """True when mpi4py is installed (checked without initialising MPI)."""
    return _mpi.available()


def is_gloo_available():
    return False


def is_nccl_available():
    return False


def is_initialized():
    return _state.world is not None


def is_torchelastic_launched():
    return False


def _timeout_seconds(timeout):
    env = os.environ.get("EMBER_DISTRIBUTED_TIMEOUT")
    if env:
        try:
            return float(env)
        except ValueError:
            raise ValueError(f"EMBER_DISTRIBUTED_TIMEOUT must be a number of seconds, got {env!r}") from None
    if timeout is None:
        timeout = default_pg_timeout
    if not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {type(timeout).__name__}")
    if timeout.total_seconds() <= 0:
        raise ValueError(f"timeout must be positive, got {timeout}")
    return timeout.total_seconds()


def _check_backend(backend):
    if backend is None:
        return
    if not isinstance(backend, str):
        raise TypeError(f"Backend name must be a string, but got: {backend!r}")
    for part in backend.lower().split(","):
        name = part.split(":")[-1].strip()
        if name == "nccl":
            raise RuntimeError("Distributed package doesn't have NCCL built in: ember has no CUDA backend; "
                               "use backend='mpi' (CPU tensors)")
        if name not in ("mpi", "gloo"):
            raise ValueError(f"Invalid backend: '{backend}'. ember.distributed runs on MPI: use backend='mpi' "
                             "('gloo' is accepted as an alias for CPU collectives)")


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Joins the MPI job: rank and world size come from MPI (start the job with ``mpiexec`` or
    ``python -m ember.distributed.run``). ``world_size``/``rank``, when given, must agree.
    Exports ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and ``LOCAL_WORLD_SIZE``. Every
    collective's timeout is ``timeout`` (default 30 min) unless ``EMBER_DISTRIBUTED_TIMEOUT``
    (seconds) is set. From here on an uncaught exception on any rank aborts the whole job."""
    if _state.world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    _check_backend(backend)
    seconds = _timeout_seconds(timeout)
    MPI = _mpi.mpi()
    if MPI.Query_thread() < MPI.THREAD_MULTIPLE:
        raise RuntimeError("ember.distributed needs an MPI library with MPI_THREAD_MULTIPLE support")
    comm = MPI.COMM_WORLD.Dup()
    size, me = comm.Get_size(), comm.Get_rank()
    if world_size not in (-1, None) and world_size != size:
        comm.Free()
        raise ValueError(f"init_process_group(world_size={world_size}) but the MPI job has {size} processes; "
                         f"start it with `mpiexec -n {world_size}` or omit world_size")
    if rank not in (-1, None) and rank != me:
        comm.Free()
        raise ValueError(f"init_process_group(rank={rank}) but MPI gave this process rank {me}; omit rank")
    node = comm.Split_type(MPI.COMM_TYPE_SHARED, key=me)
    local_rank, local_size = node.Get_rank(), node.Get_size()
    node.Free()
    os.environ.update(RANK=str(me), WORLD_SIZE=str(size), LOCAL_RANK=str(local_rank),
                      LOCAL_WORLD_SIZE=str(local_size))
    _state.world = ProcessGroup(comm, range(size), seconds, group_name or "WORLD")
    _state.groups = [_state.world]
    _faults.install_excepthook()
    if not getattr(init_process_group, "_atexit", False):
        atexit.register(_shutdown)  # runs before mpi4py's MPI_Finalize (registered earlier)
        init_process_group._atexit = True


def _shutdown():
    for g in reversed(_state.groups):
        g.close()
    _state.groups, _state.world = [], None


def destroy_process_group(group=None):
    """Destroys ``group``, or every group (and the default one) when ``group`` is None."""
    if _state.world is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    if group is None or group is _state.world:
        _shutdown()
        return
    if group is GroupMember.NON_GROUP_MEMBER:
        return
    group.close()
    _state.groups = [g for g in _state.groups if g is not group]


def _world():
    if _state.world is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return _state.world


def resolve(group):
    """The ProcessGroup for a ``group=`` argument, or None when this rank is not a member."""
    w = _world()
    if group is None:
        return w
    if group is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup made by new_group (or None), got {type(group).__name__}")
    if group.comm is None:
        raise RuntimeError(f"the process group {group.name} has been destroyed")
    return group


def get_rank(group=None):
    """This process's rank in ``group`` (the world by default); -1 when not a member."""
    g = resolve(group)
    return -1 if g is None else g.rank


def get_world_size(group=None):
    g = resolve(group)
    return -1 if g is None else g.size


def get_backend(group=None):
    resolve(group)
    return Backend.MPI


def get_process_group_ranks(group):
    g = resolve(group)
    if g is None:
        raise ValueError("this rank is not a member of the group")
    return list(g.ranks)


def get_global_rank(group, group_rank):
    ranks = get_process_group_ranks(group)
    if not 0 <= group_rank < len(ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {ranks}")
    return ranks[group_rank]


def get_group_rank(group, global_rank):
    ranks = get_process_group_ranks(group)
    if global_rank not in ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {ranks}")
    return ranks.index(global_rank)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of the given global ranks (sorted), with its own communicator. Like PyTorch, every
    rank of the world must call it, members or not; non-members get ``GroupMember.NON_GROUP_MEMBER``."""
    w = _world()
    _check_backend(backend)
    members = sorted(range(w.size) if ranks is None else {int(r) for r in ranks})
    bad = [r for r in members if not 0 <= r < w.size]
    if bad:
        raise ValueError(f"new_group(): ranks {bad} are not in the world of {w.size} processes")
    seconds = w.timeout if timeout is None and not os.environ.get("EMBER_DISTRIBUTED_TIMEOUT") \
        else _timeout_seconds(timeout)
    MPI = _mpi.mpi()
    color = 0 if w.rank in members else MPI.UNDEFINED
    comm = w.run("new_group", lambda c: c.Split(color, w.rank), what=f"ranks {members}",
                 fp={"numel": len(members)})
    if comm == MPI.COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    g = ProcessGroup(comm, members, seconds, group_desc or f"group{len(_state.groups)}")
    _state.groups.append(g)
    return g

"""The collectives, PyTorch's signatures, each a small function run on the group's
communication thread (``ProcessGroup.submit``).

Tensors go to MPI in place through the buffer protocol with their MPI datatype named (see
``_mpi``); float16/bfloat16 travel as float32 copies that are written back. Tensors must be
contiguous CPU tensors (PyTorch's rule for its CPU backends).
"""
import enum
import warnings

from .. import _native
from .._native import Tensor
from . import _mpi
from ._init import resolve

__all__ = ["ReduceOp", "all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor",
           "reduce_scatter_tensor", "gather", "scatter", "all_to_all_single", "all_to_all", "barrier",
           "all_gather_object", "broadcast_object_list"]


class ReduceOp(enum.Enum):
    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"

    def __repr__(self):
        return f"<ReduceOp.{self.name}>"


def _reduce_op(op, dtype, fn):
    if isinstance(op, str):
        op = ReduceOp[op.upper()] if op.upper() in ReduceOp.__members__ else op
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{fn}(): op must be a ReduceOp, got {op!r}")
    MPI = _mpi.mpi()
    if dtype.name == "bool":
        if op is ReduceOp.AVG:
            raise ValueError(f"{fn}(): ReduceOp.AVG is not defined for bool tensors")
        table = {"sum": MPI.LOR, "max": MPI.LOR, "bor": MPI.LOR, "product": MPI.LAND, "min": MPI.LAND,
                 "band": MPI.LAND, "bxor": MPI.LXOR}
        return op, table[op.value]
    if dtype.is_floating_point and op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR):
        raise ValueError(f"{fn}(): ReduceOp.{op.name} needs an integer or bool tensor, got {dtype.name}")
    table = {"sum": MPI.SUM, "avg": MPI.SUM, "product": MPI.PROD, "min": MPI.MIN, "max": MPI.MAX,
             "band": MPI.BAND, "bor": MPI.BOR, "bxor": MPI.BXOR}
    return op, table[op.value]


def _finish_avg(w, n):
    if w.dtype.is_floating_point:
        w.div_(n)
    else:  # integer averages truncate, as NCCL's ncclAvg does
        w.copy_(w.div(n, rounding_mode="trunc"))


def _check(t, fn, name="tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type ember.Tensor but got "
                        f"{type(t).__name__} instead.")
    if t.device.type != "cpu":
        raise RuntimeError(f"{fn}(): ember.distributed carries CPU tensors; `{name}` is on {t.device} "
                           "(call .cpu() first)")
    if t.is_sparse:
        raise RuntimeError(f"{fn}(): sparse tensors are not supported; `{name}` is sparse (call .to_dense())")
    if not t.is_contiguous():
        raise RuntimeError(f"{fn}(): Tensors must be contiguous; `{name}` has shape {list(t.shape)} and strides "
                           f"{list(t.stride())} (call .contiguous() first)")


def _check_list(ts, fn, name):
    if not isinstance(ts, (list, tuple)):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[ember.Tensor] but "
                        f"got {type(ts).__name__} instead.")
    for t in ts:
        _check(t, fn, name)


def _wire(t):
    """(tensor in its wire dtype sharing t's memory when possible, writeback or None)."""
    d = t.detach()
    if _mpi.wire_dtype(t.dtype) == t.dtype.name:
        return d, None
    w = d.float()
    return w, (lambda: d.copy_(w))


def _describe(t):
    return f"{t.dtype.name}{list(t.shape)}"


def _not_member(fn):
    warnings.warn(f"Running {fn} on global rank {_world_rank()} which does not belong to the given group.")


def _world_rank():
    from . import _state
    return _state.world.rank


def _root(g, glob, local, fn, what):
    """The group-local root from a global rank (``src``/``dst``) or a group rank."""
    if glob is not None and local is not None:
        raise ValueError(f"{fn}(): give {what} or group_{what}, not both")
    if glob is None and local is None:
        if fn == "broadcast":
            raise ValueError("broadcast(): give src (a global rank) or group_src")
        local = 0
    if local is None:
        if glob not in g.ranks:
            raise ValueError(f"{fn}(): global rank {glob} is not part of group {g.name} (ranks {g.ranks})")
        return g.ranks.index(glob)
    if not 0 <= local < g.size:
        raise ValueError(f"{fn}(): group rank {local} is out of range for a group of {g.size}")
    return local


def _launch(g, fn, run, async_op, tensors, what, **fp):
    t0 = tensors[0] if tensors else None
    if t0 is not None:
        fp.setdefault("dtype", t0.dtype.name)
        fp.setdefault("numel", t0.numel())
    work = g.submit(fn, run, what=what, fp=fp, tensors=tensors,
                    trace_args={"numel": fp.get("numel", 0), "dtype": fp.get("dtype", "-")})
    if async_op:
        return work
    work.wait()
    return None


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduces ``tensor`` across the group in place; every rank gets the result."""
    _check(tensor, "all_reduce")
    g = resolve(group)
    if g is None:
        return _not_member("all_reduce")
    op, mop = _reduce_op(op, tensor.dtype, "all_reduce")
    w, back = _wire(tensor)

    def run(comm):
        comm.Allreduce(_mpi.mpi().IN_PLACE, _mpi.buf(w), mop)
        if op is ReduceOp.AVG:
            _finish_avg(w, g.size)
        if back:
            back()
    return _launch(g, "all_reduce", run, async_op, [tensor], _describe(tensor), reduce_op=op.value)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copies ``tensor`` from rank ``src`` (global) or ``group_src`` to every rank."""
    _check(tensor, "broadcast")
    g = resolve(group)
    if g is None:
        return _not_member("broadcast")
    root = _root(g, src, group_src, "broadcast", "src")
    w, back = _wire(tensor)

    def run(comm):
        comm.Bcast(_mpi.buf(w), root=root)
        if back and g.rank != root:
            back()
    return _launch(g, "broadcast", run, async_op, [tensor], _describe(tensor), root=root)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduces ``tensor`` across the group into rank ``dst``'s tensor (others are unchanged)."""
    _check(tensor, "reduce")
    g = resolve(group)
    if g is None:
        return _not_member("reduce")
    root = _root(g, dst, group_dst, "reduce", "dst")
    op, mop = _reduce_op(op, tensor.dtype, "reduce")
    w, back = _wire(tensor)

    def run(comm):
        MPI = _mpi.mpi()
        if g.rank == root:
            comm.Reduce(MPI.IN_PLACE, _mpi.buf(w), mop, root=root)
            if op is ReduceOp.AVG:
                _finish_avg(w, g.size)
            if back:
                back()
        else:
            comm.Reduce(_mpi.buf(w), None, mop, root=root)
    return _launch(g, "reduce", run, async_op, [tensor], _describe(tensor), root=root, reduce_op=op.value)


def _flat(n, dtype_name):
    return _native._zeros([n], getattr(__import__("ember"), dtype_name))


def _scatter_out(flat, outs):
    off = 0
    for o in outs:
        n = o.numel()
        o.detach().copy_(flat[off:off + n].view(tuple(o.shape)))
        off += n


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[i]`` receives rank i's ``tensor`` (sizes may differ per rank, as long as
    ``tensor_list[i]`` matches what rank i sends)."""
    _check(tensor, "all_gather")
    _check_list(tensor_list, "all_gather", "tensor_list")
    g = resolve(group)
    if g is None:
        return _not_member("all_gather")
    if len(tensor_list) != g.size:
        raise ValueError(f"all_gather(): tensor_list has {len(tensor_list)} tensors but the group has {g.size} ranks")
    for i, o in enumerate(tensor_list):
        if o.dtype != tensor.dtype:
            raise TypeError(f"all_gather(): tensor_list[{i}] is {o.dtype.name} but tensor is {tensor.dtype.name}")
    counts = [o.numel() for o in tensor_list]
    if counts[g.rank] != tensor.numel():
        raise ValueError(f"all_gather(): tensor has {tensor.numel()} elements but tensor_list[{g.rank}] (this rank's "
                         f"slot) has {counts[g.rank]}")
    w, _ = _wire(tensor)
    wire = _mpi.wire_dtype(tensor.dtype)

    def run(comm):
        flat = _flat(sum(counts), wire)
        comm.Allgatherv(_mpi.buf(w), [flat, counts, _mpi.datatype(flat.dtype)])
        _scatter_out(flat, tensor_list)
    return _launch(g, "all_gather", run, async_op, list(tensor_list), _describe(tensor), numel=sum(counts))


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Concatenates every rank's ``input_tensor`` (in rank order) into ``output_tensor``."""
    _check(output_tensor, "all_gather_into_tensor", "output_tensor")
    _check(input_tensor, "all_gather_into_tensor", "input_tensor")
    g = resolve(group)
    if g is None:
        return _not_member("all_gather_into_tensor")
    if output_tensor.dtype != input_tensor.dtype:
        raise TypeError(f"all_gather_into_tensor(): output is {output_tensor.dtype.name} but input is "
                        f"{input_tensor.dtype.name}")
    if output_tensor.numel() != g.size * input_tensor.numel():
        raise ValueError(f"all_gather_into_tensor(): output tensor size must be equal to world_size times input "
                         f"tensor size ({g.size} x {input_tensor.numel()}), got {output_tensor.numel()}")
    w_in, _ = _wire(input_tensor)
    w_out, back = _wire(output_tensor)

    def run(comm):
        comm.Allgather(_mpi.buf(w_in), _mpi.buf(w_out))
        if back:
            back()
    return _launch(g, "all_gather_into_tensor", run, async_op, [output_tensor], _describe(input_tensor))


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduces ``input`` across ranks and gives rank i the i-th of ``world_size`` equal chunks."""
    _check(output, "reduce_scatter_tensor", "output")
    _check(input, "reduce_scatter_tensor", "input")
    g = resolve(group)
    if g is None:
        return _not_member("reduce_scatter_tensor")
    if output.dtype != input.dtype:
        raise TypeError(f"reduce_scatter_tensor(): output is {output.dtype.name} but input is {input.dtype.name}")
    if input.numel() != g.size * output.numel():
        raise ValueError(f"reduce_scatter_tensor(): input tensor must be the same size as output size times world "
                         f"size ({g.size} x {output.numel()}), got {input.numel()}")
    op, mop = _reduce_op(op, input.dtype, "reduce_scatter_tensor")
    w_in, _ = _wire(input)
    w_out, back = _wire(output)

    def run(comm):
        comm.Reduce_scatter_block(_mpi.buf(w_in), _mpi.buf(w_out), mop)
        if op is ReduceOp.AVG:
            _finish_avg(w_out, g.size)
        if back:
            back()
    return _launch(g, "reduce_scatter_tensor", run, async_op, [output], _describe(input), reduce_op=op.value)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Rank ``dst`` (default 0) receives every rank's ``tensor`` into ``gather_list``."""
    _check(tensor, "gather")
    g = resolve(group)
    if g is None:
        return _not_member("gather")
    root = _root(g, dst, group_dst, "gather", "dst")
    outs = _rooted_list(g, root, gather_list, tensor, "gather", "gather_list", "destination")
    w, _ = _wire(tensor)
    wire = _mpi.wire_dtype(tensor.dtype)

    def run(comm):
        if g.rank == root:
            flat = _flat(g.size * tensor.numel(), wire)
            comm.Gather(_mpi.buf(w), _mpi.buf(flat), root=root)
            _scatter_out(flat, outs)
        else:
            comm.Gather(_mpi.buf(w), None, root=root)
    return _launch(g, "gather", run, async_op, outs or [tensor], _describe(tensor), root=root,
                   dtype=tensor.dtype.name, numel=tensor.numel())


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank ``src`` (default 0) sends ``scatter_list[i]`` to rank i's ``tensor``."""
    _check(tensor, "scatter")
    g = resolve(group)
    if g is None:
        return _not_member("scatter")
    root = _root(g, src, group_src, "scatter", "src")
    ins = _rooted_list(g, root, scatter_list, tensor, "scatter", "scatter_list", "source")
    w, back = _wire(tensor)
    wire = _mpi.wire_dtype(tensor.dtype)

    def run(comm):
        if g.rank == root:
            flat = _flat(g.size * tensor.numel(), wire)
            off = 0
            for t in ins:
                flat[off:off + t.numel()].copy_(t.detach().reshape(-1))
                off += t.numel()
            comm.Scatter(_mpi.buf(flat), _mpi.buf(w), root=root)
        else:
            comm.Scatter(None, _mpi.buf(w), root=root)
        if back:
            back()
    return _launch(g, "scatter", run, async_op, [tensor], _describe(tensor), root=root)


def _splits(sizes, total, n, fn, name, rows):
    """Element counts per rank from split sizes along dim 0 (even split when None)."""
    if sizes is None:
        if total % n:
            raise ValueError(f"{fn}(): {name} tensor's dim 0 ({total // max(rows, 1)}) must be divisible by the group "
                             f"size {n} when no split sizes are given")
        return [total // n] * n
    sizes = [int(v) for v in sizes]
    if len(sizes) != n or sum(sizes) * rows != total:
        raise ValueError(f"{fn}(): {name}_split_sizes {sizes} must have {n} entries summing to dim 0 of the {name} "
                         "tensor")
    return [v * rows for v in sizes]


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None, async_op=False):
    """Splits ``input`` along dim 0 and sends piece i to rank i; ``output`` receives rank i's
    piece in slot i (equal pieces, or the given split sizes)."""
    _check(output, "all_to_all_single", "output")
    _check(input, "all_to_all_single", "input")
    g = resolve(group)
    if g is None:
        return _not_member("all_to_all_single")
    if output.dtype != input.dtype:
        raise TypeError(f"all_to_all_single(): output is {output.dtype.name} but input is {input.dtype.name}")
    row_in = input.numel() // max(input.shape[0], 1) if input.ndim else 1
    row_out = output.numel() // max(output.shape[0], 1) if output.ndim else 1
    send = _splits(input_split_sizes, input.numel(), g.size, "all_to_all_single", "input", row_in)
    recv = _splits(output_split_sizes, output.numel(), g.size, "all_to_all_single", "output", row_out)
    w_in, _ = _wire(input)
    w_out, back = _wire(output)

    def run(comm):
        dt = _mpi.datatype(w_in.dtype)
        comm.Alltoallv([w_in, send, dt], [w_out, recv, dt])
        if back:
            back()
    return _launch(g, "all_to_all_single", run, async_op, [output], _describe(input), numel=0)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Sends ``input_tensor_list[i]`` to rank i; ``output_tensor_list[i]`` receives from rank i."""
    _check_list(output_tensor_list, "all_to_all", "output_tensor_list")
    _check_list(input_tensor_list, "all_to_all", "input_tensor_list")
    g = resolve(group)
    if g is None:
        return _not_member("all_to_all")
    if len(output_tensor_list) != g.size or len(input_tensor_list) != g.size:
        raise ValueError(f"all_to_all(): both lists need {g.size} tensors (one per rank), got "
                         f"{len(output_tensor_list)} and {len(input_tensor_list)}")
    dts = {t.dtype for t in list(output_tensor_list) + list(input_tensor_list)}
    if len(dts) != 1:
        raise TypeError(f"all_to_all(): all tensors must have one dtype, got {sorted(d.name for d in dts)}")
    wire = _mpi.wire_dtype(input_tensor_list[0].dtype)
    send = [t.numel() for t in input_tensor_list]
    recv = [t.numel() for t in output_tensor_list]

    def run(comm):
        src = _flat(sum(send), wire)
        off = 0
        for t in input_tensor_list:
            src[off:off + t.numel()].copy_(t.detach().reshape(-1))
            off += t.numel()
        dst = _flat(sum(recv), wire)
        dt = _mpi.datatype(src.dtype)
        comm.Alltoallv([src, send, dt], [dst, recv, dt])
        _scatter_out(dst, output_tensor_list)
    return _launch(g, "all_to_all", run, async_op, list(output_tensor_list), _describe(input_tensor_list[0]),
                   numel=0)


def _rooted_list(g, root, lst, tensor, fn, name, role):
    if g.rank != root:
        if lst:
            raise ValueError(f"Argument ``{name}`` must NOT be specified on non-{role} ranks.")
        return []
    if not lst:
        raise ValueError(f"Argument ``{name}`` must be specified on {role} rank.")
    _check_list(lst, fn, name)
    if len(lst) != g.size:
        raise ValueError(f"{fn}(): {name} has {len(lst)} tensors but the group has {g.size} ranks")
    for i, t in enumerate(lst):
        if t.dtype != tensor.dtype or t.numel() != tensor.numel():
            raise ValueError(f"{fn}(): {name}[{i}] is {_describe(t)} but tensor is {_describe(tensor)}; every entry "
                             "must have tensor's dtype and number of elements")
    return list(lst)


def barrier(group=None, async_op=False, device_ids=None):
    """Waits until every rank of the group reached the barrier."""
    g = resolve(group)
    if g is None:
        return _not_member("barrier")
    return _launch(g, "barrier", lambda comm: comm.Barrier(), async_op, [], "")


def all_gather_object(object_list, obj, group=None):
    """``object_list[i]`` becomes rank i's ``obj`` (pickled: only for trusted peers)."""
    g = resolve(group)
    if g is None:
        return _not_member("all_gather_object")
    if len(object_list) != g.size:
        raise ValueError(f"all_gather_object(): object_list has {len(object_list)} entries, the group {g.size} ranks")
    object_list[:] = g.run("all_gather_object", lambda comm: comm.allgather(obj))


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Replaces ``object_list``'s entries with those of rank ``src`` (pickled: trusted peers only)."""
    g = resolve(group)
    if g is None:
        return _not_member("broadcast_object_list")
    root = _root(g, src, group_src, "broadcast_object_list", "src") if (src, group_src) != (None, None) else 0
    mine = list(object_list) if g.rank == root else None
    object_list[:] = g.run("broadcast_object_list", lambda comm: comm.bcast(mine, root=root),
                           fp={"numel": len(object_list), "root": root})

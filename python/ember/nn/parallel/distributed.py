"""``DistributedDataParallel``: one model replica per process, gradients averaged across
processes during backward (see ``_reducer`` for how buckets overlap communication)."""
import contextlib

from ... import _native
from ..._native import Tensor
from ...autograd.function import Function
from ..modules.module import Module
from ._reducer import Reducer, broadcast_coalesced, verify_params


class _Marker(Function):
    """Recorded before the module's forward: lowest sequence number of the iteration's graph,
    so the engine runs its backward last — the reducer's end-of-backward callback."""

    @staticmethod
    def forward(ctx, anchor, reducer):
        ctx.reducer = reducer
        return anchor.clone()

    @staticmethod
    def backward(ctx, grad):
        ctx.reducer.finalize()
        return None, None


class _Sink(Function):
    """Identity on the forward outputs that also feeds the marker, tying it into the graph."""

    @staticmethod
    def forward(ctx, marker, *outs):
        ctx.marker_shape = tuple(marker.shape)
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        return (_native._zeros(list(ctx.marker_shape), _dtype_f32()),) + grads


def _dtype_f32():
    import ember
    return ember.float32


def _tensors_in(x, out):
    if isinstance(x, Tensor):
        out.append(x)
    elif isinstance(x, (list, tuple)):
        for v in x:
            _tensors_in(v, out)
    elif isinstance(x, dict):
        for v in x.values():
            _tensors_in(v, out)
    return out


def _replace(x, mapping):
    if isinstance(x, Tensor):
        return mapping.get(id(x), x)
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(_replace(v, mapping) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(_replace(v, mapping) for v in x)
    if isinstance(x, dict):
        return type(x)((k, _replace(v, mapping)) for k, v in x.items())
    return x


class DistributedDataParallel(Module):
    """Data parallelism over ``ember.distributed`` with PyTorch's semantics.

    At construction every rank checks that all ranks hold the same parameters (names, shapes,
    dtypes — a mismatch raises on every rank with all ranks' lists side by side) and copies
    parameters and buffers from rank 0. During ``backward`` gradients are averaged across
    ranks in buckets of ``bucket_cap_mb`` (default 25) MB, each all-reduced by the process
    group's communication thread as soon as it is complete, in the same order on every rank;
    when ``backward`` returns every ``.grad`` holds the average. ``no_sync()`` accumulates
    gradients locally. Parameters that receive no gradient are named in the same backward
    unless ``find_unused_parameters=True`` (then the graph is searched after each forward and
    they are skipped; a parameter unused on every rank keeps its ``.grad``). With
    ``broadcast_buffers`` the module's buffers are copied from rank 0 before each forward.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None, init_sync=True):
        super().__init__()
        from ...distributed._init import resolve
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel expects an nn.Module, got {type(module).__name__}")
        group = resolve(process_group)
        if group is None:
            raise ValueError("DistributedDataParallel: this rank is not a member of process_group")
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        devices = {p.device.type for _, p in named}
        if devices != {"cpu"}:
            raise ValueError(f"DistributedDataParallel in ember runs on CPU tensors; the module has parameters on "
                             f"{sorted(devices)}")
        if device_ids is not None and list(device_ids) and device_ids != ["cpu"]:
            raise ValueError(f"DistributedDataParallel device_ids and output_device arguments only work with "
                             f"single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                             f"{device_ids}, output_device {output_device}, and module parameters {{cpu}}.")
        if bucket_cap_mb is not None and bucket_cap_mb <= 0:
            raise ValueError(f"bucket_cap_mb must be positive, got {bucket_cap_mb}")
        self.module = module
        self.process_group = group
        self.dim, self.device_ids, self.output_device = dim, device_ids, output_device
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self.require_backward_grad_sync = True
        verify_params(group, [n for n, _ in named], [p for _, p in named])
        if init_sync:
            state = [p for p in module.parameters()] + [b for b in module.buffers()]
            with _no_grad():
                broadcast_coalesced(group, state)
        self.reducer = Reducer(named, group, self.bucket_bytes_cap, find_unused_parameters, gradient_as_bucket_view)
        self._anchor = _native._zeros([], _dtype_f32()).requires_grad_(True)

    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and _native.is_grad_enabled():
            bufs = list(self.module.buffers())
            if bufs:
                with _no_grad():
                    broadcast_coalesced(self.process_group, bufs, name="ddp_sync_buffers")
        sync = _native.is_grad_enabled() and self.require_backward_grad_sync
        marker = _Marker.apply(self._anchor, self.reducer) if sync else None
        out = self.module(*inputs, **kwargs)
        if not sync:
            return out
        outs = [t for t in _tensors_in(out, []) if t.requires_grad]
        if not outs:
            return out
        tied = _Sink.apply(marker, *outs)
        self.reducer.prepare(tied)
        return _replace(out, {id(o): t for o, t in zip(outs, tied)})

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward passes only accumulate local gradients; the first synchronised
        backward after it averages the accumulated gradients."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def _get_ddp_logging_data(self):
        """Figures of the last synchronised backward (communication span, exposed wait)."""
        return dict(self.reducer.last_stats or {})


def _no_grad():
    from ...autograd import no_grad
    return no_grad()

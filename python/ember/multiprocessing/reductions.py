"""How a tensor crosses a process boundary in ``multiprocessing``: by shared-memory handle.

``reduce_tensor`` runs in the sender inside ``ForkingPickler``: it moves the storage into
shared memory (in place, once) and sends a duplicated file descriptor plus the geometry
(dtype, sizes, strides, offset). ``rebuild_tensor`` runs in the receiver: it maps the same
segment, so both processes see one buffer. See the package docstring for the
producer-keeps-alive rule.
"""
import os
from multiprocessing import reduction as _reduction

from .. import _native
from .._native import Tensor


def shm_dir():
    """Where shared segments are created (a tmpfs): ``$EMBER_SHM_DIR`` or ``/dev/shm``."""
    return os.environ.get("EMBER_SHM_DIR", "/dev/shm")


def _as_class(t, cls, requires_grad):
    """Turns a rebuilt plain tensor back into ``cls`` (e.g. ``nn.Parameter``)."""
    if cls is Tensor:
        if requires_grad:
            t.requires_grad_(True)
        return t
    make = getattr(Tensor, "_make_subclass", None)
    if make is not None:
        return make(cls, t, requires_grad)
    return cls(t, requires_grad)


def _check_transferable(t):
    if t.requires_grad and t.grad_fn is not None:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does not support "
            "crossing process boundaries.  If you just want to transfer the data, call detach() on the tensor "
            "before serializing (e.g., putting it on the queue).")


def reduce_tensor(t):
    _check_transferable(t)
    t.share_memory_()
    fd, nbytes = _native._shared_fd(t)
    # DupFd duplicates the descriptor now; the receiver collects it while unpickling.
    handle = _reduction.DupFd(fd)
    return (rebuild_tensor, (type(t), handle, nbytes, t.dtype.name, tuple(t._shape), t.stride(), t.storage_offset(),
                             t.requires_grad))


def rebuild_tensor(cls, handle, nbytes, dtype_name, sizes, strides, offset, requires_grad):
    fd = handle.detach()
    t = _native._from_shared_fd(fd, nbytes, _native.dtype(dtype_name), list(sizes), list(strides), offset)
    return _as_class(t, cls, requires_grad)


def _all_subclasses(cls):
    out = [cls]
    for sub in cls.__subclasses__():
        out += _all_subclasses(sub)
    return out


def init_reductions():
    """Registers ``reduce_tensor`` for ``Tensor`` and its subclasses known now (``nn.Parameter``)
    with ``multiprocessing``'s pickler (its dispatch table matches exact types)."""
    for cls in _all_subclasses(Tensor):
        _reduction.ForkingPickler.register(cls, reduce_tensor)

"""How a tensor crosses a process boundary in ``multiprocessing``: by shared-memory handle.

``reduce_tensor`` runs in the sender inside ``ForkingPickler``: it moves the storage into
shared memory (in place, once) and sends a duplicated file descriptor plus the geometry
(dtype, sizes, strides, offset). ``rebuild_tensor`` runs in the receiver: it maps the same
segment, so both processes see one buffer. See the package docstring for the
producer-keeps-alive rule.
"""
import io
import os
import pickle
import socket
import struct
from multiprocessing import reduction as _reduction

from .. import _native
from .._native import Tensor


def _as_class(t, cls, requires_grad):
    """Turns a rebuilt plain tensor back into ``cls`` (e.g. ``nn.Parameter``)."""
    if cls is Tensor:
        if requires_grad:
            t.requires_grad_(True)
        return t
    make = getattr(Tensor, "_make_subclass", None)
    if make is not None:
        return make(cls, t, requires_grad)
    out = cls(t)  # Tensor(t) shares t's storage; so does nn.Parameter(t)
    if out.requires_grad != requires_grad:
        out.requires_grad_(requires_grad)
    return out


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


def _register_subclass(cls, **kwargs):
    _reduction.ForkingPickler.register(cls, reduce_tensor)
    if _previous_init_subclass is not None:
        _previous_init_subclass.__get__(None, cls)(**kwargs)


_previous_init_subclass = None


def init_reductions():
    """Registers ``reduce_tensor`` with ``multiprocessing``'s pickler for ``Tensor``, its
    subclasses known now (``nn.Parameter``) and any defined later (the pickler's dispatch
    table matches exact types, so each class needs its own entry)."""
    global _previous_init_subclass
    for cls in _all_subclasses(Tensor):
        _reduction.ForkingPickler.register(cls, reduce_tensor)
    if "__init_subclass__" in Tensor.__dict__ and Tensor.__dict__["__init_subclass__"].__func__ is not _register_subclass:
        _previous_init_subclass = Tensor.__dict__["__init_subclass__"]
    Tensor.__init_subclass__ = classmethod(_register_subclass)


# ---- direct fd passing over a socket (what DataLoader workers use) ----
#
# ``DupFd`` makes the receiver connect back to the sender for every descriptor (a
# handshake per tensor, and the sender must still be alive). A channel that is a Unix socket
# can carry the descriptors beside the message instead: the message is
# ``[u32 fd count][pickle]`` with tensors pickled as persistent ids that index the fd list,
# followed by the fds (SCM_RIGHTS, at most 253 per sendmsg). Once sent, they're the kernel's:
# the batch stays valid even if the sender dies right after.

_MAX_FDS = 253  # SCM_MAX_FD


class _FdPickler(_reduction.ForkingPickler):
    def __init__(self, file, fds):
        super().__init__(file, -1)
        self._fds = fds

    def persistent_id(self, obj):
        if not isinstance(obj, Tensor):
            return None
        _check_transferable(obj)
        obj.share_memory_()
        fd, nbytes = _native._shared_fd(obj)
        self._fds.append(fd)
        return ("ember.tensor", len(self._fds) - 1, obj.__class__, nbytes, obj.dtype.name, tuple(obj._shape),
                obj.stride(), obj.storage_offset(), obj.requires_grad)


class _FdUnpickler(pickle.Unpickler):
    def __init__(self, file, fds):
        super().__init__(file)
        self._fds, self._used = fds, set()

    def persistent_load(self, pid):
        tag, i, cls, nbytes, dtype_name, sizes, strides, offset, requires_grad = pid
        if tag != "ember.tensor" or i in self._used:
            raise pickle.UnpicklingError(f"bad shared-tensor reference {tag!r} #{i}")
        self._used.add(i)
        t = _native._from_shared_fd(self._fds[i], nbytes, _native.dtype(dtype_name), list(sizes), list(strides), offset)
        return _as_class(t, cls, requires_grad)


def _socket_of(conn):
    return socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=os.dup(conn.fileno()))


def send_shared(conn, obj):
    """Sends ``obj`` on a socket-backed ``Connection`` (``Pipe(duplex=True)``) with its tensors
    in shared memory and their descriptors attached to the message."""
    fds, buf = [], io.BytesIO()
    _FdPickler(buf, fds).dump(obj)
    conn.send_bytes(struct.pack("<I", len(fds)) + buf.getbuffer())
    if fds:
        with _socket_of(conn) as sock:
            for k in range(0, len(fds), _MAX_FDS):
                _reduction.sendfds(sock, fds[k:k + _MAX_FDS])


def recv_shared(conn):
    """Receives what ``send_shared`` sent; raises EOFError when the sender is gone."""
    data = conn.recv_bytes()
    (n,) = struct.unpack_from("<I", data)
    fds = []
    if n:
        with _socket_of(conn) as sock:
            while len(fds) < n:
                fds += _reduction.recvfds(sock, min(_MAX_FDS, n - len(fds)))
    up = _FdUnpickler(io.BytesIO(memoryview(data)[4:]), fds)
    try:
        return up.load()
    finally:
        for i, fd in enumerate(fds):
            if i not in up._used:
                os.close(fd)

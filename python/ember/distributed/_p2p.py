"""Point-to-point messages. They run on threads of their own over the group's second
communicator (see ``_work``), bounded by the group's timeout like every collective."""
from . import _mpi
from ._collectives import _check, _describe, _not_member, _root, _wire
from ._init import resolve

__all__ = ["send", "recv", "isend", "irecv"]


def _peer(g, glob, local, fn, what):
    if glob is not None and local is not None:
        raise ValueError(f"{fn}(): give {what} or group_{what}, not both")
    if glob is None and local is None:
        return None
    r = _root(g, glob, local, fn, what)
    if r == g.rank:
        raise ValueError(f"Invalid {what} rank: {what} must not be the same as the rank of the current process.")
    return r


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Sends ``tensor`` to ``dst``; returns a ``Work``."""
    _check(tensor, "isend")
    g = resolve(group)
    if g is None:
        return _not_member("isend")
    peer = _peer(g, dst, group_dst, "isend", "dst")
    if peer is None:
        raise ValueError("isend(): give dst (a global rank) or group_dst")
    w, _ = _wire(tensor)
    return g.submit("send", lambda comm: comm.Send(_mpi.buf(w), dest=peer, tag=tag),
                    what=f"{_describe(tensor)} to rank {g.ranks[peer]} tag {tag}", collective=False,
                    tensors=[tensor])


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receives into ``tensor`` from ``src`` (any rank when None); ``Work.source_rank()`` says who sent."""
    _check(tensor, "irecv")
    g = resolve(group)
    if g is None:
        return _not_member("irecv")
    peer = _peer(g, src, group_src, "irecv", "src")
    w, back = _wire(tensor)

    def run(comm):
        MPI = _mpi.mpi()
        st = MPI.Status()
        comm.Recv(_mpi.buf(w), source=MPI.ANY_SOURCE if peer is None else peer, tag=tag, status=st)
        if back:
            back()
        return g.ranks[st.Get_source()]
    who = "any rank" if peer is None else f"rank {g.ranks[peer]}"
    return g.submit("recv", run, what=f"{_describe(tensor)} from {who} tag {tag}", collective=False, tensors=[tensor])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Sends ``tensor`` to rank ``dst`` (blocking, bounded by the group's timeout)."""
    w = isend(tensor, dst, group, tag, group_dst)
    if w is not None:
        w.wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receives into ``tensor``; returns the sender's global rank (-1 when not in the group)."""
    w = irecv(tensor, src, group, tag, group_src)
    return -1 if w is None else w.source_rank()

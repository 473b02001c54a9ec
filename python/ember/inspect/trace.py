"""``with ember.inspect.trace() as tr:`` records every op: inputs, result dtype and the promotion
rule that chose it, the kernel and fast path taken, threads used, bytes allocated, wall time.
"""
import json
import time
from dataclasses import dataclass, field

from .. import _native
from .._native import Tensor
from . import _hooks


def _desc(x):
    if isinstance(x, Tensor):
        return {"shape": tuple(x.shape), "strides": () if x.is_sparse else tuple(x.stride()), "dtype": x.dtype.name,
                "device": str(x.device), "layout": str(x.layout)}
    if isinstance(x, (int, float, bool)):
        return {"scalar": type(x).__name__, "value": x}
    return {"type": type(x).__name__}


def promotion_rule(args):
    """Why an op on ``args`` gets its result dtype (PyTorch's three priority classes)."""
    tensors = [a for a in args if isinstance(a, Tensor)]
    scalars = [a for a in args if isinstance(a, (bool, int, float)) and not isinstance(a, Tensor)]
    if not tensors or len(tensors) + len(scalars) < 2:
        return ""
    operands = [a for a in args if isinstance(a, Tensor) or (isinstance(a, (bool, int, float)))][:2]
    try:
        res = _native.result_type(*operands)
    except (TypeError, RuntimeError):
        return ""
    dims = sorted({t.dtype.name for t in tensors if t.ndim > 0})
    zero = sorted({t.dtype.name for t in tensors if t.ndim == 0})
    parts = []
    if dims:
        parts.append(f"tensors {'+'.join(dims)}")
    if zero:
        parts.append(f"0-dim {'+'.join(zero)} (only lifts the kind)")
    if scalars:
        parts.append(f"python {'+'.join(sorted({type(s).__name__ for s in scalars}))} (weak)")
    return f"{res.name} <- " + ", ".join(parts)


@dataclass
class Event:
    name: str
    inputs: list
    output: list
    result_dtype: str
    promotion: str
    kernel: str
    path: str
    threads: int
    bytes_allocated: int
    start_ns: int
    wall_ns: int
    location: str = ""
    args: dict = field(default_factory=dict)
    #: The kernel family the inputs' device and layout chose: cpu-strided, cpu-sparse, meta, wgpu.
    dispatch: str = ""
    #: The thread that ran it ("main", or "comm" for ember.distributed's communication thread).
    thread: str = "main"
    #: Chrome trace phase: "X" (a span) or "i" (an instant, e.g. a DDP bucket becoming ready).
    phase: str = "X"


def _family_of(outs):
    """The family an op that picked no kernel (a view) ran in, from what it returned."""
    if not outs:
        return ""
    o = outs[0]
    if o.is_sparse:
        return "cpu-sparse"
    return {"cpu": "cpu-strided"}.get(o.device.type, o.device.type)


def _outputs(out):
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [o for o in out if isinstance(o, Tensor)]
    return []


class trace:
    """Context manager recording ops into ``self.events``; ``table()`` and
    ``to_chrome_trace(path)`` present them."""

    def __init__(self, record_location=True):
        self.events = []
        self.record_location = record_location

    def __enter__(self):
        self._t0 = time.perf_counter_ns()
        _hooks.add(self)
        return self

    def __exit__(self, *exc):
        _hooks.remove(self)

    def before(self, label, args, kwargs):
        ptrs = {a.untyped_storage().data_ptr() for a in list(args) + list(kwargs.values()) if isinstance(a, Tensor)}
        return (time.perf_counter_ns(), ptrs, _hooks.caller_location() if self.record_location else "")

    def after(self, token, label, args, kwargs, out, kernel):
        t0, ptrs, loc = token
        t1 = time.perf_counter_ns()
        outs = _outputs(out)
        new_bytes = sum(o.untyped_storage().nbytes() for o in outs if o.untyped_storage().data_ptr() not in ptrs)
        ins = [_desc(a) for a in args]
        kfam, kpath, kth = kernel if kernel else ("", "", 1)
        chosen = _hooks.last_dispatch()
        family = chosen[1] if chosen else _family_of(outs)
        self.events.append(Event(
            name=label, inputs=ins, output=[_desc(o) for o in outs],
            result_dtype=outs[0].dtype.name if outs else "", promotion=promotion_rule(list(args)),
            kernel=kfam, path=kpath, threads=kth, bytes_allocated=new_bytes,
            start_ns=t0 - self._t0, wall_ns=t1 - t0, location=loc,
            args={k: v for k, v in kwargs.items() if isinstance(v, (int, float, str, bool, type(None)))},
            dispatch=family, thread=_thread_name(),
        ))

    def __iter__(self):
        return iter(self.events)

    def __len__(self):
        return len(self.events)

    def table(self, file=None):
        """Prints one line per op; returns the text."""
        def shapes(ds):
            return " ".join(
                ("x".join(map(str, d["shape"])) or "()") + ("" if _contig(d) else "ᵀ") if "shape" in d else str(d.get("value", d.get("type")))
                for d in ds)

        rows = [("op", "inputs", "-> dtype", "promotion", "dispatch", "kernel/path", "thr", "alloc", "µs")]
        for e in self.events:
            rows.append((e.name, shapes(e.inputs), e.result_dtype, e.promotion, e.dispatch or "-",
                         f"{e.kernel}/{e.path}" if e.kernel else "-",
                         str(e.threads), _bytes(e.bytes_allocated), f"{e.wall_ns / 1e3:.1f}"))
        widths = [min(max(len(r[i]) for r in rows), 40) for i in range(len(rows[0]))]
        text = "\n".join("  ".join(c[:40].ljust(w) for c, w in zip(r, widths)) for r in rows)
        print(text, file=file)
        return text

    def to_chrome_trace(self, path):
        """Writes a chrome://tracing / Perfetto JSON file. Under ember.distributed the process
        id is the rank (concatenate the ranks' ``traceEvents`` to see them side by side) and
        collectives run on the "comm" thread row."""
        pid = _rank()
        tids = {"main": 0}
        for e in self.events:
            tids.setdefault(e.thread, len(tids))
        events = [{
            "name": e.name, "ph": e.phase, "ts": e.start_ns / 1e3, "dur": max(e.wall_ns / 1e3, 0.001), "pid": pid,
            "tid": tids[e.thread],
            "args": {"inputs": json.loads(json.dumps(e.inputs, default=str)), "result_dtype": e.result_dtype,
                     "promotion": e.promotion, "dispatch": e.dispatch, "kernel": e.kernel, "path": e.path, "threads": e.threads,
                     "bytes_allocated": e.bytes_allocated, "location": e.location,
                     **({"distributed": json.loads(json.dumps(e.args, default=str))} if e.dispatch == "distributed" else {})},
            **({"s": "t"} if e.phase == "i" else {}),
        } for e in self.events]
        events += [{"name": "thread_name", "ph": "M", "pid": pid, "tid": tid, "args": {"name": name}}
                   for name, tid in tids.items()]
        with open(path, "w") as f:
            json.dump({"traceEvents": events, "displayTimeUnit": "ns"}, f)
        return path


def active():
    """True while at least one ``trace()`` is recording."""
    return any(isinstance(o, trace) for o in _hooks._observers)


def record_event(name, start_s, end_s=None, thread="main", args=None):
    """Records a non-op event (a collective, a DDP bucket) into every active trace; times are
    ``time.perf_counter()`` seconds, ``end_s=None`` for an instant. Safe from any thread."""
    for obs in list(_hooks._observers):
        if isinstance(obs, trace):
            t0 = int(start_s * 1e9) - obs._t0
            wall = 0 if end_s is None else int((end_s - start_s) * 1e9)
            obs.events.append(Event(name=name, inputs=[], output=[], result_dtype="", promotion="", kernel="",
                                    path="", threads=1, bytes_allocated=0, start_ns=t0, wall_ns=wall,
                                    args=dict(args or {}), dispatch="distributed", thread=thread,
                                    phase="X" if end_s is not None else "i"))


def _thread_name():
    import threading
    t = threading.current_thread()
    return "main" if t is threading.main_thread() else ("comm" if t.name.startswith("ember-comm") else t.name)


def _rank():
    import sys
    dist = sys.modules.get("ember.distributed")
    return dist.get_rank() if dist is not None and dist.is_initialized() else 0


def _contig(d):
    expect, ok = 1, True
    for n, s in zip(reversed(d["shape"]), reversed(d["strides"])):
        if n != 1 and s != expect:
            ok = False
        expect *= n
    return ok


def _bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024

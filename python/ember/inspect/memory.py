"""``ember.inspect.memory()``: live storages, who views them, and views that pin big buffers."""
import gc
from dataclasses import dataclass, field

from .._native import Tensor
from . import _hooks

PIN_MIN_BYTES = 1 << 20  # only flag storages of at least 1 MiB
PIN_RATIO = 0.01  # ... viewed through less than 1% of their bytes


@dataclass
class StorageInfo:
    data_ptr: int
    nbytes: int
    dtype: str
    device: str
    tensors: int
    largest_view_bytes: int
    origin: str = ""

    @property
    def pinned_by_small_view(self):
        return self.nbytes >= PIN_MIN_BYTES and self.largest_view_bytes < PIN_RATIO * self.nbytes


@dataclass
class MemoryReport:
    storages: list
    totals: dict = field(default_factory=dict)

    def warnings(self):
        out = []
        for s in self.storages:
            if s.pinned_by_small_view:
                out.append(f"a {_bytes(s.largest_view_bytes)} view keeps {_bytes(s.nbytes)} alive "
                           f"(storage 0x{s.data_ptr:x}{', made by ' + s.origin if s.origin else ''}) — .clone() it")
        return out

    def __str__(self):
        lines = [f"{'storage':>16s} {'bytes':>10s} {'dtype':>9s} {'device':>6s} {'tensors':>7s}  origin"]
        for s in self.storages:
            lines.append(f"0x{s.data_ptr:014x} {_bytes(s.nbytes):>10s} {s.dtype:>9s} {s.device:>6s} {s.tensors:7d}  {s.origin}")
        for dev, total in self.totals.items():
            lines.append(f"total on {dev}: {_bytes(total)} in {sum(1 for s in self.storages if s.device == dev)} storage(s)")
        lines += ["warning: " + w for w in self.warnings()]
        return "\n".join(lines)

    __repr__ = __str__


_origins = {}  # data_ptr -> (nbytes, "op at file:line"), filled while track_allocations() is on


class track_allocations:
    """While active, remembers which op and line created each new storage; also measures the
    block's peak and net allocation (``.peak_bytes``, ``.net_bytes``) from ember's counters."""

    def __enter__(self):
        from .. import _native

        self._native = _native
        self._start = _native._allocated_bytes() if hasattr(_native, "_allocated_bytes") else None
        if self._start is not None:
            _native._reset_peak_bytes()
        _hooks.add(self)
        return self

    def __exit__(self, *exc):
        _hooks.remove(self)
        if self._start is not None:
            self.net_bytes = self._native._allocated_bytes() - self._start
            self.peak_bytes = self._native._peak_bytes() - self._start

    def before(self, label, args, kwargs):
        return {a.untyped_storage().data_ptr() for a in args if isinstance(a, Tensor)}

    def after(self, ptrs, label, args, kwargs, out, kernel):
        outs = [out] if isinstance(out, Tensor) else [o for o in (out if isinstance(out, (tuple, list)) else []) if isinstance(o, Tensor)]
        for o in outs:
            st = o.untyped_storage()
            if st.data_ptr() not in ptrs:
                _origins[st.data_ptr()] = (st.nbytes(), f"{label} at {_hooks.caller_location()}")


def memory():
    """Live storages reachable from Python tensors, largest first, with per-device totals."""
    by_ptr = {}
    for obj in gc.get_objects():
        if isinstance(obj, Tensor):
            st = obj.untyped_storage()
            key = st.data_ptr()
            info = by_ptr.get(key)
            view_bytes = obj.numel() * obj.element_size()
            if info is None:
                origin = _origins.get(key)
                by_ptr[key] = StorageInfo(key, st.nbytes(), obj.dtype.name, str(obj.device), 1, view_bytes,
                                          origin[1] if origin and origin[0] == st.nbytes() else "")
            else:
                info.tensors += 1
                info.largest_view_bytes = max(info.largest_view_bytes, view_bytes)
    storages = sorted(by_ptr.values(), key=lambda s: -s.nbytes)
    totals = {}
    for s in storages:
        totals[s.device] = totals.get(s.device, 0) + s.nbytes
    return MemoryReport(storages, totals)


def _bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n}B" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024

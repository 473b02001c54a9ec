"""In-place provenance: while ``track_inplace()`` is active (``detect_anomaly`` turns it on too),
every in-place op records itself and its Python ``file:line`` on the storage it wrote, and
autograd's "modified by an inplace operation" error names them."""
from .. import _native
from .._native import Tensor
from . import _hooks


def _is_inplace(label):
    name = label.rsplit(".", 1)[-1]
    return (name.endswith("_") and not name.startswith("__")) or name in (
        "__setitem__", "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ipow__", "__ifloordiv__", "__imod__",
        "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__")


class track_inplace:
    def __enter__(self):
        _hooks.add(self)
        return self

    def __exit__(self, *exc):
        _hooks.remove(self)

    def before(self, label, args, kwargs):
        if not _is_inplace(label) or not args or not isinstance(args[0], Tensor):
            return None
        return args[0]._version

    def after(self, version, label, args, kwargs, out, kernel):
        if version is not None and args[0]._version != version:
            _native._set_last_write(args[0], f"{label} at {_hooks.caller_location()}")

"""Padding layers: constant/zero, reflection, replication and circular, for 1-, 2- and 3-D
spatial input (each forwards to ``F.pad`` with its mode)."""
from .. import functional as F
from .module import Module

__all__ = []


def _ntuple(v, n):
    if isinstance(v, int):
        return (v,) * (2 * n)
    v = tuple(v)
    if len(v) != 2 * n:
        raise ValueError(f"padding must be an int or a {2 * n}-tuple, got {v}")
    return v


class _PadNd(Module):
    _mode, _n = "constant", 1

    def __init__(self, padding, value=0.0):
        super().__init__()
        self.padding = _ntuple(padding, self._n)
        if self._mode == "constant":
            self.value = value

    def forward(self, input):
        if input.ndim not in (self._n + 1, self._n + 2):
            raise ValueError(f"{type(self).__name__}: expected {self._n + 1}D or {self._n + 2}D input (got "
                             f"{input.ndim}D input)")
        if self._mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}, value={self.value}" if self._mode == "constant" else f"{self.padding}"


def _make(name, mode, n, zero=False):
    if zero:
        def __init__(self, padding):
            _PadNd.__init__(self, padding, 0.0)

        def extra_repr(self):
            return f"{self.padding}"
        body = {"__init__": __init__, "extra_repr": extra_repr}
    else:
        body = {}
    cls = type(name, (_PadNd,), dict(body, _mode=mode, _n=n, __module__=__name__,
                                     __doc__=f"Pads the last {n} dim(s) ({mode}) by ``padding`` "
                                             "(int, or (left, right, top, bottom, front, back) as F.pad reads it)."))
    globals()[name] = cls
    __all__.append(name)


for _n in (1, 2, 3):
    _make(f"ConstantPad{_n}d", "constant", _n)
    _make(f"ZeroPad{_n}d", "constant", _n, zero=True)
    _make(f"ReflectionPad{_n}d", "reflect", _n)
    _make(f"ReplicationPad{_n}d", "replicate", _n)
    _make(f"CircularPad{_n}d", "circular", _n)

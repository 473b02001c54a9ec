"""`__array_namespace_info__`: devices, default dtypes and capabilities of the namespace."""
import ember

from . import _dtypes

_CPU = ember.device("cpu")
_DEFAULTS = {"real floating": ember.float32, "complex floating": None,
             "integral": ember.int64, "indexing": ember.int64}


def _default_float():
    # follows ember.set_default_dtype, the way asarray(1.0) does
    return ember.get_default_dtype()


class __array_namespace_info__:
    """Inspection API of ember.array_api (standard revision 2024.12)."""

    def capabilities(self):
        return {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": 64}

    def default_device(self):
        return _CPU

    def devices(self):
        out = [_CPU]
        if ember.wgpu.is_available():
            out.append(ember.device("wgpu"))
        return out

    def default_dtypes(self, *, device=None):
        _check_device(device)
        d = dict(_DEFAULTS)
        d["real floating"] = _default_float()
        if not _dtypes._COMPLEX:
            del d["complex floating"]
        return d

    def dtypes(self, *, device=None, kind=None):
        _check_device(device)
        if kind is None:
            pool = _dtypes._ALL
        else:
            pool = [d for d in _dtypes._ALL if _dtypes.isdtype(d, kind)]
        return {_dtypes._NAMES[d]: d for d in pool}


def _check_device(device):
    if device is not None and ember.device(device) not in __array_namespace_info__().devices():
        raise ValueError(f"unknown device {device!r}")

"""`__array_namespace_info__`: devices, default dtypes and capabilities of the namespace."""
import ember

from . import _dtypes

_CPU = ember.device("cpu")
# WGSL has no 64-bit or 8/16-bit signed types; ember's wgpu kernels cover these
_WGPU_DTYPES = (ember.bool, ember.uint8, ember.int32, ember.float32)
_DEFAULTS = {"real floating": ember.float32, "complex floating": ember.complex64,
             "integral": ember.int64, "indexing": ember.int64}


def _default_float():
    # follows ember.set_default_dtype, the way asarray(1.0) does
    return ember.get_default_dtype()


class __array_namespace_info__:
    """Inspection API of ember.array_api (standard revision 2025.12)."""

    def capabilities(self):
        return {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": 64}

    def default_device(self):
        return _CPU

    def devices(self):
        # a tuple since revision 2025.12 (a list before)
        if ember.wgpu.is_available():
            return (_CPU, ember.device("wgpu:0"))  # the index tensors report
        return (_CPU,)

    def default_dtypes(self, *, device=None):
        _check_device(device)
        d = dict(_DEFAULTS)
        d["real floating"] = _default_float()
        # the complex dtype whose parts have the default float's precision
        d["complex floating"] = _dtypes._WITH_PARTS[d["real floating"]]
        if _is_wgpu(device):
            # the standard requires every key; the wgpu backend holds no complex dtype (its
            # dtypes() leaves complex out), so the pairing with float32 is named
            d.update({"real floating": ember.float32, "complex floating": ember.complex64,
                      "integral": ember.int32})
        return d

    def dtypes(self, *, device=None, kind=None):
        _check_device(device)
        if _is_wgpu(device):
            pool = [d for d in _dtypes._ALL if d in _WGPU_DTYPES]
        else:
            pool = _dtypes._ALL
        if kind is not None:
            pool = [d for d in pool if _dtypes.isdtype(d, kind)]
        return {_dtypes._NAMES[d]: d for d in pool}


def _check_device(device):
    if device is None:
        return
    try:
        d = ember.device(device)
    except (RuntimeError, TypeError, ValueError):
        d = None
    if d not in __array_namespace_info__().devices():
        raise ValueError(f"unknown device {device!r}; ember.array_api has "
                         f"{', '.join(str(x) for x in __array_namespace_info__().devices())}")


def _is_wgpu(device):
    return device is not None and ember.device(device).type == "wgpu"

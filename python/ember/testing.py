"""``ember.testing.assert_close``: PyTorch's tensor comparison for tests (``torch.testing``)."""
import numpy as _np

from ._native import Tensor

__all__ = ["assert_close", "make_tensor"]

# Default (rtol, atol) per dtype name, as documented for torch.testing.assert_close.
_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    from . import as_tensor
    return as_tensor(x)


def _dtype_name(t):
    return str(t.dtype).split(".")[-1]


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raises AssertionError unless ``|actual - expected| <= atol + rtol * |expected|`` elementwise
    (after matching shape, and dtype/device unless told not to). Sequences and mappings compare
    item by item."""
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.")
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise AssertionError(msg or f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                         check_dtype=check_dtype, check_stride=check_stride, msg=msg)
        return
    if isinstance(actual, dict) and isinstance(expected, dict):
        if set(actual) != set(expected):
            raise AssertionError(msg or f"The keys of the mappings do not match: {sorted(actual)} != {sorted(expected)}")
        for k in actual:
            assert_close(actual[k], expected[k], rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_device=check_device, check_dtype=check_dtype, check_stride=check_stride, msg=msg)
        return
    a, e = _as_tensor(actual), _as_tensor(expected)
    for attr, check in (("shape", True), ("device", check_device), ("dtype", check_dtype)):
        if check and getattr(a, attr) != getattr(e, attr):
            raise AssertionError(msg or f"The values for attribute '{attr}' do not match: "
                                        f"{getattr(a, attr)} != {getattr(e, attr)}.")
    if check_stride and a.stride() != e.stride():
        raise AssertionError(msg or f"The values for attribute 'stride()' do not match: {a.stride()} != {e.stride()}.")
    if rtol is None:
        rtol, atol = max(_TOLERANCES.get(_dtype_name(a), (0.0, 0.0)), _TOLERANCES.get(_dtype_name(e), (0.0, 0.0)))
    an, en = a.detach().cpu().numpy(), e.detach().cpu().numpy()
    exact = rtol == 0 and atol == 0
    if an.dtype == _np.bool_ or en.dtype == _np.bool_:
        an, en = an.astype(_np.int64), en.astype(_np.int64)
    with _np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ad, ed = an.astype(_np.result_type(an, en, _np.float64)), en.astype(_np.result_type(an, en, _np.float64))
        diff = _np.abs(ad - ed)
        ok = (diff <= atol + rtol * _np.abs(ed)) | (ad == ed)
        if equal_nan:
            ok |= _np.isnan(ad) & _np.isnan(ed)
        bad = ~ok
        if not bad.any():
            return
        rel = diff / _np.abs(ed)
    kind = "equal" if exact else "close"
    n = int(bad.sum())
    lines = [f"Tensor-likes are not {kind}!", "", f"Mismatched elements: {n} / {bad.size} ({100.0 * n / bad.size:.1f}%)"]
    for name, values, tol in (("absolute", diff, atol), ("relative", rel, rtol)):
        masked = _np.where(bad, values, -_np.inf)
        where = _np.unravel_index(int(_np.argmax(_np.where(_np.isnan(masked), _np.inf, masked))), bad.shape)
        allowed = "" if exact else f" (up to {tol} allowed)"
        lines.append(f"Greatest {name} difference: {values[where]} at index {tuple(int(i) for i in where)}{allowed}")
    raise AssertionError(msg or "\n".join(lines))


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A tensor of ``shape`` filled uniformly from [low, high) (defaults: [-9, 9] for numbers, {0, 1} for bool)."""
    from . import empty, randint, rand
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    name = _dtype_name(empty(0, dtype=dtype))
    if name == "bool":
        t = randint(0, 2, shape).to(dtype)
    elif "int" in name:
        lo = -9 if low is None else int(low)
        lo = max(lo, 0) if name.startswith("uint") else lo
        t = randint(lo, 10 if high is None else int(high), shape, dtype=dtype)
    else:
        lo, hi = (-9.0 if low is None else low), (9.0 if high is None else high)
        t = (rand(shape) * (hi - lo) + lo).to(dtype)
    if exclude_zero:
        t = t.masked_fill(t == 0, 1)
    if noncontiguous and t.numel() > 1:
        t = t.repeat_interleave(2, dim=-1)[..., ::2]
    if device is not None:
        t = t.to(device)
    return t.requires_grad_(requires_grad) if t.is_floating_point() else t

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


class _Mismatch(Exception):
    """A failed comparison: the generated message and the path of the item that failed."""

    def __init__(self, message, path=()):
        super().__init__(message)
        self.message, self.path = message, path


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raises AssertionError unless ``|actual - expected| <= atol + rtol * |expected|`` elementwise
    (after matching shape, and dtype/device unless told not to). Sequences and mappings compare
    item by item; a failure inside one ends with ``The failure occurred for item [i]``.

    ``msg`` as a string replaces the generated message; as a callable it receives the generated
    message and returns the one to raise (PyTorch's messages, formats and tolerances)."""
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.")
    opts = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device, check_dtype=check_dtype,
                check_stride=check_stride)
    try:
        _compare(actual, expected, (), opts)
    except _Mismatch as m:
        if isinstance(msg, str):
            raise AssertionError(msg) from None
        text = m.message
        if m.path:
            text += "\n\nThe failure occurred for item " + "".join(str([k]) for k in m.path)
        raise AssertionError(msg(text) if callable(msg) else text) from None


def _compare(actual, expected, path, opts):
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", path)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, path + (i,), opts)
        return
    if isinstance(actual, dict) and isinstance(expected, dict):
        if set(actual) != set(expected):
            raise _Mismatch(f"The keys of the mappings do not match: {sorted(actual)} != {sorted(expected)}", path)
        for k in actual:
            _compare(actual[k], expected[k], path + (k,), opts)
        return
    if isinstance(actual, (bool, _np.bool_)) and isinstance(expected, (bool, _np.bool_)):
        if bool(actual) != bool(expected):
            raise _Mismatch(f"Booleans mismatch: {actual} is not {expected}", path)
        return
    if _is_number(actual) and _is_number(expected) and type(actual) is type(expected):
        _compare_scalars(actual, expected, path, opts)
        return
    _compare_tensors(_as_tensor(actual), _as_tensor(expected), path, opts)


def _is_number(x):
    return isinstance(x, (int, float, complex)) and not isinstance(x, bool)


def _scalar_message(a, e, rtol, atol):
    abs_diff = abs(a - e)
    rel_diff = float("inf") if e == 0 else abs_diff / abs(e)
    return _message("Scalars", f"Expected {e} but got {a}.", abs_diff, None, atol, rel_diff, None, rtol)


def _message(identifier, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    exact = rtol == 0 and atol == 0
    lines = [f"{identifier} are not {'equal' if exact else 'close'}!", "", extra]
    for name, diff, idx, tol in (("absolute", abs_diff, abs_idx, atol), ("relative", rel_diff, rel_idx, rtol)):
        line = f"{name.title()} difference: {diff}" if idx is None else f"Greatest {name} difference: {diff} at index {idx}"
        lines.append(line if exact else f"{line} (up to {tol} allowed)")
    return "\n".join(lines)


def _compare_scalars(a, e, path, opts):
    # Python numbers: ints compare exactly, floats and complexes with float64's tolerances.
    rtol, atol = opts["rtol"], opts["atol"]
    if rtol is None:
        rtol, atol = (0.0, 0.0) if isinstance(a, int) else _TOLERANCES["float64"]
    if a == e or (opts["equal_nan"] and a != a and e != e):
        return
    abs_diff = abs(a - e)
    if abs_diff == abs_diff and abs_diff != float("inf") and abs_diff <= atol + rtol * abs(e):
        return
    raise _Mismatch(_scalar_message(a, e, rtol, atol), path)


def _compare_tensors(a, e, path, opts):
    for attr, check in (("shape", True), ("device", opts["check_device"]), ("dtype", opts["check_dtype"])):
        if check and getattr(a, attr) != getattr(e, attr):
            raise _Mismatch(f"The values for attribute '{attr}' do not match: {getattr(a, attr)} != {getattr(e, attr)}.",
                            path)
    if opts["check_stride"] and a.stride() != e.stride():
        raise _Mismatch(f"The values for attribute 'stride()' do not match: {a.stride()} != {e.stride()}.", path)
    rtol, atol = opts["rtol"], opts["atol"]
    if rtol is None:
        rtol, atol = max(_TOLERANCES.get(_dtype_name(a), (0.0, 0.0)), _TOLERANCES.get(_dtype_name(e), (0.0, 0.0)))
    if a.dtype != e.dtype:  # as PyTorch, compare in the promoted dtype (ember's promotion rules)
        from ._native import promote_types
        common = promote_types(a.dtype, e.dtype)
        a, e = a.detach().to(common), e.detach().to(common)
    bf16 = _dtype_name(a) == "bfloat16"  # NumPy has no bfloat16: compare in float32, round figures back
    if bf16:
        a, e = a.detach().float(), e.detach().float()
    an, en = a.detach().cpu().numpy(), e.detach().cpu().numpy()
    common = an.dtype
    if common.kind in "biu":
        # Integers (and bools) as int64, relative differences in the default float dtype (float32).
        an, en = an.astype(_np.int64), en.astype(_np.int64)
    with _np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        wide = _np.complex128 if common.kind == "c" else _np.float64
        ad, ed = an.astype(wide), en.astype(wide)
        ok = (_np.abs(ad - ed) <= atol + rtol * _np.abs(ed)) | (ad == ed)
        if opts["equal_nan"]:
            ok |= _np.isnan(ad) & _np.isnan(ed)
        bad = ~ok
        if not bad.any():
            return
        if an.ndim == 0:
            raise _Mismatch(_scalar_message(an.item(), en.item(), rtol, atol), path)
        diff = _np.abs(an - en)  # in the compared dtype, so the printed figures are PyTorch's
        real = _np.float32 if common.kind in "biu" else diff.dtype
        rel = (diff.astype(real) / _np.abs(en).astype(real)).astype(real)
        if bf16:
            from . import bfloat16, from_numpy
            diff, rel = (from_numpy(v).to(bfloat16).float().numpy() for v in (diff, rel))
    n = int(bad.sum())
    extra = f"Mismatched elements: {n} / {bad.size} ({100.0 * n / bad.size:.1f}%)"
    figures = []
    for values in (diff, rel):
        masked = _np.where(bad, values, _np.zeros((), values.dtype))
        flat = int(_np.argmax(_np.where(_np.isnan(masked), _np.inf, masked)))
        where = tuple(int(i) for i in _np.unravel_index(flat, bad.shape))
        figures += [values[where].item(), where]
    raise _Mismatch(_message("Tensor-likes", extra, figures[0], figures[1], atol, figures[2], figures[3], rtol), path)


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

"""``with ember.inspect.detect_nonfinite():`` — NaN/Inf provenance in the *forward* pass.

Raises at the first op whose output holds a NaN or ±Inf that none of its inputs held, naming
the op, its inputs' shapes and value ranges, and the Python ``file:line`` that called it.
(PyTorch's anomaly mode only checks backward.)
"""
from .._native import Tensor
from . import _hooks


class NonFiniteError(RuntimeError):
    pass


def _nonfinite(t):
    return t.dtype.is_floating_point and t.numel() > 0 and not bool(t.detach().isfinite().all())


def _range(t):
    if t.numel() == 0:
        return "empty"
    d = t.detach()
    if not d.dtype.is_floating_point:
        return f"[{d.min().item()}, {d.max().item()}]"
    fin = d[d.isfinite()]
    rng = f"[{fin.min().item():.4g}, {fin.max().item():.4g}]" if fin.numel() else "no finite values"
    bad = int((~d.isfinite()).sum().item())
    return rng + (f" plus {bad} non-finite" if bad else "")


class detect_nonfinite:
    def __enter__(self):
        _hooks.add(self)
        return self

    def __exit__(self, *exc):
        _hooks.remove(self)

    def before(self, label, args, kwargs):
        ins = [a for a in list(args) + list(kwargs.values()) if isinstance(a, Tensor)]
        return any(_nonfinite(a) for a in ins)

    def after(self, inputs_bad, label, args, kwargs, out, kernel):
        if inputs_bad:
            return
        outs = [out] if isinstance(out, Tensor) else [o for o in (out if isinstance(out, (tuple, list)) else []) if isinstance(o, Tensor)]
        for k, o in enumerate(outs):
            if _nonfinite(o):
                d = o.detach()
                kinds = []
                if bool(d.isnan().any()):
                    kinds.append("NaN")
                if bool(d.isinf().any()):
                    kinds.append("Inf")
                ins = [a for a in list(args) + list(kwargs.values()) if isinstance(a, Tensor)]
                desc = "; ".join(f"input {i}: shape {tuple(a.shape)} {a.dtype.name} values {_range(a)}" for i, a in enumerate(ins))
                scal = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
                if scal:
                    desc += f"; scalars {scal}"
                raise NonFiniteError(
                    f"{label} produced {'/'.join(kinds)} in output {k} (shape {tuple(o.shape)}) from finite inputs, "
                    f"called at {_hooks.caller_location()}. Inputs: {desc}. "
                    "Check the op's domain (log/sqrt of negatives, division by zero, overflow of exp).")

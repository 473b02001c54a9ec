"""Reductions, scans and softmax: ``ember.*`` forwarders to the native Tensor methods, the
``return_types`` named tuples, and ``vector_norm`` (re-exported by ``ember.linalg``)."""
import collections as _collections

from ._native import Tensor
from . import _out_forms

__all__ = []


class return_types:
    """Named tuples like ``torch.return_types``: ``values, indices = x.max(1)``."""


def _named(name, fields):
    cls = _collections.namedtuple(name, fields)
    # found by pickle as ember.return_types.<name> (a class attribute, not a module)
    cls.__module__ = "ember"
    cls.__qualname__ = f"return_types.{name}"

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"ember.return_types.{name}(\n{body})"

    cls.__repr__ = __repr__
    setattr(return_types, name, cls)


for _n in ["max", "min", "median", "nanmedian", "mode", "cummax", "cummin"]:
    _named(_n, ["values", "indices"])
_named("aminmax", ["min", "max"])
# Defined here so every op module shares one class per name (and its PyTorch-style repr).
for _n in ["sort", "topk", "kthvalue"]:
    _named(_n, ["values", "indices"])
_named("frexp", ["mantissa", "exponent"])
_named("histogram", ["hist", "bin_edges"])
_named("histogramdd", ["hist", "bin_edges"])


def _forward(name):
    globals()[name] = _out_forms.forwarder(name)
    __all__.append(name)


for _name in ["nansum", "mean", "nanmean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "aminmax",
              "var", "std", "norm", "logsumexp", "softmax", "log_softmax", "cumsum", "cumprod", "cummax", "cummin",
              "all", "any", "count_nonzero", "median", "nanmedian", "mode"]:
    _forward(_name)


def var_mean(input, *args, **kwargs):
    """``(var, mean)`` over ``dim`` (same arguments as ``var``)."""
    return input._var_mean(False, *args, **kwargs)


def std_mean(input, *args, **kwargs):
    """``(std, mean)`` over ``dim`` (same arguments as ``std``)."""
    return input._var_mean(True, *args, **kwargs)


__all__ += ["var_mean", "std_mean"]


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``linalg.vector_norm``: ``ord`` 2 (default), 1, inf, -inf, 0 or any float; ``dim`` int,
    tuple or None (all elements)."""
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got '{ord}'. Use linalg.matrix_norm for 'fro'/'nuc'.")
    return x._vector_norm(float(ord), dim, keepdim, dtype=dtype)


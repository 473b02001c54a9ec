"""The public surface the fuzzer calls: ``ember.__all__`` functions, ``ember.nn.functional``,
``Tensor`` methods and ``ember.nn`` layer classes (constructed, then called on a tensor).

``STATEFUL`` lists what is left out on purpose: each changes process-wide state, so later
calls in the same worker would no longer be reproducible alone (``set_num_threads`` is
covered by test_reliability_rust_pending.py instead).
"""
import inspect
from dataclasses import dataclass

STATEFUL = {
    "ember.set_default_dtype", "ember.set_default_device", "ember.set_num_threads", "ember.set_printoptions",
    "ember.printoptions", "ember.manual_seed", "ember.seed", "Tensor.share_memory_",
    # the ember.inspect context managers / global switches are not in these namespaces
}

# Dunder methods worth calling with hostile arguments (the rest are Python protocol plumbing).
DUNDERS = {"__getitem__", "__setitem__", "__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__", "__mod__",
           "__pow__", "__matmul__", "__and__", "__or__", "__xor__", "__lshift__", "__rshift__", "__lt__", "__le__",
           "__eq__", "__ne__", "__gt__", "__ge__", "__neg__", "__abs__", "__invert__", "__iadd__", "__imul__",
           "__isub__", "__itruediv__", "__ipow__", "__rsub__", "__rpow__", "__rtruediv__", "__rmatmul__", "__len__",
           "__index__", "__int__", "__float__", "__bool__", "__format__", "__repr__", "__array__", "__dlpack__",
           "__dlpack_device__", "__reduce_ex__", "__deepcopy__", "__copy__", "__contains__", "__iter__", "__reversed__",
           "__complex__", "__setstate__"}


@dataclass(frozen=True)
class Target:
    name: str  # unique key, e.g. "ember.add", "Tensor.add", "F.conv2d", "nn.Conv2d"
    kind: str  # function | method | module
    qualname: str  # expression naming the callable in a reproducer
    attr: str  # method name for kind == "method"
    params: tuple  # ((name, "req" | "opt" | "kwonly"), ...) after self
    varargs: str  # name of *args, or ""


def _params(fn, skip_self):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        # A native function without a text signature: guess the common shape (input, other, dim).
        return (("input", "req"), ("other", "opt"), ("dim", "opt")), "arg"
    out, varargs = [], ""
    ps = list(sig.parameters.values())
    if skip_self and ps and ps[0].kind in (ps[0].POSITIONAL_ONLY, ps[0].POSITIONAL_OR_KEYWORD):
        ps = ps[1:]
    for p in ps:
        if p.kind == p.VAR_POSITIONAL:
            varargs = p.name if p.name not in ("args",) else "size"
        elif p.kind == p.VAR_KEYWORD:
            continue
        elif p.kind == p.KEYWORD_ONLY:
            out.append((p.name, "kwonly"))
        else:
            out.append((p.name, "req" if p.default is p.empty else "opt"))
    return tuple(out), varargs


def collect(ember):
    """Every target, by name (sorted iteration is the caller's job)."""
    out = {}
    F = ember.nn.functional
    Module = ember.nn.Module
    for n in sorted(ember.__all__):
        obj = getattr(ember, n, None)
        if obj is None or inspect.ismodule(obj) or not callable(obj) or isinstance(obj, ember.dtype):
            continue
        name = f"ember.{n}"
        if name in STATEFUL:
            continue
        params, var = _params(obj, skip_self=False)
        out[name] = Target(name, "function", name, "", params, var)
    for n in sorted(dir(F)):
        obj = getattr(F, n)
        if n.startswith("_") or inspect.ismodule(obj) or inspect.isclass(obj) or not callable(obj):
            continue
        if not getattr(obj, "__module__", "").startswith("ember"):
            continue
        params, var = _params(obj, skip_self=False)
        out[f"F.{n}"] = Target(f"F.{n}", "function", f"ember.nn.functional.{n}", "", params, var)
    for n in sorted(dir(ember.Tensor)):
        if n.startswith("_") and n not in DUNDERS:
            continue
        raw = inspect.getattr_static(ember.Tensor, n, None)
        if isinstance(raw, property) or not callable(getattr(ember.Tensor, n, None)):
            continue
        if type(raw).__name__ in ("getset_descriptor", "member_descriptor"):
            continue
        name = f"Tensor.{n}"
        if name in STATEFUL:
            continue
        params, var = _params(getattr(ember.Tensor, n), skip_self=True)
        out[name] = Target(name, "method", "", n, params, var)
    for n in sorted(dir(ember.nn)):
        obj = getattr(ember.nn, n)
        if inspect.isclass(obj) and issubclass(obj, Module) and obj is not Module:
            params, var = _params(obj.__init__, skip_self=True)
            out[f"nn.{n}"] = Target(f"nn.{n}", "module", f"ember.nn.{n}", "", params, var)
    return out

"""Capture: run the model's forward once on the example inputs while ember's public entry
points (Tensor methods and operators, ``ember.*``, ``ember._native.*`` and a few
``nn.functional`` layers) are wrapped by a recorder.

Algorithm. Every tensor the model sees is either a placeholder (user input, parameter,
buffer) or the output of a recorded call; the recorder maps ``id(tensor)`` → value name and
keeps those tensors alive so ids stay unique. A wrapped call that touches a graph value is
recorded as one node (the outermost call only: ops an op runs inside itself are not seen)
and translated by ``_ops.CAPTURE`` into an ATen-style target with canonical arguments; calls
that touch no graph value just run. A tensor that appears from nowhere is a constant (lifted
into the program), unless it shares storage with a graph value — then something the recorder
can't see derived it, and the capture refuses rather than bake its values in.
Escapes from tensor to Python value raise at once; unsupported calls are collected and
reported together at the end.
"""
import linecache
import threading

from .. import _native
from .._native import Tensor
from ..inspect import _hooks
from ..nn import functional as F
from ..nn.modules.module import Module
from . import _ops
from ._errors import DataDependentError

_lock = threading.Lock()
_active = None
_owner = [None]

# Methods by which a tensor's value leaves the graph for Python.
_ESCAPES = {"__bool__": "bool()", "item": ".item()", "tolist": ".tolist()", "numpy": ".numpy()", "__int__": "int()",
            "__float__": "float()", "__index__": "use as an index (__index__)", "__array__": "numpy conversion (__array__)",
            "__complex__": "complex()"}
# nn.functional layers captured as one node (their ONNX ops are single ops) or checked for mode.
_F_LEAVES = ("batch_norm", "layer_norm", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout")


class Ref:
    """A graph value used as an argument."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name

    def __eq__(self, other):
        return isinstance(other, Ref) and other.name == self.name

    def __hash__(self):
        return hash(self.name)


class Node:
    def __init__(self, name, target, args, outputs, meta):
        self.name, self.target, self.args, self.outputs, self.meta = name, target, args, outputs, meta

    def __repr__(self):
        return f"Node({self.name} = {self.target}{tuple(self.args)})"


class Recorder:
    def __init__(self, module_names):
        self.names, self.alive, self.meta = {}, [], {}
        self.storages = {}
        self.nodes, self.unsupported, self.iters = [], [], []
        self.constants = {}  # name -> (tensor, file:line of first use)
        self.placeholders = set()
        self.counts = {}
        self.depth = 0
        self.module_stack = []
        self.module_names = module_names

    def fresh(self, base):
        n = self.counts.get(base, 0)
        self.counts[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def bind(self, t, name):
        self.names[id(t)] = name
        self.alive.append(t)
        self.meta[name] = (tuple(t.shape), t.dtype.name)
        if t.device.type != "meta" and t.numel():
            self.storages.setdefault(t.untyped_storage().data_ptr(), name)

    def placeholder(self, t, name):
        self.bind(t, name)
        self.placeholders.add(name)
        self.counts[name] = max(self.counts.get(name, 0), 1)  # node names never shadow an input's

    def is_value(self, t):
        return id(t) in self.names

    def touches(self, args, kwargs):
        stack = list(args) + list(kwargs.values())
        while stack:
            a = stack.pop()
            if isinstance(a, Tensor):
                if id(a) in self.names:
                    return True
            elif isinstance(a, (list, tuple)):
                stack.extend(a)
        return False

    def where(self):
        return _hooks.caller_location(), (self.module_stack[-1] if self.module_stack else "")

    def encode(self, a, loc):
        if isinstance(a, Tensor):
            name = self.names.get(id(a))
            if name is not None:
                return Ref(name)
            owner = self.storages.get(a.untyped_storage().data_ptr()) if a.numel() and a.device.type != "meta" else None
            if owner is not None:
                raise DataDependentError(
                    f"a tensor derived from graph value '{owner}' by something the capture can't see (a property such "
                    f"as .T or .data, or a non-ember call) is used at {loc}; its values would be baked into the program. "
                    "Use the method form (.t(), .permute(), .detach()) instead.")
            name = self.fresh("c_lifted_tensor")
            self.bind(a, name)
            self.placeholders.add(name)
            self.constants[name] = (a, loc)
            return Ref(name)
        if isinstance(a, (list, tuple)) or type(a).__name__ == "Size":
            return [self.encode(x, loc) for x in a]
        return a

    def call(self, label, fn, args, kwargs):
        loc, module = self.where()
        target, cargs, reason = None, None, None
        spec = _ops.CAPTURE.get(label)
        if spec is None:
            reason = "not in the export op table"
        else:
            try:
                target, cargs = spec(args, kwargs)
            except _ops.Unsupported as e:
                reason = str(e)
            except (IndexError, KeyError, TypeError, ValueError) as e:
                reason = f"call form not recognised ({e})"
        inplace = _ops.is_inplace(label)
        if inplace and args and isinstance(args[0], Tensor) and self.names.get(id(args[0])) in self.placeholders:
            target, reason = None, (f"writes in place into '{self.names[id(args[0])]}' (a model input, parameter, "
                                    "buffer or constant), which an exported program can't do")
        self.depth += 1
        try:
            out = fn(*args, **kwargs)
        finally:
            self.depth -= 1
        outs = _tensor_outputs(out)
        if outs is None and target is None:
            self.unsupported.append((label.replace("_native.", "ember._native."), reason, module, loc))
            return out
        if outs is None:
            raise DataDependentError(f"{label} returned a Python {type(out).__name__} computed from graph values at {loc}"
                                     f"{_in(module)}: its value would be baked into the program")
        ins = [a for a in args if isinstance(a, Tensor)]
        if not inplace and outs and all(any(o is a for a in ins) for o in outs):
            return out  # an op that handed back its input (x.float() on float32, contiguous()): nothing to record
        if target is None:
            self.unsupported.append((label.replace("_native.", "ember._native."), reason, module, loc))
            target, cargs = "unsupported:" + label, []
        else:
            cargs = self.encode(cargs, loc)
        base = _ops.node_base_name(target) if not target.startswith("unsupported:") else "unsupported"
        names = [self.fresh(base) for _ in outs]
        for o, n in zip(outs, names):
            self.bind(o, n)
        self.nodes.append(Node(names[0] if names else self.fresh(base), target, cargs, names,
                               {"source": loc, "code": _code_line(loc), "module": module}))
        return out


def _in(module):
    return f" (in module '{module}')" if module else ""


def _tensor_outputs(out):
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)) and all(isinstance(o, Tensor) for o in out):
        return list(out)
    if out is None:
        return []
    return None


def _code_line(loc):
    path, _, line = loc.rpartition(":")
    try:
        return linecache.getline(path, int(line)).strip()
    except ValueError:
        return ""


def _wrap(fn, label):
    def wrapper(*args, **kwargs):
        rec = _active
        if rec is None or rec.depth:
            return fn(*args, **kwargs)
        if not rec.touches(args, kwargs):
            rec.depth += 1
            try:
                return fn(*args, **kwargs)
            finally:
                rec.depth -= 1
        return rec.call(label, fn, args, kwargs)

    wrapper.__name__ = getattr(fn, "__name__", label)
    wrapper.__doc__ = getattr(fn, "__doc__", None)
    return wrapper


def _escape(fn, what):
    def wrapper(self, *args, **kwargs):
        rec = _active
        if rec is not None and not rec.depth and rec.is_value(self):
            loc, module = rec.where()
            raise DataDependentError(
                f"{what} of a tensor computed from the model's inputs or weights at {loc}{_in(module)}: "
                f"{_code_line(loc)!r}. An exported graph can't hold a Python value read from a tensor (a branch on it "
                "would be baked in). Compute both branches and pick with ember.where(), or move this out of forward().")
        return fn(self, *args, **kwargs)

    wrapper.__name__ = getattr(fn, "__name__", what)
    return wrapper


def _sized(fn, what):
    def wrapper(self, *args, **kwargs):
        rec = _active
        if rec is not None and not rec.depth and rec.is_value(self) and self.ndim:
            loc, module = rec.where()
            rec.iters.append((what, loc, module, self.shape[0]))
        return fn(self, *args, **kwargs)

    wrapper.__name__ = what
    return wrapper


def _module_call(orig):
    def __call__(self, *args, **kwargs):
        rec = _active
        if rec is None:
            return orig(self, *args, **kwargs)
        rec.module_stack.append(rec.module_names.get(id(self), type(self).__name__))
        try:
            return orig(self, *args, **kwargs)
        finally:
            rec.module_stack.pop()

    return __call__


def _patches():
    """(owner, name, replacement) for everything the recorder wraps."""
    seen = set()
    for owner, name, _attr, label in _hooks._targets():
        if (owner, name) in seen or name in _ESCAPES:
            continue
        seen.add((owner, name))
        yield owner, name, _wrap(getattr(owner, name), label)
    for name in _F_LEAVES:
        yield F, name, _wrap(getattr(F, name), f"F.{name}")
    for name, what in _ESCAPES.items():
        if hasattr(Tensor, name):
            yield Tensor, name, _escape(getattr(Tensor, name), what)
    for name, what in (("__iter__", "iteration"), ("__len__", "len()")):
        if hasattr(Tensor, name):
            yield Tensor, name, _sized(getattr(Tensor, name), what)
    yield Module, "__call__", _module_call(Module.__call__)


def run(model, module_names, bind_inputs, call):
    """Runs ``call()`` with a fresh recorder active; ``bind_inputs(rec)`` registers placeholders."""
    global _active
    if _active is not None and _owner[0] == threading.get_ident():
        raise RuntimeError("ember.export can't capture while another capture runs in this thread (export called "
                           "from inside a forward being exported)")
    rec = Recorder(module_names)
    with _lock:
        _owner[0] = threading.get_ident()
        saved = []
        try:
            for owner, name, repl in list(_patches()):
                saved.append((owner, name, owner.__dict__.get(name, _MISSING)))
                setattr(owner, name, repl)
            bind_inputs(rec)
            _active = rec
            from ..autograd import no_grad
            with no_grad():
                out = call()
        finally:
            _active = None
            for owner, name, attr in reversed(saved):
                if attr is _MISSING:
                    delattr(owner, name)
                else:
                    setattr(owner, name, attr)
    return rec, out


_MISSING = object()

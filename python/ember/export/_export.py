"""``ember.export.export``: capture twice, compare, build the ExportedProgram.

The second capture runs at a second size of every dynamic dim (at the same sizes when there
is none). A constant that changes between the two runs is either a dynamic size — kept as
that symbol when it equals the dim's size in both runs — or a baked-in shape, random value
or other non-determinism, which is refused.
"""
import inspect
import warnings

from .._native import Tensor
from ..nn.modules.module import Module
from . import _capture, _dynamic
from ._capture import Ref
from ._errors import ConstraintViolationError, ExportError, UnsupportedOpError
from ._program import ExportedProgram, ExportGraphSignature, Graph, InputSpec, OutputSpec, SymInt, UserInput


def _input_names(model, n_args, kwargs):
    try:
        params = list(inspect.signature(model.forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            break
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
    names = names[:n_args] + [f"args_{i}" for i in range(len(names), n_args)]
    return names + list(kwargs)


def _bind_weights(model):
    """(placeholder name, kind, target, tensor, persistent) for each distinct parameter and buffer."""
    seen, out = set(), []
    non_persistent = set()
    for name, m in model.named_modules():
        for b in getattr(m, "_non_persistent_buffers_set", ()):
            non_persistent.add(f"{name}.{b}" if name else b)
    for kind, prefix, items in (("PARAMETER", "p_", model.named_parameters()), ("BUFFER", "b_", model.named_buffers())):
        for target, t in items:
            if id(t) in seen:
                continue  # a tied weight: one placeholder, under its first name
            seen.add(id(t))
            out.append((prefix + target.replace(".", "_"), kind, target, t,
                        None if kind == "PARAMETER" else target not in non_persistent))
    return out


def _capture_once(model, weights, names, inputs, kwargs_names):
    module_names = {id(m): (n or type(model).__name__) for n, m in model.named_modules()}

    def bind(rec):
        for ph, _kind, _target, t, _p in weights:
            rec.placeholder(t, ph)
        for n, t in zip(names, inputs):
            rec.placeholder(t, n)

    n_pos = len(inputs) - len(kwargs_names)
    kw = dict(zip(kwargs_names, inputs[n_pos:]))
    rec, out = _capture.run(model, module_names, bind, lambda: model(*inputs[:n_pos], **kw))
    if isinstance(out, Tensor):
        spec, outs = "tensor", [out]
    elif isinstance(out, (tuple, list)) and all(isinstance(o, Tensor) for o in out):
        spec, outs = "tuple", list(out)
    else:
        raise ExportError(f"forward() must return a Tensor or a tuple/list of Tensors to be exported, got {type(out).__name__}")
    rec.output_refs = [rec.encode(o, "the model's output") for o in outs]
    return rec, spec


class _Merger:
    """Walks the two captures side by side; differing ints become symbols or errors."""

    def __init__(self, sizes_a, sizes_b):
        self.by_pair = {}
        for name in sizes_a:
            self.by_pair.setdefault((sizes_a[name], sizes_b[name]), name)
        self.sizes_a, self.sizes_b, self.dynamic = sizes_a, sizes_b, bool(sizes_a)

    def why(self):
        if not self.dynamic:
            return ("it differs between two captures at the same input sizes (a random or otherwise non-deterministic "
                    "value)")
        sizes = ", ".join(f"{n}={self.sizes_a[n]} then {self.sizes_b[n]}" for n in self.sizes_a)
        return f"it changes with the dynamic dims ({sizes}) without being one of them: a shape was baked into the program"

    def arg(self, a, b, where):
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            return [self.arg(x, y, where) for x, y in zip(a, b)]
        if type(a) is int and type(b) is int and a != b:
            sym = self.by_pair.get((a, b))
            if sym is None:
                raise ConstraintViolationError(f"{where}: the constant {a} became {b} in the second capture; {self.why()}. "
                                               "Compute sizes with -1 (view/reshape) or mark the dim static.")
            return SymInt(sym)
        if a != b or type(a) is not type(b):
            raise ConstraintViolationError(f"{where}: argument {a!r} became {b!r} in the second capture; {self.why()}")
        return a

    def dim(self, a, b):
        if a == b:
            return a
        sym = self.by_pair.get((a, b))
        if sym is not None:
            return sym
        for name, sa in self.sizes_a.items():
            if sa and a % sa == 0 and b == (a // sa) * self.sizes_b[name]:
                return f"{a // sa}*{name}"
        return "?"


def export(mod, args, kwargs=None, *, dynamic_shapes=None, strict=False, preserve_module_call_signature=()):
    """Captures ``mod(*args, **kwargs)`` as an ``ExportedProgram``.

    Refuses, naming the op and the ``file:line``: a tensor value read into Python during
    forward (``bool(t)``, ``.item()``, ``.tolist()`` …); ops outside the export op table (all
    listed at once); a dynamic dim baked into a constant. Warns for a model in training mode.
    """
    if not isinstance(mod, Module):
        raise TypeError(f"export() expects an ember.nn.Module, got {type(mod).__name__}")
    if isinstance(args, Tensor):
        args = (args,)
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"Expecting `args` to be a tuple of example positional inputs, got {type(args).__name__}")
    kwargs = dict(kwargs or {})
    tensors = list(args) + list(kwargs.values())
    names = _input_names(mod, len(args), kwargs)
    for n, t in zip(names, tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"export(): input {n!r} is a {type(t).__name__}; only Tensor inputs can be exported "
                            "(bind other values with a module attribute or functools.partial)")
    if any(m.training for m in mod.modules()):
        warnings.warn("export(): the model is in training mode; dropout and batch-norm behave differently there "
                      "(and can't be exported). Call model.eval() first.", UserWarning, stacklevel=2)
    per_input = _dynamic.normalize(dynamic_shapes, names, tensors)
    sizes_a = {dim.name: t.shape[d] for spec, t in zip(per_input, tensors) for d, dim in spec.items()}
    sizes_b = _dynamic.second_sizes(per_input, tensors)
    bounds = {dim.name: (dim.min, dim.max) for spec in per_input for dim in spec.values()}
    inputs_b = [_dynamic.resize(t, spec, sizes_b) if spec else t for t, spec in zip(tensors, per_input)]

    weights = _bind_weights(mod)
    # The capture runs the real forward twice; whatever it writes in place (batch-norm running
    # statistics in training mode, an in-place op on an input) is put back afterwards, so the
    # caller's model and inputs are unchanged whether the export succeeds or not.
    from ..autograd import no_grad
    with no_grad():
        saved = [(t, t.detach().clone()) for t in [w[3] for w in weights] + tensors]
    try:
        return _export_checked(mod, weights, names, tensors, kwargs, per_input, sizes_a, sizes_b, bounds, inputs_b)
    finally:
        with no_grad():
            for t, copy in saved:
                t.detach().copy_(copy)


def _export_checked(mod, weights, names, tensors, kwargs, per_input, sizes_a, sizes_b, bounds, inputs_b):
    rec_a, out_spec = _capture_once(mod, weights, names, tensors, list(kwargs))
    try:
        rec_b, _ = _capture_once(mod, weights, names, inputs_b, list(kwargs))
    except ExportError:
        raise
    except (RuntimeError, ValueError, IndexError) as e:
        if rec_a.unsupported:
            _raise_unsupported(rec_a)
        if not sizes_b:
            raise
        sizes = ", ".join(f"{n}={sizes_a[n]} then {sizes_b[n]}" for n in sizes_a)
        raise ConstraintViolationError(f"the model fails when the dynamic dims change ({sizes}): {e}. A size is baked "
                                       "into forward(); compute it from the input (e.g. view(-1, ...)) or mark the dim "
                                       "static.") from e
    return _build(rec_a, rec_b, _Merger(sizes_a, sizes_b), weights, names, tensors, per_input, bounds, out_spec)


def _raise_unsupported(rec):
    lines = [f"  {op} — {why}" + (f" (module '{mod}')" if mod else "") + f" at {loc}" for op, why, mod, loc in rec.unsupported]
    raise UnsupportedOpError(f"{len(rec.unsupported)} call(s) can't be exported:\n" + "\n".join(lines), rec.unsupported)


def _build(rec_a, rec_b, merger, weights, names, tensors, per_input, bounds, out_spec):
    for (what, loc, module, n_a), (_, _, _, n_b) in zip(rec_a.iters, rec_b.iters):
        if n_a != n_b:
            raise ConstraintViolationError(f"{what} over a tensor whose dim 0 is dynamic ({n_a}, then {n_b} elements) at "
                                           f"{loc}" + (f" (module '{module}')" if module else "")
                                           + ": the loop would be unrolled at one size")
    if rec_a.unsupported:
        _raise_unsupported(rec_a)
    if [n.target for n in rec_a.nodes] != [n.target for n in rec_b.nodes]:
        first = next(i for i, (x, y) in enumerate(zip(rec_a.nodes + [None], rec_b.nodes + [None])) if x is None or y is None
                     or x.target != y.target)
        at = (rec_a.nodes + rec_b.nodes)[min(first, len(rec_a.nodes) - 1)].meta["source"] if rec_a.nodes else "?"
        raise ConstraintViolationError(f"the graph has different ops at the second size of the dynamic dims (from op "
                                       f"#{first}, near {at}): the model's structure depends on a dynamic size")
    for na, nb in zip(rec_a.nodes, rec_b.nodes):
        na.args = merger.arg(na.args, nb.args, f"{na.target} at {na.meta['source']}")
    for name, (ca, loc) in rec_a.constants.items():
        cb = rec_b.constants.get(name, (None, None))[0]
        if cb is None or tuple(ca.shape) != tuple(cb.shape) or ca.dtype != cb.dtype or not _same(ca, cb):
            raise ConstraintViolationError(f"constant tensor {name} (first used at {loc}) differs between the two captures; "
                                           f"{merger.why()}")
    nodes = _live(rec_a.nodes, {r.name for r in rec_a.output_refs})
    values = {}
    for name, (shape_a, dtype) in rec_a.meta.items():
        shape_b = rec_b.meta.get(name, (shape_a, dtype))[0]
        values[name] = ([merger.dim(x, y) for x, y in zip(shape_a, shape_b)], dtype)
    user = []
    for n, t, spec in zip(names, tensors, per_input):
        user.append(UserInput(n, t.dtype.name, [spec[d].name if d in spec else s for d, s in enumerate(t.shape)]))
        values[n] = (user[-1].shape, t.dtype.name)
    input_specs = [InputSpec(kind, ph, target, persistent) for ph, kind, target, _t, persistent in weights]
    input_specs += [InputSpec("CONSTANT_TENSOR", c, c) for c in rec_a.constants]
    input_specs += [InputSpec("USER_INPUT", n) for n in names]
    outputs = [r.name for r in rec_a.output_refs]
    signature = ExportGraphSignature(input_specs, [OutputSpec("USER_OUTPUT", o) for o in outputs])
    state_dict = {target: t for _ph, _kind, target, t, _p in weights}
    constants = {c: t for c, (t, _loc) in rec_a.constants.items()}
    return ExportedProgram(Graph(nodes, values, outputs), signature, state_dict, constants, user, bounds, out_spec)


def _live(nodes, needed):
    """The nodes an output depends on (every op in the table is pure, so the rest is dead:
    max_pool1d's squeezed indices, a value computed and never used)."""
    kept = []
    for n in reversed(nodes):
        if any(o in needed for o in n.outputs):
            kept.append(n)
            needed.update(r.name for r in _refs(n.args))
    return kept[::-1]


def _refs(a):
    if isinstance(a, Ref):
        yield a
    elif isinstance(a, list):
        for x in a:
            yield from _refs(x)


def _same(a, b):
    from .. import _native
    return _native._to_bytes(a) == _native._to_bytes(b)

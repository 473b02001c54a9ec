"""``ExportedProgram``: the captured graph, its signature, its weights, and an interpreter."""
import dataclasses
import math

from .._native import Tensor
from ..nn.modules.module import Module
from . import _ops
from ._capture import Ref

_SHORT = {"float32": "f32", "float64": "f64", "float16": "f16", "bfloat16": "bf16", "int64": "i64", "int32": "i32",
          "int16": "i16", "int8": "i8", "uint8": "ui8", "bool": "b8"}


class SymInt:
    """A size that follows a dynamic dim (``Dim("batch")``) in a node's arguments."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name

    def __eq__(self, other):
        return isinstance(other, SymInt) and other.name == self.name

    def __hash__(self):
        return hash(("sym", self.name))


@dataclasses.dataclass
class InputSpec:
    kind: str  # PARAMETER, BUFFER, CONSTANT_TENSOR, USER_INPUT
    name: str
    target: str = None
    persistent: bool = None


@dataclasses.dataclass
class OutputSpec:
    kind: str  # USER_OUTPUT
    name: str


class ExportGraphSignature:
    """Which graph inputs are parameters, buffers, lifted constants and user inputs."""

    def __init__(self, input_specs, output_specs):
        self.input_specs, self.output_specs = list(input_specs), list(output_specs)

    def _by(self, kind):
        return [s for s in self.input_specs if s.kind == kind]

    parameters = property(lambda self: [s.target for s in self._by("PARAMETER")])
    buffers = property(lambda self: [s.target for s in self._by("BUFFER")])
    lifted_tensor_constants = property(lambda self: [s.target for s in self._by("CONSTANT_TENSOR")])
    user_inputs = property(lambda self: [s.name for s in self._by("USER_INPUT")])
    user_outputs = property(lambda self: [s.name for s in self.output_specs])
    inputs_to_parameters = property(lambda self: {s.name: s.target for s in self._by("PARAMETER")})
    inputs_to_buffers = property(lambda self: {s.name: s.target for s in self._by("BUFFER")})
    inputs_to_lifted_tensor_constants = property(lambda self: {s.name: s.target for s in self._by("CONSTANT_TENSOR")})

    def __str__(self):
        lines = ["# inputs"]
        for s in self.input_specs:
            lines.append(f"{s.name}: {s.kind}" + (f" target={s.target!r}" if s.target else "")
                         + (f" persistent={s.persistent}" if s.persistent is not None else ""))
        lines += ["", "# outputs"] + [f"{s.name}: {s.kind}" for s in self.output_specs]
        return "\n".join(lines)

    __repr__ = __str__


@dataclasses.dataclass
class UserInput:
    name: str
    dtype: str
    shape: list  # ints and Dim names


class Graph:
    """The nodes in execution order; ``print(graph)`` shows them."""

    def __init__(self, nodes, values, outputs):
        self.nodes, self.values, self.outputs = nodes, values, outputs

    def __iter__(self):
        return iter(self.nodes)

    def __len__(self):
        return len(self.nodes)

    def __str__(self):
        return "\n".join(_node_lines(self, indent="", comments=False) + [f"return ({', '.join(self.outputs)},)"])


def _type_str(meta):
    shape, dtype = meta
    return f"{_SHORT.get(dtype, dtype)}[{', '.join(str(s) for s in shape)}]"


def _arg_str(a):
    if isinstance(a, list):
        return "[" + ", ".join(_arg_str(x) for x in a) + "]"
    if isinstance(a, float) and not math.isfinite(a):
        return f"float({str(a)!r})"
    return repr(a) if not isinstance(a, (Ref, SymInt)) else a.name


def _node_lines(graph, indent, comments=True):
    lines = []
    for n in graph.nodes:
        if comments and n.meta.get("source"):
            lines.append(f"{indent}# File: {n.meta['source']}" + (f" in {n.meta['module']}" if n.meta.get("module") else "")
                         + (f", code: {n.meta['code']}" if n.meta.get("code") else ""))
        outs = [f"{o}: \"{_type_str(graph.values[o])}\"" for o in n.outputs]
        lhs = ", ".join(outs) if len(outs) == 1 else f"({', '.join(outs)})"
        lines.append(f"{indent}{lhs} = ember.ops.{n.target}({', '.join(_arg_str(a) for a in n.args)})")
    return lines


class ExportedProgram:
    """A model's forward as a graph of ATen-style ops with its weights.

    ``module()`` runs it; ``graph_signature`` says which inputs are weights; ``state_dict``
    holds parameters and buffers by their ``state_dict`` names; ``range_constraints`` the
    dynamic dims' ranges. Save with ``ember.export.save``.
    """

    def __init__(self, graph, graph_signature, state_dict, constants, user_inputs, range_constraints, out_spec="tuple"):
        self.graph, self.graph_signature = graph, graph_signature
        self.state_dict, self.constants = dict(state_dict), dict(constants)
        self.user_input_specs, self.range_constraints, self._out_spec = user_inputs, dict(range_constraints), out_spec

    @property
    def example_inputs(self):
        return None

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Unable to call ExportedProgram directly. You should use `exported_program.module()` instead.")

    def module(self):
        """An ``nn.Module`` whose forward runs the graph (parameters registered by name)."""
        return ExportedModule(self)

    def run(self, *inputs, weights=None):
        """Runs the graph on ``inputs`` (user inputs in order) and returns the outputs."""
        weights = weights if weights is not None else self._weights()
        syms = self._check_inputs(inputs)
        env = dict(weights)
        for spec, t in zip(self.user_input_specs, inputs):
            env[spec.name] = t
        for n in self.graph.nodes:
            res = _ops.IMPL[n.target](*[_resolve(a, env, syms) for a in n.args])
            if len(n.outputs) == 1:
                env[n.outputs[0]] = res
            else:
                env.update(zip(n.outputs, res))
        outs = [env[o] for o in self.graph.outputs]
        return outs[0] if self._out_spec == "tensor" else tuple(outs)

    def _weights(self):
        w = {}
        for s in self.graph_signature.input_specs:
            if s.kind in ("PARAMETER", "BUFFER"):
                w[s.name] = self.state_dict[s.target]
            elif s.kind == "CONSTANT_TENSOR":
                w[s.name] = self.constants[s.target]
        return w

    def _check_inputs(self, inputs):
        specs = self.user_input_specs
        if len(inputs) != len(specs):
            raise TypeError(f"the exported program takes {len(specs)} input(s) ({', '.join(s.name for s in specs)}), "
                            f"got {len(inputs)}")
        syms = {}
        for spec, t in zip(specs, inputs):
            if not isinstance(t, Tensor):
                raise TypeError(f"input '{spec.name}': expected a Tensor, got {type(t).__name__}")
            if t.ndim != len(spec.shape):
                raise RuntimeError(f"input '{spec.name}': expected a {len(spec.shape)}-D tensor of shape "
                                   f"[{', '.join(map(str, spec.shape))}], got shape {list(t.shape)} ({t.ndim}-D)")
            if t.dtype.name != spec.dtype:
                raise RuntimeError(f"input '{spec.name}': expected dtype ember.{spec.dtype}, got {t.dtype}")
            for d, (want, got) in enumerate(zip(spec.shape, t.shape)):
                if isinstance(want, int):
                    if want != got:
                        raise RuntimeError(f"input '{spec.name}': dim {d} must be {want} (static in the exported program), "
                                           f"got {got}")
                    continue
                lo, hi = self.range_constraints.get(want, (0, None))
                if got < lo or (hi is not None and got > hi):
                    raise RuntimeError(f"input '{spec.name}': dim {d} ({want}) = {got} is outside its range "
                                       f"[{lo}, {'inf' if hi is None else hi}]")
                prev = syms.setdefault(want, (got, f"input '{spec.name}' dim {d}"))
                if prev[0] != got:
                    raise RuntimeError(f"input '{spec.name}': dim {d} ({want}) = {got}, but {prev[1]} has {want} = {prev[0]}")
        return {k: v for k, (v, _) in syms.items()}

    def __str__(self):
        sig = ", ".join(f"{s.name}: \"{_type_str(self.graph.values[s.name])}\"" for s in self.graph_signature.input_specs)
        body = _node_lines(self.graph, " " * 12)
        ranges = ", ".join(f"{k}: VR[{lo}, {'int_oo' if hi is None else hi}]" for k, (lo, hi) in self.range_constraints.items())
        return "\n".join(
            ["ExportedProgram:", "    class GraphModule(ember.nn.Module):", f"        def forward(self, {sig}):"] + body
            + [f"            return ({', '.join(self.graph.outputs)},)", "", "Graph signature:"]
            + ["    " + line if line else "" for line in str(self.graph_signature).split("\n")]
            + [f"Range constraints: {{{ranges}}}", ""])

    __repr__ = __str__


def _resolve(a, env, syms):
    if isinstance(a, Ref):
        return env[a.name]
    if isinstance(a, SymInt):
        return syms[a.name]
    if isinstance(a, list):
        return [_resolve(x, env, syms) for x in a]
    return a


class ExportedModule(Module):
    """``ep.module()``: the graph as a module; parameters and buffers under their original names."""

    def __init__(self, ep):
        super().__init__()
        from ..nn.parameter import Parameter
        object.__setattr__(self, "_ep", ep)
        for s in ep.graph_signature.input_specs:
            if s.kind not in ("PARAMETER", "BUFFER"):
                continue
            owner, _, leaf = s.target.rpartition(".")
            mod = self
            for part in owner.split(".") if owner else []:
                if part not in mod._modules:
                    mod.add_module(part, Module())
                mod = mod._modules[part]
            t = ep.state_dict[s.target]
            if s.kind == "PARAMETER":
                mod.register_parameter(leaf, t if isinstance(t, Parameter) else Parameter(t, requires_grad=t.requires_grad))
            else:
                mod.register_buffer(leaf, t, persistent=s.persistent is not False)

    def forward(self, *inputs):
        ep = self._ep
        tensors = dict(self.named_parameters(remove_duplicate=False))
        tensors.update(self.named_buffers(remove_duplicate=False))
        weights = {}
        for s in ep.graph_signature.input_specs:
            if s.kind in ("PARAMETER", "BUFFER"):
                weights[s.name] = tensors[s.target]
            elif s.kind == "CONSTANT_TENSOR":
                weights[s.name] = ep.constants[s.target]
        return ep.run(*inputs, weights=weights)

    @property
    def graph(self):
        return self._ep.graph

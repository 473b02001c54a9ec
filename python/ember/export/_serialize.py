"""``ember.export.save`` / ``load``: a directory with ``graph.json`` (the program) and
``weights.safetensors`` (parameters, buffers and lifted constants under their ``state_dict``
names). No pickle: loading reads JSON and raw bytes only. ``rust/ember-run`` reads the same
files.

graph.json, format version 1::

    {"format": "ember.export", "version": 1,
     "symbols": {"batch": {"min": 0, "max": null}},
     "params":  [{"name": "p_fc_weight", "kind": "PARAMETER", "target": "fc.weight", "persistent": null}, …],
     "inputs":  [{"name": "x", "dtype": "float32", "shape": ["batch", 784]}],
     "nodes":   [{"name": "linear", "target": "aten.linear.default",
                  "args": [{"ref": "x"}, {"ref": "p_fc_weight"}, null], "outputs": ["linear"],
                  "meta": {"source": "model.py:12", "code": "…", "module": "fc"}}, …],
     "outputs": ["linear"], "output_spec": "tensor",
     "values":  {"linear": {"shape": ["batch", 10], "dtype": "float32"}, …}}

An argument is a JSON number/bool/string/null, a list, ``{"ref": value}``, ``{"sym": dim}``
or ``{"float": "inf" | "-inf" | "nan"}``.
"""
import json
import math
import os

from .._serialization import load as _load_tensors, save as _save_tensors
from ._capture import Node, Ref
from ._program import ExportedProgram, ExportGraphSignature, Graph, InputSpec, OutputSpec, SymInt, UserInput

FORMAT, VERSION = "ember.export", 1


def _enc(a):
    if isinstance(a, Ref):
        return {"ref": a.name}
    if isinstance(a, SymInt):
        return {"sym": a.name}
    if isinstance(a, (list, tuple)):
        return [_enc(x) for x in a]
    if isinstance(a, float) and not math.isfinite(a):
        return {"float": "nan" if math.isnan(a) else ("inf" if a > 0 else "-inf")}
    if a is None or isinstance(a, (bool, int, float, str)):
        return a
    raise TypeError(f"can't save argument {a!r} of type {type(a).__name__}")


def _dec(a):
    if isinstance(a, list):
        return [_dec(x) for x in a]
    if isinstance(a, dict):
        if "ref" in a:
            return Ref(a["ref"])
        if "sym" in a:
            return SymInt(a["sym"])
        if "float" in a:
            return float(a["float"])
        raise ValueError(f"graph.json: unknown argument {a!r}")
    return a


def to_json(ep):
    sig = ep.graph_signature
    return {
        "format": FORMAT, "version": VERSION,
        "symbols": {k: {"min": lo, "max": hi} for k, (lo, hi) in ep.range_constraints.items()},
        "params": [{"name": s.name, "kind": s.kind, "target": s.target, "persistent": s.persistent}
                   for s in sig.input_specs if s.kind != "USER_INPUT"],
        "inputs": [{"name": u.name, "dtype": u.dtype, "shape": list(u.shape)} for u in ep.user_input_specs],
        "nodes": [{"name": n.name, "target": n.target, "args": _enc(n.args), "outputs": list(n.outputs), "meta": n.meta}
                  for n in ep.graph.nodes],
        "outputs": list(ep.graph.outputs), "output_spec": ep._out_spec,
        "values": {k: {"shape": list(s), "dtype": d} for k, (s, d) in ep.graph.values.items()},
    }


def save(ep, f, *, extra_files=None, opset_version=None, pickle_protocol=None):
    """Writes ``ep`` to the directory ``f`` (created if needed): graph.json + weights.safetensors."""
    if not isinstance(ep, ExportedProgram):
        raise TypeError(f"save() expects an ExportedProgram, got {type(ep).__name__}")
    f = os.fspath(f)
    if os.path.exists(f) and not os.path.isdir(f):
        raise ValueError(f"{f!r} exists and is not a directory; ember.export.save writes a directory")
    tensors = dict(ep.state_dict)
    tensors.update(ep.constants)
    tensors = {k: v.detach().contiguous() for k, v in tensors.items()}
    text = json.dumps(to_json(ep), indent=1, allow_nan=False)
    os.makedirs(f, exist_ok=True)
    _save_tensors(tensors, os.path.join(f, "weights.safetensors"))
    with open(os.path.join(f, "graph.json"), "w") as fh:
        fh.write(text)


def load(f, *, extra_files=None, expected_opset_version=None):
    """Reads a directory written by ``save`` back into an ``ExportedProgram``."""
    f = os.fspath(f)
    path = os.path.join(f, "graph.json")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{f!r} holds no graph.json: not a program saved by ember.export.save")
    with open(path) as fh:
        g = json.load(fh)
    if g.get("format") != FORMAT:
        raise ValueError(f"{path}: not an ember.export program")
    if g.get("version") != VERSION:
        raise ValueError(f"{path}: format version {g.get('version')} is not supported (this ember reads {VERSION})")
    weights = _load_tensors(os.path.join(f, "weights.safetensors"))
    specs = [InputSpec(p["kind"], p["name"], p["target"], p.get("persistent")) for p in g["params"]]
    specs += [InputSpec("USER_INPUT", i["name"]) for i in g["inputs"]]
    user = [UserInput(i["name"], i["dtype"], i["shape"]) for i in g["inputs"]]
    state = {s.target: weights[s.target] for s in specs if s.kind in ("PARAMETER", "BUFFER")}
    consts = {s.target: weights[s.target] for s in specs if s.kind == "CONSTANT_TENSOR"}
    nodes = [Node(n["name"], n["target"], _dec(n["args"]), n["outputs"], n.get("meta", {})) for n in g["nodes"]]
    values = {k: (v["shape"], v["dtype"]) for k, v in g["values"].items()}
    sig = ExportGraphSignature(specs, [OutputSpec("USER_OUTPUT", o) for o in g["outputs"]])
    ranges = {k: (v["min"], v["max"]) for k, v in g["symbols"].items()}
    return ExportedProgram(Graph(nodes, values, g["outputs"]), sig, state, consts, user, ranges, g.get("output_spec", "tuple"))

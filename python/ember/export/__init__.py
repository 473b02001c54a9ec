"""``ember.export``: a model's forward as a graph of ATen-style ops that runs without the
model's Python class — in Python (``ep.module()``), in onnxruntime (``ember.onnx.export``)
and in the ``ember-run`` binary (Rust, no Python).

    ep = ember.export.export(model.eval(), (x,), dynamic_shapes={"x": {0: ember.export.Dim("batch")}})
    print(ep)                       # graph, symbolic shapes, source lines, signature
    ember.export.save(ep, "model")  # model/graph.json + model/weights.safetensors
    ember.export.load("model").module()(x)

The capture is honest: reading a tensor's value into Python during forward, an op outside the
export op table, or a dynamic dim baked into a constant each raise (naming op and file:line)
instead of producing a graph that is silently wrong at other inputs.
"""
from ._dynamic import Dim
from ._errors import ConstraintViolationError, DataDependentError, ExportError, UnsupportedOpError
from ._export import export
from ._program import ExportedProgram, ExportGraphSignature, InputSpec, OutputSpec
from ._serialize import load, save

__all__ = ["export", "save", "load", "Dim", "ExportedProgram", "ExportGraphSignature", "InputSpec", "OutputSpec",
           "ExportError", "DataDependentError", "UnsupportedOpError", "ConstraintViolationError"]

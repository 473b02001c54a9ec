"""``ember.onnx.export``: an exported program as a standard ONNX model (needs the ``onnx``
package: ``pip install ember[onnx]``; ``verify=True`` also needs ``onnxruntime``).

Linear becomes Gemm, convolution/pooling/normalisation their ONNX ops, eval-mode dropout
disappears; initializers carry the ``state_dict`` names, and a tied weight is stored once.
"""
import os

__all__ = ["export", "OnnxExporterError", "is_in_onnx_export"]

DEFAULT_OPSET = 18
MIN_OPSET, MAX_OPSET = 13, 21
_EXTERNAL_LIMIT = 2 ** 31 - 2 ** 24  # protobuf's 2 GB, less room for the graph itself
_exporting = False


class OnnxExporterError(RuntimeError):
    pass


def is_in_onnx_export():
    return _exporting


def _require(name):
    import importlib
    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise ImportError(f"ember.onnx needs the {name!r} package: pip install ember[onnx] (or pip install {name})") from e


def _dims_from_axes(dynamic_axes, names, input_names):
    """``dynamic_axes={"x": {0: "batch"}}`` (or ``{"x": [0]}``) → ``dynamic_shapes`` for export."""
    from ..export import Dim
    by_user = dict(zip(input_names or names, names))
    shapes, dims = {}, {}
    for key, axes in dynamic_axes.items():
        if key not in by_user:
            continue  # output axes follow from the inputs'
        items = axes.items() if isinstance(axes, dict) else ((a, f"{key}_dynamic_axes_{i + 1}") for i, a in enumerate(axes))
        spec = {}
        for axis, label in items:
            label = "".join(c if c.isalnum() or c == "_" else "_" for c in str(label))
            label = label if label and not label[0].isdigit() else f"d_{label}"
            spec[int(axis)] = dims.setdefault(label, Dim(label))
        shapes[by_user[key]] = spec
    return shapes


def export(model, args=(), f=None, *, kwargs=None, input_names=None, output_names=None, opset_version=None,
           dynamic_axes=None, dynamic_shapes=None, verify=False, external_data=None, dynamo=True, **_ignored):
    """Writes ``model`` (an ``nn.Module`` or an ``ExportedProgram``) to ``f`` as ONNX.

    ``f`` is a path or a binary file object (``None``: only return the ModelProto).
    ``verify=True`` runs onnxruntime on the example and on a second batch size and raises
    ``OnnxExporterError`` when any output differs from ember's by more than 1e-5. Nothing is
    written unless the whole graph converts (every problem is listed at once) and verifies.
    Returns the ``onnx.ModelProto``.
    """
    global _exporting
    onnx = _require("onnx")
    from ..export import ExportedProgram, export as capture
    from ..export._export import _input_names
    from ._convert import convert
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(f"opset_version {opset} is not supported; ember.onnx writes opsets {MIN_OPSET}..{MAX_OPSET}")
    if isinstance(args, tuple) is False and args is not None and not isinstance(args, list):
        args = (args,)
    args = tuple(args or ())
    _exporting = True
    try:
        if isinstance(model, ExportedProgram):
            ep = model
        else:
            if dynamic_axes is not None and dynamic_shapes is not None:
                raise ValueError("pass dynamic_axes or dynamic_shapes, not both")
            if dynamic_axes is not None:
                names = _input_names(model, len(args), kwargs or {})
                dynamic_shapes = _dims_from_axes(dynamic_axes, names, input_names)
            ep = capture(model, args, kwargs, dynamic_shapes=dynamic_shapes)
    finally:
        _exporting = False
    n_in = len(ep.user_input_specs)
    if input_names is not None and len(input_names) != n_in:
        raise ValueError(f"input_names has {len(input_names)} names for {n_in} inputs")
    if output_names is not None and len(output_names) != len(ep.graph.outputs):
        raise ValueError(f"output_names has {len(output_names)} names for {len(ep.graph.outputs)} outputs")
    proto, problems = convert(ep, opset, input_names, output_names)
    if problems:
        raise OnnxExporterError(f"{len(problems)} node(s) can't be expressed in ONNX opset {opset}:\n" + "\n".join(problems))
    big = sum(t.numel() * t.element_size() for t in list(ep.state_dict.values()) + list(ep.constants.values()))
    external = big > _EXTERNAL_LIMIT if external_data is None else bool(external_data)
    if not external:
        onnx.checker.check_model(proto, full_check=True)
    if verify:
        _verify(ep, proto, args, kwargs, external)
    if f is not None:
        if external:
            if not isinstance(f, (str, os.PathLike)):
                raise OnnxExporterError("a model over 2 GB needs a file path (its weights go to a side file)")
            onnx.save_model(proto, os.fspath(f), save_as_external_data=True, all_tensors_to_one_file=True,
                            location=os.path.basename(os.fspath(f)) + ".data")
        elif isinstance(f, (str, os.PathLike)):
            onnx.save_model(proto, os.fspath(f))
        else:
            f.write(proto.SerializeToString())
    return proto


def _verify(ep, proto, args, kwargs, external):
    import numpy as np
    ort = _require("onnxruntime")
    from ..export._dynamic import Dim, resize, second_sizes
    if external:
        raise OnnxExporterError("verify=True is not supported for models over 2 GB")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(proto.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    examples = list(args) + list((kwargs or {}).values())
    dims = {}
    per_input = [{d: dims.setdefault(s, Dim(s, min=ep.range_constraints.get(s, (0, None))[0],
                                            max=ep.range_constraints.get(s, (0, None))[1]))
                  for d, s in enumerate(u.shape) if isinstance(s, str)} for u in ep.user_input_specs]
    batches = [examples]
    if dims and examples:
        sizes = second_sizes(per_input, examples)
        batches.append([resize(t, spec, sizes) if spec else t for t, spec in zip(examples, per_input)])
    names = [i.name for i in sess.get_inputs()]
    for inputs in batches:
        want = ep.module()(*inputs)
        want = want if isinstance(want, tuple) else (want,)
        got = sess.run(None, {n: t.detach().numpy() for n, t in zip(names, inputs)})
        for i, (w, g) in enumerate(zip(want, got)):
            w = w.detach().numpy()
            if w.shape != g.shape:
                raise OnnxExporterError(f"verify: output {i} has shape {g.shape} in onnxruntime, {w.shape} in ember")
            err = float(np.max(np.abs(w.astype(np.float64) - g.astype(np.float64)))) if w.size else 0.0
            if not err <= 1e-5:
                raise OnnxExporterError(f"verify: output {i} differs from ember's by {err:.3g} (> 1e-5) at input shapes "
                                        f"{[list(t.shape) for t in inputs]}")

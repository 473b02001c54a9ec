"""ExportedProgram → ONNX graph, one emitter per target of the export op table.

Every emitter gets the node's resolved arguments (value names for tensors) and returns ONNX
nodes; conversions that ONNX can't express for these arguments raise ``_Refuse`` and are
collected, so every problem is reported at once before anything is written.
"""
import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ..export._capture import Ref
from ..export._program import SymInt

DTYPES = {"float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE, "float16": TensorProto.FLOAT16,
          "bfloat16": TensorProto.BFLOAT16, "int64": TensorProto.INT64, "int32": TensorProto.INT32,
          "int16": TensorProto.INT16, "int8": TensorProto.INT8, "uint8": TensorProto.UINT8, "bool": TensorProto.BOOL}
NP = {"float32": np.float32, "float64": np.float64, "float16": np.float16, "int64": np.int64, "int32": np.int32,
      "int16": np.int16, "int8": np.int8, "uint8": np.uint8, "bool": np.bool_}


class _Refuse(Exception):
    pass


class Ctx:
    def __init__(self, ep, opset, rename):
        self.ep, self.opset, self.rename = ep, opset, rename
        self.values = ep.graph.values
        self.nodes, self.consts, self.n = [], [], 0

    def name(self, a):
        return self.rename.get(a.name, a.name)

    def fresh(self, base):
        self.n += 1
        return f"{base}_{self.n}"

    def const(self, value, dtype, base="const"):
        name = self.fresh(base)
        self.consts.append(numpy_helper.from_array(np.asarray(value, dtype=NP[dtype]), name))
        return name

    def ints(self, values):
        return self.const(np.asarray(values, dtype=np.int64), "int64", "shape")

    def op(self, op_type, inputs, outputs=None, **attrs):
        outputs = outputs or [self.fresh(op_type.lower())]
        self.nodes.append(helper.make_node(op_type, inputs, outputs, **attrs))
        return outputs[0]

    def shape(self, ref):
        return self.values[ref.name][0]

    def dtype(self, ref):
        return self.values[ref.name][1]


def _static(v, what):
    if isinstance(v, SymInt) or not isinstance(v, int):
        raise _Refuse(f"{what} depends on dynamic dim {v}")
    return v


def _pads(ph, pw):
    return [ph, pw, ph, pw]


def linear(ctx, out, x, w, b):
    if len(ctx.shape(x)) == 2 and len(ctx.shape(w)) == 2:
        ins = [ctx.name(x), ctx.name(w)] + ([ctx.name(b)] if b is not None else [])
        return ctx.op("Gemm", ins, out, transB=1)
    wt = ctx.op("Transpose", [ctx.name(w)], perm=[1, 0])
    if b is None:
        return ctx.op("MatMul", [ctx.name(x), wt], out)
    return ctx.op("Add", [ctx.op("MatMul", [ctx.name(x), wt]), ctx.name(b)], out)


def conv2d(ctx, out, x, w, b, s, p, d, g):
    ins = [ctx.name(x), ctx.name(w)] + ([ctx.name(b)] if b is not None else [])
    ks = [_static(k, "kernel size") for k in ctx.shape(w)[2:]]
    return ctx.op("Conv", ins, out, strides=s, pads=[p[0], p[2], p[1], p[3]], dilations=d, group=g, kernel_shape=ks)


def max_pool(ctx, out, x, k, s, p, d, ceil):
    if ctx.node.outputs[1] in ctx.used:
        raise _Refuse("max_pool2d's indices are used, and ONNX MaxPool numbers them differently")
    return ctx.op("MaxPool", [ctx.name(x)], out[:1], kernel_shape=k, strides=s, pads=_pads(*p), dilations=d,
                  ceil_mode=int(bool(ceil)))


def avg_pool(ctx, out, x, k, s, p, ceil, cip, div):
    if div is not None:
        raise _Refuse("avg_pool2d with divisor_override has no ONNX equivalent")
    return ctx.op("AveragePool", [ctx.name(x)], out, kernel_shape=k, strides=s, pads=_pads(*p), count_include_pad=int(cip),
                  ceil_mode=int(bool(ceil)))


def adaptive_avg(ctx, out, x, o):
    if list(o) == [1, 1]:
        return ctx.op("GlobalAveragePool", [ctx.name(x)], out)
    h, w = (_static(v, "adaptive pooling input size") for v in ctx.shape(x)[2:])
    if h % o[0] or w % o[1]:
        raise _Refuse(f"adaptive_avg_pool2d from {h}x{w} to {o[0]}x{o[1]} has uneven windows, which ONNX can't express")
    k = [h // o[0], w // o[1]]
    return ctx.op("AveragePool", [ctx.name(x)], out, kernel_shape=k, strides=k)


def batch_norm(ctx, out, x, w, b, rm, rv, training, momentum, eps):
    c = _static(ctx.shape(x)[1], "batch_norm channels")
    dt = ctx.dtype(x)
    scale = ctx.name(w) if w is not None else ctx.const(np.ones(c), dt, "ones")
    bias = ctx.name(b) if b is not None else ctx.const(np.zeros(c), dt, "zeros")
    return ctx.op("BatchNormalization", [ctx.name(x), scale, bias, ctx.name(rm), ctx.name(rv)], out, epsilon=eps)


def layer_norm(ctx, out, x, shape, w, b, eps):
    if ctx.opset < 17:
        raise _Refuse("layer_norm needs opset 17 or later (LayerNormalization)")
    dt = ctx.dtype(x)
    scale = ctx.name(w) if w is not None else ctx.const(np.ones(shape), dt, "ones")
    ins = [ctx.name(x), scale] + ([ctx.name(b)] if b is not None else [])
    return ctx.op("LayerNormalization", ins, out, axis=-len(shape), epsilon=eps)


def embedding(ctx, out, w, idx, pad):
    return ctx.op("Gather", [ctx.name(w), ctx.name(idx)], out, axis=0)


def _simple(op_type):
    return lambda ctx, out, x: ctx.op(op_type, [ctx.name(x)], out)


def silu(ctx, out, x):
    return ctx.op("Mul", [ctx.name(x), ctx.op("Sigmoid", [ctx.name(x)])], out)


def mish(ctx, out, x):
    if ctx.opset >= 18:
        return ctx.op("Mish", [ctx.name(x)], out)
    return ctx.op("Mul", [ctx.name(x), ctx.op("Tanh", [ctx.op("Softplus", [ctx.name(x)])])], out)


def gelu(ctx, out, x, approximate):
    if ctx.opset >= 20:
        return ctx.op("Gelu", [ctx.name(x)], out, approximate=approximate)
    dt, xn = ctx.dtype(x), ctx.name(x)
    if approximate == "tanh":
        cube = ctx.op("Mul", [xn, ctx.op("Mul", [xn, xn])])
        inner = ctx.op("Mul", [ctx.op("Add", [xn, ctx.op("Mul", [cube, ctx.const(0.044715, dt)])]),
                               ctx.const(math.sqrt(2 / math.pi), dt)])
        core = ctx.op("Tanh", [inner])
    else:
        core = ctx.op("Erf", [ctx.op("Div", [xn, ctx.const(math.sqrt(2), dt)])])
    half = ctx.op("Mul", [xn, ctx.const(0.5, dt)])
    return ctx.op("Mul", [half, ctx.op("Add", [core, ctx.const(1.0, dt)])], out)


def leaky_relu(ctx, out, x, slope):
    return ctx.op("LeakyRelu", [ctx.name(x)], out, alpha=slope)


def hardtanh(ctx, out, x, lo, hi):
    dt = ctx.dtype(x)
    return ctx.op("Clip", [ctx.name(x), ctx.const(lo, dt), ctx.const(hi, dt)], out)


def elu(ctx, out, x, alpha, scale, input_scale):
    from ..export._ops import SELU_ALPHA, SELU_SCALE
    if scale == 1.0 and input_scale == 1.0:
        return ctx.op("Elu", [ctx.name(x)], out, alpha=alpha)
    if (alpha, scale, input_scale) == (SELU_ALPHA, SELU_SCALE, 1.0):
        return ctx.op("Selu", [ctx.name(x)], out, alpha=alpha, gamma=scale)
    raise _Refuse(f"elu with scale={scale}, input_scale={input_scale}")


def softplus(ctx, out, x, beta, threshold):
    # ONNX Softplus has no threshold; above it softplus(x) and x differ by < exp(-threshold).
    if beta == 1.0:
        return ctx.op("Softplus", [ctx.name(x)], out)
    dt = ctx.dtype(x)
    sp = ctx.op("Softplus", [ctx.op("Mul", [ctx.name(x), ctx.const(beta, dt)])])
    return ctx.op("Div", [sp, ctx.const(beta, dt)], out)


def _binary(op_type):
    def emit(ctx, out, a, b):
        dt = ctx.values[ctx.node.outputs[0]][1]
        ins = []
        for v in (a, b):
            if isinstance(v, Ref):
                ins.append(ctx.name(v) if ctx.dtype(v) == dt else ctx.op("Cast", [ctx.name(v)], to=DTYPES[dt]))
            elif isinstance(v, SymInt):
                raise _Refuse(f"arithmetic with dynamic dim {v.name}")
            else:
                ins.append(ctx.const(v, dt, "scalar"))
        return ctx.op(op_type, ins, out)
    return emit


def _reshape_spec(ctx, x, shape):
    """The ONNX Reshape target: a dynamic size becomes -1 (when it is the only unknown) or
    0 (copy the input's dim, when the input has the same dynamic dim at that position)."""
    in_shape = ctx.shape(x)
    spec, unknown = [], 0
    for i, s in enumerate(shape):
        if isinstance(s, SymInt):
            if i < len(in_shape) and in_shape[i] == s.name:
                spec.append(0)
                continue
            spec.append(-1)
            unknown += 1
        else:
            if s == 0:
                raise _Refuse("a reshape to a zero-size dim (ONNX reads 0 as 'copy')")
            spec.append(s)
            unknown += s == -1
    if unknown > 1:
        raise _Refuse(f"reshape to {shape} has more than one size ONNX can't infer")
    return spec


def reshape(ctx, out, x, shape):
    return ctx.op("Reshape", [ctx.name(x), ctx.ints(_reshape_spec(ctx, x, shape))], out)


def flatten(ctx, out, x, s, e):
    shape = ctx.shape(x)
    n = max(len(shape), 1)
    s, e = s % n, e % n
    if s == e or len(shape) == 0:
        return ctx.op("Reshape", [ctx.name(x), ctx.ints([-1] if len(shape) == 0 else [0] * len(shape))], out)
    spec = [0] * s + [-1] + [_static(d, "a dim after the flattened ones") for d in shape[e + 1:]]
    return ctx.op("Reshape", [ctx.name(x), ctx.ints(spec)], out)


def unsqueeze(ctx, out, x, d):
    return ctx.op("Unsqueeze", [ctx.name(x), ctx.ints([d])], out)


def squeeze(ctx, out, x, dims):
    shape = ctx.shape(x)
    if dims is None:
        return ctx.op("Squeeze", [ctx.name(x)], out)
    keep = [d % len(shape) for d in dims if shape and shape[d % len(shape)] == 1]
    if not keep:
        return ctx.op("Identity", [ctx.name(x)], out)
    return ctx.op("Squeeze", [ctx.name(x), ctx.ints(keep)], out)


def permute(ctx, out, x, dims):
    n = len(ctx.shape(x))
    return ctx.op("Transpose", [ctx.name(x)], out, perm=[d % n for d in dims])


def transpose(ctx, out, x, a, b):
    n = len(ctx.shape(x))
    perm = list(range(n))
    perm[a % n], perm[b % n] = perm[b % n], perm[a % n]
    return ctx.op("Transpose", [ctx.name(x)], out, perm=perm)


def t(ctx, out, x):
    if len(ctx.shape(x)) < 2:
        return ctx.op("Identity", [ctx.name(x)], out)
    return ctx.op("Transpose", [ctx.name(x)], out, perm=[1, 0])


def _reduce(op_type):
    def emit(ctx, out, x, dims, keepdim):
        ins = [ctx.name(x)] + ([ctx.ints(dims)] if dims else [])
        if op_type == "ReduceMean" and ctx.opset < 18:
            return ctx.op(op_type, [ctx.name(x)], out, keepdims=int(keepdim), **({"axes": dims} if dims else {}))
        return ctx.op(op_type, ins, out, keepdims=int(keepdim))
    return emit


EMIT = {
    "aten.linear.default": linear,
    "aten.conv2d.default": conv2d,
    "aten.max_pool2d_with_indices.default": max_pool,
    "aten.avg_pool2d.default": avg_pool,
    "aten.adaptive_avg_pool2d.default": adaptive_avg,
    "aten.batch_norm.default": batch_norm,
    "aten.layer_norm.default": layer_norm,
    "aten.embedding.default": embedding,
    "aten.relu.default": _simple("Relu"),
    "aten.sigmoid.default": _simple("Sigmoid"),
    "aten.tanh.default": _simple("Tanh"),
    "aten.exp.default": _simple("Exp"),
    "aten.log.default": _simple("Log"),
    "aten.sqrt.default": _simple("Sqrt"),
    "aten.neg.default": _simple("Neg"),
    "aten.abs.default": _simple("Abs"),
    "aten.contiguous.default": _simple("Identity"),
    "aten.silu.default": silu,
    "aten.mish.default": mish,
    "aten.gelu.default": gelu,
    "aten.leaky_relu.default": leaky_relu,
    "aten.hardtanh.default": hardtanh,
    "aten.elu.default": elu,
    "aten.softplus.default": softplus,
    "aten.add.Tensor": _binary("Add"),
    "aten.sub.Tensor": _binary("Sub"),
    "aten.mul.Tensor": _binary("Mul"),
    "aten.div.Tensor": _binary("Div"),
    "aten.view.default": reshape,
    "aten.reshape.default": reshape,
    "aten.flatten.using_ints": flatten,
    "aten.unsqueeze.default": unsqueeze,
    "aten.squeeze.dims": squeeze,
    "aten.permute.default": permute,
    "aten.transpose.int": transpose,
    "aten.t.default": t,
    "aten.softmax.int": lambda ctx, out, x, d: ctx.op("Softmax", [ctx.name(x)], out, axis=d),
    "aten.log_softmax.int": lambda ctx, out, x, d: ctx.op("LogSoftmax", [ctx.name(x)], out, axis=d),
    "aten.matmul.default": lambda ctx, out, a, b: ctx.op("MatMul", [ctx.name(a), ctx.name(b)], out),
    "aten.mean.dim": _reduce("ReduceMean"),
    "aten.sum.dim_IntList": _reduce("ReduceSum"),
    "aten.cat.default": lambda ctx, out, ts, d: ctx.op("Concat", [ctx.name(x) for x in ts], out, axis=d),
}


def _value_info(name, meta):
    shape, dtype = meta
    return helper.make_tensor_value_info(name, DTYPES[dtype], [s if isinstance(s, int) else str(s) for s in shape])


def convert(ep, opset, input_names, output_names):
    """Returns (onnx ModelProto, problems); problems lists every node ONNX can't express."""
    sig = ep.graph_signature
    users = [s.name for s in sig.input_specs if s.kind == "USER_INPUT"]
    rename = {s.name: s.target for s in sig.input_specs if s.kind != "USER_INPUT"}
    rename.update(zip(users, input_names or users))
    produced = {o for n in ep.graph.nodes for o in n.outputs}
    out_names = list(output_names or [o if o in produced else f"{o}_output" for o in ep.graph.outputs])
    passthrough = [(rename[o], name) for o, name in zip(ep.graph.outputs, out_names) if o not in produced]
    rename.update((o, name) for o, name in zip(ep.graph.outputs, out_names) if o in produced)
    ctx = Ctx(ep, opset, rename)
    ctx.used = {a.name for n in ep.graph.nodes for a in _refs(n.args)} | set(ep.graph.outputs)
    problems = []
    for n in ep.graph.nodes:
        emit = EMIT.get(n.target)
        ctx.node = n
        try:
            if emit is None:
                raise _Refuse("no ONNX conversion")
            emit(ctx, [rename.get(o, o) for o in n.outputs], *n.args)
        except _Refuse as e:
            problems.append(f"  {n.target} ({n.name}) at {n.meta.get('source', '?')}: {e}")
    inits = []
    for s in sig.input_specs:
        # Weights the graph never reads (a batch norm's num_batches_tracked) are left out.
        if s.kind in ("PARAMETER", "BUFFER", "CONSTANT_TENSOR") and (s.name in ctx.used or s.name in ep.graph.outputs):
            t = ep.state_dict.get(s.target) if s.kind != "CONSTANT_TENSOR" else ep.constants[s.target]
            inits.append(numpy_helper.from_array(_to_numpy(t), s.target))
    for src, name in passthrough:  # an output that is an input or weight itself
        ctx.op("Identity", [src], [name])
    graph = helper.make_graph(
        ctx.nodes, "ember_export",
        [_value_info(rename[u], ep.graph.values[u]) for u in users],
        [_value_info(name, ep.graph.values[o]) for o, name in zip(ep.graph.outputs, out_names)],
        initializer=inits + ctx.consts)
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="ember", producer_version=_version())
    model.ir_version = helper.find_min_ir_version_for(opsets)
    return model, problems


def _refs(a):
    if isinstance(a, Ref):
        yield a
    elif isinstance(a, list):
        for x in a:
            yield from _refs(x)


def _to_numpy(t):
    import numpy
    return numpy.array(t.detach().contiguous().numpy(), copy=True)


def _version():
    from .. import __version__
    return __version__

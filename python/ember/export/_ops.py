"""The op table of an exported program.

Each ATen-style target has one canonical argument list, used the same way by the Python
interpreter (``IMPL`` here), the ONNX exporter (``ember/onnx/_convert.py``) and the Rust
runner (``rust/ember-run/src/ops.rs``). ``CAPTURE`` maps what the capture sees being called
(``"Tensor.relu"``, ``"_native._conv2d"``, ``"F.batch_norm"`` …) to (target, canonical args).
Anything not in ``CAPTURE`` is reported as unsupported.
"""
import operator

from .. import _native
from .._native import Tensor
from ..nn import functional as F

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


class Unsupported(Exception):
    """A call the export can't represent; the message says why."""


def _elu(x, alpha, scale, input_scale):
    if scale == 1.0 and input_scale == 1.0:
        return _native.elu(x, alpha)
    if (alpha, scale, input_scale) == (SELU_ALPHA, SELU_SCALE, 1.0):
        return _native.selu(x)
    raise Unsupported(f"elu with scale={scale}, input_scale={input_scale}")


def _reduce(name):
    def run(x, dims, keepdim):
        return getattr(x, name)(dims if dims else None, keepdim=keepdim)
    return run


def _squeeze(x, dims):
    return x.squeeze() if dims is None else x.squeeze(dims)


def _batch_norm(x, w, b, rm, rv, training, momentum, eps):
    return _ORIG_F["batch_norm"](x, rm, rv, w, b, training, momentum, eps)


def _layer_norm(x, shape, w, b, eps):
    return _ORIG_F["layer_norm"](x, shape, w, b, eps)


# The nn.functional entry points captured as one node; saved here so the interpreter calls
# the real function even while a capture has them patched.
_ORIG_F = {"batch_norm": F.batch_norm, "layer_norm": F.layer_norm}

IMPL = {
    "aten.linear.default": lambda x, w, b: _native.linear(x, w, b),
    "aten.conv2d.default": lambda x, w, b, s, p, d, g: _native._conv2d(x, w, b, tuple(s), list(p), tuple(d), g),
    "aten.max_pool2d_with_indices.default": lambda x, k, s, p, d, ceil: _native._max_pool2d(x, tuple(k), tuple(s), tuple(p),
                                                                                             tuple(d), bool(ceil)),
    "aten.avg_pool2d.default": lambda x, k, s, p, ceil, cip, div: _native._avg_pool2d(x, tuple(k), tuple(s), tuple(p),
                                                                                      bool(ceil), cip, div),
    "aten.adaptive_avg_pool2d.default": lambda x, o: _native._adaptive_avg_pool2d(x, tuple(o)),
    "aten.batch_norm.default": _batch_norm,
    "aten.layer_norm.default": _layer_norm,
    "aten.embedding.default": lambda w, i, pad: _native._embedding(w, i, pad),
    "aten.relu.default": Tensor.relu,
    "aten.sigmoid.default": Tensor.sigmoid,
    "aten.tanh.default": Tensor.tanh,
    "aten.exp.default": Tensor.exp,
    "aten.log.default": Tensor.log,
    "aten.sqrt.default": Tensor.sqrt,
    "aten.neg.default": Tensor.neg,
    "aten.abs.default": Tensor.abs,
    "aten.silu.default": lambda x: _native.silu(x),
    "aten.mish.default": lambda x: _native.mish(x),
    "aten.gelu.default": lambda x, approximate: _native.gelu(x, approximate),
    "aten.leaky_relu.default": lambda x, slope: _native.leaky_relu(x, slope),
    "aten.hardtanh.default": lambda x, lo, hi: _native.hardtanh(x, lo, hi),
    "aten.elu.default": _elu,
    "aten.softplus.default": lambda x, beta, threshold: _native.softplus(x, beta, threshold),
    "aten.add.Tensor": operator.add,
    "aten.sub.Tensor": operator.sub,
    "aten.mul.Tensor": operator.mul,
    "aten.div.Tensor": operator.truediv,
    "aten.view.default": lambda x, shape: x.view(*shape),
    "aten.reshape.default": lambda x, shape: x.reshape(*shape),
    "aten.flatten.using_ints": lambda x, s, e: x.flatten(s, e),
    "aten.unsqueeze.default": lambda x, d: x.unsqueeze(d),
    "aten.squeeze.dims": _squeeze,
    "aten.permute.default": lambda x, dims: x.permute(*dims),
    "aten.transpose.int": lambda x, a, b: x.transpose(a, b),
    "aten.t.default": lambda x: x.t(),
    "aten.contiguous.default": lambda x: x.contiguous(),
    "aten.softmax.int": lambda x, d: x.softmax(d),
    "aten.log_softmax.int": lambda x, d: x.log_softmax(d),
    "aten.matmul.default": lambda a, b: a.matmul(b),
    "aten.mean.dim": _reduce("mean"),
    "aten.sum.dim_IntList": _reduce("sum"),
    "aten.cat.default": lambda ts, d: _native_cat(ts, d),
}


def _native_cat(ts, d):
    from .._ops_index import cat
    return cat(list(ts), d)


# ---- capture: what was called → (target, canonical args) ----
def _bind(args, kwargs, names, defaults=()):
    defaults = dict(defaults)
    out = list(args[:len(names)])
    if len(args) > len(names):
        raise Unsupported(f"{len(args)} positional arguments")
    for n in names[len(out):]:
        if n in kwargs:
            out.append(kwargs[n])
        elif n in defaults:
            out.append(defaults[n])
        else:
            raise Unsupported(f"missing argument {n!r}")
    extra = set(kwargs) - set(names)
    if extra:
        raise Unsupported(f"keyword argument(s) {sorted(extra)}")
    return out


def _ints(v):
    if isinstance(v, (list, tuple)) or type(v).__name__ == "Size":
        return [int(i) if not isinstance(i, Tensor) else i for i in v]
    return [v]


def _conv_pad(a):
    """The four paddings of a captured ``_native._conv2d`` call (a "same"/"valid" string
    resolved by the native geometry, so the program records ints)."""
    if isinstance(a[4], str):
        w = a[1]
        return [v for pair in _native._conv_padding(a[4], list(w.shape[2:]), _ints(a[5]), _ints(a[3])) for v in pair]
    return _ints(a[4])


def _shape(args):
    """``view(2, 3)`` and ``view((2, 3))`` alike."""
    if len(args) == 1 and not isinstance(args[0], int):
        return _ints(args[0])
    return list(args)


def _no_dtype(kwargs, args=(), pos=None):
    dt = kwargs.get("dtype", args[pos] if pos is not None and len(args) > pos else None)
    if dt is not None:
        raise Unsupported("a dtype= argument")


def _unary(target):
    return lambda a, k: (target, [_bind(a, k, ["self"])[0]])


def _binary(target, reverse=False):
    def cap(a, k):
        if k.get("alpha", 1) != 1 or (len(a) > 2 and a[2] != 1):
            raise Unsupported("alpha != 1")
        if "rounding_mode" in k and k["rounding_mode"] is not None:
            raise Unsupported(f"rounding_mode={k['rounding_mode']!r}")
        x, y = a[0], (a[1] if len(a) > 1 else k.get("other"))
        if not isinstance(y, (Tensor, bool, int, float)):
            raise Unsupported(f"an operand of type {type(y).__name__}")
        return target, ([y, x] if reverse else [x, y])
    return cap


def _reduction(target):
    def cap(a, k):
        x, dim, keepdim, dtype = _bind(a, k, ["self", "dim", "keepdim", "dtype"], {"dim": None, "keepdim": False, "dtype": None})
        if dtype is not None:
            raise Unsupported("a dtype= argument")
        return target, [x, [] if dim is None else _ints(dim), bool(keepdim)]
    return cap


def _softmax(target):
    def cap(a, k):
        x, dim, dtype = _bind(a, k, ["self", "dim", "dtype"], {"dtype": None, "_stacklevel": 3})
        if dtype is not None:
            raise Unsupported("a dtype= argument")
        return target, [x, dim]
    return cap


def _cat(a, k):
    ts, dim = _bind(a, k, ["tensors", "dim"], {"dim": 0})
    if k.get("out") is not None:
        raise Unsupported("out=")
    return "aten.cat.default", [list(ts), dim]


CAPTURE = {
    "_native.linear": lambda a, k: ("aten.linear.default", _bind(a, k, ["input", "weight", "bias"], {"bias": None})),
    "_native._conv2d": lambda a, k: ("aten.conv2d.default", [a[0], a[1], a[2], _ints(a[3]), _conv_pad(a), _ints(a[5]), a[6]]),
    "_native._max_pool2d": lambda a, k: ("aten.max_pool2d_with_indices.default",
                                         [a[0]] + [_ints(v) for v in a[1:5]] + [bool(a[5])]),
    "_native._avg_pool2d": lambda a, k: ("aten.avg_pool2d.default",
                                         [a[0]] + [_ints(v) for v in a[1:4]] + [bool(a[4]), bool(a[5]), a[6]]),
    "_native._adaptive_avg_pool2d": lambda a, k: ("aten.adaptive_avg_pool2d.default", [a[0], _ints(a[1])]),
    "_native._embedding": lambda a, k: ("aten.embedding.default", _bind(a, k, ["weight", "indices", "padding_idx"],
                                                                         {"padding_idx": None})),
    "_native.gelu": lambda a, k: ("aten.gelu.default", _bind(a, k, ["x", "approximate"], {"approximate": "none"})),
    "_native.silu": lambda a, k: ("aten.silu.default", _bind(a, k, ["x"], {"inplace": False})[:1]),
    "_native.mish": lambda a, k: ("aten.mish.default", _bind(a, k, ["x"])[:1]),
    "_native.leaky_relu": lambda a, k: ("aten.leaky_relu.default", _bind(a, k, ["x", "negative_slope"], {"negative_slope": 0.01})),
    "_native.hardtanh": lambda a, k: ("aten.hardtanh.default", _bind(a, k, ["x", "min_val", "max_val"],
                                                                     {"min_val": -1.0, "max_val": 1.0})),
    "_native.relu6": lambda a, k: ("aten.hardtanh.default", [a[0], 0.0, 6.0]),
    "_native.elu": lambda a, k: ("aten.elu.default", _bind(a, k, ["x", "alpha"], {"alpha": 1.0}) + [1.0, 1.0]),
    "_native.selu": lambda a, k: ("aten.elu.default", [a[0], SELU_ALPHA, SELU_SCALE, 1.0]),
    "_native.softplus": lambda a, k: ("aten.softplus.default", _bind(a, k, ["x", "beta", "threshold"],
                                                                     {"beta": 1.0, "threshold": 20.0})),
    "Tensor.view": lambda a, k: ("aten.view.default", [a[0], _shape(a[1:])]),
    "Tensor.reshape": lambda a, k: ("aten.reshape.default", [a[0], _shape(a[1:])]),
    "ember.reshape": lambda a, k: ("aten.reshape.default", [a[0], _ints(a[1] if len(a) > 1 else k["shape"])]),
    "Tensor.flatten": lambda a, k: ("aten.flatten.using_ints", _bind(a, k, ["self", "start_dim", "end_dim"],
                                                                     {"start_dim": 0, "end_dim": -1})),
    "Tensor.unsqueeze": lambda a, k: ("aten.unsqueeze.default", _bind(a, k, ["self", "dim"])),
    "Tensor.squeeze": lambda a, k: ("aten.squeeze.dims", [a[0], None if (len(a) < 2 and k.get("dim") is None)
                                                          else _ints(a[1] if len(a) > 1 else k["dim"])]),
    "Tensor.permute": lambda a, k: ("aten.permute.default", [a[0], _shape(a[1:]) if len(a) > 1 else _ints(k["dims"])]),
    "Tensor.transpose": lambda a, k: ("aten.transpose.int", _bind(a, k, ["self", "dim0", "dim1"])),
    "Tensor.t": lambda a, k: ("aten.t.default", [a[0]]),
    "Tensor.contiguous": lambda a, k: ("aten.contiguous.default", [a[0]]),
    "Tensor.softmax": _softmax("aten.softmax.int"),
    "Tensor.log_softmax": _softmax("aten.log_softmax.int"),
    "Tensor.matmul": lambda a, k: ("aten.matmul.default", _bind(a, k, ["self", "other"])),
    "Tensor.__matmul__": lambda a, k: ("aten.matmul.default", [a[0], a[1]]),
    "Tensor.__rmatmul__": lambda a, k: ("aten.matmul.default", [a[1], a[0]]),
    "Tensor.mean": _reduction("aten.mean.dim"),
    "Tensor.sum": _reduction("aten.sum.dim_IntList"),
    "ember.cat": _cat,
    "ember.concat": _cat,
    "ember.concatenate": _cat,
}
for _name in ("relu", "sigmoid", "tanh", "exp", "log", "sqrt", "neg", "abs"):
    CAPTURE[f"Tensor.{_name}"] = _unary(f"aten.{_name}.default")
    CAPTURE[f"Tensor.{_name}_"] = _unary(f"aten.{_name}.default")
CAPTURE["Tensor.__neg__"] = _unary("aten.neg.default")
CAPTURE["Tensor.__abs__"] = _unary("aten.abs.default")
for _name, _py in (("add", "add"), ("sub", "sub"), ("mul", "mul"), ("div", "truediv")):
    _t = f"aten.{_name}.Tensor"
    for _label in (f"Tensor.{_name}", f"Tensor.{_name}_", f"Tensor.__{_py}__", f"Tensor.__i{_py}__", f"ember.{_name}"):
        CAPTURE[_label] = _binary(_t)
    CAPTURE[f"Tensor.__r{_py}__"] = _binary(_t, reverse=True)
CAPTURE["Tensor.multiply"] = CAPTURE["Tensor.mul"]
CAPTURE["Tensor.subtract"] = CAPTURE["Tensor.sub"]
CAPTURE["Tensor.divide"] = CAPTURE["Tensor.div"]
# The function forms of Tensor methods take the tensor first, like the methods.
for _name in ("relu", "sigmoid", "tanh", "exp", "log", "sqrt", "neg", "abs", "flatten", "unsqueeze", "squeeze", "permute",
              "transpose", "t", "softmax", "log_softmax", "matmul", "mean", "sum"):
    CAPTURE.setdefault(f"ember.{_name}", CAPTURE[f"Tensor.{_name}"])


def is_inplace(label):
    name = label.split(".", 1)[1]
    return (name.endswith("_") and not name.endswith("__")) or name in _IOPS


_IOPS = {f"__i{op}__" for op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor")}


def node_base_name(target):
    return target.split(".")[1].lstrip("_")


# ---- nn.functional layers captured whole ----
def _f_batch_norm(a, k):
    x, rm, rv, w, b, training, momentum, eps = _bind(
        a, k, ["input", "running_mean", "running_var", "weight", "bias", "training", "momentum", "eps"],
        {"weight": None, "bias": None, "training": False, "momentum": 0.1, "eps": 1e-5})
    if training:
        raise Unsupported("batch_norm in training mode (it normalises with the batch's statistics and updates the "
                          "running ones); call model.eval() before exporting")
    if rm is None or rv is None:
        raise Unsupported("batch_norm without running statistics (track_running_stats=False)")
    return "aten.batch_norm.default", [x, w, b, rm, rv, False, momentum, eps]


def _f_layer_norm(a, k):
    x, shape, w, b, eps = _bind(a, k, ["input", "normalized_shape", "weight", "bias", "eps"],
                                {"weight": None, "bias": None, "eps": 1e-5})
    return "aten.layer_norm.default", [x, _ints(shape), w, b, eps]


def _f_dropout(default_training):
    def cap(a, k):
        x, p, training = _bind(a, k, ["input", "p", "training", "inplace"],
                                {"p": 0.5, "training": default_training, "inplace": False})[:3]
        if training and p > 0:
            raise Unsupported("dropout in training mode (it draws a random mask); call model.eval() before exporting")
        return "aten.alias.default", [x]  # eval-mode dropout hands back its input: no node is recorded
    return cap


def _unflatten(a, k):
    x, dim, sizes = _bind(a, k, ["self", "dim", "sizes"])
    shape = list(x.shape)
    dim %= len(shape)
    return "aten.reshape.default", [x, shape[:dim] + _ints(sizes) + shape[dim + 1:]]


CAPTURE.update({
    "Tensor.unflatten": _unflatten,
    "F.batch_norm": _f_batch_norm,
    "F.layer_norm": _f_layer_norm,
    "F.dropout": _f_dropout(True),
    "F.dropout1d": _f_dropout(True),
    "F.dropout2d": _f_dropout(True),
    "F.dropout3d": _f_dropout(True),
    "F.alpha_dropout": _f_dropout(False),
})

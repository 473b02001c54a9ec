"""Hypothesis strategies that draw one fuzz call as *Python source*.

A call is drawn as text, not as objects: ``setup`` lines that build the arguments
(``a0 = ember.arange(24, dtype=ember.float32).reshape(4, 6)[:, ::2]``) and one ``call``
line (``ember.nn.functional.conv2d(a0, 2**40, stride=None)``). The worker executes exactly
this text, so a failure's reproducer is what ran, character for character, and needs no
fuzzer to replay. Nothing here imports ember: the parent only draws text.

Arguments are drawn by *role*, guessed from the parameter's name (``dim`` → dims,
``kernel_size`` → sizes, ``dtype`` → dtypes, ``input`` → tensors …), and a fixed share of
them is replaced by a hostile value of any kind (2**62, -1, NaN, None, a string, an empty
or 0-d tensor) so that wrong types reach every parameter too.
"""
from hypothesis import strategies as st

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"]
FLOAT_DTYPES = ["float32", "float64"]
HUGE_INTS = [2**31 - 1, 2**31, 2**32, 2**40, 2**62, 2**63 - 1, -2**31, -2**63, 2**64]
SMALL_INTS = [0, 1, 2, 3, -1, -2, 4, 5]
FLOATS = ["0.0", "1.0", "-1.0", "0.5", "2.0", "1e-12", "-0.0", "1e308", "float('nan')", "float('inf')", "float('-inf')"]
STRINGS = ["'mean'", "'sum'", "'none'", "'cpu'", "'meta'", "'wgpu'", "''", "'nonsense'", "'same'", "'valid'",
           "'nearest'", "'bilinear'", "'reflect'", "'floor'", "'ij'", "'ii->i'", "'fro'"]

TENSOR_NAMES = {"input", "self", "other", "tensor", "x", "weight", "bias", "target", "mat", "mat1", "mat2", "vec",
                "vec1", "vec2", "index", "src", "mask", "values", "indices", "log_probs", "anchor", "positive",
                "negative", "x1", "x2", "input1", "input2", "running_mean", "running_var", "var", "offsets",
                "boundaries", "condition", "y", "a", "b", "A", "B", "grad", "grad_output", "elements",
                "test_elements", "sorted_sequence", "end", "start", "exponent", "tensor1", "tensor2", "data",
                "repeats", "lengths", "labels", "logits", "probs", "scale", "pos_weight", "source"}
TENSOR_LIST_NAMES = {"tensors", "inputs", "outputs", "seq", "sequences", "operands", "grad_outputs", "grad_tensors"}
DIM_NAMES = {"dim", "dim0", "dim1", "dim2", "dims", "axis", "start_dim", "end_dim", "destination", "unflattened_size"}
SIZE_NAMES = {"size", "shape", "sizes", "output_size", "kernel_size", "stride", "padding", "dilation", "repeats",
              "split_size_or_sections", "split_size", "chunks", "sections", "n", "m", "k", "num_classes",
              "num_samples", "bins", "minlength", "steps", "upscale_factor", "downscale_factor", "groups",
              "num_groups", "normalized_shape", "in_features", "out_features", "in1_features", "in2_features",
              "in_channels", "out_channels", "num_features", "num_embeddings", "embedding_dim", "high", "low",
              "diagonal", "offset", "storage_offset", "pad", "indices_or_sections", "num_parameters",
              "padding_idx", "max_norm", "output_padding", "row", "col", "window_length", "N", "stride_or_size",
              "nnz", "sparse_dim", "dense_dim", "k_size", "shifts", "num_channels", "pad_width", "size_average",
              "count", "max_length", "p_dim", "numel"}
FLOAT_NAMES = {"p", "eps", "alpha", "beta", "momentum", "negative_slope", "lambd", "min", "max", "value",
               "fill_value", "scale_factor", "margin", "delta", "threshold", "rtol", "atol", "ord", "step",
               "min_val", "max_val", "base", "mean", "std", "lower", "upper", "init", "gain", "a_", "nan",
               "posinf", "neginf", "q", "other_scalar", "weight_scalar", "tau", "temperature", "generator_seed"}
STR_NAMES = {"reduction", "mode", "padding_mode", "nonlinearity", "rounding_mode", "side", "indexing", "equation",
             "interpolation", "approximate", "norm", "memory_format_str", "layout_str"}
BOOL_NAMES = {"keepdim", "inplace", "ceil_mode", "align_corners", "sorted", "return_inverse", "return_counts",
              "largest", "descending", "stable", "unbiased", "training", "count_include_pad", "requires_grad",
              "upper", "right", "log_target", "full", "affine", "track_running_stats", "batch_first",
              "accumulate", "out_int32", "equal_nan", "return_indices", "retain_graph", "create_graph",
              "allow_unused", "include_self", "hard", "sparse", "scale_grad_by_freq", "some", "compute_uv",
              "recompute_scale_factor", "antialias", "non_blocking", "copy", "assume_unique", "invert",
              "check_invariants", "is_coalesced", "persistent", "strict", "recurse", "pin_memory"}


def _lit(v):
    return repr(v) if not isinstance(v, int) or abs(v) < 2**20 or v in (-1, 0) else _pow2(v)


def _pow2(v):
    """2**40 rather than 1099511627776, so reproducers read as the intent."""
    sign = "-" if v < 0 else ""
    a = abs(v)
    for e in range(20, 70):
        if a == 2**e:
            return f"{sign}2**{e}"
        if a == 2**e - 1:
            return f"{sign}(2**{e} - 1)"
    return repr(v)


# Devices tensors are drawn on; run.py sets this (``--wgpu`` adds "wgpu") before drawing.
DEVICES = ["cpu"]

small_int = st.sampled_from(SMALL_INTS)
huge_int = st.sampled_from(HUGE_INTS)
any_int = st.one_of(small_int, small_int, small_int, huge_int, st.integers(-10, 10)).map(_lit)
float_lit = st.sampled_from(FLOATS)
dtype_lit = st.sampled_from(DTYPES).map(lambda d: f"ember.{d}")
device_lit = st.sampled_from(["'cpu'", "'meta'", "'wgpu'", "'cuda'", "'cpu:0'", "'cpu:-1'", "'cpu:99999999999999'",
                              "ember.device('cpu')", "'nonsense'"])
shape = st.lists(st.integers(0, 5), min_size=0, max_size=4).map(tuple)


@st.composite
def tensor(draw, dtypes=None, allow_special=True):
    """Source for one tensor: a base built from arange or special values, then a view."""
    dtype = draw(st.sampled_from(dtypes or DTYPES))
    shp = draw(shape)
    n = 1
    for s in shp:
        n *= s
    kind = draw(st.sampled_from(["arange", "arange", "arange", "zeros", "special", "meta", "scalar", "sparse"]
                                if allow_special else ["arange", "arange", "zeros"]))
    if kind == "scalar":
        v = draw(st.sampled_from(["1.5", "-2", "0", "float('nan')", "3"]))
        return f"ember.tensor({v}, dtype=ember.{dtype})"
    if kind == "meta":
        return f"ember.empty({shp!r}, dtype=ember.{dtype}, device='meta')"
    view = draw(st.sampled_from(["none", "none", "permute", "step", "expand", "offset"]))
    base = list(shp)
    if view == "step" and shp:
        base = [2 * s for s in shp]
    if view == "offset" and shp:
        base[0] += 1
    if view == "expand" and shp:
        d = draw(st.integers(0, len(shp) - 1))
        base[d] = 1
    bn = 1
    for s in base:
        bn *= s
    if kind == "zeros":
        src = f"ember.zeros({tuple(base)!r}, dtype=ember.{dtype})"
    elif kind == "special":
        vals = "[float('nan'), float('inf'), float('-inf'), 0.0, -0.0, 1e38, -1e38, 1.0, -1.0, 300.0, 2.0**31]"
        src = (f"ember.tensor({vals}).repeat({bn // 11 + 1})[:{bn}].to(ember.{dtype}).reshape({tuple(base)!r})"
               if dtype in ("float32", "float64", "float16", "bfloat16") else
               f"ember.tensor([0, -1, 1, 127, -128, 255, 2**31 - 1, -2**31, 2**62, 7]).repeat({bn // 10 + 1})"
               f"[:{bn}].to(ember.{dtype}).reshape({tuple(base)!r})")
    else:
        src = f"(ember.arange({bn}, dtype=ember.float64) - {bn // 2}).to(ember.{dtype}).reshape({tuple(base)!r})"
    if kind == "sparse":
        return src + ".to_sparse()"
    if dtype in FLOAT_DTYPES and draw(st.integers(0, 3)) == 0:
        src += ".requires_grad_()"
    if view == "permute" and len(shp) > 1:
        perm = draw(st.permutations(range(len(shp))))
        # permute the base's sizes back so the view shows `shp` permuted
        src = src.replace(f"reshape({tuple(base)!r})", f"reshape({tuple(base[i] for i in perm)!r})")
        inv = [perm.index(i) for i in range(len(shp))]
        src += f".permute{tuple(inv)!r}"
    elif view == "step" and shp:
        src += "[" + ", ".join("::2" for _ in shp) + "]"
    elif view == "offset" and shp:
        src += "[1:]"
    elif view == "expand" and shp:
        src += f".expand{tuple(shp)!r}" if len(shp) > 1 else f".expand({shp[0]})"
    if len(DEVICES) > 1:
        dev = draw(st.sampled_from(DEVICES))
        if dev != "cpu":
            src += f".to({dev!r})"
    return src


int_tensor = tensor(dtypes=["int64", "int64", "int32", "uint8", "bool"])

hostile = st.one_of(
    huge_int.map(_lit), st.just("None"), float_lit, st.sampled_from(STRINGS), dtype_lit, st.just("True"),
    st.just("[]"), st.just("()"), st.just("[2**40, 2]"), st.just("(-1, -1)"), st.just("[[1, 2], [3]]"),
    st.just("object()"), st.just("slice(None, None, -1)"), st.just("..."), st.just("lambda *a: None"),
    st.just("ember.tensor([])"), st.just("ember.tensor(2**40)"), st.just("ember.empty(0, 3)"),
    st.just("ember.ones(2, 3)[:, ::2]"), tensor(), tensor(),
)


def size_value():
    one = st.one_of(small_int.map(_lit), small_int.map(_lit), any_int)
    return st.one_of(one, one, st.lists(one, min_size=0, max_size=4).map(lambda v: "(" + "".join(x + ", " for x in v) + ")"))


def dim_value():
    return st.one_of(st.integers(-5, 4).map(repr), st.integers(-5, 4).map(repr), huge_int.map(_lit), st.just("None"),
                     st.lists(st.integers(-3, 3), max_size=3).map(lambda v: repr(tuple(v))))


def role_value(name):
    """A plausible value for a parameter called ``name`` (or a generic one)."""
    if name in TENSOR_LIST_NAMES:
        return st.lists(tensor(), min_size=0, max_size=3).map(lambda v: "[" + ", ".join(v) + "]")
    if name in TENSOR_NAMES:
        return st.one_of(tensor(), tensor(), int_tensor) if name in ("index", "indices", "target", "repeats") else tensor()
    if name in DIM_NAMES:
        return dim_value()
    if name in SIZE_NAMES:
        return size_value()
    if name in FLOAT_NAMES:
        return st.one_of(float_lit, small_int.map(repr))
    if name in STR_NAMES:
        return st.sampled_from(STRINGS)
    if name in BOOL_NAMES:
        return st.sampled_from(["True", "False"])
    if name == "dtype":
        return st.one_of(dtype_lit, dtype_lit, st.just("None"))
    if name == "device":
        return device_lit
    if name in ("generator",):
        return st.just("None")
    return st.one_of(tensor(), tensor(), any_int, float_lit, st.just("None"), size_value())


@st.composite
def argument(draw, name):
    if draw(st.integers(0, 99)) < 22:
        return draw(hostile)
    return draw(role_value(name))


@st.composite
def call(draw, targets):
    """One call: (target name, setup lines, call line). ``targets`` maps names to
    ``Target`` records (see targets.py)."""
    name = draw(st.sampled_from(sorted(targets)))
    t = targets[name]
    setup, args, kwargs = [], [], []

    def bind(src):
        var = f"a{len(setup)}"
        setup.append(f"{var} = {src}")
        return var

    def value(pname):
        src = draw(argument(pname))
        # Anything holding a tensor gets a name, so the worker can snapshot it before the call.
        return bind(src) if "ember." in src or "lambda" in src else src

    if t.kind == "method":
        this = bind(draw(st.one_of(tensor(), tensor(), tensor(), int_tensor)))
    params = list(t.params)
    # How many positional parameters to fill: usually the required ones, sometimes fewer or more.
    required = [p for p in params if p[1] == "req"]
    npos = draw(st.sampled_from([len(required)] * 6 + [max(0, len(required) - 1), len(required) + 1]))
    for i in range(npos):
        pname = params[i][0] if i < len(params) and params[i][1] != "kwonly" else (
            t.varargs or "arg")
        args.append(value(pname))
    if t.varargs and draw(st.booleans()):
        for _ in range(draw(st.integers(0, 3))):
            args.append(value(t.varargs))
    optional = [p[0] for p in params[npos:] if p[1] in ("opt", "kwonly")]
    if optional:
        for pname in draw(st.lists(st.sampled_from(optional), max_size=3, unique=True)):
            kwargs.append(f"{pname}={value(pname)}")
    arglist = ", ".join(args + kwargs)
    if t.kind == "method":
        line = f"{this}.{t.attr}({arglist})"
    elif t.kind == "module":
        ctor = f"{t.qualname}({arglist})"
        m = bind(ctor)
        fwd = [value(p) for p in ("input", "target")[:draw(st.integers(1, 2))]]
        line = f"{m}({', '.join(fwd)})"
    else:
        line = f"{t.qualname}({arglist})"
    return name, setup, line

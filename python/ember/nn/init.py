"""``ember.nn.init``: in-place initialisers (run under no_grad), with PyTorch's fan and gain rules."""
import math
import warnings

from .. import _native
from ..autograd import no_grad

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_"]


def calculate_gain(nonlinearity, param=None):
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    num_input_fmaps, num_output_fmaps = tensor.shape[1], tensor.shape[0]
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return num_input_fmaps * receptive, num_output_fmaps * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill_from(tensor, values):
    with no_grad():
        tensor.copy_(values)
    return tensor


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    return _fill_from(tensor, _native._uniform(list(tensor.shape), tensor.dtype, a, b, generator))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    return _fill_from(tensor, _native._normal(list(tensor.shape), tensor.dtype, mean, std, generator))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """N(mean, std) truncated to [a, b], by redrawing the samples that fall outside."""
    import numpy as np
    from .. import from_numpy

    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    shape = list(tensor.shape)
    vals = np.zeros(int(np.prod(shape)) if shape else 1)
    todo = np.arange(vals.size)
    while todo.size:
        draw = _native._normal([int(todo.size)], _native.get_default_dtype(), mean, std, generator).numpy().astype(np.float64)
        ok = (draw >= a) & (draw <= b)
        vals[todo[ok]] = draw[ok]
        todo = todo[~ok]
    return _fill_from(tensor, from_numpy(vals.reshape(shape)))


def constant_(tensor, val):
    with no_grad():
        tensor.fill_(val)
    return tensor


def ones_(tensor):
    return constant_(tensor, 1.0)


def zeros_(tensor):
    return constant_(tensor, 0.0)


def eye_(tensor):
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill_from(tensor, _native._eye(tensor.shape[0], tensor.shape[1], tensor.dtype))


def dirac_(tensor, groups=1):
    import numpy as np
    from .. import from_numpy

    d = tensor.ndim
    if d not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per = sizes[0] // groups
    m = np.zeros(tuple(sizes), dtype=np.float64)
    for g in range(groups):
        for k in range(min(out_per, sizes[1])):
            idx = (g * out_per + k, k) + tuple(s // 2 for s in sizes[2:])
            m[idx] = 1
    return _fill_from(tensor, from_numpy(m))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain=1, generator=None):
    """QR of a Gaussian matrix with the signs of R's diagonal folded in (computed in NumPy)."""
    import numpy as np
    from .. import from_numpy

    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _native._normal([rows, cols], tensor.dtype, 0.0, 1.0, generator).detach().numpy().astype(np.float64)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill_from(tensor, from_numpy(np.ascontiguousarray(q * gain).reshape(tuple(tensor.shape))))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    import numpy as np
    from .. import from_numpy

    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    vals = _native._normal([rows, cols], tensor.dtype, 0.0, std, generator).detach().numpy().astype(np.float64)
    rng = np.random.default_rng()
    for c in range(cols):
        vals[rng.permutation(rows)[:num_zeros], c] = 0
    return _fill_from(tensor, from_numpy(vals))


# Old, non-underscore names (deprecated in PyTorch, still used in older code).
uniform, normal, constant = uniform_, normal_, constant_
xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal = xavier_uniform_, xavier_normal_, kaiming_uniform_, kaiming_normal_


def _skip_meta(fn):
    """Initialisers leave meta tensors as they are (no values to write), as PyTorch's do."""
    import functools

    @functools.wraps(fn)
    def wrapper(tensor, *args, **kwargs):
        if getattr(tensor, "is_meta", False):
            return tensor
        return fn(tensor, *args, **kwargs)

    return wrapper


for _name in __all__:
    if _name.endswith("_"):
        globals()[_name] = _skip_meta(globals()[_name])
del _name


def _deprecated_alias(name):
    new = globals()[name + "_"]

    def alias(*args, **kwargs):
        import warnings
        warnings.warn(f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`.", FutureWarning, stacklevel=2)
        return new(*args, **kwargs)

    alias.__name__ = name
    alias.__doc__ = f"Deprecated alias of ``{name}_``."
    return alias


for _name in ("dirac", "eye", "orthogonal", "sparse"):
    globals()[_name] = _deprecated_alias(_name)
del _name

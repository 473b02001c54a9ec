"""More of the ``torch`` namespace, composed: ``gradient``, ``histogramdd``, the functional RNN
cells and layers (``torch.lstm_cell``, ``torch.gru``, …), the ``native_*`` normalisation entry
points (which also return the saved statistics), ``convolution``, ``constant_pad_nd``,
``grid_sampler``, ``nonzero_static``, ``frombuffer``, ``binomial``, build flags, and the small
Tensor methods PyTorch keeps for old code (``new``, ``volatile``, ``module_load`` …)."""
import builtins
from ._ops_reduce import return_types
import math

from . import _native, _dtypes
from ._native import Tensor

__all__ = []

histogramdd_result = return_types.histogramdd


def _export(fn):
    __all__.append(fn.__name__)
    return fn


def _F():
    import ember.nn.functional as F
    return F


# ---- numerical gradient (numpy.gradient's second-order interior differences) ----
@_export
def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Estimates ∂input/∂x along each of ``dim`` by central differences inside and one-sided
    differences (order ``edge_order``) at the ends; ``spacing`` is a step per dim or the sample
    coordinates per dim. Returns one tensor per dim."""
    if edge_order not in (1, 2):
        raise RuntimeError(f"torch.gradient only supports edge_order=1 and edge_order=2, but got {edge_order}")
    dims = list(range(input.ndim)) if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    dims = [d % input.ndim for d in dims]
    if isinstance(spacing, (int, float, Tensor)) and not (isinstance(spacing, Tensor) and spacing.ndim == 1):
        spacing = [spacing.item() if isinstance(spacing, Tensor) else spacing] * len(dims)
    spacing = list(spacing)
    if len(spacing) != len(dims):
        raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                           f"arguments to have the same length, but got a spacing argument of length {len(spacing)} and "
                           f"a dim argument of length {len(dims)}.")
    f = input if input.dtype.is_floating_point else input.to(_native.get_default_dtype())
    out = []
    for d, h in zip(dims, spacing):
        n = f.shape[d]
        if n < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")

        def sl(a, b):
            return f.narrow(d, a, b - a)

        shape = [1] * f.ndim
        shape[d] = -1
        if isinstance(h, Tensor):
            x = h.to(f.dtype)
            if x.numel() != n:
                raise RuntimeError(f"torch.gradient expected each tensor to be on the same device and have size {n} "
                                   f"along dimension {d}, but got {x.numel()}")
            hd = x.diff()
            h1, h2 = hd[:-1].reshape(shape), hd[1:].reshape(shape)
            inner = (-h2 / (h1 * (h1 + h2))) * sl(0, n - 2) + ((h2 - h1) / (h1 * h2)) * sl(1, n - 1) \
                + (h1 / (h2 * (h1 + h2))) * sl(2, n)
            if edge_order == 1:
                left = (sl(1, 2) - sl(0, 1)) / hd[0]
                right = (sl(n - 1, n) - sl(n - 2, n - 1)) / hd[-1]
            else:
                a1, a2 = hd[0], hd[1]
                left = (-(2 * a1 + a2) / (a1 * (a1 + a2))) * sl(0, 1) + ((a1 + a2) / (a1 * a2)) * sl(1, 2) \
                    + (-a1 / (a2 * (a1 + a2))) * sl(2, 3)
                b1, b2 = hd[-2], hd[-1]
                right = (b2 / (b1 * (b1 + b2))) * sl(n - 3, n - 2) + (-(b2 + b1) / (b1 * b2)) * sl(n - 2, n - 1) \
                    + ((2 * b2 + b1) / (b2 * (b1 + b2))) * sl(n - 1, n)
        else:
            h = float(h)
            inner = (sl(2, n) - sl(0, n - 2)) / (2 * h)
            if edge_order == 1:
                left = (sl(1, 2) - sl(0, 1)) / h
                right = (sl(n - 1, n) - sl(n - 2, n - 1)) / h
            else:
                left = (sl(0, 1) * -3 + sl(1, 2) * 4 - sl(2, 3)) / (2 * h)
                right = (sl(n - 1, n) * 3 - sl(n - 2, n - 1) * 4 + sl(n - 3, n - 2)) / (2 * h)
        from ._ops_index import cat
        out.append(cat([left, inner, right], d))
    return tuple(out)


@_export
def histogramdd(input, bins=10, *, range=None, weight=None, density=False):
    """Histogram of the rows of an (N, D) input over a D-dimensional grid of bins."""
    from ._ops_index import searchsorted
    from ._creation import linspace
    if input.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    x = input.reshape(-1, input.shape[-1])
    n, D = x.shape
    if isinstance(bins, int):
        bins = [bins] * D
    edges = []
    for k in builtins.range(D):
        b = bins[k]
        if isinstance(b, Tensor):
            edges.append(b.to(x.dtype))
            continue
        if range is not None:
            lo, hi = float(range[2 * k]), float(range[2 * k + 1])
        elif n:
            lo, hi = x[:, k].min().item(), x[:, k].max().item()
        else:
            lo, hi = 0.0, 0.0
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges.append(linspace(lo, hi, int(b) + 1, dtype=x.dtype))
    nb = [e.numel() - 1 for e in edges]
    flat = _native._zeros([n], _dtypes.int64)
    inside = _native._full([n], True, _dtypes.bool)
    for k in builtins.range(D):
        col, e = x[:, k], edges[k]
        idx = searchsorted(e, col.contiguous(), right=True) - 1
        idx = idx.where(col != e[-1], idx.new_full((), nb[k] - 1))
        inside = inside & (col >= e[0]) & (col <= e[-1])
        flat = flat * nb[k] + idx.clamp(0, nb[k] - 1)
    w = (weight.reshape(-1).to(x.dtype) if weight is not None else x.new_ones(n)) * inside.to(x.dtype)
    hist = x.new_zeros(math.prod(nb)).index_add(0, flat, w).reshape(nb)
    if density:
        vol = None
        for k in builtins.range(D):
            shape = [1] * D
            shape[k] = -1
            wk = edges[k].diff().reshape(shape)
            vol = wk if vol is None else vol * wk
        hist = hist / hist.sum() / vol
    return histogramdd_result(hist, edges)


# ---- functional recurrent cells and layers (ATen's signatures) ----
def _cells():
    from .nn.modules import rnn
    return rnn


@_export
def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    x = _F().linear(input, w_ih, b_ih)
    return _cells()._rnn_cell(x, hx, w_hh, b_hh, "tanh")


@_export
def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    x = _F().linear(input, w_ih, b_ih)
    return _cells()._rnn_cell(x, hx, w_hh, b_hh, "relu")


@_export
def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cells()._gru_cell(_F().linear(input, w_ih, b_ih), hx, w_hh, b_hh)


@_export
def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """(h', c') from hx = (h, c)."""
    h, c = hx
    return _cells()._lstm_cell(_F().linear(input, w_ih, b_ih), h, c, w_hh, b_hh, None)


def _functional_rnn(mode, input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """Runs an RNN layer stack whose flat weights are ``params`` (per layer and direction:
    w_ih, w_hh[, b_ih, b_hh]), through the module implementation."""
    rnn = _cells()
    m = rnn.RNNBase.__new__(rnn.RNNBase)
    from .nn.modules.module import Module
    Module.__init__(m)
    per = 4 if has_biases else 2
    proj = 0
    w_ih0, w_hh0 = params[0], params[1]
    gate = w_ih0.shape[0]
    hidden = gate // rnn._GATES[mode]
    if w_hh0.shape[1] != hidden:  # LSTM with projections: (w_ih, w_hh, [b_ih, b_hh], w_hr)
        proj, per = w_hh0.shape[1], per + 1
    m.mode, m.input_size, m.hidden_size, m.num_layers = mode, w_ih0.shape[1], hidden, num_layers
    m.bias, m.batch_first, m.dropout, m.bidirectional, m.proj_size = has_biases, batch_first, dropout, bidirectional, proj
    m.training = train
    dirs = 2 if bidirectional else 1
    # The weight count is known before naming them one by one: a huge num_layers is refused
    # here, not after a loop that long.
    if not isinstance(num_layers, int) or num_layers * dirs * per != len(params):
        raise RuntimeError(f"{mode}: expected {per} weights for each of {num_layers} layer(s) and {dirs} "
                           f"direction(s), got {len(params)}")
    names = []
    for layer in builtins.range(num_layers):
        for d in builtins.range(2 if bidirectional else 1):
            sfx = "_reverse" if d else ""
            names += [f"weight_ih_l{layer}{sfx}", f"weight_hh_l{layer}{sfx}"]
            if has_biases:
                names += [f"bias_ih_l{layer}{sfx}", f"bias_hh_l{layer}{sfx}"]
            if proj:
                names.append(f"weight_hr_l{layer}{sfx}")
    if len(names) != len(params):
        raise RuntimeError(f"{mode}: expected {len(names)} weights, got {len(params)}")
    for n, p in zip(names, params):
        m.__dict__[n] = p
    m._flat_weights_names = names
    return rnn.RNNBase.forward(m, input, hx)


@_export
def lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """(output, h_n, c_n) of an LSTM stack with the flat weights ``params``."""
    out, (h, c) = _functional_rnn("LSTM", input, tuple(hx), list(params), has_biases, num_layers, dropout, train,
                                  bidirectional, batch_first)
    return out, h, c


@_export
def gru(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    return _functional_rnn("GRU", input, hx, list(params), has_biases, num_layers, dropout, train, bidirectional,
                           batch_first)


@_export
def rnn_tanh(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    return _functional_rnn("RNN_TANH", input, hx, list(params), has_biases, num_layers, dropout, train, bidirectional,
                           batch_first)


@_export
def rnn_relu(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    return _functional_rnn("RNN_RELU", input, hx, list(params), has_biases, num_layers, dropout, train, bidirectional,
                           batch_first)


# ---- ATen entry points that also return what backward saves ----
@_export
def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """(output, mean, rstd) with mean and rstd kept as size-1 dims over ``normalized_shape``."""
    k = len(normalized_shape)
    dims = tuple(builtins.range(input.ndim - k, input.ndim))
    mean = input.mean(dims, keepdim=True)
    var = ((input - mean) ** 2).mean(dims, keepdim=True)
    rstd = (var + eps).rsqrt()
    return _F().layer_norm(input, normalized_shape, weight, bias, eps), mean, rstd


@_export
def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """(output, mean, rstd), the statistics of shape (N, group)."""
    x = input.reshape(N, group, -1)
    mean = x.mean(-1)
    rstd = (((x - mean.unsqueeze(-1)) ** 2).mean(-1) + eps).rsqrt()
    return _F().group_norm(input, group, weight, bias, eps), mean, rstd


@_export
def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """(output, save_mean, save_invstd); in eval mode the saved statistics are empty."""
    dims = tuple(d for d in builtins.range(input.ndim) if d != 1)
    if training:
        mean = input.mean(dims)
        invstd = (input.var(dims, correction=0) + eps).rsqrt()
    else:
        mean = invstd = _native._zeros([0], input.dtype)
    out = _F().batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    return out, mean, invstd


@_export
def native_dropout(input, p, train):
    """(output, mask): the kept elements scaled by 1/(1 − p), and the boolean keep mask."""
    if not train or p == 0:
        return input.clone(), input.new_ones(input.shape).bool()
    keep = _native._bernoulli(_native._full(list(input.shape), 1.0 - p, input.dtype if input.dtype.is_floating_point
                                            else _native.get_default_dtype())).bool()
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return input * keep.to(input.dtype) * scale, keep


@_export
def native_norm(input, p=2, dim=None, keepdim=False, dtype=None):
    from ._ops_reduce import vector_norm
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


@_export
def norm_except_dim(v, pow=2, dim=0):
    """The p-norm over every dim but ``dim`` (kept as size-1 dims); of everything when dim == -1."""
    from ._ops_reduce import vector_norm
    if dim == -1:
        return vector_norm(v, pow)
    d = dim % v.ndim
    return vector_norm(v, pow, tuple(i for i in builtins.range(v.ndim) if i != d), True)


@_export
def frobenius_norm(input, dim=(), keepdim=False):
    from ._ops_reduce import vector_norm
    return vector_norm(input, 2, None if dim == () else dim, keepdim)


@_export
def constant_pad_nd(input, pad, value=0):
    return _F().pad(input, list(pad), "constant", value)


@_export
def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """ATen's one convolution entry point: N-d, plain or transposed."""
    F = _F()
    nsp = weight.ndim - 2
    if transposed:
        fn = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[nsp]
        return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)
    fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nsp]
    return fn(input, weight, bias, stride, padding, dilation, groups)


@_export
def affine_grid_generator(theta, size, align_corners):
    return _F().affine_grid(theta, list(size), align_corners)


_GRID_MODES = {0: "bilinear", 1: "nearest", 2: "bicubic"}
_GRID_PADDING = {0: "zeros", 1: "border", 2: "reflection"}


@_export
def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """``F.grid_sample`` with ATen's int codes (mode: 0 bilinear, 1 nearest; padding: 0 zeros, 1 border)."""
    _ints_and_tensors("grid_sampler", input=input, grid=grid, interpolation_mode=interpolation_mode,
                      padding_mode=padding_mode)
    if interpolation_mode not in _GRID_MODES or padding_mode not in _GRID_PADDING:
        raise RuntimeError(f"grid_sampler(): interpolation_mode must be 0, 1 or 2 and padding_mode 0, 1 or 2, got "
                           f"{interpolation_mode} and {padding_mode}")
    return _F().grid_sample(input, grid, _GRID_MODES[interpolation_mode], _GRID_PADDING[padding_mode], align_corners)


def _ints_and_tensors(fn, input, grid, interpolation_mode, padding_mode):
    """PyTorch's parser: tensors first, then the int codes (TypeError naming the argument)."""
    for pos, (name, v) in enumerate((("input", input), ("grid", grid)), 1):
        if not isinstance(v, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not {type(v).__name__}")
    for pos, (name, v) in enumerate((("interpolation_mode", interpolation_mode), ("padding_mode", padding_mode)), 3):
        if not isinstance(v, int) or isinstance(v, bool):
            raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be int, not {type(v).__name__}")


@_export
def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    _ints_and_tensors("grid_sampler_2d", input, grid, interpolation_mode, padding_mode)
    if input.ndim != 4:
        raise RuntimeError(f"grid_sampler_2d(): expected 4D input, but got input with sizes {list(input.shape)}")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


@_export
def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners):
    _ints_and_tensors("grid_sampler_3d", input, grid, interpolation_mode, padding_mode)
    if input.ndim != 5:
        raise RuntimeError(f"grid_sampler_3d(): expected 5D input, but got input with sizes {list(input.shape)}")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


@_export
def nonzero_static(input, *, size, fill_value=-1):
    """The first ``size`` rows of ``nonzero(input)``, padded with ``fill_value`` to exactly ``size``."""
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, but got size {size}")
    nz = input.nonzero()[:size]
    if nz.shape[0] < size:
        from ._ops_index import cat
        pad = _native._full([size - nz.shape[0], input.ndim], fill_value, _dtypes.int64)
        nz = cat([nz, pad], 0)
    return nz


Tensor.nonzero_static = lambda self, *, size, fill_value=-1: nonzero_static(self, size=size, fill_value=fill_value)


@_export
def to_dlpack(tensor):
    """A DLPack capsule that shares ``tensor``'s memory (``tensor.__dlpack__()``)."""
    return tensor.__dlpack__()


@_export
def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor sharing the memory of an object that exposes the buffer protocol."""
    import numpy as np
    from ._exchange import from_numpy
    itemsize = _native._zeros([0], dtype).element_size()
    view = memoryview(buffer)
    nbytes = view.nbytes - offset
    if offset < 0 or offset > view.nbytes:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
                         f"({view.nbytes} bytes) minus 1")
    if count == -1:
        if nbytes % itemsize:
            raise ValueError(f"buffer length ({nbytes} bytes) after offset ({offset} bytes) must be a multiple of "
                             f"element size ({itemsize})")
        count = nbytes // itemsize
    elif count <= 0 or count * itemsize > nbytes:
        raise ValueError(f"requested buffer length ({count} * {itemsize} bytes) after offset ({offset} bytes) must not "
                         f"be greater than actual buffer length ({view.nbytes} bytes)")
    np_dtype = {"float32": np.float32, "float64": np.float64, "float16": np.float16, "int64": np.int64,
                "int32": np.int32, "int16": np.int16, "int8": np.int8, "uint8": np.uint8, "bool": np.bool_,
                "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64}[dtype.name]
    arr = np.frombuffer(buffer, dtype=np_dtype, count=count, offset=offset)
    t = from_numpy(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


@_export
def binomial(count, prob, generator=None):
    """Binomial(count, prob) draws, one per element: the number of ``count`` Bernoulli(prob)
    trials that succeed (exact; the work grows with max(count))."""
    if not count.dtype.is_floating_point or not prob.dtype.is_floating_point:
        raise RuntimeError(f'"binomial_cpu" not implemented for \'{count.dtype.name.capitalize()}\'')
    n = count.detach().to(_dtypes.float64)
    p = prob.detach().to(_dtypes.float64).expand(*n.shape).contiguous()
    if bool((p < 0).any()) or bool((p > 1).any()):
        raise RuntimeError("binomial: probabilities must be in [0, 1]")
    total = _native._zeros(list(n.shape), _dtypes.float64)
    k = builtins.int(n.max().item()) if n.numel() else 0
    for i in builtins.range(k):
        u = _native._uniform(list(n.shape), _dtypes.float64, 0.0, 1.0, generator)
        total = total + ((u < p) & (n > i)).to(_dtypes.float64)
    return total.to(count.dtype)


@_export
def is_distributed(input):
    return False


has_lapack = False  # ember's linear algebra is its own (no LAPACK linked)
has_mkl = False
has_openmp = False  # ember's CPU threads are rayon's
has_spectral = False  # no FFT backend in this build
__all__ += ["has_lapack", "has_mkl", "has_openmp", "has_spectral"]


# ---- legacy and small Tensor methods ----
def _bernoulli_method(self, p=None, *, generator=None):
    from ._creation import bernoulli
    return bernoulli(self, p, generator=generator)


Tensor.bernoulli = _bernoulli_method
Tensor.const_data_ptr = lambda self: self.data_ptr()
if not hasattr(Tensor, "is_complex"):
    Tensor.is_complex = lambda self: builtins.bool(getattr(self.dtype, "is_complex", False))
Tensor.is_distributed = lambda self: False
Tensor.is_nested = property(lambda self: False, doc="True for a nested tensor (ember.nested); False here.")


def _volatile(self):
    import warnings
    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning, stacklevel=2)
    return False


Tensor.volatile = property(_volatile)


def _new(self, *args, **kwargs):
    """Legacy constructor of the same dtype and device: ``x.new(2, 3)`` (uninitialised),
    ``x.new([1, 2])`` (data), ``x.new(tensor)`` (shares it), ``x.new()`` (empty)."""
    from ._creation import empty, tensor
    dev = kwargs.pop("device", self.device)
    if kwargs:
        raise TypeError(f"new() got unexpected keyword arguments {list(kwargs)}")
    if not args:
        return empty(0, dtype=self.dtype, device=dev)
    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0].detach().view_as(args[0])
    if builtins.all(isinstance(a, builtins.int) for a in args):
        return empty(*args, dtype=self.dtype, device=dev)
    if len(args) == 1 and hasattr(args[0], "__len__") and not isinstance(args[0], (tuple, list)):
        return empty(*args[0], dtype=self.dtype, device=dev)  # a Size
    return tensor(args[0], dtype=self.dtype, device=dev)


Tensor.new = _new


def _module_load(self, other, assign=False):
    """What ``Module.load_state_dict`` stores for this parameter/buffer: ``other`` itself when
    ``assign``, else ``other`` detached (the caller copies it in)."""
    if not isinstance(other, Tensor):
        raise TypeError(f"module_load(): expected a Tensor, got {type(other).__name__}")
    if assign:
        return other.detach() if not other.requires_grad else other
    return other.detach()


Tensor.module_load = _module_load


def _register_post_accumulate_grad_hook(self, hook):
    """Calls ``hook(tensor)`` after this leaf's ``.grad`` has been accumulated in a backward pass
    (a hook on the leaf's AccumulateGrad node)."""
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    from .autograd.grad_mode import enable_grad
    with enable_grad():
        node = self.view_as(self).grad_fn.next_functions[0][0]
    import weakref
    ref = weakref.ref(self)

    def call(grad_inputs, grad_outputs):
        t = ref()
        if t is not None:
            hook(t)

    # The leaf holds its AccumulateGrad node only weakly (as PyTorch does): keep it alive so the
    # hook survives until the tensor goes away.
    self.__dict__.setdefault("_post_accumulate_nodes", []).append(node)
    return node.register_hook(call)


Tensor.register_post_accumulate_grad_hook = _register_post_accumulate_grad_hook


@_export
def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):
    """An uninitialised tensor of logical ``size`` whose memory is ordered by ``physical_layout``
    (outermost dim first): ``empty_permuted((2, 3, 4, 5), (0, 2, 3, 1))`` is channels-last."""
    from ._creation import empty
    size, order = list(size), list(physical_layout)
    if sorted(order) != list(builtins.range(len(size))):
        raise RuntimeError(f"Dimension out of range or repeated in physical_layout {order} for {len(size)} dims")
    t = empty(*[size[d] for d in order], dtype=dtype, device=device)
    inverse = [order.index(i) for i in builtins.range(len(order))]
    t = t.permute(*inverse)
    if requires_grad:
        t.requires_grad_(True)
    return t


@_export
def segment_reduce(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0, unsafe=False, initial=None):
    """Reduces (sum, mean, max, min, prod) consecutive segments of ``data`` along ``axis``, the
    segments given by ``lengths`` (or ``offsets``); an empty segment gives ``initial`` (or the
    reduction's identity, NaN for mean)."""
    if reduce not in ("sum", "mean", "max", "min", "prod"):
        raise RuntimeError(f"reduction {reduce} not supported: use sum, mean, max, min or prod")
    if indices is not None:
        raise NotImplementedError("segment_reduce(indices=...) is not supported by PyTorch either")
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined")
    if lengths is not None:
        lens = [builtins.int(v) for v in (lengths.tolist() if isinstance(lengths, Tensor) else lengths)]
    else:
        offs = [builtins.int(v) for v in (offsets.tolist() if isinstance(offsets, Tensor) else offsets)]
        lens = [b - a for a, b in zip(offs[:-1], offs[1:])]
    if not unsafe and (builtins.any(n < 0 for n in lens) or builtins.sum(lens) != data.shape[axis]):
        raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to sum to data.size(lengths.dim()-1) "
                           "when !unsafe.")
    identity = {"sum": 0.0, "prod": 1.0, "max": -math.inf, "min": math.inf, "mean": math.nan}[reduce]
    fill = identity if initial is None else initial
    pieces, start = [], 0
    for n in lens:
        seg = data.narrow(axis, start, n)
        start += n
        if n == 0:
            shape = list(data.shape)
            del shape[axis]
            pieces.append(_native._full(shape, fill, data.dtype))
            continue
        if reduce == "sum":
            r = seg.sum(axis)
        elif reduce == "mean":
            r = seg.mean(axis) if initial is None else (seg.sum(axis) + initial) / (n + 1)
        elif reduce == "prod":
            r = seg.prod(axis)
        elif reduce == "max":
            r = seg.amax(axis)
        else:
            r = seg.amin(axis)
        if initial is not None and reduce in ("sum", "prod", "max", "min"):
            init = _native._full([], initial, data.dtype)
            r = {"sum": lambda: r + init, "prod": lambda: r * init, "max": lambda: r.maximum(init),
                 "min": lambda: r.minimum(init)}[reduce]()
        pieces.append(r)
    from ._ops_index import stack
    return stack(pieces, axis)


@_export
def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over a dim of its inputs. ember has no batching rules, so the mapped function
    runs once per slice and the results are stacked along ``out_dims`` (same values as PyTorch's
    vmap for functions without side effects; autograd flows through select and stack)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    from ._ops_index import stack

    def mapped(*args, **kwargs):
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap(func, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                             f"structure of `inputs`. in_dims has structure {len(dims)} but inputs has {len(args)}.")
        sizes = {a.shape[d] for a, d in zip(args, dims) if d is not None and isinstance(a, Tensor)}
        if not sizes:
            raise ValueError("vmap(func, in_dims=...)(<inputs>): at least one input must be a Tensor mapped over "
                             "(an in_dim that is not None)")
        if len(sizes) > 1:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                             f"{sorted(sizes)} for the mapped dimension")
        n = sizes.pop()
        results = []
        for i in builtins.range(n):
            sliced = [a.select(d, i) if d is not None and isinstance(a, Tensor) else a for a, d in zip(args, dims)]
            results.append(func(*sliced, **kwargs))
        first = results[0]
        if isinstance(first, Tensor):
            return stack(results, out_dims if isinstance(out_dims, builtins.int) else out_dims[0])
        if isinstance(first, (tuple, list)):
            od = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(first)
            return type(first)(stack([r[k] for r in results], od[k]) for k in builtins.range(len(first)))
        raise ValueError(f"vmap: `{getattr(func, '__name__', func)}` must only return Tensors, got type "
                         f"{type(first).__name__}")

    return mapped

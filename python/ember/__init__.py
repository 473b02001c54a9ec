"""ember: a PyTorch-style tensor library with a Rust core, built to be debugged.

``import ember as torch`` runs ordinary PyTorch programs; ``ember.inspect`` shows what
happens under the hood (storage, strides, kernels, the autograd tape).
"""
from . import _native
from ._native import Tensor, Generator, dtype, device, get_default_dtype, set_default_dtype
from ._native import get_num_threads, set_num_threads, initial_seed, is_grad_enabled
from ._native import result_type, promote_types, can_cast
from ._size import Size
from ._layout import layout, strided, sparse_coo
from ._dtypes import (bool, uint8, uint16, uint32, uint64, int8, int16, int32, int64,
                      float16, bfloat16, float32, float64,
                      complex64, complex128, half, float, double, short, int, long, cfloat, cdouble, finfo, iinfo)
from . import _tensor  # attaches Python-side Tensor methods
from ._device import set_default_device, get_default_device
from . import cuda  # noqa: F401
from ._creation import (tensor, as_tensor, zeros, ones, empty, full, zeros_like, ones_like, empty_like,
                        full_like, rand, randn, randint, randperm, rand_like, randn_like, randint_like,
                        arange, linspace, logspace, eye, normal, bernoulli, manual_seed, seed)
from . import autograd
from .autograd import no_grad, enable_grad, set_grad_enabled, inference_mode
from .autograd.grad_mode import is_inference_mode_enabled
from . import _tensor_str, _views  # noqa: F401  (attach repr and split-family methods)
from ._tensor_str import set_printoptions, get_printoptions, printoptions
from ._functions import *  # noqa: F401,F403  (the functional op namespace: ember.add, ember.cat, …)
from ._exchange import *  # noqa: F401,F403
from ._views import *  # noqa: F401,F403
from ._ops_elementwise import *  # noqa: F401,F403
from ._ops_reduce import *  # noqa: F401,F403
from ._ops_reduce import return_types  # noqa: F401  (torch.return_types)
from ._ops_linalg import *  # noqa: F401,F403
from ._ops_index import *  # noqa: F401,F403
from ._serialization import *  # noqa: F401,F403
from . import linalg, nn, optim, utils, multiprocessing, inspect  # noqa: F401
from . import wgpu, cuda  # noqa: F401
from . import sparse  # noqa: F401  (after _tensor_str: wraps repr for the sparse layout)
from .sparse import sparse_coo_tensor  # noqa: F401
from . import _functions, _exchange, _ops_elementwise, _ops_reduce, _ops_linalg, _ops_index, _serialization

_fn_all = [n for m in (_functions, _exchange, _views, _ops_elementwise, _ops_reduce, _ops_linalg, _ops_index,
                       _serialization) for n in m.__all__]

__version__ = "0.1.0"

__all__ = [
    "Tensor", "Generator", "dtype", "device", "Size", "layout", "strided", "sparse_coo", "sparse", "sparse_coo_tensor",
    "bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
    "complex64", "complex128", "cfloat", "cdouble", "half", "float", "double", "short", "int", "long", "finfo", "iinfo",
    "get_default_dtype", "set_default_dtype", "get_num_threads", "set_num_threads",
    "tensor", "as_tensor", "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like",
    "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "arange", "linspace",
    "logspace", "eye", "normal", "bernoulli", "manual_seed", "seed", "initial_seed",
    "autograd", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
    "is_inference_mode_enabled", "linalg", "nn", "optim", "utils", "multiprocessing", "inspect",
    "result_type", "promote_types", "can_cast", "set_default_device", "get_default_device", "cuda",
] + _fn_all
__all__ += ["set_printoptions", "get_printoptions", "printoptions"]

from . import _ops_math, _ops_build, _random_fill, _ops_misc, _ops_aliases, _ops_more, _memory_format, _legacy  # noqa: E402  (composed ops; Tensor methods attach on import)
from ._ops_math import *  # noqa: E402,F401,F403
from ._ops_build import *  # noqa: E402,F401,F403
from ._random_fill import *  # noqa: E402,F401,F403
from ._ops_misc import *  # noqa: E402,F401,F403
from ._ops_aliases import *  # noqa: E402,F401,F403
from ._ops_more import *  # noqa: E402,F401,F403
from ._memory_format import *  # noqa: E402,F401,F403
from ._legacy import *  # noqa: E402,F401,F403
from . import amp  # noqa: E402
from .amp import *  # noqa: E402,F401,F403
from ._creation import range  # noqa: E402,F401  (deprecated inclusive arange; shadows the builtin only here)
__all__ += _ops_math.__all__ + _ops_build.__all__ + _random_fill.__all__ + _ops_misc.__all__ + _ops_aliases.__all__ + _ops_more.__all__ + _memory_format.__all__ + amp.__all__ + _legacy.__all__ + ["range", "amp"]
from . import export, jit, onnx  # noqa: E402,F401  (deployment: graph capture, ONNX, ember-run)
__all__ += ["export", "jit", "onnx"]
# Numerics (issue 14): ember.fft, ember.special, and the legacy top-level linalg/special names
# (torch.det, torch.svd, torch.lgamma …), each added only where ember has no such name yet.
from . import fft, special, _linalg_legacy, _stft  # noqa: E402
__all__ += ["fft", "special"]
for _m in (_linalg_legacy, _stft):
    for _n in _m.__all__:
        if _n not in globals():
            globals()[_n] = getattr(_m, _n)
            __all__.append(_n)
# The rest of the surface (issue 13): the default generator and RNG state, complex-number
# functions as they run on real tensors, in-place special functions, legacy sparse products,
# and linalg composites (each added only where ember has no such name yet, except the RNG
# functions, which replace the versions that bypassed default_generator).
from . import _rng_state, _complex, _surface_misc, _sparse_products, _linalg_extra, _signature_fixes, _lobpcg, _ldl, _hash_tensor  # noqa: E402,E501,F401
from ._rng_state import manual_seed, seed, initial_seed  # noqa: E402,F401
for _m in (_rng_state, _complex, _surface_misc, _sparse_products, _linalg_extra, _signature_fixes, _lobpcg, _hash_tensor):
    for _n in _m.__all__:
        if _n not in globals() or _m in (_rng_state, _signature_fixes):
            globals()[_n] = getattr(_m, _n)
        if _n not in __all__:
            __all__.append(_n)
from . import _inplace_geometry  # noqa: E402  (t_, resize_, set_ … on the native geometry swap)
from ._inplace_geometry import is_inference, as_strided_, resize_as_  # noqa: E402,F401
__all__ += ["is_inference", "as_strided_", "resize_as_"]
from . import _out_forms  # noqa: E402  (last: out= and size= for the functions defined above)
_out_forms.install(globals())
# The compressed sparse layouts and nested tensors (issue 13): layouts, constructors, products.
from . import _sparse_compressed, _sparse_compressed_ops, _sparse_small  # noqa: E402
from ._layout import sparse_csr, sparse_csc, sparse_bsr, sparse_bsc, jagged  # noqa: E402,F401
from ._sparse_small import *  # noqa: E402,F401,F403
_sparse_compressed_ops.install_functions(globals())
__all__ += _sparse_small.__all__ + ["sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "jagged"]
from . import nested  # noqa: E402,F401
__all__.append("nested")
from . import array_api  # noqa: E402,F401  (the Python array API standard namespace; docs/array-api.md)
# Last: a non-tensor where a tensor belongs raises PyTorch's TypeError, not AttributeError (issue 19).
from . import _argcheck  # noqa: E402
_argcheck.install([_argcheck.sys.modules[__name__], nn.functional, linalg, fft, special], Tensor, nn.Module)
from . import backends  # noqa: E402,F401  (torch.backends.cudnn.benchmark = True etc.)
from . import testing  # noqa: E402,F401  (torch.testing.assert_close)
from . import distributions  # noqa: E402,F401  (torch.distributions: Normal, Categorical, kl_divergence, …)
# torch.compile's surface, run eagerly (ember has no graph compiler; docstring of ember._compile).
from ._compile import compile  # noqa: E402,F401
from . import compiler  # noqa: E402,F401
__all__ += ["compile", "compiler"]
# Last of all: plain calls of factories, cat/stack and mm/matmul answered natively
# (rust/ember-py/src/front.rs); the functions installed above take every other call and
# raise every error.
from . import _fronts  # noqa: E402
_fronts.install(globals())

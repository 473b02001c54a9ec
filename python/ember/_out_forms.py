"""``out=`` as PyTorch takes it, for every ``ember.<fn>`` whose PyTorch twin has it.

One wrapper, applied once over the namespace (after every module has defined its functions):
the function computes its result as usual, then the result is written into ``out`` under
PyTorch's rules —

- ``out`` is a Tensor (a tuple of them for functions that return several);
- no argument may require grad while grad mode is on (PyTorch: "functions with out=...
  arguments don't support automatic differentiation");
- the result's dtype must cast to ``out``'s (``result type Float can't be cast to the desired
  output type Long``); a creation function (``zeros``, ``arange``, ``randn`` …) without
  ``dtype=`` makes its result in ``out``'s dtype;
- an ``out`` of another shape is resized to the result's (``resize_``), with PyTorch's
  deprecation warning when it had elements;
- the call returns ``out`` itself.

The common case (grad off or nothing requiring grad; a plain ``ember.Tensor`` result written
into a plain ``out`` of its dtype, shape and device) is checked and copied natively
(``_native._out_needs_grad``, ``_native._out_copy``, in ``rust/ember-py/src/out.rs``); every
other case takes the Python rules.

Creation functions also take ``size=`` as a keyword (``zeros(size=(2, 3))``).

A call without ``out`` pays one Python frame at most: a plain forwarder (``ember.add(input,
...)`` is ``input.add(...)``, a native ``_Forwarder``, see ``forwarder``) pays none, and handles
``out`` itself once ``install`` has given it these rules; the other wrappers also translate a non-tensor argument into
PyTorch's TypeError (``_argcheck.reraise``) on their failure path, so ``_argcheck`` does not wrap
them a second time.
"""
import functools
import warnings
import inspect

from . import _native, _argcheck
from ._native import Tensor, _out_copy, _out_needs_grad  # the common case of the rules below, natively

__all__ = []

# PyTorch functions that take out= (checked against PyTorch 2.15's signatures).
_COMPUTE = """add sub subtract mul multiply div divide true_divide floor_divide remainder fmod pow atan2 arctan2 hypot
maximum minimum fmax fmin eq ne not_equal lt less le less_equal gt greater ge greater_equal logical_and logical_or
logical_xor bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift where lerp addcmul addcdiv
exp exp2 expm1 log log2 log10 log1p sqrt rsqrt abs absolute neg negative sin cos tan asin arcsin acos arccos atan
arctan sinh cosh tanh asinh arcsinh acosh arccosh atanh arctanh sigmoid floor ceil round trunc fix frac sign sgn
reciprocal erf erfc erfinv clamp clip nan_to_num logical_not bitwise_not square signbit copysign xlogy float_power
logit sum mean nanmean prod max min amax amin aminmax argmax argmin cumsum cumprod cummax cummin sort msort topk
kthvalue median nanmedian mode std var logsumexp norm nansum all any index_select masked_select gather take cat
concat concatenate stack hstack vstack dstack column_stack nonzero tril triu diag cross outer matmul mm bmm mv dot
vdot inner kron addmm addmv addr addbmm baddbmm histc searchsorted bucketize logaddexp logaddexp2 index_add
index_copy narrow_copy inverse polygamma lgamma digamma i0 sinc deg2rad rad2deg angle nextafter heaviside gcd lcm
mvlgamma""".split()
_CREATE = "zeros ones empty full arange range linspace logspace eye rand randn randint randperm normal bernoulli".split()
_SIZE_VARARGS = {"zeros", "ones", "empty", "rand", "randn"}

_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
               "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
               "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64"}


def _tname(d):
    return _TYPE_NAMES.get(d.name, d.name)


def _any_requires_grad(values):
    for a in values:
        if isinstance(a, Tensor):
            if a.requires_grad:
                return True
        elif isinstance(a, (list, tuple)) and any(isinstance(t, Tensor) and t.requires_grad for t in a):
            return True
    return False


def _requires_grad(args, kwargs):
    return _any_requires_grad(args) or (bool(kwargs) and _any_requires_grad(kwargs.values()))


def _check(name, result, out):
    """Raises what writing ``result`` into ``out`` would, before anything of ``out`` changes."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    rdt, odt = result.dtype, out.dtype
    if rdt != odt and not _native.can_cast(rdt, odt):
        raise RuntimeError(f"result type {_tname(rdt)} can't be cast to the desired output type {_tname(odt)}")
    if result.is_sparse != out.is_sparse:
        raise RuntimeError(f"{name}(): a sparse result can't be written into a strided out= tensor, nor a strided "
                           "result into a sparse one (expected self.is_sparse() && result.is_sparse())")
    if result.device != out.device and "meta" in (result.device.type, out.device.type):
        raise RuntimeError(f"Attempting to copy from device {result.device.type} to device {out.device.type}, but "
                           "cross-device copies are not allowed!")


def write(name, result, out):
    """Writes ``result`` into ``out`` under PyTorch's rules (above) and returns ``out``."""
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{name}(): argument 'out' must be tuple of {len(result)} Tensors, not "
                            f"{type(out).__name__}")
        for o, r in zip(out, result):  # every out checked before any is written
            _check(name, r, o)
        for o, r in zip(out, result):
            write(name, r, o)
        return type(result)(*out) if hasattr(result, "_fields") else tuple(out)
    _check(name, result, out)
    if out._shape != result._shape:
        if out.numel() != 0:
            warnings.warn(f"An output with one or more elements was resized since it had shape {list(out.shape)}, "
                          f"which does not match the required output shape {list(result.shape)}. This behavior is "
                          "deprecated, and in a future PyTorch release outputs will not be resized unless they have "
                          "zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
                          "elements with t.resize_(0).", UserWarning, stacklevel=3)
        out.resize_(result._shape)
    out.copy_(result)
    return out


def _accepts(fn, param):
    try:
        return param in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def check_grad(name, args, kwargs):
    if _native.is_grad_enabled() and _requires_grad(args, kwargs):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")


_SIGNATURES = {"pass": inspect.signature(lambda input, *args, **kwargs: None),
               "copy": inspect.signature(lambda input, *args, out=None, **kwargs: None)}
_SIGNATURES["rules"] = _SIGNATURES["copy"]


def forwarder(name, mode="pass", method=None):
    """``ember.<name>(input, ...)`` as ``input.<name>(...)`` in one native call
    (``rust/ember-py/src/forward.rs``). ``mode`` says what becomes of ``out=``: "pass" hands it
    to the method, "copy" copies the result into it, "rules" applies this module's rules
    (``install`` upgrades the forwarders of the functions listed above to it)."""
    method = method or name
    fw = _native._Forwarder(name, method, mode, _SIGNATURES[mode])
    fw.__doc__ = f"``ember.{name}(input, ...)`` is ``input.{method}(...)``."
    return fw


def _compute_with_out(name, fn):
    if isinstance(fn, _native._Forwarder):
        return forwarder(name, "rules", fn._forwards_to)
    takes_out = _accepts(fn, "out")
    checks_itself = getattr(fn, _argcheck._MARK, False)

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        try:
            if out is None:
                return fn(*args, **kwargs)
            if not args or _out_needs_grad(args[0], args[1:], kwargs):
                check_grad(name, args, kwargs)  # raises when an argument requires grad
            result = fn(*args, **kwargs) if not takes_out else fn(*args, out=None, **kwargs)
            return out if _out_copy(result, out) else write(name, result, out)
        except (TypeError, AttributeError) as e:
            if not checks_itself:
                _argcheck.reraise(fn, e, args, kwargs if out is None else dict(kwargs, out=out))
            raise

    return _argcheck.checked(wrapper)


def _create_with_out(name, fn):
    checks_itself = getattr(fn, _argcheck._MARK, False)

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        try:
            if "size" in kwargs and name in _SIZE_VARARGS:
                if args:
                    raise TypeError(f"{name}() got multiple values for argument 'size'")
                size = kwargs.pop("size")
                args = (size,) if isinstance(size, int) else tuple(size)
            if out is None:
                return fn(*args, **kwargs)
            if not isinstance(out, Tensor):
                raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
            if kwargs.get("requires_grad"):
                raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                                   "differentiation, but one of the arguments requires grad.")
            if kwargs.get("dtype") is None and name not in ("bernoulli", "normal"):
                kwargs["dtype"] = out.dtype
            return write(name, fn(*args, **kwargs), out)
        except (TypeError, AttributeError) as e:
            if not checks_itself:
                _argcheck.reraise(fn, e, args, kwargs if out is None else dict(kwargs, out=out))
            raise

    return _argcheck.checked(wrapper)


def install(namespace):
    """Rewraps ``namespace``'s functions named above (once); ``add``/``sub``/``mul``/``div`` and
    their aliases become the native functions that apply these rules themselves
    (``rust/ember-py/src/functional.rs``)."""
    native = _native._functional
    for name in native.NAMES:
        fn = getattr(native, name)
        fn.__module__ = "ember"  # pickled by reference as ember.<name>
        namespace[name] = fn
    for names, make in ((_COMPUTE, _compute_with_out), (_CREATE, _create_with_out)):
        for name in names:
            if name in native.NAMES:
                continue
            fn = namespace.get(name)
            if fn is None or not callable(fn) or isinstance(fn, type) or getattr(fn, "_out_form", False):
                continue
            w = make(name, fn)
            if not isinstance(w, _native._Forwarder):
                w._out_form = True
            namespace[name] = w

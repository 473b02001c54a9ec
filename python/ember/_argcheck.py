"""Bad argument types raise TypeError, in one place.

ember's Python-level ops read attributes of their arguments (``input.ndim``, ``weight.dtype``),
so a non-tensor where a tensor belongs would surface as ``AttributeError: 'int' object has no
attribute 'ndim'``. PyTorch's argument parser raises ``TypeError: add(): argument 'input'
(position 1) must be Tensor, not str`` instead. Rather than an isinstance check in each of
hundreds of functions, ``install`` wraps every public Python function (the ``ember``,
``ember.nn.functional``, ``linalg``, ``fft`` and ``special`` namespaces, Python-level
``Tensor`` methods and the call of ember's own layers) so that an AttributeError is
turned into that TypeError when, and only when:

- the missing attribute is one a Tensor has (so ``ember.save(x, 5)`` keeps PyTorch's
  AttributeError about a file-like object), and
- the object that lacks it is one of the arguments the caller passed, or an element of a
  list/tuple argument (``cat([1, 2])``: "expected Tensor as element 0 in argument 0").
  ``None`` counts only for a required parameter, so a bug that reads an attribute of an
  omitted optional argument stays an AttributeError with its traceback.

The success path pays one extra Python call (about 0.1-0.3 us). Functions that check their
arguments themselves are marked with ``checked`` and left as they are: the ``ember.add(input,
...)`` forwarders, and the training hot paths (``Module.__call__``, ``F.linear``, ``F.relu``,
``F.mse_loss`` …), which catch their own failure and call ``reraise``/``module_call_error`` from
their ``except`` clause, so their success path has no wrapper frame. Tensor methods without a
required argument are left unwrapped.
"""
import functools
import inspect
import sys
import types

from ._native import Tensor

_MARK = "__ember_args_checked__"
_NOTHING = object()


def checked(fn):
    """Marks ``fn`` as validating its own tensor arguments: ``install`` leaves it as it is."""
    setattr(fn, _MARK, True)
    return fn


def _which_argument(fn, args, kwargs, obj, method):
    """PyTorch's message for ``obj`` passed where ``fn`` wanted a Tensor, or None when ``obj``
    is not among the arguments the caller gave."""
    try:
        sig = inspect.signature(fn)
        bound = sig.bind(*args, **kwargs)
    except (TypeError, ValueError):
        return None
    what = type(obj).__name__
    name = fn.__name__
    for i, (pname, p) in enumerate(sig.parameters.items()):
        if pname not in bound.arguments:
            continue
        v = bound.arguments[pname]
        pos = i if method else i + 1  # PyTorch numbers a method's arguments after self
        if p.kind == p.VAR_KEYWORD:
            for k, kv in v.items():
                if kv is obj:
                    return f"{name}(): argument '{k}' must be Tensor, not {what}"
            continue
        if p.kind != p.VAR_POSITIONAL and v is obj and (obj is not None or p.default is p.empty):
            if p.kind == p.KEYWORD_ONLY:
                return f"{name}(): argument '{pname}' must be Tensor, not {what}"
            return f"{name}(): argument '{pname}' (position {pos}) must be Tensor, not {what}"
        if isinstance(v, (list, tuple)):  # a list of tensors, or the tensors of f(*tensors)
            for j, e in enumerate(v):
                if e is obj:
                    if p.kind == p.VAR_POSITIONAL and pname == "args":  # a forwarder: f(*args, **kwargs)
                        return f"{name}(): argument (position {pos + j}) must be Tensor, not {what}"
                    return f"{name}(): expected Tensor as element {j} in argument {pos - 1}, but got {what}"
    return None


def _bad_object(e):
    """The argument-like object ``e`` is about: the object an AttributeError found lacking a
    Tensor attribute, or the one an inner wrapper already reported; else ``_NOTHING``."""
    if isinstance(e, AttributeError):
        obj = getattr(e, "obj", None)
        if e.name is None or isinstance(obj, Tensor) or not hasattr(Tensor, e.name):
            return _NOTHING
        return obj
    return getattr(e, "_ember_bad_arg", _NOTHING)


def _type_error(msg, obj):
    err = TypeError(msg)
    err._ember_bad_arg = obj
    return err


def _first_non_tensor(fn, args, kwargs, tensors):
    """The first argument bound to one of the parameters named in ``tensors`` that is not a
    Tensor (``None`` only where the parameter has no default), or ``_NOTHING``."""
    try:
        sig = inspect.signature(fn)
        bound = sig.bind(*args, **kwargs)
    except (TypeError, ValueError):
        return _NOTHING
    for name in tensors:
        v = bound.arguments.get(name, _NOTHING)
        if v is _NOTHING or isinstance(v, Tensor):
            continue
        if v is None and sig.parameters[name].default is not inspect.Parameter.empty:
            continue
        return v
    return _NOTHING


def reraise(fn, e, args, kwargs=None, tensors=(), method=False):
    """Raises PyTorch's TypeError when ``e`` — a TypeError or AttributeError that
    ``fn(*args, **kwargs)`` hit — is about a non-tensor argument; else returns, and the caller
    re-raises ``e`` with a bare ``raise``. For functions marked ``checked`` that catch their own
    failure (hot paths: no wrapper frame on the success path). ``tensors`` names the parameters a
    native function rejected with its own TypeError ("expected a Tensor, but got int")."""
    kwargs = {} if kwargs is None else kwargs
    obj = _bad_object(e)
    if obj is _NOTHING and tensors and isinstance(e, TypeError):
        obj = _first_non_tensor(fn, args, kwargs, tensors)
    if obj is _NOTHING:
        return
    msg = _which_argument(fn, args, kwargs, obj, method)
    if msg is not None:
        raise _type_error(msg, obj) from None


def _wrap(fn, method=False):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (TypeError, AttributeError) as e:
            # (a TypeError from an inner wrapped function, ``Tensor.lu_solve`` calling
            # ``lu_unpack``: the function the user called names itself and its own parameter)
            reraise(fn, e, args, kwargs, method=method)
            raise

    setattr(wrapper, _MARK, True)
    return wrapper


def module_call_error(module, args, kwargs, e):
    """The TypeError ``module(*args, **kwargs)`` should raise for the TypeError/AttributeError
    ``e`` it hit, or None when ``e`` is not about a non-tensor argument. The layer and its
    ``forward`` parameter are named ("ZeroPad2d.forward(): argument 'input' (position 1) must be
    Tensor, not int"), whether the error came from ``forward``, a functional op or a lazy layer's
    shape inference hook. Layers defined outside ember keep their own exceptions.
    ``Module.__call__`` calls this from its own ``except`` clause, so a layer call pays no wrapper."""
    obj = _bad_object(e)
    if obj is _NOTHING or not type(module).__module__.startswith("ember."):
        return None
    msg = _which_argument(type(module).forward, (module,) + args, kwargs, obj, True)
    return None if msg is None else _type_error(f"{type(module).__name__}.{msg}", obj)


def _wrap_module_call(call):
    """A ``__call__`` of an ember mixin that runs before ``Module.__call__`` (lazy layers infer
    their sizes there), with ``module_call_error``'s translation."""
    @functools.wraps(call)
    def __call__(self, *args, **kwargs):
        try:
            return call(self, *args, **kwargs)
        except (TypeError, AttributeError) as e:
            err = module_call_error(self, args, kwargs, e)
            if err is None:
                raise
        raise err from None

    return __call__


def _eligible(v):
    return (isinstance(v, types.FunctionType) and (v.__module__ or "").startswith("ember")
            and not getattr(v, _MARK, False))


def _required(fn):
    ps = inspect.signature(fn).parameters.values()
    return sum(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in ps)


def install(namespaces, tensor_cls, module_base):
    """Wraps the public functions of ``namespaces`` (modules), the Python methods of
    ``tensor_cls`` and ``module_base.__call__``."""
    done = {}
    for ns in namespaces:
        for k, v in list(vars(ns).items()):
            if k.startswith("_") or not _eligible(v):
                continue
            w = done.get(id(v))
            if w is None:
                w = done[id(v)] = _wrap(v)
                # The defining module gets the wrapper too, so pickling by reference finds the
                # very object it was given.
                home = sys.modules.get(v.__module__)
                if home is not None and getattr(home, v.__name__, None) is v:
                    setattr(home, v.__name__, w)
            setattr(ns, k, w)
    for k, v in list(vars(tensor_cls).items()):
        # Methods whose parameters all have defaults (size(), float(), contiguous(), ...) are
        # among the most called and are handed numbers or nothing: left unwrapped.
        if not k.startswith("_") and _eligible(v) and _required(v) > 1:
            setattr(tensor_cls, k, _wrap(v, method=True))
    # Module.__call__, and any ember mixin's own __call__ a layer runs first (lazy layers
    # infer their sizes there).
    seen, todo = set(), [module_base]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        for base in cls.__mro__:
            call = base.__dict__.get("__call__")
            if base in seen or not _eligible(call):
                continue
            seen.add(base)
            wrapped = _wrap_module_call(call)
            setattr(wrapped, _MARK, True)
            base.__call__ = wrapped
            if base.__dict__.get("_call_impl") is call:
                base._call_impl = wrapped

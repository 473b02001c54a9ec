"""Bad argument types raise TypeError, in one place.

ember's Python-level ops read attributes of their arguments (``input.ndim``, ``weight.dtype``),
so a non-tensor where a tensor belongs would surface as ``AttributeError: 'int' object has no
attribute 'ndim'``. PyTorch's argument parser raises ``TypeError: add(): argument 'input'
(position 1) must be Tensor, not str`` instead. Rather than an isinstance check in each of
hundreds of functions, ``install`` wraps every public Python function (the ``ember``,
``ember.nn.functional``, ``linalg``, ``fft`` and ``special`` namespaces, Python-level
``Tensor`` methods and the ``forward`` of ember's own layers) so that an AttributeError is
turned into that TypeError when, and only when:

- the missing attribute is one a Tensor has (so ``ember.save(x, 5)`` keeps PyTorch's
  AttributeError about a file-like object), and
- the object that lacks it is one of the arguments the caller passed, or an element of a
  list/tuple argument (``cat([1, 2])``: "expected Tensor as element 0 in argument 0").
  ``None`` counts only for a required parameter, so a bug that reads an attribute of an
  omitted optional argument stays an AttributeError with its traceback.

The success path pays one extra Python call; functions that check their arguments
themselves are marked with ``checked`` and left unwrapped.
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


def _wrap(fn, method=False, layer=False):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TypeError as e:
            # Raised by an inner wrapped function (``Tensor.lu_solve`` calling ``lu_unpack``):
            # the function the user called names itself and its own parameter when it can.
            obj = getattr(e, "_ember_bad_arg", _NOTHING)
            if obj is _NOTHING:
                raise
            msg = _which_argument(fn, args, kwargs, obj, method)
            if msg is None:
                raise
        except AttributeError as e:
            obj = getattr(e, "obj", None)
            if e.name is None or isinstance(obj, Tensor) or not hasattr(Tensor, e.name):
                raise
            msg = _which_argument(fn, args, kwargs, obj, method)
            if msg is None:
                raise
        if layer:  # a layer's forward: name the layer class (ZeroPad2d.forward(), not _PadNd's)
            msg = f"{type(args[0]).__name__}.{msg}"
        err = TypeError(msg)
        err._ember_bad_arg = obj
        raise err from None

    setattr(wrapper, _MARK, True)
    return wrapper


def _eligible(v):
    return (isinstance(v, types.FunctionType) and (v.__module__ or "").startswith("ember")
            and not getattr(v, _MARK, False))


def install(namespaces, tensor_cls, module_base):
    """Wraps the public functions of ``namespaces`` (modules), the Python methods of
    ``tensor_cls`` and the ``forward`` of every ember subclass of ``module_base``."""
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
        if not k.startswith("_") and _eligible(v) and len(inspect.signature(v).parameters) > 1:
            setattr(tensor_cls, k, _wrap(v, method=True))
    todo = [module_base]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        f = cls.__dict__.get("forward")
        if cls.__module__.startswith("ember") and _eligible(f):
            cls.forward = _wrap(f, method=True, layer=True)

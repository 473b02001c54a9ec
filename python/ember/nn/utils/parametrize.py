"""``ember.nn.utils.parametrize``: a tensor of a module computed by modules from an unconstrained
``original`` (``module.weight`` = f(original) on every access).

As in PyTorch, registering a parametrization moves the tensor into
``module.parametrizations[name].original`` and swaps the module's class for a generated subclass
(named ``Parametrized<Class>``) whose property ``name`` evaluates the chain of parametrizations;
setting the property runs their ``right_inverse`` (when they define one) into ``original``.
"""
import contextlib

import ember
from ..modules.module import Module
from ..modules.container import ModuleDict, ModuleList
from ..parameter import Parameter

__all__ = ["ParametrizationList", "cached", "is_parametrized", "register_parametrization", "remove_parametrizations",
           "transfer_parametrizations_and_params", "type_before_parametrizations"]

_cache_enabled = 0
_cache = {}


@contextlib.contextmanager
def cached():
    """Within this context each parametrized tensor is computed once per access key and reused."""
    global _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache.clear()


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and its ``original``."""

    def __init__(self, modules, original, unsafe=False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        new = original
        with ember.no_grad():
            for m in reversed(list(self)):
                if hasattr(m, "right_inverse"):
                    try:
                        new = m.right_inverse(new)
                    except NotImplementedError:
                        pass  # as PyTorch: a right_inverse that cannot run at registration is skipped
        # A right_inverse may split the tensor into several (weight_norm: g and v); they are kept as
        # original0, original1, ... and passed to the first parametrization in that order.
        self.is_tensor = isinstance(new, ember.Tensor)
        if not self.is_tensor and not (isinstance(new, (tuple, list)) and all(isinstance(t, ember.Tensor) for t in new)):
            raise ValueError(f"'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                             f"Got {type(new).__name__}")
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            self._set_original("original", original, new)
        else:
            for i, t in enumerate(new):
                self._set_original(f"original{i}", original, t, always_copy=True)
        if not unsafe:
            z = self()
            if not isinstance(z, ember.Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(z).__name__}.")
            if z.dtype != original.dtype:
                raise ValueError(f"Registering a parametrization may not change the dtype of the tensor, unless "
                                 f"`unsafe` flag is enabled.\nunparametrized dtype: {original.dtype}\n"
                                 f"parametrized dtype: {z.dtype}")
            if tuple(z.shape) != tuple(original.shape):
                raise ValueError(f"Registering a parametrization may not change the shape of the tensor, unless "
                                 f"`unsafe` flag is enabled.\nunparametrized shape: {tuple(original.shape)}\n"
                                 f"parametrized shape: {tuple(z.shape)}")

    def _set_original(self, name, original, new, always_copy=False):
        if isinstance(original, Parameter):
            # Without a right_inverse the module's own Parameter object becomes ``original`` (so an
            # optimizer that already holds it keeps working), as in PyTorch.
            keep = new is original and not always_copy
            setattr(self, name, original if keep else Parameter(new.detach().clone(), original.requires_grad))
        else:
            self.register_buffer(name, new if new is original and not always_copy else new.detach().clone())

    def _originals(self):
        return [self.original] if self.is_tensor else [getattr(self, f"original{i}") for i in range(self.ntensors)]

    def right_inverse(self, value):
        """Sets ``original`` so that the chain evaluates to ``value``."""
        with ember.no_grad():
            for m in reversed(list(self)):
                if not hasattr(m, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(m).__name__} does not implement right_inverse.")
                value = m.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, ember.Tensor):
                    raise ValueError(f"`right_inverse` should return a tensor. Got {type(value).__name__}")
                self.original.copy_(value)
            else:
                if not isinstance(value, (tuple, list)) or len(value) != self.ntensors:
                    raise ValueError(f"'right_inverse' must return a sequence of tensors of length {self.ntensors}. "
                                     f"Got {type(value).__name__}")
                for orig, v in zip(self._originals(), value):
                    orig.copy_(v)

    def forward(self):
        x = self[0](*self._originals())
        for m in list(self)[1:]:
            x = m(x)
        return x


def _make_property(name):
    def get(self):
        plist = self.parametrizations[name]
        if _cache_enabled:
            key = (id(self), name)
            if key not in _cache:
                _cache[key] = plist()
            return _cache[key]
        return plist()

    def set_(self, value):
        self.parametrizations[name].right_inverse(value)

    return property(get, set_)


def _inject_class(module):
    cls = module.__class__
    new = type(f"Parametrized{cls.__name__}", (cls,), {"__module__": cls.__module__})
    new.__qualname__ = f"Parametrized{cls.__qualname__}"
    module.__class__ = new


def is_parametrized(module, tensor_name=None):
    """True when ``module`` has parametrizations (on ``tensor_name``, when given)."""
    params = module.__dict__.get("_modules", {}).get("parametrizations")
    if params is None or not isinstance(params, ModuleDict):
        return False
    return len(params) > 0 if tensor_name is None else tensor_name in params


def type_before_parametrizations(module):
    """The module's class before parametrizations were registered (its own class otherwise)."""
    return module.__class__.__bases__[0] if is_parametrized(module) else type(module)


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Makes ``module.<tensor_name>`` = parametrization(original); a second call on the same name
    appends to the chain."""
    if not isinstance(parametrization, Module):
        raise TypeError(f"parametrization must be a Module, got {type(parametrization).__name__}")
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            y = plist()
            z = parametrization(y)
            if tuple(z.shape) != tuple(y.shape) or z.dtype != y.dtype:
                raise ValueError("Registering a parametrization may not change the shape or dtype of the tensor, "
                                 "unless `unsafe` flag is enabled.")
        plist.append(parametrization)
        return module
    if tensor_name in module._parameters or tensor_name in module._buffers:
        original = getattr(module, tensor_name)
        plist = ParametrizationList([parametrization], original, unsafe=unsafe)
        if tensor_name in module._parameters:
            del module._parameters[tensor_name]
        else:
            del module._buffers[tensor_name]
        if not is_parametrized(module):
            _inject_class(module)
            module.parametrizations = ModuleDict()
        module.parametrizations[tensor_name] = plist
        setattr(module.__class__, tensor_name, _make_property(tensor_name))
        return module
    raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element with name "
                     f"'{tensor_name}'")


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Undoes ``register_parametrization``: the tensor becomes a plain parameter (buffer) again,
    holding its current parametrized value (or ``original``, with ``leave_parametrized=False``)."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if not plist.is_tensor and not leave_parametrized:
        raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is parametrized in "
                         "terms of a sequence of tensors.")
    original = plist._originals()[0]
    with ember.no_grad():
        value = plist() if leave_parametrized else original
    is_param = isinstance(original, Parameter)
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    if is_param:
        module.register_parameter(tensor_name, Parameter(value.detach().clone(), original.requires_grad))
    else:
        module.register_buffer(tensor_name, value.detach().clone())
    if not is_parametrized(module):
        del module._modules["parametrizations"]
        module.__class__ = module.__class__.__bases__[0]
    return module


def transfer_parametrizations_and_params(from_module, to_module, tensor_name=None):
    """Copies the parametrizations (and their ``original``) of ``from_module`` onto ``to_module``."""
    if not is_parametrized(from_module):
        raise ValueError(f"from_module {from_module} does not have parametrizations")
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        src = from_module.parametrizations[name]
        if not hasattr(to_module, name):
            to_module.register_parameter(name, Parameter(src.original.detach().clone()))
        if not is_parametrized(to_module, name):
            for p in src:
                register_parametrization(to_module, name, p)
        with ember.no_grad():
            to_module.parametrizations[name].original.copy_(src.original)
    return to_module

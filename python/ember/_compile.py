"""``ember.compile``: PyTorch's ``torch.compile`` surface, run eagerly.

ember has no graph compiler. PyTorch documents that a compiled function or module computes
what the eager one computes, so ``ember.compile`` returns a callable that runs the original
eagerly: programs written for ``torch.compile`` run unchanged, just without the speed-up.
A Module comes back wrapped in ``OptimizedModule`` as in PyTorch (``_orig_mod``, attribute
access forwarded to it, ``state_dict`` keys prefixed with ``_orig_mod.``).
"""
import functools

from .nn.modules.module import Module

__all__ = ["compile", "OptimizedModule", "InvalidBackend"]

# The backend names PyTorch registers; any of them (or a callable) is accepted and ignored.
_BACKENDS = frozenset({
    "inductor", "eager", "aot_eager", "cudagraphs", "openxla", "openxla_eval", "tvm", "ts", "aot_ts",
    "eager_debug", "eager_noexcept", "pre_dispatch_eager", "aot_eager_decomp_partition",
    "aot_eager_default_partitioner", "invoke_subgraph", "onnxrt",
})
_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


class InvalidBackend(RuntimeError):
    """An unknown ``backend=`` name (PyTorch's ``torch._dynamo.exc.InvalidBackend``)."""


class OptimizedModule(Module):
    """What ``ember.compile(module)`` returns: calls run ``_orig_mod`` eagerly; reading or setting
    an attribute it does not have itself reaches ``_orig_mod``."""

    _own_attributes = frozenset({"_orig_mod", "_compile_options"})

    def __init__(self, mod, options=None):
        Module.__init__(self)
        # Straight into _modules: Module.__setattr__ would rename the parameters of ``mod`` (their
        # debug names) with an ``_orig_mod.`` prefix.
        self.__dict__["_modules"]["_orig_mod"] = mod
        self.__dict__["_compile_options"] = dict(options or {})

    @property
    def training(self):
        mods = self.__dict__.get("_modules") or {}
        return mods["_orig_mod"].training if "_orig_mod" in mods else self.__dict__.get("training", True)

    @training.setter
    def training(self, value):
        self._orig_mod.training = value

    def __getattr__(self, name):
        mods = self.__dict__.get("_modules")
        if not mods or "_orig_mod" not in mods:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        if name == "_orig_mod":
            return mods["_orig_mod"]
        return getattr(mods["_orig_mod"], name)

    def __setattr__(self, name, value):
        if hasattr(type(self), name) or name in self._own_attributes:
            return Module.__setattr__(self, name, value)
        return setattr(self._orig_mod, name, value)

    def __delattr__(self, name):
        if hasattr(type(self), name) or name in self._own_attributes:
            return Module.__delattr__(self, name)
        return delattr(self._orig_mod, name)

    def __dir__(self):
        own = Module.__dir__(self)
        return sorted(set(own) | set(dir(self._orig_mod)))

    def __reduce__(self):
        return (type(self), (self._orig_mod, self._compile_options))

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)


def _check_arguments(fullgraph, dynamic, backend, mode, options):
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if isinstance(backend, str):
        if backend not in _BACKENDS:
            raise InvalidBackend(f"Invalid backend: '{backend}'. See `torch._dynamo.list_backends()` for available "
                                 f"backends.")
    elif backend is not None and not callable(backend):
        raise TypeError(f"backend must be a string or a callable, got {type(backend).__name__}")
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"options must be a dict, got {type(options).__name__}")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False, name=None, recompile_limit=None, isolate_recompiles=False, dynamic_shapes=None):
    """PyTorch's ``torch.compile``, run eagerly: ember has no graph compiler, so the result calls
    ``model`` as it is (same values, same autograd graph, no speed-up).

    Works as ``compile(fn)``, ``compile(module)`` (an ``OptimizedModule`` wrapping it), and as a
    decorator, ``@compile`` or ``@compile(mode=...)``. The arguments are checked as PyTorch checks
    them (a ``mode`` from PyTorch's list, not both ``mode`` and ``options``, a known backend
    name or a callable) and otherwise have no effect; a callable backend is never called, since
    no graph is captured. ``disable=True`` returns ``model`` itself, as in PyTorch.
    """
    _check_arguments(fullgraph, dynamic, backend, mode, options)
    if model is None:
        def decorate(m):
            return compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode, options=options,
                           disable=disable, name=name, recompile_limit=recompile_limit,
                           isolate_recompiles=isolate_recompiles, dynamic_shapes=dynamic_shapes)
        return decorate
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model, options)

    @functools.wraps(model)
    def run_eagerly(*args, **kw):
        return model(*args, **kw)
    return run_eagerly

"""``ember.jit``: ``trace`` / ``load`` on top of ``ember.export``'s capture; no TorchScript.

``trace(model, example_inputs)`` captures the forward as an exported program. Unlike
PyTorch's tracer it refuses, rather than silently bakes in, data-dependent branches. Dim 0 of
the inputs stays dynamic when the graph allows it (so the traced module takes other batch
sizes); otherwise every shape is static and other shapes are refused with a clear error.
"""
import warnings

from ._native import Tensor
from .nn.modules.module import Module
from . import export as _export
from .export._program import ExportedModule

__all__ = ["trace", "load", "script", "TracedModule", "ScriptModule", "ignore", "unused", "export", "is_scripting",
           "is_tracing"]


class TracedModule(ExportedModule):
    """A traced forward: ``.graph``, ``.code``, ``.save(path)``; call it like the model
    (its parameters and buffers keep the model's ``state_dict`` names)."""

    @property
    def exported_program(self):
        return self._ep

    @property
    def code(self):
        """The graph as Python source for ``forward`` (ops under ``ember.ops``)."""
        ins = [s.name for s in self._ep.graph_signature.input_specs if s.kind == "USER_INPUT"]
        body = str(self._ep.graph).split("\n")
        return "\n".join([f"def forward(self, {', '.join(ins)}):"] + ["    " + line for line in body]) + "\n"

    def save(self, f, _extra_files=None):
        """Writes the program directory (graph.json + weights.safetensors); ``ember.jit.load`` reads it."""
        _export.save(self._ep, f)


ScriptModule = TracedModule


class _Function(Module):
    def __init__(self, fn):
        super().__init__()
        object.__setattr__(self, "fn", fn)

    def forward(self, *args):
        return self.fn(*args)


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None, example_kwarg_inputs=None,
          _store_inputs=True):
    """Captures ``func(*example_inputs)`` (a Module or a function of tensors) as a TracedModule."""
    if example_inputs is None and example_kwarg_inputs is None:
        raise ValueError("trace() needs example_inputs (a tensor or a tuple of tensors)")
    args = (example_inputs,) if isinstance(example_inputs, Tensor) else tuple(example_inputs or ())
    model = func if isinstance(func, Module) else _Function(func)
    if not isinstance(func, Module) and not callable(func):
        raise TypeError(f"trace() expects an nn.Module or a function, got {type(func).__name__}")
    ep = _trace_batch_dynamic(model, args, example_kwarg_inputs)
    traced = TracedModule(ep)
    if check_trace:
        _check(model, traced, args, check_tolerance)
    return traced


def _trace_batch_dynamic(model, args, kwargs):
    tensors = list(args) + list((kwargs or {}).values())
    if tensors and all(isinstance(t, Tensor) and t.ndim for t in tensors):
        batch = tensors[0].shape[0]
        if batch >= 2:
            dim = _export.Dim("batch")
            shapes = [{0: dim} if t.shape[0] == batch else None for t in tensors]
            try:
                return _export.export(model, args, kwargs, dynamic_shapes=shapes)
            except _export.ConstraintViolationError:
                pass  # some size depends on the batch: trace with every shape static
            except RuntimeError as e:
                if isinstance(e, _export.ExportError):
                    raise
    return _export.export(model, args, kwargs)


def _check(model, traced, args, tol):
    from .autograd import no_grad
    with no_grad():
        want, got = model(*args), traced(*args)
    want = want if isinstance(want, (tuple, list)) else (want,)
    got = got if isinstance(got, (tuple, list)) else (got,)
    for w, g in zip(want, got):
        if tuple(w.shape) != tuple(g.shape) or (w.numel() and float((w - g).abs().max()) > tol):
            warnings.warn("trace(): the traced module's output differs from the model's on the example input",
                          RuntimeWarning, stacklevel=3)


def load(f, map_location=None, _extra_files=None):
    """Reads what ``TracedModule.save`` (or ``ember.export.save``) wrote."""
    return TracedModule(_export.load(f))


_script_warned = False


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Returns ``obj`` itself, as PyTorch's ``script`` does with the JIT disabled (``PYTORCH_JIT=0``).

    ember has no TorchScript compiler: the function or module keeps running eagerly in Python,
    with the same results and autograd as before (a one-time warning says so). It gains no
    ``.graph``, ``.code`` or ``.save``; for a saved, Python-free program use
    ``ember.jit.trace(model, example_inputs)`` or ``ember.export.export(model, args)``.
    """
    global _script_warned
    if not _script_warned:
        _script_warned = True
        warnings.warn("ember.jit.script returns its argument unchanged: ember has no TorchScript compiler, so the "
                      "code runs eagerly in Python (as PyTorch does with PYTORCH_JIT=0). To save a program that runs "
                      "without Python, use ember.jit.trace or ember.export.export.", UserWarning, stacklevel=2)
    return obj


def _passthrough_decorator(fn=None, **kwargs):
    # @ignore, @ignore(drop=True), @unused, @export: markers for the TorchScript compiler, which
    # ember does not have; eager code is unaffected by them.
    return (lambda f: f) if fn is None else fn


ignore = _passthrough_decorator
unused = _passthrough_decorator
export = _passthrough_decorator


def is_scripting():
    """False: ember never compiles code with TorchScript."""
    return False


def is_tracing():
    """True while ``ember.jit.trace`` (or ``ember.export.export``) is capturing a forward."""
    from .export import _capture
    return _capture._active is not None

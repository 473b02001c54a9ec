"""``ember.compiler``: the parts of ``torch.compiler`` that model code calls. ember compiles
nothing (``ember.compile`` runs eagerly), so code is never being compiled and marking a
function as not-to-compile changes nothing."""
from ._compile import compile  # noqa: F401

__all__ = ["compile", "disable", "is_compiling", "is_dynamo_compiling", "is_exporting", "reset", "allow_in_graph",
           "assume_constant_result"]


def disable(fn=None, recursive=True, *, reason=None):
    """Excludes ``fn`` from compilation: it already runs eagerly, so ``fn`` comes back unchanged
    (usable as ``@disable`` and ``@disable(recursive=False)``)."""
    if fn is None:
        return lambda f: f
    return fn


def is_compiling():
    """False: ember never traces code for a compiler."""
    return False


def is_dynamo_compiling():
    """False: ember has no Dynamo tracer."""
    return False


def is_exporting():
    """True while ``ember.export.export`` (or ``ember.jit.trace``) is capturing a forward."""
    from .export import _capture
    return _capture._active is not None


def reset():
    """Clears compilation caches; ember keeps none."""


def allow_in_graph(fn):
    """Marks ``fn`` as opaque to the compiler; returned unchanged."""
    return fn


def assume_constant_result(fn):
    """Marks ``fn``'s result as a compile-time constant; returned unchanged."""
    return fn

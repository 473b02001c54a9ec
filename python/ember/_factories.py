"""Native fronts for the factories' plain calls (``rust/ember-py/src/factory.rs``): ``zeros(2, 5)``
and ``zeros_like(x)`` in one native step; every other call, and every error, goes to the Python
function each front wraps."""
import inspect

from . import _native

NAMES = ("zeros", "ones", "empty", "full", "rand", "randn", "tensor",
         "zeros_like", "ones_like", "empty_like", "rand_like", "randn_like")


def install(namespace):
    """Puts a native front before each factory in ``namespace`` (once)."""
    for name in NAMES:
        fn = namespace[name]
        if isinstance(fn, _native._Factory):
            continue
        front = _native._Factory(name, fn, inspect.signature(fn))
        front.__doc__ = fn.__doc__
        namespace[name] = front

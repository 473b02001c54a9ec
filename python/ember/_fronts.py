"""Native fronts for the plain calls of Python-level functions (``rust/ember-py/src/front.rs``):
``zeros(2, 5)``, ``zeros_like(x)``, ``cat([a, b])``, ``mm(a, b)`` in one native step; every other
call, and every error, goes to the Python function each front wraps."""
import inspect

from . import _native

NAMES = ("zeros", "ones", "empty", "full", "rand", "randn", "tensor", "arange",
         "zeros_like", "ones_like", "empty_like", "rand_like", "randn_like", "cat", "stack", "mm", "matmul")


def install(namespace):
    """Puts a native front before each function named above in ``namespace`` (once)."""
    for name in NAMES:
        fn = namespace[name]
        if isinstance(fn, _native._Front):
            continue
        front = _native._Front(name, fn, inspect.signature(fn))
        front.__doc__ = fn.__doc__
        namespace[name] = front

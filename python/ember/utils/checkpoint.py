"""``ember.utils.checkpoint``: trade compute for memory by recomputing a segment in backward.

``checkpoint(fn, *args)`` runs ``fn`` without recording its graph; the backward re-runs it (with
the RNG state of the forward restored, so dropout masks match) and back-propagates through the
recomputed graph. Gradients of tensors ``fn`` uses but does not take as arguments (a module's
parameters) are accumulated into their ``.grad`` by that inner backward, as PyTorch's reentrant
variant does. When no tensor argument requires grad there is nothing to hang the recomputation on,
so the segment runs normally (its parameters still get gradients, as with ``use_reentrant=False``).
"""
import functools
import warnings

from .._native import Tensor
from .. import _native

__all__ = ["checkpoint", "checkpoint_sequential"]


def _detach_like(args):
    out = []
    for a in args:
        if isinstance(a, Tensor):
            d = a.detach()
            d.requires_grad_(a.requires_grad)
            out.append(d)
        else:
            out.append(a)
    return out


def _make_function():
    from ..autograd.function import Function
    from ..autograd.grad_mode import enable_grad
    from .. import autograd, get_rng_state, set_rng_state

    class CheckpointFunction(Function):
        @staticmethod
        def forward(ctx, run_function, preserve_rng_state, *args):
            ctx.run_function = run_function
            ctx.rng_state = get_rng_state() if preserve_rng_state else None
            ctx.inputs = list(args)
            return run_function(*args)

        @staticmethod
        def backward(ctx, *grads):
            inputs = _detach_like(ctx.inputs)
            if ctx.rng_state is not None:
                saved = get_rng_state()
                set_rng_state(ctx.rng_state)
            try:
                with enable_grad():
                    outputs = ctx.run_function(*inputs)
            finally:
                if ctx.rng_state is not None:
                    set_rng_state(saved)
            outputs = outputs if isinstance(outputs, tuple) else (outputs,)
            pairs = [(o, g) for o, g in zip(outputs, grads)
                     if isinstance(o, Tensor) and o.requires_grad and g is not None]
            if pairs:
                autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
            return (None, None) + tuple(i.grad if isinstance(i, Tensor) else None for i in inputs)

    return CheckpointFunction


_function = None


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)``, recomputed in backward instead of keeping its activations."""
    global _function
    if kwargs:
        if use_reentrant:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        function = functools.partial(function, **kwargs)
    tensors = [a for a in args if isinstance(a, Tensor)]
    if not (_native.is_grad_enabled() and any(t.requires_grad for t in tensors)):
        if use_reentrant and _native.is_grad_enabled():
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", UserWarning,
                          stacklevel=2)
        return function(*args)
    if _function is None:
        _function = _make_function()
    return _function.apply(function, preserve_rng_state, *args)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Runs ``functions`` (an ``nn.Sequential`` or a list of modules) in ``segments`` chunks, each
    checkpointed except the last."""
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = max(len(functions) // segments, 1)

    def run(start, end):
        def forward(x):
            for f in functions[start:end]:
                x = f(x)
            return x
        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end + 1), input, use_reentrant=use_reentrant, **kwargs)
    return run(end + 1, len(functions))(input)

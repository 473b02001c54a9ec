"""Custom autograd Functions written in Python.

``MyFn.apply(*args)`` runs ``forward`` without recording, then attaches one native node
named ``MyFnBackward`` whose backward calls ``MyFn.backward(ctx, *grads)``.
"""
from .. import _native
from .._native import Tensor
from .grad_mode import no_grad


class FunctionCtx:
    """The ``ctx`` object: what forward leaves for backward."""

    def __init__(self):
        self._saved = ()
        self._saved_versions = ()
        self._dirty = ()
        self._non_diff = ()
        self.materialize_grads = True
        self.needs_input_grad = ()

    def save_for_backward(self, *tensors):
        self._saved = tensors
        self._saved_versions = tuple(t._version if isinstance(t, Tensor) else None for t in tensors)

    @property
    def saved_tensors(self):
        for i, (t, v) in enumerate(zip(self._saved, self._saved_versions)):
            if isinstance(t, Tensor) and t._version != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace operation: "
                    f"[{t.type()} {list(t.shape)}] is at version {t._version}; expected version {v} instead. "
                    f"Hint: saved tensor {i} of a custom Function was modified in place after save_for_backward().")
        return self._saved

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)`` (or
    ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``), then call ``.apply``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.")

    setup_context = None

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            if cls.setup_context is not None and cls.setup_context is not Function.setup_context:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        tensor_inputs = [a for a in args if isinstance(a, Tensor)]
        if not (_native.is_grad_enabled() and any(t.requires_grad for t in tensor_inputs)):
            return out
        single = not isinstance(out, tuple)
        outs = [out] if single else list(out)
        non_diff = {id(t) for t in ctx._non_diff}
        dirty = {id(t) for t in ctx._dirty}
        inputs_by_id = {id(a) for a in tensor_inputs}
        for i, o in enumerate(outs):
            # An input returned unchanged gets a new tensor object to carry the new history.
            if isinstance(o, Tensor) and id(o) in inputs_by_id and id(o) not in dirty:
                outs[i] = o.detach()
        for o in outs:
            if isinstance(o, Tensor) and id(o) in dirty and o.is_leaf and o.requires_grad:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        diff = [o for o in outs if isinstance(o, Tensor) and o.dtype.is_floating_point and id(o) not in non_diff]
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        n_args = len(args)

        def run_backward(*grads):
            if ctx.materialize_grads:
                grads = tuple(g if g is not None else _native._zeros(list(o.shape), o.dtype) for g, o in zip(grads, diff))
            res = cls.backward(ctx, *grads)
            if not isinstance(res, tuple):
                res = (res,)
            if len(res) != n_args:
                if len(res) > n_args and all(r is None for r in res[n_args:]):
                    res = res[:n_args]
                else:
                    raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of gradients (expected {n_args}, got {len(res)})")
            return [res[i] for i in positions]

        _native._record_function(cls.__name__ + "Backward", tensor_inputs, diff,
                                 [t for t in ctx._saved if isinstance(t, Tensor)], run_backward)
        return outs[0] if single else tuple(outs)


class InplaceFunction(Function):
    pass

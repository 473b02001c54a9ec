"""Custom autograd Functions written in Python.

``MyFn.apply(*args)`` runs ``forward`` without recording, then attaches one native node
named ``MyFnBackward`` whose backward calls ``MyFn.backward(ctx, *grads)``. Tensors given
to ``ctx.save_for_backward`` are kept by the node as native saved tensors: unpacking them
checks the version counter, and an output saved this way holds no reference to its node.
"""
import functools

from .. import _native
from .._native import Tensor
from .grad_mode import no_grad


class FunctionCtx:
    """The ``ctx`` object: what forward leaves for backward."""

    def __init__(self):
        self._to_save = ()
        self._saved_handles = None
        self._dirty = ()
        self._non_diff = ()
        self.materialize_grads = True
        self.needs_input_grad = ()

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {tensors.index(t)} is of type "
                                f"{type(t).__name__}")
        self._to_save = tensors

    @property
    def saved_tensors(self):
        if self._saved_handles is None:  # forward-only use (no graph was recorded)
            return tuple(self._to_save)
        return tuple(None if h is None else h.unpack() for h in self._saved_handles)

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


def once_differentiable(fn):
    """Marks a backward as not twice differentiable: it runs with grad mode off."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)

    return wrapper


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)`` (or
    ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``), then call ``.apply``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom autograd.Function "
                                  "to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @classmethod
    def _uses_setup_context(cls):
        return cls.setup_context is not Function.setup_context

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            if cls._uses_setup_context():
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
        for o in outs:
            if isinstance(o, Tensor) and id(o) in dirty and o.is_leaf and o.requires_grad:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        for i, o in enumerate(outs):
            # An input returned unmodified gets a new tensor object to carry the new history;
            # a dirty (modified in place) input keeps its identity and has its history rebased.
            if isinstance(o, Tensor) and id(o) in inputs_by_id and id(o) not in dirty:
                outs[i] = o.detach()
            elif isinstance(o, Tensor) and o.is_conj():
                # The new history goes on the output object itself; a conjugate view would
                # hand the recorder its materialized copy instead (ember.conj).
                outs[i] = o.resolve_conj()
        tensor_outs = [o for o in outs if isinstance(o, Tensor)]
        diff_pos = [i for i, o in enumerate(tensor_outs) if (o.dtype.is_floating_point or o.dtype.is_complex) and id(o) not in non_diff]
        diff = [tensor_outs[i] for i in diff_pos]
        # Only shapes and dtypes: holding the outputs here would be an output→node→output cycle.
        out_meta = [(list(o.shape), o.dtype) for o in tensor_outs]
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        n_args = len(args)
        # A built-in op written as a Function names its node as PyTorch does (_node_name,
        # e.g. "EmbeddingBagBackward0"); a user Function gets "<ClassName>Backward".
        name = cls.__dict__.get("_node_name") or cls.__name__ + "Backward"

        def run_backward(*grads):
            full = [None] * len(out_meta)
            for p, g in zip(diff_pos, grads):
                full[p] = g
            if ctx.materialize_grads:
                full = [g if g is not None else _native._zeros(s, d) for g, (s, d) in zip(full, out_meta)]
            res = cls.backward(ctx, *full)
            if not isinstance(res, tuple):
                res = (res,)
            if len(res) != n_args:
                if len(res) > n_args and all(r is None for r in res[n_args:]):
                    res = res[:n_args]
                else:
                    raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                                       f"(expected {n_args}, got {len(res)})")
            for i in positions:
                g, a = res[i], args[i]
                if g is not None and not isinstance(g, Tensor):
                    raise TypeError(f"function {name} returned a gradient of type {type(g).__name__} for input {i}; "
                                    "expected a Tensor or None")
                if g is not None and tuple(g.shape) != tuple(a.shape):
                    raise RuntimeError(f"Function {name} returned an invalid gradient at index {i} - got "
                                       f"{list(g.shape)} but expected shape compatible with {list(a.shape)}")
            return [res[i] for i in positions]

        ctx._saved_handles = _native._record_function(name, tensor_inputs, diff, list(ctx._to_save), run_backward)
        ctx._to_save = ()
        return outs[0] if single else tuple(outs)


class InplaceFunction(Function):
    pass

"""``ember.autograd.functional``: Jacobians, Hessians and vector products of whole functions.

Every product is built from reverse-mode ``autograd.grad`` calls:
- ``vjp(f, x, v)`` = vᵀ J: one backward pass with ``grad_outputs=v``.
- ``jvp(f, x, v)`` = J v: the "double-vjp" trick. With a dummy ``u`` (requiring grad),
  g(u) = uᵀ J is linear in u, so d(g · v)/du = J v: two backward passes.
- ``jacobian``: one vjp per output element (a one-hot ``v``), rows stacked.
- ``hessian(f, x)`` = jacobian of the gradient; ``vhp``/``hvp`` = vᵀ H and H v (equal for
  twice-differentiable f, since H is symmetric).
Inputs may be one Tensor or a tuple; outputs follow PyTorch's nesting (a Tensor for Tensor
in/out, tuples otherwise).
"""
from .. import _native
from .._native import Tensor
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(x, arg, fn):
    if isinstance(x, Tensor):
        return False, (x,)
    if isinstance(x, (tuple, list)):
        for i, t in enumerate(x):
            if not isinstance(t, Tensor):
                raise TypeError(f"The {arg} given to {fn} must be either a Tensor or a tuple of Tensors but the "
                                f"value at index {i} has type {type(t).__name__}.")
        return True, tuple(x)
    raise TypeError(f"The {arg} given to {fn} must be either a Tensor or a tuple of Tensors but the given "
                    f"{arg} has type {type(x).__name__}.")


def _untuple(is_tuple, xs):
    return xs if is_tuple else xs[0]


def _prepare(inputs, create_graph):
    """Fresh leaves (or graph-connected aliases under create_graph) that require grad."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(t.dtype.is_floating_point))
    return tuple(out)


def _check_v(v, outputs, fn, what="outputs"):
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single Tensor "
                               "with a single element.")
        return (_native._full([], 1.0, outputs[0].dtype).reshape(outputs[0].shape),)
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(outputs):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(outputs)} but got {len(vs)}.")
    for i, (a, b) in enumerate(zip(vs, outputs)):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"Entry {i} in v has invalid size: should be {list(b.shape)} but got {list(a.shape)}.")
    return vs


def _grads(outputs, inputs, grad_outputs, create_graph, strict, fn):
    """autograd.grad that gives zeros for inputs the outputs don't reach (unless strict)."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if pairs:
        res = _native._grad([o for o, _ in pairs], list(inputs), [g for _, g in pairs], True, create_graph, True)
    else:
        res = (None,) * len(inputs)
    out = []
    for i, (g, x) in enumerate(zip(res, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent of input {i}. This is not "
                                   f"allowed in strict mode.")
            g = _native._zeros(list(x.shape), x.dtype)
        out.append(g)
    return tuple(out)


def _call(func, inputs, fn):
    is_tuple, outs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn)
    return is_tuple, outs


def _finish(ts, create_graph):
    return tuple(t if create_graph else t.detach() for t in ts)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), vᵀ J)``."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        out_tuple, outs = _call(func, xs, "vjp")
        vs = _check_v(v, outs, "vjp")
        g = _grads(outs, xs, vs, create_graph, strict, "vjp")
    return _untuple(out_tuple, _finish(outs, create_graph)), _untuple(in_tuple, _finish(g, create_graph))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)`` by the double-vjp trick."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a single "
                               "Tensor with a single element.")
        vs = (_native._full([], 1.0, inputs[0].dtype).reshape(inputs[0].shape),)
    else:
        vs = _check_v(v, inputs, "jvp", "inputs")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        out_tuple, outs = _call(func, xs, "jvp")
        us = tuple(_native._zeros(list(o.shape), o.dtype).requires_grad_(True) for o in outs)
        g = _grads(outs, xs, us, True, strict, "jvp")
        # g(u) = uᵀ J is linear in u; differentiating it along v gives J v.
        used = [(gi, vi) for gi, vi in zip(g, vs) if gi.requires_grad]
        if used:
            res = _native._grad([a for a, _ in used], list(us), [b for _, b in used], True, create_graph, True)
        else:
            res = (None,) * len(us)
        jv = tuple(r if r is not None else _native._zeros(list(o.shape), o.dtype) for r, o in zip(res, outs))
    return _untuple(out_tuple, _finish(outs, create_graph)), _untuple(out_tuple, _finish(jv, create_graph))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """J[i][j] = d out_i / d in_j, each of shape ``out_i.shape + in_j.shape``."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has '
                         'more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use '
                         '"reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("torch.autograd.functional.jacobian: `strategy=\"forward-mode\"` requires "
                                  "`vectorize=True`.")
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        out_tuple, outs = _call(func, xs, "jacobian")
        jac = []
        for o in outs:
            rows = [[] for _ in xs]
            flat = o.reshape(-1)
            for k in range(flat.numel()):
                if o.requires_grad:
                    res = _native._grad([flat[k]], list(xs), None, True, create_graph, True)
                else:
                    res = (None,) * len(xs)
                for j, (r, x) in enumerate(zip(res, xs)):
                    if r is None:
                        if strict:
                            raise RuntimeError(f"Output {len(jac)} of the user-provided function is independent of "
                                               f"input {j}. This is not allowed in strict mode.")
                        r = _native._zeros(list(x.shape), x.dtype)
                    rows[j].append(r if create_graph else r.detach())
            import ember
            blocks = []
            for j, x in enumerate(xs):
                if rows[j]:
                    b = ember.stack(rows[j]).reshape(*o.shape, *x.shape)
                else:
                    b = _native._zeros(list(o.shape) + list(x.shape), x.dtype)
                blocks.append(b)
            jac.append(tuple(blocks))
    if not out_tuple and not in_tuple:
        return jac[0][0]
    if not out_tuple:
        return jac[0]
    if not in_tuple:
        return tuple(j[0] for j in jac)
    return tuple(jac)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function: H[i][j] of shape ``in_i.shape + in_j.shape``."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def scalar(*xs):
        out = func(*xs)
        is_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if is_tuple or outs[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element")
        return outs[0].reshape(())

    def gradient(*xs):
        with enable_grad():
            y = scalar(*xs)
            return _grads((y,), xs, (_native._full([], 1.0, y.dtype),), True, strict, "hessian")

    h = jacobian(gradient, inputs, create_graph=create_graph, strict=strict)
    if not in_tuple:
        return h[0][0] if isinstance(h[0], tuple) else h[0]
    return h


def _second(func, inputs, v, create_graph, strict, fn):
    in_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a single "
                               "Tensor with a single element.")
        vs = (_native._full([], 1.0, inputs[0].dtype).reshape(inputs[0].shape),)
    else:
        vs = _check_v(v, inputs, fn, "inputs")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        out_tuple, outs = _call(func, xs, fn)
        if out_tuple or outs[0].numel() != 1:
            raise RuntimeError(f"The function given to {fn} should return a single Tensor with a single element")
        y = outs[0]
        g = _grads((y,), xs, (_native._full(list(y.shape), 1.0, y.dtype),), True, strict, fn)
        used = [(gi, vi) for gi, vi in zip(g, vs) if gi.requires_grad]
        if used:
            res = _native._grad([a for a, _ in used], list(xs), [b for _, b in used], True, create_graph, True)
        else:
            res = (None,) * len(xs)
        hv = tuple(r if r is not None else _native._zeros(list(x.shape), x.dtype) for r, x in zip(res, xs))
    return y if create_graph else y.detach(), _untuple(in_tuple, _finish(hv, create_graph))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), vᵀ H)``."""
    return _second(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)``; equal to vᵀ H for a twice-differentiable function (H is symmetric)."""
    return _second(func, inputs, v, create_graph, strict, "hvp")

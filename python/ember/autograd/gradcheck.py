"""Finite-difference checks of gradients (float64), with PyTorch's defaults.

Both Jacobians are built as NumPy arrays of shape (numel(input), numel(output)):
- numerical: column block per input element, from central differences
  ``(f(x + eps e_i) - f(x - eps e_i)) / 2 eps`` (two forward calls per input element);
- analytical: row per output element, from one ``autograd.grad`` call with a one-hot
  ``grad_output`` (a vector-Jacobian product gives one row of J^T).
They are compared elementwise with ``|a - n| <= atol + rtol * |n|``.

Complex inputs and outputs count as their (re, im) pairs (``view_as_real``), PyTorch's
convention: the gradient of a real loss is ∂L/∂re + i·∂L/∂im, so the one-hot ``grad_output``
1 selects an output's real part and 1j its imaginary part.
"""
import numpy as np

from .. import _native
from .._native import Tensor


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _real_view(t):
    """A complex tensor's (re, im) pairs as a real view; a real tensor as it is."""
    return _native._view_as_real(t.resolve_conj()) if t.dtype.is_complex else t


def _flat64(t):
    """A tensor's values as a flat float64 NumPy array (complex: re, im interleaved)."""
    return np.asarray(_real_view(t.detach()).reshape(-1).tolist(), dtype=np.float64)


def _n_real(t):
    return t.numel() * (2 if t.dtype.is_complex else 1)


def _diff_outputs(out):
    return [o for o in _as_tuple(out) if isinstance(o, Tensor) and (o.dtype.is_floating_point or o.dtype.is_complex)]


def _unravel(i, shape):
    idx = []
    for s in reversed(shape):
        i, r = divmod(i, s)
        idx.append(r)
    return tuple(reversed(idx))


def _numerical(func, inputs, diff_idx, n_out, eps):
    """For each differentiable input, a list (one per output) of (numel(in), numel(out)) arrays."""
    jac = []
    for k in diff_idx:
        x = inputs[k]
        data = _real_view(x.detach())  # shares storage: perturbing it perturbs the input
        shape = tuple(data.shape)
        blocks = [np.zeros((data.numel(), n)) for n in n_out]
        for i in range(data.numel()):
            idx = _unravel(i, shape)
            orig = data[idx].item()
            data[idx] = orig + eps
            plus = [_flat64(o) for o in _diff_outputs(func(*inputs))]
            data[idx] = orig - eps
            minus = [_flat64(o) for o in _diff_outputs(func(*inputs))]
            data[idx] = orig
            for b, p, m in zip(blocks, plus, minus):
                b[i] = (p - m) / (2 * eps)
        jac.append(blocks)
    return jac


def _analytical(outputs, inputs, diff_idx):
    """Same layout as `_numerical`, from vector-Jacobian products."""
    from . import grad

    diff_inputs = [inputs[k] for k in diff_idx]
    jac = [[np.zeros((_n_real(x), _n_real(o))) for o in outputs] for x in diff_inputs]
    for oi, o in enumerate(outputs):
        n = _n_real(o)
        for j in range(n):
            onehot = _native._zeros([n], o.dtype.to_real())
            onehot[j] = 1.0
            go = _native._view_as_complex(onehot.reshape(-1, 2)) if o.dtype.is_complex else onehot
            gs = grad([o], diff_inputs, [go.reshape(tuple(o.shape))], retain_graph=True, allow_unused=True)
            for k, g in enumerate(gs):
                if g is not None:
                    if tuple(g.shape) != tuple(diff_inputs[k].shape):
                        raise GradcheckError(f"Gradient for input {diff_idx[k]} has shape {tuple(g.shape)}; "
                                             f"expected {tuple(diff_inputs[k].shape)}")
                    jac[k][oi][:, j] = _flat64(g)
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """True when autograd's gradients of ``func`` at ``inputs`` match central differences
    (raises ``GradcheckError`` instead of returning False when ``raise_exception``)."""
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in diff_idx:
        if inputs[i].dtype.name not in ("float64", "complex128"):
            import warnings

            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point. "
                          "This check will likely fail if all the inputs are not of double precision floating point. ")
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them have "
                         "requires_grad=True.")
    outputs = _diff_outputs(func(*inputs))
    analytical = _analytical([o for o in outputs if o.requires_grad], inputs, diff_idx) if any(
        o.requires_grad for o in outputs) else None
    numerical = _numerical(func, inputs, diff_idx, [_n_real(o) for o in outputs], eps)
    req = [oi for oi, o in enumerate(outputs) if o.requires_grad]
    for k, ii in enumerate(diff_idx):
        for oi in range(len(outputs)):
            n = numerical[k][oi]
            a = analytical[k][req.index(oi)] if oi in req else np.zeros_like(n)
            bad = ~(np.abs(a - n) <= atol + rtol * np.abs(n))
            if bad.any():
                if not raise_exception:
                    return False
                r, c = map(int, np.argwhere(bad)[0])
                raise GradcheckError(
                    f"Jacobian mismatch for output {oi} with respect to input {ii},\n"
                    f"numerical:{n}\nanalytical:{a}\n"
                    f"(first mismatch at input element {r}, output element {c}: numerical {n[r, c]}, analytical {a[r, c]})")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """Checks second derivatives: gradcheck of (inputs, grad_outputs) ↦ autograd.grad(func(inputs), inputs, grad_outputs)
    with ``create_graph=True``. Random ``grad_outputs`` are drawn when not given."""
    from . import grad
    from .._creation import randn

    inputs = _as_tuple(inputs)
    outputs = [o for o in _diff_outputs(func(*inputs)) if o.requires_grad]
    if grad_outputs is None:
        grad_outputs = tuple(randn(*o.shape, dtype=o.dtype, requires_grad=True) for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def new_func(*args):
        ins, gos = args[:n], args[n:]
        outs = [o for o in _diff_outputs(func(*ins)) if o.requires_grad]
        gs = grad(outs, [ins[i] for i in diff_idx], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(new_func, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)

"""Finite-difference checks of gradients (float64), with PyTorch's defaults."""
import itertools

from .. import _native
from .._native import Tensor


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,) if not isinstance(x, list) else tuple(x)


def _indices(shape):
    return itertools.product(*[range(s) for s in shape])


def _numerical(func, inputs, outputs_shape, eps):
    """d(outputs)/d(inputs) by central differences, as a list per input of rows [in_elem][out_flat]."""
    jac = []
    for x in inputs:
        rows = []
        if not (isinstance(x, Tensor) and x.requires_grad):
            jac.append(None)
            continue
        data = x.detach()
        for idx in _indices(tuple(x.shape)):
            orig = data[idx].item()
            data[idx] = orig + eps
            plus = [o.detach().to(_native.dtype("float64")).reshape(-1).tolist() for o in _as_tuple(func(*inputs))]
            data[idx] = orig - eps
            minus = [o.detach().to(_native.dtype("float64")).reshape(-1).tolist() for o in _as_tuple(func(*inputs))]
            data[idx] = orig
            rows.append([[(p - m) / (2 * eps) for p, m in zip(po, mo)] for po, mo in zip(plus, minus)])
        jac.append(rows)
    return jac


def _analytical(outputs, inputs):
    """Rows [in_elem][out_flat] from one autograd.grad call per output element."""
    from . import grad

    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    per_input = [[] for _ in diff_inputs]
    for oi, o in enumerate(outputs):
        cols = []
        for j in range(o.numel()):
            g = _native._zeros([o.numel()], o.dtype)
            g[j] = 1.0
            gs = grad([o], diff_inputs, [g.reshape(tuple(o.shape))], retain_graph=True, allow_unused=True)
            cols.append([None if x is None else x.to(_native.dtype("float64")).reshape(-1).tolist() for x in gs])
        for k, x in enumerate(diff_inputs):
            n = x.numel()
            per_input[k].append([[0.0 if cols[j][k] is None else cols[j][k][i] for j in range(o.numel())] for i in range(n)])
    return per_input


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """True when autograd's gradients of ``func`` at ``inputs`` match central differences."""
    inputs = _as_tuple(inputs)
    for x in inputs:
        if isinstance(x, Tensor) and x.requires_grad and x.dtype.name not in ("float64",):
            import warnings

            warnings.warn(f"Input #{inputs.index(x)} requires gradient and is not a double precision floating point. "
                          "This check will likely fail if all the inputs are not of double precision floating point. ")
    outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad]
    if not outputs:
        raise GradcheckError("gradcheck expects at least one output that requires grad")
    analytical = _analytical(outputs, inputs)
    numerical = _numerical(func, inputs, None, eps)
    k = 0
    for ii, x in enumerate(inputs):
        if numerical[ii] is None:
            continue
        for oi in range(len(outputs)):
            a_rows = analytical[k][oi]
            n_rows = [row[oi] for row in numerical[ii]]
            for r, (ar, nr) in enumerate(zip(a_rows, n_rows)):
                for c, (a, n) in enumerate(zip(ar, nr)):
                    if not abs(a - n) <= atol + rtol * abs(n):
                        if not raise_exception:
                            return False
                        raise GradcheckError(
                            f"Jacobian mismatch for output {oi} with respect to input {ii},\n"
                            f"numerical:{n_rows}\nanalytical:{a_rows}\n"
                            f"(first mismatch at input element {r}, output element {c}: numerical {n}, analytical {a})")
        k += 1
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """Checks second derivatives: gradcheck of (inputs, grad_outputs) ↦ autograd.grad(func(inputs), inputs, grad_outputs)."""
    from . import grad
    from .._creation import randn

    inputs = _as_tuple(inputs)
    outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad]
    if grad_outputs is None:
        grad_outputs = tuple(randn(*o.shape, dtype=o.dtype, requires_grad=True) for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def new_func(*args):
        ins, gos = args[:n], args[n:]
        outs = [o for o in _as_tuple(func(*ins)) if isinstance(o, Tensor) and o.requires_grad]
        gs = grad(outs, [ins[i] for i in diff_idx], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(new_func, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)

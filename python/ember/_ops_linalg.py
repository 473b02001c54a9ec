"""Matrix products: ``ember.matmul``, ``mm``, ``bmm``, ``mv``, ``dot``, ``addmm`` …, ``einsum``,
``tensordot``, ``kron``. Each forwards to one native op (``Tensor.<name>`` or ``_native.<name>``);
only argument shapes that Python expresses more easily (``dims=2``, einsum's sublist form,
``out=``) are handled here.
"""
from . import _native
from ._native import Tensor

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "kron", "addmm", "addmv",
           "baddbmm", "addbmm", "addr", "einsum", "tensordot", "chain_matmul"]


def _tensor(fn, name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position 1) must be Tensor, not {type(x).__name__}")


def _into(result, out):
    """Writes `result` into a caller-given `out=` tensor of the same shape."""
    if out is None:
        return result
    if tuple(out.shape) != tuple(result.shape):
        raise RuntimeError(f"out= tensor has shape {list(out.shape)} but the result has shape {list(result.shape)}; "
                           "pass an out tensor of the result's shape")
    if out.dtype != result.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {result.dtype}, but got {out.dtype} instead")
    out.copy_(result)
    return out


def _binary(name):
    def fn(input, other, *, out=None):
        _tensor(name, "input", input)
        return _into(getattr(input, name)(other), out)

    fn.__name__ = name
    fn.__doc__ = f"``ember.{name}(input, other)`` is ``input.{name}(other)``; ``out=`` receives a copy."
    return fn


matmul = _binary("matmul")
mm = _binary("mm")
bmm = _binary("bmm")
mv = _binary("mv")
dot = _binary("dot")
vdot = _binary("vdot")
inner = _binary("inner")
outer = _binary("outer")
ger = _binary("ger")
kron = _binary("kron")


def _ternary(name):
    def fn(input, a, b, *, beta=1, alpha=1, out=None):
        _tensor(name, "input", input)
        return _into(getattr(input, name)(a, b, beta=beta, alpha=alpha), out)

    fn.__name__ = name
    fn.__doc__ = f"``ember.{name}(input, a, b, beta=1, alpha=1)``: ``beta * input + alpha * product``."
    return fn


addmm = _ternary("addmm")
addmv = _ternary("addmv")
baddbmm = _ternary("baddbmm")
addbmm = _ternary("addbmm")
addr = _ternary("addr")


def _inplace(name):
    def fn(self, a, b, *, beta=1, alpha=1):
        self.copy_(getattr(self, name)(a, b, beta=beta, alpha=alpha))
        return self

    fn.__name__ = name + "_"
    fn.__doc__ = f"In-place ``{name}``: ``self = beta * self + alpha * product`` (history: CopyBackwards)."
    setattr(Tensor, name + "_", fn)


for _n in ["addmm", "addmv", "baddbmm", "addbmm", "addr"]:
    _inplace(_n)


def _sublist_equation(args):
    """einsum(a, [0, 1], b, [1, 2], [0, 2]) → ("ab,bc->ac", [a, b])."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def term(sub):
        return "".join("..." if s is Ellipsis else letters[s] for s in sub)

    ops, terms = list(args[0::2]), [term(s) for s in args[1::2]]
    eq = ",".join(terms[:len(ops)])
    if len(args) % 2 == 1:
        eq += "->" + term(args[-1])
        ops = ops[:len(args) // 2]
    return eq, ops


def einsum(*args):
    """``einsum(equation, *operands)`` (or operands as one list, or the sublist form)."""
    if not args:
        raise RuntimeError("einsum(): must specify the equation string and at least one operand, or at least one operand and its subscripts list")
    if isinstance(args[0], str):
        eq, ops = args[0], list(args[1:])
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
            ops = list(ops[0])
    else:
        eq, ops = _sublist_equation(args)
    return _native.einsum(eq, ops)


def tensordot(a, b, dims=2, out=None):
    """Contracts the last ``dims`` dims of ``a`` with the first of ``b``, or the dims listed
    in ``dims = (dims_a, dims_b)``."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
    return _into(_native._tensordot(a, b, da, db), out)


def chain_matmul(*matrices, out=None):
    """The product of 2-D matrices, left to right (deprecated in PyTorch for linalg.multi_dot)."""
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    r = matrices[0]
    for m in matrices[1:]:
        r = r.mm(m)
    return _into(r, out)

"""gradcheck / gradgradcheck on the ops that exist, and gradcheck's own failure modes."""
import pytest

import ember
from ember import autograd
from ember.autograd import gradcheck, gradgradcheck
from ember.autograd.gradcheck import GradcheckError

F64 = ember.float64


def rnd(*shape):
    return ember.randn(*shape, dtype=F64, requires_grad=True)


def away_from_zero(*shape):
    with ember.no_grad():
        t = ember.rand(*shape, dtype=F64) + 0.5
    return t.requires_grad_()


CASES = [
    ("add", lambda a, b: a + b, lambda: (rnd(2, 3), rnd(3))),
    ("sub", lambda a, b: a - b, lambda: (rnd(2, 3), rnd(2, 1))),
    ("mul", lambda a, b: a * b, lambda: (rnd(2, 3), rnd(1, 3))),
    ("div", lambda a, b: a / b, lambda: (rnd(2, 3), away_from_zero(3))),
    ("neg", lambda a: -a, lambda: (rnd(4),)),
    ("scalar ops", lambda a: 2.5 * a - a / 3 + 1, lambda: (rnd(3),)),
    ("sum", lambda a: a.sum(), lambda: (rnd(2, 3),)),
    ("sum dim", lambda a: a.sum(1), lambda: (rnd(2, 3),)),
    ("sum keepdim", lambda a: a.sum(0, keepdim=True), lambda: (rnd(2, 3),)),
    ("clone", lambda a: a.clone(), lambda: (rnd(3),)),
    ("to float64 from float32", lambda a: a.to(F64) * 1, lambda: (rnd(3),)),
    ("view", lambda a: a.view(3, 2), lambda: (rnd(2, 3),)),
    ("reshape of transposed", lambda a: a.t().reshape(6), lambda: (rnd(2, 3),)),
    ("transpose", lambda a: a.transpose(0, 1), lambda: (rnd(2, 3),)),
    ("permute", lambda a: a.permute(2, 0, 1), lambda: (rnd(2, 3, 2),)),
    ("select", lambda a: a[1], lambda: (rnd(3, 2),)),
    ("slice step", lambda a: a[:, ::2], lambda: (rnd(2, 5),)),
    ("narrow", lambda a: a.narrow(0, 1, 2), lambda: (rnd(4),)),
    ("diagonal", lambda a: a.diagonal(), lambda: (rnd(3, 3),)),
    ("unsqueeze squeeze", lambda a: a.unsqueeze(1).squeeze(1), lambda: (rnd(3),)),
    ("expand", lambda a: a.expand(2, 3, 2), lambda: (rnd(3, 1),)),
    ("as_strided overlapping", lambda a: a.as_strided((2, 2), (1, 1)), lambda: (rnd(4),)),
    ("unfold", lambda a: a.unfold(0, 3, 2), lambda: (rnd(7),)),
    ("flatten", lambda a: a.flatten(), lambda: (rnd(2, 2, 2),)),
    ("inplace on view of clone", lambda a: _inplace_view(a), lambda: (rnd(3),)),
]


def _inplace_view(a):
    x = a.clone()
    x[1:] *= x[:2].clone()  # CopySlices over a mul by a tensor that depends on a
    return x * x


@pytest.mark.parametrize("name,f,make", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(name, f, make):
    ember.manual_seed(0)
    inputs = make()
    if name == "to float64 from float32":
        inputs = tuple(x.detach().to(ember.float32).requires_grad_() for x in inputs)
        with pytest.warns(UserWarning, match="not a double precision"):
            # float32 input: finite differences are too coarse to compare; only checks it runs
            gradcheck(f, inputs, eps=1e-2, atol=1e-2, rtol=1e-2)
        return
    assert gradcheck(f, inputs)


@pytest.mark.parametrize("name,f,make", [c for c in CASES if c[0] in
                                         ("mul", "div", "sum dim", "expand", "select", "unfold", "as_strided overlapping",
                                          "inplace on view of clone")],
                         ids=lambda c: c if isinstance(c, str) else "")
def test_gradgradcheck(name, f, make):
    ember.manual_seed(1)
    assert gradgradcheck(f, make())


def test_gradgradcheck_polynomial():
    x = rnd(3)
    assert gradgradcheck(lambda t: t * t * t, (x,))


class WrongGrad(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * x

    @staticmethod
    def backward(ctx, g):
        return g  # should be 2 x g


def test_gradcheck_detects_wrong_backward():
    x = rnd(3)
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(WrongGrad.apply, (x,))
    assert gradcheck(WrongGrad.apply, (x,), raise_exception=False) is False


def test_gradgradcheck_detects_non_differentiable_backward():
    from ember.autograd.function import once_differentiable

    class Cube(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x.detach() * g  # drops part of the second derivative

    x = away_from_zero(2)
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(Cube.apply, (x,), raise_exception=False) is False


def test_gradcheck_defaults_match_pytorch():
    import inspect

    kw = inspect.signature(gradcheck).parameters
    assert (kw["eps"].default, kw["atol"].default, kw["rtol"].default) == (1e-6, 1e-5, 1e-3)
    assert kw["raise_exception"].default is True

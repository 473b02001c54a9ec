"""ember.compile / ember.compiler / ember.jit.script: PyTorch's surface, run eagerly."""
import pickle
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember import jit


def _mlp():
    ember.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


def test_compiled_module_matches_eager_values_and_gradients():
    m = _mlp()
    c = ember.compile(m)
    assert type(c).__name__ == "OptimizedModule" and isinstance(c, nn.Module)
    assert c._orig_mod is m
    x = ember.randn(5, 4)
    np.testing.assert_array_equal(c(x).detach().numpy(), m(x).detach().numpy())
    c(x).sum().backward()
    g1 = m[0].weight.grad.numpy().copy()
    m.zero_grad()
    m(x).sum().backward()
    np.testing.assert_array_equal(g1, m[0].weight.grad.numpy())


def test_optimized_module_state_and_attribute_forwarding():
    m = _mlp()
    c = ember.compile(m)
    keys = ["_orig_mod.0.weight", "_orig_mod.0.bias", "_orig_mod.2.weight", "_orig_mod.2.bias"]
    assert list(c.state_dict()) == keys
    assert [n for n, _ in c.named_parameters()] == keys
    assert getattr(c, "0") is m[0]  # attribute access reaches the original module
    c.extra = 7
    assert m.extra == 7
    c.eval()
    assert not m.training and not c.training
    c.train()
    assert m.training
    zeros = {k: ember.zeros_like(v) for k, v in c.state_dict().items()}
    c.load_state_dict(zeros)
    assert float(m[0].weight.abs().sum()) == 0.0
    with pytest.raises(RuntimeError, match="Missing key"):
        c.load_state_dict(m.state_dict())
    # An optimizer over the wrapper's parameters trains the original.
    opt = ember.optim.SGD(c.parameters(), lr=0.1)
    c(ember.randn(2, 4)).sum().backward()
    opt.step()
    assert float(m[2].bias.abs().sum()) > 0
    c2 = pickle.loads(pickle.dumps(c))
    assert type(c2) is type(c) and list(c2.state_dict()) == keys
    with pytest.raises(AttributeError):
        c.no_such_attribute


def test_compile_functions_and_decorator_forms():
    def f(x, y=1.0):
        """doc"""
        return x * 2 + y
    cf = ember.compile(f)
    assert cf.__name__ == "f" and cf.__doc__ == "doc"
    x = ember.randn(3)
    np.testing.assert_allclose(cf(x, y=3.0).numpy(), (x * 2 + 3.0).numpy())

    @ember.compile
    def g(x):
        return x.sin()

    @ember.compile(mode="reduce-overhead", fullgraph=True, dynamic=True)
    def h(x):
        return x.cos()
    np.testing.assert_allclose(g(x).numpy(), np.sin(x.numpy()), rtol=1e-6)
    np.testing.assert_allclose(h(x).numpy(), np.cos(x.numpy()), rtol=1e-6)
    m = nn.Linear(2, 2)
    assert ember.compile(m, disable=True) is m
    assert type(ember.compile(mode="max-autotune")(m)).__name__ == "OptimizedModule"
    assert ember.compile(f, backend="eager")(x, 0.0).shape == (3,)
    assert ember.compile(f, backend=lambda gm, inputs: gm)(x).shape == (3,)


def test_compile_argument_errors_as_pytorch():
    m = nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="Unrecognized mode=fast"):
        ember.compile(m, mode="fast")
    with pytest.raises(RuntimeError, match="Either mode or options"):
        ember.compile(m, mode="default", options={})
    with pytest.raises(RuntimeError, match="Invalid backend: 'nope'"):
        ember.compile(m, backend="nope")
    with pytest.raises(AssertionError, match="callable function is expected"):
        ember.compile(3)
    with pytest.raises(TypeError):
        ember.compile(m, no_such_option=True)


def test_compiler_namespace():
    assert ember.compiler.is_compiling() is False
    assert ember.compiler.is_dynamo_compiling() is False
    assert ember.compiler.compile is ember.compile

    def f(x):
        return x + 1
    assert ember.compiler.disable(f) is f
    assert ember.compiler.disable(recursive=False)(f) is f
    assert ember.compiler.allow_in_graph(f) is f
    assert ember.compiler.reset() is None

    class M(nn.Module):
        def forward(self, x):
            self.seen = ember.compiler.is_exporting()
            return x * 2
    mod = M()
    mod(ember.randn(2, 3))
    assert mod.seen is False
    ember.export.export(mod, (ember.randn(2, 3),))
    assert mod.seen is True


def test_jit_script_returns_the_object_and_warns_once(monkeypatch):
    monkeypatch.setattr(jit, "_script_warned", False)
    m = _mlp()
    with pytest.warns(UserWarning, match="no TorchScript compiler"):
        s = ember.jit.script(m)
    assert s is m

    def f(x):
        return x + 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ember.jit.script(f) is f  # second call: no warning
    assert ember.jit.is_scripting() is False
    assert ember.jit.ignore(f) is f and ember.jit.unused(f) is f and ember.jit.ignore(drop=True)(f) is f
    with pytest.raises(TypeError):
        ember.jit.script()

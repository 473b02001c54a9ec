"""The thinned Python call paths keep their behaviour: registered attributes of a Module found
through the class-level shortcut, non-tensor arguments on the hot paths (which check on their
failure path only), ``out=`` through the fused forwarders, and ``shape``/``size()``."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.nn.utils import parametrize


def test_registered_attribute_shortcut_keeps_module_semantics():
    lin = nn.Linear(3, 2)
    w = lin.weight
    assert lin.weight is w and lin.weight is lin._parameters["weight"]
    # A second instance of the class has its own entry behind the same shortcut.
    other = nn.Linear(3, 2)
    assert other.weight is not w and other.weight is other._parameters["weight"]
    # The class itself has no such attribute, as before.
    assert not hasattr(nn.Linear, "weight") or isinstance(getattr(nn.Linear, "weight", None), property)
    # Replacing the entry in _parameters directly is seen at once.
    p = nn.Parameter(ember.zeros(2, 3))
    lin._parameters["weight"] = p
    assert lin.weight is p
    # Deleted: the usual AttributeError; then a plain attribute of that name wins.
    del lin.weight
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'weight'"):
        lin.weight
    assert not hasattr(lin, "weight")
    t = ember.ones(2, 3)
    lin.weight = t
    assert lin.weight is t and "weight" not in lin._parameters
    # Bias set to None stays None.
    lin.bias = None
    assert lin.bias is None


def test_shortcut_for_submodules_and_buffers():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(2, 2)
            self.register_buffer("scale", ember.tensor(2.0))

        def forward(self, x):
            return self.body(x) * self.scale

    n = Net()
    x = ember.ones(1, 2)
    out = n(x)
    np.testing.assert_allclose(out.detach().numpy(), (n.body(x) * 2.0).detach().numpy())
    b = nn.Linear(2, 2)
    n.body = b
    assert n.body is b
    n.scale = ember.tensor(3.0)  # an existing buffer name: stays a buffer
    assert float(n.scale) == 3.0 and "scale" in n._buffers
    del n.body
    with pytest.raises(AttributeError):
        n.body
    # An instance attribute set past Module.__setattr__ takes precedence, as it always did.
    m = Net()
    object.__setattr__(m, "scale", "plain")
    assert m.scale == "plain"


def test_parametrization_overrides_the_shortcut():
    class Double(nn.Module):
        def forward(self, w):
            return 2 * w

    lin = nn.Linear(3, 2)
    lin.weight  # installs the shortcut on Linear
    raw = lin.weight.detach().clone()
    parametrize.register_parametrization(lin, "weight", Double())
    np.testing.assert_allclose(lin.weight.detach().numpy(), 2 * raw.numpy(), rtol=1e-6)
    parametrize.remove_parametrizations(lin, "weight")
    np.testing.assert_allclose(lin.weight.detach().numpy(), 2 * raw.numpy(), rtol=1e-6)


def test_hot_functions_name_the_bad_argument():
    x, w = ember.ones(1, 3), ember.ones(2, 3)
    with pytest.raises(TypeError, match=r"^linear\(\): argument 'weight' \(position 2\) must be Tensor, not str$"):
        F.linear(x, "w")
    with pytest.raises(TypeError, match=r"^linear\(\): argument 'bias' \(position 3\) must be Tensor, not int$"):
        F.linear(x, w, bias=3)
    with pytest.raises(RuntimeError):  # a shape error stays what it was
        F.linear(x, ember.ones(2, 4))
    with pytest.raises(TypeError, match=r"^mse_loss\(\): argument 'target' \(position 2\) must be Tensor, not int$"):
        F.mse_loss(x, 3)
    with pytest.raises(TypeError, match=r"^softmax\(\): argument 'input' \(position 1\) must be Tensor, not list$"):
        F.softmax([1.0], 0)
    with pytest.raises(TypeError, match=r"^Linear\.forward\(\): argument 'input' \(position 1\) must be Tensor, not int$"):
        nn.Linear(3, 2)(5)
    # A bug inside a layer defined outside ember keeps its own exception.
    class Mine(nn.Module):
        def forward(self, x):
            return x.ndim

    with pytest.raises(AttributeError):
        Mine()(5)


def test_mse_loss_warns_on_broadcasting_target_at_the_callers_line():
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        F.mse_loss(ember.ones(3, 1), ember.ones(3))
    assert rec and "target size" in str(rec[0].message)


def test_fused_forwarders_take_out():
    a, b = ember.arange(4, dtype=ember.float32), ember.ones(4)
    o = ember.empty(4)
    assert ember.add(a, b, out=o) is o and o.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert ember.add(a, b, alpha=2, out=o) is o and o.tolist() == [2.0, 3.0, 4.0, 5.0]
    i = ember.empty(4, dtype=ember.int64)
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        ember.exp(a, out=i)
    d = ember.empty(4, dtype=ember.float64)  # float -> double casts
    assert ember.exp(a, out=d) is d and d.dtype == ember.float64
    with pytest.raises(TypeError, match=r"^add\(\): argument 'out' must be Tensor, not int$"):
        ember.add(a, b, out=3)
    with pytest.raises(TypeError, match=r"^add\(\): argument 'input' \(position 1\) must be Tensor, not str$"):
        ember.add("a", b)
    g = a.clone().requires_grad_()
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ember.mul(g, b, out=o)
    with ember.no_grad():
        assert ember.mul(g, b, out=o) is o
    s = ember.empty(1)
    with pytest.warns(UserWarning, match="was resized"):
        ember.sum(ember.ones(2, 3), 0, out=s)
    assert s.tolist() == [2.0, 2.0, 2.0]
    assert ember.sum(ember.ones(2, 3), axis=1).tolist() == [3.0, 3.0]


def test_shape_and_size_are_sizes():
    x = ember.ones(2, 3)[:, ::2]
    assert type(x.shape) is ember.Size and x.shape == (2, 2) and x.size() == ember.Size([2, 2])
    assert x.shape.numel() == 4 and x.size(1) == 2
    assert ember.Size([np.int64(2), 3]) == (2, 3) and type(ember.Size([np.int64(2)])[0]) is int

"""nn.Module semantics: registration, traversal order, state_dict, modes, hooks, repr."""
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn


def arr(t):
    return np.array(t.detach().tolist())


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(4, 3)
        self.register_buffer("steps", ember.zeros(2))
        self.scale = nn.Parameter(ember.ones(1))
        self.layer2 = nn.Linear(3, 2)
        self.register_buffer("cache", ember.zeros(1), persistent=False)

    def forward(self, x):
        return self.layer2(self.layer1(x)) * self.scale


def test_parameter_is_tensor_sharing_storage():
    t = ember.zeros(3)
    p = nn.Parameter(t)
    assert isinstance(p, ember.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf
    assert p.data_ptr() == t.data_ptr()
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\n")


def test_registration_and_order():
    m = Net()
    # own parameters first, then children's, in registration order
    assert [n for n, _ in m.named_parameters()] == ["scale", "layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias"]
    assert [n for n, _ in m.named_buffers()] == ["steps", "cache"]
    assert [n for n, _ in m.named_children()] == ["layer1", "layer2"]
    assert [n for n, _ in m.named_modules()] == ["", "layer1", "layer2"]
    assert len(list(m.parameters(recurse=False))) == 1
    assert m.layer1.weight._param_name == "layer1.weight"
    assert m.get_submodule("layer1") is m.layer1
    assert m.get_parameter("layer2.bias") is m.layer2.bias
    with pytest.raises(AttributeError):
        m.get_submodule("nope")
    assert "layer1" in dir(m) and "scale" in dir(m)


def test_setattr_rules():
    m = Net()
    with pytest.raises(TypeError, match="cannot assign"):
        m.scale = ember.ones(1)
    m.scale = None
    assert "scale" in m._parameters and m._parameters["scale"] is None
    assert [n for n, _ in m.named_parameters()][0] == "layer1.weight"
    m.steps = ember.ones(2)  # plain tensor to an existing buffer name stays a buffer
    assert "steps" in m._buffers
    with pytest.raises(TypeError):
        m.layer1 = 3
    del m.layer2
    assert "layer2" not in m._modules
    with pytest.raises(AttributeError, match="has no attribute 'layer2'"):
        m.layer2
    with pytest.raises(KeyError):
        m.register_buffer("layer1", ember.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_shared_parameters_are_listed_once():
    m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    m[1].weight = m[0].weight
    assert len(list(m.parameters())) == 3
    assert len(list(m.named_parameters(remove_duplicate=False))) == 4
    assert [n for n, _ in m.named_parameters(prefix="net")][0] == "net.0.weight"


def test_state_dict_keys_shapes_and_round_trip():
    m = Net()
    sd = m.state_dict()
    assert list(sd.keys()) == ["scale", "steps", "layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias"]
    assert tuple(sd["layer1.weight"].shape) == (3, 4)
    assert not sd["layer1.weight"].requires_grad
    assert sd["layer1.weight"].data_ptr() == m.layer1.weight.data_ptr()
    m2 = Net()
    res = m2.load_state_dict(sd)
    assert repr(res) == "<All keys matched successfully>"
    assert res.missing_keys == [] and res.unexpected_keys == []
    np.testing.assert_array_equal(arr(m2.layer1.weight), arr(m.layer1.weight))
    assert m2.layer1.weight.requires_grad


def test_load_state_dict_errors():
    m = Net()
    sd = m.state_dict()
    del sd["layer1.bias"]
    sd["extra"] = ember.zeros(1)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    msg = str(e.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: \"layer1.bias\". ")
    assert 'Unexpected key(s) in state_dict: "extra". ' in msg
    res = m.load_state_dict(sd, strict=False)
    assert res.missing_keys == [] or res.missing_keys == ["layer1.bias"]
    sd = m.state_dict()
    sd["layer2.weight"] = ember.zeros(5, 5)
    with pytest.raises(RuntimeError, match="size mismatch for layer2.weight: copying a param with shape"):
        m.load_state_dict(sd)


def test_train_eval_requires_grad_zero_grad():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    assert m.training and m[1].training
    assert m.eval() is m and not m[1].training
    m.train()
    assert m[1].training
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_(True)
    (m[0].weight * 2).sum().backward()
    assert m[0].weight.grad is not None
    m.zero_grad()
    assert m[0].weight.grad is None
    (m[0].weight * 2).sum().backward()
    m.zero_grad(set_to_none=False)
    assert arr(m[0].weight.grad).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_apply_visits_children_first_and_to_dtype():
    m = Net()
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "Linear", "Net"]
    w = m.layer1.weight
    m.double()
    assert m.layer1.weight.dtype == ember.float64 and isinstance(m.layer1.weight, nn.Parameter)
    assert m.steps.dtype == ember.float64
    assert m.to(ember.float64) is m
    m.float()
    assert m.layer1.weight.dtype == ember.float32
    assert w.dtype == ember.float32
    with pytest.raises(RuntimeError, match="device"):
        m.to("cuda")


def test_repr_nested_like_pytorch():
    m = nn.Sequential(OrderedDict([("fc", nn.Linear(3, 2, bias=False)), ("act", nn.ReLU()),
                                   ("inner", nn.Sequential(nn.Tanh()))]))
    assert repr(m) == (
        "Sequential(\n"
        "  (fc): Linear(in_features=3, out_features=2, bias=False)\n"
        "  (act): ReLU()\n"
        "  (inner): Sequential(\n"
        "    (0): Tanh()\n"
        "  )\n"
        ")")
    assert repr(nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh()])) == (
        "ModuleList(\n  (0-1): 2 x ReLU()\n  (2): Tanh()\n)")


def test_forward_hooks_and_pre_hooks():
    m = nn.Identity()
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    h2 = m.register_forward_hook(lambda mod, args, out: out + 1)
    h3 = m.register_forward_hook(lambda mod, args, kwargs, out: calls.append(kwargs), with_kwargs=True)
    y = m(ember.ones(2))
    assert arr(y).tolist() == [3.0, 3.0]
    assert calls == [{}]
    h1.remove()
    h2.remove()
    h3.remove()
    assert arr(m(ember.ones(2))).tolist() == [1.0, 1.0]


def test_full_backward_hook_sees_and_replaces_grads():
    class Scale(nn.Module):
        def forward(self, x):
            return x * 3.0

    m = Scale()
    seen = {}

    def hook(mod, grad_input, grad_output):
        seen["in"] = arr(grad_input[0]).tolist()
        seen["out"] = arr(grad_output[0]).tolist()
        return (grad_input[0] * 10.0,)

    m.register_full_backward_hook(hook)
    x = ember.ones(2, requires_grad=True)
    (m(x) * ember.tensor([1.0, 2.0])).sum().backward()
    assert seen["out"] == [1.0, 2.0]
    assert seen["in"] == [3.0, 6.0]
    assert arr(x.grad).tolist() == [30.0, 60.0]


def test_sequential_and_containers():
    a, b, c = nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and s[0] is a and s[-1] is c
    assert isinstance(s[1:], nn.Sequential) and list(s[1:]) == [b, c]
    s.append(nn.Tanh())
    assert len(s) == 4 and list(s._modules) == ["0", "1", "2", "3"]
    del s[1]
    assert list(s._modules) == ["0", "1", "2"] and s[1] is c
    ml = nn.ModuleList([a, b])
    ml.append(c)
    assert len(ml) == 3 and ml[-1] is c and len(list(ml.parameters())) == 4
    md = nn.ModuleDict({"x": a, "y": c})
    assert list(md.keys()) == ["x", "y"] and md["y"] is c and "x" in md
    pl = nn.ParameterList([nn.Parameter(ember.ones(2)), ember.zeros(3)])
    assert len(pl) == 2 and isinstance(pl[1], nn.Parameter)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pd = nn.ParameterDict({"w": ember.ones(2)})
    assert isinstance(pd["w"], nn.Parameter) and list(dict(pd.named_parameters())) == ["w"]


def test_buffer_persistence_and_state_dict_hooks():
    m = Net()
    assert "cache" not in m.state_dict() and "cache" in dict(m.named_buffers())
    m.register_buffer("cache", ember.zeros(1), persistent=True)
    assert "cache" in m.state_dict()

"""The same bodies on every device (the `device` fixture: cpu, and wgpu where a Vulkan adapter
exists), each checked against NumPy."""
import numpy as np
import pytest

import ember
import ember.nn as nn


def test_elementwise_and_reductions(device):
    a = np.arange(12, dtype=np.float32).reshape(3, 4) - 5
    t = ember.tensor(a, device=device)
    assert t.device.type == device
    np.testing.assert_allclose((t.t() * 2 + 1).relu().numpy(), np.maximum(a.T * 2 + 1, 0))
    np.testing.assert_allclose(t.sum(1).numpy(), a.sum(1))
    np.testing.assert_allclose(t.mean(0, keepdim=True).numpy(), a.mean(0, keepdims=True))
    assert t.argmax(1).tolist() == a.argmax(1).tolist()
    assert (t > 0).sum().item() == int((a > 0).sum())


def test_matmul_and_softmax(device):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 7)).astype(np.float32), rng.standard_normal((7, 3)).astype(np.float32)
    ta, tb = ember.tensor(a, device=device), ember.tensor(b, device=device)
    np.testing.assert_allclose((ta @ tb).numpy(), a @ b, rtol=1e-5, atol=1e-5)
    e = np.exp(a - a.max(1, keepdims=True))
    np.testing.assert_allclose(ta.softmax(1).numpy(), e / e.sum(1, keepdims=True), rtol=1e-5, atol=1e-6)


def test_autograd(device):
    x = ember.tensor([[1.0, -2.0], [3.0, 0.5]], device=device, requires_grad=True)
    y = (x * x).sum() + x.relu().mean()
    y.backward()
    assert x.grad.device.type == device
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy() + (x.detach().numpy() > 0) / 4)


def test_module_training_step(device):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).to(device)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    x = ember.ones(6, 4, device=device)
    y = ember.tensor([0, 1, 2, 0, 1, 2], device=device)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(p.device.type == device for p in model.parameters())
    assert losses[-1] < losses[0]


def test_repr_names_the_device(device):
    t = ember.tensor([1.0, 2.0], device=device)
    suffix = "" if device == "cpu" else f", device='{device}:0'"
    assert repr(t) == f"tensor([1., 2.]{suffix})"

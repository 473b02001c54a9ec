"""Optimizers: the first updates against PyTorch's published formulas, written out in NumPy."""

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember import optim


def arr(t):
    return np.array(t.detach().tolist())


def E(a):
    return ember.tensor(np.asarray(a).tolist(), dtype=ember.float64)


def setup(seed=0, shapes=((3, 2), (4,))):
    rng = np.random.default_rng(seed)
    ps = [rng.standard_normal(s) for s in shapes]
    gs = [[rng.standard_normal(s) for s in shapes] for _ in range(3)]  # three steps of gradients
    params = [nn.Parameter(E(p)) for p in ps]
    return params, ps, gs


def run(opt, params, gs):
    out = []
    for step_grads in gs:
        for p, g in zip(params, step_grads):
            p.grad = E(g)
        opt.step()
        out.append([arr(p) for p in params])
    return out


@pytest.mark.parametrize("momentum,dampening,nesterov,wd,maximize", [
    (0.0, 0.0, False, 0.0, False), (0.9, 0.0, False, 0.0, False), (0.9, 0.3, False, 0.1, False),
    (0.9, 0.0, True, 0.05, False), (0.5, 0.0, False, 0.0, True)])
def test_sgd(momentum, dampening, nesterov, wd, maximize):
    params, ps, gs = setup()
    lr = 0.1
    opt = optim.SGD(params, lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov, weight_decay=wd,
                    maximize=maximize)
    got = run(opt, params, gs)
    p = [x.copy() for x in ps]
    buf = [None] * len(p)
    for t, step_grads in enumerate(gs):
        for i, g in enumerate(step_grads):
            g = -g if maximize else g
            g = g + wd * p[i]
            if momentum:
                buf[i] = g.copy() if buf[i] is None else momentum * buf[i] + (1 - dampening) * g
                g = g + momentum * buf[i] if nesterov else buf[i]
            p[i] = p[i] - lr * g
            np.testing.assert_allclose(got[t][i], p[i], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls,wd,amsgrad,maximize", [
    ("Adam", 0.0, False, False), ("Adam", 0.1, True, False), ("AdamW", 0.1, False, False), ("AdamW", 0.01, True, True)])
def test_adam_adamw(cls, wd, amsgrad, maximize):
    params, ps, gs = setup(1)
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-6
    opt = getattr(optim, cls)(params, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd, amsgrad=amsgrad, maximize=maximize)
    got = run(opt, params, gs)
    p = [x.copy() for x in ps]
    m = [np.zeros_like(x) for x in p]
    v = [np.zeros_like(x) for x in p]
    vmax = [np.zeros_like(x) for x in p]
    for t, step_grads in enumerate(gs, start=1):
        for i, g in enumerate(step_grads):
            g = -g if maximize else g
            if cls == "AdamW":
                p[i] = p[i] * (1 - lr * wd)
            else:
                g = g + wd * p[i]
            m[i] = m[i] + (1 - b1) * (g - m[i])
            v[i] = b2 * v[i] + (1 - b2) * g * g
            vh = v[i]
            if amsgrad:
                vmax[i] = np.maximum(vmax[i], v[i])
                vh = vmax[i]
            denom = np.sqrt(vh) / np.sqrt(1 - b2 ** t) + eps
            p[i] = p[i] - lr / (1 - b1 ** t) * m[i] / denom
            np.testing.assert_allclose(got[t - 1][i], p[i], rtol=1e-10, atol=1e-12)
    assert float(opt.state[params[0]]["step"].item()) == 3.0


@pytest.mark.parametrize("centered,momentum,wd", [(False, 0.0, 0.0), (True, 0.0, 0.1), (True, 0.9, 0.0), (False, 0.5, 0.0)])
def test_rmsprop(centered, momentum, wd):
    params, ps, gs = setup(2)
    lr, alpha, eps = 0.01, 0.9, 1e-8
    opt = optim.RMSprop(params, lr=lr, alpha=alpha, eps=eps, weight_decay=wd, momentum=momentum, centered=centered)
    got = run(opt, params, gs)
    p = [x.copy() for x in ps]
    sq = [np.zeros_like(x) for x in p]
    ga = [np.zeros_like(x) for x in p]
    buf = [np.zeros_like(x) for x in p]
    for t, step_grads in enumerate(gs):
        for i, g in enumerate(step_grads):
            g = g + wd * p[i]
            sq[i] = alpha * sq[i] + (1 - alpha) * g * g
            if centered:
                ga[i] = ga[i] + (1 - alpha) * (g - ga[i])
                avg = np.sqrt(sq[i] - ga[i] * ga[i]) + eps
            else:
                avg = np.sqrt(sq[i]) + eps
            if momentum > 0:
                buf[i] = momentum * buf[i] + g / avg
                p[i] = p[i] - lr * buf[i]
            else:
                p[i] = p[i] - lr * g / avg
            np.testing.assert_allclose(got[t][i], p[i], rtol=1e-10, atol=1e-12)


def test_adagrad():
    params, ps, gs = setup(3)
    lr, lr_decay, wd, init, eps = 0.1, 0.01, 0.05, 0.1, 1e-10
    opt = optim.Adagrad(params, lr=lr, lr_decay=lr_decay, weight_decay=wd, initial_accumulator_value=init, eps=eps)
    got = run(opt, params, gs)
    p = [x.copy() for x in ps]
    s = [np.full_like(x, init) for x in p]
    for t, step_grads in enumerate(gs, start=1):
        for i, g in enumerate(step_grads):
            g = g + wd * p[i]
            clr = lr / (1 + (t - 1) * lr_decay)
            s[i] = s[i] + g * g
            p[i] = p[i] - clr * g / (np.sqrt(s[i]) + eps)
            np.testing.assert_allclose(got[t - 1][i], p[i], rtol=1e-10, atol=1e-12)


def test_float32_params_and_skipped_grads():
    a = nn.Parameter(ember.ones(3))
    b = nn.Parameter(ember.ones(2))
    opt = optim.SGD([a, b], lr=0.5)
    a.grad = ember.ones(3)
    opt.step()  # b has no grad: untouched, no state
    assert arr(a).tolist() == [0.5, 0.5, 0.5] and arr(b).tolist() == [1.0, 1.0]
    assert a.dtype == ember.float32


def test_param_groups_and_state_dict_format():
    w1, w2 = nn.Parameter(E([1.0, 2.0])), nn.Parameter(E([3.0]))
    opt = optim.SGD([{"params": [w1]}, {"params": [w2], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["momentum"] == 0.9
    w1.grad, w2.grad = E([1.0, 1.0]), E([1.0])
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][1]["params"] == [1]
    assert set(sd["state"]) == {0, 1} and "momentum_buffer" in sd["state"][1]
    w3, w4 = nn.Parameter(E([1.0, 2.0])), nn.Parameter(E([3.0]))
    opt2 = optim.SGD([{"params": [w3]}, {"params": [w4], "lr": 0.7}], lr=0.2, momentum=0.9)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[1]["lr"] == 0.5
    assert arr(opt2.state[w4]["momentum_buffer"]).tolist() == [1.0]
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([w3], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w1]}, {"params": [w1]}], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    opt.add_param_group({"params": [nn.Parameter(E([0.0]))], "lr": 1.0})
    assert len(opt.param_groups) == 3 and opt.param_groups[2]["momentum"] == 0.9


def test_validation_errors():
    p = [nn.Parameter(ember.ones(1))]
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD(p, lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0"):
        optim.Adam(p, betas=(1.0, 0.9))


def test_zero_grad_sets_none_by_default():
    p = nn.Parameter(ember.ones(2))
    opt = optim.Adam([p])
    p.grad = ember.ones(2)
    opt.zero_grad()
    assert p.grad is None
    p.grad = ember.ones(2)
    opt.zero_grad(set_to_none=False)
    assert arr(p.grad).tolist() == [0.0, 0.0]


def test_step_with_closure():
    p = nn.Parameter(E([2.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss.item()) == 4.0
    assert arr(p).tolist() == [1.0]

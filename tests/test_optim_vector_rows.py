"""Fused optimizer steps on float32 parameters long enough for the vectorised loops (and with
odd lengths for their remainders): bit for bit against the kernels' formulas written in NumPy
float32, in the same order of operations, for several steps."""

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember import optim

F = np.float32
SHAPES = ((1000,), (37,), (7, 13))


def setup(seed, shapes=SHAPES, steps=3):
    rng = np.random.default_rng(seed)
    ps = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
    gs = [[rng.standard_normal(s, dtype=np.float32) for s in shapes] for _ in range(steps)]
    params = [nn.Parameter(ember.from_numpy(p.copy())) for p in ps]
    return params, ps, gs


def run(opt, params, gs):
    for step_grads in gs:
        for p, g in zip(params, step_grads):
            p.grad = ember.from_numpy(g.copy())
        opt.step()
        yield [p.detach().numpy().copy() for p in params]


@pytest.mark.parametrize("momentum,dampening,nesterov,wd,maximize", [
    (0.0, 0.0, False, 0.0, False), (0.0, 0.0, False, 0.1, True), (0.9, 0.0, False, 0.0, False),
    (0.9, 0.3, False, 0.1, False), (0.9, 0.0, True, 0.05, True)])
def test_sgd_bits(momentum, dampening, nesterov, wd, maximize):
    params, ps, gs = setup(0)
    lr = 0.1
    opt = optim.SGD(params, lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov, weight_decay=wd,
                    maximize=maximize)
    p = [x.copy() for x in ps]
    buf = [None] * len(p)
    sign, mu, damp = F(-1.0 if maximize else 1.0), F(momentum), F(1.0 - dampening)
    for got, step_grads in zip(run(opt, params, gs), gs):
        for i, g in enumerate(step_grads):
            d = sign * g + F(wd) * p[i] if wd else sign * g
            if momentum:
                buf[i] = d.copy() if buf[i] is None else mu * buf[i] + damp * d
                d = d + mu * buf[i] if nesterov else buf[i]
            p[i] = p[i] - F(lr) * d
            np.testing.assert_array_equal(got[i], p[i])


@pytest.mark.parametrize("cls,wd,amsgrad,maximize", [
    ("Adam", 0.0, False, False), ("Adam", 0.1, True, False), ("AdamW", 0.1, False, True), ("AdamW", 0.01, True, False)])
def test_adam_bits(cls, wd, amsgrad, maximize):
    params, ps, gs = setup(1)
    lr, (b1, b2), eps = 1e-2, (0.9, 0.999), 1e-8
    opt = getattr(optim, cls)(params, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd, amsgrad=amsgrad,
                              maximize=maximize)
    p = [x.copy() for x in ps]
    m, v, vm = ([np.zeros_like(x) for x in p] for _ in range(3))
    for t, (got, step_grads) in enumerate(zip(run(opt, params, gs), gs), start=1):
        ss, bc2s = F(lr / (1 - b1**t)), F(np.sqrt(1 - b2**t))
        for i, g in enumerate(step_grads):
            d = -g if maximize else g
            if wd and cls == "AdamW":
                p[i] = p[i] * F(1 - lr * wd)
            elif wd:
                d = d + F(wd) * p[i]
            m[i] = m[i] + F(1 - b1) * (d - m[i])
            v[i] = v[i] * F(b2) + F(1 - b2) * d * d
            if amsgrad:
                vm[i] = np.where(vm[i] > v[i], vm[i], v[i])
            vhat = vm[i] if amsgrad else v[i]
            p[i] = p[i] - ss * (m[i] / (np.sqrt(vhat) / bc2s + F(eps)))
            np.testing.assert_array_equal(got[i], p[i])


@pytest.mark.parametrize("centered,momentum,wd,maximize", [
    (False, 0.0, 0.0, False), (True, 0.0, 0.1, True), (True, 0.9, 0.0, False), (False, 0.5, 0.05, False)])
def test_rmsprop_bits(centered, momentum, wd, maximize):
    params, ps, gs = setup(2)
    lr, alpha, eps = 0.01, 0.9, 1e-8
    opt = optim.RMSprop(params, lr=lr, alpha=alpha, eps=eps, weight_decay=wd, momentum=momentum, centered=centered,
                        maximize=maximize)
    p = [x.copy() for x in ps]
    sq, ga, buf = ([np.zeros_like(x) for x in p] for _ in range(3))
    for got, step_grads in zip(run(opt, params, gs), gs):
        for i, g in enumerate(step_grads):
            d = -g if maximize else g
            if wd:
                d = d + F(wd) * p[i]
            sq[i] = sq[i] * F(alpha) + F(1 - alpha) * d * d
            if centered:
                ga[i] = ga[i] + F(1 - alpha) * (d - ga[i])
                avg = np.sqrt(sq[i] - ga[i] * ga[i]) + F(eps)
            else:
                avg = np.sqrt(sq[i]) + F(eps)
            if momentum > 0:
                buf[i] = buf[i] * F(momentum) + d / avg
                p[i] = p[i] - F(lr) * buf[i]
            else:
                p[i] = p[i] - F(lr) * (d / avg)
            np.testing.assert_array_equal(got[i], p[i])


def test_adagrad_bits():
    params, ps, gs = setup(3)
    lr, lr_decay, wd, init, eps = 0.1, 0.01, 0.05, 0.1, 1e-10
    opt = optim.Adagrad(params, lr=lr, lr_decay=lr_decay, weight_decay=wd, initial_accumulator_value=init, eps=eps)
    p = [x.copy() for x in ps]
    s = [np.full_like(x, init) for x in p]
    for t, (got, step_grads) in enumerate(zip(run(opt, params, gs), gs), start=1):
        clr = F(lr / (1 + (t - 1) * lr_decay))
        for i, g in enumerate(step_grads):
            d = g + F(wd) * p[i]
            s[i] = s[i] + d * d
            p[i] = p[i] - clr * (d / (np.sqrt(s[i]) + F(eps)))
            np.testing.assert_array_equal(got[i], p[i])


@pytest.mark.parametrize("num_threads", [1, 2], indirect=True)
@pytest.mark.parametrize("last_product", ["none", "small", "split"])
def test_sgd_step_is_the_same_on_one_thread_or_split(num_threads, last_product):
    """A parameter of 2^16..2^18 elements is stepped on the calling thread after a
    single-threaded product and split after a split one (`CACHE_LOCAL_MAX`): bit for bit the
    same formula either way."""
    params, ps, gs = setup(3, shapes=((100_000,), (300, 301)), steps=2)
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    a = ember.ones(8, 8) if last_product == "small" else ember.ones(512, 512)
    p, buf = [x.copy() for x in ps], [None, None]
    for step_grads in gs:
        for q, g in zip(params, step_grads):
            q.grad = ember.from_numpy(g.copy())
        if last_product != "none":
            a @ a  # the product that decides where the step runs
        opt.step()
        for i, g in enumerate(step_grads):
            buf[i] = g.copy() if buf[i] is None else F(0.9) * buf[i] + g
            p[i] = p[i] - F(0.1) * buf[i]
            np.testing.assert_array_equal(params[i].detach().numpy(), p[i])

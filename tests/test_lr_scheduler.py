"""Learning-rate schedulers: lr sequences against PyTorch's formulas."""
import math

import pytest

import ember
import ember.nn as nn
from ember import optim
from ember.optim import lr_scheduler as S


def make(lr=0.1, cls=optim.SGD, **kw):
    return cls([nn.Parameter(ember.zeros(1))], lr=lr, **kw)


def seq(opt, sched, n, metric=None):
    out = []
    for i in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step() if metric is None else sched.step(metric(i))
    return out


def close(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12), (a, b)


def test_step_multistep_exponential():
    o = make()
    close(seq(o, S.StepLR(o, step_size=3, gamma=0.5), 8), [0.1 * 0.5 ** (e // 3) for e in range(8)])
    o = make()
    close(seq(o, S.MultiStepLR(o, milestones=[2, 5], gamma=0.1), 7), [0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001])
    o = make()
    s = S.ExponentialLR(o, gamma=0.9)
    close(seq(o, s, 5), [0.1 * 0.9 ** e for e in range(5)])
    close(s.get_last_lr(), [0.1 * 0.9 ** 5])
    assert o.param_groups[0]["initial_lr"] == 0.1


def test_cosine_annealing_and_lambda():
    o = make()
    close(seq(o, S.CosineAnnealingLR(o, T_max=10, eta_min=0.01), 11),
          [0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * e / 10)) / 2 for e in range(11)])
    o = make()
    close(seq(o, S.LambdaLR(o, lambda e: 1.0 / (e + 1)), 4), [0.1, 0.05, 0.1 / 3, 0.025])
    o = make()
    close(seq(o, S.LinearLR(o, start_factor=0.5, total_iters=4), 6), [0.05, 0.0625, 0.075, 0.0875, 0.1, 0.1])


def test_one_cycle():
    o = make(cls=optim.SGD, momentum=0.9)
    total, max_lr = 10, 1.0
    s = S.OneCycleLR(o, max_lr=max_lr, total_steps=total)
    got, moms = [], []
    for _ in range(total):
        got.append(o.param_groups[0]["lr"])
        moms.append(o.param_groups[0]["momentum"])
        o.step()
        s.step() if len(got) < total else None
    init, min_lr = max_lr / 25, max_lr / 25 / 1e4
    up_end = 0.3 * total - 1

    def cos(a, b, pct):
        return b + (a - b) / 2 * (math.cos(math.pi * pct) + 1)

    want = [cos(init, max_lr, t / up_end) if t <= up_end else cos(max_lr, min_lr, (t - up_end) / (total - 1 - up_end))
            for t in range(total)]
    close(got, want)
    assert math.isclose(moms[0], 0.95) and min(moms) == pytest.approx(0.85)
    with pytest.raises(ValueError, match="Tried to step"):
        s.step()
        s.step()
    o = make(cls=optim.Adam)
    S.OneCycleLR(o, max_lr=0.01, epochs=2, steps_per_epoch=5)
    assert o.param_groups[0]["betas"][0] == pytest.approx(0.95)


def test_reduce_on_plateau():
    o = make(lr=1.0)
    s = S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=1, cooldown=1, min_lr=0.2)
    metrics = [5, 4, 4, 4, 4, 4, 4, 4, 4, 4]
    lrs = []
    for m in metrics:
        s.step(m)
        lrs.append(o.param_groups[0]["lr"])
    # bad-epoch count 0,0,1,2 → halve (then one cooldown step resets the count), floored at min_lr
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]
    assert s.get_last_lr() == [lrs[-1]]


def test_state_dict_round_trip():
    o = make()
    s = S.StepLR(o, step_size=2)
    for _ in range(3):
        o.step()
        s.step()
    sd = s.state_dict()
    assert sd["last_epoch"] == 3 and "optimizer" not in sd
    o2 = make()
    s2 = S.StepLR(o2, step_size=5)
    s2.load_state_dict(sd)
    assert s2.last_epoch == 3 and s2.step_size == 2

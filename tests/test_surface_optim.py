"""The Python-composed optimizers and the new schedulers, against trajectories PyTorch
produced for the same problem (tests/data/surface_optim_ref.json, made by
tools/gen_optim_refs.py; no torch import here)."""
import json
import os

import numpy as np
import pytest

import ember
import ember.optim as O
from ember.optim import lr_scheduler as S

REF = json.load(open(os.path.join(os.path.dirname(__file__), "data", "surface_optim_ref.json")))
C = [0.5, 2.0, 1.0, 3.0]
D = [0.1, -0.3, 0.2, 0.0]


def run(cls, steps=6, **kw):
    ember.set_default_dtype(ember.float64)
    try:
        c, d = ember.tensor(C), ember.tensor(D)
        p = ember.nn.Parameter(ember.tensor([1.0, -2.0, 3.0, 0.5]))
        q = ember.nn.Parameter(ember.tensor([[0.3, -0.7], [1.2, 0.4]]))
        opt = cls([p, q], **kw)

        def closure():
            opt.zero_grad()
            loss = (c * p * p).sum() + (d * p).sum() + (q ** 4 * 1.5).sum() + (q[0] * q[1]).sum()
            loss.backward()
            return loss

        for _ in range(steps):
            opt.step(closure)
        return [p.detach().tolist(), q.detach().tolist()], opt
    finally:
        ember.set_default_dtype(ember.float32)


CASES = {
    "Adadelta": (O.Adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.1)),
    "Adadelta_default": (O.Adadelta, dict()),
    "Adamax": (O.Adamax, dict(lr=0.05, weight_decay=0.01)),
    "Adamax_max": (O.Adamax, dict(maximize=True)),
    "NAdam": (O.NAdam, dict(lr=0.05, weight_decay=0.01)),
    "NAdam_dec": (O.NAdam, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    "RAdam": (O.RAdam, dict(lr=0.05)),
    "RAdam_dec": (O.RAdam, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, betas=(0.5, 0.6))),
    "Rprop": (O.Rprop, dict(lr=0.05)),
    "Rprop_max": (O.Rprop, dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(0.01, 0.2), maximize=True)),
    "ASGD": (O.ASGD, dict(lr=0.05, t0=2, lambd=0.01)),
    "Adafactor": (O.Adafactor, dict(lr=0.05)),
    "Adafactor_wd": (O.Adafactor, dict(lr=0.1, weight_decay=0.1, beta2_decay=-0.5, d=1.5)),
    "LBFGS": (O.LBFGS, dict(lr=0.5, max_iter=5)),
    "LBFGS_wolfe": (O.LBFGS, dict(lr=1, max_iter=10, line_search_fn="strong_wolfe")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch_trajectory(name):
    cls, kw = CASES[name]
    got, _ = run(cls, **kw)
    want = REF[name]
    np.testing.assert_allclose(np.array(got[0]), np.array(want[0]), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(np.array(got[1]), np.array(want[1]), rtol=1e-9, atol=1e-11)


def test_asgd_averages_and_schedules():
    ember.set_default_dtype(ember.float64)
    try:
        p = ember.nn.Parameter(ember.tensor([1.0, -2.0]))
        o = O.ASGD([p], lr=0.1, t0=1, lambd=0.01)
        for _ in range(4):
            o.zero_grad()
            ((p - 1.0) ** 2 * ember.tensor([1.0, 3.0])).sum().backward()
            o.step()
        st = o.state[p]
        want_p, want_ax, want_eta, want_mu = REF["ASGD_ax"]
        np.testing.assert_allclose(p.tolist(), want_p, rtol=1e-12)
        np.testing.assert_allclose(st["ax"].tolist(), want_ax, rtol=1e-12)
        assert st["eta"].item() == pytest.approx(want_eta, rel=1e-6)
        assert st["mu"].item() == pytest.approx(want_mu, rel=1e-6)
    finally:
        ember.set_default_dtype(ember.float32)


def test_state_dict_roundtrip_continues_identically():
    a, oa = run(O.NAdam, steps=3, lr=0.05)
    sd = oa.state_dict()
    assert set(sd["state"][0]) == {"step", "mu_product", "exp_avg", "exp_avg_sq"}
    assert sd["param_groups"][0]["momentum_decay"] == 4e-3


@pytest.mark.parametrize("cls,kw,msg", [
    (O.Adadelta, dict(rho=1.5), "Invalid rho value"), (O.Adadelta, dict(lr=-1), "Invalid learning rate"),
    (O.Adamax, dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    (O.NAdam, dict(momentum_decay=-1), "Invalid momentum_decay value"), (O.RAdam, dict(eps=-1), "Invalid epsilon"),
    (O.Rprop, dict(etas=(1.5, 1.2)), "Invalid eta values"), (O.Adafactor, dict(d=0.5), "Clipping threshold d"),
    (O.Adafactor, dict(beta2_decay=0.5), "beta2_decay should be <= 0"),
    (O.LBFGS, dict(line_search_fn="armijo"), "only 'strong_wolfe' is supported"),
])
def test_bad_hyperparameters_raise_value_error(cls, kw, msg):
    with pytest.raises(ValueError, match=msg):
        cls([ember.nn.Parameter(ember.zeros(2))], **kw)


def test_lbfgs_needs_closure_and_one_group():
    p = ember.nn.Parameter(ember.zeros(2))
    with pytest.raises(TypeError):
        O.LBFGS([p]).step()
    with pytest.raises(RuntimeError, match="closure"):
        O.LBFGS([p]).step(None)
    with pytest.raises(ValueError, match="parameter groups"):
        O.LBFGS([{"params": [p]}, {"params": [ember.nn.Parameter(ember.zeros(1))]}])


def test_lbfgs_solves_rosenbrock():
    ember.set_default_dtype(ember.float64)
    try:
        x = ember.nn.Parameter(ember.tensor([-1.5, 2.0]))
        opt = O.LBFGS([x], lr=1, max_iter=200, line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                      tolerance_change=1e-14)

        def closure():
            opt.zero_grad()
            loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
            loss.backward()
            return loss
        for _ in range(3):
            opt.step(closure)
        np.testing.assert_allclose(x.tolist(), [1.0, 1.0], atol=1e-6)
    finally:
        ember.set_default_dtype(ember.float32)


def lr_sequence(make, n=12):
    p = ember.nn.Parameter(ember.zeros(1))
    opt = O.SGD([p], lr=1.0, momentum=0.9)
    s = make(opt)
    seq = [opt.param_groups[0]["lr"]]
    for _ in range(n):
        opt.step()
        s.step()
        seq.append(opt.param_groups[0]["lr"])
    return seq, opt


SCHED = {
    "PolynomialLR": lambda o: S.PolynomialLR(o, total_iters=6, power=2.0),
    "CosineAnnealingWarmRestarts": lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.1),
    "CyclicLR": lambda o: S.CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=3, step_size_down=2),
    "CyclicLR_tri2": lambda o: S.CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=2, mode="triangular2"),
    "CyclicLR_exp": lambda o: S.CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=2, mode="exp_range", gamma=0.9),
    "SequentialLR": lambda o: S.SequentialLR(o, [S.ConstantLR(o, factor=0.5, total_iters=3),
                                                 S.ExponentialLR(o, gamma=0.8)], milestones=[4]),
    "ChainedScheduler": lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=3),
                                                      S.ExponentialLR(o, gamma=0.8)]),
}


@pytest.mark.parametrize("name", sorted(SCHED))
def test_scheduler_matches_pytorch(name):
    seq, _ = lr_sequence(SCHED[name])
    np.testing.assert_allclose(seq, REF["sched"][name], rtol=1e-12, atol=1e-15)


def test_cyclic_momentum_cycles_opposite():
    p = ember.nn.Parameter(ember.zeros(1))
    opt = O.SGD([p], lr=1.0, momentum=0.9)
    s = S.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=3, base_momentum=0.8, max_momentum=0.9)
    mom = [opt.param_groups[0]["momentum"]]
    for _ in range(5):
        opt.step()
        s.step()
        mom.append(opt.param_groups[0]["momentum"])
    np.testing.assert_allclose(mom, REF["cyclic_momentum"], rtol=1e-12)
    with pytest.raises(ValueError, match="momentum"):
        S.CyclicLR(O.Adadelta([ember.nn.Parameter(ember.zeros(1))]), 0.1, 1.0)


def test_scheduler_errors():
    opt = O.SGD([ember.nn.Parameter(ember.zeros(1))], lr=1.0)
    with pytest.raises(ValueError, match="T_0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="T_mult"):
        S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0)
    with pytest.raises(ValueError, match="milestone"):
        S.SequentialLR(opt, [S.ConstantLR(opt), S.ConstantLR(opt)], milestones=[])
    other = O.SGD([ember.nn.Parameter(ember.zeros(1))], lr=1.0)
    with pytest.raises(ValueError, match="same optimizer"):
        S.SequentialLR(opt, [S.ConstantLR(opt), S.ConstantLR(other)], milestones=[2])


@pytest.mark.parametrize("name,kw", [("muon", dict(lr=0.02)),
                                     ("muon_adamw", dict(lr=0.01, nesterov=False, adjust_lr_fn="match_rms_adamw",
                                                         weight_decay=0.0))])
def test_muon_matches_pytorch_bfloat16_newton_schulz(name, kw):
    p = ember.nn.Parameter(ember.tensor([[0.3, -0.7, 0.2], [1.2, 0.4, -0.5]]))
    o = O.Muon([p], **kw)
    for _ in range(3):
        o.zero_grad()
        ((p ** 3).sum() + (p[0] * p[1]).sum()).backward()
        o.step()
    np.testing.assert_allclose(p.tolist(), REF[name], rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="2D parameters"):
        O.Muon([ember.nn.Parameter(ember.zeros(3))])


def test_sparse_adam_matches_pytorch():
    w = ember.nn.Parameter(ember.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [0.5, -0.5]]))
    o = O.SparseAdam([w], lr=0.1)
    for idx in ([0, 2, 2], [1, 3], [0]):
        o.zero_grad()
        rows = ember.tensor(idx)
        # The sparse gradient of embedding(idx, w).pow(2).sum(): 2·w[i] for each occurrence of row i.
        w.grad = ember.sparse_coo_tensor(rows.unsqueeze(0), 2 * w.detach().index_select(0, rows), tuple(w.shape))
        o.step()
    want_w, want_m, want_v = REF["sparse_adam"]
    np.testing.assert_allclose(w.tolist(), want_w, rtol=1e-6)
    np.testing.assert_allclose(o.state[w]["exp_avg"].tolist(), want_m, rtol=1e-6)
    np.testing.assert_allclose(o.state[w]["exp_avg_sq"].tolist(), want_v, rtol=1e-6)
    w.grad = ember.ones(4, 2)
    with pytest.raises(RuntimeError, match="dense gradients"):
        o.step()


def test_swap_in_optimizer_params_and_state():
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    opt = O.Adam([p], lr=0.1)
    p.grad = ember.tensor([1.0, 1.0])
    opt.step()
    live_p, live_state = p.tolist(), opt.state[p]["exp_avg"].tolist()
    q = ember.nn.Parameter(ember.tensor([5.0, 5.0]))
    q.grad = ember.tensor([1.0, -1.0])
    sd = opt.state_dict()
    sd = {"state": {0: {k: v.clone() for k, v in sd["state"][0].items()}}, "param_groups": sd["param_groups"]}
    with O.swap_in_optimizer_params_and_state(opt, {"w": q}, sd):
        opt.step()
    assert q.tolist() != [5.0, 5.0] and p.tolist() == live_p  # only the swapped-in tensors moved
    assert opt.state[p]["exp_avg"].tolist() == live_state and sd["state"][0]["step"].item() == 2
    assert opt.param_groups[0]["params"][0] is p
    with pytest.raises(ValueError, match="expected 1 parameters"):
        with O.swap_in_optimizer_params_and_state(opt, {}, sd):
            pass

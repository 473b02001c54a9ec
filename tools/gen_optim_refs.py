"""Writes the expected optimizer and scheduler trajectories in tests/data/surface_optim_ref.json.

Run once with PyTorch in a scratch venv outside the repo:
    /work/venv-torch/bin/python tools/gen_optim_refs.py > tests/data/surface_optim_ref.json
(ember never imports torch; the tests read only the JSON.)
"""
import torch, json
torch.set_default_dtype(torch.float64)
c = torch.tensor([0.5, 2.0, 1.0, 3.0]); d = torch.tensor([0.1, -0.3, 0.2, 0.0])
def run(cls, steps=6, **kw):
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0, 0.5]))
    q = torch.nn.Parameter(torch.tensor([[0.3, -0.7], [1.2, 0.4]]))
    opt = cls([p, q], **kw)
    def closure():
        opt.zero_grad()
        loss = (c * p * p).sum() + (d * p).sum() + (q ** 4 * 1.5).sum() + (q[0] * q[1]).sum()
        loss.backward()
        return loss
    for _ in range(steps):
        opt.step(closure)
    return [p.detach().tolist(), q.detach().tolist()]
O = torch.optim
cases = {
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
out = {k: run(cls, **kw) for k, (cls, kw) in cases.items()}
# ASGD state ax after steps
p = torch.nn.Parameter(torch.tensor([1.0, -2.0])); o = O.ASGD([p], lr=0.1, t0=1, lambd=0.01)
for _ in range(4):
    o.zero_grad(); ((p - 1.0) ** 2 * torch.tensor([1.0, 3.0])).sum().backward(); o.step()
out["ASGD_ax"] = [p.tolist(), o.state[p]["ax"].tolist(), float(o.state[p]["eta"]), float(o.state[p]["mu"])]
# schedulers
S = O.lr_scheduler
def lrs(make, n=12, opt_kw=None):
    p = torch.nn.Parameter(torch.zeros(1)); opt = O.SGD([p], lr=1.0, momentum=0.9)
    s = make(opt); seq = [opt.param_groups[0]["lr"]]
    for _ in range(n):
        opt.step(); s.step(); seq.append(opt.param_groups[0]["lr"])
    return seq
sch = {
 "PolynomialLR": lambda o: S.PolynomialLR(o, total_iters=6, power=2.0),
 "CosineAnnealingWarmRestarts": lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.1),
 "CyclicLR": lambda o: S.CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=3, step_size_down=2),
 "CyclicLR_tri2": lambda o: S.CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=2, mode="triangular2"),
 "CyclicLR_exp": lambda o: S.CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=2, mode="exp_range", gamma=0.9),
 "SequentialLR": lambda o: S.SequentialLR(o, [S.ConstantLR(o, factor=0.5, total_iters=3), S.ExponentialLR(o, gamma=0.8)], milestones=[4]),
 "ChainedScheduler": lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=3), S.ExponentialLR(o, gamma=0.8)]),
}
out["sched"] = {k: lrs(v) for k, v in sch.items()}
p = torch.nn.Parameter(torch.zeros(1)); opt = O.SGD([p], lr=1.0, momentum=0.9)
s = S.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=3, base_momentum=0.8, max_momentum=0.9)
mom = [opt.param_groups[0]["momentum"]]
for _ in range(5):
    opt.step(); s.step(); mom.append(opt.param_groups[0]["momentum"])
out["cyclic_momentum"] = mom
torch.set_default_dtype(torch.float32)
for name, kw in {"muon": dict(lr=0.02), "muon_adamw": dict(lr=0.01, nesterov=False, adjust_lr_fn="match_rms_adamw",
                                                         weight_decay=0.0)}.items():
    p = torch.nn.Parameter(torch.tensor([[0.3, -0.7, 0.2], [1.2, 0.4, -0.5]]))
    o = torch.optim.Muon([p], **kw)
    for _ in range(3):
        o.zero_grad()
        ((p ** 3).sum() + (p[0] * p[1]).sum()).backward()
        o.step()
    out[name] = p.tolist()
w = torch.nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [0.5, -0.5]]))
o = torch.optim.SparseAdam([w], lr=0.1)
for idx in ([0, 2, 2], [1, 3], [0]):
    o.zero_grad()
    torch.nn.functional.embedding(torch.tensor(idx), w, sparse=True).pow(2).sum().backward()
    o.step()
out["sparse_adam"] = [w.tolist(), o.state[w]["exp_avg"].tolist(), o.state[w]["exp_avg_sq"].tolist()]
print(json.dumps(out))

import ember as torch
from ember.optim.lr_scheduler import StepLR, OneCycleLR, CosineAnnealingWarmRestarts, ReduceLROnPlateau, LambdaLR, MultiStepLR, ExponentialLR, CosineAnnealingLR

def make():
    p = torch.nn.Parameter(torch.zeros(2))
    return torch.optim.SGD([p], lr=0.1, momentum=0.9)

def run(sched_fn, steps=8, metric=None):
    opt = make()
    s = sched_fn(opt)
    lrs = []
    for i in range(steps):
        opt.step()
        if metric is None:
            s.step()
        else:
            s.step(metric[i])
        lrs.append(round(opt.param_groups[0]["lr"], 6))
    return lrs

print(run(lambda o: StepLR(o, step_size=3, gamma=0.5)))
print(run(lambda o: MultiStepLR(o, milestones=[2, 5], gamma=0.1)))
print(run(lambda o: ExponentialLR(o, gamma=0.9)))
print(run(lambda o: CosineAnnealingLR(o, T_max=4, eta_min=0.01)))
print(run(lambda o: OneCycleLR(o, max_lr=1.0, total_steps=10)))
print(run(lambda o: CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2)))
print(run(lambda o: LambdaLR(o, lr_lambda=lambda epoch: 0.95 ** epoch)))
print(run(lambda o: ReduceLROnPlateau(o, mode="min", factor=0.5, patience=1), metric=[1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5]))
opt = make()
s = StepLR(opt, 2)
opt.step(); s.step()
print(s.get_last_lr(), s.state_dict()["last_epoch"])
opt = make()
oc = OneCycleLR(opt, max_lr=0.5, epochs=2, steps_per_epoch=5)
print(round(opt.param_groups[0]["lr"], 6), round(opt.param_groups[0]["momentum"], 4))

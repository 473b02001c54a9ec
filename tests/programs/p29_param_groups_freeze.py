import ember as torch
import ember.nn as nn

torch.manual_seed(0)
backbone = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
head = nn.Linear(8, 2)
model = nn.Sequential(backbone, head)
for p in backbone.parameters():
    p.requires_grad_(False)
opt = torch.optim.SGD([
    {"params": backbone.parameters(), "lr": 1e-4},
    {"params": head.parameters()},
], lr=1e-2, momentum=0.9, weight_decay=5e-4)
print(len(opt.param_groups), [g["lr"] for g in opt.param_groups], opt.param_groups[1]["momentum"])
before = backbone[0].weight.clone()
x = torch.randn(6, 4)
loss = model(x).pow(2).mean()
loss.backward()
opt.step()
print("backbone frozen", torch.equal(before, backbone[0].weight), backbone[0].weight.grad is None)
print("trainable", [n for n, p in model.named_parameters() if p.requires_grad])
for g in opt.param_groups:
    g["lr"] *= 0.1
print([round(g["lr"], 6) for g in opt.param_groups])
opt.add_param_group({"params": [nn.Parameter(torch.zeros(3))], "lr": 0.5})
print(len(opt.param_groups), opt.param_groups[2]["momentum"], opt.param_groups[2]["weight_decay"])
adam = torch.optim.AdamW(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-3, betas=(0.9, 0.98), eps=1e-9)
print(sorted(k for k in adam.defaults.keys() if k in ("lr", "betas", "eps", "weight_decay", "amsgrad")))
print(adam.defaults["weight_decay"], torch.optim.Adam([torch.zeros(1, requires_grad=True)]).defaults["weight_decay"])

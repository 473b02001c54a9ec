import ember as torch
import ember.nn as nn

class Multi(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "reg": nn.Linear(4, 1)})
        self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(4)) for _ in range(2)])
        self.table = nn.ParameterDict({"alpha": nn.Parameter(torch.tensor(0.5))})
        self.register_buffer("steps", torch.tensor(0))

    def forward(self, x):
        for blk, s in zip(self.blocks, self.scales):
            x = torch.relu(blk(x)) * s
        self.steps += 1
        return {k: h(x) * self.table["alpha"] for k, h in self.heads.items()}

m = Multi()
out = m(torch.ones(2, 4))
print({k: tuple(v.shape) for k, v in out.items()}, m.steps.item())
print(len(m.blocks), len(m.scales), list(m.heads.keys()), "alpha" in m.table)
m.blocks.append(nn.Identity())
m.heads["extra"] = nn.Linear(4, 2)
print(len(m.blocks), len(list(m.heads)))
print([n for n, _ in m.named_children()])
print(sum(p.numel() for p in m.parameters()))
m.apply(lambda mod: setattr(mod, "tag", type(mod).__name__))
print(m.blocks[0].tag, m.tag)
print(nn.Sequential(nn.Linear(1, 1), nn.ReLU())[1:].__class__.__name__)
seq = nn.Sequential()
seq.add_module("fc", nn.Linear(2, 2))
seq.append(nn.Tanh())
print(seq)
print(m.get_submodule("heads.cls").out_features, m.get_parameter("scales.0").shape)
m.zero_grad()
print(m.to(torch.float64).scales[0].dtype, m.double().heads["cls"].weight.dtype, m.float().steps.dtype)
print(m.requires_grad_(False).table["alpha"].requires_grad)

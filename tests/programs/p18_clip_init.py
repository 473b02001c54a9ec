import ember as torch
import ember.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))

def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if m.bias is not None:
            nn.init.constant_(m.bias, 0)
    elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)

model.apply(init_weights)
for m in model.modules():
    if isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, mean=0.0, std=0.02)
        m.bias.data.fill_(0.01)
print(model[4].bias[:2].tolist(), model[1].weight.tolist())
x = torch.randn(4, 1, 6, 6)
loss = model(x).pow(2).sum() * 100
loss.backward()
total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5, norm_type=2.0)
print(type(total).__name__, total.dim())
after = torch.norm(torch.stack([p.grad.detach().norm(2) for p in model.parameters()]), 2)
print("clipped", after.item() <= 0.5 + 1e-4)
nn.utils.clip_grad_value_(model.parameters(), clip_value=0.01)
print("value clipped", max(p.grad.abs().max().item() for p in model.parameters()) <= 0.01)
w = torch.empty(3, 5)
nn.init.uniform_(w, a=-0.1, b=0.1)
print(w.abs().max().item() <= 0.1, nn.init.calculate_gain("relu"), nn.init.calculate_gain("leaky_relu", 0.2))
nn.init.trunc_normal_(w, std=0.02)
nn.init.orthogonal_(w)
print(torch.allclose(w @ w.t(), torch.eye(3), atol=1e-5))
nn.init.eye_(w)
print(w.sum().item())

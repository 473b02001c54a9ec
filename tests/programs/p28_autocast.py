import ember as torch
import ember.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
x = torch.randn(4, 8)
with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
    out = model(x)
    loss = out.float().pow(2).mean()
print(out.dtype, loss.dtype)
with torch.cpu.amp.autocast() if hasattr(torch, "cpu") and hasattr(torch.cpu, "amp") else torch.autocast("cpu"):
    y = torch.mm(x, x.t())
print(y.dtype)
with torch.autocast("cpu", enabled=False):
    print(model(x).dtype)
with torch.amp.autocast("cpu", dtype=torch.bfloat16):
    s = torch.softmax(model(x), dim=-1)
print(s.dtype)
loss.backward()
print(model[0].weight.grad.dtype)
scaler = torch.amp.GradScaler("cpu", enabled=False)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
scaler.scale(loss.detach()).item()
print(torch.is_autocast_enabled("cpu") if False else "skip")
xb = x.to(torch.bfloat16)
print(xb.dtype, xb.float().dtype, x.half().dtype, x.bfloat16().dtype)

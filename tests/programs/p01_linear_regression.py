import ember as torch
import ember.nn as nn

torch.manual_seed(0)
X = torch.linspace(-1, 1, 50).unsqueeze(1)
y = 3.0 * X + 0.5 + 0.01 * torch.randn(50, 1)
model = nn.Linear(1, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.MSELoss()
first = None
for epoch in range(200):
    opt.zero_grad()
    loss = loss_fn(model(X), y)
    if first is None:
        first = loss.item()
    loss.backward()
    opt.step()
print("weight close", abs(model.weight.item() - 3.0) < 0.05)
print("bias close", abs(model.bias.item() - 0.5) < 0.05)
print("loss decreased", loss.item() < first)
print(model.weight.shape, model.bias.shape, model.weight.dtype)
with torch.no_grad():
    pred = model(torch.tensor([[2.0]]))
print("pred shape", tuple(pred.shape), pred.requires_grad)

import ember as torch
import ember.nn.functional as F

torch.manual_seed(1)
n = 64
X = torch.randn(n, 2)
y = (X[:, 0] + X[:, 1] > 0).float()
w = torch.zeros(2, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
opt = torch.optim.Adam([w, b], lr=0.1)
losses = []
for step in range(100):
    logits = X @ w + b
    loss = F.binary_cross_entropy_with_logits(logits, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
pred = (torch.sigmoid(X @ w + b) > 0.5).float()
acc = (pred == y).float().mean().item()
print("acc > 0.9", acc > 0.9)
print("loss decreased", losses[-1] < losses[0])
print("w sign", torch.sign(w.detach()).tolist())
print("dtype", pred.dtype, y.dtype, (pred == y).dtype)
x = torch.tensor([[0.5, -2.0], [1.0, 1.0]])
print(F.binary_cross_entropy(torch.sigmoid(x), torch.ones_like(x), reduction="none").round(decimals=4))
print(F.binary_cross_entropy_with_logits(x, torch.ones_like(x), pos_weight=torch.tensor([2.0, 1.0])).item() > 0)

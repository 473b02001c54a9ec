import ember as torch

x = torch.ones(2, 2, requires_grad=True)
with torch.no_grad():
    y = x * 2
print(y.requires_grad, torch.is_grad_enabled())
with torch.inference_mode():
    z = x * 2
print(z.requires_grad, z.is_inference())
@torch.no_grad()
def f(t):
    return t + 1
print(f(x).requires_grad)
torch.set_grad_enabled(False)
print((x * 1).requires_grad)
torch.set_grad_enabled(True)
with torch.enable_grad():
    print((x * 1).requires_grad)
with torch.set_grad_enabled(False):
    print((x * 1).requires_grad)
d = x.detach()
d.add_(1)
print(x[0, 0].item())
w = torch.zeros(3, requires_grad=True)
with torch.no_grad():
    w -= 0.1 * torch.ones(3)
print(w.tolist(), w.requires_grad, w.is_leaf)
print(x.data.requires_grad, x.requires_grad_(False).requires_grad)

import ember as torch
import ember.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
acts = {}

def save_act(name):
    def hook(module, inp, out):
        acts[name] = out.detach()
    return hook

h1 = model[0].register_forward_hook(save_act("fc1"))
calls = []
h2 = model[2].register_forward_pre_hook(lambda m, inp: calls.append(tuple(inp[0].shape)))
grads = []
h3 = model[0].register_full_backward_hook(lambda m, gin, gout: grads.append(gout[0].shape))
x = torch.randn(5, 3, requires_grad=True)
out = model(x)
out.sum().backward()
print(acts["fc1"].shape, calls, grads)
h1.remove(); h2.remove(); h3.remove()
model(x)
print(len(calls))
t = torch.ones(2, requires_grad=True)
t.register_hook(lambda g: g * 2)
(t * 3).sum().backward()
print(t.grad.tolist())
mod = nn.Linear(2, 2)
def pre(m, args):
    return (args[0] * 0,)
mod.register_forward_pre_hook(pre)
print(torch.equal(mod(torch.ones(1, 2)), mod.bias.unsqueeze(0)))
def fwd(m, args, output):
    return output + 1
h = mod.register_forward_hook(fwd)
print(torch.allclose(mod(torch.ones(1, 2)), mod.bias + 1))
h.remove()

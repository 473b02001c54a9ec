import ember as torch
import ember.nn as nn
import ember.nn.utils.parametrize as P

class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)

torch.manual_seed(0)
layer = nn.Linear(3, 3)
P.register_parametrization(layer, "weight", Symmetric())
W = layer.weight
print(torch.allclose(W, W.T), P.is_parametrized(layer), P.is_parametrized(layer, "bias"))
print(sorted(n for n, _ in layer.named_parameters()))
layer(torch.randn(2, 3)).sum().backward()
print(layer.parametrizations.weight.original.grad.shape)
P.remove_parametrizations(layer, "weight", leave_parametrized=True)
print(P.is_parametrized(layer), torch.allclose(layer.weight, layer.weight.T))
wn = nn.utils.weight_norm(nn.Linear(4, 2), name="weight")
print(sorted(n for n, _ in wn.named_parameters()), wn.weight_g.shape)
out = wn(torch.ones(1, 4))
print(out.shape)
nn.utils.remove_weight_norm(wn)
print(sorted(n for n, _ in wn.named_parameters()))
sn = nn.utils.spectral_norm(nn.Linear(5, 5))
sn(torch.randn(2, 5))
print("weight_orig" in dict(sn.named_parameters()))
v = nn.utils.parameters_to_vector(nn.Linear(2, 2).parameters())
print(v.shape)

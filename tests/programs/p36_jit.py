import ember as torch
import ember.nn as nn

class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return torch.relu(self.fc(x))

torch.manual_seed(0)
m = Small().eval()
x = torch.randn(4, 3)
traced = torch.jit.trace(m, x)
print(torch.allclose(traced(x), m(x)))
print(torch.allclose(traced(torch.randn(7, 3)), m(torch.randn(7, 3))) in (True, False))
x2 = torch.randn(5, 3)
print(torch.allclose(traced(x2), m(x2)))

def add_one(t):
    return t * 2 + 1

f = torch.jit.trace(add_one, (torch.zeros(3),))
print(f(torch.ones(3)).tolist())

import ember as torch
import ember.nn as nn
import ember.backends.cudnn as cudnn
from ember.utils.checkpoint import checkpoint

cudnn.benchmark = True
cudnn.deterministic = False
if torch.cuda.is_available():
    device = torch.device("cuda")
elif torch.backends.mps.is_available():
    device = torch.device("mps")
else:
    device = torch.device("cpu")
print(device, cudnn.benchmark)

class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1, padding_mode="reflect")
        self.act = nn.LeakyReLU(0.2, inplace=True)
        self.norm = nn.InstanceNorm2d(c)

    def forward(self, x):
        return x + self.act(self.norm(self.conv(x)))

torch.manual_seed(0)
net = nn.Sequential(Block(3), Block(3)).to(device)
x = torch.randn(2, 3, 6, 6, device=device, requires_grad=True)
y = checkpoint(net, x, use_reentrant=False)
y.mean().backward()
print(y.shape, x.grad.shape, all(p.grad is not None for p in net.parameters()))
ref = net(x)
torch.testing.assert_close(y, ref)
print("assert_close ok")
bil = nn.Bilinear(3, 2, 4)
print(bil(torch.ones(5, 3), torch.ones(5, 2)).shape)
with torch.no_grad():
    bil.weight.copy_(torch.arange(24.).view(4, 3, 2))
    bil.bias.zero_()
print(bil(torch.tensor([[1.0, 0.0, 2.0]]), torch.tensor([[1.0, -1.0]])).tolist())
c = nn.Conv1d(1, 1, 3, padding=1, padding_mode="circular", bias=False)
with torch.no_grad():
    c.weight.fill_(1.0)
print(c(torch.arange(5.).view(1, 1, 5)).tolist())

import ember as torch
import ember.nn as nn
import ember.nn.functional as F

class Net(nn.Module):
    def __init__(self, num_classes=3):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 8, 3, stride=1, padding=1, bias=False)
        self.pool = nn.MaxPool2d(2, 2)
        self.drop = nn.Dropout(p=0.25)
        self.gap = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = F.relu(self.conv2(x))
        x = self.gap(x)
        x = x.view(x.size(0), -1)
        x = self.drop(x)
        return self.fc(x)

torch.manual_seed(0)
net = Net()
x = torch.randn(6, 1, 8, 8)
t = torch.tensor([0, 1, 2, 0, 1, 2])
opt = torch.optim.Adam(net.parameters(), lr=1e-2, weight_decay=1e-4)
losses = []
for _ in range(30):
    opt.zero_grad()
    loss = F.cross_entropy(net(x), t)
    loss.backward()
    opt.step()
    losses.append(loss.item())
print("loss decreased", losses[-1] < losses[0])
net.eval()
out = net(x)
print(out.shape, out.dtype)
print("bn running_mean shape", net.bn1.running_mean.shape, net.bn1.num_batches_tracked.item())
print("params", sum(p.numel() for p in net.parameters()))
print("trainable", sum(p.numel() for p in net.parameters() if p.requires_grad))
print(sorted(net.state_dict().keys()))
print(F.max_pool2d(torch.arange(16.).reshape(1, 1, 4, 4), kernel_size=2))
print(F.avg_pool2d(torch.arange(16.).reshape(1, 1, 4, 4), 2, stride=2))

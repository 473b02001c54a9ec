import ember as torch
import ember.nn as nn

class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super(BasicBlock, self).__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes),
            )

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return self.relu(out)

torch.manual_seed(0)
model = nn.Sequential(BasicBlock(3, 8, stride=2), BasicBlock(8, 8), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))
x = torch.randn(2, 3, 16, 16)
y = model(x)
print(y.shape)
y.sum().backward()
print("all grads", all(p.grad is not None for p in model.parameters()))
print(len(list(model.modules())), len(list(model.children())))
names = [n for n, _ in model.named_modules()]
print(names[:6])
print(isinstance(model[0].shortcut, nn.Sequential), len(model[0].shortcut), len(model[1].shortcut))
print(model[-1])

"""Models the export tests share: the lecture's MLP and a small CNN."""
import ember
import ember.nn as nn


class LectureNet(nn.Module):
    """demo/main.py's model: 784 → 100 → 50 → 20 → out, ReLU after the first three."""

    def __init__(self, out_features=10):
        super().__init__()
        self.layer1 = nn.Linear(28 * 28, 100)
        self.layer2 = nn.Linear(100, 50)
        self.layer3 = nn.Linear(50, 20)
        self.layer4 = nn.Linear(20, out_features)

    def forward(self, img):
        flattened = img.view(-1, 28 * 28)
        activation1 = self.layer1(flattened).relu()
        activation2 = self.layer2(activation1).relu()
        activation3 = self.layer3(activation2).relu()
        return self.layer4(activation3)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(16 * 7 * 7, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x):
        return self.head(self.features(x))


def trained_cnn(seed=0):
    """A CNN whose batch-norm statistics are not the defaults (a few training steps)."""
    ember.manual_seed(seed)
    m = SmallCNN()
    with ember.no_grad():
        for _ in range(2):
            m(ember.randn(16, 1, 28, 28))
    return m.eval()


def lecture_net(seed=0):
    ember.manual_seed(seed)
    return LectureNet().eval()


BATCHES = (1, 2, 7, 64)

import ember as torch
from ember import nn
from ember.utils.data import TensorDataset, DataLoader, random_split

torch.manual_seed(0)
X = torch.randn(120, 4)
y = (X.sum(dim=1) > 0).long()
ds = TensorDataset(X, y)
train_ds, val_ds = random_split(ds, [100, 20])
print(len(train_ds), len(val_ds))
train_loader = DataLoader(train_ds, batch_size=16, shuffle=True)
val_loader = DataLoader(val_ds, batch_size=8)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
first = last = None
for epoch in range(15):
    model.train()
    total = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        out = model(xb)
        loss = criterion(out, yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * xb.size(0)
    avg = total / len(train_loader.dataset)
    first = avg if first is None else first
    last = avg
model.eval()
correct = 0
with torch.no_grad():
    for xb, yb in val_loader:
        correct += (model(xb).argmax(dim=1) == yb).sum().item()
print("batches", len(train_loader), len(val_loader))
print("loss decreased", last < first)
print("val acc ok", correct / len(val_ds) >= 0.7)
xb, yb = next(iter(val_loader))
print(xb.shape, yb.dtype, type(correct).__name__)

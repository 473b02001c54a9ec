import io
import os
import tempfile
import ember as torch
import ember.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(8, 3)
loss = model(x).sum()
loss.backward()
opt.step()
ckpt = {"epoch": 3, "model_state_dict": model.state_dict(), "optimizer_state_dict": opt.state_dict(), "loss": loss.item()}
buf = io.BytesIO()
torch.save(ckpt, buf)
buf.seek(0)
loaded = torch.load(buf, weights_only=False)
model2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
opt2 = torch.optim.Adam(model2.parameters(), lr=1e-3)
res = model2.load_state_dict(loaded["model_state_dict"])
print(res)
opt2.load_state_dict(loaded["optimizer_state_dict"])
print(loaded["epoch"], type(loaded["loss"]).__name__)
model.eval(); model2.eval()
print("same output", torch.equal(model(x), model2(x)))
print(sorted(opt2.state_dict()["state"].keys()), opt2.state_dict()["param_groups"][0]["lr"])
print(sorted(opt2.state_dict()["state"][0].keys()))
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "model.pt")
    torch.save(model.state_dict(), path)
    sd = torch.load(path, map_location="cpu")
    print(list(sd.keys()))
    torch.save([torch.arange(3), {"k": torch.ones(2, dtype=torch.float64)}], path)
    obj = torch.load(path, map_location=torch.device("cpu"), weights_only=True)
    print(obj[0].tolist(), obj[1]["k"].dtype)

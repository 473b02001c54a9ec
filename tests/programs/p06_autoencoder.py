import ember as torch
from ember import nn, optim

torch.manual_seed(0)
encoder = nn.Sequential(nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3))
decoder = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 16), nn.Sigmoid())
ae = nn.Sequential(encoder, decoder)
data = torch.rand(32, 16)
opt = optim.Adam(ae.parameters(), lr=0.01)
crit = nn.MSELoss(reduction="mean")
hist = []
for i in range(60):
    recon = ae(data)
    loss = crit(recon, data)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    hist.append(loss.item())
print("loss decreased", hist[-1] < hist[0])
z = encoder(data[:4])
print(z.shape, recon.min().item() >= 0, recon.max().item() <= 1)
print(type(ae[0][1]).__name__, ae[1][-1])
print(data.clamp(0.2, 0.8).min().item() >= 0.2, data.clamp(max=0.5).max().item() <= 0.5)

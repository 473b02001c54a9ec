import ember as torch
import ember.nn as nn
import ember.nn.functional as F

class VAE(nn.Module):
    def __init__(self, d=10, h=16, z=2):
        super().__init__()
        self.fc1 = nn.Linear(d, h)
        self.fc_mu = nn.Linear(h, z)
        self.fc_logvar = nn.Linear(h, z)
        self.fc3 = nn.Linear(z, h)
        self.fc4 = nn.Linear(h, d)

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 10))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar

def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 10), reduction='sum')
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld

torch.manual_seed(0)
model = VAE()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
x = torch.rand(20, 10)
ls = []
for _ in range(40):
    opt.zero_grad()
    r, mu, lv = model(x)
    loss = loss_function(r, x, mu, lv)
    loss.backward()
    opt.step()
    ls.append(loss.item())
print("loss decreased", ls[-1] < ls[0])
print(r.shape, mu.shape, lv.shape)
with torch.no_grad():
    sample = model.decode(torch.randn(5, 2))
print(sample.shape, sample.requires_grad)
mu = torch.tensor([[0.5, -0.5]]); lv = torch.tensor([[0.1, -0.2]])
print(round((-0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())).item(), 5))

import random
import ember as torch
import ember.nn as nn

class Encoder(nn.Module):
    def __init__(self, V, H):
        super().__init__()
        self.emb = nn.Embedding(V, H)
        self.gru = nn.GRU(H, H)

    def forward(self, src):
        _, h = self.gru(self.emb(src))
        return h

class Decoder(nn.Module):
    def __init__(self, V, H):
        super().__init__()
        self.emb = nn.Embedding(V, H)
        self.gru = nn.GRU(H, H)
        self.out = nn.Linear(H, V)

    def forward(self, tok, h):
        o, h = self.gru(self.emb(tok.unsqueeze(0)), h)
        return self.out(o.squeeze(0)), h

random.seed(0)
torch.manual_seed(0)
V, H, T, B = 12, 16, 5, 4
enc, dec = Encoder(V, H), Decoder(V, H)
params = list(enc.parameters()) + list(dec.parameters())
opt = torch.optim.Adam(params, lr=0.01)
src = torch.randint(2, V, (T, B))
trg = src.flip(0)
crit = nn.CrossEntropyLoss()
hist = []
for it in range(30):
    h = enc(src)
    tok = torch.zeros(B, dtype=torch.long)
    outputs = torch.zeros(T, B, V)
    for t in range(T):
        logit, h = dec(tok, h)
        outputs[t] = logit
        teacher = random.random() < 0.5
        tok = trg[t] if teacher else logit.argmax(1)
    loss = crit(outputs.view(-1, V), trg.reshape(-1))
    opt.zero_grad(); loss.backward(); opt.step()
    hist.append(loss.item())
print("loss decreased", hist[-1] < hist[0])
print(outputs.shape, tok.dtype, h.shape)
print(torch.flip(torch.arange(6).view(2, 3), dims=[1]).tolist())

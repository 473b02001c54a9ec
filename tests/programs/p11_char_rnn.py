import ember as torch
import ember.nn as nn
import ember.nn.functional as F

text = "hello world hello there"
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
itos = {i: c for c, i in stoi.items()}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
V = len(chars)

class CharRNN(nn.Module):
    def __init__(self, V, H):
        super().__init__()
        self.emb = nn.Embedding(V, H)
        self.rnn = nn.LSTM(H, H, batch_first=True)
        self.head = nn.Linear(H, V)

    def forward(self, x, state=None):
        y, state = self.rnn(self.emb(x), state)
        return self.head(y), state

torch.manual_seed(0)
m = CharRNN(V, 16)
opt = torch.optim.AdamW(m.parameters(), lr=0.02)
inp, tgt = data[:-1].unsqueeze(0), data[1:].unsqueeze(0)
ls = []
for _ in range(60):
    logits, _ = m(inp)
    loss = F.cross_entropy(logits.view(-1, V), tgt.view(-1))
    opt.zero_grad(); loss.backward(); opt.step()
    ls.append(loss.item())
print("loss decreased", ls[-1] < ls[0] * 0.5)
m.eval()
idx = torch.tensor([[stoi["h"]]])
state = None
out = []
with torch.no_grad():
    for _ in range(10):
        logits, state = m(idx, state)
        probs = F.softmax(logits[:, -1, :] / 0.8, dim=-1)
        idx = torch.multinomial(probs, num_samples=1)
        out.append(itos[idx.item()])
print(len(out), idx.shape, idx.dtype)
p = torch.tensor([0.0, 0.0, 1.0, 0.0])
print(torch.multinomial(p, 3, replacement=True).tolist())
print(torch.multinomial(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), 1).tolist())

import math
import ember as torch
import ember.nn as nn

class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=50):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer('pe', pe)

    def forward(self, x):
        return x + self.pe[:x.size(0)]

class Classifier(nn.Module):
    def __init__(self, vocab=20, d=16, nhead=2, n_cls=3):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = PositionalEncoding(d)
        layer = nn.TransformerEncoderLayer(d_model=d, nhead=nhead, dim_feedforward=32, dropout=0.1, batch_first=False)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.fc = nn.Linear(d, n_cls)

    def forward(self, src, pad_mask):
        x = self.pos(self.emb(src) * math.sqrt(16))
        x = self.encoder(x, src_key_padding_mask=pad_mask)
        return self.fc(x.mean(dim=0))

torch.manual_seed(0)
src = torch.randint(1, 20, (7, 4))
pad_mask = torch.zeros(4, 7, dtype=torch.bool)
pad_mask[0, 5:] = True
model = Classifier()
out = model(src, pad_mask)
print(out.shape)
mask = nn.Transformer.generate_square_subsequent_mask(4)
print(mask)
causal = torch.triu(torch.ones(4, 4), diagonal=1).bool()
print(causal)
y = torch.tensor([0, 1, 2, 0])
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss = nn.CrossEntropyLoss()(out, y)
loss.backward()
opt.step()
print("pe buffer", "pos.pe" in model.state_dict(), model.pos.pe.shape)
print(len(model.encoder.layers), type(model.encoder.layers[0].self_attn).__name__)
model.eval()
with torch.no_grad():
    a = model(src, pad_mask)
    b = model(src, pad_mask)
print("eval deterministic", torch.equal(a, b))

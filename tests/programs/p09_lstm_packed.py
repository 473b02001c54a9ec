import ember as torch
import ember.nn as nn
from ember.nn.utils.rnn import pad_sequence, pack_padded_sequence, pad_packed_sequence

class SeqClassifier(nn.Module):
    def __init__(self, vocab, emb, hidden, n_cls):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, hidden, num_layers=1, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, n_cls)

    def forward(self, x, lengths):
        e = self.embedding(x)
        packed = pack_padded_sequence(e, lengths, batch_first=True, enforce_sorted=False)
        out, (h, c) = self.lstm(packed)
        out, out_lens = pad_packed_sequence(out, batch_first=True)
        feat = torch.cat([h[-2], h[-1]], dim=1)
        return self.fc(feat), out, out_lens

torch.manual_seed(0)
seqs = [torch.tensor([3, 4, 5]), torch.tensor([1, 2]), torch.tensor([6, 7, 8, 9])]
lengths = torch.tensor([len(s) for s in seqs])
padded = pad_sequence(seqs, batch_first=True)
print(padded)
model = SeqClassifier(10, 6, 5, 2)
logits, out, out_lens = model(padded, lengths)
print(logits.shape, out.shape, out_lens.tolist())
print("padding zero", out[1, 2:].abs().sum().item() == 0)
labels = torch.tensor([0, 1, 0])
opt = torch.optim.Adam(model.parameters(), lr=0.05)
first = None
for _ in range(20):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(padded, lengths)[0], labels)
    first = first if first is not None else loss.item()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()
print("loss decreased", loss.item() < first)
print(pad_sequence(seqs, padding_value=-1).shape)
print(model.embedding.weight[0].abs().sum().item())

import ember as torch
from ember.utils.data import Dataset, DataLoader
from ember.nn.utils.rnn import pad_sequence

class ToyText(Dataset):
    def __init__(self, n=10):
        self.items = [(list(range(1, (i % 4) + 2)), i % 2) for i in range(n)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        toks, label = self.items[idx]
        return torch.tensor(toks), label

def collate_fn(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    return pad_sequence(seqs, batch_first=True, padding_value=0), lengths, torch.tensor(labels)

ds = ToyText()
loader = DataLoader(ds, batch_size=4, shuffle=False, collate_fn=collate_fn, drop_last=False)
for x, lens, y in loader:
    print(x.tolist(), lens.tolist(), y.tolist(), y.dtype)
default = DataLoader([(torch.ones(2), 1.5, {"a": i}) for i in range(3)], batch_size=2)
b = next(iter(default))
print(b[0].shape, b[1], b[1].dtype, b[2]["a"])
print(len(loader), len(DataLoader(ds, batch_size=4, drop_last=True)))
d2 = DataLoader(ds, batch_size=3, collate_fn=lambda b: [t for t, _ in b])
print([len(z) for z in d2])

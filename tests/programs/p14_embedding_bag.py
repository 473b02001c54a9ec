import ember as torch
import ember.nn as nn

torch.manual_seed(0)
emb = nn.Embedding(10, 3)
w = emb.weight.detach().clone()
idx = torch.LongTensor([[1, 2], [4, 5]])
print(emb(idx).shape, torch.equal(emb(idx)[0, 0], w[1]))
bag = nn.EmbeddingBag(10, 3, mode="mean")
with torch.no_grad():
    bag.weight.copy_(torch.arange(30, dtype=torch.float32).view(10, 3))
inp = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9])
offsets = torch.tensor([0, 4])
print(bag(inp, offsets).detach())
bag_sum = nn.EmbeddingBag.from_pretrained(torch.arange(30.).view(10, 3), mode="sum")
print(bag_sum(torch.tensor([[0, 1], [2, 3]])))
pre = nn.Embedding.from_pretrained(torch.eye(4), freeze=True)
print(pre.weight.requires_grad, pre(torch.tensor([3])).tolist())
e2 = nn.Embedding(5, 2, max_norm=1.0)
print(e2(torch.tensor([0, 1])).norm(dim=1).max().item() <= 1.0 + 1e-6)
print(nn.functional.embedding(torch.tensor([1, 0]), torch.arange(6.).view(3, 2)))

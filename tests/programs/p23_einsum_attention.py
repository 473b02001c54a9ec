import math
import ember as torch
import ember.nn.functional as F

q = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 10
k = q.flip(1)
v = q * 2
scores = torch.bmm(q, k.transpose(1, 2)) / math.sqrt(q.size(-1))
attn = F.softmax(scores, dim=-1)
out = torch.bmm(attn, v)
out2 = torch.einsum("bqd,bkd->bqk", q, k).div(math.sqrt(4)).softmax(-1)
out2 = torch.einsum("bqk,bkd->bqd", out2, v)
print(out.shape, torch.allclose(out, out2, atol=1e-6))
print(out[0].round(decimals=3))
mask = torch.tril(torch.ones(3, 3))
masked = scores.masked_fill(mask == 0, float("-inf"))
print(F.softmax(masked, dim=-1)[0].round(decimals=3))
print(torch.einsum("ii->i", torch.arange(9.).view(3, 3)).tolist(), torch.einsum("ij->", torch.ones(2, 3)).item())
print(torch.einsum("i,j->ij", torch.tensor([1., 2.]), torch.tensor([3., 4., 5.])).tolist())
print(torch.matmul(q, k.transpose(-2, -1)).shape, (q @ k.mT).shape, torch.baddbmm(torch.zeros(2, 3, 3), q, k.permute(0, 2, 1)).shape)
print(torch.einsum('bhqd,bhkd->bhqk', [torch.ones(1, 2, 3, 4), torch.ones(1, 2, 5, 4)]).shape)

import ember as torch
import ember.nn as nn
import ember.nn.functional as F

torch.manual_seed(0)
mha = nn.MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True)
q = torch.randn(2, 3, 8)
kv = torch.randn(2, 5, 8)
out, w = mha(q, kv, kv)
print(out.shape, w.shape)
print("weights sum 1", torch.allclose(w.sum(-1), torch.ones(2, 3)))
out2, w2 = mha(q, kv, kv, need_weights=True, average_attn_weights=False)
print(w2.shape)
kpm = torch.tensor([[False, False, False, True, True], [False] * 5])
out3, w3 = mha(q, kv, kv, key_padding_mask=kpm)
print("masked zero", w3[0, :, 3:].abs().max().item() == 0.0)
o4, none = mha(q, q, q, need_weights=False)
print(o4.shape, none)
attn_mask = torch.triu(torch.full((3, 3), float("-inf")), diagonal=1)
o5, w5 = mha(q, q, q, attn_mask=attn_mask)
print("causal", w5[:, 0, 1:].abs().max().item() == 0.0)
Q = torch.arange(12.).reshape(1, 1, 3, 4) / 10
sdpa = F.scaled_dot_product_attention(Q, Q, Q, is_causal=True)
print(sdpa.round(decimals=4))
print(mha.in_proj_weight.shape, mha.out_proj.weight.shape)

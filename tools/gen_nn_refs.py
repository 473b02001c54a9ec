"""Writes tests/data/surface_nn_ref.json: inputs, weights (state_dict) and outputs of PyTorch
layers, so tests/test_surface_nn.py can check ember's layers against PyTorch without importing it.

Run once with PyTorch in a scratch venv outside the repo:
    /work/venv-torch/bin/python tools/gen_nn_refs.py > tests/data/surface_nn_ref.json
"""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def L(t):
    if isinstance(t, (tuple, list)):
        return [L(v) for v in t]
    return t.detach().tolist() if isinstance(t, torch.Tensor) else t


def sd(m):
    return {k: L(v) for k, v in m.state_dict().items()}


out = {}


def case(name, module, inputs, kwargs=None, train=False):
    module.train(train)
    with torch.no_grad():
        res = module(*inputs, **(kwargs or {}))
    flat = []

    def walk(r):
        if isinstance(r, torch.Tensor):
            flat.append(L(r))
        elif isinstance(r, (tuple, list)):
            for x in r:
                walk(x)
        elif r is None:
            flat.append(None)
    walk(res)
    out[name] = {"state": sd(module), "inputs": [L(i) for i in inputs], "outputs": flat}


x = torch.randn(4, 3, 5)
case("lstm_bi2_proj", nn.LSTM(5, 6, num_layers=2, bidirectional=True, proj_size=3), [x])
case("gru_bf", nn.GRU(5, 4, batch_first=True), [torch.randn(3, 4, 5), torch.randn(1, 3, 4)])
case("rnn_relu", nn.RNN(5, 4, nonlinearity="relu", num_layers=2), [x])
case("lstm_unbatched", nn.LSTM(5, 4), [torch.randn(6, 5)])
case("lstmcell", nn.LSTMCell(5, 4), [torch.randn(3, 5), (torch.randn(3, 4), torch.randn(3, 4))])
case("grucell", nn.GRUCell(5, 4), [torch.randn(3, 5), torch.randn(3, 4)])
case("rnncell", nn.RNNCell(5, 4, nonlinearity="relu"), [torch.randn(5), torch.randn(4)])

# packed, unsorted lengths, bidirectional GRU
seqs = [torch.randn(n, 3) for n in (2, 5, 3)]
packed = nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
g = nn.GRU(3, 4, bidirectional=True)
with torch.no_grad():
    po, ph = g(packed)
pad, lens = nn.utils.rnn.pad_packed_sequence(po, batch_first=True)
out["gru_packed"] = {"state": sd(g), "seqs": [L(s) for s in seqs], "padded": L(pad), "lengths": L(lens), "h": L(ph),
                     "batch_sizes": L(po.batch_sizes), "sorted_indices": L(po.sorted_indices)}

q, k, v = torch.randn(4, 2, 8), torch.randn(6, 2, 8), torch.randn(6, 2, 8)
mha = nn.MultiheadAttention(8, 2)
kpm = torch.tensor([[False, False, False, False, True, True], [False] * 6])
am = torch.randn(4, 6)
case("mha", mha, [q, k, v], dict(key_padding_mask=kpm, attn_mask=am))
out["mha"]["attn_mask"], out["mha"]["key_padding_mask"] = L(am), L(kpm)
case("mha_kv", nn.MultiheadAttention(8, 4, kdim=5, vdim=3, add_bias_kv=True, add_zero_attn=True, batch_first=True),
     [torch.randn(2, 4, 8), torch.randn(2, 6, 5), torch.randn(2, 6, 3)], dict(average_attn_weights=False))
enc = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
case("enc_layer", enc, [torch.randn(5, 2, 8)], dict(src_mask=nn.Transformer.generate_square_subsequent_mask(5)))
case("enc_layer_nf", nn.TransformerEncoderLayer(8, 2, 16, 0.0, activation="gelu", norm_first=True, batch_first=True),
     [torch.randn(2, 5, 8)], dict(src_key_padding_mask=torch.tensor([[False] * 4 + [True], [False] * 5])))
case("dec_layer", nn.TransformerDecoderLayer(8, 2, 16, 0.0), [torch.randn(3, 2, 8), torch.randn(5, 2, 8)],
     dict(tgt_mask=nn.Transformer.generate_square_subsequent_mask(3)))
case("transformer", nn.Transformer(8, 2, 1, 1, 16, 0.0), [torch.randn(5, 2, 8), torch.randn(3, 2, 8)])
qs, ks, vs = torch.randn(2, 3, 4, 5), torch.randn(2, 3, 6, 5), torch.randn(2, 3, 6, 7)
out["sdpa"] = {"q": L(qs), "k": L(ks), "v": L(vs), "mask": L(torch.rand(4, 6) > 0.3),
               "plain": L(F.scaled_dot_product_attention(qs, ks, vs))}
out["sdpa"]["masked"] = L(F.scaled_dot_product_attention(qs, ks, vs, attn_mask=torch.tensor(out["sdpa"]["mask"])))
out["sdpa"]["causal"] = L(F.scaled_dot_product_attention(qs, ks, vs, is_causal=True, scale=0.3))

case("convT2d", nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2,
                                   dilation=(1, 2)), [torch.randn(2, 4, 3, 4)])
case("convT1d", nn.ConvTranspose1d(3, 2, 4, stride=3, padding=2), [torch.randn(2, 3, 5)])
case("convT3d", nn.ConvTranspose3d(2, 3, 2, stride=2, bias=False), [torch.randn(1, 2, 2, 3, 2)])
case("conv3d", nn.Conv3d(4, 6, (2, 3, 2), stride=(2, 1, 2), padding=(1, 1, 0), dilation=(1, 2, 1), groups=2),
     [torch.randn(2, 4, 5, 6, 5)])
case("conv3d_same", nn.Conv3d(2, 3, 3, padding="same"), [torch.randn(1, 2, 4, 4, 4)])
x3 = torch.randn(2, 2, 5, 6, 7)
mp, mi = F.max_pool3d(x3, (2, 3, 2), stride=(2, 2, 3), padding=(1, 1, 0), ceil_mode=True, return_indices=True)
out["pool3d"] = {"x": L(x3), "max": L(mp), "idx": L(mi),
                 "avg": L(F.avg_pool3d(x3, 3, 2, 1, ceil_mode=True)),
                 "avg_nopad": L(F.avg_pool3d(x3, 3, 2, 1, count_include_pad=False)),
                 "avg_div": L(F.avg_pool3d(x3, 2, divisor_override=3)),
                 "amax": L(F.adaptive_max_pool3d(x3, (2, 3, 4))), "aavg": L(F.adaptive_avg_pool3d(x3, (3, 2, 5))),
                 "lp": L(F.lp_pool3d(x3.abs(), 2, 2)), "lp2d": L(F.lp_pool2d(x3[:, :, 0], 3, (2, 3), ceil_mode=True)),
                 "unpool": L(F.max_unpool3d(mp, mi, (2, 3, 2), stride=(2, 2, 3), padding=(1, 1, 0),
                                           output_size=x3.shape[2:])),
                 "maxdil": L(F.max_pool3d(x3, 2, 1, 0, dilation=2))}
x2 = torch.randn(2, 3, 5, 6)
_, i2 = F.adaptive_max_pool2d(x2, (2, 4), return_indices=True)
out["misc"] = {"x2": L(x2), "amax2d_idx": L(i2),
               "lrn": L(F.local_response_norm(x2, 3, 1e-2, 0.6, 2.0)),
               "shuffle": L(F.channel_shuffle(torch.randn(1, 6, 2, 2).pow(1), 3)),
               "pdist": L(F.pdist(x2[0, 0], 1.5)),
               "inorm": L(F.instance_norm(x2, weight=torch.ones(3) * 2, bias=torch.ones(3))),
               "softshrink": L(F.softshrink(x2, 0.7)), "hardshrink": L(F.hardshrink(x2, 0.7))}
pads = {}
for mode in ("reflect", "replicate", "circular", "constant"):
    pads[mode] = L(F.pad(x3, (1, 2, 2, 1, 1, 0), mode=mode))
out["pads"] = pads

lp = torch.randn(7, 3, 5).log_softmax(2)
tg = torch.tensor([[1, 2, 2], [3, 1, 0], [4, 4, 4]])
il, tl = torch.tensor([7, 6, 7]), torch.tensor([3, 2, 3])
out["ctc"] = {"lp": L(lp), "tg": L(tg), "il": L(il), "tl": L(tl),
              "none": L(F.ctc_loss(lp, tg, il, tl, reduction="none")),
              "mean": L(F.ctc_loss(lp, tg, il, tl)),
              "concat_sum": L(F.ctc_loss(lp, torch.tensor([1, 2, 2, 3, 1, 4, 4, 4]), il, tl, reduction="sum")),
              "blank2": L(F.ctc_loss(lp, tg.clamp(0, 1) + 3 * (tg == 2), il, tl, blank=2, reduction="none"))}
inp, tgt = torch.randn(4, 5), torch.tensor([0, 4, 2, 2])
out["losses"] = {"inp": L(inp), "tgt": L(tgt),
                 "mm": L(F.multi_margin_loss(inp, tgt)), "mm2w": L(F.multi_margin_loss(inp, tgt, p=2, margin=0.5,
                                                                                        weight=torch.arange(5.) + 1,
                                                                                        reduction="none")),
                 "mlm": L(F.multilabel_margin_loss(inp, torch.tensor([[3, 0, -1, 1, 2]] * 4), reduction="none")),
                 "mlsm": L(F.multilabel_soft_margin_loss(inp, (inp > 0).double())),
                 "tmd": L(F.triplet_margin_with_distance_loss(inp, inp.flip(0), inp * 2, swap=True))}
w = torch.randn(10, 3)
ebi, ebo = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9, 0]), torch.tensor([0, 4, 4, 7])
out["embbag"] = {"w": L(w), "in": L(ebi), "off": L(ebo),
                 "mean": L(F.embedding_bag(ebi, w, ebo)), "sum_psw": L(F.embedding_bag(ebi, w, ebo, mode="sum",
                                                                                       per_sample_weights=torch.arange(9.))),
                 "max": L(F.embedding_bag(ebi, w, ebo, mode="max")),
                 "pad": L(F.embedding_bag(ebi, w, ebo, padding_idx=4)),
                 "last": L(F.embedding_bag(ebi, w, torch.tensor([0, 4, 9]), include_last_offset=True, mode="sum"))}
theta = torch.randn(2, 2, 3)
img = torch.randn(2, 3, 4, 5)
grid = F.affine_grid(theta, (2, 3, 3, 6), align_corners=False)
out["grid"] = {"theta": L(theta), "img": L(img), "grid": L(grid),
               "bil": L(F.grid_sample(img, grid, align_corners=False)),
               "near_border": L(F.grid_sample(img, grid, mode="nearest", padding_mode="border", align_corners=True)),
               "grid_ac": L(F.affine_grid(theta, (2, 3, 3, 6), align_corners=True))}
x2f, s2f = torch.randn(2, 3, 9, 11), torch.rand(2, 3, 2)
x3f, s3f = torch.randn(1, 2, 7, 8, 9), torch.rand(1, 2, 3)
o2f, i2f = F.fractional_max_pool2d(x2f, (2, 3), output_size=(5, 4), return_indices=True, _random_samples=s2f)
o3f, i3f = F.fractional_max_pool3d(x3f, 2, output_ratio=0.5, return_indices=True, _random_samples=s3f)
out["fractional"] = {k: L(v) for k, v in dict(x2=x2f, s2=s2f, o2=o2f, i2=i2f, x3=x3f, s3=s3f, o3=o3f, i3=i3f).items()}
case("lce", nn.LinearCrossEntropyLoss(4, 3, out_features=(2,), bias=True, label_smoothing=0.1),
     [torch.randn(5, 4), torch.randint(0, 3, (5, 2))])
asm = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True)
xa, ta = torch.randn(6, 8), torch.tensor([0, 9, 4, 2, 7, 5])
case("asm", asm, [xa, ta])
with torch.no_grad():
    out["asm"]["log_prob"], out["asm"]["predict"] = L(asm.log_prob(xa)), L(asm.predict(xa))
xi1, xi2, xi3 = torch.randn(1, 2, 5), torch.randn(2, 2, 4, 5), torch.randn(1, 2, 3, 4, 5)
interp = []


def add_interp(x, **kw):
    interp.append({"x": L(x), "kw": kw, "y": L(F.interpolate(x, **kw))})


for mode in ("nearest", "nearest-exact", "area"):
    add_interp(xi2, size=(7, 3), mode=mode)
    add_interp(xi1, scale_factor=2.5, mode=mode)
    add_interp(xi3, size=(2, 6, 7), mode=mode)
for ac in (False, True):
    add_interp(xi1, size=8, mode="linear", align_corners=ac)
    add_interp(xi2, scale_factor=(1.7, 0.6), mode="bilinear", align_corners=ac)
    add_interp(xi2, size=(9, 2), mode="bicubic", align_corners=ac)
    add_interp(xi3, scale_factor=1.5, mode="trilinear", align_corners=ac)
add_interp(xi2, scale_factor=1.7, mode="bicubic", recompute_scale_factor=True)
add_interp(xi2, scale_factor=0.5, mode="nearest")
out["interpolate"] = interp
img2g, img3g = torch.randn(2, 3, 4, 5), torch.randn(1, 2, 3, 4, 5)
g2, g3 = torch.rand(2, 3, 6, 2) * 3 - 1.5, torch.rand(1, 2, 3, 4, 3) * 3 - 1.5
th3 = torch.randn(1, 3, 4)
gs = {"img2": L(img2g), "img3": L(img3g), "g2": L(g2), "g3": L(g3), "theta3": L(th3),
      "grid3": L(F.affine_grid(th3, (1, 2, 3, 4, 5), align_corners=False)), "cases": []}
for mode in ("bilinear", "nearest"):
    for pad in ("zeros", "border", "reflection"):
        for ac in (False, True):
            gs["cases"].append({"mode": mode, "pad": pad, "ac": ac, "y2": L(F.grid_sample(img2g, g2, mode, pad, ac)),
                                "y3": L(F.grid_sample(img3g, g3, mode, pad, ac))})
out["grid_sample"] = gs
print(json.dumps(out))

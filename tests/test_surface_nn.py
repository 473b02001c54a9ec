"""The new layers against PyTorch: each case loads the weights PyTorch used (its state_dict, so
parameter names and shapes must match) and compares outputs recorded by tools/gen_nn_refs.py
(tests/data/surface_nn_ref.json; no torch import here). Gradients are checked by gradcheck."""
import json
import os

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck
from ember.nn.utils import rnn as rnn_utils

REF = json.load(open(os.path.join(os.path.dirname(__file__), "data", "surface_nn_ref.json")))
F64 = ember.float64


@pytest.fixture(autouse=True)
def float64_default():
    ember.set_default_dtype(F64)
    yield
    ember.set_default_dtype(ember.float32)


def T(a, dtype=None):
    a = np.asarray(a)
    if dtype is None:
        dtype = ember.bool if a.dtype == np.bool_ else ember.int64 if a.dtype.kind in "iu" else F64
    return ember.tensor(a.tolist(), dtype=dtype)


def close(got, want, tol=1e-9):
    if want is None:
        assert got is None
        return
    np.testing.assert_allclose(np.array(got.tolist()), np.array(want), rtol=tol, atol=tol)


def flat(r):
    out = []

    def walk(x):
        if isinstance(x, ember.Tensor) or x is None:
            out.append(x)
        else:
            for y in x:
                walk(y)
    walk(r)
    return out


def load(module, name):
    case = REF[name]
    sd = {k: T(v) for k, v in case["state"].items()}
    res = module.load_state_dict(sd)
    assert not res.missing_keys and not res.unexpected_keys
    assert list(module.state_dict()) == list(case["state"])  # same names, same order
    return module.eval(), case


def run(module, name, args=None, kwargs=None, tol=1e-9):
    m, case = load(module, name)
    if args is None:
        # An (h, c) pair is the one input that is a tuple of tensors (LSTMCell's hx).
        args = [tuple(T(b) for b in a) if name == "lstmcell" and i == 1 else T(a) for i, a in enumerate(case["inputs"])]
    with ember.no_grad():
        res = flat(m(*args, **(kwargs or {})))
    assert len(res) == len(case["outputs"])
    for g, w in zip(res, case["outputs"]):
        close(g, w, tol)
    return m, case


@pytest.mark.parametrize("name,make", [
    ("lstm_bi2_proj", lambda: nn.LSTM(5, 6, num_layers=2, bidirectional=True, proj_size=3)),
    ("gru_bf", lambda: nn.GRU(5, 4, batch_first=True)),
    ("rnn_relu", lambda: nn.RNN(5, 4, nonlinearity="relu", num_layers=2)),
    ("lstm_unbatched", lambda: nn.LSTM(5, 4)),
    ("lstmcell", lambda: nn.LSTMCell(5, 4)),
    ("grucell", lambda: nn.GRUCell(5, 4)),
    ("rnncell", lambda: nn.RNNCell(5, 4, nonlinearity="relu")),
])
def test_recurrent_layers_match_pytorch(name, make):
    run(make(), name)


def test_recurrent_shapes_errors_and_repr():
    lstm = nn.LSTM(5, 6, num_layers=2, bidirectional=True, proj_size=3)
    assert tuple(lstm.weight_hr_l1_reverse.shape) == (3, 6) and tuple(lstm.weight_ih_l1.shape) == (24, 6)
    assert repr(lstm) == "LSTM(5, 6, proj_size=3, num_layers=2, bidirectional=True)"
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="dropout should be a number"):
        nn.RNN(3, 4, dropout=1.5)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size"):
        nn.GRU(3, 4)(ember.zeros(2, 1, 5))
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        nn.GRU(3, 4)(ember.zeros(2, 1, 3), ember.zeros(2, 1, 4))
    with pytest.raises(ValueError, match="Expected input to be 1D or 2D"):
        nn.GRUCell(3, 4)(ember.zeros(1, 2, 3))


def test_recurrent_gradcheck():
    ember.manual_seed(0)
    m = nn.LSTM(2, 3, bidirectional=True)
    x = ember.randn(3, 2, 2, requires_grad=True)
    assert gradcheck(lambda t: m(t)[0], (x,))
    g = nn.GRUCell(2, 3)
    assert gradcheck(lambda t: g(t), (ember.randn(2, 2, requires_grad=True),))


def test_packed_gru_matches_pytorch():
    case = REF["gru_packed"]
    g, _ = load(nn.GRU(3, 4, bidirectional=True), "gru_packed")
    seqs = [T(s) for s in case["seqs"]]
    packed = rnn_utils.pack_sequence(seqs, enforce_sorted=False)
    assert packed.batch_sizes.tolist() == case["batch_sizes"]
    assert packed.sorted_indices.tolist() == case["sorted_indices"]
    out, h = g(packed)
    assert isinstance(out, rnn_utils.PackedSequence)
    pad, lens = rnn_utils.pad_packed_sequence(out, batch_first=True)
    close(pad, case["padded"])
    assert lens.tolist() == case["lengths"]
    close(h, case["h"])


def test_pack_pad_roundtrip_and_errors():
    rng = np.random.default_rng(0)
    seqs = [T(rng.standard_normal((n, 2))) for n in (4, 1, 3)]
    padded = rnn_utils.pad_sequence(seqs, batch_first=True, padding_value=-1.0)
    assert tuple(padded.shape) == (3, 4, 2) and padded[1, 1:].eq(-1.0).all()
    left = rnn_utils.pad_sequence(seqs, padding_side="left")
    assert left[:3, 1].eq(0.0).all()
    packed = rnn_utils.pack_padded_sequence(padded, [4, 1, 3], batch_first=True, enforce_sorted=False)
    back = rnn_utils.unpack_sequence(packed)
    for a, b in zip(back, seqs):
        assert a.tolist() == b.tolist()
    again, lens = rnn_utils.pad_packed_sequence(packed, batch_first=True, padding_value=-1.0, total_length=6)
    assert tuple(again.shape) == (3, 6, 2) and again[:, :4].tolist() == padded.tolist()
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(padded, [4, 1, 3], batch_first=True)
    with pytest.raises(ValueError, match="total_length"):
        rnn_utils.pad_packed_sequence(packed, total_length=2)
    assert rnn_utils.invert_permutation(ember.tensor([2, 0, 1])).tolist() == [1, 2, 0]
    x = T(rng.standard_normal((3, 2, 2))).requires_grad_(True)
    assert gradcheck(lambda t: rnn_utils.pad_packed_sequence(rnn_utils.pack_padded_sequence(t, [3, 2]))[0], (x,))


# ---- attention ----
def test_multihead_attention_matches_pytorch():
    case = REF["mha"]
    run(nn.MultiheadAttention(8, 2), "mha", kwargs=dict(key_padding_mask=T(case["key_padding_mask"]),
                                                         attn_mask=T(case["attn_mask"])))


@pytest.mark.parametrize("name,make,kwargs", [
    ("mha_kv", lambda: nn.MultiheadAttention(8, 4, kdim=5, vdim=3, add_bias_kv=True, add_zero_attn=True,
                                             batch_first=True), dict(average_attn_weights=False)),
    ("dec_layer", lambda: nn.TransformerDecoderLayer(8, 2, 16, 0.0),
     dict(tgt_mask=nn.Transformer.generate_square_subsequent_mask(3))),
    ("enc_layer", lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0),
     dict(src_mask=nn.Transformer.generate_square_subsequent_mask(5))),
    ("enc_layer_nf", lambda: nn.TransformerEncoderLayer(8, 2, 16, 0.0, activation="gelu", norm_first=True,
                                                        batch_first=True),
     dict(src_key_padding_mask=ember.tensor([[False] * 4 + [True], [False] * 5]))),
    ("transformer", lambda: nn.Transformer(8, 2, 1, 1, 16, 0.0), {}),
])
def test_attention_layers_match_pytorch(name, make, kwargs):
    run(make(), name, kwargs=kwargs)


def test_sdpa_matches_pytorch_and_grad():
    c = REF["sdpa"]
    q, k, v = T(c["q"]), T(c["k"]), T(c["v"])
    close(F.scaled_dot_product_attention(q, k, v), c["plain"])
    close(F.scaled_dot_product_attention(q, k, v, attn_mask=T(c["mask"])), c["masked"])
    close(F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3), c["causal"])
    with pytest.raises(RuntimeError, match="attn_mask"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=T(c["mask"]), is_causal=True)
    args = tuple(t[:1, :1, :3, :2].clone().requires_grad_(True) for t in (q, k, v))
    assert gradcheck(lambda a, b, d: F.scaled_dot_product_attention(a, b, d, is_causal=True), args)


def test_mha_errors_and_state():
    with pytest.raises(AssertionError, match="divisible by num_heads"):
        nn.MultiheadAttention(6, 4)
    m = nn.MultiheadAttention(4, 2)
    assert list(m.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    with pytest.raises(RuntimeError, match="2D attn_mask"):
        m(ember.zeros(3, 1, 4), ember.zeros(3, 1, 4), ember.zeros(3, 1, 4), attn_mask=ember.zeros(2, 2))
    x = ember.randn(3, 4, requires_grad=True)
    out, w = m(x, x, x)
    assert tuple(out.shape) == (3, 4) and tuple(w.shape) == (3, 3)
    np.testing.assert_allclose(np.array(w.sum(-1).tolist()), 1.0, rtol=1e-12)
    m.double()
    assert gradcheck(lambda t: m(t, t, t)[0], (ember.randn(2, 1, 4, requires_grad=True),))


# ---- convolution and pooling ----
@pytest.mark.parametrize("name,make", [
    ("convT2d", lambda: nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2,
                                           dilation=(1, 2))),
    ("convT1d", lambda: nn.ConvTranspose1d(3, 2, 4, stride=3, padding=2)),
    ("convT3d", lambda: nn.ConvTranspose3d(2, 3, 2, stride=2, bias=False)),
    ("conv3d", lambda: nn.Conv3d(4, 6, (2, 3, 2), stride=(2, 1, 2), padding=(1, 1, 0), dilation=(1, 2, 1), groups=2)),
    ("conv3d_same", lambda: nn.Conv3d(2, 3, 3, padding="same")),
])
def test_conv_layers_match_pytorch(name, make):
    run(make(), name)


def test_conv_transpose_output_size_and_grad():
    m = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = ember.randn(1, 2, 4, 4)
    assert tuple(m(x, output_size=[8, 8]).shape) == (1, 3, 8, 8)
    assert tuple(m(x).shape) == (1, 3, 7, 7)
    with pytest.raises(ValueError, match="output size"):
        m(x, output_size=[10, 10])
    w = ember.randn(2, 3, 2, 2, requires_grad=True)
    xi = ember.randn(1, 2, 2, 3, requires_grad=True)
    assert gradcheck(lambda a, b: F.conv_transpose2d(a, b, stride=2, padding=1, output_padding=1), (xi, w))
    w3 = ember.randn(2, 2, 2, 1, 2, requires_grad=True)
    assert gradcheck(lambda a, b: F.conv3d(a, b, stride=(1, 1, 2)), (ember.randn(1, 2, 3, 2, 3, requires_grad=True), w3))


def test_pooling_3d_matches_pytorch():
    c = REF["pool3d"]
    x = T(c["x"])
    v, i = F.max_pool3d(x, (2, 3, 2), stride=(2, 2, 3), padding=(1, 1, 0), ceil_mode=True, return_indices=True)
    close(v, c["max"])
    assert i.tolist() == c["idx"]
    close(F.avg_pool3d(x, 3, 2, 1, ceil_mode=True), c["avg"])
    close(F.avg_pool3d(x, 3, 2, 1, count_include_pad=False), c["avg_nopad"])
    close(F.avg_pool3d(x, 2, divisor_override=3), c["avg_div"])
    close(F.adaptive_max_pool3d(x, (2, 3, 4)), c["amax"])
    close(F.adaptive_avg_pool3d(x, (3, 2, 5)), c["aavg"])
    close(F.lp_pool3d(x.abs(), 2, 2), c["lp"])
    close(F.lp_pool2d(x[:, :, 0], 3, (2, 3), ceil_mode=True), c["lp2d"])
    close(nn.MaxUnpool3d((2, 3, 2), stride=(2, 2, 3), padding=(1, 1, 0))(v, i, output_size=x.shape[2:]), c["unpool"])
    close(nn.MaxPool3d(2, 1, 0, dilation=2)(x), c["maxdil"])
    xs = x[:1, :1, :3, :3, :3].clone().requires_grad_(True)
    assert gradcheck(lambda t: F.avg_pool3d(t, 2, 1, 1, ceil_mode=True), (xs,))
    assert gradcheck(lambda t: F.max_pool3d(t, 2, 1), (xs,))


def test_misc_functional_matches_pytorch():
    c = REF["misc"]
    x2 = T(c["x2"])
    assert F.adaptive_max_pool2d_with_indices(x2, (2, 4))[1].tolist() == c["amax2d_idx"]
    close(F.local_response_norm(x2, 3, 1e-2, 0.6, 2.0), c["lrn"])
    close(F.pdist(x2[0, 0], 1.5), c["pdist"])
    close(nn.InstanceNorm2d(3)(x2) * 2 + 1, c["inorm"])
    close(F.instance_norm(x2, weight=ember.full((3,), 2.0), bias=ember.ones(3)), c["inorm"])
    close(nn.Softshrink(0.7)(x2), c["softshrink"])
    close(nn.Hardshrink(0.7)(x2), c["hardshrink"])
    ch = ember.arange(6.0).reshape(1, 6, 1, 1)
    assert nn.ChannelShuffle(3)(ch).reshape(-1).tolist() == [0.0, 2.0, 4.0, 1.0, 3.0, 5.0]
    assert gradcheck(lambda t: F.local_response_norm(t, 2), (x2[:1, :, :2, :2].clone().requires_grad_(True),))


@pytest.mark.parametrize("mode,cls", [("reflect", nn.ReflectionPad3d), ("replicate", nn.ReplicationPad3d),
                                      ("circular", nn.CircularPad3d), ("constant", nn.ZeroPad3d)])
def test_padding_layers_match_pytorch(mode, cls):
    x = T(REF["pool3d"]["x"])
    close(cls((1, 2, 2, 1, 1, 0))(x), REF["pads"][mode])


def test_padding_layer_shapes_and_errors():
    assert tuple(nn.ConstantPad1d(2, 3.5)(ember.zeros(1, 2, 3)).shape) == (1, 2, 7)
    assert nn.ConstantPad2d((1, 0, 0, 0), 3.5)(ember.zeros(1, 1, 1))[0, 0, 0].item() == 3.5
    assert tuple(nn.ReflectionPad1d((1, 2))(ember.zeros(2, 4)).shape) == (2, 7)
    with pytest.raises(ValueError, match="expected 3D or 4D"):
        nn.ZeroPad2d(1)(ember.zeros(2))
    assert repr(nn.ZeroPad2d(1)) == "ZeroPad2d((1, 1, 1, 1))"


# ---- losses, bags, grids ----
def test_ctc_matches_pytorch_and_grad():
    c = REF["ctc"]
    lp, tg, il, tl = T(c["lp"]), T(c["tg"]), T(c["il"]), T(c["tl"])
    close(F.ctc_loss(lp, tg, il, tl, reduction="none"), c["none"])
    close(nn.CTCLoss()(lp, tg, il, tl), c["mean"])
    close(F.ctc_loss(lp, ember.tensor([1, 2, 2, 3, 1, 4, 4, 4]), il, tl, reduction="sum"), c["concat_sum"])
    tg2 = tg.clamp(0, 1) + 3 * (tg == 2).long()
    close(F.ctc_loss(lp, tg2, il, tl, blank=2, reduction="none"), c["blank2"])
    x = lp[:4, :1, :3].clone().requires_grad_(True)
    assert gradcheck(lambda t: F.ctc_loss(t.log_softmax(2), ember.tensor([[1, 2]]), [4], [2]), (x,))


def test_margin_losses_match_pytorch():
    c = REF["losses"]
    inp, tgt = T(c["inp"]), T(c["tgt"])
    close(nn.MultiMarginLoss()(inp, tgt), c["mm"])
    close(F.multi_margin_loss(inp, tgt, p=2, margin=0.5, weight=ember.arange(5.0) + 1, reduction="none"), c["mm2w"])
    close(nn.MultiLabelMarginLoss(reduction="none")(inp, ember.tensor([[3, 0, -1, 1, 2]] * 4)), c["mlm"])
    close(nn.MultiLabelSoftMarginLoss()(inp, (inp > 0).double()), c["mlsm"])
    close(nn.TripletMarginWithDistanceLoss(swap=True)(inp, inp.flip(0), inp * 2), c["tmd"])
    x = inp.clone().requires_grad_(True)
    assert gradcheck(lambda t: F.multi_margin_loss(t, tgt, p=2), (x,))
    assert gradcheck(lambda t: F.multilabel_margin_loss(t, ember.tensor([[3, 0, -1, 1, 2]] * 4)), (x,))


def test_embedding_bag_matches_pytorch():
    c = REF["embbag"]
    w, i, o = T(c["w"]), T(c["in"]), T(c["off"])
    close(F.embedding_bag(i, w, o), c["mean"])
    close(F.embedding_bag(i, w, o, mode="sum", per_sample_weights=ember.arange(9.0)), c["sum_psw"])
    close(nn.EmbeddingBag.from_pretrained(w, mode="max")(i, o), c["max"])
    close(F.embedding_bag(i, w, o, padding_idx=4), c["pad"])
    close(F.embedding_bag(i, w, ember.tensor([0, 4, 9]), include_last_offset=True, mode="sum"), c["last"])
    bag = nn.EmbeddingBag(10, 3, mode="sum")
    assert tuple(bag(ember.tensor([[1, 2], [3, 4]])).shape) == (2, 3)
    with pytest.raises(ValueError, match="offsets has to be None"):
        bag(ember.tensor([[1, 2]]), ember.tensor([0]))
    ww = w.clone().requires_grad_(True)
    assert gradcheck(lambda t: F.embedding_bag(i, t, o, mode="max"), (ww,))


def test_affine_grid_and_grid_sample_match_pytorch():
    c = REF["grid"]
    theta, img = T(c["theta"]), T(c["img"])
    grid = F.affine_grid(theta, (2, 3, 3, 6), align_corners=False)
    close(grid, c["grid"])
    close(F.affine_grid(theta, (2, 3, 3, 6), align_corners=True), c["grid_ac"])
    close(F.grid_sample(img, grid, align_corners=False), c["bil"])
    close(F.grid_sample(img, grid, mode="nearest", padding_mode="border", align_corners=True), c["near_border"])


# ---- small modules ----
def test_small_modules():
    x = ember.randn(2, 3, 4, 4)
    s = nn.Softmax2d()(x)
    np.testing.assert_allclose(np.array(s.sum(1).tolist()), 1.0, rtol=1e-12)
    assert tuple(nn.PixelShuffle(2)(ember.zeros(1, 8, 2, 3)).shape) == (1, 2, 4, 6)
    assert tuple(nn.PixelUnshuffle(2)(ember.zeros(1, 2, 4, 6)).shape) == (1, 8, 2, 3)
    assert tuple(nn.Upsample(scale_factor=2)(x).shape) == (2, 3, 8, 8)
    assert tuple(nn.UpsamplingBilinear2d(size=(5, 6))(x).shape) == (2, 3, 5, 6)
    u = nn.Unfold(2)(x)
    assert tuple(u.shape) == (2, 12, 9)
    assert tuple(nn.Fold((4, 4), 2)(u).shape) == (2, 3, 4, 4)
    close(nn.CosineSimilarity()(x, x), np.ones((2, 4, 4)).tolist())
    assert tuple(nn.PairwiseDistance()(x[:, :, 0, 0], x[:, :, 1, 1]).shape) == (2,)
    rms = nn.RMSNorm(4, eps=1e-6)
    ref = np.array(x.tolist())
    close(rms(x), (ref / np.sqrt((ref ** 2).mean(-1, keepdims=True) + 1e-6)).tolist())
    r = nn.RReLU(0.1, 0.3)
    y = r.eval()(ember.tensor([-1.0, 2.0]))
    assert y.tolist() == pytest.approx([-0.2, 2.0])
    yt = r.train()(-ember.ones(1000))
    assert -0.3 <= yt.min().item() and yt.max().item() <= -0.1
    d3 = nn.Dropout3d(0.5)(ember.ones(2, 4, 2, 2, 2))
    per_channel = np.array(d3.tolist()).reshape(2, 4, -1)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))
    inorm = nn.InstanceNorm1d(2, track_running_stats=True)
    z = ember.randn(3, 2, 5)
    inorm(z)
    assert inorm.num_batches_tracked.item() == 1
    assert list(inorm.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    inorm.eval()
    close(inorm(z), ((np.array(z.tolist()) - np.array(inorm.running_mean.tolist())[:, None])
                     / np.sqrt(np.array(inorm.running_var.tolist())[:, None] + 1e-5)).tolist())
    with pytest.raises(RuntimeError, match="lambda"):
        F.softshrink(x, -1.0)


def test_autograd_functional():
    from ember.autograd.functional import jacobian, hessian, vjp, jvp, hvp, vhp
    x = ember.tensor([1.0, 2.0, 3.0])
    a = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    A = T(a)

    def f(t):
        return A @ (t ** 2)

    close(jacobian(f, x), (a * 2 * np.array([1.0, 2.0, 3.0])).tolist())
    j = jacobian(lambda t, u: t * u.sum(), (x, x[:2].clone()))
    assert isinstance(j, tuple) and tuple(j[0].shape) == (3, 3) and tuple(j[1].shape) == (3, 2)
    close(hessian(lambda t: (t ** 3).sum(), x), np.diag(6 * np.array([1.0, 2.0, 3.0])).tolist())
    v = ember.tensor([1.0, -1.0])
    out, g = vjp(f, x, v)
    close(g, ((a[0] - a[1]) * 2 * np.array([1.0, 2.0, 3.0])).tolist())
    out, jv = jvp(f, x, ember.tensor([1.0, 0.0, 1.0]))
    close(jv, (a @ (2 * np.array([1.0, 0.0, 3.0]))).tolist())
    fn = lambda t: (t[0] * t[1] ** 2 + t[2] ** 3)  # noqa: E731
    H = np.array([[0, 4, 0], [4, 2, 0], [0, 0, 18.0]])
    w = ember.tensor([1.0, 2.0, -1.0])
    close(hvp(fn, x, w)[1], (H @ np.array([1.0, 2.0, -1.0])).tolist())
    close(vhp(fn, x, w)[1], (np.array([1.0, 2.0, -1.0]) @ H).tolist())
    with pytest.raises(RuntimeError, match="independent of input"):
        jacobian(lambda t, u: t * 2, (x, x.clone()), strict=True)
    with pytest.raises(RuntimeError, match="single Tensor with a single element"):
        hvp(lambda t: t * 2, x, w)
    with pytest.raises(TypeError, match="Tensor or a tuple of Tensors"):
        jacobian(f, [1.0])
    xg = x.clone().requires_grad_(True)
    h = hessian(lambda t: (t ** 3).sum(), xg, create_graph=True)
    assert h.requires_grad


def test_fractional_max_pool_matches_pytorch():
    c = REF["fractional"]
    o, i = F.fractional_max_pool2d(T(c["x2"]), (2, 3), output_size=(5, 4), return_indices=True,
                                   _random_samples=T(c["s2"]))
    close(o, c["o2"])
    assert i.tolist() == c["i2"]
    m = nn.FractionalMaxPool3d(2, output_ratio=0.5, return_indices=True, _random_samples=T(c["s3"]))
    o, i = m(T(c["x3"]))
    close(o, c["o3"])
    assert i.tolist() == c["i3"]
    x = ember.randn(1, 1, 5, 5, requires_grad=True)
    u = ember.rand(1, 1, 2)
    assert gradcheck(lambda t: F.fractional_max_pool2d(t, 2, output_size=3, _random_samples=u), (x,))
    with pytest.raises(ValueError, match="output size, or a pooling ratio"):
        nn.FractionalMaxPool2d(2)


def test_linear_cross_entropy_and_adaptive_softmax_match_pytorch():
    run(nn.LinearCrossEntropyLoss(4, 3, out_features=(2,), bias=True, label_smoothing=0.1), "lce")
    m, case = run(nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True), "asm")
    x = T(case["inputs"][0])
    close(m.log_prob(x), case["log_prob"])
    assert m.predict(x).tolist() == case["predict"]
    with pytest.raises(ValueError, match="cutoffs"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [6, 3])


def test_lazy_modules_materialize_on_first_call():
    lin = nn.LazyLinear(3)
    assert isinstance(lin.weight, nn.UninitializedParameter) and lin.has_uninitialized_params()
    y = lin(ember.randn(2, 5))
    assert type(lin) is nn.Linear and lin.in_features == 5 and tuple(lin.weight.shape) == (3, 5)
    assert tuple(y.shape) == (2, 3)
    bn = nn.LazyBatchNorm2d()
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    bn(ember.randn(4, 3, 2, 2))
    assert type(bn) is nn.BatchNorm2d and bn.num_features == 3 and tuple(bn.running_var.shape) == (3,)
    conv = nn.LazyConvTranspose2d(4, 3, stride=2)
    out = conv(ember.randn(1, 2, 5, 5))
    assert type(conv) is nn.ConvTranspose2d and tuple(conv.weight.shape) == (2, 4, 3, 3)
    assert tuple(out.shape) == (1, 4, 11, 11)
    inorm = nn.LazyInstanceNorm1d()
    inorm(ember.randn(3, 7))
    assert type(inorm) is nn.InstanceNorm1d and inorm.num_features == 3


@pytest.mark.parametrize("k", range(len(REF["interpolate"])))
def test_interpolate_modes_match_pytorch(k):
    c = REF["interpolate"][k]
    kw = {key: tuple(v) if isinstance(v, list) else v for key, v in c["kw"].items()}
    close(F.interpolate(T(c["x"]), **kw), c["y"])


def test_interpolate_errors_and_grad():
    x = ember.randn(1, 1, 4, 4)
    with pytest.raises(NotImplementedError, match="trilinear mode needs 5D input"):
        F.interpolate(x, scale_factor=2, mode="trilinear")
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, scale_factor=2, mode="nearest", align_corners=True)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=3, scale_factor=2)
    assert tuple(nn.Upsample(scale_factor=2, mode="bicubic")(x).shape) == (1, 1, 8, 8)
    xg = ember.randn(1, 1, 3, 3, requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, size=(5, 4), mode="bicubic", align_corners=False), (xg,))


@pytest.mark.parametrize("k", range(12))
def test_grid_sample_2d_3d_every_padding_matches_pytorch(k):
    g = REF["grid_sample"]
    c = g["cases"][k]
    close(F.grid_sample(T(g["img2"]), T(g["g2"]), c["mode"], c["pad"], c["ac"]), c["y2"])
    close(F.grid_sample(T(g["img3"]), T(g["g3"]), c["mode"], c["pad"], c["ac"]), c["y3"])


def test_affine_grid_3d_and_grid_sample_grad():
    g = REF["grid_sample"]
    close(F.affine_grid(T(g["theta3"]), (1, 2, 3, 4, 5), align_corners=False), g["grid3"])
    img = ember.randn(1, 1, 3, 3, requires_grad=True)
    grid = ember.rand(1, 2, 2, 2) * 1.6 - 0.8
    assert gradcheck(lambda t, q: F.grid_sample(t, q, padding_mode="reflection", align_corners=False),
                     (img, grid.requires_grad_(True)))

import ember as torch
import ember.nn as nn
import ember.nn.functional as F

logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3], [1.0, 1.0, 3.0], [0.0, -1.0, 2.0]])
target = torch.tensor([0, 2, -100, 1])
print(round(F.cross_entropy(logits, target).item(), 5))
print(round(F.cross_entropy(logits, target, ignore_index=-100, label_smoothing=0.1).item(), 5))
w = torch.tensor([1.0, 2.0, 0.5])
print(round(nn.CrossEntropyLoss(weight=w)(logits, target).item(), 5))
print(round(nn.CrossEntropyLoss(weight=w, label_smoothing=0.2)(logits, target).item(), 5))
print(F.cross_entropy(logits, torch.tensor([0, 2, 1, 1]), reduction="none").round(decimals=4).tolist())
soft = torch.softmax(torch.tensor([[1.0, 0.0, 0.0]] * 4), dim=1)
print(round(F.cross_entropy(logits, soft).item(), 5))
seq_logits = torch.arange(24.).reshape(2, 3, 4) / 10
seq_t = torch.tensor([[0, 1, 2, 1], [2, 2, 0, -100]])
print(round(F.cross_entropy(seq_logits, seq_t).item(), 5))
print(round(F.nll_loss(F.log_softmax(logits, dim=1), torch.tensor([0, 2, 1, 1])).item(), 5))
print(round(nn.NLLLoss(reduction="sum")(logits.log_softmax(-1), torch.tensor([0, 2, 1, 1])).item(), 5))
print(round(F.kl_div(F.log_softmax(logits, 1), F.softmax(logits.flip(0), 1), reduction="batchmean").item(), 5))
print(round(F.smooth_l1_loss(logits, logits * 0.5, beta=0.5).item(), 5), round(F.huber_loss(logits, logits.flip(1), delta=1.0).item(), 5))
print(round(nn.BCEWithLogitsLoss(pos_weight=torch.tensor([3.0]))(logits[:, 0], torch.tensor([1., 0., 1., 0.])).item(), 5))
print(round(F.mse_loss(logits, torch.zeros_like(logits), reduction="sum").item(), 5), round(nn.L1Loss()(logits, torch.ones(4, 3)).item(), 5))

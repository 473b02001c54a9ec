"""AdaptiveLogSoftmaxWithLoss (Grave et al., 2016): a head over the frequent classes plus one
token per cluster of rare classes; each cluster has its own smaller projection (dimension
in_features / div_value^(i+1)). log p(class) = log p(cluster | head) + log p(class | cluster)."""
from collections import namedtuple

import ember
from .module import Module
from .container import ModuleList, Sequential
from .linear import Linear

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False, device=None, dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > (n_classes - 1)
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing order, "
                             "where each value is between 1 and n_classes-1")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        kw = dict(device=device, dtype=dtype)
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hsz, bias=False, **kw), Linear(hsz, osz, bias=False, **kw)))

    def reset_parameters(self):
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input, target):
        targ_dim = target.ndim
        if targ_dim == 1:
            if input.shape[0] != target.shape[0]:
                raise RuntimeError("Input and target should have the same size in the batch dimension.")
            if input.ndim != 2:
                raise RuntimeError("1D target tensor expects 2D input tensors, but found inputs with size",
                                   list(input.shape))
        elif targ_dim == 0:
            if input.ndim != 1:
                raise RuntimeError("0D target tensor expects 1D input tensors, but found inputs with size",
                                   list(input.shape))
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = targ_dim > 0
        x = input if batched else input.unsqueeze(0)
        t = target if batched else target.unsqueeze(0)
        if bool((t < 0).any()) or bool((t >= self.n_classes).any()):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{int(t.min().item())}, {int(t.max().item())}] were found. ")
        head_logprob = self.head(x).log_softmax(1)
        # Each sample's log-probability: the head's entry for shortlist targets, else the cluster
        # token's log-probability plus the in-cluster log-probability.
        gather_idx = t.clone()
        out = ember.zeros(x.shape[0], dtype=x.dtype)
        for i in range(self.n_clusters):
            lo, hi = self.cutoffs[i], self.cutoffs[i + 1]
            mask = (t >= lo) & (t < hi)
            rows = mask.nonzero().reshape(-1)
            if rows.numel() == 0:
                continue
            gather_idx = gather_idx.where(~mask, ember.full((), self.shortlist_size + i, dtype=t.dtype))
            cluster_lp = self.tail[i](x.index_select(0, rows)).log_softmax(1)
            local = (t.index_select(0, rows) - lo).unsqueeze(1)
            out = out.index_add(0, rows, cluster_lp.gather(1, local).squeeze(1))
        out = out + head_logprob.gather(1, gather_idx.unsqueeze(1)).squeeze(1)
        loss = (-out).mean()
        if not batched:
            out = out.squeeze(0)
        return _ASMoutput(out, loss)

    def _get_full_log_prob(self, input, head_output):
        head_logprob = head_output.log_softmax(1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_lp = self.tail[i](input).log_softmax(1)
            parts.append(cluster_lp + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        return ember.cat(parts, 1)

    def log_prob(self, input):
        """log-probabilities of every class, (N, n_classes) (or (n_classes,) for 1-D input)."""
        x = input if input.ndim == 2 else input.unsqueeze(0)
        out = self._get_full_log_prob(x, self.head(x))
        return out if input.ndim == 2 else out.squeeze(0)

    def predict(self, input):
        """The most likely class of each sample."""
        return self.log_prob(input).argmax(-1)

"""Recurrent layers (RNN, LSTM, GRU) and their single-step cells, with PyTorch's parameter
names, shapes, initialisation and gate order (LSTM: i, f, g, o; GRU: r, z, n).

A layer runs, per layer and direction, one matrix product for the input part of every time
step at once, then a Python loop over time for the recurrent part. Packed (variable-length)
batches run padded with a per-step mask: a sequence that has ended keeps its hidden state, and
the reverse direction reads each sequence reversed within its own length.
"""
import math
import numbers

import ember
from ... import _device
from ..parameter import Parameter
from .. import functional as F, init
from ..utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence
from .module import Module
from ..._limits import check_alloc

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_sizes(owner, **sizes):
    """Each size is an int (a list or float would be repeated or rejected far from here)."""
    for name, v in sizes.items():
        if not isinstance(v, int):
            raise TypeError(f"{owner}: {name} should be of type int, got: {type(v).__name__}")
        if v < 0:
            raise ValueError(f"{owner}: {name} must be non-negative, got {v}")


def _rnn_cell(x_part, h, w_hh, b_hh, act):
    g = x_part + h.matmul(w_hh.t())
    if b_hh is not None:
        g = g + b_hh
    return g.tanh() if act == "tanh" else g.relu()


def _lstm_cell(x_part, h, c, w_hh, b_hh, w_hr):
    g = x_part + h.matmul(w_hh.t())
    if b_hh is not None:
        g = g + b_hh
    i, f, gg, o = g.chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * gg.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:
        h = h.matmul(w_hr.t())
    return h, c


def _gru_cell(x_part, h, w_hh, b_hh):
    hh = h.matmul(w_hh.t())
    if b_hh is not None:
        hh = hh + b_hh
    xr, xz, xn = x_part.chunk(3, -1)
    hr, hz, hn = hh.chunk(3, -1)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return (1 - z) * n + z * h


class RNNBase(Module):
    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        num_dir = 2 if bidirectional else 1
        gate = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        dt = dtype or ember.get_default_dtype()
        _check_sizes(type(self).__name__, input_size=input_size, num_layers=num_layers)
        # Every weight is its own Parameter: refuse a stack whose weights (or whose Python
        # objects, a few hundred bytes each) can't fit before creating them one by one.
        per_dir = gate * (max(input_size, real_hidden * num_dir) + real_hidden + 2) + proj_size * hidden_size
        check_alloc(type(self).__name__ + " weights", (num_layers * num_dir, per_dir), ember.empty(0, dtype=dt).element_size())
        check_alloc(type(self).__name__ + " weights", (num_layers * num_dir, 5), 512)
        self._flat_weights_names = []
        for layer in range(num_layers):
            for d in range(num_dir):
                in_size = input_size if layer == 0 else real_hidden * num_dir
                sfx = "_reverse" if d == 1 else ""
                shapes = [(f"weight_ih_l{layer}{sfx}", [gate, in_size]), (f"weight_hh_l{layer}{sfx}", [gate, real_hidden])]
                if bias:
                    shapes += [(f"bias_ih_l{layer}{sfx}", [gate]), (f"bias_hh_l{layer}{sfx}", [gate])]
                if proj_size > 0:
                    shapes.append((f"weight_hr_l{layer}{sfx}", [proj_size, hidden_size]))
                for name, shape in shapes:
                    setattr(self, name, Parameter(_device.empty(shape, dt, device)))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    @property
    def all_weights(self):
        n = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional else 1))
        ws = self._flat_weights
        return [ws[i:i + n] for i in range(0, len(ws), n)]

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    def flatten_parameters(self):
        """A no-op: ember keeps each weight as its own tensor (cuDNN's packed layout does not apply)."""

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ---- forward ----
    def _layer_params(self, layer, d):
        sfx = "_reverse" if d == 1 else ""
        g = lambda n: getattr(self, f"{n}_l{layer}{sfx}", None)  # noqa: E731
        return g("weight_ih"), g("weight_hh"), g("bias_ih") if self.bias else None, g("bias_hh") if self.bias else None, \
            g("weight_hr") if self.proj_size else None

    def _check_input(self, x, batched):
        if x.ndim not in (2, 3):
            name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(self.mode, self.mode)
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {x.ndim}D instead")
        if self.input_size != x.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{x.shape[-1]}")

    def _check_hidden(self, h, expected, msg="Expected hidden size {}, got {}"):
        if list(h.shape) != list(expected):
            raise RuntimeError(msg.format(list(expected), list(h.shape)))

    def _run(self, x, lengths, hx):
        """x: (T, N, H_in) padded; lengths: list of N ints or None; hx: (h0, c0 or None).
        Returns output (T, N, D·H_out) and final (h_n, c_n or None)."""
        T, N = x.shape[0], x.shape[1]
        num_dir = 2 if self.bidirectional else 1
        h0, c0 = hx
        mask = rev = None
        if lengths is not None:
            steps = ember.arange(T).unsqueeze(1)
            mask = (steps < ember.tensor(lengths, dtype=ember.int64).unsqueeze(0)).unsqueeze(-1)  # (T, N, 1)
            # rev[t, b]: where step t of sequence b's reversal comes from (the padding stays put).
            L = ember.tensor(lengths, dtype=ember.int64).unsqueeze(0)
            rev = (L - 1 - steps).where(steps < L, steps.expand(T, N))
        hs, cs = [], []
        layer_in = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(num_dir):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_params(layer, d)
                k = layer * num_dir + d
                inp = layer_in
                if d == 1:
                    inp = inp.flip(0) if rev is None else inp.gather(0, rev.unsqueeze(-1).expand(*inp.shape))
                xs = inp.matmul(w_ih.t())
                if b_ih is not None:
                    xs = xs + b_ih
                h, c = h0[k], (c0[k] if c0 is not None else None)
                ys = []
                for t in range(T):
                    if self.mode == "LSTM":
                        hn, cn = _lstm_cell(xs[t], h, c, w_hh, b_hh, w_hr)
                    elif self.mode == "GRU":
                        hn, cn = _gru_cell(xs[t], h, w_hh, b_hh), None
                    else:
                        hn, cn = _rnn_cell(xs[t], h, w_hh, b_hh, "tanh" if self.mode == "RNN_TANH" else "relu"), None
                    if mask is not None:
                        m = mask[t]
                        hn = hn.where(m, h)
                        if cn is not None:
                            cn = cn.where(m, c)
                        ys.append(hn * m.to(hn.dtype))
                    else:
                        ys.append(hn)
                    h, c = hn, cn
                y = ember.stack(ys, 0) if ys else xs.new_zeros(0, N, h.shape[-1])
                if d == 1:
                    y = y.flip(0) if rev is None else y.gather(0, rev.unsqueeze(-1).expand(*y.shape))
                outs.append(y)
                hs.append(h)
                cs.append(c)
            layer_in = ember.cat(outs, -1) if num_dir == 2 else outs[0]
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        h_n = ember.stack(hs, 0)
        c_n = ember.stack(cs, 0) if self.mode == "LSTM" else None
        return layer_in, (h_n, c_n)

    def forward(self, input, hx=None):
        num_dir = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        packed = isinstance(input, PackedSequence)
        if packed:
            padded, lengths = pad_packed_sequence(input)
            x, lens = padded, [int(v) for v in lengths.tolist()]
            batched = True
        else:
            batched = input.ndim == 3
            self._check_input(input, batched)
            x = input if batched else input.unsqueeze(1)
            if self.batch_first and batched:
                x = x.transpose(0, 1)
            lens = None
        if packed:
            if self.input_size != x.shape[-1]:
                raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                                   f"{x.shape[-1]}")
        N = x.shape[1]
        h_shape = [self.num_layers * num_dir, N, real_hidden]
        c_shape = [self.num_layers * num_dir, N, self.hidden_size]
        if hx is None:
            h0 = ember.zeros(*h_shape, dtype=x.dtype, device=x.device)
            c0 = ember.zeros(*c_shape, dtype=x.dtype, device=x.device) if self.mode == "LSTM" else None
        else:
            if self.mode == "LSTM":
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise RuntimeError("LSTM expects hx to be a tuple (h_0, c_0)")
                h0, c0 = hx
            else:
                h0, c0 = hx, None
            if not batched:
                for t, name in ((h0, "hx"), (c0, "hx")):
                    if t is not None and t.ndim != 2:
                        raise RuntimeError(f"For unbatched 2-D input, {name} should also be 2-D but got {t.ndim}-D tensor")
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if c0 is not None else None
            else:
                for t in (h0, c0):
                    if t is not None and t.ndim != 3:
                        raise RuntimeError(f"For batched 3-D input, hx and cx should also be 3-D but got {t.ndim}-D "
                                           f"tensors")
            self._check_hidden(h0, h_shape)
            if c0 is not None:
                self._check_hidden(c0, c_shape, "Expected hidden[1] size {}, got {}")
        out, (h_n, c_n) = self._run(x, lens, (h0, c0))
        if packed:
            # Repack in the input's own order, so output.batch_sizes/sorted_indices match the input's
            # (x, h_n and c_n are in the caller's batch order throughout).
            order = input.sorted_indices
            srt = out if order is None else out.index_select(1, order)
            slens = lens if order is None else [lens[i] for i in order.tolist()]
            p = pack_padded_sequence(srt, ember.tensor(slens, dtype=ember.int64))
            out = PackedSequence(p.data, p.batch_sizes, input.sorted_indices, input.unsorted_indices)
        else:
            if self.batch_first and batched:
                out = out.transpose(0, 1)
            if not batched:
                out = out.squeeze(1)
                h_n = h_n.squeeze(1)
                c_n = c_n.squeeze(1) if c_n is not None else None
        return (out, (h_n, c_n)) if self.mode == "LSTM" else (out, h_n)


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh), act = tanh or relu."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        names = ["input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first", "dropout",
                 "bidirectional"]
        if len(args) > 3:
            kwargs.update(zip(names[3:], args[3:]))
            args = args[:3]
        self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def extra_repr(self):
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity != "tanh" else "")


class LSTM(RNNBase):
    """Long short-term memory; ``proj_size > 0`` projects h_t to that size (LSTMP)."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit: r, z gates and candidate n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        _check_sizes(type(self).__name__, input_size=input_size, hidden_size=hidden_size, num_chunks=num_chunks)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dt = dtype or ember.get_default_dtype()
        self.weight_ih = Parameter(_device.empty([num_chunks * hidden_size, input_size], dt, device))
        self.weight_hh = Parameter(_device.empty([num_chunks * hidden_size, hidden_size], dt, device))
        if bias:
            self.bias_ih = Parameter(_device.empty([num_chunks * hidden_size], dt, device))
            self.bias_hh = Parameter(_device.empty([num_chunks * hidden_size], dt, device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.bias is not True:
            s += ", bias={bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def _prep(self, input, hx, name):
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        for h in (hx if isinstance(hx, tuple) else (hx,)):
            if h is not None and h.ndim not in (1, 2):
                raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {h.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)

        def h_of(h):
            if h is None:
                return ember.zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
            h = h if batched else h.unsqueeze(0)
            if h.shape[0] != x.shape[0]:
                raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden0 batch size {h.shape[0]}")
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden0 has inconsistent hidden_size: got {h.shape[1]}, expected "
                                   f"{self.hidden_size}")
            return h
        return x, batched, h_of

    def _x_part(self, x):
        xs = x.matmul(self.weight_ih.t())
        return xs + self.bias_ih if self.bias_ih is not None else xs


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input, hx=None):
        x, batched, h_of = self._prep(input, hx, "RNNCell")
        h = _rnn_cell(self._x_part(x), h_of(hx), self.weight_hh, self.bias_hh, self.nonlinearity)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, batched, h_of = self._prep(input, hx if hx is None else tuple(hx), "LSTMCell")
        h0, c0 = (None, None) if hx is None else hx
        h, c = _lstm_cell(self._x_part(x), h_of(h0), h_of(c0), self.weight_hh, self.bias_hh, None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, batched, h_of = self._prep(input, hx, "GRUCell")
        h = _gru_cell(self._x_part(x), h_of(hx), self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)

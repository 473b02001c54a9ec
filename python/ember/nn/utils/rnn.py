"""Variable-length batches for recurrent layers: ``PackedSequence`` and the functions that make
and undo it (``pack_padded_sequence``, ``pad_packed_sequence``, ``pad_sequence``, …).

A packed batch stores time step by time step only the sequences still running: with the
sequences sorted by decreasing length, step t holds ``batch_sizes[t]`` rows, and ``data`` is all
those rows concatenated. ``sorted_indices[i]`` is the original batch position of sorted row i;
``unsorted_indices`` is its inverse. Every function is composed of differentiable ops.
"""
from collections import namedtuple

import ember
from ..._native import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


def invert_permutation(permutation):
    """The inverse of a permutation given as an index tensor (None stays None)."""
    if permutation is None:
        return None
    out = ember.empty_like(permutation)
    out.scatter_(0, permutation, ember.arange(permutation.numel(), dtype=permutation.dtype))
    return out


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Holds a packed batch (see the module docstring); made by ``pack_padded_sequence`` or
    ``pack_sequence``, not by hand."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise RuntimeError("PackedSequence: batch_sizes must be given (build one with pack_padded_sequence)")
        if batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be created "
                             "manually. They should be instantiated by functions like pack_sequence and "
                             "pack_padded_sequences in nn.utils.rnn.")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        idx = [None if t is None else t.to(data.device) for t in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, idx[0], idx[1])

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=ember.float64)

    def float(self):
        return self.to(dtype=ember.float32)

    def half(self):
        return self.to(dtype=ember.float16)

    def long(self):
        return self.to(dtype=ember.int64)

    def int(self):
        return self.to(dtype=ember.int32)

    def short(self):
        return self.to(dtype=ember.int16)

    def char(self):
        return self.to(dtype=ember.int8)

    def byte(self):
        return self.to(dtype=ember.uint8)

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def _lengths_list(lengths):
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.ndim}D "
                               f"{lengths.device} {lengths.dtype} tensor")
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch (T, B, *) (or (B, T, *) with ``batch_first``) of sequences whose
    lengths are ``lengths``."""
    lens = _lengths_list(lengths)
    bdim = 0 if batch_first else 1
    if len(lens) != input.shape[bdim]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} (batch_size="
                           f"{input.shape[bdim]})")
    if enforce_sorted:
        if any(a < b for a, b in zip(lens, lens[1:])):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                               "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep "
                               "this requirement if you do not need ONNX exportability.")
        sorted_indices = None
    else:
        order = sorted(range(len(lens)), key=lambda i: -lens[i])  # stable: ties keep their order
        sorted_indices = ember.tensor(order, dtype=ember.int64)
        input = input.index_select(bdim, sorted_indices.to(input.device))
        lens = [lens[i] for i in order]
    if lens and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that is "
                           "<= 0")
    if lens and lens[0] > input.shape[1 - bdim]:
        raise RuntimeError(f"Expected max sequence length {lens[0]} to be at most the padded length "
                           f"{input.shape[1 - bdim]}")
    x = input.transpose(0, 1) if batch_first else input
    batch_sizes = [sum(1 for n in lens if n > t) for t in range(lens[0] if lens else 0)]
    data = ember.cat([x[t, :b] for t, b in enumerate(batch_sizes)], 0)
    return PackedSequence(data, ember.tensor(batch_sizes, dtype=ember.int64), sorted_indices,
                          invert_permutation(sorted_indices))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """(padded batch, lengths): the inverse of ``pack_padded_sequence`` (original batch order)."""
    bs = [int(b) for b in sequence.batch_sizes.tolist()]
    n = bs[0] if bs else 0
    T = len(bs)
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {T}")
    else:
        total_length = T
    data = sequence.data
    trail = list(data.shape[1:])
    steps, offset = [], 0
    for b in bs:
        rows = data[offset:offset + b]
        if b < n:
            rows = ember.cat([rows, ember.full([n - b] + trail, padding_value, dtype=data.dtype, device=data.device)], 0)
        steps.append(rows)
        offset += b
    for _ in range(total_length - T):
        steps.append(ember.full([n] + trail, padding_value, dtype=data.dtype, device=data.device))
    padded = ember.stack(steps, 0) if steps else ember.zeros([0, n] + trail, dtype=data.dtype)
    lengths = [sum(1 for b in bs if b > i) for i in range(n)]
    lengths = ember.tensor(lengths, dtype=ember.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices.to(padded.device))
        lengths = lengths.index_select(0, sequence.unsorted_indices)
    return (padded.transpose(0, 1) if batch_first else padded), lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks tensors of shape (L_i, *) into (L_max, B, *) (or (B, L_max, *)), padding each."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    seqs = list(sequences)
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    L = max(s.shape[0] for s in seqs)
    trail = list(seqs[0].shape[1:])
    out = []
    for s in seqs:
        if list(s.shape[1:]) != trail:
            raise RuntimeError(f"The size of tensor a ({trail}) must match the size of tensor b ({list(s.shape[1:])}) "
                               f"at non-singleton dimension 1")
        k = L - s.shape[0]
        if k:
            pad = ember.full([k] + trail, padding_value, dtype=s.dtype, device=s.device)
            s = ember.cat([s, pad] if padding_side == "right" else [pad, s], 0)
        out.append(s)
    return ember.stack(out, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences (each trimmed to its length) in a padded batch."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, :n] for i, n in enumerate(_lengths_list(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of tensors of shape (L_i, *)."""
    lengths = ember.tensor([s.shape[0] for s in sequences], dtype=ember.int64)
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences a PackedSequence holds (original order)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)

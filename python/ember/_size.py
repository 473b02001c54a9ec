"""``ember.Size``: the shape tuple, as ``torch.Size``."""


class Size(tuple):
    """A tuple of ints describing a tensor's shape; ``numel()`` multiplies them."""

    __slots__ = ()  # no per-instance dict: `x.shape` allocates one object, like a tuple

    def __new__(cls, sizes=()):
        return super().__new__(cls, map(int, sizes))

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"ember.Size([{', '.join(str(s) for s in self)}])"

    def __getitem__(self, i):
        r = super().__getitem__(i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

"""``Dim`` and the ``dynamic_shapes`` argument: which input dims may change size."""
from .._native import Tensor
from ._errors import ConstraintViolationError


class Dim:
    """A named dynamic dim, ``Dim("batch", min=1, max=1024)``; the same ``Dim`` on two inputs
    means their sizes are equal."""

    def __init__(self, name, *, min=None, max=None):
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"Dim name must be a valid identifier, got {name!r}")
        lo = 0 if min is None else int(min)
        if lo < 0 or (max is not None and int(max) < lo):
            raise ValueError(f"Dim {name!r}: invalid range [{min}, {max}]")
        self.__name__, self.min, self.max = name, lo, None if max is None else int(max)

    @property
    def name(self):
        return self.__name__

    def __repr__(self):
        return f"Dim({self.__name__!r}, min={self.min}, max={self.max})"


def normalize(dynamic_shapes, names, tensors):
    """``dynamic_shapes`` → ``{input index: {dim: Dim}}``; checks it against the examples."""
    out = [dict() for _ in tensors]
    if dynamic_shapes is None:
        return out
    if isinstance(dynamic_shapes, dict):
        unknown = set(dynamic_shapes) - set(names)
        if unknown:
            raise ValueError(f"dynamic_shapes names {sorted(unknown)}, which are not inputs of forward(); inputs: {names}")
        specs = [dynamic_shapes.get(n) for n in names]
    elif isinstance(dynamic_shapes, (list, tuple)):
        if len(dynamic_shapes) != len(tensors):
            raise ValueError(f"dynamic_shapes has {len(dynamic_shapes)} entries for {len(tensors)} inputs")
        specs = list(dynamic_shapes)
    else:
        raise TypeError(f"dynamic_shapes must be a dict, tuple or list, got {type(dynamic_shapes).__name__}")
    seen = {}
    for i, (spec, t, n) in enumerate(zip(specs, tensors, names)):
        if spec is None:
            continue
        items = spec.items() if isinstance(spec, dict) else enumerate(spec)
        for d, dim in items:
            if dim is None:
                continue
            if not isinstance(dim, Dim):
                raise TypeError(f"dynamic_shapes for {n!r} dim {d}: expected an ember.export.Dim or None, got {dim!r}")
            if not -t.ndim <= d < t.ndim:
                raise ValueError(f"dynamic_shapes for {n!r}: dim {d} is out of range for a {t.ndim}-D input")
            d %= t.ndim
            size = t.shape[d]
            if size < dim.min or (dim.max is not None and size > dim.max):
                raise ValueError(f"{n!r} dim {d} has example size {size}, outside {dim.name}'s range [{dim.min}, {dim.max}]")
            prev = seen.get(dim.name)
            if prev is not None and prev[0] != size:
                raise ConstraintViolationError(f"Dim {dim.name!r} is {prev[0]} on {prev[1]} but {size} on {n!r} dim {d}")
            seen[dim.name] = (size, f"{n!r} dim {d}")
            out[i][d] = dim
    return out


def second_sizes(per_input, tensors):
    """A second size for every Dim: different from the example, ≥ 2, inside its range, and
    equal to no static dim or other Dim, so a size that leaks into a constant is recognised."""
    dims = {dim.name: (dim, t.shape[d]) for spec, t in zip(per_input, tensors) for d, dim in spec.items()}
    taken = {s for t in tensors if isinstance(t, Tensor) for s in t.shape} | {s for _, s in dims.values()} | {0, 1}
    chosen = {}
    for name, (dim, size) in dims.items():
        hi = dim.max if dim.max is not None else size + 64
        cands = [c for c in list(range(size + 1, hi + 1)) + list(range(size - 1, dim.min - 1, -1)) if c not in taken and c >= 2]
        if not cands:
            raise ValueError(f"Dim {name!r} with range [{dim.min}, {dim.max}] leaves no second size to check the "
                             "graph at; widen its range")
        chosen[name] = cands[0]
        taken.add(cands[0])
    return chosen


def resize(t, spec, sizes):
    """The example ``t`` with every dynamic dim resized (rows repeated), so values stay valid."""
    from .._creation import arange
    for d, dim in spec.items():
        idx = arange(sizes[dim.name]) % t.shape[d]
        t = t.index_select(d, idx)
    return t

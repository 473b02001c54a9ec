"""Model-level views: ``summary(model, input)`` (layers, output shapes, parameters, bytes) and
``watch(model)`` activation/gradient statistics to spot dead ReLUs and exploding or vanishing
gradients."""
from dataclasses import dataclass

from .. import no_grad
from .._native import Tensor


@dataclass
class LayerRow:
    name: str
    kind: str
    output_shape: tuple
    params: int
    trainable: int
    param_bytes: int


class Summary:
    def __init__(self, rows, total_params, trainable, param_bytes, output_bytes):
        self.rows, self.total_params, self.trainable_params = rows, total_params, trainable
        self.param_bytes, self.output_bytes = param_bytes, output_bytes

    def __str__(self):
        w = max([len(r.name) + len(r.kind) + 3 for r in self.rows] + [20])
        lines = [f"{'Layer (type)':{w}s} {'Output shape':>22s} {'Param #':>10s}", "=" * (w + 34)]
        for r in self.rows:
            lines.append(f"{(r.name + ' (' + r.kind + ')'):{w}s} {str(list(r.output_shape)):>22s} {r.params:10,d}")
        lines += ["=" * (w + 34), f"Total params: {self.total_params:,}", f"Trainable params: {self.trainable_params:,}",
                  f"Non-trainable params: {self.total_params - self.trainable_params:,}",
                  f"Params size: {self.param_bytes / 2**20:.2f} MB", f"Forward outputs size: {self.output_bytes / 2**20:.2f} MB"]
        return "\n".join(lines)

    __repr__ = __str__


def _shape_of(out):
    if isinstance(out, Tensor):
        return tuple(out.shape)
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], Tensor):
        return tuple(out[0].shape)
    return ()


def _swap_to_meta(model):
    """Replaces every parameter and buffer by a meta twin (same shape/dtype, no data) and returns
    what to put back. Moving to meta allocates nothing, so a huge model costs nothing here."""
    from ..nn.parameter import Parameter

    saved = []
    for m in model.modules():
        for table in (m._parameters, m._buffers):
            for key, v in list(table.items()):
                if v is None or v.is_meta:
                    continue
                saved.append((table, key, v))
                mv = v.detach().to("meta")
                table[key] = Parameter(mv, v.requires_grad) if isinstance(v, Parameter) else mv
    return saved


def _meta_input(x):
    if isinstance(x, Tensor):
        return x.detach().to("meta")
    if isinstance(x, (tuple, list)):
        return type(x)(_meta_input(v) for v in x)
    return x


def summary(model, input):
    """Runs ``model(input)`` once under no_grad with forward hooks on every leaf module.

    The run happens on the meta device (parameters, buffers and input swapped for data-free
    twins, then put back), so only shapes are computed and nothing is allocated; a model whose
    forward needs values (data-dependent shapes) is run for real instead."""
    try:
        saved = _swap_to_meta(model)
        try:
            return _summary(model, _meta_input(input))
        finally:
            for table, key, v in saved:
                table[key] = v
    except NotImplementedError:
        return _summary(model, input)


def _summary(model, input):
    rows, handles = [], []
    out_bytes = [0]
    for name, mod in model.named_modules():
        if list(mod.children()) and name:
            continue
        if not name and list(mod.children()):
            continue

        def hook(m, inp, out, name=name):
            own = list(m.parameters(recurse=False))
            rows.append(LayerRow(name or type(m).__name__, type(m).__name__, _shape_of(out), sum(p.numel() for p in own),
                                 sum(p.numel() for p in own if p.requires_grad), sum(p.numel() * p.element_size() for p in own)))
            if isinstance(out, Tensor):
                out_bytes[0] += out.numel() * out.element_size()

        handles.append(mod.register_forward_hook(hook))
    try:
        with no_grad():
            model(*input) if isinstance(input, tuple) else model(input)
    finally:
        for h in handles:
            h.remove()
    params = list(model.parameters())
    return Summary(rows, sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad),
                   sum(p.numel() * p.element_size() for p in params), out_bytes[0])


def _stats(t):
    d = t.detach().double()
    n = d.numel()
    if n == 0:
        return {"mean": 0.0, "std": 0.0, "min": 0.0, "max": 0.0, "zeros": 0.0}
    return {"mean": d.mean().item(), "std": d.std().item() if n > 1 else 0.0, "min": d.min().item(), "max": d.max().item(),
            "zeros": (d == 0).sum().item() / n}


class watch:
    """Records per-layer activation (forward) and gradient (backward) statistics.
    Use as a context manager or call ``remove()``; ``report()`` prints them and flags layers
    whose outputs are mostly zero (dead ReLUs) or whose gradients explode/vanish."""

    def __init__(self, model, dead_fraction=0.9, explode=1e3, vanish=1e-7):
        self.activations, self.gradients, self._handles = {}, {}, []
        self.dead_fraction, self.explode, self.vanish = dead_fraction, explode, vanish
        for name, mod in model.named_modules():
            if list(mod.children()):
                continue
            self._handles.append(mod.register_forward_hook(self._fwd(name or type(mod).__name__)))
        for name, p in model.named_parameters():
            self._handles.append(p.register_hook(self._grad(name)))

    def _fwd(self, name):
        def hook(m, inp, out):
            if isinstance(out, Tensor):
                self.activations[name] = _stats(out)
        return hook

    def _grad(self, name):
        def hook(g):
            self.gradients[name] = _stats(g)
        return hook

    def remove(self):
        for h in self._handles:
            h.remove()
        self._handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()

    def problems(self):
        out = []
        for name, s in self.activations.items():
            if s["zeros"] >= self.dead_fraction:
                out.append(f"{name}: {s['zeros']:.0%} of outputs are exactly zero (dead ReLUs?)")
        for name, s in self.gradients.items():
            mag = max(abs(s["min"]), abs(s["max"]))
            if mag > self.explode:
                out.append(f"{name}: gradient magnitude {mag:.3g} (exploding?)")
            elif mag < self.vanish:
                out.append(f"{name}: gradient magnitude {mag:.3g} (vanishing?)")
        return out

    def report(self):
        lines = [f"{'activations':30s} {'mean':>10s} {'std':>10s} {'min':>10s} {'max':>10s} {'zeros':>6s}"]
        for name, s in self.activations.items():
            lines.append(f"{name:30s} {s['mean']:10.4g} {s['std']:10.4g} {s['min']:10.4g} {s['max']:10.4g} {s['zeros']:6.1%}")
        lines.append(f"{'gradients':30s}")
        for name, s in self.gradients.items():
            lines.append(f"{name:30s} {s['mean']:10.4g} {s['std']:10.4g} {s['min']:10.4g} {s['max']:10.4g} {s['zeros']:6.1%}")
        lines += ["problem: " + p for p in self.problems()]
        text = "\n".join(lines)
        print(text)
        return text

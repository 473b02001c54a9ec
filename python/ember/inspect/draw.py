"""``draw(t, path)``: the logical view next to the physical storage, as PNG or SVG."""
from .explain import _offsets, _storage_values


def draw(t, path):
    """Left: the logical tensor (each cell shows its value and storage index); right: the
    storage strip with the cells this view reads highlighted and numbered in reading order.
    Tensors up to 3-D (3-D: one panel per slice of dim 0); beyond that, the first 2-D slice."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("draw() needs matplotlib (pip install matplotlib)") from e
    t = t.detach()
    while t.ndim > 3:
        t = t[0]
    planes = [t] if t.ndim < 3 else [t[i] for i in range(min(t.shape[0], 4))]
    vals = _storage_values(t)
    n = len(vals)
    fig, axes = plt.subplots(1, len(planes) + 1, figsize=(3.2 * len(planes) + max(4, min(n, 32) * 0.45), 3.5),
                             gridspec_kw={"width_ratios": [1] * len(planes) + [max(1.5, min(n, 32) / 6)]})
    order = {}
    for k, c in enumerate(_offsets(tuple(t.shape), tuple(t.stride()), t.storage_offset())):
        order.setdefault(c, k)
    for ax, p in zip(axes[:-1], planes):
        g = p.reshape(1, -1) if p.ndim < 2 else p
        rows, cols = (g.shape[0], g.shape[1]) if g.ndim == 2 else (1, 1)
        offs = _offsets(tuple(g.shape), tuple(g.stride()), g.storage_offset())
        for idx, off in enumerate(offs):
            r, c = divmod(idx, cols) if cols else (0, 0)
            ax.add_patch(plt.Rectangle((c, rows - 1 - r), 1, 1, fill=True, fc="#dbe9f6", ec="black"))
            ax.text(c + 0.5, rows - 0.5 - r, f"{vals[off]:.3g}\n[{off}]" if isinstance(vals[off], float) else f"{vals[off]}\n[{off}]",
                    ha="center", va="center", fontsize=8)
        ax.set_xlim(0, max(cols, 1))
        ax.set_ylim(0, max(rows, 1))
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(f"logical {tuple(p.shape)} strides {tuple(p.stride())}", fontsize=9)
    ax = axes[-1]
    shown = min(n, 32)
    for i in range(shown):
        read = i in order
        ax.add_patch(plt.Rectangle((i, 0), 1, 1, fc="#f6c667" if read else "#eeeeee", ec="black"))
        ax.text(i + 0.5, 0.5, f"{vals[i]:.3g}" if isinstance(vals[i], float) else str(vals[i]), ha="center", va="center", fontsize=7)
        ax.text(i + 0.5, -0.3, str(i), ha="center", va="center", fontsize=6, color="gray")
        if read:
            ax.text(i + 0.5, 1.3, f"#{order[i]}", ha="center", va="center", fontsize=6, color="darkred")
    ax.set_xlim(0, max(shown, 1))
    ax.set_ylim(-0.8, 1.8)
    ax.axis("off")
    ax.set_title(f"storage: {n} cells, offset {t.storage_offset()}" + (" (first 32 shown)" if n > 32 else ""), fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path

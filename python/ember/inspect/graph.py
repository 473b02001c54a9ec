"""``ember.inspect.graph(t)``: the autograd graph behind ``t`` as data, DOT text, or a picture."""
import shutil
import subprocess
from dataclasses import dataclass, field


@dataclass
class GraphNode:
    id: int
    name: str
    saved: list  # [(shape, dtype, bytes)]
    leaf: str = ""  # for AccumulateGrad: the parameter's name or the leaf's shape
    next: list = field(default_factory=list)  # ids of the nodes gradients flow to

    @property
    def saved_bytes(self):
        return sum(b for _, _, b in self.saved)


class Graph:
    def __init__(self, root, nodes):
        self.root = root
        self.nodes = nodes  # id -> GraphNode, in discovery order from the root

    def __iter__(self):
        return iter(self.nodes.values())

    def __len__(self):
        return len(self.nodes)

    def names(self):
        return [n.name for n in self.nodes.values()]

    def to_dot(self):
        lines = ["digraph autograd {", '  rankdir="BT";', '  node [shape=box, fontname="monospace", fontsize=10];']
        for n in self.nodes.values():
            label = n.name
            if n.leaf:
                label += f"\\n{n.leaf}"
            if n.saved:
                label += f"\\nsaved: {len(n.saved)} tensor(s), {_bytes(n.saved_bytes)}"
            color = ', style=filled, fillcolor="lightblue"' if n.name == "AccumulateGrad" else ""
            lines.append(f'  n{n.id} [label="{label}"{color}];')
        for n in self.nodes.values():
            for m in n.next:
                lines.append(f"  n{m} -> n{n.id};")
        lines.append("}")
        return "\n".join(lines)

    def render(self, path):
        """PNG/SVG/PDF via graphviz's ``dot`` when installed; otherwise writes the DOT text
        to ``path`` (with a .dot suffix if it had another). Returns the path written."""
        dot = self.to_dot()
        fmt = path.rsplit(".", 1)[-1] if "." in path else "dot"
        if fmt != "dot" and shutil.which("dot"):
            subprocess.run(["dot", f"-T{fmt}", "-o", path], input=dot.encode(), check=True)
            return path
        if fmt != "dot":
            path = path + ".dot"
        with open(path, "w") as f:
            f.write(dot)
        return path

    def summary(self):
        """Saved-tensor memory per node, largest first; returns the text."""
        rows = sorted(self.nodes.values(), key=lambda n: -n.saved_bytes)
        total = sum(n.saved_bytes for n in rows)
        lines = [f"{'node':28s} {'saved tensors':>13s} {'bytes':>10s}"]
        for n in rows:
            if n.saved:
                lines.append(f"{n.name:28s} {len(n.saved):13d} {_bytes(n.saved_bytes):>10s}")
        lines.append(f"{'total':28s} {'':13s} {_bytes(total):>10s}")
        return "\n".join(lines)

    def __str__(self):
        return self.to_dot()


def graph(t):
    """Walks ``t.grad_fn`` and everything it reaches."""
    fn = t.grad_fn
    if fn is None:
        raise RuntimeError("graph(): this tensor has no autograd history (grad_fn is None); "
                           "create it from tensors with requires_grad=True while grad mode is on")
    ids, nodes, stack = {}, {}, [fn]
    while stack:
        f = stack.pop()
        key = hash(f)
        if key in ids:
            continue
        ids[key] = len(ids)
        leaf = ""
        if f.name() == "AccumulateGrad":
            v = f.variable
            leaf = v._param_name or f"leaf {tuple(v.shape)}"
        nodes[ids[key]] = GraphNode(ids[key], f.name(), [tuple(s) for s in f._saved_tensors_info()], leaf)
        nexts = [g for g, _ in f.next_functions if g is not None]
        stack.extend(reversed(nexts))
        nodes[ids[key]]._next_objs = nexts
    for n in nodes.values():
        n.next = [ids[hash(g)] for g in n.__dict__.pop("_next_objs")]
    return Graph(0, nodes)


def _bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n}B" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024

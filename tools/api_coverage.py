"""How much of PyTorch's public surface ember has, per namespace.

    python tools/api_coverage.py            # the table, then the missing names
    python tools/api_coverage.py --table    # the table only
    python tools/api_coverage.py --update   # also rewrite tools/api_coverage_floor.json

The names come from tools/api_names.json (generated once from PyTorch by
tools/gen_api_names.py); tools/api_exclusions.json lists what ember does not aim at and why.
tools/api_set_apart.json names groups that still count in the main table but are also shown
apart in a second table (e.g. the names that need complex dtypes, which belong to issue #14),
so the figure for the rest of the surface can be read on its own.
A name counts as present when ``hasattr`` finds it on the matching ember object
(``torch.nn.functional`` → ``ember.nn.functional``, ``torch.Tensor`` → ``ember.Tensor``).
PyTorch is never imported here.
"""
import importlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name):
    with open(os.path.join(HERE, name)) as f:
        return json.load(f)


def exclusions(names):
    """{namespace: {name: reason}}; raises ValueError on an entry that matches no PyTorch name."""
    out = {}
    for group in _load("api_exclusions.json")["groups"]:
        for ns, entries in group["names"].items():
            if ns not in names:
                raise ValueError(f"api_exclusions.json: unknown namespace {ns!r}")
            for e in entries:
                hits = ([n for n in names[ns] if re.search(e[3:], n)] if e.startswith("re:")
                        else [e] if e in names[ns] else [])
                if not hits:
                    raise ValueError(f"api_exclusions.json: {ns}: {e!r} matches no name in api_names.json")
                for n in hits:
                    out.setdefault(ns, {})[n] = group["reason"]
    return out


def set_apart(names, excl):
    """[(label, {namespace: set of names})]; raises ValueError on an unknown or excluded name."""
    out = []
    for group in _load("api_set_apart.json")["groups"]:
        sets = {}
        for ns, entries in group["names"].items():
            if ns not in names:
                raise ValueError(f"api_set_apart.json: unknown namespace {ns!r}")
            for e in entries:
                if e not in names[ns]:
                    raise ValueError(f"api_set_apart.json: {ns}: {e!r} is not in api_names.json")
                if e in excl.get(ns, {}):
                    raise ValueError(f"api_set_apart.json: {ns}: {e!r} is excluded; it can't also be set apart")
                sets.setdefault(ns, set()).add(e)
        out.append((group["label"], sets))
    return out


def ember_object(ns):
    """The ember object for a PyTorch namespace, or None when ember has no such module."""
    import ember

    if ns == "torch.Tensor":
        return ember.Tensor
    if ns == "torch":
        return ember
    try:
        return importlib.import_module("ember" + ns[len("torch"):])
    except ImportError:
        return None


def coverage():
    """[(namespace, present, total, missing names)] over the names not excluded."""
    names = _load("api_names.json")["namespaces"]
    excl = exclusions(names)
    rows = []
    for ns, all_names in names.items():
        wanted = [n for n in all_names if n not in excl.get(ns, {})]
        obj = ember_object(ns)
        missing = [n for n in wanted if obj is None or not hasattr(obj, n)]
        rows.append((ns, len(wanted) - len(missing), len(wanted), missing))
    return rows


def split_view(rows, label=None):
    """The rows again with one set-apart group taken out of each namespace:
    [(namespace, present, total, missing, group present, group total, group missing)]."""
    names = _load("api_names.json")["namespaces"]
    groups = dict(set_apart(names, exclusions(names)))
    group = groups[label] if label is not None else next(iter(groups.values()))
    out = []
    for ns, present, total, missing in rows:
        g = group.get(ns, set())
        g_missing = [n for n in missing if n in g]
        rest_missing = [n for n in missing if n not in g]
        out.append((ns, present - (len(g) - len(g_missing)), total - len(g), rest_missing,
                    len(g) - len(g_missing), len(g), g_missing))
    return out


def table(rows):
    lines = [f"{'namespace':28s} {'present':>7s} {'total':>6s} {'%':>6s}"]
    tp = tt = 0
    for ns, present, total, _ in rows:
        tp, tt = tp + present, tt + total
        lines.append(f"{ns:28s} {present:7d} {total:6d} {100.0 * present / max(total, 1):6.1f}")
    lines.append(f"{'all':28s} {tp:7d} {tt:6d} {100.0 * tp / max(tt, 1):6.1f}")
    return "\n".join(lines)


def split_table(split, label):
    lines = [f"{'namespace':28s} {'present':>7s} {'total':>6s} {'%':>6s}   {label}: present/total",
             ]
    tp = tt = gp = gt = 0
    for ns, present, total, _, g_present, g_total, _ in split:
        tp, tt, gp, gt = tp + present, tt + total, gp + g_present, gt + g_total
        apart = f"{g_present}/{g_total}" if g_total else "-"
        lines.append(f"{ns:28s} {present:7d} {total:6d} {100.0 * present / max(total, 1):6.1f}   {apart}")
    lines.append(f"{'all':28s} {tp:7d} {tt:6d} {100.0 * tp / max(tt, 1):6.1f}   {gp}/{gt}")
    return "\n".join(lines)


def main(argv):
    rows = coverage()
    if "--update" in argv:
        floor = {ns: present for ns, present, _, _ in rows}
        with open(os.path.join(HERE, "api_coverage_floor.json"), "w") as f:
            json.dump({"about": "names present per namespace; tests/test_api_coverage.py fails below these",
                       "present": floor}, f, indent=1)
            f.write("\n")
    print(table(rows))
    names = _load("api_names.json")["namespaces"]
    labels = [label for label, _ in set_apart(names, exclusions(names))]
    for label in labels:
        print(f"\nThe same with the group \"{label}\" set apart (those names still count above):")
        print(split_table(split_view(rows, label), label))
    if "--table" not in argv:
        for ns, _, _, missing in rows:
            if missing:
                print(f"\n{ns} missing ({len(missing)}):")
                print("  " + " ".join(missing))
        for label in labels:
            for ns, _, _, _, _, _, g_missing in split_view(rows, label):
                if g_missing:
                    print(f"\n{ns} missing, of the group \"{label}\" ({len(g_missing)}):")
                    print("  " + " ".join(g_missing))


if __name__ == "__main__":
    main(sys.argv[1:])

"""Calls ember and PyTorch the same ordinary ways and lists where they disagree.

    PYTHONPATH=python python tools/signature_check.py [--torch-python /work/venv-torch/bin/python] [-v]

Each case is one expression over a few small fixed inputs, written once with ``torch`` as the
library name: positional/keyword mixes, overloads and ``out=`` forms of the most used functions
and methods, and bad calls whose exception type must match. This process evaluates every case
on ember; a second interpreter (one that has PyTorch; numpy is not needed there) evaluates them
on torch and sends back JSON. Results are compared by kind, shape, dtype and values (random
draws by shape and dtype only); exceptions by type. Nothing here imports torch into this
process, and nothing in ember depends on this tool.
"""
import argparse
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from signature_cases import CASES, RANDOM  # noqa: E402


def _setup(lib):
    t = lib.tensor
    return {
        "torch": lib,
        "x": t([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]]),
        "y": t([[2.0, 1.0, -1.0], [3.0, 0.5, 2.0]]),
        "v": t([1.0, 2.0, 3.0]),
        "w": t([0.5, -1.0, 2.0]),
        "i": t([[1, 2, 3], [4, 5, 6]]),
        "b": t([True, False, True]),
        "m": t([[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]]),
        "idx": t([0, 2]),
        "bt": t([[[1.0, 2.0], [3.0, 4.0]], [[0.5, 1.0], [-1.0, 2.0]]]),
        "o": lib.empty(0),
        "o2": lib.empty(0),
        "oi": lib.empty(0, dtype=lib.int64),
    }


def _out_makers(env, lib):
    """``O(*shape)`` / ``OI(*shape)`` in a case make a float / int64 ``out=`` target of that shape."""
    made = []

    def O(*shape, dtype=None):
        t = lib.empty(*shape, dtype=dtype or lib.float32)
        made.append(t)
        return t

    env["O"], env["OI"] = O, lambda *shape: O(*shape, dtype=lib.int64)
    return made


def _describe(r, lib, exact=True):
    """A JSON-able description of a result: kind, shape, dtype name and (rounded) values."""
    if isinstance(r, lib.Tensor):
        d = {"kind": "tensor", "shape": list(r.shape), "dtype": str(r.dtype).split(".")[-1]}
        if exact and r.layout == lib.strided:
            vals = r.detach().reshape(-1).tolist()
            d["values"] = [None if isinstance(v, float) and math.isnan(v) else
                           (round(v, 4) if isinstance(v, float) else v) for v in vals]
        return d
    if type(r).__name__ == "Size":
        return {"kind": "size", "value": list(r)}
    if isinstance(r, (tuple, list)):
        # namedtuples (ember) and structseqs (torch.return_types) both name their fields
        fields = getattr(r, "_fields", None) or getattr(type(r), "__match_args__", None)
        return {"kind": "namedtuple" if fields else type(r).__name__,
                "fields": list(fields or []), "items": [_describe(e, lib, exact) for e in r]}
    if isinstance(r, (bool, int, float, str)) or r is None:
        return {"kind": "scalar", "value": round(r, 4) if isinstance(r, float) else r}
    if type(r).__name__ == "Size":
        return {"kind": "size", "value": list(r)}
    return {"kind": type(r).__name__}


def run_side(lib):
    out = {}
    for case in CASES:
        env = _setup(lib)
        made = _out_makers(env, lib)
        try:
            r = eval(case, env)  # the case strings are this tool's own fixed literals
            desc = _describe(r, lib, exact=case not in RANDOM)
            if "out=" in case:
                desc["out"] = [_describe(t, lib, exact=case not in RANDOM)
                               for t in made + [env[k] for k in ("o", "o2", "oi")]]
            out[case] = desc
        except Exception as e:  # noqa: BLE001 — the exception type is the result
            out[case] = {"kind": "raise", "type": type(e).__name__, "msg": str(e)[:200]}
    return out


def _close(a, b):
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if a == b:  # infinities too
            return True
        return abs(a - b) <= 1e-3 * max(1.0, abs(a), abs(b))
    return a == b


def diff(e, t):
    """Why ember's description ``e`` differs from torch's ``t``, or None."""
    if e["kind"] != t["kind"]:
        detail = e.get("type", "") + " " + e.get("msg", "") if e["kind"] == "raise" else ""
        return f"ember gives {e['kind']} {detail}, torch gives {t['kind']} {t.get('type', '')} {t.get('msg', '')}"
    k = e["kind"]
    if k == "raise":
        return None if e["type"] == t["type"] else f"ember raises {e['type']} ({e['msg']}), torch {t['type']} ({t['msg']})"
    if k == "tensor":
        for f in ("shape", "dtype"):
            if e[f] != t[f]:
                return f"{f}: ember {e[f]}, torch {t[f]}"
        if "values" in e and "values" in t and not all(_close(a, b) for a, b in zip(e["values"], t["values"])):
            return f"values: ember {e['values'][:8]}, torch {t['values'][:8]}"
        return None
    if "out" in e and "out" in t:
        for a, b in zip(e["out"], t["out"]):
            d = diff(a, b)
            if d:
                return "out= target: " + d
    if k in ("tuple", "list", "namedtuple"):
        if len(e["items"]) != len(t["items"]):
            return f"{len(e['items'])} items, torch {len(t['items'])}"
        if e.get("fields") != t.get("fields"):
            return f"fields {e.get('fields')}, torch {t.get('fields')}"
        for a, b in zip(e["items"], t["items"]):
            d = diff(a, b)
            if d:
                return d
        return None
    if k == "scalar":
        return None if _close(e["value"], t["value"]) else f"value {e['value']}, torch {t['value']}"
    return None


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", choices=["ember", "torch"])
    ap.add_argument("--torch-python", default="/work/venv-torch/bin/python")
    ap.add_argument("-v", action="store_true", help="print every case")
    args = ap.parse_args(argv)
    if args.side == "torch":
        import importlib
        print(json.dumps(run_side(importlib.import_module("torch"))))
        return 0
    import ember
    mine = run_side(ember)
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    env.pop("PYTHONPATH", None)
    p = subprocess.run([args.torch_python, os.path.abspath(__file__), "--side", "torch"], capture_output=True,
                       text=True, env=env, check=True)
    theirs = json.loads(p.stdout.strip().splitlines()[-1])
    bad = 0
    for case in CASES:
        d = diff(mine[case], theirs[case])
        if d:
            bad += 1
            print(f"MISMATCH {case}\n    {d}")
        elif args.v:
            print(f"ok       {case}")
    print(f"{len(CASES) - bad}/{len(CASES)} calls agree")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

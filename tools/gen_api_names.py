"""Writes tools/api_names.json: the public names of PyTorch's main namespaces.

Run once, with PyTorch installed in a scratch virtual environment *outside* the repo
(ember never imports torch; this script is the only file that does, and only to make data):

    /work/venv-torch/bin/python tools/gen_api_names.py

A public name is one that ``dir(namespace)`` lists without a leading underscore (plus
everything in ``__all__``), leaving out submodules (each is measured as its own namespace or
not at all) and objects that merely came in through an import of the standard library or
``typing``. What ember does not aim at is listed, with reasons, in tools/api_exclusions.json.
"""
import importlib
import inspect
import json
import os
import sys
import types
import warnings

NAMESPACES = ["torch", "torch.Tensor", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.nn.utils",
              "torch.nn.utils.rnn", "torch.nn.utils.parametrize", "torch.autograd", "torch.autograd.functional",
              "torch.optim", "torch.optim.lr_scheduler", "torch.utils.data", "torch.linalg", "torch.fft",
              "torch.special"]

_FOREIGN = {"typing", "typing_extensions", "collections", "abc", "builtins", "functools", "itertools", "enum",
            "dataclasses", "contextlib", "warnings", "math", "numbers", "operator", "os", "sys", "types", "inspect",
            "weakref", "copy", "threading", "logging", "re", "io", "pickle", "textwrap", "importlib", "queue"}


def resolve(name):
    if name == "torch.Tensor":
        import torch
        return torch.Tensor
    return importlib.import_module(name)


def foreign(obj):
    if isinstance(obj, types.ModuleType):
        return True
    mod = getattr(obj, "__module__", None)
    if not isinstance(mod, str) and not (inspect.isclass(obj) or callable(obj)):
        mod = getattr(type(obj), "__module__", None)
    return isinstance(mod, str) and mod.split(".")[0] in _FOREIGN


def public_names(ns_name):
    ns = resolve(ns_name)
    names = set()
    declared = set(getattr(ns, "__all__", ()) or ()) if ns_name != "torch.Tensor" else set()
    for n in dir(ns):
        if n.startswith("_"):
            continue
        try:
            obj = getattr(ns, n)
        except Exception:
            continue
        if n in declared:
            if not isinstance(obj, types.ModuleType):
                names.add(n)
            continue
        # Every attribute of the Tensor class is its API (properties included); a module's
        # imports are not.
        if ns_name == "torch.Tensor" or not foreign(obj):
            names.add(n)
    return sorted(names)


def main():
    warnings.simplefilter("ignore")
    import torch
    for sub in NAMESPACES[1:]:
        if sub != "torch.Tensor":
            importlib.import_module(sub)
    data = {"generated_from": f"torch {torch.__version__}", "namespaces": {ns: public_names(ns) for ns in NAMESPACES}}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "api_names.json")
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=False)
        f.write("\n")
    for ns, names in data["namespaces"].items():
        print(f"{ns:30s} {len(names)}", file=sys.stderr)


if __name__ == "__main__":
    main()

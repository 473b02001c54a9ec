"""Writes tests/data/surface_error_types.json: the exception type PyTorch raises for each case in
tests/surface_error_cases.py.

Run once with PyTorch in a scratch venv outside the repo:
    /work/venv-torch/bin/python tools/gen_error_types.py > tests/data/surface_error_types.json
"""
import importlib.util
import json
import os
import warnings

import torch

warnings.simplefilter("ignore")
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "surface_error_cases.py")
spec = importlib.util.spec_from_file_location("surface_error_cases", path)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
out = {}
for name, fn in mod.cases(torch).items():
    try:
        fn()
        out[name] = None
    except Exception as e:
        out[name] = type(e).__name__
print(json.dumps(out, indent=1))

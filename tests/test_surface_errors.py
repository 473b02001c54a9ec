"""Bad arguments to the new surface raise the exception type PyTorch raises, case by case
(types recorded from PyTorch by tools/gen_error_types.py)."""
import json
import os
import warnings

import pytest

import ember
from surface_error_cases import cases

WANT = json.load(open(os.path.join(os.path.dirname(__file__), "data", "surface_error_types.json")))
CASES = cases(ember)


@pytest.mark.parametrize("name", sorted(WANT))
def test_same_exception_type_as_pytorch(name):
    assert WANT[name] is not None, f"{name}: PyTorch does not raise here; the case is wrong"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(BaseException) as info:
            CASES[name]()
    assert type(info.value).__name__ == WANT[name], f"{name}: {info.value!r}"

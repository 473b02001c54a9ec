"""The coverage of PyTorch's public names (tools/api_coverage.py) never drops below the
committed figures in tools/api_coverage_floor.json, and the exclusion list stays honest."""
import json
import os
import sys

import pytest

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")
sys.path.insert(0, TOOLS)

import api_coverage  # noqa: E402


def _load(name):
    with open(os.path.join(TOOLS, name)) as f:
        return json.load(f)


ROWS = {ns: (present, total, missing) for ns, present, total, missing in api_coverage.coverage()}


@pytest.mark.parametrize("ns", sorted(_load("api_coverage_floor.json")["present"]))
def test_coverage_does_not_drop(ns):
    floor = _load("api_coverage_floor.json")["present"][ns]
    present, total, missing = ROWS[ns]
    assert present >= floor, (f"{ns}: {present}/{total} names present, below the committed {floor}; "
                              f"missing now: {missing}")


def test_every_namespace_has_a_floor():
    assert set(_load("api_coverage_floor.json")["present"]) == set(ROWS)


def test_exclusions_name_real_pytorch_names_and_give_reasons():
    names = _load("api_names.json")["namespaces"]
    excl = api_coverage.exclusions(names)  # raises on an entry matching nothing
    for group in _load("api_exclusions.json")["groups"]:
        assert group["reason"].strip()
    # Exclusions stay narrow where the issue asks for everything (Tensor, nn, nn.functional).
    for ns in ("torch.Tensor", "torch.nn", "torch.nn.functional"):
        assert len(excl.get(ns, {})) < 0.15 * len(names[ns]), ns


def test_exclusions_reject_unknown_names(tmp_path, monkeypatch):
    bad = {"groups": [{"reason": "x", "names": {"torch": ["no_such_torch_name"]}}]}
    real_load = api_coverage._load
    monkeypatch.setattr(api_coverage, "_load", lambda n: bad if n == "api_exclusions.json" else real_load(n))
    with pytest.raises(ValueError, match="no_such_torch_name"):
        api_coverage.exclusions(real_load("api_names.json")["namespaces"])


def test_tool_does_not_import_torch():
    src = open(os.path.join(TOOLS, "api_coverage.py")).read()
    assert "import torch" not in src
    assert "torch" not in sys.modules or not hasattr(sys.modules["torch"], "_C")


def test_set_apart_groups_name_real_unexcluded_names_and_still_count():
    names = _load("api_names.json")["namespaces"]
    groups = api_coverage.set_apart(names, api_coverage.exclusions(names))  # raises on a bad entry
    assert any("complex" in label for label, _ in groups)
    rows = api_coverage.coverage()
    for label, _ in groups:
        split = api_coverage.split_view(rows, label)
        for (ns, present, total, missing), (ns2, p2, t2, m2, gp, gt, gm) in zip(rows, split):
            assert ns == ns2 and p2 + gp == present and t2 + gt == total
            assert sorted(m2 + gm) == sorted(missing)

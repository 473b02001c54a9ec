"""Ordinary PyTorch programs (tests/programs/p*.py, written as ``import ember as torch``) run under
ember and print what PyTorch printed for the same source (tests/programs/expected/*.txt,
generated once by tests/programs/make_expected.py from a scratch PyTorch install).

Programs print only what both libraries must agree on: shapes, dtypes, behaviour, and values of
deterministic computations (seeded random streams differ between the libraries).
"""
import contextlib
import io
import pathlib
import runpy
import warnings

import pytest

import ember

HERE = pathlib.Path(__file__).resolve().parent / "programs"
PROGRAMS = sorted(HERE.glob("p*.py"))


def _reset_global_state():
    ember.set_printoptions(profile="default")
    ember.set_grad_enabled(True)
    ember.manual_seed(0)


@pytest.mark.parametrize("path", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program_prints_what_pytorch_printed(path):
    expected = (HERE / "expected" / (path.stem + ".txt")).read_text()
    _reset_global_state()
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            runpy.run_path(str(path), run_name="__main__")
    finally:
        _reset_global_state()
    # ember names itself where PyTorch prints `torch` (dtypes, Size, return types).
    assert buf.getvalue().replace("ember", "torch") == expected


def test_corpus_is_complete():
    assert len(PROGRAMS) >= 40
    assert all((HERE / "expected" / (p.stem + ".txt")).exists() for p in PROGRAMS)

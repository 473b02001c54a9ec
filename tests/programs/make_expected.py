"""Regenerate expected/*.txt from PyTorch (run by hand, never by the tests).

Each program is written as `import ember as torch`; the PyTorch run gets the same source with
`ember` replaced by `torch`, executed by the interpreter of a scratch venv ($TORCH_PYTHON, default
/work/venv-torch/bin/python). Positional arguments select programs by substring; with --compare
it also runs ember and prints the differences.
"""
import difflib
import os
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent


def normalise(text):
    """ember prints its own module name where PyTorch prints `torch`."""
    return text.replace("ember", "torch")


def run_source(python, src, env=None):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "prog.py")
        with open(path, "w") as f:
            f.write(src)
        p = subprocess.run([python, path], capture_output=True, text=True, timeout=120, cwd=d, env=env)
    return p.returncode, p.stdout, p.stderr


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    compare = "--compare" in sys.argv
    torch_py = os.environ.get("TORCH_PYTHON", "/work/venv-torch/bin/python")
    only = args
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    for prog in sorted(HERE.glob("p*.py")):
        if only and not any(o in prog.name for o in only):
            continue
        src = prog.read_text()
        rc, out, err = run_source(torch_py, src.replace("ember", "torch"))
        if rc != 0:
            print(f"{prog.name}: PyTorch run failed\n{err[-2000:]}")
            continue
        (HERE / "expected" / (prog.stem + ".txt")).write_text(out)
        if compare:
            rc2, out2, err2 = run_source(sys.executable, src, env)
            if rc2 != 0:
                print(f"{prog.name}: EMBER FAILED\n{err2[-1500:]}")
            elif normalise(out2) != out:
                out2 = normalise(out2)
                print(f"{prog.name}: DIFF")
                sys.stdout.writelines(difflib.unified_diff(out.splitlines(True), out2.splitlines(True), "torch", "ember"))
            else:
                print(f"{prog.name}: ok")


if __name__ == "__main__":
    main()

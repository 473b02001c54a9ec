#!/usr/bin/env bash
# Runs the public array API conformance suite (data-apis/array-api-tests, not on PyPI) against
# ember.array_api from a checkout kept OUTSIDE this repository, at a pinned commit, with a fixed
# hypothesis seed and 100 examples per test, and prints a per-file pass table.
#
#   tools/run_array_api_tests.sh [--module NAME] [--xfails] [extra pytest args]
#
# Environment: ARRAY_API_TESTS_DIR (the suite checkout, default /work/array-api-tests, with its
# array-api submodule checked out), PYTHON (an interpreter with pytest, hypothesis, ndindex and
# array-api-strict; default python3). --xfails applies tools/array_api_xfails.txt (one test id
# a line, each followed by "  # reason").
#
# The suite at the pinned commit indexes `widest_complex_dtype` at import time, so a namespace
# without complex dtypes cannot even be collected. Until ember has complex dtypes (issue #14)
# the script sets the suite's own ARRAY_API_TESTS_SKIP_DTYPES=complex64,complex128 and makes
# that one lookup tolerate the missing dtype in the external checkout (idempotent, a no-op for
# namespaces that have complex). Tests that need complex values then fail, and are listed in
# the xfails file with that reason.
set -euo pipefail
PIN=55fcc60179efa2680ddd6cd926ddf17b83530e2b
SPEC_PIN=5f847a3858875c682ae901aa22b0413bf24be9da
HERE=$(cd "$(dirname "$0")/.." && pwd)
SUITE=${ARRAY_API_TESTS_DIR:-/work/array-api-tests}
PY=${PYTHON:-python3}
MODULE=ember.array_api
XFAILS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --module) MODULE=$2; shift 2;;
    --xfails)
      # our list keeps a reason on every line ("<test id>  # <reason>"); the suite wants bare ids
      ids=$(mktemp); sed -e 's/  # .*$//' -e '/^#/d' -e '/^ *$/d' "$HERE/tools/array_api_xfails.txt" > "$ids"
      XFAILS=(--xfails-file "$ids"); shift;;
    *) break;;
  esac
done
[[ -d $SUITE/.git ]] || { echo "no suite checkout at $SUITE: git clone https://github.com/data-apis/array-api-tests $SUITE && git -C $SUITE checkout $PIN && git -C $SUITE submodule update --init" >&2; exit 2; }
got=$(git -C "$SUITE" rev-parse HEAD)
[[ $got == "$PIN" ]] || { echo "suite at $got, expected the pinned $PIN" >&2; exit 2; }
[[ $(git -C "$SUITE/array-api" rev-parse HEAD) == "$SPEC_PIN" ]] || { echo "array-api submodule not at $SPEC_PIN" >&2; exit 2; }
"$PY" - "$SUITE" <<'PYEOF'
import pathlib, sys
root = pathlib.Path(sys.argv[1]) / "array_api_tests"
edits = {
    "dtype_helpers.py": ("key=lambda x: x[1]\n)[0]\n\n\n# float64",
                         "key=lambda x: x[1], default=(None, 0)\n)[0]\n\n\n# float64"),
    "test_signatures.py": ("cmplx_name = dh.dtype_to_name[dh.widest_complex_dtype]",
                           "cmplx_name = dh.dtype_to_name[dh.widest_complex_dtype] if dh.widest_complex_dtype is not None else 'complex128'"),
}
for name, (old, new) in edits.items():
    p = root / name
    text = p.read_text()
    if new not in text:
        assert text.count(old) == 1, f"{name}: the line to adapt moved; update tools/run_array_api_tests.sh"
        p.write_text(text.replace(old, new))
PYEOF
export ARRAY_API_TESTS_MODULE=$MODULE
export PYTHONPATH=$HERE/python${PYTHONPATH:+:$PYTHONPATH}
# the suite's own switch for a namespace without some dtypes
if ! "$PY" -c "import $MODULE as m; m.complex64" 2>/dev/null; then
  export ARRAY_API_TESTS_SKIP_DTYPES=${ARRAY_API_TESTS_SKIP_DTYPES:-complex64,complex128}
fi
REPORT=$(mktemp -d)/junit.xml
cd "$SUITE"
start=$(date +%s)
set +e
nice -n 15 "$PY" -m pytest array_api_tests/ -q -p no:cacheprovider --max-examples=100 --hypothesis-seed=0 \
  --junitxml="$REPORT" "${XFAILS[@]}" "$@" > "${REPORT%.xml}.log" 2>&1
rc=$?
set -e
echo "suite $PIN, module $MODULE, $(( $(date +%s) - start )) s, pytest exit $rc, log ${REPORT%.xml}.log"
"$PY" - "$REPORT" <<'PYEOF'
import collections, sys, xml.etree.ElementTree as ET
rows = collections.defaultdict(collections.Counter)
for case in ET.parse(sys.argv[1]).iter("testcase"):
    parts = case.get("classname", "").split(".")
    f = next((q for q in parts if q.startswith("test_")), parts[-1]) + ".py"
    kinds = {c.tag for c in case}
    k = ("failed" if kinds & {"failure", "error"} else
         "xfailed/skipped" if "skipped" in kinds else "passed")
    rows[f][k] += 1
tot = collections.Counter()
print(f"| file | passed | failed | xfailed/skipped | total |\n|---|---|---|---|---|")
for f in sorted(rows):
    r = rows[f]; tot.update(r)
    print(f"| {f} | {r['passed']} | {r['failed']} | {r['xfailed/skipped']} | {sum(r.values())} |")
print(f"| **total** | {tot['passed']} | {tot['failed']} | {tot['xfailed/skipped']} | {sum(tot.values())} |")
PYEOF

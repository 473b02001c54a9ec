#!/usr/bin/env bash
# Runs the public array API conformance suite (data-apis/array-api-tests, not on PyPI) against
# ember.array_api from a checkout kept OUTSIDE this repository, at a pinned commit, with a fixed
# hypothesis seed and 100 examples per test, and prints a per-file pass table.
#
#   tools/run_array_api_tests.sh [--module NAME] [--xfails] [extra pytest args]
#
# Environment: ARRAY_API_TESTS_DIR (the suite checkout, default /work/array-api-tests, with its
# array-api submodule checked out), PYTHON (an interpreter with pytest, hypothesis, ndindex and
# array-api-strict; default python3), ARRAY_API_TESTS_VERSION (the revision whose tests run;
# default: the module's __array_api_version__, 2025.12 for ember.array_api). --xfails applies
# tools/array_api_xfails.txt (one test id a line, each followed by "  # reason"). The checkout
# must be unmodified (earlier versions of this script patched it for a namespace without complex
# dtypes: `git -C $SUITE checkout -- .`).
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
[[ -z $(git -C "$SUITE" status --porcelain --untracked-files=no) ]] || { echo "the suite checkout has local edits; run: git -C $SUITE checkout -- ." >&2; exit 2; }
export ARRAY_API_TESTS_MODULE=$MODULE
export PYTHONPATH=$HERE/python${PYTHONPATH:+:$PYTHONPATH}
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

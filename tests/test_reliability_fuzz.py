"""The fuzzer in CI: a bounded budget of random calls over ember's public API (see
tests/fuzz), each in a child process. Any crash, abort, panic, hang, MemoryError, write into
memory no argument owned, or input modified by a call that then raised fails the test, with
the reproducers, except failures listed in fuzz/known.py as waiting for a Rust fix."""
import os

from fuzz import known, pool, run

CALLS = int(os.environ.get("EMBER_FUZZ_CALLS", 2500))
SEED = int(os.environ.get("EMBER_FUZZ_SEED", 19))
TIME_LIMIT = 40.0  # seconds of drawing new calls; what is in flight then still finishes


def test_fuzz_public_api_has_no_crash_panic_hang_or_mutation():
    done = run.fuzz(CALLS, seed=SEED, jobs=2, timeout=10.0, time_limit=TIME_LIMIT)
    assert len(done) >= min(CALLS, 500), f"only {len(done)} calls ran"
    cats = {c.outcome[0] for c in done}
    assert "ok" in cats and "error" in cats  # the fuzzer reaches both working and failing calls
    new = [c for c in done if c.outcome[0] in pool.FAIL and known.pending_reason(c) is None]
    msg = []
    seen = set()
    for c in new:
        sig = run.signature(c)
        if sig not in seen:
            seen.add(sig)
            msg.append(f"[{c.outcome[0]}] {c.target}: {c.outcome[1]}: {c.outcome[2]}\n    "
                       + c.source().replace("\n", "\n    "))
    assert not new, f"{len(new)} failing calls of {len(done)}:\n" + "\n".join(msg)

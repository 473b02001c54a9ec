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


def test_fuzz_pool_records_crashes_hangs_and_mutations_with_their_call():
    # The machinery itself: each kind of failure is pinned on the call that caused it, and
    # the calls after it still run in a fresh worker.
    calls = [
        pool.Call(0, "t.ok", ["a0 = ember.ones(2)"], "a0 + 1"),
        pool.Call(1, "t.segv", [], "__import__('os').kill(__import__('os').getpid(), 11)"),
        pool.Call(2, "t.abort", [], "__import__('os').abort()"),
        pool.Call(3, "t.hang", [], "__import__('time').sleep(60)"),
        pool.Call(4, "t.mutated", ["a0 = ember.ones(2)"], "(a0.add_(1), int('x'))"),
        pool.Call(5, "t.base", [], "(_ for _ in ()).throw(KeyboardInterrupt())"),
        pool.Call(6, "t.memory", [], "[0] * 2**40"),
        pool.Call(7, "t.error", ["a0 = ember.ones(2)"], "a0.view(3)"),
        pool.Call(8, "t.ok2", [], "ember.zeros(3).sum()"),
    ]
    done = {c.target: c.outcome for c in pool.run(calls, jobs=2, timeout=3.0, batch=4)}
    assert len(done) == len(calls)
    assert done["t.ok"][0] == "ok" and done["t.ok2"][0] == "ok"
    assert done["t.segv"][:2] == ("crash", "SIGSEGV")
    assert done["t.abort"][:2] == ("abort", "SIGABRT")
    assert done["t.hang"][0] == "hang"
    assert done["t.mutated"][0] == "mutated" and "a0 changed" in done["t.mutated"][2]
    assert done["t.base"][:2] == ("baseexception", "KeyboardInterrupt")
    assert done["t.memory"][0] == "memory"
    assert done["t.error"][:2] == ("error", "RuntimeError")

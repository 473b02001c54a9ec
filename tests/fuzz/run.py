"""``python -m tests.fuzz --calls N --seed S --jobs J``: fuzz ember's public API.

Draws calls with hypothesis (in chunks, each chunk seeded from ``--seed``), runs them in a
pool of child processes (see pool.py), prints a table of outcomes and one reproducer per
distinct failure, and exits 1 if any call crashed, aborted, panicked, hung, ran out of
memory, corrupted memory or modified its inputs before raising.
"""
import argparse
import collections
import json
import os
import random
import re
import sys
import time
import zlib

if __package__ in (None, ""):  # run as a script: python tests/fuzz/run.py
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    __package__ = "tests.fuzz"

from hypothesis import HealthCheck, Phase, given, seed as hyp_seed, settings  # noqa: E402

from . import gen, pool, targets as _targets  # noqa: E402

CHUNK = 200  # calls drawn at a time
PER_TARGET = 6  # calls per target per visit
MAX_SUSPECTS = 60  # suspect exceptions listed in the report (all of them go to --json)
EXPLAIN = {
    "ok": "returned (result read back; backward run when it had a graph)",
    "error": "raised an Exception subclass: the expected answer to bad input",
    "suspect": "raised AttributeError/AssertionError/OverflowError/...: ember's own code tripped",
    "panic": "a Rust panic reached Python (PanicException, not an Exception)",
    "baseexception": "raised a BaseException that is not an Exception",
    "crash": "the process died on a signal (segfault, stack overflow, ...)",
    "abort": "the process aborted (Rust allocation failure, capacity overflow, ...)",
    "killed": "the process was killed (SIGKILL: out of memory)",
    "hang": "no answer within the per-call timeout",
    "memory": "raised MemoryError instead of RuntimeError",
    "mutated": "raised, but a tensor it was given had changed",
    "corrupt": "wrote into memory no argument owned (canary buffer changed)",
}


def load_targets():
    import ember

    return _targets.collect(ember)


def draw(targets, n, seed):
    """``n`` calls drawn by hypothesis from ``seed`` (deterministic for a given ember API)."""
    out = []
    for attempt in range(3):  # hypothesis stops early when a target has few distinct calls
        @settings(max_examples=n - len(out), database=None, deadline=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @hyp_seed(seed + attempt * 7919)
        @given(gen.call(targets))
        def collect(c):
            out.append(c)

        collect()
        if len(out) >= n:
            break
    return out[:n]


def signature(c):
    cat, name, msg, stage = c.outcome
    norm = re.sub(r"0x[0-9a-f]+|\d+", "N", msg)[:90]
    return cat, c.target, name, norm


def fuzz(calls, seed=0, jobs=2, timeout=10.0, mem_limit=2 << 30, threads=1, time_limit=None, only=None,
         progress=None, devices=("cpu",)):
    """Runs up to ``calls`` calls; returns the list of finished Call records. ``devices``:
    where drawn tensors live (("cpu", "wgpu") puts about half of them on wgpu)."""
    gen.DEVICES[:] = list(devices)
    targets = load_targets()
    if only:
        targets = {k: v for k, v in targets.items() if re.search(only, k)}
    # Targets are visited in a seeded shuffled cycle, a few calls each, and hypothesis draws
    # the arguments for one target at a time: every function gets its share of calls.
    order = sorted(targets)
    random.Random(seed).shuffle(order)
    state = {"made": 0, "pos": 0}

    def feed():
        out = []
        while len(out) < CHUNK and state["made"] < calls:
            k = state["pos"]
            state["pos"] += 1
            name = order[k % len(order)]
            n = min(PER_TARGET, calls - state["made"])
            drawn = draw({name: targets[name]}, n, zlib.crc32(f"{seed}/{k // len(order)}/{name}".encode()))
            out += [pool.Call(state["made"] + i, *c) for i, c in enumerate(drawn)]
            state["made"] += len(drawn)
        return out

    deadline = None if time_limit is None else time.monotonic() + time_limit
    return pool.run([], jobs=jobs, timeout=timeout, mem_limit=mem_limit, threads=threads, deadline=deadline,
                    on_result=progress, feed=feed)


def confirm(failures, timeout, mem_limit):
    """Reruns each failure alone in a fresh worker: True where it fails the same way again."""
    out = {}
    for c in failures:
        again = pool.Call(c.cid, c.target, c.setup, c.line)
        pool.run([again], jobs=1, timeout=timeout, mem_limit=mem_limit)
        out[c.cid] = again.outcome is not None and again.outcome[0] == c.outcome[0]
    return out


def report(done, elapsed, jobs, seed, confirmed=None, out=sys.stdout):
    counts = collections.Counter(c.outcome[0] for c in done)
    w = out.write
    w(f"\nember fuzz: {len(done)} calls in {elapsed:.1f} s ({len(done) / max(elapsed, 1e-9):.0f}/s), "
      f"{jobs} worker(s), seed {seed}\n\n")
    w(f"{'outcome':<14}{'calls':>8}  meaning\n")
    for cat in ["ok", "error", "suspect"] + list(pool.FAIL):
        if counts.get(cat) or cat in ("ok", "error"):
            flag = "  FAIL" if cat in pool.FAIL else ""
            w(f"{cat:<14}{counts.get(cat, 0):>8}  {EXPLAIN[cat]}{flag}\n")
    groups = collections.OrderedDict()
    for c in done:
        if c.outcome[0] in pool.FAIL or c.outcome[0] == "suspect":
            groups.setdefault(signature(c), []).append(c)
    fails = [(k, v) for k, v in groups.items() if k[0] in pool.FAIL]
    suspects = [(k, v) for k, v in groups.items() if k[0] == "suspect"]
    if fails:
        w(f"\n{len(fails)} distinct failure(s):\n")
        for (cat, target, name, _), cs in fails:
            c = cs[0]
            conf = "" if confirmed is None else (" confirmed alone" if confirmed.get(c.cid) else " NOT reproduced alone")
            w(f"\n[{cat}] {target}: {name}: {c.outcome[2]}  (x{len(cs)}, stage {c.outcome[3]}{conf})\n")
            w("    " + c.source().replace("\n", "\n    ") + "\n")
    if suspects:
        w(f"\n{len(suspects)} distinct suspect exception(s) (not failures; unclear errors worth a look)"
          + (f", the {MAX_SUSPECTS} most frequent" if len(suspects) > MAX_SUSPECTS else "") + ":\n")
        suspects.sort(key=lambda kv: -len(kv[1]))
        for (cat, target, name, _), cs in suspects[:MAX_SUSPECTS]:
            w(f"  {target}: {name}: {cs[0].outcome[2][:120]}  (x{len(cs)})  e.g. {cs[0].line}\n")
    return fails


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per call before it counts as a hang")
    ap.add_argument("--mem-limit", type=float, default=2.0,
                    help="GiB of address space per worker (huge requests fail there as allocation errors)")
    ap.add_argument("--threads", type=int, default=1, help="ember threads per worker")
    ap.add_argument("--time-limit", type=float, default=None, help="stop drawing new calls after this many seconds")
    ap.add_argument("--only", default=None, help="regex: fuzz only targets whose name matches")
    ap.add_argument("--no-confirm", action="store_true", help="don't rerun each distinct failure alone")
    ap.add_argument("--wgpu", action="store_true", help="put about half of the drawn tensors on the wgpu device")
    ap.add_argument("--json", default=None, help="write every failure and suspect (with reproducer) here")
    args = ap.parse_args(argv)
    mem = int(args.mem_limit * (1 << 30))
    t0 = time.monotonic()
    tick = {"n": 0}

    def progress(c):
        tick["n"] += 1
        if c.outcome[0] in pool.FAIL:  # as they happen: a long run can be read while it goes
            print(f"  FAIL [{c.outcome[0]}] {c.target}: {c.outcome[1]}: {c.outcome[2][:150]} :: {c.line[:150]}",
                  file=sys.stderr, flush=True)
        if tick["n"] % 5000 == 0:
            print(f"  {tick['n']} calls, {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)

    devices = ("cpu", "wgpu") if args.wgpu else ("cpu",)
    done = fuzz(args.calls, args.seed, args.jobs, args.timeout, mem, args.threads, args.time_limit, args.only, progress,
                devices)
    elapsed = time.monotonic() - t0
    groups = {}
    for c in done:
        if c.outcome[0] in pool.FAIL:
            groups.setdefault(signature(c), c)
    confirmed = None if args.no_confirm else confirm(list(groups.values()), args.timeout, mem)
    fails = report(done, elapsed, args.jobs, args.seed, confirmed)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"target": c.target, "outcome": c.outcome, "source": c.source(),
                        "confirmed": None if confirmed is None else confirmed.get(c.cid)}
                       for c in done if c.outcome[0] in pool.FAIL + ("suspect",)], f, indent=1)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())

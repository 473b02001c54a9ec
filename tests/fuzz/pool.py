"""A pool of fuzz workers (child processes) that survives its workers' deaths.

Each worker gets a batch of calls at a time. The parent watches every worker's pipe and
process sentinel: a worker that dies (segfault, abort, ``exit``) is recorded as a failure
of the call it had started, with the tail of its stderr (the Rust panic or allocation
message), and is replaced by a fresh one that gets the rest of its batch; a call that
runs past ``timeout`` seconds is a hang (the worker is killed and replaced the same way).
"""
import collections
import multiprocessing
import multiprocessing.connection
import os
import signal
import tempfile
import time

from . import worker as _worker

FAIL = ("panic", "baseexception", "crash", "abort", "killed", "hang", "memory", "mutated", "corrupt")


class Call:
    __slots__ = ("cid", "target", "setup", "line", "outcome")

    def __init__(self, cid, target, setup, line):
        self.cid, self.target, self.setup, self.line, self.outcome = cid, target, setup, line, None

    def source(self):
        return "\n".join(["import ember"] + list(self.setup) + [self.line])


class _Proc:
    def __init__(self, ctx, opts, idx, workdir):
        self.stderr_path = os.path.join(workdir, f"worker{idx}.stderr")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker.main, daemon=True, args=(
            child, self.stderr_path, workdir, opts["mem_limit"], opts["threads"]))
        self.proc.start()
        child.close()
        self.batch = collections.OrderedDict()  # cid -> Call, sent and not answered
        self.current = None  # (Call, stderr offset, start time)

    def send(self, calls):
        for c in calls:
            self.batch[c.cid] = c
        self.conn.send([(c.cid, c.setup, c.line) for c in calls])

    def stderr_since(self, offset):
        try:
            with open(self.stderr_path, "rb") as f:
                f.seek(offset)
                return f.read(1 << 16).decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, kill=False):
        if self.proc.is_alive():
            if kill:
                self.proc.kill()
            else:
                try:
                    self.conn.send(None)
                except OSError:
                    pass
                self.proc.join(2)
                if self.proc.is_alive():
                    self.proc.kill()
        self.proc.join(5)
        self.conn.close()


def _death(exitcode, err):
    """(category, name, message) for a worker that died while running a call."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    note = next((ln for ln in lines if "panicked at" in ln or "memory allocation" in ln or "overflowed" in ln
                 or "capacity overflow" in ln or "fatal" in ln.lower()), lines[-1] if lines else "")
    if exitcode is not None and exitcode < 0:
        try:
            sig = signal.Signals(-exitcode).name
        except ValueError:
            sig = f"signal {-exitcode}"
        cat = {"SIGABRT": "abort", "SIGKILL": "killed"}.get(sig, "crash")
        if "overflowed its stack" in err:
            cat = "crash"
        return cat, sig, note[:300]
    return "crash", f"exit {exitcode}", note[:300]


def run(calls, jobs=2, timeout=10.0, mem_limit=2 << 30, threads=1, batch=25, deadline=None, on_result=None,
        feed=None):
    """Runs ``calls`` (a list of Call; ``feed()`` may return more when the list runs low)
    on ``jobs`` workers; sets each call's ``outcome``; returns the calls that ran."""
    ctx = multiprocessing.get_context("spawn")
    opts = {"mem_limit": mem_limit, "threads": threads}
    queue = collections.deque(calls)
    done = []
    with tempfile.TemporaryDirectory(prefix="ember-fuzz-") as workdir:
        procs = [_Proc(ctx, opts, i, workdir) for i in range(jobs)]
        spawned = jobs
        failed_starts = 0

        def finish(c, outcome):
            c.outcome = outcome
            done.append(c)
            if on_result:
                on_result(c)

        try:
            while True:
                if feed is not None and len(queue) < jobs * batch * 2 and (deadline is None or time.monotonic() < deadline):
                    more = feed()
                    if more:
                        queue.extend(more)
                stopping = deadline is not None and time.monotonic() >= deadline
                for p in procs:
                    if not p.batch and queue and not stopping:
                        p.send([queue.popleft() for _ in range(min(batch, len(queue)))])
                busy = [p for p in procs if p.batch]
                if not busy:
                    break
                multiprocessing.connection.wait([p.conn for p in busy] + [p.proc.sentinel for p in busy], 0.5)
                for i, p in enumerate(procs):
                    if not p.batch:
                        continue
                    dead = False
                    try:
                        while p.conn.poll():
                            msg = p.conn.recv()
                            if msg[0] == "start":
                                p.current = (p.batch[msg[1]], msg[2], time.monotonic())
                            else:
                                finish(p.batch.pop(msg[1]), msg[2])
                                p.current = None
                                failed_starts = 0
                    except (EOFError, OSError):
                        dead = True
                    hung = p.current is not None and time.monotonic() - p.current[2] > timeout
                    if not (dead or hung or not p.proc.is_alive()):
                        continue
                    if hung:
                        p.proc.kill()
                    p.proc.join(5)
                    rest = list(p.batch.values())
                    if p.current is not None:
                        c, off, _ = p.current
                        rest.remove(c)
                        if hung:
                            finish(c, ("hang", "timeout", f"no answer after {timeout:g} s", "call"))
                        else:
                            finish(c, _death(p.proc.exitcode, p.stderr_since(off)) + ("call",))
                    elif rest and not p.proc.exitcode == 0:
                        failed_starts += 1
                        if failed_starts > 3:
                            raise RuntimeError("fuzz workers die before running anything:\n"
                                               + p.stderr_since(0)[-2000:])
                    queue.extendleft(reversed(rest))
                    p.batch.clear()
                    p.stop(kill=True)
                    procs[i] = _Proc(ctx, opts, spawned, workdir)
                    spawned += 1
        finally:
            for p in procs:
                p.stop()
    return done

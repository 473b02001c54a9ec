"""The child process that runs fuzz calls, so a segfault, abort or hang costs one process,
not the run.

Protocol on one duplex pipe: the parent sends a batch ``[(cid, setup_lines, call_line), …]``
(or ``None`` to exit); for each call the worker sends ``("start", cid, stderr_offset)``
before running it and ``("done", cid, outcome)`` after. If the worker dies or stops
answering, the parent knows which call was running and where its stderr began.

``outcome`` is ``(category, exc_type, message, stage)``; see ``classify``. After an
exception every tensor the call received is compared with a snapshot taken before the
call (values, sizes, strides, offset, dtype): "nothing the user held is modified after an
error". Canary buffers (a NumPy array and an ember tensor that no call ever sees) are
checked after every call, which catches stray writes through bad geometry.
"""
import hashlib
import math
import os
import resource
import sys
import warnings

# Exceptions that mean ember's own Python code tripped rather than rejecting the input
# with a clear message; reported, but not counted as crashes.
SUSPECT = (AttributeError, NameError, AssertionError, RecursionError, SystemError, ZeroDivisionError, KeyError,
           OverflowError, UnboundLocalError, StopIteration)
MAX_TOUCH = 100_000  # elements read back from a result to make sure it is a sound tensor


def classify(exc):
    name = type(exc).__name__
    msg = str(exc).splitlines()[0][:300] if str(exc) else ""
    if not isinstance(exc, Exception):
        return ("panic" if "Panic" in name else "baseexception"), name, msg
    if isinstance(exc, MemoryError):
        return "memory", name, msg
    if isinstance(exc, SUSPECT):
        return "suspect", name, msg
    return "error", name, msg


def _tensors(obj, out, depth=0):
    import ember

    if isinstance(obj, ember.Tensor):
        out.append(obj)
    elif isinstance(obj, (list, tuple)) and depth < 2:
        for v in obj:
            _tensors(v, out, depth + 1)
    elif isinstance(obj, dict) and depth < 2:
        for v in obj.values():
            _tensors(v, out, depth + 1)
    return out


def _state(t):
    """Everything an error must leave as it was: geometry, dtype, and the values."""
    from ember import _native

    try:
        geo = (tuple(t.shape), t.dtype.name, str(t.device), t.requires_grad)
        if _native._is_sparse(t):
            ind, val, _ = _native._sparse_parts(t)
            return geo, _state(ind), _state(val)
        geo += (tuple(t.stride()), t.storage_offset())
        if t.device.type == "meta":
            return geo
        data = t.detach()
        if data.device.type != "cpu":
            data = data.cpu()
        return geo, hashlib.md5(bytes(_native._to_bytes(data))).hexdigest()
    except Exception as e:  # a tensor the snapshot can't read is reported by the call itself
        return ("unreadable", type(e).__name__)


def _snapshot(ns):
    snap = []
    for k, v in ns.items():
        if k.startswith("a") and k[1:].isdigit():
            for i, t in enumerate(_tensors(v, [])):
                snap.append((k, i, t, _state(t)))
    return snap


def _mutated(snap):
    for k, i, t, before in snap:
        if before and before[0] == "unreadable":
            continue
        after = _state(t)
        if after != before:
            return f"{k}" + (f"[{i}]" if i else "") + f" changed: {before!r} -> {after!r}"
    return None


def _touch(r):
    """Reads a result back, so a tensor with unsound geometry shows itself here."""
    import ember

    for t in _tensors(r, []):
        if not isinstance(t, ember.Tensor):
            continue
        t.shape, t.dtype  # noqa: B018
        # (a 0-element tensor of shape (2**31, 0) would still make 2**31 empty lists)
        if t.device.type == "cpu" and not t.is_sparse and t.numel() <= MAX_TOUCH and all(
                n <= MAX_TOUCH for n in t.shape):
            t.tolist()
        if t.requires_grad and t.grad_fn is not None and t.dtype.is_floating_point and t.numel() <= MAX_TOUCH:
            t.sum().backward()


class Canary:
    def __init__(self):
        import numpy as np
        import ember

        self.np = np.arange(1 << 14, dtype=np.int64)
        self.em = ember.arange(1 << 14, dtype=ember.int64)
        self.want = self.digest()

    def digest(self):
        from ember import _native

        return hashlib.md5(self.np.tobytes() + bytes(_native._to_bytes(self.em))).hexdigest()

    def intact(self):
        return self.digest() == self.want


def _reset_modes(ember):
    """Undoes a call's global switches (``set_grad_enabled(False)`` called as a function)."""
    try:
        if not ember.is_grad_enabled():
            ember.set_grad_enabled(True)
    except Exception:
        pass


def run_one(setup, line, ns):
    """Runs one call; returns its outcome tuple."""
    import ember

    stage = "setup"
    try:
        for s in setup:
            exec(s, ns)
        snap = _snapshot(ns)
        stage = "call"
        try:
            exec("__r = " + line, ns)
        except BaseException as e:
            cat, name, msg = classify(e)
            if cat in ("error", "suspect"):
                changed = _mutated(snap)
                if changed:
                    return "mutated", name, f"{msg} | {changed}", stage
            return cat, name, msg, stage
        stage = "touch"
        _touch(ns.pop("__r", None))
    except BaseException as e:
        cat, name, msg = classify(e)
        return cat, name, msg, stage
    finally:
        ns.clear()
        _reset_modes(ember)
    return "ok", "", "", "call"


def main(conn, stderr_path, workdir, mem_limit, threads):
    fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.chdir(workdir)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if mem_limit:
        # Huge requests must fail as allocation errors here, not take the machine's memory.
        resource.setrlimit(resource.RLIMIT_AS, (mem_limit, mem_limit))
    os.environ["RUST_BACKTRACE"] = "0"  # the panic line names the site; backtraces would bury it
    sys.setrecursionlimit(3000)
    warnings.simplefilter("ignore")
    import ember

    ember.set_num_threads(threads)
    canary = Canary()
    while True:
        try:
            batch = conn.recv()
        except EOFError:
            return
        if batch is None:
            return
        for cid, setup, line in batch:
            conn.send(("start", cid, os.fstat(2).st_size))
            ns = {"ember": ember, "math": math}
            outcome = run_one(setup, line, ns)
            if outcome[0] in ("ok", "error", "suspect") and not canary.intact():
                outcome = ("corrupt", "", "a buffer no call saw was overwritten", outcome[3])
            if outcome[0] in ("panic", "baseexception"):
                outcome = outcome[:2] + (outcome[2] + _panic_site(stderr_path), outcome[3])
            conn.send(("done", cid, outcome))
            if outcome[0] == "corrupt":
                return  # this process's memory can't be trusted any more


def _panic_site(stderr_path):
    """' @ rust/…/file.rs:line' from the panic hook's last report on stderr, if any."""
    try:
        with open(stderr_path, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 4096))
            tail = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    sites = [ln.split("panicked at", 1)[1].strip().rstrip(":") for ln in tail.splitlines() if "panicked at" in ln]
    return f" @ {sites[-1]}" if sites else ""

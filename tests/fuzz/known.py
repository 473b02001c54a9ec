"""Failures the fuzzer may still find whose fix is in Rust (issue 19), so that the CI fuzz
test fails only on new ones. Each entry: (categories, target regex, message regex, the fix
it waits for). Remove an entry when its fix lands; the CLI reports every failure regardless.
"""
import re

ANY = r"."
# Emptied once the Rust fixes landed (checked arithmetic, the panic guard, fallible
# allocation, geometry checks before kernels): every panic, abort or crash is now a failure.
PENDING_RUST = []


def pending_reason(call):
    """The pending Rust fix that explains this failed call, or None."""
    cat, name, msg, _ = call.outcome
    for cats, target, pattern, reason in PENDING_RUST:
        if cat in cats and re.search(target, call.target) and re.search(pattern, f"{name}: {msg}"):
            return reason
    return None

"""ember's fuzzer: random calls over the public API, each in a child process (see run.py)."""

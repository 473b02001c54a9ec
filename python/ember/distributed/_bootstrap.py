"""What each rank started by ``ember.distributed.run`` executes before the user's script:
torchrun's environment variables from the MPI launcher's, and abort-on-exception."""
import os
import runpy
import sys


def _export_env():
    env = os.environ
    pick = lambda *names: next((env[n] for n in names if n in env), None)  # noqa: E731
    rank = pick("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")
    size = pick("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")
    local = pick("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK")
    nlocal = pick("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE")
    for k, v in (("RANK", rank), ("WORLD_SIZE", size), ("LOCAL_RANK", local), ("LOCAL_WORLD_SIZE", nlocal)):
        if v is not None:
            env[k] = v


def main():
    args = sys.argv[1:]
    as_module = bool(args) and args[0] == "-m"
    if as_module:
        args = args[1:]
    if not args:
        sys.exit("usage: python -m ember.distributed._bootstrap [-m] script.py [args...]")
    _export_env()
    from ._faults import install_excepthook
    install_excepthook()
    sys.argv = list(args)
    try:
        if as_module:
            runpy.run_module(args[0], run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(args[0])))
            runpy.run_path(args[0], run_name="__main__")
    except SystemExit as e:
        # A rank leaving with an error code would leave the others waiting: end them all.
        if e.code not in (None, 0):
            from ._faults import _prefix, abort
            abort(f"{_prefix()} exited with sys.exit({e.code!r}); aborting the job (all ranks)",
                  e.code if isinstance(e.code, int) else 1)
        raise


if __name__ == "__main__":
    main()

"""``python -m ember.distributed.run``: starts N ranks of a script with MPI's ``mpiexec``.

    python -m ember.distributed.run --nproc-per-node 4 train.py --epochs 3
    python -m ember.distributed.run --hosts node1:4,node2:4 train.py     # 8 ranks on two hosts

Each rank runs ``train.py`` under a small bootstrap that exports ``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK`` and ``LOCAL_WORLD_SIZE`` (torchrun's variables) and aborts the whole job,
printing ``[rank r/N]`` and the traceback, when the script raises (or calls ``sys.exit`` with
an error code) on any rank. The flags that make
``mpiexec`` work on a small machine or as root are added for the MPI found: MPICH (the
``mpich`` wheel, the default) needs none; Open MPI gets ``--oversubscribe`` (and
``--allow-run-as-root`` as root). ``--dry-run`` prints the command instead of running it.
"""
import argparse
import os
import shutil
import subprocess
import sys


def _mpiexec(explicit):
    if explicit:
        return explicit
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = beside if os.access(beside, os.X_OK) else shutil.which("mpiexec")
    if not found:
        sys.exit("ember.distributed.run: no mpiexec found; install an MPI with `pip install mpi4py mpich` "
                 "(or pass --mpiexec PATH)")
    return found


def _flavour(mpiexec):
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=20)
        text = out.stdout + out.stderr
    except (OSError, subprocess.TimeoutExpired):
        return "mpich"
    return "openmpi" if ("Open MPI" in text or "OpenRTE" in text or "open-mpi" in text) else "mpich"


def _hosts(spec, per_node):
    hosts = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        name, _, n = item.partition(":")
        try:
            count = int(n) if n else per_node
        except ValueError:
            sys.exit(f"ember.distributed.run: bad --hosts entry {item!r} (expected host or host:count)")
        if count <= 0:
            sys.exit(f"ember.distributed.run: --hosts entry {item!r} asks for {count} processes")
        hosts.append((name, count))
    return hosts


def build_command(argv):
    """The mpiexec command line for ``argv`` (this module's arguments)."""
    ap = argparse.ArgumentParser(prog="python -m ember.distributed.run", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1,
                    help="processes per host (default 1)")
    ap.add_argument("--hosts", default=None, help="comma-separated host[:count] list, e.g. a:4,b:4")
    ap.add_argument("--mpiexec", default=None, help="the mpiexec to use (default: the one beside python, or PATH)")
    ap.add_argument("--dry-run", action="store_true", help="print the mpiexec command instead of running it")
    ap.add_argument("-m", "--module", action="store_true", help="run the target as a module (python -m)")
    ap.add_argument("script", help="the training script (or module with -m)")
    ap.add_argument("script_args", nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)
    if a.nproc_per_node <= 0:
        ap.error(f"--nproc-per-node must be positive, got {a.nproc_per_node}")
    mpiexec = _mpiexec(a.mpiexec)
    flavour = _flavour(mpiexec)
    hosts = _hosts(a.hosts, a.nproc_per_node) if a.hosts else []
    total = sum(n for _, n in hosts) if hosts else a.nproc_per_node
    cmd = [mpiexec, "-n", str(total)]
    if flavour == "openmpi":
        cmd += ["--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
        cmd += [x for v in ("PATH", "PYTHONPATH", "VIRTUAL_ENV", "LD_LIBRARY_PATH") if v in os.environ
                for x in ("-x", v)]
        if hosts:
            cmd += ["--host", ",".join(f"{h}:{n}" for h, n in hosts)]
    elif hosts:
        cmd += ["-hosts", ",".join(f"{h}:{n}" for h, n in hosts)]
    cmd += [sys.executable, "-m", "ember.distributed._bootstrap"] + (["-m"] if a.module else [])
    cmd += [a.script] + a.script_args
    return cmd, a.dry_run


def main(argv=None):
    cmd, dry = build_command(sys.argv[1:] if argv is None else argv)
    if dry:
        print(" ".join(cmd))
        return 0
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main())

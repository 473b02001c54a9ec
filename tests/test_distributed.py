"""ember.distributed, DDP and the launcher, run as real 2-rank MPI jobs (``mpiexec -n 2``).

Every job is a subprocess with a timeout, so a hang fails the test instead of the suite.
mpi4py and mpiexec come from tests/requirements.txt (``mpi4py``, ``mpich``); without them
these tests fail and say so, rather than skip.
"""
import os
import shutil
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "distributed")


def mpiexec():
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = beside if os.access(beside, os.X_OK) else shutil.which("mpiexec")
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        found = None
    if not found:
        pytest.fail("ember.distributed tests need mpi4py and an mpiexec: pip install -r tests/requirements.txt "
                    "(mpi4py, mpich)", pytrace=False)
    return found


def env(**extra):
    e = dict(os.environ)
    e["EMBER_NUM_THREADS"] = "1"
    e.pop("EMBER_DISTRIBUTED_DEBUG", None)
    e.pop("EMBER_DISTRIBUTED_TIMEOUT", None)
    e.update(extra)
    return e


def job(script, *args, n=2, timeout=60, **extra):
    """Runs ``script`` on ``n`` ranks; returns (returncode, stdout+stderr, seconds)."""
    cmd = [mpiexec(), "-n", str(n), sys.executable, os.path.join(SCRIPTS, script), *args]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env(**extra))
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{script} {args} hung for {timeout} s:\n{e.stdout}\n{e.stderr}")
    return p.returncode, p.stdout + p.stderr, time.perf_counter() - t0


def test_collectives_match_numpy_for_every_dtype_and_op():
    rc, out, _ = job("collectives.py")
    assert rc == 0, out
    assert out.count("collectives ok") == 2, out


def test_ddp_matches_single_process_training(tmp_path):
    rc, out, _ = job("ddp_train.py", str(tmp_path))
    assert rc == 0, out
    assert out.count("ddp ok") == 2, out
    assert (tmp_path / "trace0.json").exists() and (tmp_path / "trace1.json").exists()


def test_a_raising_rank_ends_the_job_with_its_traceback():
    rc, out, secs = job("faults.py", "raise", timeout=30)
    assert rc != 0, out
    assert secs < 10, f"took {secs:.1f} s\n{out}"
    assert "[rank 1/2]" in out and "ValueError: boom from rank 1" in out, out
    assert "faults.py" in out and "in boom" in out, out  # the traceback, not just the message


def test_a_skipped_collective_times_out_naming_the_op():
    rc, out, secs = job("faults.py", "skip", timeout=30)
    assert rc != 0 and secs < 15, out
    assert "[rank 0/2] all_reduce #1" in out and "did not finish within the timeout of 2 s" in out, out
    assert "float32[2, 3]" in out and "DistBackendError" in out, out


def test_a_skipped_backward_times_out_naming_bucket_and_parameters():
    rc, out, secs = job("faults.py", "skip_backward", timeout=30)
    assert rc != 0 and secs < 15, out
    assert "bucket 0" in out and "2.weight float32[2, 8]" in out and "0.bias float32[8]" in out, out


def test_a_shape_mismatch_shows_every_ranks_parameters():
    rc, out, secs = job("faults.py", "shape", timeout=30)
    assert rc != 0 and secs < 10, out
    assert "same model on every rank" in out, out
    assert "0.weight float32[8, 4]" in out and "0.weight float32[9, 4]" in out and "<-- differs" in out, out


def test_detail_mode_catches_mismatched_collectives():
    rc, out, secs = job("faults.py", "detail", timeout=30, EMBER_DISTRIBUTED_DEBUG="DETAIL")
    assert rc != 0 and secs < 10, out
    assert "collective mismatch" in out and "all_reduce" in out and "broadcast" in out, out
    assert "<-- differs" in out, out


def test_detail_mode_passes_matching_collectives():
    # every collective, rooted and uneven ones included, exchanges fingerprints without false alarms
    rc, out, _ = job("collectives.py", EMBER_DISTRIBUTED_DEBUG="DETAIL")
    assert rc == 0 and out.count("collectives ok") == 2, out


def test_launcher_sets_torchrun_variables():
    mpiexec()
    cmd = [sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", "2",
           os.path.join(SCRIPTS, "env_check.py")]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env())
    assert p.returncode == 0, p.stdout + p.stderr
    assert "env ok rank=0 world=2 local=0/2" in p.stdout and "env ok rank=1 world=2 local=1/2" in p.stdout


def test_launcher_ends_the_job_when_a_rank_calls_sys_exit():
    mpiexec()
    cmd = [sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", "2",
           os.path.join(SCRIPTS, "exit_code.py")]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env())
    assert time.perf_counter() - t0 < 30, p.stdout + p.stderr
    assert p.returncode == 3 and "[rank 1/2] exited with sys.exit(3)" in p.stderr, p.stdout + p.stderr


def test_launcher_command_for_hosts():
    from ember.distributed.run import build_command
    cmd, dry = build_command(["--hosts", "a:4,b", "--nproc-per-node", "2", "--dry-run", "train.py", "--lr", "1"])
    assert dry and cmd[1:3] == ["-n", "6"]
    assert cmd[-4:] == ["ember.distributed._bootstrap", "train.py", "--lr", "1"]
    assert ("-hosts" in cmd and "a:4,b:2" in cmd) or ("--host" in cmd and "a:4,b:2" in cmd)


def test_importing_ember_does_not_start_mpi():
    code = ("import sys, ember, ember.distributed as d, ember.nn.parallel; "
            "assert 'mpi4py.MPI' not in sys.modules; assert not d.is_initialized(); "
            "assert d.is_available() and d.is_mpi_available(); print('lazy')")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env())
    assert p.returncode == 0 and "lazy" in p.stdout, p.stdout + p.stderr


def test_calls_before_init_raise():
    import ember
    import ember.distributed as dist
    with pytest.raises(ValueError, match="not been initialized"):
        dist.get_rank()
    with pytest.raises(ValueError, match="not been initialized"):
        dist.all_reduce(ember.ones(2))
    with pytest.raises(RuntimeError, match="NCCL"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="Invalid backend"):
        dist.init_process_group("carrier-pigeon")

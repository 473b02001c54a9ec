"""DistributedDataParallel throughput and allreduce bandwidth, at 1 and 2 ranks (1 thread each).

  * steps/s of the lecture MLP 784-100-50-20-1 (batch 64 per rank, SGD) and of the wide MLP
    784-1024-1024-10 (batch 256 per rank, Adam), each wrapped in DDP; the same model without
    DDP at 1 rank is the baseline;
  * the fraction of DDP's communication hidden behind backward: for each bucket, the part of
    its raw all_reduce time (mpi4py alone, same size) that fits between its launch and the end
    of the backward's computation, summed over buckets / total raw time; and the exposed wait
    (how long backward() still waited for buckets after its last gradient) against raw time;
  * all_reduce bandwidth for 4 / 25 / 100 MB: ember.distributed.all_reduce on a tensor against
    mpi4py's Allreduce on a NumPy array, in the same run.

    python benches/ddp.py [--seconds 2]

Run as is, it starts itself under ``mpiexec -n 1`` and ``-n 2`` and prints the table.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def worker(seconds):
    import ember
    import ember.distributed as dist
    from ember.nn.parallel import DistributedDataParallel as DDP
    from train_step import build
    from mpi4py import MPI  # noqa: F401  (after ember: init_process_group configures it)

    dist.init_process_group("mpi")
    R, N = dist.get_rank(), dist.get_world_size()
    res = {"ranks": N}
    for case, label in (("a64", "lecture"), ("b", "wide")):
        for wrap in ((False, True) if N == 1 else (True,)):
            model, loss_fn, opt, x, y = build(ember, case)
            net = DDP(model) if wrap else model
            exposed, comm, leads = [], [], []

            def step():
                opt.zero_grad()
                loss_fn(net(x), y).backward()
                opt.step()
                if wrap:
                    s = net.reducer.last_stats
                    exposed.append(s["exposed_s"])
                    comm.append(s["comm_s"])
                    leads.append(s["lead_s"])
            for _ in range(3):
                step()
            exposed.clear()
            comm.clear()
            leads.clear()
            dist.barrier()
            n, t0 = 0, time.perf_counter()
            while True:
                step()
                n += 1
                # every rank must run the same number of steps: rank 0 decides when to stop
                flag = ember.tensor([1 if (time.perf_counter() - t0 >= seconds and n >= 3) else 0])
                dist.broadcast(flag, src=0)
                if flag.item():
                    break
            sps = n / (time.perf_counter() - t0)
            entry = {"steps_s": sps}
            if wrap:
                sizes = [b.numel for b in net.reducer.buckets]
                raw_each = [raw_allreduce_seconds([n], reps=5) for n in sizes]
                lead = np.median(np.array(leads), axis=0)
                hidden = sum(min(max(ld, 0.0), r) for ld, r in zip(lead, raw_each)) / sum(raw_each)
                entry.update(exposed_s=float(np.median(exposed)), comm_s=float(np.median(comm)), raw_s=sum(raw_each),
                             hidden=float(hidden))
            res[f"{label}{'_ddp' if wrap else ''}"] = entry
    bw = {}
    for mb in (4, 25, 100):
        n = mb * 1024 * 1024 // 4
        t = ember.ones(n)
        arr = np.ones(n, dtype=np.float32)
        reps = 3 if mb == 100 else 5
        bw[mb] = {"ember_s": timed(lambda: dist.all_reduce(t), reps), "raw_s": raw_allreduce_seconds([n], reps, arr)}
    res["bw"] = bw
    if R == 0:
        print("RESULT " + json.dumps(res), flush=True)
    dist.destroy_process_group()


def raw_allreduce_seconds(sizes, reps, arr=None):
    """Seconds for mpi4py Allreduce (in place, float32) of arrays of ``sizes`` elements, in turn."""
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    arrs = [arr] if arr is not None else [np.ones(s, dtype=np.float32) for s in sizes]

    def once():
        for a in arrs:
            comm.Allreduce(MPI.IN_PLACE, [a, MPI.FLOAT], MPI.SUM)
    return timed(once, reps)


def timed(fn, reps):
    from mpi4py import MPI
    fn()
    MPI.COMM_WORLD.Barrier()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return MPI.COMM_WORLD.allreduce(best, op=MPI.MAX)


def driver(seconds):
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if not os.access(mpiexec, os.X_OK):
        mpiexec = "mpiexec"
    env = dict(os.environ, EMBER_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = {}
    for n in (1, 2):
        p = subprocess.run([mpiexec, "-n", str(n), sys.executable, os.path.abspath(__file__), "--worker",
                            "--seconds", str(seconds)], capture_output=True, text=True, env=env, timeout=600)
        line = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
        if p.returncode != 0 or not line:
            sys.exit(f"the {n}-rank run failed:\n{p.stdout}\n{p.stderr}")
        out[n] = json.loads(line[0][7:])
    print(f"DDP benchmark ({os.cpu_count()} CPUs, 1 thread per rank)")
    print("steps/s; 'raw' = mpi4py all_reduce of DDP's bucket sizes alone; 'exposed' = backward()'s wait for "
          "buckets after its last gradient;\n'comm span' = the buckets' time on the communication thread "
          "(includes waiting for the GIL)")
    print(f"{'model':10} {'no DDP 1r':>10} {'DDP 1r':>8} {'DDP 2r':>8} {'2r/1r':>6} {'raw':>8} {'exposed':>8} "
          f"{'hidden':>7} {'comm span':>10}")
    for label in ("lecture", "wide"):
        base, one, two = out[1][label]["steps_s"], out[1][label + "_ddp"], out[2][label + "_ddp"]
        hidden = two["hidden"]
        print(f"{label:10} {base:10.1f} {one['steps_s']:8.1f} {two['steps_s']:8.1f} {two['steps_s'] / base:5.2f}x "
              f"{1e3 * two['raw_s']:6.2f}ms {1e3 * two['exposed_s']:6.2f}ms {100 * hidden:6.0f}% "
              f"{1e3 * two['comm_s']:8.2f}ms")
    print(f"\n{'all_reduce':10} {'ember 2 ranks':>14} {'mpi4py 2 ranks':>15} {'ember/raw time':>15}")
    for mb, r in out[2]["bw"].items():
        gbs = lambda s: float(mb) / 1024 / s  # noqa: E731
        print(f"{mb + ' MB':10} {gbs(r['ember_s']):10.2f} GB/s {gbs(r['raw_s']):11.2f} GB/s "
              f"{r['ember_s'] / r['raw_s']:14.2f}x")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    worker(a.seconds) if a.worker else driver(a.seconds)

"""Run with 2+ ranks: every collective against a NumPy reference, for each dtype and op."""
import numpy as np

import ember
import ember.distributed as dist

dist.init_process_group("mpi")
R, N = dist.get_rank(), dist.get_world_size()
FLOATS = ["float16", "bfloat16", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


def data(rank, dtype, shape=(3, 5)):
    """Rank ``rank``'s input, the same on every rank that computes it."""
    rng = np.random.default_rng(1000 * rank + len(dtype))
    if dtype == "bool":
        return ember.tensor(rng.integers(0, 2, shape).astype(bool))
    if dtype in INTS:
        lo = 0 if dtype == "uint8" else -3
        return ember.tensor(rng.integers(lo, 4, shape), dtype=getattr(ember, dtype))
    return ember.tensor(rng.standard_normal(shape).astype(np.float32)).to(getattr(ember, dtype))


def np_of(t):
    return t.float().numpy() if t.dtype in (ember.bfloat16,) else t.numpy()


def reference(op, dtype):
    xs = np.stack([np_of(data(r, dtype)).astype(np.float64 if dtype != "bool" else bool) for r in range(N)])
    if dtype == "bool":
        f = {"SUM": np.any, "MAX": np.any, "BOR": np.any, "PRODUCT": np.all, "MIN": np.all, "BAND": np.all,
             "BXOR": lambda a, axis: np.logical_xor.reduce(a, axis=axis)}[op]
        return f(xs, axis=0)
    if op in ("BAND", "BOR", "BXOR"):
        ints = xs.astype(np.int64)
        return {"BAND": np.bitwise_and, "BOR": np.bitwise_or, "BXOR": np.bitwise_xor}[op].reduce(ints, axis=0)
    r = {"SUM": xs.sum(0), "AVG": xs.sum(0) / N, "PRODUCT": xs.prod(0), "MIN": xs.min(0), "MAX": xs.max(0)}[op]
    if op == "AVG" and dtype in INTS:
        r = np.trunc(r)
    return r


def check(got, want, dtype, what):
    g = np_of(got).astype(np.float64) if dtype != "bool" else np_of(got)
    if dtype == "bool":
        ok = np.array_equal(g, want)
    else:
        want_t = ember.tensor(np.asarray(want, dtype=np.float64)).to(getattr(ember, dtype))
        tol = {"float16": 1e-2, "bfloat16": 2e-2}.get(dtype, 1e-6)
        ok = np.allclose(g, np_of(want_t).astype(np.float64), rtol=tol, atol=tol)
    assert ok, f"rank {R}: {what} {dtype}: got\n{g}\nwant\n{want}"


# all_reduce: every dtype x op (sync and async)
for dtype in ["bool"] + INTS + FLOATS:
    ops = ["SUM", "PRODUCT", "MIN", "MAX"] + (["AVG"] if dtype != "bool" else [])
    ops += ["BAND", "BOR", "BXOR"] if dtype in INTS + ["bool"] else []
    for op in ops:
        t = data(R, dtype)
        if op == "AVG" and dtype == "uint8":
            continue
        w = dist.all_reduce(t, op=getattr(dist.ReduceOp, op), async_op=(op == "MAX"))
        if w is not None:
            assert w.wait() and w.is_completed()
        check(t, reference(op, dtype), dtype, f"all_reduce {op}")
    # reduce to the last rank
    t = data(R, dtype)
    dist.reduce(t, dst=N - 1, op=dist.ReduceOp.MAX)
    check(t, reference("MAX", dtype) if R == N - 1 else np_of(data(R, dtype)), dtype, "reduce")

for dtype in INTS + FLOATS + ["bool"]:
    # broadcast from the last rank
    t = data(R, dtype)
    dist.broadcast(t, src=N - 1)
    check(t, np_of(data(N - 1, dtype)), dtype, "broadcast")
    # all_gather, all_gather_into_tensor
    outs = [ember.zeros((3, 5), dtype=getattr(ember, dtype)) for _ in range(N)]
    dist.all_gather(outs, data(R, dtype))
    for r in range(N):
        check(outs[r], np_of(data(r, dtype)), dtype, f"all_gather[{r}]")
    big = ember.zeros((N * 3, 5), dtype=getattr(ember, dtype))
    dist.all_gather_into_tensor(big, data(R, dtype))
    check(big, np.concatenate([np_of(data(r, dtype)) for r in range(N)]), dtype, "all_gather_into_tensor")
    # gather / scatter through rank 0
    gl = [ember.zeros((3, 5), dtype=getattr(ember, dtype)) for _ in range(N)] if R == 0 else None
    dist.gather(data(R, dtype), gl, dst=0)
    if R == 0:
        for r in range(N):
            check(gl[r], np_of(data(r, dtype)), dtype, f"gather[{r}]")
    out = ember.zeros((3, 5), dtype=getattr(ember, dtype))
    dist.scatter(out, [data(100 + r, dtype) for r in range(N)] if R == 0 else None, src=0)
    check(out, np_of(data(100 + R, dtype)), dtype, "scatter")

for dtype in INTS + FLOATS:
    for op in ["SUM", "MAX", "AVG"]:
        if op == "AVG" and dtype == "uint8":
            continue
        inp = ember.cat([data(R, dtype)] * N)          # (N*3, 5); rank r keeps rows [3r, 3r+3)
        out = ember.zeros((3, 5), dtype=getattr(ember, dtype))
        dist.reduce_scatter_tensor(out, inp, op=getattr(dist.ReduceOp, op))
        check(out, reference(op, dtype), dtype, f"reduce_scatter_tensor {op}")

# all_to_all_single: equal pieces, then uneven split sizes; all_to_all on lists
for dtype in ["int64", "float32", "bfloat16"]:
    inp = ember.stack([data(R, dtype)[0] * 0 + 10 * R + r for r in range(N)])       # row r goes to rank r
    out = ember.zeros((N, 5), dtype=getattr(ember, dtype))
    dist.all_to_all_single(out, inp)
    want = np.stack([np.full(5, 10 * r + R) for r in range(N)])
    check(out, want, dtype, "all_to_all_single")
# rank r sends r+1 rows to every rank; receives s+1 rows from rank s
inp = ember.full(((R + 1) * N, 2), float(R))
out = ember.zeros((sum(s + 1 for s in range(N)), 2))
dist.all_to_all_single(out, inp, output_split_sizes=[s + 1 for s in range(N)], input_split_sizes=[R + 1] * N)
assert out[:, 0].tolist() == [float(s) for s in range(N) for _ in range(s + 1)], out
outs = [ember.zeros(2, dtype=ember.int32) for _ in range(N)]
dist.all_to_all(outs, [ember.tensor([R, r], dtype=ember.int32) for r in range(N)])
assert [o.tolist() for o in outs] == [[s, R] for s in range(N)], outs

# all_gather with a different size per rank
mine = ember.arange(R + 1, dtype=ember.float32) + 10 * R
outs = [ember.zeros(r + 1) for r in range(N)]
dist.all_gather(outs, mine)
for r in range(N):
    assert outs[r].tolist() == [10.0 * r + i for i in range(r + 1)], outs

# point to point: a ring
nxt, prv = (R + 1) % N, (R - 1) % N
buf = ember.zeros(4, dtype=ember.int64)
s = dist.isend(ember.full((4,), R, dtype=ember.int64), dst=nxt, tag=7)
assert dist.recv(buf, src=prv, tag=7) == prv
s.wait()
assert buf.tolist() == [prv] * 4
w = dist.irecv(buf, tag=8)  # any source
dist.send(ember.full((4,), 100 + R, dtype=ember.int64), dst=nxt, tag=8)
assert w.source_rank() == prv and buf.tolist() == [100 + prv] * 4

# a subgroup of rank 0 alone, and one of everyone (ranks given in reverse order)
solo = dist.new_group([0])
if R == 0:
    assert dist.get_rank(solo) == 0 and dist.get_world_size(solo) == 1
    t = ember.ones(3)
    dist.all_reduce(t, group=solo)
    assert t.tolist() == [1.0, 1.0, 1.0]
else:
    assert solo is dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(solo) == -1
everyone = dist.new_group(list(reversed(range(N))))
assert dist.get_process_group_ranks(everyone) == list(range(N))
t = ember.ones(2)
dist.all_reduce(t, group=everyone)
assert t.tolist() == [float(N)] * 2

# objects
objs = [None] * N
dist.all_gather_object(objs, {"rank": R})
assert objs == [{"rank": r} for r in range(N)]
lst = [R, "x"] if R == 0 else [None, None]
dist.broadcast_object_list(lst, src=0)
assert lst == [0, "x"]

# errors: non-contiguous, wrong sizes, not a tensor
for bad, exc in [(lambda: dist.all_reduce(ember.zeros(4, 4).t()), RuntimeError),
                 (lambda: dist.all_reduce([1, 2]), TypeError),
                 (lambda: dist.all_reduce(ember.zeros(2), op=dist.ReduceOp.BAND), ValueError),
                 (lambda: dist.all_gather_into_tensor(ember.zeros(3), ember.zeros(2)), ValueError),
                 (lambda: dist.broadcast(ember.zeros(2), src=N), ValueError),
                 (lambda: dist.init_process_group("mpi"), ValueError)]:
    try:
        bad()
    except exc as e:
        assert str(e), e
    else:
        raise AssertionError(f"no {exc.__name__} from {bad}")
try:
    dist.all_reduce(ember.zeros(4, 4).t())
except RuntimeError as e:
    assert "contiguous" in str(e), e

dist.barrier()
print(f"rank {R}: collectives ok", flush=True)
dist.destroy_process_group()
assert not dist.is_initialized()

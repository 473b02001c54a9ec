"""Run with 2+ ranks. DDP against single-process training on the concatenated batch:
20 SGD steps, no_sync accumulation, unused parameters, replicas bitwise identical, trace."""
import json
import os
import sys

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
R, N = dist.get_rank(), dist.get_world_size()
B = 6  # per-rank batch


class Net(nn.Module):
    def __init__(self, extra=False):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)
        self.register_buffer("scale", ember.ones(4))
        self.extra = nn.Linear(16, 4) if extra else None

    def forward(self, x, use_extra=False):
        h = ember.tanh(self.fc1(x))
        y = self.fc2(h) * self.scale
        if use_extra:
            y = y + self.extra(h)
        return y


def batches(step, k=1):
    """The concatenated batch of every rank for ``step`` (rank r owns rows r*B:(r+1)*B)."""
    rng = np.random.default_rng(step)
    x = rng.standard_normal((N * B * k, 8)).astype(np.float32)
    y = rng.standard_normal((N * B * k, 4)).astype(np.float32)
    return ember.tensor(x), ember.tensor(y)


def mine(t):
    return t[R * B:(R + 1) * B]


def flat_params(m):
    return np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])


def assert_replicas_identical(m, what):
    v = ember.tensor(flat_params(m))
    allv = [ember.zeros(v.shape, dtype=v.dtype) for _ in range(N)]
    dist.all_gather(allv, v)
    for r in range(N):
        assert allv[r].numpy().tobytes() == allv[0].numpy().tobytes(), f"{what}: rank {r} differs from rank 0"


# ---- 1. 20 steps of DDP == 20 steps on the concatenated batch -------------------------------
ember.manual_seed(0)
ref = Net()
ember.manual_seed(1 + R)  # different init per rank: DDP must broadcast rank 0's
model = Net()
if R == 0:
    model.load_state_dict(ref.state_dict())
with ember.no_grad():
    model.scale.fill_(2.0 if R == 0 else 5.0)  # buffer differs too; rank 0's wins
    ref.scale.fill_(2.0)
ddp = DDP(model, bucket_cap_mb=0.0002)  # ~200 bytes: a bucket per layer
assert len(ddp.reducer.buckets) >= 2, len(ddp.reducer.buckets)
opt = ember.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
ropt = ember.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
tr = ember.inspect.trace()
for step in range(20):
    x, y = batches(step)
    if step == 19:
        tr.__enter__()
    opt.zero_grad()
    nn.functional.mse_loss(ddp(mine(x)), mine(y)).backward()
    opt.step()
    if step == 19:
        tr.__exit__(None, None, None)
    ropt.zero_grad()
    nn.functional.mse_loss(ref(x), y).backward()
    ropt.step()
np.testing.assert_allclose(flat_params(model), flat_params(ref), atol=1e-5, rtol=0)
assert model.scale.tolist() == [2.0] * 4
assert_replicas_identical(model, "after 20 steps")
assert list(ddp.state_dict())[0].startswith("module."), list(ddp.state_dict())

# the trace shows, per bucket, when it became ready and the all_reduce that carried it
names = [e.name for e in tr.events]
nb = len(ddp.reducer.buckets)
for b in range(nb):
    assert f"DDP bucket {b} ready" in names and f"DDP bucket {b} launched" in names, names
    assert f"all_reduce bucket {b}" in names or N == 1, names  # one rank alone communicates nothing
comm = [e for e in tr.events if e.name.startswith("all_reduce bucket")]
assert all(e.thread == "comm" and e.args["params"] for e in comm)
path = os.path.join(sys.argv[1] if len(sys.argv) > 1 else ".", f"trace{R}.json")
doc = json.load(open(tr.to_chrome_trace(path)))
assert {e["pid"] for e in doc["traceEvents"]} == {R}
assert any(e["ph"] == "i" and e["name"] == "DDP bucket 0 ready" for e in doc["traceEvents"])

# ---- 2. no_sync over k micro-batches == one synchronised step on the k batches ----------------
k = 3
ember.manual_seed(0)
ref = Net()
model = Net()
model.load_state_dict(ref.state_dict())
ddp = DDP(model)
x, y = batches(100, k)
for j in range(k):
    xs, ys = x[j * N * B:(j + 1) * N * B], y[j * N * B:(j + 1) * N * B]
    if j < k - 1:
        with ddp.no_sync():
            nn.functional.mse_loss(ddp(mine(xs)), mine(ys)).backward()
        if j == 0:  # still local: no averaging happened yet
            local = model.fc1.weight.grad.clone()
    else:
        nn.functional.mse_loss(ddp(mine(xs)), mine(ys)).backward()
    nn.functional.mse_loss(ref(xs), ys).backward()
for p, q in zip(model.parameters(), ref.parameters()):
    np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-5, rtol=0)
assert not np.allclose(local.numpy(), model.fc1.weight.grad.numpy())

# ---- 3. unused parameters -------------------------------------------------------------------
ember.manual_seed(0)
model = Net(extra=True)
ddp = DDP(model, find_unused_parameters=True)
x, y = batches(200)
# extra is used on the last rank only: every rank gets the average (the others contribute zero)
out = ddp(mine(x), use_extra=(R == N - 1))
nn.functional.mse_loss(out, mine(y)).backward()
g = model.extra.weight.grad
assert g is not None
allg = [ember.zeros(g.shape) for _ in range(N)]
dist.all_gather(allg, g.contiguous())
assert all(a.numpy().tobytes() == allg[0].numpy().tobytes() for a in allg)
# unused on every rank: .grad stays None
model.zero_grad()
nn.functional.mse_loss(ddp(mine(x)), mine(y)).backward()
assert model.extra.weight.grad is None and model.fc1.weight.grad is not None

# without find_unused_parameters the unused ones are named in the same backward
ddp = DDP(Net(extra=True))
try:
    nn.functional.mse_loss(ddp(mine(x)), mine(y)).backward()
except RuntimeError as e:
    msg = str(e)
    assert "extra.weight" in msg and "extra.bias" in msg and "find_unused_parameters=True" in msg, msg
else:
    raise AssertionError("an unused parameter went unnoticed")

# ---- 4. parameters of several dtypes: one bucket family per dtype (bfloat16 travels as float32)


class Mixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 5).double()
        self.fc2 = nn.Linear(8, 3).to(ember.bfloat16)

    def forward(self, v):  # two branches, so float64 gradients keep float64 precision
        return self.fc1(v).pow(2).mean() + self.fc2(v.to(ember.bfloat16)).float().pow(2).mean()


ember.manual_seed(0)
ref, model = Mixed(), Mixed()
model.load_state_dict(ref.state_dict())
ddp = DDP(model)
assert sorted({b.dtype.name for b in ddp.reducer.buckets}) == ["bfloat16", "float64"]
x = batches(300)[0].double()
ddp(mine(x)).backward()
(sum(ref(x[r * B:(r + 1) * B]) for r in range(N)) / N).backward()
for p, q in zip(model.parameters(), ref.parameters()):
    assert p.grad.dtype == p.dtype
    tol = 1e-9 if p.dtype == ember.float64 else 2e-2
    np.testing.assert_allclose(p.grad.float().numpy(), q.grad.float().numpy(), atol=tol, rtol=tol)
assert_replicas_identical(model.fc1, "float64 parameters")

# ---- 5. gradient_as_bucket_view: .grad are views of the buckets, values unchanged -----------
ember.manual_seed(0)
ref, model = Net(), Net()
model.load_state_dict(ref.state_dict())
ddp = DDP(model, gradient_as_bucket_view=True)
for step in range(3):
    x, y = batches(400 + step)
    model.zero_grad(set_to_none=False)
    nn.functional.mse_loss(ddp(mine(x)), mine(y)).backward()
    ref.zero_grad()
    nn.functional.mse_loss(ref(x), y).backward()
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-6, rtol=0)
flats = {b.flat.untyped_storage().data_ptr() for b in ddp.reducer.buckets}
assert all(p.grad.untyped_storage().data_ptr() in flats for p in model.parameters())

# ---- 6. layers registered in the opposite order of use: buckets follow rank 0's gradient order


class Backwards(nn.Module):
    def __init__(self):
        super().__init__()
        self.last = nn.Linear(16, 4)
        self.first = nn.Linear(8, 16)

    def forward(self, v):
        return self.last(ember.tanh(self.first(v)))


ember.manual_seed(0)
ref, model = Backwards(), Backwards()
model.load_state_dict(ref.state_dict())
ddp = DDP(model, bucket_cap_mb=0.0002)
names = lambda: [[ddp.reducer.names[i] for i in b.members] for b in ddp.reducer.buckets]  # noqa: E731
assert names()[0][0] == "first.bias", names()
ropt, opt = ember.optim.SGD(ref.parameters(), lr=0.1), ember.optim.SGD(ddp.parameters(), lr=0.1)
for step in range(3):
    x, y = batches(500 + step)
    opt.zero_grad()
    nn.functional.mse_loss(ddp(mine(x)), mine(y)).backward()
    opt.step()
    ropt.zero_grad()
    nn.functional.mse_loss(ref(x), y).backward()
    ropt.step()
    if step == 0:
        assert names()[0][0].startswith("last."), names()  # rebuilt after the first backward
np.testing.assert_allclose(flat_params(model), flat_params(ref), atol=1e-5, rtol=0)
assert_replicas_identical(model, "after the bucket rebuild")

dist.barrier()
print(f"rank {R}: ddp ok", flush=True)

"""Per-op times (best of 20, 1 thread) of the CNN row's conv2d and pooling at batch 64, forward and
forward+backward: where benches/train_step.py's case c spends its time.

    python benches/conv_ops.py
"""
import time

import numpy as np

import ember
import ember.nn.functional as F
ember.set_num_threads(1)
rng=np.random.default_rng(0)
def t(name, fn, n=20):
    fn(); best=1e9
    for _ in range(n):
        t0=time.perf_counter(); fn(); best=min(best,time.perf_counter()-t0)
    print(f"{name:40s} {best*1e3:8.3f} ms")
x=ember.from_numpy(rng.random((64,1,28,28),dtype=np.float32))
w1=ember.from_numpy(rng.random((32,1,3,3),dtype=np.float32)); b1=ember.from_numpy(rng.random(32,dtype=np.float32))
h1=ember.from_numpy(rng.random((64,32,26,26),dtype=np.float32))
p1=ember.from_numpy(rng.random((64,32,13,13),dtype=np.float32))
w2=ember.from_numpy(rng.random((64,32,3,3),dtype=np.float32)); b2=ember.from_numpy(rng.random(64,dtype=np.float32))
h2=ember.from_numpy(rng.random((64,64,11,11),dtype=np.float32))
t("conv1 fwd", lambda: F.conv2d(x,w1,b1))
t("conv2 fwd", lambda: F.conv2d(p1,w2,b2))
t("relu h1", lambda: F.relu(h1))
t("maxpool h1", lambda: F.max_pool2d(h1,2))
t("maxpool h2", lambda: F.max_pool2d(h2,2))
t("avgpool h1", lambda: F.avg_pool2d(h1,2))
for nm,(inp,w,b,need_x) in {"conv1":(x,w1,b1,False),"conv2":(p1,w2,b2,True)}.items():
    xi=inp.detach().requires_grad_(need_x); wi=w.detach().requires_grad_(); bi=b.detach().requires_grad_()
    def fb():
        o=F.conv2d(xi,wi,bi); o.sum().backward()
    t(nm+" fwd+bwd (+sum)", fb)
for nm,inp in {"pool1":h1,"pool2":h2}.items():
    xi=inp.detach().requires_grad_()
    def fb():
        o=F.max_pool2d(xi,2); o.sum().backward()
    t(nm+" fwd+bwd (+sum)", fb)

"""SGD with momentum on float32 state that decays into subnormals (dead ReLU units): the CPU
kernel takes a different path for such blocks, and it must give PyTorch's f32 result bit for bit
(PyTorch keeps subnormals; it flushes them only after `set_flush_denormal(True)`)."""
import numpy as np
import pytest

import ember


def values(n, rng):
    bits = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    kind = np.arange(n) % 4
    bits = np.where(kind == 0, bits & 0x807FFFFF, bits)  # subnormal or ±0
    bits = np.where(kind == 1, bits % 8, bits)  # the values stuck buffers settle on
    out = bits.view(np.float32).copy()
    normal = kind >= 2
    out[normal] = (rng.random(int(normal.sum()), dtype=np.float32) - 0.5) * 1e-3
    return out


def reference(p, grads, lr, mu, damp, wd, nesterov):
    """PyTorch's SGD formula in NumPy float32 (one rounding per operation)."""
    p, buf = p.copy(), None
    f = np.float32
    for g in grads:
        d = g + f(wd) * p if wd else g.copy()
        buf = d.copy() if buf is None else f(mu) * buf + f(1 - damp) * d
        step = d + f(mu) * buf if nesterov else buf
        p = p - f(lr) * step
    return p, buf


@pytest.mark.parametrize("wd,nesterov,damp", [(0.0, False, 0.0), (1e-4, True, 0.0), (0.0, False, 0.3)])
def test_sgd_momentum_subnormal_state_matches_float32_formula(wd, nesterov, damp):
    rng = np.random.default_rng(7)
    n = 16 * 40 + 5  # whole 16-lane blocks and a tail
    p0 = rng.random(n, dtype=np.float32)
    p0[: n // 4] = 0  # weight decay adds nothing there, so subnormal gradients reach the buffer
    grads = [values(n, rng) for _ in range(6)]
    for g in grads[1:]:
        g[: n // 2] = 0  # a dead half: its buffer decays
    p = ember.tensor(p0.copy(), requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.01, momentum=0.9, dampening=damp, weight_decay=wd, nesterov=nesterov)
    seen = 0
    for g in grads:
        p.grad = ember.tensor(g)
        opt.step()
        b = np.abs(opt.state[p]["momentum_buffer"].numpy())
        seen += int(((b > 0) & (b < np.finfo(np.float32).tiny)).sum())
    assert seen > 0  # the buffers held subnormals on the way
    want_p, want_buf = reference(p0, grads, 0.01, 0.9, damp, wd, nesterov)
    got_buf = opt.state[p]["momentum_buffer"].numpy()
    np.testing.assert_array_equal(p.detach().numpy().view(np.uint32), want_p.view(np.uint32))
    np.testing.assert_array_equal(got_buf.view(np.uint32), want_buf.view(np.uint32))

"""The composed ops on every device: the same values as on the CPU, or the backend's own error
(never a crash or a wrong answer)."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F

OPS = {
    "logaddexp": lambda x: ember.logaddexp(x, x.flip(0)),
    "diff": lambda x: ember.diff(x, dim=1),
    "sinc": ember.sinc,
    "cross": lambda x: ember.cross(x[:, :3], x[:, 1:4], dim=1),
    "heaviside": lambda x: ember.heaviside(x, x.new_ones(())),
    "quantile": lambda x: ember.quantile(x, 0.3, dim=1),
    "kthvalue": lambda x: ember.kthvalue(x, 2, 1).values,
    "sdpa": lambda x: F.scaled_dot_product_attention(x.unsqueeze(0), x.unsqueeze(0), x.unsqueeze(0), is_causal=True),
    "conv_transpose1d": lambda x: F.conv_transpose1d(x.unsqueeze(0), x[:, :2].unsqueeze(1).contiguous(), stride=2),
    "softshrink": lambda x: F.softshrink(x, 0.3),
    "gru_cell": lambda x: ember.gru_cell(x[:, :2], x[:, :1], x.new_ones(3, 2), x.new_ones(3, 1)),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_composed_op_on_device(device, name):
    a = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    want = OPS[name](ember.tensor(a.tolist()))
    try:
        got = OPS[name](ember.tensor(a.tolist(), device=device))
    except RuntimeError as e:  # a backend without the kernel says so
        assert device != "cpu", e
        return
    np.testing.assert_allclose(np.array(got.to("cpu").tolist()), np.array(want.tolist()), rtol=1e-4, atol=1e-5)

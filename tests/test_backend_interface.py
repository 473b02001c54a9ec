"""The backend interface seen from Python: every op that reaches a backend records
(ATen name, backend) for ember.inspect.trace(), on every device; a primitive a backend lacks
raises PyTorch's backend error; validation happens before the backend is chosen."""
import pytest

import ember
import ember.nn.functional as F
from ember import _native

from conftest import WGPU

DEVICES = ["cpu", "meta"] + (["wgpu"] if WGPU else [])
FAMILY = {"cpu": "cpu-strided", "meta": "meta", "wgpu": "wgpu"}


def _cases(dev):
    ember.manual_seed(0)
    x = ember.randn(2, 3, 6, 6).to(dev)
    w = ember.randn(4, 3, 3, 3).to(dev)
    m = ember.randn(4, 4).to(dev)
    return [
        ("exp", lambda: x.exp()),
        ("relu", lambda: x.relu()),
        ("add", lambda: x + 1),
        ("mul", lambda: m * m),
        ("lt", lambda: m < 0),
        ("sum", lambda: x.sum()),
        ("mean", lambda: x.mean(1)),
        ("amax", lambda: x.amax(1)),
        ("argmax", lambda: x.argmax()),
        ("var_mean", lambda: x.var(1)),
        ("softmax", lambda: m.softmax(1)),
        ("bmm", lambda: m @ m),
        ("convolution", lambda: F.conv2d(x, w)),
        ("max_pool2d_with_indices", lambda: F.max_pool2d(x, 2)),
        ("clone", lambda: x.transpose(0, 1).contiguous()),
        ("fill_", lambda: m.clone().fill_(2.0)),
    ]


@pytest.mark.parametrize("dev", DEVICES)
def test_every_op_records_its_name_and_backend(dev):
    for name, fn in _cases(dev):
        _native._last_dispatch()
        fn()
        got = _native._last_dispatch()
        assert got == (name, FAMILY[dev]), f"{name} on {dev}: dispatch recorded {got}"


@pytest.mark.skipif(not WGPU, reason="needs a wgpu adapter (lavapipe in CI)")
def test_a_primitive_the_backend_lacks_raises_the_backend_error():
    x = ember.randn(1, 1, 4, 4).to("wgpu")
    with pytest.raises(NotImplementedError, match=r"^Could not run 'aten::avg_pool2d' with arguments from the 'Wgpu' backend: .*\.cpu\(\)"):
        F.avg_pool2d(x, 2)


def test_sparse_tensors_never_reach_a_strided_kernel():
    s = ember.tensor([[1.0, 0.0], [0.0, 2.0]]).to_sparse()
    for fn in (lambda: s.view(4), lambda: s.sigmoid_(), lambda: s.amax(0), lambda: s.softmax(0).sum()):
        with pytest.raises((NotImplementedError, RuntimeError), match="Sparse|sparse"):
            fn()


@pytest.mark.parametrize("dev", DEVICES)
def test_validation_comes_before_the_backend(dev):
    x = ember.randn(1, 1, 2, 2).to(dev)
    w = ember.randn(1, 1, 3, 3).to(dev)
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        F.conv2d(x, w)
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied|shapes cannot be multiplied"):
        ember.randn(2, 3).to(dev) @ ember.randn(4, 2).to(dev)


def test_op_tables_generate_the_python_lists():
    from ember import _ops_elementwise as ew
    unary = set(_native._unary_functions())
    binary = set(_native._binary_functions())
    assert {"exp", "sin", "erfinv", "arcsinh"} <= unary and "silu" not in unary  # silu is F.silu only
    assert {"hypot", "fmax", "xlogy", "arctan2"} <= binary
    for n in unary | binary:
        assert n in ew._UNARY or n in ew._BINARY
        assert callable(getattr(ember, n)) and callable(getattr(ember.Tensor, n)) and callable(getattr(ember.Tensor, n + "_"))

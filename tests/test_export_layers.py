"""Every ember.nn layer either exports to all three targets (ep.module(), onnxruntime,
ember-run) with matching outputs, or is refused with an UnsupportedOpError naming the op.
(LSTM and Transformer layers don't exist in ember.nn yet.)"""
import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.export import Dim, export
from test_export_runner import _run, ember_run  # noqa: F401  (fixture)


def _f(*shape):
    return lambda: ember.randn(*shape)


EXPORTS = {
    "Linear": (lambda: nn.Linear(5, 3), _f(4, 5)),
    "Linear3d": (lambda: nn.Linear(5, 3), _f(4, 2, 5)),
    "Bilinear": (lambda: nn.Bilinear(3, 4, 2), lambda: (ember.randn(4, 3), ember.randn(4, 4))),
    "Identity": (lambda: nn.Identity(), _f(4, 3)),
    "Flatten": (lambda: nn.Flatten(), _f(4, 2, 3)),
    "Unflatten": (lambda: nn.Unflatten(1, (2, 3)), _f(4, 6)),
    "Conv1d": (lambda: nn.Conv1d(2, 3, 3, padding=1), _f(4, 2, 8)),
    "Conv2d": (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1), _f(4, 2, 9, 9)),
    "Conv2d_same": (lambda: nn.Conv2d(2, 3, 4, padding="same", groups=1), _f(4, 2, 6, 6)),
    "MaxPool1d": (lambda: nn.MaxPool1d(2), _f(4, 2, 8)),
    "MaxPool2d": (lambda: nn.MaxPool2d(3, stride=2, padding=1), _f(4, 2, 9, 9)),
    "MaxPool2d_ceil": (lambda: nn.MaxPool2d(2, ceil_mode=True), _f(4, 2, 7, 7)),
    "AvgPool1d": (lambda: nn.AvgPool1d(2), _f(4, 2, 8)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), _f(4, 2, 8, 8)),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d(1), _f(4, 3, 5, 5)),
    "AdaptiveAvgPool2d_2": (lambda: nn.AdaptiveAvgPool2d(2), _f(4, 3, 6, 6)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(5), _f(4, 5)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(3), _f(4, 3, 5, 5)),
    "LayerNorm": (lambda: nn.LayerNorm(6), _f(4, 6)),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), _f(4, 4, 3)),
    "Embedding": (lambda: nn.Embedding(10, 3), lambda: ember.randint(0, 10, (4, 5))),
    "Dropout": (lambda: nn.Dropout(0.5), _f(4, 3)),
    "Dropout2d": (lambda: nn.Dropout2d(0.5), _f(4, 3, 2, 2)),
    "AlphaDropout": (lambda: nn.AlphaDropout(0.5), _f(4, 3)),
    "ReLU": (lambda: nn.ReLU(), _f(4, 3)),
    "ReLU6": (lambda: nn.ReLU6(), _f(4, 3)),
    "SiLU": (lambda: nn.SiLU(), _f(4, 3)),
    "Mish": (lambda: nn.Mish(), _f(4, 3)),
    "SELU": (lambda: nn.SELU(), _f(4, 3)),
    "Hardsigmoid": (lambda: nn.Hardsigmoid(), _f(4, 3)),
    "Hardswish": (lambda: nn.Hardswish(), _f(4, 3)),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.2), _f(4, 3)),
    "ELU": (lambda: nn.ELU(0.7), _f(4, 3)),
    "CELU": (lambda: nn.CELU(0.7), _f(4, 3)),
    "GELU": (lambda: nn.GELU(), _f(4, 3)),
    "GELU_tanh": (lambda: nn.GELU("tanh"), _f(4, 3)),
    "Sigmoid": (lambda: nn.Sigmoid(), _f(4, 3)),
    "Tanh": (lambda: nn.Tanh(), _f(4, 3)),
    "Softsign": (lambda: nn.Softsign(), _f(4, 3)),
    "LogSigmoid": (lambda: nn.LogSigmoid(), _f(4, 3)),
    "Tanhshrink": (lambda: nn.Tanhshrink(), _f(4, 3)),
    "Softplus": (lambda: nn.Softplus(2.0), _f(4, 3)),
    "Hardtanh": (lambda: nn.Hardtanh(-0.5, 0.5), _f(4, 3)),
    "Softmax": (lambda: nn.Softmax(1), _f(4, 3)),
    "Softmin": (lambda: nn.Softmin(1), _f(4, 3)),
    "LogSoftmax": (lambda: nn.LogSoftmax(1), _f(4, 3)),
    "MSELoss": (lambda: nn.MSELoss(), lambda: (ember.randn(4, 3), ember.randn(4, 3))),
    "AdaptiveAvgPool1d": (lambda: nn.AdaptiveAvgPool1d(1), _f(4, 3, 6)),
    "Sequential": (lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)), _f(4, 3)),
}

REFUSES = {
    "Threshold": (lambda: nn.Threshold(0.1, 0.0), _f(4, 3), "where"),
    "GLU": (lambda: nn.GLU(), _f(4, 4), "chunk"),
    "PReLU": (lambda: nn.PReLU(), _f(4, 3), "where"),
    "AdaptiveMaxPool2d": (lambda: nn.AdaptiveMaxPool2d(2), _f(4, 2, 4, 4), "AdaptiveMaxPool2d"),
    "CrossEntropyLoss": (lambda: nn.CrossEntropyLoss(), lambda: (ember.randn(4, 3), ember.randint(0, 3, (4,))), "cross_entropy"),
}


def _inputs(make):
    x = make()
    return x if isinstance(x, tuple) else (x,)


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_layer_exports_everywhere(name, tmp_path, ember_run):  # noqa: F811
    make_model, make_input = EXPORTS[name]
    ember.manual_seed(0)
    model = make_model().eval()
    args = _inputs(make_input)
    ep = export(model, args, dynamic_shapes=tuple({0: Dim("batch")} for _ in args))
    ember.export.save(ep, tmp_path / "m")
    prog = ember.export.load(tmp_path / "m").module()
    for b in (1, 7):
        xs = tuple(a[ember.arange(b) % a.shape[0]] for a in args)
        want = model(*xs).detach().numpy()
        assert np.array_equal(prog(*xs).detach().numpy(), want)
        r, got = _run(ember_run, tmp_path / "m", xs, tmp_path)
        assert r.returncode == 0, r.stderr
        assert np.array_equal(got, want)
    pytest.importorskip("onnxruntime")
    ember.onnx.export(ep, args, None, verify=True)


@pytest.mark.parametrize("name", sorted(REFUSES))
def test_layer_refused_with_clear_error(name):
    make_model, make_input, op = REFUSES[name]
    with pytest.raises(ember.export.UnsupportedOpError, match=op):
        export(make_model().eval(), _inputs(make_input))

"""ember.onnx.export: standard ONNX checked by onnx.checker and run by onnxruntime."""
import os

import numpy as np
import pytest

import ember
import ember.nn as nn
from export_models import BATCHES, lecture_net, trained_cnn

onnx = pytest.importorskip("onnx", reason="ember[onnx] extra not installed (tests/requirements.txt lists it)")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime not installed (tests/requirements.txt lists it)")


def _session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("make", [lecture_net, trained_cnn])
def test_onnx_matches_eager_at_every_batch(tmp_path, make):
    model = make()
    path = tmp_path / "m.onnx"
    proto = ember.onnx.export(model, (ember.randn(3, 1, 28, 28),), str(path), input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}}, verify=True)
    m = onnx.load(str(path))
    onnx.checker.check_model(m, full_check=True)
    assert m.ir_version == onnx.helper.find_min_ir_version_for(list(m.opset_import))
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    sd = model.state_dict()
    weights = {i.name for i in m.graph.initializer if i.name in sd}
    assert weights == {k for k in sd if not k.endswith("num_batches_tracked")}  # unused buffers left out
    ops = {n.op_type for n in m.graph.node}
    assert "Gemm" in ops and "Dropout" not in ops
    sess = _session(path)
    for b in BATCHES:
        x = ember.randn(b, 1, 28, 28)
        (got,) = sess.run(["logits"], {"input": x.numpy()})
        want = model(x).detach().numpy()
        assert got.shape == want.shape
        assert np.max(np.abs(got - want)) <= 1e-5
    assert proto.graph.output[0].name == "logits"


def test_cnn_maps_layers_to_onnx_ops(tmp_path):
    proto = ember.onnx.export(trained_cnn(), (ember.randn(2, 1, 28, 28),), None,
                              dynamic_shapes={"x": {0: ember.export.Dim("batch")}})
    ops = [n.op_type for n in proto.graph.node]
    for op in ("Conv", "BatchNormalization", "Relu", "MaxPool", "Gemm"):
        assert op in ops
    assert "Dropout" not in ops


def test_initializers_named_by_state_dict_and_tied_once(tmp_path):
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Linear(6, 6)
            self.dec = nn.Linear(6, 6, bias=False)
            self.dec.weight = self.enc.weight

        def forward(self, x):
            return self.dec(self.enc(x).tanh())

    m = Tied()
    proto = ember.onnx.export(m, (ember.randn(2, 6),), str(tmp_path / "t.onnx"), verify=True)
    names = [i.name for i in proto.graph.initializer]
    assert names.count("enc.weight") == 1 and "dec.weight" not in names and "enc.bias" in names


def test_opset_and_names_validated(tmp_path):
    with pytest.raises(ValueError, match="opset_version"):
        ember.onnx.export(lecture_net(), (ember.randn(2, 1, 28, 28),), None, opset_version=7)
    with pytest.raises(ValueError, match="input_names"):
        ember.onnx.export(lecture_net(), (ember.randn(2, 1, 28, 28),), None, input_names=["a", "b"])
    proto = ember.onnx.export(lecture_net(), (ember.randn(2, 1, 28, 28),), None, opset_version=13)
    assert proto.opset_import[0].version == 13
    onnx.checker.check_model(proto, full_check=True)


def test_onnx_refusal_lists_problems_and_writes_nothing(tmp_path):
    class Pool(nn.Module):
        def forward(self, x):
            return nn.functional.avg_pool2d(x, 2, divisor_override=3)

    with pytest.raises(ember.onnx.OnnxExporterError, match="divisor_override"):
        ember.onnx.export(Pool(), (ember.randn(1, 1, 4, 4),), str(tmp_path / "p.onnx"))
    assert not os.listdir(tmp_path)

"""ember.export: capture, printing, signature, save/load round trip, input checks, honesty."""
import json
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
import ember.nn as nn
from ember.export import Dim, export
from export_models import BATCHES, lecture_net, trained_cnn

HERE = os.path.basename(__file__)


def _dyn(name="img"):
    return {name: {0: Dim("batch")}}


def _same(a, b):
    return np.array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("make,shape,arg", [(lecture_net, (1, 28, 28), "img"), (trained_cnn, (1, 28, 28), "x")])
def test_export_save_load_equals_eager(tmp_path, make, shape, arg):
    model = make()
    ep = export(model, (ember.randn(4, *shape),), dynamic_shapes=_dyn(arg))
    ember.export.save(ep, tmp_path / "m")
    assert sorted(os.listdir(tmp_path / "m")) == ["graph.json", "weights.safetensors"]
    loaded = ember.export.load(tmp_path / "m").module()
    for b in BATCHES:
        x = ember.randn(b, *shape)
        with ember.no_grad():
            want = model(x)
        assert _same(ep.module()(x), want)
        assert _same(loaded(x), want)


def test_print_shows_graph_shapes_lines_and_signature():
    ep = export(lecture_net(), (ember.randn(3, 1, 28, 28),), dynamic_shapes=_dyn())
    text = str(ep)
    assert "ember.ops.aten.view.default(img, [-1, 784])" in text
    assert "ember.ops.aten.linear.default" in text and "ember.ops.aten.relu.default" in text
    assert 'view: "f32[batch, 784]"' in text
    assert 'img: "f32[batch, 1, 28, 28]"' in text
    assert "# File: " in text and "flattened = img.view(-1, 28 * 28)" in text
    assert "p_layer1_weight: PARAMETER target='layer1.weight'" in text
    assert "img: USER_INPUT" in text and "USER_OUTPUT" in text
    assert "batch: VR[0, int_oo]" in text


def test_signature_and_state_dict_use_state_dict_names():
    model = trained_cnn()
    ep = export(model, (ember.randn(2, 1, 28, 28),))
    sig = ep.graph_signature
    sd = model.state_dict()
    assert sig.parameters == [k for k, _ in model.named_parameters()]
    assert sig.buffers == [k for k, _ in model.named_buffers()]
    assert sig.user_inputs == ["x"]
    assert set(ep.state_dict) == set(sd)
    for k in sd:
        assert _same(ep.state_dict[k], sd[k])
    targets = [n.target for n in ep.graph.nodes]
    assert "aten.conv2d.default" in targets and "aten.batch_norm.default" in targets
    assert "aten.max_pool2d_with_indices.default" in targets
    assert not any("dropout" in t for t in targets)  # eval-mode dropout vanishes
    mod = ep.module()
    assert set(mod.state_dict()) == set(sd)


def test_static_program_checks_inputs(tmp_path):
    ep = export(lecture_net(), (ember.randn(5, 1, 28, 28),))
    ember.export.save(ep, tmp_path / "m")
    run = ember.export.load(tmp_path / "m").module()
    with pytest.raises(RuntimeError, match=r"input 'img': expected a 4-D tensor"):
        run(ember.randn(5, 784))
    with pytest.raises(RuntimeError, match=r"input 'img': dim 0 must be 5"):
        run(ember.randn(6, 1, 28, 28))
    with pytest.raises(RuntimeError, match=r"input 'img': expected dtype ember.float32, got ember.float64"):
        run(ember.randn(5, 1, 28, 28, dtype=ember.float64))
    with pytest.raises(TypeError, match="takes 1 input"):
        run()


def test_dynamic_program_checks_static_dims_and_range():
    ep = export(lecture_net(), (ember.randn(5, 1, 28, 28),), dynamic_shapes={"img": {0: Dim("batch", min=1, max=100)}})
    run = ep.module()
    assert tuple(run(ember.randn(100, 1, 28, 28)).shape) == (100, 10)
    with pytest.raises(RuntimeError, match=r"input 'img': dim 2 must be 28"):
        run(ember.randn(2, 1, 27, 28))
    with pytest.raises(RuntimeError, match=r"dim 0 \(batch\) = 101 is outside its range \[1, 100\]"):
        run(ember.randn(101, 1, 28, 28))


def test_dynamic_size_used_as_constant_becomes_symbol():
    class M(nn.Module):
        def forward(self, x):
            return x.reshape(x.shape[0], -1).relu()

    ep = export(M(), (ember.randn(3, 4, 5),), dynamic_shapes=({0: Dim("n")},))
    node = ep.graph.nodes[0]
    assert str(node.args[1]) == "[n, -1]"
    x = ember.randn(9, 4, 5)
    assert _same(ep.module()(x), x.reshape(9, -1).relu())


class _Branch(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        y = self.fc(x)
        if y.sum() > 0:  # the data-dependent line
            return y
        return -y


@pytest.mark.parametrize("escape,what", [
    (lambda t: bool(t.sum() > 0), "bool()"), (lambda t: t.sum().item(), ".item()"), (lambda t: t.tolist(), ".tolist()"),
    (lambda t: t.numpy(), ".numpy()"), (lambda t: int(t.sum()), "int()"), (lambda t: float(t.sum()), "float()")])
def test_escapes_raise_naming_op_and_line(escape, what):
    class M(nn.Module):
        def forward(self, x):
            escape(x * 2)
            return x

    with pytest.raises(ember.export.DataDependentError) as e:
        export(M(), (ember.randn(2, 3),))
    assert what in str(e.value) and HERE in str(e.value)


def test_data_dependent_branch_raises_with_line():
    with pytest.raises(ember.export.DataDependentError, match=r"bool\(\).*test_export.py:\d+") as e:
        export(_Branch().eval(), (ember.randn(2, 4),))
    assert "if y.sum() > 0" in str(e.value)


def test_baked_in_shape_raises():
    class Baked(nn.Module):
        def forward(self, x):
            return x + ember.zeros(x.shape[0], 4)

    with pytest.raises(ember.export.ConstraintViolationError, match="batch"):
        export(Baked(), (ember.randn(3, 4),), dynamic_shapes=({0: Dim("batch")},))

    class Fixed(nn.Module):
        def forward(self, x):
            return x.view(6, 2)

    with pytest.raises(ember.export.ConstraintViolationError):
        export(Fixed(), (ember.randn(3, 4),), dynamic_shapes=({0: Dim("batch")},))


def test_iterating_a_dynamic_dim_raises():
    class Loop(nn.Module):
        def forward(self, x):
            return sum(len(r.shape) for r in x) + x

    with pytest.raises(ember.export.ConstraintViolationError, match="iteration over a tensor whose dim 0 is dynamic"):
        export(Loop(), (ember.randn(3, 4),), dynamic_shapes=({0: Dim("batch")},))


def test_unsupported_ops_all_reported_and_nothing_written(tmp_path):
    class Odd(nn.Module):
        def forward(self, x):
            a = x.cumsum(1)
            b = x.sort(1)[0]
            return a + b

    with pytest.raises(ember.export.UnsupportedOpError) as e:
        export(Odd(), (ember.randn(2, 3),))
    msg = str(e.value)
    assert "cumsum" in msg and "sort" in msg and HERE in msg
    assert len(e.value.ops) == 2
    with pytest.raises(ember.export.UnsupportedOpError):
        ember.onnx.export(Odd(), (ember.randn(2, 3),), str(tmp_path / "odd.onnx"))
    assert not os.listdir(tmp_path)


def test_training_mode_warns_refuses_and_leaves_model_unchanged():
    model = trained_cnn().train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.warns(UserWarning, match="training mode"):
        with pytest.raises(ember.export.UnsupportedOpError, match="dropout in training mode") as e:
            export(model, (ember.randn(2, 1, 28, 28),))
    assert "batch_norm in training mode" in str(e.value)
    for k, v in model.state_dict().items():
        assert _same(v, before[k]), k  # running statistics not updated by the failed capture


def test_non_contiguous_input_runs_like_eager():
    ep = export(lecture_net(), (ember.randn(3, 1, 28, 28),), dynamic_shapes=_dyn())
    x = ember.randn(28, 28, 1, 5).permute(3, 2, 0, 1)
    assert not x.is_contiguous()
    assert _same(ep.module()(x), lecture_net()(x))


def test_inplace_write_into_input_refused():
    class W(nn.Module):
        def forward(self, x):
            x.add_(1)
            return x

    x = ember.zeros(2)
    with pytest.raises(ember.export.UnsupportedOpError, match="writes in place into 'x'"):
        export(W(), (x,))
    assert x.tolist() == [0.0, 0.0]


def test_tied_weights_once(tmp_path):
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 4, bias=False)
            self.b = nn.Linear(4, 4, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    m = Tied()
    ep = export(m, (ember.randn(2, 4),))
    assert ep.graph_signature.parameters == ["a.weight"]
    ember.export.save(ep, tmp_path / "t")
    x = ember.randn(2, 4)
    assert _same(ember.export.load(tmp_path / "t").module()(x), m(x))


def test_saved_graph_is_json_without_pickle(tmp_path):
    ep = export(lecture_net(), (ember.randn(2, 1, 28, 28),))
    ember.export.save(ep, tmp_path / "m")
    g = json.loads((tmp_path / "m" / "graph.json").read_text())
    assert g["format"] == "ember.export" and g["inputs"][0]["shape"] == [2, 1, 28, 28]
    with open(tmp_path / "m" / "weights.safetensors", "rb") as fh:
        assert b"pickle" not in fh.read(4096)
    with pytest.raises(FileNotFoundError):
        ember.export.load(tmp_path / "nothing")


def test_exported_program_not_callable_and_bad_dynamic_shapes():
    ep = export(lecture_net(), (ember.randn(2, 1, 28, 28),))
    with pytest.raises(RuntimeError, match="module()"):
        ep(ember.randn(2, 1, 28, 28))
    with pytest.raises(ValueError, match="not inputs"):
        export(lecture_net(), (ember.randn(2, 1, 28, 28),), dynamic_shapes={"x": {0: Dim("b")}})
    with pytest.raises(ValueError):
        Dim("not a name")


def test_jit_trace_save_load(tmp_path):
    model = trained_cnn()
    x = ember.randn(3, 1, 28, 28)
    traced = ember.jit.trace(model, (x,))
    assert "aten.conv2d.default" in str(traced.graph)
    assert traced.code.startswith("def forward(self, x):")
    traced.save(str(tmp_path / "t"))
    loaded = ember.jit.load(str(tmp_path / "t"))
    for b in (1, 5):
        y = ember.randn(b, 1, 28, 28)
        assert _same(loaded(y), model(y))
    # script runs eagerly (PyTorch's behaviour with PYTORCH_JIT=0): the very object comes back.
    assert ember.jit.script(model) is model


def test_jit_trace_function_and_other_batch():
    traced = ember.jit.trace(lambda x: (x * 2).relu() - 1, ember.randn(3, 4))
    x = ember.randn(6, 4)
    assert _same(traced(x), (x * 2).relu() - 1)
    assert "aten.mul.Tensor" in traced.code


def test_jit_trace_refuses_branches():
    with pytest.raises(ember.export.DataDependentError):
        ember.jit.trace(_Branch().eval(), ember.randn(2, 4))


_EP_CACHE = {}


@settings(max_examples=15, deadline=None)
@given(batch=st.integers(1, 20), transpose=st.booleans(), step=st.integers(1, 3))
def test_dynamic_program_equals_eager_on_strided_inputs(batch, transpose, step):
    model = _EP_CACHE.setdefault("m", lecture_net())
    ep = _EP_CACHE.setdefault("ep", export(model, (ember.randn(3, 1, 28, 28),), dynamic_shapes=_dyn()))
    base = ember.randn(batch * step, 1, 28, 28)
    x = base[::step]
    if transpose:
        x = x.transpose(2, 3)
    with ember.no_grad():
        want = model(x.contiguous())
    assert _same(ep.module()(x.contiguous()), want)
    # view(-1, 784) of a strided batch raises in eager and in the program alike.
    try:
        eager = model(x)
    except RuntimeError as e:
        with pytest.raises(RuntimeError, match="view"):
            ep.module()(x)
        assert "view" in str(e)
    else:
        assert _same(ep.module()(x), eager)

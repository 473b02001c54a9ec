"""ember.inspect: structured outputs on known small tensors."""
import json

import pytest

import ember
from ember import inspect as I


def test_explain_transposed_view():
    x = ember.arange(12, dtype=ember.float32).reshape(3, 4)
    e = I.explain(x.t())
    assert e.shape == (4, 3) and e.strides == (1, 4) and e.storage_offset == 0
    assert e.storage_nbytes == 48 and e.storage_elements == 12 and e.itemsize == 4
    assert e.covers_storage
    assert e.contiguity.startswith("column-major")
    assert e.cells_read[:4] == [0, 4, 8, 1]
    assert "offset = 0 + i0×1 + i1×4" in str(e)


def test_explain_classes():
    x = ember.zeros(2, 3, 4, 5)
    assert I.explain(x).contiguity.startswith("row-major")
    assert I.explain(ember.zeros(2, 4, 5, 3).permute(0, 3, 1, 2)).contiguity.startswith("channels-last")
    assert I.explain(ember.zeros(3).expand(2, 3)).contiguity.startswith("expanded")
    assert I.explain(ember.zeros(10).unfold(0, 3, 1)).contiguity.startswith("overlapping")
    assert I.explain(ember.zeros(4, 4)[:, ::2]).contiguity.startswith("non-contiguous")
    part = I.explain(ember.zeros(10)[2:5])
    assert not part.covers_storage and part.storage_offset == 2


def test_explain_index_arithmetic():
    x = ember.arange(8, dtype=ember.float32).reshape(2, 2, 2) / 10
    e = I.explain_index(x, (1, 0, 1))
    assert e.position == 5 and abs(e.value - 0.5) < 1e-6
    assert str(e).startswith("x[1,0,1] → 0 + 1×4 + 0×2 + 1×1 = 5 → storage[5] = 0.5")
    with pytest.raises(IndexError):
        I.explain_index(x, (2, 0, 0))


def test_shares_memory_and_handles():
    x = ember.zeros(4, 4)
    assert I.shares_memory(x, x.t())
    assert not I.shares_memory(x[0], x[1])
    assert I.shares_memory(x[:, 1], x[2])
    assert not I.shares_memory(x, ember.zeros(4, 4))
    before = I.explain(x).storage_handles
    v = x[1:]
    assert I.explain(x).storage_handles == before + 1
    del v


def test_trace_records_fast_paths_and_promotion():
    x = ember.ones(64, 64)
    i = ember.ones(64, 64, dtype=ember.int32)
    with I.trace() as tr:
        x + x
        x.t() + x
        x + 1
        i + 2.5
    adds = [e for e in tr if e.name == "Tensor.__add__"]
    assert [e.path for e in adds] == ["contiguous", "tiled-2d", "broadcast-inner", "broadcast-inner"]
    assert adds[0].bytes_allocated == 64 * 64 * 4
    assert adds[3].result_dtype == "float32" and "python float (weak)" in adds[3].promotion
    assert "int32" in adds[3].promotion
    assert all(e.wall_ns > 0 for e in adds)
    assert "tiled-2d" in tr.table(file=open("/dev/null", "w"))


def test_trace_chrome_file(tmp_path):
    x = ember.ones(3)
    with I.trace() as tr:
        x * 2
    p = tr.to_chrome_trace(str(tmp_path / "t.json"))
    data = json.load(open(p))
    assert data["traceEvents"][0]["name"] == "Tensor.__mul__" and data["traceEvents"][0]["ph"] == "X"


def test_trace_leaves_no_wrappers_behind():
    before = ember.Tensor.__add__
    with I.trace():
        pass
    assert ember.Tensor.__add__ is before


def test_graph_nodes_and_dot():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    a._param_name = "layer.weight"
    loss = (a * a).sum()
    g = I.graph(loss)
    assert g.names() == ["SumBackward0", "MulBackward0", "AccumulateGrad"]
    mul = [n for n in g if n.name == "MulBackward0"][0]
    assert mul.saved_bytes == 16 and len(mul.saved) == 2
    dot = g.to_dot()
    assert "layer.weight" in dot and "n1 -> n0" in dot
    assert "MulBackward0" in g.summary()


def test_memory_flags_small_view_of_big_storage():
    big = ember.zeros(1 << 20)  # 4 MiB
    small = big[:1]
    del big
    rep = I.memory()
    hits = [w for w in rep.warnings() if "4.0MB" in w]
    assert hits and "4B view" in hits[0] and ".clone()" in hits[0]
    del small


def test_inplace_provenance_names_op_and_line():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    c = b * b  # saves b
    with I.track_inplace():
        b.mul_(2)  # the line the error must name
    with pytest.raises(RuntimeError) as e:
        c.sum().backward()
    msg = str(e.value)
    assert "modified by an inplace operation" in msg and "is at version 1; expected version 0" in msg
    assert "Tensor.mul_ at" in msg and "test_inspect.py" in msg


def test_summary_and_watch_on_a_model():
    from ember import nn

    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    s = I.summary(model, ember.zeros(5, 4))
    assert [r.output_shape for r in s.rows] == [(5, 3), (5, 2)]
    assert [r.params for r in s.rows] == [15, 8] and s.total_params == 23 and s.trainable_params == 23
    assert s.param_bytes == 23 * 4 and "Total params: 23" in str(s)
    with I.watch(model) as w:
        model(ember.ones(5, 4)).sum().backward()
    assert set(w.activations) == {"0", "1"} and set(w.gradients) == {"0.weight", "0.bias", "1.weight", "1.bias"}
    assert w.activations["0"]["zeros"] <= 1.0


def test_track_allocations_peak_and_net():
    import gc

    gc.collect()
    gc.disable()  # no unrelated garbage freed inside the block
    try:
        with I.track_allocations() as tr:
            a = ember.ones(1 << 18)  # 1 MiB kept
            b = ember.ones(1 << 19)  # 2 MiB, freed again
            del b
    finally:
        gc.enable()
    assert tr.net_bytes >= (1 << 20) and tr.net_bytes < (1 << 20) + (1 << 16)
    assert tr.peak_bytes >= 3 << 20
    del a


def test_trace_sees_nn_native_calls():
    from ember import nn

    model = nn.Linear(3, 2)
    with I.trace() as tr:
        model(ember.ones(4, 3)).sum().backward()
    names = [e.name for e in tr]
    assert "_native.linear" in names and "_native._backward" in names

"""ember.save / ember.load: safetensors layout, round trips, and corrupted files."""
import io
import json
import math
import struct
from collections import OrderedDict

import numpy as np
import pytest

import ember

ALL_DTYPES = [ember.float64, ember.float32, ember.float16, ember.bfloat16, ember.int64, ember.int32, ember.int16,
              ember.int8, ember.uint8, ember.bool]
CODES = {"float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16", "int64": "I64", "int32": "I32",
         "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL"}
NP = {"float64": "<f8", "float32": "<f4", "float16": "<f2", "int64": "<i8", "int32": "<i4", "int16": "<i2",
      "int8": "i1", "uint8": "u1", "bool": "?"}


def sample(dtype, shape=(2, 3)):
    vals = [[1.5, -2.25, 3.0], [0.0, 100.0, -7.5]] if dtype.is_floating_point else [[1, -2, 3], [0, 100, -7]]
    if dtype == ember.uint8:
        vals = [[1, 2, 3], [0, 200, 255]]
    if dtype == ember.bool:
        vals = [[True, False, True], [False, False, True]]
    return ember.tensor(vals, dtype=dtype)


def roundtrip(obj, **kw):
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    return ember.load(buf, **kw)


def parse(raw):
    """Our own reading of the safetensors layout (independent of ember.load)."""
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    return n, header, raw[8 + n:]


def assert_same(a, b):
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    assert a.tolist() == b.tolist()


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: d.name)
def test_every_dtype_round_trips_and_matches_the_header(dtype):
    t = sample(dtype)
    out = roundtrip({"w": t})
    assert list(out) == ["w"]
    assert_same(out["w"], t)
    buf = io.BytesIO()
    ember.save({"w": t}, buf)
    n, header, data = parse(buf.getvalue())
    assert (8 + n) % 8 == 0
    e = header["w"]
    assert e["dtype"] == CODES[dtype.name] and e["shape"] == [2, 3]
    assert e["data_offsets"] == [0, 6 * t.element_size()] and len(data) == 6 * t.element_size()
    if dtype.name in NP:
        got = np.frombuffer(data, dtype=NP[dtype.name]).reshape(2, 3)
        assert got.tolist() == t.tolist()
    else:  # bfloat16: the top half of the float32 bits
        bits = np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16
        assert bits.view(np.float32).reshape(2, 3).tolist() == t.tolist()


def test_bfloat16_values_survive_exactly():
    t = ember.tensor([1.0, -0.0078125, 3.3895313892515355e38, 1e-3], dtype=ember.bfloat16)
    assert roundtrip(t).tolist() == t.tolist()


def test_header_metadata_and_alignment():
    sd = {"a": ember.ones(3, dtype=ember.uint8), "b": ember.zeros(2, dtype=ember.float64),
          "c": ember.ones(1, dtype=ember.int16)}
    buf = io.BytesIO()
    ember.save(sd, buf)
    n, header, data = parse(buf.getvalue())
    meta = header.pop("__metadata__")
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items())
    assert meta["format"] == "pt"
    spans = sorted(e["data_offsets"] for e in header.values())
    assert spans[0][0] == 0 and spans[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))  # no gaps, no overlap
    for e in header.values():  # each tensor aligned to its element size
        size = {"U8": 1, "F64": 8, "I16": 2}[e["dtype"]]
        assert e["data_offsets"][0] % size == 0
    assert list(roundtrip(sd)) == ["a", "b", "c"]


def test_files_from_other_writers_load_as_flat_dicts(tmp_path):
    # Built by hand as another tool would: no ember metadata.
    a = np.arange(6, dtype="<f4").reshape(2, 3)
    header = {"x": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, "__metadata__": {"k": "v"}}
    raw = json.dumps(header).encode()
    p = tmp_path / "other.safetensors"
    p.write_bytes(struct.pack("<Q", len(raw)) + raw + a.tobytes())
    out = ember.load(p)
    assert list(out) == ["x"] and out["x"].tolist() == a.tolist() and out["x"].dtype == ember.float32


def test_nested_structures_and_plain_values(tmp_path):
    w = ember.arange(6, dtype=ember.float32).reshape(2, 3)
    opt = {"state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.zeros(2, 3)}, 1: {}},
           "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False,
                             "params": [0, 1], "name": None, "inf": math.inf}]}
    obj = {"model": OrderedDict([("w", w)]), "optim": opt, "epoch": 7, "tag": "run-1", "blob": b"\x00\xff",
           "dt": ember.float16, "size": ember.Size([2, 3]), "pair": (w, [1, 2.5])}
    out = roundtrip(obj)
    assert type(out["model"]) is OrderedDict and list(out["model"]) == ["w"]
    assert_same(out["model"]["w"], w)
    assert list(out["optim"]["state"]) == [0, 1]  # int keys stay ints
    assert_same(out["optim"]["state"][0]["exp_avg"], opt["state"][0]["exp_avg"])
    assert out["optim"]["state"][0]["step"].item() == 3.0 and out["optim"]["state"][1] == {}
    g = out["optim"]["param_groups"][0]
    assert g["betas"] == (0.9, 0.999) and isinstance(g["betas"], tuple) and g["eps"] == 1e-8
    assert g["weight_decay"] == 0 and type(g["weight_decay"]) is int and g["amsgrad"] is False
    assert g["params"] == [0, 1] and g["name"] is None and g["inf"] == math.inf
    assert out["epoch"] == 7 and out["tag"] == "run-1" and out["blob"] == b"\x00\xff"
    assert out["dt"] == ember.float16 and out["size"] == ember.Size([2, 3]) and isinstance(out["size"], ember.Size)
    assert isinstance(out["pair"], tuple) and out["pair"][1] == [1, 2.5]
    assert_same(out["pair"][0], w)
    # Paths and PathLike work the same as file objects.
    ember.save(obj, str(tmp_path / "a.st"))
    assert ember.load(str(tmp_path / "a.st"))["epoch"] == 7
    assert ember.load(tmp_path / "a.st", map_location="cpu", weights_only=False)["tag"] == "run-1"


def test_single_tensor_and_list_roots():
    t = ember.tensor([1, 2, 3], dtype=ember.int32)
    assert_same(roundtrip(t), t)
    out = roundtrip([t, t * 2])
    assert isinstance(out, list) and out[1].tolist() == [2, 4, 6]


def test_views_are_saved_as_their_own_contiguous_data():
    base = ember.arange(12, dtype=ember.float32).reshape(3, 4)
    obj = {"base": base, "t": base.t(), "col": base[:, 1], "step": base[::2, ::3]}
    out = roundtrip(obj)
    for k in obj:
        assert_same(out[k], obj[k])
        assert out[k].is_contiguous()
    # Storage sharing is not preserved (documented): the loaded tensors are independent.
    out["base"].fill_(0)
    assert out["t"].sum().item() == base.sum().item()
    buf = io.BytesIO()
    ember.save({"col": base[:, 1]}, buf)
    _, header, data = parse(buf.getvalue())
    assert len(data) == 3 * 4  # only the view's elements, not the whole storage


def test_requires_grad_round_trips():
    w = ember.ones(2, requires_grad=True)
    out = roundtrip({"w": w, "x": ember.ones(2)})
    assert out["w"].requires_grad and not out["x"].requires_grad and out["w"].is_leaf


def test_empty_and_zero_dim_tensors():
    obj = {"e": ember.zeros(0, 3), "s": ember.tensor(2.5, dtype=ember.float64)}
    out = roundtrip(obj)
    assert tuple(out["e"].shape) == (0, 3) and out["s"].ndim == 0 and out["s"].item() == 2.5


def test_unsupported_objects_are_refused_with_the_path():
    with pytest.raises(TypeError, match=r"object of type set at obj\['a'\]\['b'\]"):
        roundtrip({"a": {"b": {1, 2}}})


def good_file():
    buf = io.BytesIO()
    ember.save({"a": ember.arange(4, dtype=ember.float32), "b": ember.ones(2, dtype=ember.int64)}, buf)
    return buf.getvalue()


def load_bytes(raw):
    return ember.load(io.BytesIO(raw))


@pytest.mark.parametrize("cut", [0, 5, 8, 20])
def test_truncated_header_is_reported(cut):
    with pytest.raises(RuntimeError, match="truncated|fewer than the 8-byte"):
        load_bytes(good_file()[:cut])


def test_truncated_data_is_reported():
    raw = good_file()
    with pytest.raises(RuntimeError, match=r"tensor '.' ends at byte \d+ .* truncated"):
        load_bytes(raw[:-3])


def test_corrupted_files_are_reported():
    raw = good_file()
    n, header, data = parse(raw)

    def rebuild(h, body=data):
        j = json.dumps(h).encode()
        return struct.pack("<Q", len(j)) + j + body

    with pytest.raises(RuntimeError, match="not valid UTF-8 JSON"):
        load_bytes(raw[:8] + b"x" + raw[9:])
    with pytest.raises(RuntimeError, match="extra bytes"):
        load_bytes(raw + b"xx")
    bad = json.loads(json.dumps(header))
    bad["a"]["dtype"] = "F8_E4M3"
    with pytest.raises(RuntimeError, match="dtype 'F8_E4M3'"):
        load_bytes(rebuild(bad))
    bad = json.loads(json.dumps(header))
    bad["a"]["shape"] = [5]
    with pytest.raises(RuntimeError, match="needs 20 bytes"):
        load_bytes(rebuild(bad))
    bad = json.loads(json.dumps(header))
    bad["a"]["data_offsets"] = [0, 16]
    bad["b"]["data_offsets"] = [8, 24]
    with pytest.raises(RuntimeError, match="overlaps"):
        load_bytes(rebuild(bad))
    bad = json.loads(json.dumps(header))
    bad["__metadata__"]["ember"] = "{not json"
    with pytest.raises(RuntimeError, match="ember metadata"):
        load_bytes(rebuild(bad))
    bad = json.loads(json.dumps(header))
    bad["__metadata__"]["ember"] = json.dumps({"version": 1, "root": {"$": "tensor", "name": "zz"}})
    with pytest.raises(RuntimeError, match="'zz'"):
        load_bytes(rebuild(bad))
    with pytest.raises(RuntimeError, match="not a valid safetensors file"):
        load_bytes(struct.pack("<Q", 4) + b"[1] ")


def test_loading_never_unpickles():
    import pickle

    evil = pickle.dumps({"a": 1})
    with pytest.raises(RuntimeError, match="looks like a pickle. ember never unpickles"):
        load_bytes(evil)
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", evil)
    with pytest.raises(RuntimeError, match="zip archive, like the checkpoints torch.save writes"):
        load_bytes(buf.getvalue())


def test_pickle_and_deepcopy_copy_values():
    import copy
    import pickle

    t = ember.arange(6, dtype=ember.int16).reshape(2, 3).t()
    for u in (pickle.loads(pickle.dumps(t)), copy.deepcopy(t)):
        assert_same(u, t)
        assert u.data_ptr() != t.data_ptr()
    w = ember.ones(2, requires_grad=True)
    assert pickle.loads(pickle.dumps(w)).requires_grad


def test_corrupted_file_on_disk_and_map_location(tmp_path):
    p = tmp_path / "bad.st"
    p.write_bytes(good_file()[:-3])
    with pytest.raises(RuntimeError, match="truncated"):
        ember.load(p)  # read through a memory map: the error must not be masked when unmapping
    p.write_bytes(b"")
    with pytest.raises(RuntimeError, match="fewer than the 8-byte"):
        ember.load(p)
    p.write_bytes(good_file())
    seen = []
    out = ember.load(p, map_location=lambda t, loc: seen.append(loc) or t * 2)
    assert out["a"].tolist() == [0.0, 2.0, 4.0, 6.0] and seen == ["cpu", "cpu"]
    assert ember.load(p, map_location={"cpu": "cpu"})["b"].tolist() == [1, 1]
    assert ember.load(p, map_location=ember.device("cpu"))["b"].dtype == ember.int64


def test_header_length_starting_like_a_pickle_still_loads():
    # A header of 0x80 + 256k bytes begins with the byte pickles begin with; it must not be
    # mistaken for one.
    name = "x" * 60
    for pad in range(0, 256):
        buf = io.BytesIO()
        ember.save({name + "y" * pad: ember.ones(1)}, buf)
        if buf.getvalue()[0] == 0x80:
            break
    else:
        pytest.fail("no header length ending in 0x80 found")
    buf.seek(0)
    assert ember.load(buf)[name + "y" * pad].tolist() == [1.0]

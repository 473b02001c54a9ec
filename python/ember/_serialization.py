"""``ember.save`` / ``ember.load``: tensors, and dicts / lists / tuples of tensors and plain
values (model and optimizer state dicts), in the safetensors format. Loading never runs code:
there is no pickle anywhere, only JSON and raw little-endian bytes.

File layout (the safetensors format)::

    8 bytes    N = header length, unsigned little-endian
    N bytes    UTF-8 JSON header, padded with spaces so the data starts 8-byte aligned:
               {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...,
                "__metadata__": {"format": "pt", "ember": "<JSON of the structure>"}}
    the rest   every tensor's elements, row-major, little-endian; offsets count from here

dtype codes: F64 F32 F16 BF16 I64 I32 I16 I8 U64 U32 U16 U8 BOOL, C64 (complex64, as recent safetensors
versions name it) and C128 (complex128, which the format has no code for yet). Tensors are laid out largest element
size first, so each one's data is aligned to its element size.

Names. A dict of tensors with str keys (a ``state_dict()``) saves each tensor under its key,
so other safetensors readers see the same flat dict. Anything else is walked, and each tensor
is named by its path (``"state.0.exp_avg"``); the structure, with tensors replaced by their
names, goes into ``__metadata__["ember"]`` as JSON where every JSON object is a tagged value
(``{"$": "tensor", "name": ...}``, ``{"$": "tuple", ...}``, ``{"$": "dict", "items": [[k, v], ...]}``
keeps non-str keys such as an optimizer state's ints, ``{"$": "float", "value": "nan"}`` …).
A file without that key (written by another tool) loads as a flat dict of its tensors.

Views and shared storage: each tensor is saved as its own contiguous copy of the elements it
shows, as safetensors does. Two views of one storage load as two independent tensors (the
sharing is not preserved), and a small view of a big tensor saves only its own elements.
``requires_grad`` and ``nn.Parameter`` are recorded in the structure and restored.

Other kinds of tensor. A wgpu tensor is copied to the host and saved like any other, with
its device recorded; ``load`` puts it back on that device unless ``map_location`` says
otherwise. A sparse COO tensor is saved as its ``indices`` and ``values`` tensors (named
``<path>._indices`` / ``<path>._values``) under a ``{"$": "sparse_coo"}`` tag. A meta tensor
has no data: its shape and dtype go into the structure and it loads as a meta tensor, as
``torch.save`` / ``torch.load`` do. Layout and device are decided before any byte is read.
"""
import json
import math
import mmap as _mmap
import os
from collections import OrderedDict

from . import _native
from ._native import Tensor

__all__ = ["save", "load"]

_CODES = {"float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16", "int64": "I64", "int32": "I32",
          "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL",
          "uint16": "U16", "uint32": "U32", "uint64": "U64", "complex64": "C64", "complex128": "C128"}
_NAMES = {v: k for k, v in _CODES.items()}
_INT64_MAX = 2**63 - 1
_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
          "U16": 2, "U32": 4, "U64": 8,
          "C64": 8, "C128": 16}
_FORMAT_VERSION = 1


def _parameter_class():
    from . import nn

    return getattr(nn, "Parameter", None)


class _Encoder:
    """Walks the object: collects tensors under unique names, returns the JSON structure."""

    def __init__(self):
        self.tensors = {}  # name -> tensor, in first-seen order

    def name(self, path):
        base = ".".join(path) or "tensor"
        name, k = base, 1
        while name in self.tensors:
            k += 1
            name = f"{base}#{k}"
        return name

    def key(self, k, path):
        if k is None or isinstance(k, (str, bool, int)):
            return k
        if isinstance(k, float):
            return self.value(k, path)
        if isinstance(k, tuple):
            return {"$": "tuple", "items": [self.key(x, path) for x in k]}
        raise TypeError(f"ember.save: can't save a dict key of type {type(k).__name__} at {_where(path)}; keys may "
                        "be str, int, float, bool, None or tuples of those")

    def value(self, obj, path):
        if isinstance(obj, Tensor):
            if _native._is_sparse(obj):
                # A sparse COO tensor is its indices and values; each is saved as a tensor.
                ind, val, coalesced = _native._sparse_parts(obj)
                enc = {"$": "sparse_coo", "indices": self.value(ind.detach(), path + ["_indices"]),
                       "values": self.value(val.detach(), path + ["_values"]), "size": list(obj._shape),
                       "coalesced": bool(coalesced)}
            elif obj.device.type == "meta":
                # No data to save: shape and dtype only, loaded back as a meta tensor (as PyTorch does).
                enc = {"$": "meta", "dtype": obj.dtype.name, "shape": list(obj._shape)}
            else:
                name = self.name(path)
                self.tensors[name] = obj
                enc = {"$": "tensor", "name": name}
                if obj.device.type != "cpu":
                    enc["device"] = str(obj.device)
            if obj.requires_grad:
                enc["requires_grad"] = True
            param = _parameter_class()
            if param is not None and isinstance(obj, param):
                enc["parameter"] = True
            return enc
        if obj is None or isinstance(obj, (str, bool, int)):
            return obj
        if isinstance(obj, float):
            if math.isfinite(obj):
                return obj
            return {"$": "float", "value": repr(obj)}
        if isinstance(obj, _native.dtype):
            return {"$": "dtype", "name": obj.name}
        if isinstance(obj, _native.device):
            return {"$": "device", "name": str(obj)}
        if isinstance(obj, (bytes, bytearray)):
            return {"$": "bytes", "hex": bytes(obj).hex()}
        if isinstance(obj, dict):
            tag = "odict" if type(obj).__name__ == "OrderedDict" else "dict"
            items = [[self.key(k, path), self.value(v, path + [str(k)])] for k, v in obj.items()]
            return {"$": tag, "items": items}
        if isinstance(obj, tuple):
            from ._size import Size

            tag = "size" if isinstance(obj, Size) else "tuple"
            return {"$": tag, "items": [self.value(v, path + [str(i)]) for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.value(v, path + [str(i)]) for i, v in enumerate(obj)]
        raise TypeError(f"ember.save: can't save an object of type {type(obj).__name__} at {_where(path)}: ember "
                        "saves tensors and dicts / lists / tuples of tensors, str, int, float, bool, None, bytes and "
                        "dtypes (the safetensors format holds no code, so arbitrary objects can't be stored)")


def _where(path):
    return "obj" + "".join(f"[{p!r}]" for p in path)


def _header(tensors, meta):
    """The header bytes (padded) and the order in which to write the tensors' data."""
    order = sorted(tensors, key=lambda n: -tensors[n].element_size())  # stable: ties keep insertion order
    header, offset = {}, 0
    for name in order:
        t = tensors[name]
        n = t.numel() * t.element_size()
        header[name] = {"dtype": _CODES[t.dtype.name], "shape": list(t._shape), "data_offsets": [offset, offset + n]}
        offset += n
    header["__metadata__"] = meta
    raw = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    return raw, order


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Saves ``obj`` (a tensor, or dicts / lists / tuples of tensors and plain values) to a
    path or a binary file object, in the safetensors format (see the module docstring)."""
    if pickle_module is not None:
        raise ValueError("ember.save writes the safetensors format and never pickles; pickle_module is not supported")
    enc = _Encoder()
    flat = isinstance(obj, dict) and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())
    structure = enc.value(obj, [])
    if flat and any(k == "__metadata__" for k in obj):
        raise ValueError("ember.save: the key '__metadata__' is reserved by the safetensors format")
    meta = {"format": "pt", "ember": json.dumps({"version": _FORMAT_VERSION, "root": structure}, allow_nan=False)}
    header, order = _header(enc.tensors, meta)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            _write(fh, header, order, enc.tensors)
    else:
        _write(f, header, order, enc.tensors)


def _write(fh, header, order, tensors):
    fh.write(len(header).to_bytes(8, "little"))
    fh.write(header)
    from ._tensor import host_bytes

    for name in order:
        fh.write(host_bytes(tensors[name]))


def _corrupt(src, why):
    return RuntimeError(f"ember.load: {src} is not a valid safetensors file: {why}")


def _other_format(data):
    """Names a format that isn't safetensors (asked only once the header failed to parse)."""
    if data[:4] == b"PK\x03\x04":
        return ("it is a zip archive, like the checkpoints torch.save writes. ember reads only the safetensors "
                "format (and never unpickles); convert it where torch is installed with "
                "safetensors.torch.save_file(torch.load(path), new_path)")
    if data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return ("it looks like a pickle. ember never unpickles (that could run code); save the tensors in the "
                "safetensors format instead")
    return ""


def _parse(data, src):
    """Header entries and the data block of a safetensors file, with every field checked."""
    if len(data) < 8:
        raise _corrupt(src, f"it holds {len(data)} bytes, fewer than the 8-byte header length it must start with "
                            "(the file is empty or truncated)")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8:
        raise _corrupt(src, _other_format(data) or f"the header length field says {n} bytes but only {len(data) - 8} "
                            "bytes follow it (the file is truncated, or it is not a safetensors file)")
    try:
        header = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise _corrupt(src, _other_format(data) or f"its {n}-byte header is not valid UTF-8 JSON ({e})") from None
    except RecursionError:
        # A safetensors header is one flat object of flat entries; deep nesting is an attack
        # on the parser, not a file anyone wrote.
        raise _corrupt(src, f"its {n}-byte JSON header is nested too deeply to be a safetensors header") from None
    if not isinstance(header, dict):
        raise _corrupt(src, f"its header is a JSON {type(header).__name__}, not an object")
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise _corrupt(src, "__metadata__ must map strings to strings")
    body_len = len(data) - 8 - n
    entries, spans = {}, []
    for name, e in header.items():
        if not isinstance(e, dict) or set(e) != {"dtype", "shape", "data_offsets"}:
            raise _corrupt(src, f"tensor {name!r} must have exactly the fields dtype, shape and data_offsets, got {e!r}")
        code, shape, offs = e["dtype"], e["shape"], e["data_offsets"]
        if code not in _SIZES:
            raise _corrupt(src, f"tensor {name!r} has dtype {code!r}; ember reads {', '.join(_SIZES)}")
        if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
            raise _corrupt(src, f"tensor {name!r} has shape {shape!r}; expected a list of non-negative ints")
        if not (isinstance(offs, list) and len(offs) == 2 and all(type(o) is int for o in offs) and 0 <= offs[0] <= offs[1]):
            raise _corrupt(src, f"tensor {name!r} has data_offsets {offs!r}; expected [begin, end] with 0 <= begin <= end")
        if math.prod(max(s, 1) for s in shape) > _INT64_MAX:
            # ember's size check (empty dims count as 1, so a reduction of it fits too): a
            # (0, 2**62, 2**62) entry holds no bytes, but its strides would overflow
            raise _corrupt(src, f"tensor {name!r} has shape {shape}, whose strides overflow int64 "
                                "(Stride calculation overflowed)")
        need = math.prod(shape) * _SIZES[code]
        if offs[1] - offs[0] != need:
            raise _corrupt(src, f"tensor {name!r} of dtype {code} and shape {shape} needs {need} bytes, but its "
                                f"data_offsets {offs} span {offs[1] - offs[0]}")
        if offs[1] > body_len:
            raise _corrupt(src, f"tensor {name!r} ends at byte {offs[1]} of the data, but the file holds only "
                                f"{body_len} bytes of data (it is truncated)")
        entries[name] = (code, shape, offs)
        spans.append((offs[0], offs[1], name))
    end = 0
    for b, e, name in sorted(spans):
        if b != end:
            what = "overlaps the previous tensor" if b < end else f"leaves a gap at bytes {end}..{b}"
            raise _corrupt(src, f"the data of tensor {name!r} {what}")
        end = e
    if end != body_len:
        raise _corrupt(src, f"the tensors cover {end} bytes of data but the file holds {body_len} (extra bytes at "
                            "the end)")
    return entries, memoryview(data)[8 + n:], meta


def _decoder(tensors, src, map_location=None):
    param = []

    def tensor(enc):
        tag = enc.get("$")
        if tag == "meta":
            from ._creation import empty

            t = empty(list(enc["shape"]), dtype=_native.dtype(enc["dtype"]), device="meta")
        elif tag == "sparse_coo":
            t = _native._sparse_coo_tensor(dec(enc["indices"]), dec(enc["values"]), list(enc["size"]),
                                           bool(enc.get("coalesced")), False)
        else:
            name = enc.get("name")
            if name not in tensors:
                raise _corrupt(src, f"the structure refers to a tensor {name!r} that the header doesn't list")
            t = tensors[name]
            if enc.get("device") and map_location is None:
                # Back on the device it was saved from, as torch.load does without map_location.
                t = t.to(enc["device"])
        if enc.get("parameter"):
            if not param:
                param.append(_parameter_class())
            if param[0] is not None:
                return param[0](t, requires_grad=bool(enc.get("requires_grad")))
        if enc.get("requires_grad"):
            t.requires_grad_(True)
        return t

    def dec(enc):
        if isinstance(enc, list):
            return [dec(v) for v in enc]
        if not isinstance(enc, dict):
            return enc
        tag = enc.get("$")
        if tag in ("tensor", "meta", "sparse_coo"):
            return tensor(enc)
        if tag in ("dict", "odict"):
            out = {} if tag == "dict" else OrderedDict()
            for k, v in enc["items"]:
                out[dec_key(k)] = dec(v)
            return out
        if tag == "tuple":
            return tuple(dec(v) for v in enc["items"])
        if tag == "size":
            from ._size import Size

            return Size([dec(v) for v in enc["items"]])
        if tag == "float":
            return float(enc["value"])
        if tag == "dtype":
            return _native.dtype(enc["name"])
        if tag == "device":
            return _native.device(enc["name"])
        if tag == "bytes":
            return bytes.fromhex(enc["hex"])
        raise _corrupt(src, f"its ember metadata holds an unknown tag {tag!r} (written by a newer ember?)")

    def dec_key(k):
        return tuple(dec_key(x) for x in k["items"]) if isinstance(k, dict) and k.get("$") == "tuple" else dec(k)

    return dec


def _apply_map_location(t, map_location):
    if map_location is None:
        return t
    if callable(map_location) and not isinstance(map_location, (str, _native.device)):
        out = map_location(t, "cpu")
        return t if out is None else out
    if isinstance(map_location, dict):
        map_location = map_location.get("cpu", "cpu")
    return t.to(map_location)


def _read_tensors(data, src, map_location):
    entries, body, meta = _parse(data, src)
    tensors = {}
    with body:  # released before a mapped file is closed
        for name, (code, shape, (b, e)) in entries.items():
            with body[b:e] as chunk:
                t = _native._from_bytes(chunk, _native.dtype(_NAMES[code]), shape)
            tensors[name] = _apply_map_location(t, map_location)
    return tensors, meta


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Loads what ``ember.save`` wrote (or any safetensors file: then a flat dict of its
    tensors) from a path or a binary file object. Never executes code from the file, whatever
    ``weights_only`` says; a truncated or corrupted file raises a RuntimeError saying what
    is wrong. ``map_location``: a device / device string, a dict of location → device, or a
    callable ``(tensor, "cpu") -> tensor``."""
    if pickle_module is not None:
        raise ValueError("ember.load reads the safetensors format and never unpickles; pickle_module is not supported")
    if isinstance(f, (str, os.PathLike)):
        src = repr(os.fspath(f))
        with open(f, "rb") as fh:
            # A mapped file: each tensor is copied once, straight from the page cache.
            size = os.fstat(fh.fileno()).st_size
            data = _mmap.mmap(fh.fileno(), 0, access=_mmap.ACCESS_READ) if size else b""
    else:
        src = f"the file object {getattr(f, 'name', type(f).__name__)!r}"
        data = f.read()
    try:
        tensors, meta = _read_tensors(data, src, map_location)
    finally:
        if isinstance(data, _mmap.mmap):
            data.close()
    if "ember" not in meta:
        return tensors
    try:
        doc = json.loads(meta["ember"])
        root = doc["root"]
    except (ValueError, KeyError, TypeError) as e:
        raise _corrupt(src, f"its ember metadata is not valid ({e})") from None
    except RecursionError:
        raise _corrupt(src, "its ember metadata JSON is nested too deeply") from None
    try:
        return _decoder(tensors, src, map_location)(root)
    except (KeyError, TypeError, ValueError) as e:
        raise _corrupt(src, f"its ember metadata is malformed ({type(e).__name__}: {e})") from None
    except RecursionError:
        raise _corrupt(src, "its ember metadata is nested too deeply to be a saved object") from None

"""``ember.inspect``: look under the hood.

- ``explain(t)`` / ``explain_index(t, idx)`` / ``shares_memory(a, b)`` / ``lineage(t)`` /
  ``draw(t, path)``: storage, strides, offsets and pictures;
- ``trace()``: every op with its inputs, promotion rule, kernel, fast path, threads, bytes, time;
- ``graph(t)``: the autograd tape (``to_dot``, ``render``, ``summary`` of saved memory);
- ``detect_nonfinite()``: where a NaN/Inf was born in the forward pass;
- ``track_inplace()``: which in-place op and line modified a tensor autograd saved;
- ``memory()`` / ``track_allocations()``: live storages and views that pin big buffers;
- ``summary(model, input)`` / ``watch(model)``: per-layer shapes, parameters and statistics.
"""
from .draw import draw
from .explain import Explanation, explain, explain_index, lineage, shares_memory
from .graph import Graph, graph
from .inplace import track_inplace
from .memory import MemoryReport, memory, track_allocations
from .model import summary, watch
from .nonfinite import NonFiniteError, detect_nonfinite
from .trace import trace

__all__ = ["explain", "explain_index", "shares_memory", "lineage", "draw", "trace", "graph", "detect_nonfinite",
           "NonFiniteError", "track_inplace", "memory", "track_allocations", "summary", "watch", "Explanation", "Graph", "MemoryReport"]

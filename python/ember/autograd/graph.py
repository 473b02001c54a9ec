"""``ember.autograd.graph.Node``: the class of ``grad_fn`` objects."""
from .._native import Node

__all__ = ["Node"]

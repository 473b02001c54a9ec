"""``ember.autograd.graph``: the class of ``grad_fn`` objects and its hook handles."""
from .._native import Node, RemovableHandle, SavedTensor

__all__ = ["Node", "RemovableHandle", "SavedTensor"]

"""``ember.nn``: modules, parameters, functional ops, initialisers and utilities (PyTorch's API)."""
from .parameter import Parameter, Buffer  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import module as _module
from . import functional, init, utils  # noqa: F401
from . import parallel  # noqa: F401
from .modules.module import Module  # noqa: F401

__all__ = ["Parameter", "Buffer", "functional", "init", "utils"] + [
    n for n in dir(__import__("ember.nn.modules", fromlist=["*"])) if not n.startswith("_") and n[0].isupper()]
del _module

"""``ember.autograd``: backward, grad, grad modes, custom Functions, gradcheck, anomaly mode.

The engine itself is native (``rust/ember/src/autograd``); this package only adapts
arguments and hosts the Python-side pieces (custom Functions, gradcheck).
"""
from .. import _native
from .._native import Tensor
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .function import Function, FunctionCtx, InplaceFunction, once_differentiable
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .gradcheck import gradcheck, gradgradcheck
from . import graph
from . import functional  # noqa: F401
from ._extra import *  # noqa: F401,F403
from . import _extra

__all__ = ["backward", "grad", "Function", "FunctionCtx", "InplaceFunction", "once_differentiable", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "detect_anomaly", "set_detect_anomaly", "gradcheck",
           "gradgradcheck", "graph", "functional"] + _extra.__all__


def _seq(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulates gradients of ``tensors`` into the leaves' ``.grad``."""
    tensors = _seq(tensors)
    grads = _seq(grad_tensors if grad_tensors is not None else grad_variables)
    _native._backward(tensors, grads, retain_graph, create_graph, _seq(inputs))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Returns the gradients of ``outputs`` w.r.t. ``inputs`` (a tuple), leaving ``.grad`` alone."""
    ins = _seq(inputs)
    res = _native._grad(_seq(outputs), ins, _seq(grad_outputs), retain_graph, create_graph,
                        bool(allow_unused) or materialize_grads)
    if materialize_grads:
        res = tuple(g if g is not None else _native._zeros(list(i.shape), i.dtype) for g, i in zip(res, ins))
    return res

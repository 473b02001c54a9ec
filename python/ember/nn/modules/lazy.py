"""Lazy modules: the input size (in_features / in_channels / num_features) is read from the first
input; until then the parameters are ``UninitializedParameter`` placeholders.

On the first call a regular module of ``cls_to_become`` is built with the inferred size and the
lazy module takes over its parameters, buffers and attributes and becomes that class (hooks and
mode are kept). ember cannot grow a tensor in place, so the materialised parameters are new
objects: build the optimizer after a first (dry-run) forward, as PyTorch recommends.
"""
import ember
from ..parameter import Parameter, Buffer
from .module import Module
from .linear import Linear
from .conv import Conv1d, Conv2d
from .conv_extra import Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .misc import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d

__all__ = ["UninitializedParameter", "UninitializedBuffer", "LazyModuleMixin", "LazyLinear", "LazyConv1d",
           "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
           "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
           "LazyInstanceNorm3d"]


class _Uninitialized:
    """Shared behaviour of the placeholders: no data to read, ``materialize`` makes the real tensor."""

    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        t = ember.empty(*shape, dtype=dtype or self.dtype, device=device or self.device)
        return self.cls_to_become(t, self.requires_grad) if self.cls_to_become is Parameter else Buffer(t)

    def __repr__(self):
        return f"<{type(self).__name__}>"


class UninitializedParameter(_Uninitialized, Parameter):
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return Parameter.__new__(cls, ember.empty(0, dtype=dtype or ember.get_default_dtype(), device=device),
                                 requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


class UninitializedBuffer(_Uninitialized, Buffer):
    cls_to_become = Buffer

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        return Buffer.__new__(cls, ember.empty(0, dtype=dtype or ember.get_default_dtype(), device=device),
                              persistent=persistent)

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass


def _uninitialized(t):
    return isinstance(t, _Uninitialized)


class LazyModuleMixin:
    cls_to_become = None

    def has_uninitialized_params(self):
        return any(_uninitialized(t) for t in list(self._parameters.values()) + list(self._buffers.values()))

    def _infer_size(self, input):
        raise NotImplementedError

    def initialize_parameters(self, input, *args, **kwargs):
        """Builds the real module from the first input's size and takes over its state."""
        real = self.cls_to_become(self._infer_size(input), *self._lazy_args, **self._lazy_kwargs)
        keep = {k: v for k, v in self.__dict__.items() if "hook" in k or k == "training"}
        self.__dict__.update({k: v for k, v in real.__dict__.items() if "hook" not in k and k != "training"})
        self.__dict__.update(keep)
        self.__class__ = self.cls_to_become
        return self

    def __call__(self, *args, **kwargs):
        # Modules with nothing to materialise (e.g. InstanceNorm without affine) still need their size.
        if isinstance(self, LazyModuleMixin):
            if not args:
                raise TypeError(f"{type(self).__name__}.forward() missing the input it infers its size from")
            self.initialize_parameters(*args, **kwargs)
        return Module.__call__(self, *args, **kwargs)


def _lazy(name, base, size_arg, infer, placeholders, repr_fmt):
    def __init__(self, *args, device=None, dtype=None, **kwargs):
        Module.__init__(self)
        self._lazy_args, self._lazy_kwargs = args, dict(kwargs, device=device, dtype=dtype)
        setattr(self, size_arg, 0)
        for pname, kind in placeholders(self, args, kwargs):
            if kind == "param":
                self.register_parameter(pname, UninitializedParameter(device=device, dtype=dtype))
            elif kind == "buffer":
                self.register_buffer(pname, UninitializedBuffer(device=device, dtype=dtype))
            else:
                self.register_parameter(pname, None)

    def extra_repr(self):
        return repr_fmt(self)

    cls = type(name, (LazyModuleMixin, base), {
        "__init__": __init__, "extra_repr": extra_repr, "cls_to_become": base, "_infer_size": infer,
        "forward": base.forward, "__module__": __name__,
        "__doc__": f"{base.__name__} whose ``{size_arg}`` is inferred from the first input."})
    globals()[name] = cls


def _has_bias(args, kwargs, pos):
    return kwargs.get("bias", args[pos] if len(args) > pos else True)


_lazy("LazyLinear", Linear, "in_features", lambda self, x: x.shape[-1],
      lambda self, a, k: [("weight", "param"), ("bias", "param" if _has_bias(a, k, 1) else None)],
      lambda self: f"in_features=0, out_features={self._lazy_args[0]}, bias={bool(_has_bias(self._lazy_args, self._lazy_kwargs, 1))}")

for _nsp, (_conv, _convT) in {1: (Conv1d, ConvTranspose1d), 2: (Conv2d, ConvTranspose2d),
                              3: (Conv3d, ConvTranspose3d)}.items():
    def _infer(self, x, _n=_nsp):
        return x.shape[1] if x.ndim == _n + 2 else x.shape[0]

    _lazy(f"LazyConv{_nsp}d", _conv, "in_channels", _infer,
          lambda self, a, k: [("weight", "param"), ("bias", "param" if _has_bias(a, k, 6) else None)],
          lambda self: f"0, {self._lazy_args[0]}, kernel_size={self._lazy_args[1]}")
    _lazy(f"LazyConvTranspose{_nsp}d", _convT, "in_channels", _infer,
          lambda self, a, k: [("weight", "param"), ("bias", "param" if _has_bias(a, k, 6) else None)],
          lambda self: f"0, {self._lazy_args[0]}, kernel_size={self._lazy_args[1]}")


def _norm_placeholders(self, a, k):
    affine = k.get("affine", a[2] if len(a) > 2 else self._affine_default)
    track = k.get("track_running_stats", a[3] if len(a) > 3 else self._track_default)
    out = [("weight", "param" if affine else None), ("bias", "param" if affine else None)]
    if track:
        out += [("running_mean", "buffer"), ("running_var", "buffer"), ("num_batches_tracked", "buffer")]
    return out


for _nsp, _bn, _inorm in ((1, BatchNorm1d, InstanceNorm1d), (2, BatchNorm2d, InstanceNorm2d),
                          (3, BatchNorm3d, InstanceNorm3d)):
    _lazy(f"LazyBatchNorm{_nsp}d", _bn, "num_features", lambda self, x: x.shape[1], _norm_placeholders,
          lambda self: "0")
    globals()[f"LazyBatchNorm{_nsp}d"]._affine_default = True
    globals()[f"LazyBatchNorm{_nsp}d"]._track_default = True

    def _infer_in(self, x, _n=_nsp):
        return x.shape[1] if x.ndim == _n + 2 else x.shape[0]

    _lazy(f"LazyInstanceNorm{_nsp}d", _inorm, "num_features", _infer_in, _norm_placeholders, lambda self: "0")
    globals()[f"LazyInstanceNorm{_nsp}d"]._affine_default = False
    globals()[f"LazyInstanceNorm{_nsp}d"]._track_default = False

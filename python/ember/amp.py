"""Automatic mixed precision on the CPU: ``ember.autocast("cpu")`` runs matrix products,
convolutions and linear layers in bfloat16 (or the ``dtype`` given) and keeps losses and the
precision-sensitive ops in float32, following PyTorch's CPU autocast op lists; ``GradScaler``
scales losses so small float16/bfloat16 gradients don't underflow.

How it works: the first time autocast is entered, the listed ops (their ``ember.*``,
``ember.nn.functional.*`` and Tensor-method entry points) are wrapped once. A wrapper consults the
thread-local autocast state; when autocast is off it calls the op unchanged. When on, it casts
float32 tensor arguments to the low dtype (lower-precision ops) or low-precision arguments to
float32 (float32 ops), then runs the op. Casts are ordinary differentiable ``to`` calls, so
gradients flow back to the float32 parameters. Convolutions, which ember's kernels run in float32
only, round their inputs to bfloat16, convolve in float32 and round the result: the value a
bfloat16 convolution with float32 accumulation gives.
"""
import functools
import threading
import warnings

from . import _dtypes
from ._native import Tensor

__all__ = ["autocast", "GradScaler", "is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype",
           "set_autocast_dtype", "is_autocast_cpu_enabled", "set_autocast_cpu_enabled", "get_autocast_cpu_dtype",
           "set_autocast_cpu_dtype", "is_autocast_cache_enabled", "set_autocast_cache_enabled",
           "clear_autocast_cache", "autocast_increment_nesting", "autocast_decrement_nesting"]


class _State(threading.local):
    def __init__(self):
        self.enabled = False
        self.dtype = _dtypes.bfloat16
        self.cache_enabled = True
        self.nesting = 0
        self.cache = {}
        self.busy = False  # inside a wrapped op: nested calls don't cast again


_state = _State()

# PyTorch's CPU autocast lists (aten/src/ATen/autocast_mode.cpp), by ember entry point.
_LOWER = {"ember": ["matmul", "mm", "bmm", "addmm", "baddbmm", "addbmm", "conv1d", "conv2d", "conv3d", "conv_tbc",
                    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "prelu"],
          "F": ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                "prelu", "scaled_dot_product_attention", "conv_tbc"],
          "Tensor": ["matmul", "__matmul__", "__rmatmul__", "mm", "bmm", "addmm", "baddbmm", "addbmm"]}
_FP32 = {"ember": ["prod", "quantile", "nanquantile", "cdist", "trace"],
         "F": ["avg_pool3d", "binary_cross_entropy", "grid_sample", "max_pool3d", "max_unpool2d", "max_unpool3d",
               "adaptive_avg_pool3d", "mse_loss", "cosine_embedding_loss", "nll_loss", "hinge_embedding_loss",
               "poisson_nll_loss", "smooth_l1_loss", "cross_entropy", "l1_loss", "huber_loss", "margin_ranking_loss",
               "soft_margin_loss", "triplet_margin_loss", "multi_margin_loss", "ctc_loss", "kl_div",
               "multilabel_margin_loss", "binary_cross_entropy_with_logits"],
         "Tensor": ["prod", "trace"]}
_CONV = {"conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv_tbc"}
_installed = [False]


def _cast(x, src, dst):
    if isinstance(x, Tensor) and x.dtype in src and x.is_floating_point():
        if _state.cache_enabled and x.is_leaf and x.requires_grad:
            key = (id(x), x._version, dst)
            hit = _state.cache.get(key)
            if hit is None or hit[0] is not x:
                hit = (x, x.to(dst))
                _state.cache[key] = hit
            return hit[1]
        return x.to(dst)
    if isinstance(x, (list, tuple)):
        return type(x)(_cast(v, src, dst) for v in x)
    return x


def _wrap(fn, name, lower):
    @functools.wraps(fn)
    def op(*args, **kwargs):
        st = _state
        if not st.enabled or st.busy:
            return fn(*args, **kwargs)
        low = st.dtype
        if lower:
            args, kwargs = _cast(args, (_dtypes.float32,), low), {k: _cast(v, (_dtypes.float32,), low)
                                                                  for k, v in kwargs.items()}
            if name in _CONV and low != _dtypes.float32:
                # ember's convolution kernels are float32: convolve the rounded inputs, round the result.
                args = _cast(args, (low,), _dtypes.float32)
                kwargs = {k: _cast(v, (low,), _dtypes.float32) for k, v in kwargs.items()}
                st.busy = True
                try:
                    return fn(*args, **kwargs).to(low)
                finally:
                    st.busy = False
        else:
            lows = (_dtypes.float16, _dtypes.bfloat16)
            args, kwargs = _cast(args, lows, _dtypes.float32), {k: _cast(v, lows, _dtypes.float32)
                                                                for k, v in kwargs.items()}
        st.busy = True
        try:
            return fn(*args, **kwargs)
        finally:
            st.busy = False

    op._autocast_wrapped = True
    return op


def _install():
    if _installed[0]:
        return
    import ember
    import ember.nn.functional as F
    owners = {"ember": ember, "F": F, "Tensor": Tensor}
    for table, lower in ((_LOWER, True), (_FP32, False)):
        for owner, names in table.items():
            obj = owners[owner]
            for n in names:
                fn = getattr(obj, n, None)
                if fn is not None and not getattr(fn, "_autocast_wrapped", False):
                    setattr(obj, n, _wrap(fn, n, lower))
    _installed[0] = True


class autocast:
    """Context manager and decorator: ops inside run in mixed precision on ``device_type``."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device_type
        self.fast_dtype = _dtypes.bfloat16 if dtype is None else dtype
        self._enabled = enabled
        self._cache_enabled = True if cache_enabled is None else cache_enabled
        if device_type != "cpu":
            warnings.warn(f"User provided device_type of '{device_type}', but ember's autocast runs on the CPU only. "
                          "Disabling")
            self._enabled = False
        elif self.fast_dtype not in (_dtypes.bfloat16, _dtypes.float16):
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                          "CPU Autocast only supports dtype of torch.bfloat16, torch.float16 currently.")
            self._enabled = False

    def __enter__(self):
        _install()
        st = _state
        self._prev = (st.enabled, st.dtype, st.cache_enabled)
        st.enabled, st.dtype, st.cache_enabled = self._enabled, self.fast_dtype, self._cache_enabled
        st.nesting += 1
        return self

    def __exit__(self, *exc):
        st = _state
        st.nesting -= 1
        if st.nesting == 0:
            st.cache.clear()
        st.enabled, st.dtype, st.cache_enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*a, **k):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return fn(*a, **k)
        return wrapper


def is_autocast_enabled(device_type=None):
    return _state.enabled if device_type in (None, "cpu") else False


def set_autocast_enabled(device_type, enabled=None):
    if enabled is None:  # the old one-argument form
        device_type, enabled = "cpu", device_type
    if device_type == "cpu":
        if enabled:
            _install()
        _state.enabled = bool(enabled)


def get_autocast_dtype(device_type):
    return _state.dtype


def set_autocast_dtype(device_type, dtype):
    if device_type == "cpu":
        _state.dtype = dtype


def is_autocast_cpu_enabled():
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled):
    set_autocast_enabled("cpu", enabled)


def get_autocast_cpu_dtype():
    return _state.dtype


def set_autocast_cpu_dtype(dtype):
    _state.dtype = dtype


def is_autocast_cache_enabled():
    return _state.cache_enabled


def set_autocast_cache_enabled(enabled):
    _state.cache_enabled = bool(enabled)


def clear_autocast_cache():
    _state.cache.clear()


def autocast_increment_nesting():
    _state.nesting += 1
    return _state.nesting


def autocast_decrement_nesting():
    _state.nesting -= 1
    return _state.nesting


class GradScaler:
    """Multiplies the loss by ``scale`` before backward and divides the gradients by it before the
    optimizer step; a step whose gradients hold inf/NaN is skipped and the scale backed off, and
    after ``growth_interval`` clean steps the scale grows."""

    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._device = device
        if enabled and device != "cpu":
            warnings.warn(f"GradScaler is enabled, but device '{device}' is not available in ember. Disabling.")
            enabled = False
        if growth_factor <= 1.0:
            raise AssertionError("The growth factor must be > 1.0.")
        if backoff_factor >= 1.0:
            raise AssertionError("The backoff factor must be < 1.0.")
        self._enabled = enabled
        self._scale, self._growth_factor, self._backoff_factor = float(init_scale), growth_factor, backoff_factor
        self._growth_interval, self._growth_tracker = growth_interval, 0
        self._per_optimizer = {}

    def is_enabled(self):
        return self._enabled

    def scale(self, outputs):
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _opt_state(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), {"stage": "ready", "found_inf": False})

    def unscale_(self, optimizer):
        if not self._enabled:
            return
        st = self._opt_state(optimizer)
        if st["stage"] == "unscaled":
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if st["stage"] == "stepped":
            raise RuntimeError("unscale_() is being called after step().")
        import ember
        inv = 1.0 / self._scale
        found = False
        with ember.no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad
                    if not bool(g.isfinite().all()):
                        found = True
                    g.mul_(inv)
        st["found_inf"], st["stage"] = found, "unscaled"

    def step(self, optimizer, *args, **kwargs):
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        st = self._opt_state(optimizer)
        if st["stage"] == "stepped":
            raise RuntimeError("step() has already been called since the last update().")
        if st["stage"] == "ready":
            self.unscale_(optimizer)
        ret = None if st["found_inf"] else optimizer.step(*args, **kwargs)
        st["stage"] = "stepped"
        return ret

    def update(self, new_scale=None):
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if isinstance(new_scale, Tensor) else new_scale)
        else:
            if not self._per_optimizer:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(s["found_inf"] for s in self._per_optimizer.values()):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale *= self._growth_factor
                    self._growth_tracker = 0
        self._per_optimizer = {}

    def get_scale(self):
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        self._growth_factor = new_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = new_factor

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        self._growth_interval = new_interval

    def state_dict(self):
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor, "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval, "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved from a disabled instance "
                               "of GradScaler.")
        self._scale = float(state_dict["scale"])
        self._growth_factor, self._backoff_factor = state_dict["growth_factor"], state_dict["backoff_factor"]
        self._growth_interval, self._growth_tracker = state_dict["growth_interval"], state_dict["_growth_tracker"]

"""``ember.wgpu``: the GPU device ``"wgpu"`` (WGSL kernels on wgpu; Vulkan on Linux).

Tensors move with ``t.to("wgpu")`` / ``t.cpu()``; modules with ``model.to("wgpu")``.
Supported dtypes on the device: float32, int32, int64 (indices), bool, uint8. int64
tensors (e.g. argmax results, class targets) live on the GPU as two 32-bit words each and
kernels read them as 32-bit indices.
"""
from . import _native

__all__ = ["is_available", "device_count", "get_device_name", "synchronize", "empty_cache", "memory_reserved"]


def is_available():
    """True when a wgpu adapter (a Vulkan driver such as Mesa's lavapipe, or a GPU) exists."""
    return _native._wgpu_is_available()


def device_count():
    return _native._wgpu_device_count()


def get_device_name(device=None):
    """The adapter's name (e.g. "llvmpipe (LLVM 19.1.7, 256 bits)" or "NVIDIA H100 …")."""
    return _native._wgpu_device_name()


def synchronize(device=None):
    """Submits pending GPU work and waits for it to finish."""
    _native._wgpu_synchronize()


def empty_cache():
    """Returns cached (freed) GPU buffers to the driver."""
    _native._wgpu_empty_cache()


def memory_reserved(device=None):
    """Bytes held in the buffer pool for reuse."""
    return _native._wgpu_pooled_bytes()

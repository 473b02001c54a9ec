"""``ember.cuda``: ember has no CUDA backend, and says so honestly (GPUs run through
``ember.wgpu``)."""

__all__ = ["is_available", "device_count"]


def is_available():
    return False


def device_count():
    return 0

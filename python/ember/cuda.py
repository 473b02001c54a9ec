"""``ember.cuda``: ember has no CUDA backend, so nothing is available (PyTorch's API shape)."""


def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


def manual_seed(seed):
    """Accepted and ignored (no CUDA generators exist), as PyTorch does without CUDA."""


def manual_seed_all(seed):
    """Accepted and ignored (no CUDA generators exist), as PyTorch does without CUDA."""


def synchronize(device=None):
    raise AssertionError("Torch not compiled with CUDA enabled. ember has no CUDA backend.")

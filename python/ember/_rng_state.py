"""The default random generator as a Python-visible ``ember.Generator`` (``ember.default_generator``),
and ``get_rng_state``/``set_rng_state`` on it.

Every draw ember makes goes through five native entry points (``_uniform``, ``_normal``,
``_randint``, ``_randperm``, ``_bernoulli``) that take an optional generator. They are wrapped
here once so that "no generator" means ``default_generator`` — the object whose
``get_state()``/``set_state()`` then describe every draw exactly, as ``torch.default_generator``
does.

The generator makes normals two at a time (Box-Muller) and keeps the second for the next draw;
that kept value is part of its state, so a saved state replays exactly after any count of draws.
"""
import builtins

from . import _native, _dtypes
from ._native import Generator, Tensor

__all__ = ["default_generator", "get_rng_state", "set_rng_state", "manual_seed", "seed", "initial_seed",
           "thread_safe_generator"]

default_generator = Generator()


def _gen(generator):
    return default_generator if generator is None else generator


def _wrap_native():
    uniform, normal, randint, randperm, bernoulli = (_native._uniform, _native._normal, _native._randint,
                                                     _native._randperm, _native._bernoulli)

    def _uniform(shape, dtype, low=0.0, high=1.0, generator=None):
        return uniform(shape, dtype, low, high, _gen(generator))

    def _normal(shape, dtype, mean=0.0, std=1.0, generator=None):
        return normal(shape, dtype, mean, std, _gen(generator))

    def _randint(low, high, shape, dtype, generator=None):
        return randint(low, high, shape, dtype, _gen(generator))

    def _randperm(n, dtype, generator=None):
        return randperm(n, dtype, _gen(generator))

    def _bernoulli(p, generator=None):
        return bernoulli(p, _gen(generator))

    for fn in (_uniform, _normal, _randint, _randperm, _bernoulli):
        setattr(_native, fn.__name__, fn)


if not getattr(_native, "_rng_wrapped", False):
    _wrap_native()
    _native._rng_wrapped = True


def get_rng_state():
    """The default generator's state as a uint8 tensor (pass it to ``set_rng_state``)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restores the default generator to a state from ``get_rng_state``: the same draws follow."""
    if not isinstance(new_state, Tensor):
        raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
    if new_state.dtype != _dtypes.uint8:
        raise TypeError("RNG state must be a torch.ByteTensor")
    default_generator.set_state(new_state)


def manual_seed(seed):
    """Seeds the default generator; returns it (as ``torch.manual_seed`` does)."""
    seed = builtins.int(seed)
    _native.manual_seed(seed)
    return default_generator.manual_seed(seed)


def seed():
    """Seeds the default generator from a non-deterministic source; returns the seed."""
    s = default_generator.seed()
    _native.manual_seed(s)
    return s


def initial_seed():
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def thread_safe_generator():
    """The calling DataLoader thread worker's generator, or None (the default generator is then
    used) in the main thread and in process workers — ember's workers are processes."""
    from .utils.data import get_worker_info

    info = get_worker_info()
    if info is not None and getattr(info, "worker_method", None) == "thread" and getattr(info, "rng", None) is not None:
        return info.rng.torch_generator
    return None

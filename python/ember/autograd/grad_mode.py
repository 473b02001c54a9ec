"""Grad modes: context managers that are also decorators, thread-local like PyTorch's."""
import functools

from .. import _native


class _Mode:
    """Base: ``with mode:`` or ``@mode`` (or ``@mode()``) around a function."""

    def __call__(self, fn=None):
        if fn is None:
            return self
        mode = self

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with mode.__class__(*mode._args):
                return fn(*a, **k)

        return wrapper

    _args = ()

    def clone(self):
        return self.__class__(*self._args)


class no_grad(_Mode):
    def __init__(self, orig_func=None):
        self._args = ()
        if callable(orig_func):
            self._wrapped = self(orig_func)

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if callable(orig_func):
            self.__init__()
            return self(orig_func)
        return self

    def __enter__(self):
        self.prev = _native._set_grad_enabled(False)

    def __exit__(self, *exc):
        _native._set_grad_enabled(self.prev)


class enable_grad(_Mode):
    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if callable(orig_func):
            return self(orig_func)
        return self

    def __init__(self, orig_func=None):
        self._args = ()

    def __enter__(self):
        self.prev = _native._set_grad_enabled(True)

    def __exit__(self, *exc):
        _native._set_grad_enabled(self.prev)


class set_grad_enabled(_Mode):
    """Sets grad mode on construction (usable as a plain call) and restores it on exit."""

    def __init__(self, mode):
        self._args = (mode,)
        self.prev = _native._set_grad_enabled(bool(mode))

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _native._set_grad_enabled(self.prev)

    def __call__(self, fn=None):
        _native._set_grad_enabled(self.prev)
        return super().__call__(fn)


class inference_mode(_Mode):
    """Like no_grad (ember has no separate inference tensors); ``inference_mode(False)`` is a no-op."""

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):
            self.__init__(True)
            return self(mode)
        return self

    def __init__(self, mode=True):
        self._args = (bool(mode),)
        self.mode = bool(mode)

    def __enter__(self):
        self.prev_inf = _native._set_inference_mode(self.mode)
        self.prev = _native._set_grad_enabled(False) if self.mode else _native.is_grad_enabled()

    def __exit__(self, *exc):
        _native._set_inference_mode(self.prev_inf)
        _native._set_grad_enabled(self.prev)


is_grad_enabled = _native.is_grad_enabled
is_inference_mode_enabled = _native.is_inference_mode_enabled

"""Grad modes: context managers that are also decorators (``@no_grad`` and ``@no_grad()``).

The flags themselves are native and thread-local, so a mode set in one thread never leaks
into another. Each ``with`` block saves the previous flag on entry and restores it on exit;
a decorated function enters a fresh copy of the mode on every call (so it is reentrant).
"""
import functools
import inspect

from .. import _native

is_grad_enabled = _native.is_grad_enabled
is_inference_mode_enabled = _native.is_inference_mode_enabled


class _Mode:
    """Base class: ``__enter__``/``__exit__`` set and restore the flags; ``__call__`` decorates."""

    def __new__(cls, *args, **kwargs):
        # Bare decorator form: ``@no_grad`` passes the function as the only argument.
        if len(args) == 1 and not kwargs and callable(args[0]) and cls._bare_ok:
            return cls()(args[0])
        return super().__new__(cls)

    _bare_ok = True

    def clone(self):
        return self.__class__()

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen_wrapper(*a, **k):
                gen = fn(*a, **k)
                # Each resume of the generator runs under the mode, and nothing outside it does.
                with self.clone():
                    value = next(gen)
                while True:
                    try:
                        sent = yield value
                    except GeneratorExit:
                        gen.close()
                        raise
                    except BaseException as e:
                        with self.clone():
                            value = gen.throw(e)
                    else:
                        with self.clone():
                            value = gen.send(sent)
            return gen_wrapper

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with self.clone():
                return fn(*a, **k)

        return wrapper

    def __exit__(self, *exc):
        _native._set_grad_enabled(self._prev)
        return False


class no_grad(_Mode):
    """Disables recording of operations: results have ``requires_grad=False``."""

    def __init__(self, orig_func=None):
        pass

    def __enter__(self):
        self._prev = _native._set_grad_enabled(False)


class enable_grad(_Mode):
    """Enables recording inside a ``no_grad`` region."""

    def __init__(self, orig_func=None):
        pass

    def __enter__(self):
        self._prev = _native._set_grad_enabled(True)


class set_grad_enabled(_Mode):
    """Sets grad mode on construction, so ``set_grad_enabled(False)`` also works as a plain
    call; as a context manager it restores the previous mode on exit."""

    _bare_ok = False

    def __init__(self, mode):
        self.mode = bool(mode)
        self._prev = _native._set_grad_enabled(self.mode)

    def clone(self):
        return self.__class__(self.mode)

    def __enter__(self):
        pass

    def __call__(self, fn):
        # Used as a decorator: undo the constructor's effect; each call sets it again.
        _native._set_grad_enabled(self._prev)
        return super().__call__(fn)


class inference_mode(_Mode):
    """Like ``no_grad``, and tensors made inside are inference tensors (``is_inference()``): they
    can't be updated in place, require grad or be saved for backward outside the mode.
    ``inference_mode(False)`` leaves grad mode as it is."""

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def clone(self):
        return self.__class__(self.mode)

    def __enter__(self):
        self._prev_inf = _native._set_inference_mode(self.mode)
        self._prev = _native._set_grad_enabled(False) if self.mode else _native.is_grad_enabled()

    def __exit__(self, *exc):
        _native._set_inference_mode(self._prev_inf)
        return super().__exit__(*exc)

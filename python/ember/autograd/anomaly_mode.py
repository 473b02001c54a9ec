"""Anomaly mode: the first backward node producing NaN/Inf raises, naming itself and
showing the forward call that created it."""
from .. import _native


class detect_anomaly:
    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        import warnings

        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be enabled for debugging.", stacklevel=2)
        self.prev = _native._set_anomaly(True, self.check_nan)

    def __exit__(self, *exc):
        _native._set_anomaly(*self.prev)

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with detect_anomaly(self.check_nan):
                return fn(*a, **k)

        return wrapper


class set_detect_anomaly:
    def __init__(self, mode, check_nan=True):
        self.prev = _native._set_anomaly(bool(mode), check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _native._set_anomaly(*self.prev)

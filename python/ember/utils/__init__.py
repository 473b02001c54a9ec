"""ember.utils."""
from . import data  # noqa: F401
from . import checkpoint  # noqa: E402,F401

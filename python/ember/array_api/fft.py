"""The array API standard's `fft` extension: `_fft`'s functions, taking and returning Arrays."""
from . import _fft
from ._array import export as _export

__all__ = list(_fft.__all__)
globals().update(_export(_fft, __all__))

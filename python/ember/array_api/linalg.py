"""The array API standard's `linalg` extension: `_linalg`'s functions, taking and returning Arrays."""
from . import _linalg
from ._array import export as _export

EigResult, EighResult, QRResult, SlogdetResult, SVDResult = (
    _linalg.EigResult, _linalg.EighResult, _linalg.QRResult, _linalg.SlogdetResult, _linalg.SVDResult)
__all__ = list(_linalg.__all__)
globals().update(_export(_linalg, __all__))

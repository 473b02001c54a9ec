"""ember.array_api: the Python array API standard (revision 2025.12) over ember tensors.

Library code written for the standard (`xp = x.__array_namespace__()`) runs on ember through
this namespace. Where the standard and PyTorch disagree (0-d type promotion, `unique_*`,
`std(correction=)`, integer division by zero, …) this namespace follows the standard and
`ember` itself keeps following PyTorch; docs/array-api.md has the table of differences.

The namespace's functions return `Array`s (`_array.py`): ember.Tensors, sharing memory and
autograd history with the tensor they wrap, whose operators and indexing follow the standard
too. They accept Arrays and plain ember.Tensors alike. The implementations (`_creation`,
`_elementwise`, …, `_linalg`, `_fft`) work on plain tensors; this module and `linalg`/`fft`
export them through `_array.export`. complex64/complex128 are ember's own;
docs/array-api.md lists what the namespace composes for them where the core has no complex kernel."""
import math as _math

from ._dtypes import *  # noqa: F401,F403
from ._info import __array_namespace_info__
from ._creation import *  # noqa: F401,F403
from ._elementwise import *  # noqa: F401,F403
from ._linalg_core import *  # noqa: F401,F403
from ._manipulation import *  # noqa: F401,F403
from ._searching import *  # noqa: F401,F403
from ._statistical import *  # noqa: F401,F403
from . import _dtypes, _creation, _elementwise, _linalg_core, _manipulation, _searching, _statistical
from ._array import Array, export as _export

__array_api_version__ = "2025.12"
_VERSIONS = ("2021.12", "2022.12", "2023.12", "2024.12", "2025.12")

e = _math.e
inf = _math.inf
nan = _math.nan
pi = _math.pi
newaxis = None

for _m in (_dtypes, _creation, _elementwise, _linalg_core, _manipulation, _searching, _statistical):
    globals().update(_export(_m, _m.__all__))
del _m

from . import linalg, fft  # noqa: E402  (they export through _array too)


def _check_api_version(api_version):
    """This namespace, for `__array_namespace__(api_version=)`: None or a revision it covers."""
    if api_version is not None and api_version not in _VERSIONS:
        raise ValueError(f"ember.array_api supports array API revisions {', '.join(_VERSIONS)}, "
                         f"not {api_version!r}")
    import sys
    return sys.modules[__name__]


__all__ = (["__array_api_version__", "__array_namespace_info__", "e", "inf", "nan", "pi", "newaxis",
            "linalg", "fft"]
           + _dtypes.__all__ + _creation.__all__ + _elementwise.__all__ + _linalg_core.__all__
           + _manipulation.__all__ + _searching.__all__ + _statistical.__all__)

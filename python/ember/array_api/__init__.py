"""ember.array_api: the Python array API standard (revision 2024.12) over ember tensors.

Library code written for the standard (`xp = x.__array_namespace__()`) runs on ember through
this namespace. Where the standard and PyTorch disagree (0-d type promotion, `unique_*`,
`std(correction=)`, integer division by zero, …) this namespace follows the standard and
`ember` itself keeps following PyTorch; docs/array-api.md has the table of differences.

Arrays are plain `ember.Tensor`s, so their operators (`x + y`, `x[i]`) keep ember's semantics.
complex64/complex128 are ember's own; docs/array-api.md lists what the namespace composes for
them where the core has no complex kernel."""
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
from . import linalg, fft

__array_api_version__ = "2024.12"

e = _math.e
inf = _math.inf
nan = _math.nan
pi = _math.pi
newaxis = None

__all__ = (["__array_api_version__", "__array_namespace_info__", "e", "inf", "nan", "pi", "newaxis",
            "linalg", "fft"]
           + _dtypes.__all__ + _creation.__all__ + _elementwise.__all__ + _linalg_core.__all__
           + _manipulation.__all__ + _searching.__all__ + _statistical.__all__)

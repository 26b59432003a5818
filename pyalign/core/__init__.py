"""``pyalign.core``: the C++ core (``pyalign._core``) with validated, typed Python signatures.

Every function checks its arguments in Python or C++ and raises ``ValueError``
with a clear message for bad shapes, dtypes and sizes; the C++ runs with the
GIL released.
"""
from pyalign.core._resize import *  # noqa: F401,F403
from pyalign.core._csc import *  # noqa: F401,F403
from pyalign.core._normalize import *  # noqa: F401,F403
from pyalign.core._pipeline import *  # noqa: F401,F403
from pyalign.core._postprocess import *  # noqa: F401,F403
from pyalign.core._simd import *  # noqa: F401,F403
from pyalign.core import _resize, _csc, _normalize, _pipeline, _postprocess, _simd

__all__ = [
    *_resize.__all__,
    *_csc.__all__,
    *_normalize.__all__,
    *_pipeline.__all__,
    *_postprocess.__all__,
    *_simd.__all__,
]

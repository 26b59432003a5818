"""``pyalign.reference``: the training-side Python pipeline (cv2 + numpy), independent of the C++ core.

* :mod:`pyalign.reference.preprocess` runs a spec's preprocessing (``run_reference``)
  and converts images into input formats (``to_input_format``).
* :mod:`pyalign.reference.postprocess` decodes model outputs (classification,
  YOLOv5/v8/X with NMS, segmentation) with numpy.
"""
from .preprocess import *  # noqa: F401,F403
from . import preprocess as _preprocess

__all__ = list(_preprocess.__all__)

try:  # the numpy postprocessing reference lives in its own module
    from . import postprocess as _postprocess
    from .postprocess import *  # noqa: F401,F403

    __all__ += [n for n in getattr(_postprocess, "__all__", []) if n not in __all__]
except ImportError:  # pragma: no cover - only while the module does not exist
    pass

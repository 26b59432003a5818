"""``pyalign.reference``: the training-side Python pipeline (cv2 + numpy), independent of the C++ core.

* :mod:`pyalign.reference.preprocess` runs a spec's preprocessing
  (:func:`run_reference`) and converts images into input formats
  (:func:`to_input_format`).
* :mod:`pyalign.reference.postprocess` decodes model outputs (classification,
  YOLOv5/v8/X with NMS, segmentation) with numpy: it runs a spec's op and re-exports the
  functions of :mod:`~pyalign.reference.classify`, :mod:`~pyalign.reference.yolo` and
  :mod:`~pyalign.reference.nms`; its ``postprocess`` function is re-exported here as
  :func:`run_postprocess` (the submodule keeps its name).
"""
from pyalign.reference import postprocess, preprocess
from pyalign.reference.postprocess import postprocess as run_postprocess
from pyalign.reference.preprocess import *  # noqa: F401,F403

__all__ = list(preprocess.__all__)

# Every public name of the numpy postprocessing reference except ``postprocess``
# itself, which would shadow the submodule; that function is ``run_postprocess``.
for _name in postprocess.__all__:
    if _name != "postprocess":
        globals()[_name] = getattr(postprocess, _name)
        __all__.append(_name)
__all__ += ["run_postprocess"]

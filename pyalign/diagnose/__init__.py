"""``pyalign.diagnose``: why a tensor differs — each usual cause tried by transforming one side.

:func:`diagnose_tensor` is what the comparator calls for a failing tensor;
:func:`diagnose` is the standalone entry point. The hypothesis families live one
per module: :mod:`~pyalign.diagnose.tensor` (channel order, layout, mean/std,
rounding, scale), :mod:`~pyalign.diagnose.pipeline` (re-running the preprocessing
with another resize, colour conversion or letterbox), :mod:`~pyalign.diagnose.detections`
(box frames, class offsets), on the shared machinery of :mod:`~pyalign.diagnose.base`.
The diagnosis uses the comparator's rules and result types, never the comparator.
"""
from pyalign.diagnose.engine import *  # noqa: F401,F403
from pyalign.diagnose.engine import __all__  # noqa: F401

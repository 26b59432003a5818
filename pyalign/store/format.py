"""The capture-set format (version 1): names, stages, dtypes, limits — standard library only.

One owner for the facts every reader and writer of capture sets shares (the C++
reader in ``cpp/src/tensor_io.cpp`` mirrors them). See ``docs/capture-format.md``.
"""
from __future__ import annotations

import re
import sys
from typing import Dict, Optional, Sequence, Tuple

from pyalign.errors import CaptureError
from pyalign.formats import COLORS
from pyalign.spec.postprocess import RESULT_KINDS

__all__ = ["FORMAT", "VERSION", "MANIFEST", "STAGES", "DTYPE_CODES", "LAYOUTS", "COLORS", "KINDS", "MAX_TENSOR_BYTES",
           "MAX_NDIM", "MAX_MANIFEST_BYTES", "MAX_JSON_DEPTH", "channel_axis", "guess_layout", "CaptureArgumentError", "TensorNotFoundError"]

FORMAT = "pyalign.capture"
VERSION = 1
MANIFEST = "manifest.json"
STAGES: Tuple[str, ...] = ("raw_input", "preprocessed", "model_output", "postprocessed")
#: numpy dtype name -> the little-endian type code a ``.bin`` file holds.
DTYPE_CODES: Dict[str, str] = {
    "uint8": "|u1", "int8": "|i1", "uint16": "<u2", "int16": "<i2", "uint32": "<u4", "int32": "<i4",
    "int64": "<i8", "float16": "<f2", "float32": "<f4", "float64": "<f8",
}
LAYOUTS: Tuple[str, ...] = ("NCHW", "NHWC", "HWC", "CHW", "HW")
#: ``image``, ``tensor`` and the kinds of postprocess results (:data:`pyalign.spec.postprocess.RESULT_KINDS`).
KINDS: Tuple[str, ...] = ("image", "tensor", *RESULT_KINDS)
#: Largest tensor a manifest may declare (numpy cannot index more bytes).
MAX_TENSOR_BYTES = sys.maxsize
MAX_NDIM = 32
MAX_MANIFEST_BYTES = 64 << 20
#: Deepest nesting of a value in a manifest (the top object is at depth 0); the C++ reader's limit too.
MAX_JSON_DEPTH = 256
KNOWN_TENSOR_KEYS = ("stage", "name", "file", "dtype", "shape", "layout", "color", "kind", "sha256")
HEX64 = re.compile(r"[0-9a-f]{64}")
TMP_PREFIX = ".pyalign-tmp-"
OLD_PREFIX = ".pyalign-old-"


LAYOUT_CHANNEL_AXIS = {"NCHW": 1, "NHWC": 3, "CHW": 0, "HWC": 2}


def channel_axis(shape: Sequence[int], layout: Optional[str]) -> Optional[int]:
    """Return the channel axis of an image-like tensor, or None.

    Parameters
    ----------
    shape : sequence of int
        Tensor shape.
    layout : str, optional
        ``NCHW``, ``NHWC``, ``CHW``, ``HWC`` or ``HW``; guessed from the shape when None
        (a 3- or 4-long axis next to two larger ones).
    """
    nd = len(shape)
    if layout in LAYOUT_CHANNEL_AXIS:
        axis = LAYOUT_CHANNEL_AXIS[layout]
        return axis if axis < nd and len(layout) == nd else None
    if layout is not None:
        return None
    if nd == 4 and shape[1] in (1, 3, 4) and shape[3] not in (3, 4) and min(shape[2:]) > 4:
        return 1
    if nd == 4 and shape[3] in (3, 4) and min(shape[1:3]) > 4:
        return 3
    if nd == 3 and shape[2] in (3, 4) and min(shape[:2]) > 4:
        return 2
    if nd == 3 and shape[0] in (3, 4) and min(shape[1:]) > 4:
        return 0
    return None


def guess_layout(shape: Sequence[int], layout: Optional[str]) -> Optional[str]:
    """Return ``layout`` or the layout implied by :func:`channel_axis`.

    Parameters
    ----------
    shape : sequence of int
        Tensor shape.
    layout : str, optional
        A known layout, returned as is when given.

    Returns
    -------
    str or None
        ``NCHW``, ``NHWC``, ``CHW`` or ``HWC``, or None when the shape does not say.
    """
    if layout:
        return layout
    axis = channel_axis(shape, None)
    if axis is None:
        return None
    return {(4, 1): "NCHW", (4, 3): "NHWC", (3, 2): "HWC", (3, 0): "CHW"}.get((len(shape), axis))


def safe_name(name: str) -> str:
    """The part of a ``.bin`` file name that stands for a tensor name (``<stage>.<safe_name>.bin``)."""
    s = re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip(".")
    return s or "tensor"


class CaptureArgumentError(CaptureError, ValueError):
    """A bad argument to a writer (unknown stage, unsupported dtype...): both a CaptureError and a ValueError."""


class TensorNotFoundError(CaptureError, KeyError):
    """A case has no tensor (or more than one) matching a stage/name lookup."""

    def __str__(self) -> str:  # KeyError would quote the message
        return CaptureError.__str__(self)


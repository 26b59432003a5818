"""The capture-set format (version 1): names, stages, dtypes, limits — standard library only.

One owner for the facts every reader and writer of capture sets shares (the C++
reader in ``cpp/src/tensor_io.cpp`` mirrors them). See ``docs/capture-format.md``.
"""
from __future__ import annotations

import re
import sys
from typing import Dict, Tuple

from pyalign.errors import CaptureError

__all__ = ["FORMAT", "VERSION", "MANIFEST", "STAGES", "DTYPE_CODES", "LAYOUTS", "COLORS", "KINDS", "MAX_TENSOR_BYTES",
           "MAX_NDIM", "MAX_MANIFEST_BYTES", "CaptureArgumentError", "TensorNotFoundError"]

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
COLORS: Tuple[str, ...] = ("BGR", "RGB", "GRAY", "YUV420SP", "YVU420SP", "YUYV422", "UYVY422")
KINDS: Tuple[str, ...] = ("image", "tensor", "detections", "classes", "mask")
#: Largest tensor a manifest may declare (numpy cannot index more bytes).
MAX_TENSOR_BYTES = sys.maxsize
MAX_NDIM = 32
MAX_MANIFEST_BYTES = 64 << 20
KNOWN_TENSOR_KEYS = ("stage", "name", "file", "dtype", "shape", "layout", "color", "kind", "sha256")
HEX64 = re.compile(r"[0-9a-f]{64}")
TMP_PREFIX = ".pyalign-tmp-"
OLD_PREFIX = ".pyalign-old-"


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


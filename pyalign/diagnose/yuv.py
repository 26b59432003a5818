"""YUV -> BGR/RGB conversions for the diagnosis: OpenCV's, and the alternatives a board may use
(chroma order swapped, full vs limited range, BT.709, an explicit Pulsar2-style 3x4 matrix).

The matrix modes are a numpy implementation of the textbook formulas of their own (256-entry
product tables), used to recompute "what if the board did X"; ``mode="opencv"`` and the split
into Y, U, V planes are the reference's (:func:`pyalign.reference.preprocess.yuv_to_bgr`,
:func:`~pyalign.reference.preprocess.yuv_planes`), which read the format table.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from pyalign import formats
from pyalign.reference.preprocess import FULL_RANGE_MATRIX, LIMITED_RANGE_MATRIX, yuv_planes, yuv_to_bgr


def _matrix(ky: float, yoff: float, rv: float, gu: float, gv: float, bu: float) -> List[float]:
    """3x4 matrix of R = ky(Y-yoff) + rv(V-128), G = ky(Y-yoff) + gu(U-128) + gv(V-128), B = ..."""
    return [ky, 0.0, rv, (-ky * yoff - rv * 128) / 256,
            ky, gu, gv, (-ky * yoff - (gu + gv) * 128) / 256,
            ky, bu, 0.0, (-ky * yoff - bu * 128) / 256]


#: 3x4 matrices (rows R, G, B; columns Y, U, V, bias/256), Pulsar2 ``csc_mat`` semantics. The
#: BT.601 entries are the pipeline spec's full_range / limited_range matrices.
MATRICES: Dict[str, Tuple[float, ...]] = {
    "bt601_limited": LIMITED_RANGE_MATRIX,
    "bt601_full": FULL_RANGE_MATRIX,
    "bt709_limited": tuple(_matrix(1.164, 16, 1.793, -0.213, -0.533, 2.112)),
}


def apply_matrix(raw: np.ndarray, fmt: str, matrix: Sequence[float], to: str, trunc: bool = False) -> np.ndarray:
    """Convert with a 3x4 matrix (rows R, G, B; last column times 256), saturated; rounded half
    away from zero, or truncated when ``trunc``.

    Evaluated in float64 as ``m0*Y + m1*U + m2*V + m3*256`` (left to right); the products come
    from 256-entry tables, which gives the same bits as multiplying every sample.
    """
    m = np.asarray(matrix, np.float64).reshape(3, 4)
    y, u, v = yuv_planes(np.asarray(raw, np.uint8), fmt)
    levels = np.arange(256, dtype=np.float64)
    out = np.empty(y.shape + (3,), np.uint8)
    for i in range(3):
        x = (m[i, 0] * levels)[y]
        x += (m[i, 1] * levels)[u]
        x += (m[i, 2] * levels)[v]
        x += m[i, 3] * 256.0
        # values below 0 saturate to 0 either way, so round half away from zero = floor(x + 0.5)
        # and truncation toward zero = floor(x) on the non-negative part
        np.maximum(x, 0.0, out=x)
        if not trunc:
            x += 0.5
        np.floor(x, out=x)
        np.minimum(x, 255.0, out=x)
        out[..., i] = x
    return out if to == "RGB" else out[..., ::-1].copy()


def convert(raw: np.ndarray, fmt: str, to: str = "BGR", mode: str = "opencv",
            matrix: Optional[Sequence[float]] = None) -> np.ndarray:
    """Convert a YUV frame to an 8-bit BGR/RGB image.

    Parameters
    ----------
    raw : numpy.ndarray
        Frame shaped as ``cv2.cvtColor`` takes it.
    fmt : str
        One of :data:`pyalign.formats.YUV_FORMATS`.
    to : str
        ``"BGR"`` or ``"RGB"``.
    mode : str
        ``"opencv"`` (cv2.cvtColor), ``"limited_range"`` / ``"full_range"`` (BT.601 float
        matrices), ``"bt709_limited"`` or ``"matrix"`` (with ``matrix``); a ``"_trunc"`` suffix
        truncates instead of rounding (``"opencv_trunc"``: the BT.601 limited-range matrix).
    """
    trunc = mode.endswith("_trunc")
    if trunc:
        mode = mode[: -len("_trunc")]
        mode = "limited_range" if mode == "opencv" else mode
    if mode == "opencv":
        return yuv_to_bgr(raw, fmt, to)
    if mode == "matrix":
        if matrix is None:
            raise ValueError("csc mode 'matrix' needs a matrix")
        return apply_matrix(raw, fmt, matrix, to, trunc)
    key = {"limited_range": "bt601_limited", "full_range": "bt601_full"}.get(mode, mode)
    return apply_matrix(raw, fmt, MATRICES[key], to, trunc)


MODE_TEXT = {
    "opencv": "OpenCV's BT.601 limited-range conversion",
    "limited_range": "BT.601 limited range",
    "full_range": "BT.601 full range",
    "bt709_limited": "BT.709 limited range",
    "matrix": "the spec's matrix",
}


def csc_variants(op: Dict[str, Any], fmt: str) -> List[Tuple[str, str, Dict[str, Any]]]:
    """The alternatives to a csc op: ``(name, description, knob)`` triples."""
    mode = op.get("mode", "opencv")
    out: List[Tuple[str, str, Dict[str, Any]]] = []
    other = formats.lookup(fmt).swapped
    if other:
        out.append(("yuv.chroma_swap", f"YUV: the frame read as {other} instead of {fmt} "
                                       "(U and V swapped, e.g. NV12 <-> NV21)", {"format": other}))
    for alt in ("opencv", "full_range", "limited_range", "bt709_limited"):
        if alt == mode:
            continue
        out.append((f"yuv.{alt}", f"YUV: converted with {MODE_TEXT[alt]} instead of "
                                  f"{MODE_TEXT.get(mode, mode)}", {"mode": alt}))
    what = "the BT.601 limited-range matrix" if mode == "opencv" else MODE_TEXT.get(mode, mode)
    out.append(("rounding.csc_trunc", f"rounding: YUV conversion with {what} truncated to uint8 instead of "
                                      "rounded", {"mode": f"{mode}_trunc"}))
    return out

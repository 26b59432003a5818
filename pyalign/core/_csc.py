"""pyalign.core: colour-space conversion (C++ in cpp/src/csc.cpp, bound in cpp/python/bind_csc.cpp).

Frames are shaped as ``cv2.cvtColor`` takes them (:func:`pyalign.formats.raw_shape`), e.g.
YUV420SP (NV12) ``(H*3//2, W)``, YUYV422 (YUY2) ``(H, W, 2)``, BGR / RGB ``(H, W, 3)``, all uint8.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from pyalign import formats

__all__: List[str] = ["csc", "CSC_FORMATS", "CSC_MODES", "FULL_RANGE_MATRIX", "LIMITED_RANGE_MATRIX"]

#: The formats csc converts between: BGR, RGB and the YUV formats.
CSC_FORMATS = tuple(f.name for f in formats.FORMATS if f.family == formats.PACKED_RGB or f.is_yuv)
CSC_MODES = ("opencv", "full_range", "limited_range", "matrix")

# The matrices behind the float modes (Pulsar2 csc_mat semantics: rows R, G, B; columns Y, U, V and a
# bias in units of 256), evaluated in float64 exactly as the C++ does.
FULL_RANGE_MATRIX = (
    1.0, 0.0, 1.402, -1.402 * 128 / 256,
    1.0, -0.344136, -0.714136, (0.344136 + 0.714136) * 128 / 256,
    1.0, 1.772, 0.0, -1.772 * 128 / 256,
)
LIMITED_RANGE_MATRIX = (
    1.164, 0.0, 1.596, -(1.164 * 16 + 1.596 * 128) / 256,
    1.164, -0.392, -0.813, (-1.164 * 16 + 0.392 * 128 + 0.813 * 128) / 256,
    1.164, 2.017, 0.0, -(1.164 * 16 + 2.017 * 128) / 256,
)


def csc(src: np.ndarray, src_format: str, dst_format: str, mode: str = "opencv",
        matrix: Optional[Sequence[float]] = None, threads: int = 1) -> np.ndarray:
    """Convert an image between a YUV format and BGR/RGB.

    Parameters
    ----------
    src : numpy.ndarray
        uint8, C-contiguous, shaped for ``src_format`` (see the module docstring).
    src_format, dst_format : str
        One of :data:`CSC_FORMATS` (``"BGR"``, ``"RGB"`` and the YUV formats of
        :mod:`pyalign.formats`) or an alias (``"NV12"``, ``"YUY2"``, ...). YUV -> BGR/RGB,
        BGR/RGB -> YUV and BGR <-> RGB are supported.
    mode : str
        ``"opencv"``: byte-identical to ``cv2.cvtColor`` with the codes of
        :data:`pyalign.reference.preprocess.CV_DECODE` (BGR -> YUV: :func:`pyalign.reference.to_input_format`,
        e.g. 4:2:0 is COLOR_BGR2YUV_I420 with U, V interleaved). ``"full_range"``, ``"limited_range"`` (BT.601) and ``"matrix"``
        (YUV sources only) apply a 3x4 Pulsar2 ``csc_mat`` in float64:
        ``x = ((m0*Y + m1*U) + m2*V) + m3*256``, then ``floor(x + 0.5)`` saturated to 0..255.
    matrix : sequence of 12 floats, optional
        Row-major 3x4 matrix (rows R, G, B), only with ``mode="matrix"``; finite, ``|m| <= 1000``.
    threads : int
        Split the rows across this many threads (0: one per CPU); the result does not depend on it.

    Returns
    -------
    numpy.ndarray
        uint8 image in ``dst_format``.

    Raises
    ------
    ValueError
        Unknown format or mode, unsupported direction, wrong dtype / shape / contiguity, odd width
        (or odd height for 4:2:0), empty image.
    """
    from pyalign import _core
    from pyalign.core._resize import _check_threads

    if not isinstance(src, np.ndarray):
        raise ValueError(f"csc source must be a numpy array, got {type(src).__name__}")
    threads = _check_threads(threads)
    m = None if matrix is None else [float(v) for v in np.asarray(matrix, dtype=np.float64).reshape(-1)]
    return _core.csc(src, str(src_format), str(dst_format), str(mode), m, threads)

"""pyalign.core: channel swap, normalisation and layout (C++ in cpp/src/normalize.cpp).

``normalize`` computes exactly numpy's ``(x.astype(np.float32) - mean32) / std32`` (one float32
subtraction, one float32 division per element), after an optional R/B swap, and writes the
result in the requested layout.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Union

import numpy as np

__all__: List[str] = ["normalize", "swap_rb", "to_layout", "LAYOUTS"]

LAYOUTS = ("HW", "HWC", "CHW", "NHWC", "NCHW")

Number = Union[float, int]


def _values(v: Union[None, Number, Sequence[Number], np.ndarray], what: str) -> Optional[List[float]]:
    if v is None:
        return None
    a = np.asarray(v, dtype=np.float64).reshape(-1)
    if a.size == 0:
        raise ValueError(f"normalize: {what} is empty")
    return [float(x) for x in a]


def normalize(src: np.ndarray, mean: Union[None, Number, Sequence[Number]] = None,
              std: Union[None, Number, Sequence[Number]] = None, swap_rb: bool = False,
              layout: Optional[str] = None, dtype: str = "float32") -> np.ndarray:
    """Swap R/B, normalise per channel and lay out an image as a model input tensor.

    Parameters
    ----------
    src : numpy.ndarray
        ``(H, W)`` or ``(H, W, C)`` image, C in 1..4, uint8 or float32, C-contiguous.
    mean, std : number or sequence, optional
        One value or one per channel, applied to the OUTPUT channels (after the swap) as
        ``(x - mean) / std`` in float32 (values rounded to float32 first, like numpy). Omitted:
        mean 0 / std 1 (no arithmetic).
    swap_rb : bool
        Swap channels 0 and 2 first (3 or 4 channels).
    layout : str, optional
        ``"HWC"``, ``"CHW"``, ``"NHWC"``, ``"NCHW"`` (batch of 1) or ``"HW"`` (1 channel).
        Default: the input's own (``HW`` for 2-D, ``HWC`` for 3-D).
    dtype : str
        ``"float32"`` or ``"uint8"`` (uint8 input, no mean/std: swap and layout only).

    Returns
    -------
    numpy.ndarray
        The C-contiguous tensor.

    Raises
    ------
    ValueError
        Bad dtype, shape, contiguity, layout, mean/std length, zero or non-finite std.
    """
    from pyalign import _core

    if not isinstance(src, np.ndarray):
        raise ValueError(f"normalize: the image must be a numpy array, got {type(src).__name__}")
    if dtype not in ("float32", "uint8"):
        raise ValueError(f"normalize: dtype must be 'float32' or 'uint8', got {dtype!r}")
    m, s = _values(mean, "mean"), _values(std, "std")
    if dtype == "uint8" and (m is not None or s is not None):
        raise ValueError("normalize: mean/std need dtype 'float32'")
    return _core.normalize(src, m, s, bool(swap_rb), layout, dtype == "float32")


def _same_dtype(src: np.ndarray) -> str:
    """The ``dtype`` argument of :func:`normalize` that keeps ``src``'s own (uint8 or float32)."""
    return "uint8" if isinstance(src, np.ndarray) and src.dtype == np.uint8 else "float32"


def swap_rb(src: np.ndarray) -> np.ndarray:
    """Return a copy of an image (uint8 or float32, 3 or 4 channels) with channels 0 and 2 swapped."""
    return normalize(src, swap_rb=True, dtype=_same_dtype(src))


def to_layout(src: np.ndarray, layout: str) -> np.ndarray:
    """Return an HWC (or HW) image (uint8 or float32) in another layout, values unchanged."""
    return normalize(src, layout=layout, dtype=_same_dtype(src))

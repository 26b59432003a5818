"""Training-side classification and segmentation results in plain numpy: softmax, top-k, argmax.

Part of the numpy reference of the postprocessing (conventions in
:mod:`pyalign.reference.postprocess` and ``docs/postprocessing.md``).
"""
from __future__ import annotations

from typing import Any, Dict, Tuple, Union

import numpy as np

from pyalign.spec.arguments import as_float_array, check_int, check_layout, drop_batch, flatten_logits

__all__ = ["softmax", "topk", "classify", "segment_argmax"]

ArrayLike = Any


def softmax(logits: ArrayLike) -> np.ndarray:
    """Numerically stable softmax of a 1-D vector of logits.

    Non-finite logits (NaN, +-Inf) are left out of the normalisation and get probability 0.

    Parameters
    ----------
    logits : array_like
        1-D logits (any real dtype).

    Returns
    -------
    numpy.ndarray
        float32 probabilities, same length; the finite entries sum to 1.
    """
    x = as_float_array("logits", logits)
    if x.ndim != 1:
        raise ValueError(f"logits: expected a 1-D vector, got shape {x.shape}")
    finite = np.isfinite(x)
    out = np.zeros(x.shape, dtype=np.float32)
    if not finite.any():
        return out
    v = x[finite].astype(np.float64)
    e = np.exp(v - v.max())
    out[finite] = (e / e.sum()).astype(np.float32)
    return out


def topk(scores: ArrayLike, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, descending, ties broken by the lower index.

    Non-finite scores are never returned, so fewer than ``k`` indices may come back.

    Parameters
    ----------
    scores : array_like
        1-D scores.
    k : int
        How many to return (>= 1).

    Returns
    -------
    numpy.ndarray
        int64 indices.
    """
    s = as_float_array("scores", scores)
    if s.ndim != 1:
        raise ValueError(f"scores: expected a 1-D vector, got shape {s.shape}")
    k = check_int("k", k, 1)
    idx = np.flatnonzero(np.isfinite(s))
    order = idx[np.argsort(-s[idx], kind="stable")]
    return order[:k].astype(np.int64)


_softmax = softmax  # classify's arguments shadow these names
_topk = topk


def classify(logits: ArrayLike, topk: int = 5, softmax: bool = True, *,  # noqa: A002
             return_stats: bool = False) -> Union[np.ndarray, Tuple[np.ndarray, Dict[str, int]]]:
    """Top-k classification result.

    Parameters
    ----------
    logits : array_like
        ``[C]``, ``[1, C]`` or ``[1, C, 1, 1]``.
    topk : int
        Number of rows to return (fewer when fewer classes are finite).
    softmax : bool
        Apply a softmax first (False: the values are already probabilities or scores).
    return_stats : bool
        Also return ``{"nonfinite_scores": n}``.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, dict)
        float32 ``[k, 2]`` rows ``(class_id, probability)``, probability descending, ties by
        the lower class id; with the stats dict when ``return_stats``.
    """
    x = flatten_logits(logits)
    k = check_int("topk", topk, 1)
    probs = _softmax(x) if softmax else x
    keep = _topk(np.where(np.isfinite(x), probs, np.nan), k)
    out = np.empty((keep.size, 2), dtype=np.float32)
    out[:, 0] = keep.astype(np.float32)
    out[:, 1] = probs[keep]
    if return_stats:
        return out, {"nonfinite_scores": int(np.count_nonzero(~np.isfinite(x)))}
    return out


def segment_argmax(logits: ArrayLike, layout: str = "NCHW", *,
                   return_stats: bool = False) -> Union[np.ndarray, Tuple[np.ndarray, Dict[str, int]]]:
    """Per-pixel class map: argmax over the class axis, ties by the lower class.

    NaN counts as -Inf (so it only wins a tie with -Inf, by the lower class); a pixel whose
    values are all NaN gets class -1 (counted in ``stats["nan_pixels"]``).

    Parameters
    ----------
    logits : array_like
        ``[1, C, H, W]`` / ``[C, H, W]`` (NCHW) or ``[1, H, W, C]`` / ``[H, W, C]`` (NHWC).
    layout : {"NCHW", "NHWC"}
    return_stats : bool
        Also return ``{"nan_pixels": n}``.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, dict)
        int32 ``[H, W]``; with the stats dict when ``return_stats``.
    """
    layout = check_layout(layout)
    x = drop_batch(as_float_array("logits", logits), 3, "logits")
    if (x.shape[0] if layout == "NCHW" else x.shape[2]) < 1:
        raise ValueError(f"logits: expected at least one class, got shape {x.shape}")
    if layout == "NHWC":
        x = np.moveaxis(x, 2, 0)
    nan = np.isnan(x)
    filled = np.where(nan, -np.inf, x)
    mask = np.argmax(filled, axis=0).astype(np.int32)
    all_nan = nan.all(axis=0)
    mask[all_nan] = -1
    if return_stats:
        return mask, {"nan_pixels": int(np.count_nonzero(all_nan))}
    return mask

"""Training-side NMS and box mapping in plain numpy: candidates to ``[N, 6]`` detections.

Part of the numpy reference of the postprocessing (conventions in
:mod:`pyalign.reference.postprocess` and ``docs/postprocessing.md``).
"""
from __future__ import annotations

from typing import Any, List, Optional

import numpy as np

from pyalign.spec.arguments import Candidates, check_boxes, check_classes, check_int, check_scores, check_threshold, info_dict

__all__ = ["nms", "map_boxes", "detections_from_candidates"]

ArrayLike = Any


def nms(
    boxes: ArrayLike,
    scores: ArrayLike,
    iou_threshold: float,
    classes: Optional[ArrayLike] = None,
    max_det: Optional[int] = None,
) -> np.ndarray:
    """Greedy non-maximum suppression with torchvision semantics.

    Boxes are visited by score, descending, ties by the lower index; a box is kept unless a
    kept box (of the same class, when ``classes`` is given) overlaps it with
    ``IoU > iou_threshold``. IoU is ``inter / (area_a + area_b - inter)`` in float32, no +1.
    Boxes with a non-finite score or coordinate are never kept.

    Parameters
    ----------
    boxes : array_like
        ``[N, 4]`` x1, y1, x2, y2 (converted to float32).
    scores : array_like
        ``[N]``.
    iou_threshold : float
        >= 0.
    classes : array_like, optional
        ``[N]`` integer class ids: class-aware NMS; None: class-agnostic.
    max_det : int, optional
        Keep at most this many.

    Returns
    -------
    numpy.ndarray
        int64 indices of the kept boxes, score-descending.
    """
    b = check_boxes(boxes)
    s = check_scores(scores, b.shape[0])
    thr = check_threshold("iou_threshold", iou_threshold)
    if max_det is not None:
        max_det = check_int("max_det", max_det, 0)
    c = np.zeros(b.shape[0], dtype=np.int64) if classes is None else check_classes(classes, b.shape[0])

    valid = np.isfinite(s) & np.isfinite(b).all(axis=1)
    order = np.flatnonzero(valid)
    order = order[np.argsort(-s[order], kind="stable")]
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    suppressed = np.zeros(b.shape[0], dtype=bool)
    keep: List[int] = []
    limit = b.shape[0] if max_det is None else max_det
    zero = np.float32(0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        areas = (x2 - x1) * (y2 - y1)
        for pos, i in enumerate(order):
            if len(keep) >= limit:
                break
            if suppressed[i]:
                continue
            keep.append(int(i))
            rest = order[pos + 1:]
            rest = rest[~suppressed[rest] & (c[rest] == c[i])]
            if rest.size == 0:
                continue
            xx1 = np.maximum(x1[i], x1[rest])
            yy1 = np.maximum(y1[i], y1[rest])
            xx2 = np.minimum(x2[i], x2[rest])
            yy2 = np.minimum(y2[i], y2[rest])
            w = np.maximum(zero, xx2 - xx1)
            h = np.maximum(zero, yy2 - yy1)
            inter = w * h
            iou = inter / (areas[i] + areas[rest] - inter)
            suppressed[rest[iou.astype(np.float64) > thr]] = True
    return np.asarray(keep, dtype=np.int64)


def map_boxes(boxes: ArrayLike, info: Any) -> np.ndarray:
    """Map boxes from model-input (letterbox) pixels back to the original image, clipped.

    ``x = (x - pad_left) / scale_x``, ``y = (y - pad_top) / scale_y`` in float64, rounded to
    float32, then clipped to ``[0, src_width] x [0, src_height]``.

    Parameters
    ----------
    boxes : array_like
        ``[N, 4]`` x1, y1, x2, y2.
    info : LetterboxInfo or dict
        With scale_x, scale_y, pad_left, pad_top, src_width, src_height.

    Returns
    -------
    numpy.ndarray
        float32 ``[N, 4]`` (a new array).
    """
    b = check_boxes(boxes)
    d = info_dict(info)
    out = np.empty_like(b)
    with np.errstate(invalid="ignore", over="ignore"):
        xs = ((b[:, 0::2].astype(np.float64) - d["pad_left"]) / d["scale_x"]).astype(np.float32)
        ys = ((b[:, 1::2].astype(np.float64) - d["pad_top"]) / d["scale_y"]).astype(np.float32)
        out[:, 0::2] = np.clip(xs, np.float32(0), np.float32(d["src_width"]))
        out[:, 1::2] = np.clip(ys, np.float32(0), np.float32(d["src_height"]))
    return out


def detections_from_candidates(
    cand: Candidates,
    iou_threshold: float = 0.45,
    class_agnostic: bool = False,
    max_det: Optional[int] = 300,
    info: Any = None,
) -> np.ndarray:
    """NMS, ``max_det``, box mapping: candidates → float32 ``[N, 6]`` detections.

    Parameters
    ----------
    cand : Candidates
    iou_threshold : float
    class_agnostic : bool
    max_det : int, optional
    info : LetterboxInfo or dict, optional
        Map boxes back to the original image when given.

    Returns
    -------
    numpy.ndarray
        float32 ``[N, 6]`` x1, y1, x2, y2, score, class, score-descending.
    """
    keep = nms(cand.boxes, cand.scores, iou_threshold, None if class_agnostic else cand.classes, max_det)
    boxes = cand.boxes[keep]
    if info is not None:
        boxes = map_boxes(boxes, info)
    out = np.empty((keep.size, 6), dtype=np.float32)
    out[:, :4] = boxes
    out[:, 4] = cand.scores[keep]
    out[:, 5] = cand.classes[keep].astype(np.float32)
    return out

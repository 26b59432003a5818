"""Order-free matching of detections (``[N, 6]``: x1, y1, x2, y2, score, class).

Two detections can be paired only when their classes are equal and their
boxes overlap (IoU > 0; two identical degenerate boxes count as IoU 1).
Pairs are taken greedily by IoU, greatest first (ties: smaller |score
difference|, then lower expected index, then lower actual index), each
detection used at most once. The result is the same whatever the order of
the rows on either side, so two equal-score boxes that swap places still
match. Each matched pair is then checked elementwise (coordinates and score)
with the tensor's rule; detections left without a partner fail.
"""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

import numpy as np

from pyalign.spec.postprocess import RESULT_KINDS

__all__ = ["FIELDS", "iou_matrix", "match_detections", "detection_row"]

#: The row fields of a detection, as the registry of result kinds names them.
FIELDS = RESULT_KINDS["detections"].fields
_WIDTH = len(FIELDS)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU (float64, no +1 pixel convention) of every box in ``a`` with every box in ``b``."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, _WIDTH)
    b = np.asarray(b, dtype=np.float64).reshape(-1, _WIDTH)
    ax1, ay1, ax2, ay2 = (a[:, i][:, None] for i in range(4))
    bx1, by1, bx2, by2 = (b[:, i][None, :] for i in range(4))
    iw = np.clip(np.minimum(ax2, bx2) - np.maximum(ax1, bx1), 0.0, None)
    ih = np.clip(np.minimum(ay2, by2) - np.maximum(ay1, by1), 0.0, None)
    inter = iw * ih
    area_a = np.clip(ax2 - ax1, 0.0, None) * np.clip(ay2 - ay1, 0.0, None)
    area_b = np.clip(bx2 - bx1, 0.0, None) * np.clip(by2 - by1, 0.0, None)
    union = area_a + area_b - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    same = np.all(a[:, None, :4] == b[None, :, :4], axis=2)
    iou = np.where(same & (union <= 0), 1.0, iou)
    return np.nan_to_num(iou, nan=0.0)


def match_detections(expected: np.ndarray, actual: np.ndarray) -> Tuple[List[Tuple[int, int, float]], List[int], List[int]]:
    """Pair detections order-free.

    Parameters
    ----------
    expected, actual : numpy.ndarray
        ``[N, 6]`` and ``[M, 6]`` detections.

    Returns
    -------
    pairs : list of (expected_index, actual_index, iou)
        Sorted by expected index.
    unmatched_expected, unmatched_actual : list of int
    """
    e = np.asarray(expected, dtype=np.float64).reshape(-1, _WIDTH)
    a = np.asarray(actual, dtype=np.float64).reshape(-1, _WIDTH)
    iou = iou_matrix(e, a) if len(e) and len(a) else np.zeros((len(e), len(a)))
    same_class = e[:, 5][:, None] == a[:, 5][None, :]
    ok = same_class & (iou > 0)
    ii, jj = np.nonzero(ok)
    ds = np.abs(e[ii, 4] - a[jj, 4])
    order = np.lexsort((jj, ii, ds, -iou[ii, jj]))
    used_e, used_a = set(), set()
    pairs: List[Tuple[int, int, float]] = []
    for k in order:
        i, j = int(ii[k]), int(jj[k])
        if i in used_e or j in used_a:
            continue
        used_e.add(i)
        used_a.add(j)
        pairs.append((i, j, float(iou[i, j])))
    pairs.sort()
    return pairs, [i for i in range(len(e)) if i not in used_e], [j for j in range(len(a)) if j not in used_a]


def detection_row(arr: np.ndarray, i: int) -> Dict[str, Any]:
    """One detection as a dict (JSON form)."""
    row = np.asarray(arr)[i]
    return {"index": int(i), "box": [float(v) for v in row[:4]], "score": float(row[4]), "class": float(row[5])}

"""Training-side YOLO decoding in plain numpy: YOLOv8 / YOLO11, YOLOv5 and YOLOX outputs to candidates.

Part of the numpy reference of the postprocessing (conventions in
:mod:`pyalign.reference.postprocess` and ``docs/postprocessing.md``). Every decoder returns
:class:`~pyalign.spec.arguments.Candidates`, boxes in model-input pixels before NMS.
"""
from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

import numpy as np

from pyalign.spec.arguments import (Candidates, Outputs, as_output_list, check_anchors, check_common, check_input_size,
                                    check_reg_max, check_strides, drop_batch)
from pyalign.spec.postprocess import DEFAULT_YOLOV5_ANCHORS

__all__ = ["grid_shapes", "decode_yolov8", "decode_yolov5", "decode_yolox"]


def grid_shapes(num_anchors: int, strides: Sequence[int], input_size: Optional[Sequence[int]] = None) -> List[Tuple[int, int]]:
    """The ``(grid_h, grid_w)`` of every level of a concatenated anchor-free output.

    Parameters
    ----------
    num_anchors : int
        Total number of anchor points (e.g. 8400 for 640x640 with strides 8, 16, 32).
    strides : sequence of int
        Stride of every level, in the order the levels are concatenated.
    input_size : (width, height), optional
        The model input size. Without it the input is taken as square and its side is the
        smallest one whose grids give ``num_anchors`` points.

    Returns
    -------
    list of (int, int)
        Grid height and width per level, ``ceil(size / stride)``.
    """
    strides = check_strides(strides)
    size = check_input_size(input_size)
    if size is not None:
        w, h = size
        shapes = [(-(-h // s), -(-w // s)) for s in strides]
        if sum(gh * gw for gh, gw in shapes) != num_anchors:
            raise ValueError(
                f"{num_anchors} anchors do not match input size {w}x{h} with strides {strides}"
            )
        return shapes
    density = sum(1.0 / (s * s) for s in strides)
    root = math.sqrt(num_anchors / density) if num_anchors > 0 else 0.0
    if not root < 1e12:
        raise ValueError(f"cannot infer the grids: {num_anchors} anchors is too many; give input_size")
    estimate = int(round(root))
    span = min(2 * max(strides), 1024)
    for side in range(max(1, estimate - span), estimate + span + 1):
        shapes = [(-(-side // s), -(-side // s)) for s in strides]
        if sum(gh * gw for gh, gw in shapes) == num_anchors:
            return shapes
    raise ValueError(
        f"cannot infer the grids: {num_anchors} anchors do not match a square input with strides "
        f"{strides}; give input_size"
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """float32 in, float32 out; evaluated in float64."""
    with np.errstate(over="ignore"):
        return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)


def _finish_candidates(
    boxes: np.ndarray,
    scores: np.ndarray,
    classes: np.ndarray,
    finite_scores: np.ndarray,
    conf_threshold: float,
    pre_nms_topk: Optional[int],
) -> Candidates:
    """Threshold, drop non-finite, order score-descending, keep the top ``pre_nms_topk``."""
    anchors = int(scores.shape[0])
    finite_scores = finite_scores & np.isfinite(scores)  # also drops an overflowing obj * cls
    passing = finite_scores & (scores.astype(np.float64) > conf_threshold)
    idx = np.flatnonzero(passing)
    box_ok = np.isfinite(boxes[idx]).all(axis=1)
    nonfinite_boxes = int(np.count_nonzero(~box_ok))
    idx = idx[box_ok]
    order = idx[np.argsort(-scores[idx], kind="stable")]
    candidates = int(order.size)
    if pre_nms_topk is not None:
        order = order[:pre_nms_topk]
    stats = {
        "anchors": anchors,
        "nonfinite_scores": int(np.count_nonzero(~finite_scores)),
        "nonfinite_boxes": nonfinite_boxes,
        "candidates": candidates,
        "after_topk": int(order.size),
    }
    return Candidates(
        np.ascontiguousarray(boxes[order], dtype=np.float32),
        np.ascontiguousarray(scores[order], dtype=np.float32),
        classes[order].astype(np.int64),
        stats,
    )


def _level_grid(gh: int, gw: int, offset: float) -> Tuple[np.ndarray, np.ndarray]:
    """Anchor-point x and y (float64, row-major) of one level."""
    ys, xs = np.meshgrid(np.arange(gh, dtype=np.float64), np.arange(gw, dtype=np.float64), indexing="ij")
    return xs.reshape(-1) + offset, ys.reshape(-1) + offset


def _dfl(bins: np.ndarray) -> np.ndarray:
    """Distribution focal loss integral: bins ``[A, 4, R]`` float32 → distances ``[A, 4]`` float64.

    Softmax over the R bins (float64, max-subtracted), expectation sum(i * p_i); the sums run
    sequentially over the bins.
    """
    v = bins.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(v - v.max(axis=-1, keepdims=True))
        den = e[..., 0].copy()
        num = np.zeros_like(den)
        for i in range(1, v.shape[-1]):
            den = den + e[..., i]
            num = num + float(i) * e[..., i]
        return num / den


def _grid_points(shapes: Sequence[Tuple[int, int]], strides: Sequence[int], offset: float) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Anchor-point x, y and stride (float64) of every cell of the levels, concatenated in order."""
    gx_l, gy_l, s_l = [], [], []
    for (gh, gw), s in zip(shapes, strides):
        gx, gy = _level_grid(gh, gw, offset)
        gx_l.append(gx)
        gy_l.append(gy)
        s_l.append(np.full(gh * gw, float(s)))
    return np.concatenate(gx_l), np.concatenate(gy_l), np.concatenate(s_l)


def _corners(cx: np.ndarray, cy: np.ndarray, w: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Centre and size (float64) → ``[A, 4]`` x1, y1, x2, y2 (float64)."""
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)


def _best_class(scores: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Per row of ``[A, nc]`` scores: the first best class (numpy argmax) and its score."""
    if scores.shape[0] > 0:
        classes = np.argmax(scores, axis=1)
        return classes, scores[np.arange(scores.shape[0]), classes]
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)


def _product_candidates(rows: np.ndarray, probs: np.ndarray, boxes: np.ndarray, conf: float,
                        ptk: Optional[int]) -> Candidates:
    """Candidates scored ``obj * cls`` (float32 products) from rows ``[A, 5 + nc]``.

    ``rows`` are the raw values (a row with a non-finite objectness or class input is
    dropped), ``probs`` the activated ones, ``boxes`` float32 ``[A, 4]``.
    """
    finite_scores = np.isfinite(rows[:, 4:]).all(axis=1)
    with np.errstate(invalid="ignore", over="ignore"):
        sc = probs[:, 5:] * probs[:, 4:5]  # float32 products
    classes, scores = _best_class(sc)
    return _finish_candidates(boxes, scores, classes, finite_scores, conf, ptk)


def decode_yolov8(
    outputs: Outputs,
    num_classes: int = 80,
    reg_max: int = 16,
    strides: Sequence[int] = (8, 16, 32),
    conf_threshold: float = 0.25,
    pre_nms_topk: Optional[int] = None,
    input_size: Optional[Sequence[int]] = None,
    activated: Optional[bool] = None,
) -> Candidates:
    """Decode YOLOv8 / YOLO11 (anchor-free) outputs into candidate boxes.

    Accepted outputs:

    - one array ``[1, 4 + nc, A]`` (``reg_max=0``): the ultralytics export, rows 0-3 are
      ``cx, cy, w, h`` in input pixels, then class probabilities;
    - one array ``[1, 4 * reg_max + nc, A]``: DFL logits per side (``l, t, r, b``, each
      ``reg_max`` bins), then class probabilities; the grids come from ``input_size`` (or a
      square input);
    - either of the above transposed, ``[1, A, C]``;
    - one array per stride, ``[1, C, H, W]`` or ``[1, H, W, C]`` with ``C = 4 * reg_max + nc``
      (``reg_max=0``: ``l, t, r, b`` distances in grid units), class *logits*.

    Anchor points are cell centres ``(x + 0.5, y + 0.5)``; the box is
    ``((ax - l) * s, (ay - t) * s, (ax + r) * s, (ay + b) * s)``.

    Parameters
    ----------
    outputs : array, list of arrays or mapping of name -> array (insertion order)
    num_classes : int
    reg_max : int
        DFL bins (16), or 0 when the DFL is in the graph.
    strides : sequence of int
    conf_threshold : float
        Keep ``score > conf_threshold``.
    pre_nms_topk : int, optional
        Keep at most this many candidates (highest scores).
    input_size : (width, height), optional
        Model input size, to lay out the grids of a concatenated output.
    activated : bool, optional
        Whether class scores are probabilities (True) or logits to pass through a sigmoid.
        Default: True for one concatenated output, False for per-stride outputs.

    Returns
    -------
    Candidates
    """
    nc, conf, ptk = check_common(num_classes, conf_threshold, pre_nms_topk)
    reg_max = check_reg_max(reg_max)
    strides = check_strides(strides)
    arrays = as_output_list(outputs)
    nbox = 4 * reg_max if reg_max > 0 else 4
    channels = nbox + nc
    if len(arrays) == 1 and arrays[0].ndim in (2, 3):
        a = drop_batch(arrays[0], 2, "outputs[0]")
        if a.shape[0] == channels:
            rows = a.T
        elif a.shape[1] == channels:
            rows = a
        else:
            raise ValueError(
                f"outputs[0]: expected [1, {channels}, anchors] (4{'*' + str(reg_max) if reg_max else ''}"
                f" box + {nc} classes), got shape {arrays[0].shape}"
            )
        if activated is None:
            activated = True
        if reg_max == 0:
            grid = None
        else:
            shapes = grid_shapes(rows.shape[0], strides, input_size)
            grid = shapes
    else:
        if len(arrays) != len(strides):
            raise ValueError(
                f"expected one output [1, {channels}, anchors] or one output per stride ({len(strides)}), "
                f"got {len(arrays)} output(s) shaped {', '.join(str(a.shape) for a in arrays)}"
            )
        parts = []
        grid = []
        for i, a in enumerate(arrays):
            a = drop_batch(a, 3, f"outputs[{i}]")
            if a.shape[0] == channels:
                a = np.moveaxis(a, 0, 2)
            elif a.shape[2] != channels:
                raise ValueError(
                    f"outputs[{i}]: expected [1, {channels}, H, W] or [1, H, W, {channels}], got shape {arrays[i].shape}"
                )
            grid.append((a.shape[0], a.shape[1]))
            parts.append(a.reshape(-1, channels))
        rows = np.concatenate(parts, axis=0)
        if activated is None:
            activated = False

    cls = rows[:, nbox:]
    finite_scores = np.isfinite(cls).all(axis=1)
    probs = cls if activated else _sigmoid(cls)
    classes, scores = _best_class(probs)

    with np.errstate(invalid="ignore", over="ignore"):
        if grid is None:
            boxes = _corners(*(rows[:, i].astype(np.float64) for i in range(4)))
        else:
            ax, ay, st = _grid_points(grid, strides, 0.5)
            if reg_max > 0:
                dist = _dfl(rows[:, :nbox].reshape(-1, 4, reg_max))
            else:
                dist = rows[:, :4].astype(np.float64)
            x1 = (ax - dist[:, 0]) * st
            y1 = (ay - dist[:, 1]) * st
            x2 = (ax + dist[:, 2]) * st
            y2 = (ay + dist[:, 3]) * st
            boxes = np.stack([x1, y1, x2, y2], axis=1)
        boxes = boxes.astype(np.float32)
    return _finish_candidates(boxes, scores, classes, finite_scores, conf, ptk)


def decode_yolov5(
    outputs: Outputs,
    num_classes: int = 80,
    anchors: Sequence[Sequence[float]] = DEFAULT_YOLOV5_ANCHORS,
    strides: Sequence[int] = (8, 16, 32),
    activated: bool = False,
    conf_threshold: float = 0.25,
    pre_nms_topk: Optional[int] = None,
) -> Candidates:
    """Decode YOLOv5 (anchor-based) outputs into candidate boxes.

    Accepted outputs:

    - one array per stride, ``[1, na * (5 + nc), H, W]`` (raw conv output, channel
      ``a * (5 + nc) + k``) or ``[1, na, H, W, 5 + nc]``; values are logits unless
      ``activated``; ``xy = (2 * sig(t_xy) - 0.5 + grid) * stride``,
      ``wh = (2 * sig(t_wh)) ** 2 * anchor``;
    - one concatenated array ``[1, N, 5 + nc]``: the ultralytics export, already decoded
      (``cx, cy, w, h`` in input pixels, objectness and class probabilities).

    ``score = obj * cls`` (float32 product), best class first on ties.

    Parameters
    ----------
    outputs : array, list of arrays or mapping of name -> array (insertion order)
    num_classes : int
    anchors : list of lists
        Per stride, ``[w0, h0, w1, h1, ...]`` in input pixels.
    strides : sequence of int
    activated : bool
        Head values already passed through a sigmoid.
    conf_threshold : float
    pre_nms_topk : int, optional

    Returns
    -------
    Candidates
    """
    nc, conf, ptk = check_common(num_classes, conf_threshold, pre_nms_topk)
    strides = check_strides(strides)
    anchors = check_anchors(anchors, len(strides))
    arrays = as_output_list(outputs)
    no = 5 + nc
    if len(arrays) == 1 and arrays[0].ndim in (2, 3):
        rows = drop_batch(arrays[0], 2, "outputs[0]")
        if rows.shape[1] != no:
            raise ValueError(f"outputs[0]: expected [1, N, {no}] (5 + {nc} classes), got shape {arrays[0].shape}")
        p = rows
        with np.errstate(invalid="ignore", over="ignore"):
            boxes = _corners(*(p[:, i].astype(np.float64) for i in range(4))).astype(np.float32)
    else:
        if len(arrays) != len(strides):
            raise ValueError(f"expected one output per stride ({len(strides)}), got {len(arrays)}")
        raw_parts, prob_parts, box_parts = [], [], []
        for i, (a, anc, s) in enumerate(zip(arrays, anchors, strides)):
            a5 = _yolov5_head(a, len(anc) // 2, no, i)
            na, gh, gw = a5.shape[0], a5.shape[1], a5.shape[2]
            flat = a5.reshape(-1, no)  # rows ordered (anchor, y, x)
            p = flat if activated else _sigmoid(flat)
            gx, gy = _level_grid(gh, gw, 0.0)
            gx = np.tile(gx, na)
            gy = np.tile(gy, na)
            aw = np.repeat(np.asarray(anc[0::2], dtype=np.float64), gh * gw)
            ah = np.repeat(np.asarray(anc[1::2], dtype=np.float64), gh * gw)
            with np.errstate(invalid="ignore", over="ignore"):
                cx = (p[:, 0].astype(np.float64) * 2.0 - 0.5 + gx) * s
                cy = (p[:, 1].astype(np.float64) * 2.0 - 0.5 + gy) * s
                w = (p[:, 2].astype(np.float64) * 2.0) ** 2 * aw
                h = (p[:, 3].astype(np.float64) * 2.0) ** 2 * ah
                box_parts.append(_corners(cx, cy, w, h).astype(np.float32))
            raw_parts.append(flat)
            prob_parts.append(p)
        rows = np.concatenate(raw_parts, axis=0)
        p = np.concatenate(prob_parts, axis=0)
        boxes = np.concatenate(box_parts, axis=0)
    return _product_candidates(rows, p, boxes, conf, ptk)


def _yolov5_head(a: np.ndarray, na: int, no: int, i: int) -> np.ndarray:
    """One YOLOv5 head as ``[na, H, W, no]``: from ``[1, na, H, W, no]`` or ``[1, na * no, H, W]``."""
    if a.ndim == 5:
        a5 = drop_batch(a, 4, f"outputs[{i}]")
        if a5.shape[0] != na or a5.shape[3] != no:
            raise ValueError(f"outputs[{i}]: expected [1, {na}, H, W, {no}], got shape {a.shape}")
        return a5
    a4 = drop_batch(a, 3, f"outputs[{i}]")
    if a4.shape[0] != na * no:
        raise ValueError(
            f"outputs[{i}]: expected [1, {na * no}, H, W] ({na} anchors x {no}) or [1, {na}, H, W, {no}], got shape {a.shape}"
        )
    return np.moveaxis(a4.reshape(na, no, a4.shape[1], a4.shape[2]), 1, 3)


def decode_yolox(
    outputs: Outputs,
    num_classes: int = 80,
    strides: Sequence[int] = (8, 16, 32),
    conf_threshold: float = 0.25,
    pre_nms_topk: Optional[int] = None,
    input_size: Optional[Sequence[int]] = None,
) -> Candidates:
    """Decode YOLOX outputs ``[1, A, 5 + nc]`` (exported without decoding in the graph).

    Rows are ``tx, ty, tw, th`` (raw), objectness and class probabilities (already activated);
    grids follow the strides, row-major, anchor point = the cell's top-left ``(x, y)``:
    ``cx = (tx + x) * s``, ``w = exp(tw) * s``. ``score = obj * cls`` (float32 product).

    Parameters
    ----------
    outputs : array, list of one array or mapping of one name -> array
    num_classes : int
    strides : sequence of int
    conf_threshold : float
    pre_nms_topk : int, optional
    input_size : (width, height), optional

    Returns
    -------
    Candidates
    """
    nc, conf, ptk = check_common(num_classes, conf_threshold, pre_nms_topk)
    strides = check_strides(strides)
    arrays = as_output_list(outputs)
    if len(arrays) != 1:
        raise ValueError(f"yolox: expected one output [1, anchors, {5 + nc}], got {len(arrays)}")
    rows = drop_batch(arrays[0], 2, "outputs[0]")
    if rows.shape[1] != 5 + nc:
        raise ValueError(f"outputs[0]: expected [1, anchors, {5 + nc}] (5 + {nc} classes), got shape {arrays[0].shape}")
    gx, gy, st = _grid_points(grid_shapes(rows.shape[0], strides, input_size), strides, 0.0)
    with np.errstate(invalid="ignore", over="ignore"):
        cx = (rows[:, 0].astype(np.float64) + gx) * st
        cy = (rows[:, 1].astype(np.float64) + gy) * st
        w = np.exp(rows[:, 2].astype(np.float64)) * st
        h = np.exp(rows[:, 3].astype(np.float64)) * st
        boxes = _corners(cx, cy, w, h).astype(np.float32)
    return _product_candidates(rows, rows, boxes, conf, ptk)

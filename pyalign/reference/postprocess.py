"""Training-side postprocessing in plain numpy: classification, YOLO decoding, NMS, box mapping.

This is the *reference* the C++ core (``pyalign.core``) is checked against, written the
way a training-side script would write it: vectorised numpy over every anchor, no tricks.
The exact conventions (documented in ``docs/postprocessing.md``):

- activations (sigmoid, exp, softmax, DFL) are evaluated in float64 and rounded once to
  float32; products of two float32 values (``obj * cls``) are float32 products;
- a score passes the confidence threshold when ``score > conf_threshold`` (strict, compared
  in float64);
- candidates are ordered by score, descending, ties by the lower anchor index;
- NMS has torchvision semantics: greedy in that order, a box is dropped when its IoU with a
  kept box of the same class (any class when class-agnostic) is ``> iou_threshold``
  (strictly, IoU in float32 without the +1 pixel convention);
- anchors whose score inputs (class logits/probabilities, objectness) hold NaN or Inf, or
  whose score overflows, are dropped and counted in ``stats["nonfinite_scores"]``; candidates
  whose decoded box is not finite are dropped and counted in ``stats["nonfinite_boxes"]``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    "Candidates",
    "softmax",
    "topk",
    "classify",
    "decode_yolov5",
    "decode_yolov8",
    "decode_yolox",
    "nms",
    "map_boxes",
    "segment_argmax",
    "detections_from_candidates",
    "postprocess",
    "grid_shapes",
    "DEFAULT_YOLOV5_ANCHORS",
]

ArrayLike = Any
Outputs = Union[np.ndarray, Sequence[np.ndarray], Mapping[str, np.ndarray]]

#: The COCO anchors of YOLOv5 (P3/8, P4/16, P5/32), in input pixels.
DEFAULT_YOLOV5_ANCHORS: Tuple[Tuple[int, ...], ...] = (
    (10, 13, 16, 30, 33, 23),
    (30, 61, 62, 45, 59, 119),
    (116, 90, 156, 198, 373, 326),
)


class Candidates(NamedTuple):
    """Decoded boxes before NMS, score-descending (ties by the lower anchor index).

    Attributes
    ----------
    boxes : numpy.ndarray
        float32 ``[M, 4]`` x1, y1, x2, y2 in model-input pixels.
    scores : numpy.ndarray
        float32 ``[M]``.
    classes : numpy.ndarray
        int64 ``[M]``.
    stats : dict
        ``anchors``, ``nonfinite_scores``, ``nonfinite_boxes``, ``candidates`` (finite, above
        the threshold) and ``after_topk``.
    """

    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray
    stats: Dict[str, int]


# ----------------------------------------------------------------------------- validation


def _check_threshold(name: str, value: Any, upper: Optional[float] = None) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if upper is not None and v > upper:
        raise ValueError(f"{name} must be <= {upper}, got {value!r}")
    return v


def _check_int(name: str, value: Any, minimum: int, maximum: int = 2**62) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    if int(value) > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value!r}")
    return int(value)


def _as_float_array(name: str, x: ArrayLike) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        what = "complex arrays are not supported" if a.dtype.kind == "c" else f"expected a numeric array, got dtype {a.dtype}"
        raise ValueError(f"{name}: {what}")
    return np.ascontiguousarray(a, dtype=np.float32)


def _as_output_list(outputs: Outputs) -> List[np.ndarray]:
    """The model outputs as a list: an array, a list/tuple of arrays, or a mapping name -> array.

    A mapping (``Capture.model_output``, ``dict(zip(names, session.run(None, feed)))`` from
    onnxruntime) is taken in its insertion order, which must be the model's output order.
    """
    if isinstance(outputs, np.ndarray):
        arrays = [outputs]
        names = ["outputs[0]"]
    elif isinstance(outputs, (list, tuple)):
        arrays = list(outputs)
        names = [f"outputs[{i}]" for i in range(len(arrays))]
    elif isinstance(outputs, Mapping):
        arrays = list(outputs.values())
        names = [f"outputs[{k!r}]" for k in outputs.keys()]
    else:
        raise ValueError("outputs must be an array, a list of arrays or a mapping of name -> array, "
                         f"got {type(outputs).__name__}")
    if not arrays:
        raise ValueError("outputs is empty")
    return [_as_float_array(n, a) for n, a in zip(names, arrays)]


def _check_strides(strides: Sequence[Any]) -> List[int]:
    if isinstance(strides, (str, bytes)) or not isinstance(strides, (list, tuple, np.ndarray)) or len(strides) == 0:
        raise ValueError(f"strides must be a non-empty list of positive integers, got {strides!r}")
    return [_check_int("strides[]", s, 1, 2**30) for s in strides]


def _drop_batch(a: np.ndarray, ndim: int, what: str) -> np.ndarray:
    """Accept ``[1, ...]`` with ``ndim`` dims after the batch, or the same without batch."""
    if a.ndim == ndim + 1:
        if a.shape[0] != 1:
            raise ValueError(f"{what}: batch size {a.shape[0]} is not supported (expected 1), shape {a.shape}")
        return a[0]
    if a.ndim == ndim:
        return a
    raise ValueError(f"{what}: expected {ndim + 1} dimensions [1, ...], got shape {a.shape}")


def _check_input_size(input_size: Optional[Sequence[int]]) -> Optional[Tuple[int, int]]:
    if input_size is None:
        return None
    if len(input_size) != 2:
        raise ValueError(f"input_size must be [width, height], got {input_size!r}")
    w = _check_int("input_size width", input_size[0], 1)
    h = _check_int("input_size height", input_size[1], 1)
    if max(w, h) > 2**30:
        raise ValueError(f"input_size {input_size!r} is too large")
    return w, h


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
    strides = _check_strides(strides)
    size = _check_input_size(input_size)
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


# ----------------------------------------------------------------------------- activations


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """float32 in, float32 out; evaluated in float64."""
    with np.errstate(over="ignore"):
        return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)


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
    x = _as_float_array("logits", logits)
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
    s = _as_float_array("scores", scores)
    if s.ndim != 1:
        raise ValueError(f"scores: expected a 1-D vector, got shape {s.shape}")
    k = _check_int("k", k, 1)
    idx = np.flatnonzero(np.isfinite(s))
    order = idx[np.argsort(-s[idx], kind="stable")]
    return order[:k].astype(np.int64)


_softmax = softmax  # classify's arguments shadow these names
_topk = topk


def _flatten_logits(logits: ArrayLike) -> np.ndarray:
    x = _as_float_array("logits", logits)
    if x.ndim == 0 or x.size == 0:
        raise ValueError(f"logits: expected a non-empty vector such as [1, C], got shape {x.shape}")
    if sum(1 for d in x.shape if d != 1) > 1:
        raise ValueError(f"logits: expected one class axis (e.g. [1, C] or [1, C, 1, 1]), got shape {x.shape}")
    return x.reshape(-1)


def classify(logits: ArrayLike, topk: int = 5, softmax: bool = True, *, return_stats: bool = False):  # noqa: A002
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
    numpy.ndarray
        float32 ``[k, 2]`` rows ``(class_id, probability)``, probability descending, ties by
        the lower class id.
    """
    x = _flatten_logits(logits)
    k = _check_int("topk", topk, 1)
    probs = _softmax(x) if softmax else x
    keep = _topk(np.where(np.isfinite(x), probs, np.nan), k)
    out = np.empty((keep.size, 2), dtype=np.float32)
    out[:, 0] = keep.astype(np.float32)
    out[:, 1] = probs[keep]
    if return_stats:
        return out, {"nonfinite_scores": int(np.count_nonzero(~np.isfinite(x)))}
    return out


def segment_argmax(logits: ArrayLike, layout: str = "NCHW", *, return_stats: bool = False):
    """Per-pixel class map: argmax over the class axis, ties by the lower class.

    NaN counts as -Inf (so it only wins a tie with -Inf, by the lower class); a pixel whose
    values are all NaN gets class -1 (counted in ``stats["nan_pixels"]``).

    Parameters
    ----------
    logits : array_like
        ``[1, C, H, W]`` / ``[C, H, W]`` (NCHW) or ``[1, H, W, C]`` / ``[H, W, C]`` (NHWC).
    layout : {"NCHW", "NHWC"}
    return_stats : bool

    Returns
    -------
    numpy.ndarray
        int32 ``[H, W]``.
    """
    if layout not in ("NCHW", "NHWC"):
        raise ValueError(f"layout must be 'NCHW' or 'NHWC', got {layout!r}")
    x = _drop_batch(_as_float_array("logits", logits), 3, "logits")
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


# ----------------------------------------------------------------------------- decoding


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


def _check_common(num_classes: Any, conf_threshold: Any, pre_nms_topk: Any) -> Tuple[int, float, Optional[int]]:
    nc = _check_int("num_classes", num_classes, 1, 2**24)
    conf = _check_threshold("conf_threshold", conf_threshold)
    topk_ = None if pre_nms_topk is None else _check_int("pre_nms_topk", pre_nms_topk, 1)
    return nc, conf, topk_


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
    nc, conf, ptk = _check_common(num_classes, conf_threshold, pre_nms_topk)
    reg_max = _check_int("reg_max", reg_max, 0, 1024)
    strides = _check_strides(strides)
    arrays = _as_output_list(outputs)
    nbox = 4 * reg_max if reg_max > 0 else 4
    channels = nbox + nc
    if len(arrays) == 1 and arrays[0].ndim in (2, 3):
        a = _drop_batch(arrays[0], 2, "outputs[0]")
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
            a = _drop_batch(a, 3, f"outputs[{i}]")
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
    nc, conf, ptk = _check_common(num_classes, conf_threshold, pre_nms_topk)
    strides = _check_strides(strides)
    anchors = _check_anchors(anchors, len(strides))
    arrays = _as_output_list(outputs)
    no = 5 + nc
    if len(arrays) == 1 and arrays[0].ndim in (2, 3):
        rows = _drop_batch(arrays[0], 2, "outputs[0]")
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
        a5 = _drop_batch(a, 4, f"outputs[{i}]")
        if a5.shape[0] != na or a5.shape[3] != no:
            raise ValueError(f"outputs[{i}]: expected [1, {na}, H, W, {no}], got shape {a.shape}")
        return a5
    a4 = _drop_batch(a, 3, f"outputs[{i}]")
    if a4.shape[0] != na * no:
        raise ValueError(
            f"outputs[{i}]: expected [1, {na * no}, H, W] ({na} anchors x {no}) or [1, {na}, H, W, {no}], got shape {a.shape}"
        )
    return np.moveaxis(a4.reshape(na, no, a4.shape[1], a4.shape[2]), 1, 3)


def _check_anchors(anchors: Any, levels: int) -> List[List[float]]:
    if not isinstance(anchors, (list, tuple, np.ndarray)) or len(anchors) != levels:
        raise ValueError(f"anchors must hold one list per stride ({levels}), got {anchors!r}")
    out = []
    for i, a in enumerate(anchors):
        vals = [float(v) for v in a]
        if len(vals) == 0 or len(vals) % 2:
            raise ValueError(f"anchors[{i}] must be [w0, h0, w1, h1, ...], got {a!r}")
        if not all(math.isfinite(v) and v > 0 for v in vals):
            raise ValueError(f"anchors[{i}] must hold finite positive sizes, got {a!r}")
        out.append(vals)
    return out


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
    nc, conf, ptk = _check_common(num_classes, conf_threshold, pre_nms_topk)
    strides = _check_strides(strides)
    arrays = _as_output_list(outputs)
    if len(arrays) != 1:
        raise ValueError(f"yolox: expected one output [1, anchors, {5 + nc}], got {len(arrays)}")
    rows = _drop_batch(arrays[0], 2, "outputs[0]")
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


# ----------------------------------------------------------------------------- NMS


def _check_boxes(boxes: ArrayLike) -> np.ndarray:
    b = _as_float_array("boxes", boxes)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"boxes: expected shape [N, 4] (x1, y1, x2, y2), got {b.shape}")
    return b


def _check_scores(scores: ArrayLike, n: int) -> np.ndarray:
    s = _as_float_array("scores", scores)
    if s.ndim != 1 or s.shape[0] != n:
        raise ValueError(f"scores: expected shape [{n}] to match boxes, got {s.shape}")
    return s


def _check_classes(classes: ArrayLike, n: int) -> np.ndarray:
    """``[n]`` integer class ids (floats with integer values accepted) as int64."""
    c = np.asarray(classes)
    if c.ndim != 1 or c.shape[0] != n:
        raise ValueError(f"classes: expected shape [{n}] to match boxes, got {c.shape}")
    if not (np.issubdtype(c.dtype, np.integer) or np.issubdtype(c.dtype, np.floating)):
        raise ValueError(f"classes: expected integer class ids, got dtype {c.dtype}")
    if np.issubdtype(c.dtype, np.floating):
        if not np.all(np.isfinite(c)) or np.any(c != np.round(c)) or np.any(np.abs(c) > 2**62):
            raise ValueError("classes: expected integer class ids")
    return c.astype(np.int64)


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
    b = _check_boxes(boxes)
    s = _check_scores(scores, b.shape[0])
    thr = _check_threshold("iou_threshold", iou_threshold)
    if max_det is not None:
        max_det = _check_int("max_det", max_det, 0)
    c = np.zeros(b.shape[0], dtype=np.int64) if classes is None else _check_classes(classes, b.shape[0])

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


# ----------------------------------------------------------------------------- mapping


_INFO_KEYS = ("scale_x", "scale_y", "pad_left", "pad_top", "src_width", "src_height")


def _info_mapping(info: Any) -> Any:
    """A LetterboxInfo-like object as a dict of its mapping fields (a Mapping is returned as is)."""
    if isinstance(info, Mapping) or not hasattr(info, "scale_x"):
        return info
    return {k: getattr(info, k, None) for k in _INFO_KEYS + ("dst_width", "dst_height")}


def info_dict(info: Any) -> Dict[str, float]:
    """The mapping fields of a LetterboxInfo (or of a dict with the same keys), validated."""
    if info is None:
        raise ValueError("info is None")
    info = _info_mapping(info)
    if not isinstance(info, Mapping):
        raise ValueError(f"info must be a LetterboxInfo or a dict, got {type(info).__name__}")
    missing = [k for k in _INFO_KEYS if k not in info]
    if missing:
        raise ValueError(f"info is missing {', '.join(missing)}")
    out: Dict[str, float] = {}
    for k in _INFO_KEYS:
        try:
            v = float(info[k])
        except (TypeError, ValueError):
            raise ValueError(f"info[{k!r}] must be a number, got {info[k]!r}") from None
        if not math.isfinite(v):
            raise ValueError(f"info[{k!r}] must be finite, got {info[k]!r}")
        out[k] = v
    if out["scale_x"] <= 0 or out["scale_y"] <= 0:
        raise ValueError(f"info scale_x/scale_y must be > 0, got {out['scale_x']}, {out['scale_y']}")
    if out["src_width"] < 0 or out["src_height"] < 0:
        raise ValueError("info src_width/src_height must be >= 0")
    for k in ("dst_width", "dst_height"):
        if k in info and info[k] is not None:
            out[k] = float(info[k])
    return out


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
    b = _check_boxes(boxes)
    d = info_dict(info)
    out = np.empty_like(b)
    with np.errstate(invalid="ignore", over="ignore"):
        xs = ((b[:, 0::2].astype(np.float64) - d["pad_left"]) / d["scale_x"]).astype(np.float32)
        ys = ((b[:, 1::2].astype(np.float64) - d["pad_top"]) / d["scale_y"]).astype(np.float32)
        out[:, 0::2] = np.clip(xs, np.float32(0), np.float32(d["src_width"]))
        out[:, 1::2] = np.clip(ys, np.float32(0), np.float32(d["src_height"]))
    return out


# ----------------------------------------------------------------------------- whole stage


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


_DET_KEYS = {"op", "num_classes", "strides", "conf_threshold", "iou_threshold", "class_agnostic", "max_det", "pre_nms_topk", "input_size"}
_SPEC_KEYS = {
    "yolov8": _DET_KEYS | {"reg_max", "activated"},
    "yolov5": _DET_KEYS | {"anchors", "activated"},
    "yolox": _DET_KEYS,
    "classification": {"op", "topk", "softmax"},
    "segmentation": {"op", "layout"},
}


def parse_spec(spec: Any) -> Dict[str, Any]:
    """Validate a postprocess spec and fill in the defaults.

    Parameters
    ----------
    spec : dict
        ``{"op": "yolov8" | "yolov5" | "yolox" | "classification" | "segmentation", ...}``.

    Returns
    -------
    dict
        A new dict with every parameter present.
    """
    if not isinstance(spec, Mapping):
        raise ValueError(f"postprocess spec must be an object, got {type(spec).__name__}")
    op = spec.get("op")
    if op not in _SPEC_KEYS:
        raise ValueError(f"postprocess op must be one of {sorted(_SPEC_KEYS)}, got {op!r}")
    unknown = sorted(set(spec) - _SPEC_KEYS[op])
    if unknown:
        raise ValueError(f"postprocess {op}: unknown key(s) {', '.join(unknown)}")
    p: Dict[str, Any] = dict(spec)
    if op == "classification":
        p.setdefault("topk", 5)
        p.setdefault("softmax", True)
        _check_int("topk", p["topk"], 1)
        if not isinstance(p["softmax"], bool):
            raise ValueError(f"softmax must be true or false, got {p['softmax']!r}")
        return p
    if op == "segmentation":
        p.setdefault("layout", "NCHW")
        if p["layout"] not in ("NCHW", "NHWC"):
            raise ValueError(f"segmentation layout must be NCHW or NHWC, got {p['layout']!r}")
        return p
    p.setdefault("num_classes", 80)
    p.setdefault("strides", [8, 16, 32])
    p.setdefault("conf_threshold", 0.25)
    p.setdefault("iou_threshold", 0.45)
    p.setdefault("class_agnostic", False)
    p.setdefault("max_det", 300)
    p.setdefault("pre_nms_topk", 30000)
    p.setdefault("input_size", None)
    _check_int("num_classes", p["num_classes"], 1, 2**24)
    _check_strides(p["strides"])
    _check_threshold("conf_threshold", p["conf_threshold"])
    _check_threshold("iou_threshold", p["iou_threshold"])
    if not isinstance(p["class_agnostic"], bool):
        raise ValueError(f"class_agnostic must be true or false, got {p['class_agnostic']!r}")
    if p["max_det"] is not None:
        _check_int("max_det", p["max_det"], 0)
    if p["pre_nms_topk"] is not None:
        _check_int("pre_nms_topk", p["pre_nms_topk"], 1)
    _check_input_size(p["input_size"])
    if op == "yolov8":
        p.setdefault("reg_max", 16)
        p.setdefault("activated", None)
        _check_int("reg_max", p["reg_max"], 0, 1024)
    elif op == "yolov5":
        p.setdefault("anchors", [list(a) for a in DEFAULT_YOLOV5_ANCHORS])
        p.setdefault("activated", False)
        _check_anchors(p["anchors"], len(p["strides"]))
    if "activated" in p and p["activated"] is not None and not isinstance(p["activated"], bool):
        raise ValueError(f"activated must be true or false, got {p['activated']!r}")
    return p


def input_size_for(p: Mapping[str, Any], info: Any) -> Optional[Tuple[int, int]]:
    """The model input size: the spec's ``input_size``, else the info's dst size, else None."""
    if p.get("input_size") is not None:
        return tuple(p["input_size"])  # type: ignore[return-value]
    if info is None:
        return None
    info = _info_mapping(info)
    if isinstance(info, Mapping) and info.get("dst_width") and info.get("dst_height"):
        return int(info["dst_width"]), int(info["dst_height"])
    return None


def postprocess(outputs: Outputs, spec: Mapping[str, Any], info: Any = None, *, return_stats: bool = False):
    """Run a spec's postprocess op on the model outputs.

    Parameters
    ----------
    outputs : array, list of arrays or mapping of name -> array (insertion order)
        The model outputs, in the model's order.
    spec : dict
        The spec's ``postprocess`` object (see ``docs/postprocessing.md``).
    info : LetterboxInfo or dict, optional
        Letterbox/resize geometry: detections are mapped back to the original image.
    return_stats : bool
        Also return a dict of counts (non-finite values dropped, candidates...).

    Returns
    -------
    numpy.ndarray
        Detections float32 ``[N, 6]``, classes float32 ``[k, 2]`` or an int32 ``[H, W]`` mask.
    """
    p = parse_spec(spec)
    op = p["op"]
    if op in ("classification", "segmentation"):
        arrays = _as_output_list(outputs)
        if len(arrays) != 1:
            raise ValueError(f"{op}: expected one output, got {len(arrays)}")
        if op == "classification":
            res, st = classify(arrays[0], p["topk"], p["softmax"], return_stats=True)
        else:
            res, st = segment_argmax(arrays[0], p["layout"], return_stats=True)
        return (res, st) if return_stats else res
    size = input_size_for(p, info)
    common = dict(num_classes=p["num_classes"], strides=p["strides"], conf_threshold=p["conf_threshold"], pre_nms_topk=p["pre_nms_topk"])
    if op == "yolov8":
        cand = decode_yolov8(outputs, reg_max=p["reg_max"], input_size=size, activated=p["activated"], **common)
    elif op == "yolov5":
        cand = decode_yolov5(outputs, anchors=p["anchors"], activated=p["activated"], **common)
    else:
        cand = decode_yolox(outputs, input_size=size, **common)
    det = detections_from_candidates(cand, p["iou_threshold"], p["class_agnostic"], p["max_det"], info)
    if return_stats:
        st = dict(cand.stats)
        st["detections"] = int(det.shape[0])
        return det, st
    return det

"""pyalign.core: postprocessing in C++ (cpp/src/postprocess.cpp, bound in cpp/python/bind_postprocess.cpp).

Same names, arguments and results as the numpy reference :mod:`pyalign.reference.postprocess`
(conventions in ``docs/postprocessing.md``): ``softmax``, ``topk``, ``classify``,
``segment_argmax``, ``decode_yolov8``, ``decode_yolov5``, ``decode_yolox``, ``nms``,
``map_boxes``, ``detections_from_candidates`` and ``postprocess(outputs, spec, info)``.
Arguments are checked here and again in C++; every error is a ``ValueError``.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Literal, Mapping, Optional, Sequence, Tuple, Union, overload

import numpy as np

from pyalign import _core
from pyalign.spec.arguments import (Candidates, Outputs, as_float_array, as_output_list, box_mapping, check_anchors,
                                    check_boxes, check_classes, check_common, check_input_size, check_int,
                                    check_layout, check_reg_max, check_scores, check_strides, check_threshold,
                                    drop_batch, flatten_logits, input_size_for, one_output)
from pyalign.spec.postprocess import DEFAULT_YOLOV5_ANCHORS, resolve

_pp = _core.postprocess

__all__: List[str] = [
    "Candidates",
    "softmax",
    "topk",
    "classify",
    "segment_argmax",
    "decode_yolov8",
    "decode_yolov5",
    "decode_yolox",
    "nms",
    "map_boxes",
    "detections_from_candidates",
    "postprocess",
    "grid_shapes",
]


def _size(input_size: Optional[Sequence[int]]) -> Tuple[int, int]:
    s = check_input_size(input_size)
    return (0, 0) if s is None else s


def grid_shapes(num_anchors: int, strides: Sequence[int], input_size: Optional[Sequence[int]] = None) -> List[Tuple[int, int]]:
    """``(grid_h, grid_w)`` per level of a concatenated output (see the reference).

    Parameters
    ----------
    num_anchors : int
        Total number of anchor points (e.g. 8400 for 640x640 with strides 8, 16, 32).
    strides : sequence of int
        Stride of every level, in the order the levels are concatenated.
    input_size : (width, height), optional
        The model input size; without it the input is taken as square (the smallest side
        whose grids give ``num_anchors`` points).

    Returns
    -------
    list of (int, int)
        Grid height and width per level.
    """
    strides = check_strides(strides)
    w, h = _size(input_size)
    return [tuple(s) for s in _pp.grid_shapes(check_int("num_anchors", num_anchors, 0), strides, w, h)]


def softmax(logits: Any) -> np.ndarray:
    """Numerically stable softmax of a 1-D vector; non-finite logits get 0.

    Parameters
    ----------
    logits : array_like
        1-D logits.

    Returns
    -------
    numpy.ndarray
        float32 probabilities.
    """
    return _pp.softmax(as_float_array("logits", logits))


def topk(scores: Any, k: int) -> np.ndarray:
    """Indices of the ``k`` largest finite scores, descending, ties by the lower index.

    Parameters
    ----------
    scores : array_like
        1-D scores.
    k : int
        >= 1.

    Returns
    -------
    numpy.ndarray
        int64 indices.
    """
    return _pp.topk(as_float_array("scores", scores), check_int("k", k, 1))


@overload
def classify(logits: Any, topk: int = ..., softmax: bool = ..., *,  # noqa: A002
             return_stats: Literal[False] = ...) -> np.ndarray: ...
@overload
def classify(logits: Any, topk: int = ..., softmax: bool = ..., *,  # noqa: A002
             return_stats: Literal[True]) -> Tuple[np.ndarray, Dict[str, int]]: ...
@overload
def classify(logits: Any, topk: int = ..., softmax: bool = ..., *,  # noqa: A002
             return_stats: bool) -> Union[np.ndarray, Tuple[np.ndarray, Dict[str, int]]]: ...


def classify(logits: Any, topk: int = 5, softmax: bool = True, *,  # noqa: A002
             return_stats: bool = False) -> Union[np.ndarray, Tuple[np.ndarray, Dict[str, int]]]:
    """Top-k classification: float32 ``[k, 2]`` rows ``(class_id, probability)``.

    Parameters
    ----------
    logits : array_like
        ``[C]``, ``[1, C]`` or ``[1, C, 1, 1]``.
    topk : int
    softmax : bool
    return_stats : bool
        Also return ``{"nonfinite_scores": n}``.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, dict)
        The ``[k, 2]`` rows, with the stats dict when ``return_stats``.
    """
    x = flatten_logits(logits)
    out, bad = _pp.classify(x, check_int("topk", topk, 1), bool(softmax))
    return (out, {"nonfinite_scores": int(bad)}) if return_stats else out


@overload
def segment_argmax(logits: Any, layout: str = ..., *, return_stats: Literal[False] = ...) -> np.ndarray: ...
@overload
def segment_argmax(logits: Any, layout: str = ..., *,
                   return_stats: Literal[True]) -> Tuple[np.ndarray, Dict[str, int]]: ...
@overload
def segment_argmax(logits: Any, layout: str = ..., *,
                   return_stats: bool) -> Union[np.ndarray, Tuple[np.ndarray, Dict[str, int]]]: ...


def segment_argmax(logits: Any, layout: str = "NCHW", *,
                   return_stats: bool = False) -> Union[np.ndarray, Tuple[np.ndarray, Dict[str, int]]]:
    """Per-pixel argmax (int32 ``[H, W]``); NaN counts as -Inf, all-NaN pixels get -1.

    Parameters
    ----------
    logits : array_like
        ``[1, C, H, W]`` / ``[C, H, W]`` or ``[1, H, W, C]`` / ``[H, W, C]``.
    layout : {"NCHW", "NHWC"}
    return_stats : bool
        Also return ``{"nan_pixels": n}``.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, dict)
        The ``[H, W]`` class map, with the stats dict when ``return_stats``.
    """
    layout = check_layout(layout)
    x = drop_batch(as_float_array("logits", logits), 3, "logits")
    mask, nan_pixels = _pp.segment_argmax(np.ascontiguousarray(x), layout)
    return (mask, {"nan_pixels": int(nan_pixels)}) if return_stats else mask


def _candidates(t: Tuple[np.ndarray, np.ndarray, np.ndarray, Dict[str, int]]) -> Candidates:
    boxes, scores, classes, stats = t
    return Candidates(boxes, scores, classes, {k: int(v) for k, v in stats.items()})


def decode_yolov8(
    outputs: Any,
    num_classes: int = 80,
    reg_max: int = 16,
    strides: Sequence[int] = (8, 16, 32),
    conf_threshold: float = 0.25,
    pre_nms_topk: Optional[int] = None,
    input_size: Optional[Sequence[int]] = None,
    activated: Optional[bool] = None,
) -> Candidates:
    """Decode YOLOv8 / YOLO11 outputs in C++ (see :func:`pyalign.reference.postprocess.decode_yolov8`).

    Parameters
    ----------
    outputs : array, list of arrays or mapping of name -> array (insertion order)
        One concatenated output (``[1, C, A]`` or ``[1, A, C]``) or one array per stride.
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
        Whether class scores are probabilities (True) or logits (False); default: True for
        one concatenated output, False for per-stride outputs.

    Returns
    -------
    Candidates
        boxes float32 ``[M, 4]``, scores float32 ``[M]``, classes int64 ``[M]``, stats dict.
    """
    nc, conf, ptk = check_common(num_classes, conf_threshold, pre_nms_topk)
    reg_max = check_reg_max(reg_max)
    w, h = _size(input_size)
    act = -1 if activated is None else int(bool(activated))
    return _candidates(
        _pp.decode_yolov8(as_output_list(outputs), nc, reg_max, check_strides(strides), conf, ptk or 0, w, h, act)
    )


def decode_yolov5(
    outputs: Any,
    num_classes: int = 80,
    anchors: Sequence[Sequence[float]] = DEFAULT_YOLOV5_ANCHORS,
    strides: Sequence[int] = (8, 16, 32),
    activated: bool = False,
    conf_threshold: float = 0.25,
    pre_nms_topk: Optional[int] = None,
) -> Candidates:
    """Decode YOLOv5 outputs in C++ (see :func:`pyalign.reference.postprocess.decode_yolov5`).

    Parameters
    ----------
    outputs : array, list of arrays or mapping of name -> array (insertion order)
        One raw head output per stride, or the concatenated, decoded ``[1, N, 5 + nc]``.
    num_classes : int
    anchors : list of lists
        Per stride, ``[w0, h0, w1, h1, ...]`` in input pixels.
    strides : sequence of int
    activated : bool
        Head values already passed through a sigmoid.
    conf_threshold : float
        Keep ``score > conf_threshold`` (``score = obj * cls``).
    pre_nms_topk : int, optional
        Keep at most this many candidates (highest scores).

    Returns
    -------
    Candidates
    """
    nc, conf, ptk = check_common(num_classes, conf_threshold, pre_nms_topk)
    strides = check_strides(strides)
    anchors = check_anchors(anchors, len(strides))
    return _candidates(
        _pp.decode_yolov5(as_output_list(outputs), nc, anchors, strides, bool(activated), conf, ptk or 0)
    )


def decode_yolox(
    outputs: Any,
    num_classes: int = 80,
    strides: Sequence[int] = (8, 16, 32),
    conf_threshold: float = 0.25,
    pre_nms_topk: Optional[int] = None,
    input_size: Optional[Sequence[int]] = None,
) -> Candidates:
    """Decode YOLOX outputs in C++ (see :func:`pyalign.reference.postprocess.decode_yolox`).

    Parameters
    ----------
    outputs : array, list of one array or mapping of one name -> array
        ``[1, A, 5 + nc]`` (not decoded in the graph).
    num_classes : int
    strides : sequence of int
    conf_threshold : float
        Keep ``score > conf_threshold`` (``score = obj * cls``).
    pre_nms_topk : int, optional
        Keep at most this many candidates (highest scores).
    input_size : (width, height), optional
        Model input size, to lay out the grids.

    Returns
    -------
    Candidates
    """
    nc, conf, ptk = check_common(num_classes, conf_threshold, pre_nms_topk)
    w, h = _size(input_size)
    return _candidates(_pp.decode_yolox(as_output_list(outputs), nc, check_strides(strides), conf, ptk or 0, w, h))


def nms(
    boxes: Any,
    scores: Any,
    iou_threshold: float,
    classes: Optional[Any] = None,
    max_det: Optional[int] = None,
) -> np.ndarray:
    """Greedy NMS with torchvision semantics, in C++.

    Parameters
    ----------
    boxes : array_like
        ``[N, 4]`` x1, y1, x2, y2.
    scores : array_like
        ``[N]``.
    iou_threshold : float
        >= 0; a box is dropped when IoU > threshold with a kept box.
    classes : array_like, optional
        ``[N]`` class ids: class-aware; None: class-agnostic.
    max_det : int, optional
        Keep at most this many.

    Returns
    -------
    numpy.ndarray
        int64 indices of the kept boxes, score-descending (ties by the lower index).
    """
    b = check_boxes(boxes)
    s = check_scores(scores, b.shape[0])
    thr = check_threshold("iou_threshold", iou_threshold)
    md = -1 if max_det is None else check_int("max_det", max_det, 0)
    c = None if classes is None else check_classes(classes, b.shape[0])
    return _pp.nms(b, s, thr, c, md)


def map_boxes(boxes: Any, info: Any) -> np.ndarray:
    """Map ``[N, 4]`` boxes from model-input pixels to the original image, clipped (C++).

    Parameters
    ----------
    boxes : array_like
    info : LetterboxInfo or dict

    Returns
    -------
    numpy.ndarray
        float32 ``[N, 4]``.
    """
    return _pp.map_boxes(check_boxes(boxes), box_mapping(info))


def detections_from_candidates(
    cand: Candidates,
    iou_threshold: float = 0.45,
    class_agnostic: bool = False,
    max_det: Optional[int] = 300,
    info: Any = None,
) -> np.ndarray:
    """NMS, ``max_det`` and box mapping in one C++ call: float32 ``[N, 6]`` detections.

    Parameters
    ----------
    cand : Candidates
    iou_threshold : float
    class_agnostic : bool
    max_det : int, optional
    info : LetterboxInfo or dict, optional

    Returns
    -------
    numpy.ndarray
    """
    b = check_boxes(cand.boxes)
    s = check_scores(cand.scores, b.shape[0])
    c = check_classes(cand.classes, b.shape[0])
    thr = check_threshold("iou_threshold", iou_threshold)
    md = -1 if max_det is None else check_int("max_det", max_det, 0)
    return _pp.detections(b, s, c, thr, bool(class_agnostic), md, None if info is None else box_mapping(info))


Stats = Dict[str, int]
#: Runs one op: ``(outputs, resolved postprocess parameters, info) -> (result, stats)``.
Runner = Callable[[Outputs, Mapping[str, Any], Any], Tuple[np.ndarray, Stats]]


def _classification(outputs: Outputs, p: Mapping[str, Any], info: Any) -> Tuple[np.ndarray, Stats]:
    return classify(one_output(outputs, "classification"), p["topk"], p["softmax"], return_stats=True)


def _segmentation(outputs: Outputs, p: Mapping[str, Any], info: Any) -> Tuple[np.ndarray, Stats]:
    return segment_argmax(one_output(outputs, "segmentation"), p["layout"], return_stats=True)


def _finish(p: Mapping[str, Any], info: Any) -> Tuple[float, bool, int, Optional[List[float]]]:
    """NMS, max_det and mapping arguments of the fused C++ detectors."""
    mapping = None if info is None else box_mapping(info)
    return float(p["iou_threshold"]), p["class_agnostic"], p["max_det"], mapping


def _detections(t: Tuple[np.ndarray, Dict[str, Any]]) -> Tuple[np.ndarray, Stats]:
    det, stats = t
    return det, {**{k: int(v) for k, v in stats.items()}, "detections": int(det.shape[0])}


def _yolov8(outputs: Outputs, p: Mapping[str, Any], info: Any) -> Tuple[np.ndarray, Stats]:
    w, h = _size(input_size_for(p, info))
    act = -1 if p["activated"] is None else int(p["activated"])
    return _detections(_pp.detect_yolov8(as_output_list(outputs), p["num_classes"], p["reg_max"], p["strides"],
                                         p["conf_threshold"], p["pre_nms_topk"], w, h, act, *_finish(p, info)))


def _yolov5(outputs: Outputs, p: Mapping[str, Any], info: Any) -> Tuple[np.ndarray, Stats]:
    return _detections(_pp.detect_yolov5(as_output_list(outputs), p["num_classes"], p["anchors"], p["strides"],
                                         p["activated"], p["conf_threshold"], p["pre_nms_topk"], *_finish(p, info)))


def _yolox(outputs: Outputs, p: Mapping[str, Any], info: Any) -> Tuple[np.ndarray, Stats]:
    w, h = _size(input_size_for(p, info))
    return _detections(_pp.detect_yolox(as_output_list(outputs), p["num_classes"], p["strides"],
                                        p["conf_threshold"], p["pre_nms_topk"], w, h, *_finish(p, info)))


#: The C++ implementation of every op of :data:`pyalign.spec.postprocess.OPS` (the detectors
#: decode, suppress and map in one call).
RUNNERS: Dict[str, Runner] = {
    "classification": _classification,
    "yolov8": _yolov8,
    "yolov5": _yolov5,
    "yolox": _yolox,
    "segmentation": _segmentation,
}


@overload
def postprocess(outputs: Any, spec: Mapping[str, Any], info: Any = ..., *,
                return_stats: Literal[False] = ...) -> np.ndarray: ...
@overload
def postprocess(outputs: Any, spec: Mapping[str, Any], info: Any = ..., *,
                return_stats: Literal[True]) -> Tuple[np.ndarray, Dict[str, int]]: ...
@overload
def postprocess(outputs: Any, spec: Mapping[str, Any], info: Any = ..., *,
                return_stats: bool) -> Union[np.ndarray, Tuple[np.ndarray, Dict[str, int]]]: ...


def postprocess(outputs: Any, spec: Mapping[str, Any], info: Any = None, *,
                return_stats: bool = False) -> Union[np.ndarray, Tuple[np.ndarray, Dict[str, int]]]:
    """Run a spec's postprocess op in C++ (same contract as the numpy reference).

    Parameters
    ----------
    outputs : array, list of arrays or mapping of name -> array (insertion order)
    spec : dict
        The spec's ``postprocess`` object (validated by :func:`pyalign.spec.postprocess.resolve`).
    info : LetterboxInfo or dict, optional
    return_stats : bool
        Also return the op's counters (a dict of ints).

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, dict)
        Detections float32 ``[N, 6]``, classes float32 ``[k, 2]`` or int32 mask ``[H, W]``;
        with the stats dict when ``return_stats``.

    Raises
    ------
    ValueError
        An invalid spec, outputs or info (checked in Python and again in C++).
    """
    p = resolve(spec)
    run = RUNNERS.get(p["op"])
    if run is None:
        raise ValueError(f"postprocess op {p['op']!r} has no C++ implementation")
    result, stats = run(outputs, p, info)
    return (result, stats) if return_stats else result

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

The functions live by family and are re-exported here: :mod:`pyalign.reference.classify`
(``softmax``, ``topk``, ``classify``, ``segment_argmax``), :mod:`pyalign.reference.yolo`
(``grid_shapes`` and the decoders) and :mod:`pyalign.reference.nms` (``nms``, ``map_boxes``,
``detections_from_candidates``). :func:`postprocess` runs a spec's op: it takes the op's
parameters from the registry of postprocess ops (:func:`pyalign.spec.postprocess.resolve`)
and dispatches on ``op`` through :data:`RUNNERS`.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Tuple, Union

import numpy as np

from pyalign.reference.classify import classify, segment_argmax, softmax, topk
from pyalign.reference.nms import detections_from_candidates, map_boxes, nms
from pyalign.reference.yolo import decode_yolov5, decode_yolov8, decode_yolox, grid_shapes
from pyalign.spec.arguments import Candidates, Outputs, input_size_for, one_output
from pyalign.spec.postprocess import DEFAULT_YOLOV5_ANCHORS, resolve

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

Stats = Dict[str, int]
#: Runs one op: ``(outputs, resolved postprocess parameters, info) -> (result, stats)``.
Runner = Callable[[Outputs, Mapping[str, Any], Any], Tuple[np.ndarray, Stats]]


def _classification(outputs: Outputs, p: Mapping[str, Any], info: Any) -> Tuple[np.ndarray, Stats]:
    return classify(one_output(outputs, "classification"), p["topk"], p["softmax"], return_stats=True)


def _segmentation(outputs: Outputs, p: Mapping[str, Any], info: Any) -> Tuple[np.ndarray, Stats]:
    return segment_argmax(one_output(outputs, "segmentation"), p["layout"], return_stats=True)


def _decoder_args(p: Mapping[str, Any]) -> Dict[str, Any]:
    return {"num_classes": p["num_classes"], "strides": p["strides"], "conf_threshold": p["conf_threshold"],
            "pre_nms_topk": p["pre_nms_topk"]}


def _detections(cand: Candidates, p: Mapping[str, Any], info: Any) -> Tuple[np.ndarray, Stats]:
    det = detections_from_candidates(cand, p["iou_threshold"], p["class_agnostic"], p["max_det"], info)
    return det, {**cand.stats, "detections": int(det.shape[0])}


def _yolov8(outputs: Outputs, p: Mapping[str, Any], info: Any) -> Tuple[np.ndarray, Stats]:
    cand = decode_yolov8(outputs, reg_max=p["reg_max"], input_size=input_size_for(p, info), activated=p["activated"],
                         **_decoder_args(p))
    return _detections(cand, p, info)


def _yolov5(outputs: Outputs, p: Mapping[str, Any], info: Any) -> Tuple[np.ndarray, Stats]:
    cand = decode_yolov5(outputs, anchors=p["anchors"], activated=p["activated"], **_decoder_args(p))
    return _detections(cand, p, info)


def _yolox(outputs: Outputs, p: Mapping[str, Any], info: Any) -> Tuple[np.ndarray, Stats]:
    cand = decode_yolox(outputs, input_size=input_size_for(p, info), **_decoder_args(p))
    return _detections(cand, p, info)


#: The numpy implementation of every op of :data:`pyalign.spec.postprocess.OPS`.
RUNNERS: Dict[str, Runner] = {
    "classification": _classification,
    "yolov8": _yolov8,
    "yolov5": _yolov5,
    "yolox": _yolox,
    "segmentation": _segmentation,
}


def postprocess(outputs: Outputs, spec: Mapping[str, Any], info: Any = None, *,
                return_stats: bool = False) -> Union[np.ndarray, Tuple[np.ndarray, Stats]]:
    """Run a spec's postprocess op on the model outputs.

    Parameters
    ----------
    outputs : array, list of arrays or mapping of name -> array (insertion order)
        The model outputs, in the model's order.
    spec : dict
        The spec's ``postprocess`` object (validated by :func:`pyalign.spec.postprocess.resolve`;
        see ``docs/postprocessing.md``).
    info : LetterboxInfo or dict, optional
        Letterbox/resize geometry: detections are mapped back to the original image.
    return_stats : bool
        Also return a dict of counts (non-finite values dropped, candidates...).

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, dict)
        Detections float32 ``[N, 6]``, classes float32 ``[k, 2]`` or an int32 ``[H, W]`` mask;
        with the stats dict when ``return_stats``.

    Raises
    ------
    ValueError
        An invalid spec, outputs or info.
    """
    p = resolve(spec)
    run = RUNNERS.get(p["op"])
    if run is None:
        raise ValueError(f"postprocess op {p['op']!r} has no numpy reference")
    result, stats = run(outputs, p, info)
    return (result, stats) if return_stats else result

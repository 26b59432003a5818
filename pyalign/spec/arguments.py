"""Argument checks of the postprocess kernels, shared by the numpy reference and the C++ binding.

:mod:`pyalign.reference` (numpy) and :mod:`pyalign.core` (C++) implement the same functions
(``classify``, ``decode_yolov8``, ``nms``, ``map_boxes`` ...) independently; what they take is
checked here, once, with the same ``ValueError`` messages on both sides: numbers and
thresholds, the model outputs (an array, a list of arrays or a mapping name -> array),
strides and input sizes, boxes/scores/classes, the letterbox geometry (``info``). The
:class:`Candidates` both decoders return is defined here too.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from pyalign.spec.postprocess import MAX_CLASSES, MAX_COUNT, MAX_STRIDE

__all__ = [
    "Candidates",
    "Outputs",
    "REG_MAX_CAPACITY",
    "INFO_KEYS",
    "check_threshold",
    "check_int",
    "as_float_array",
    "as_output_list",
    "one_output",
    "check_strides",
    "drop_batch",
    "check_input_size",
    "check_common",
    "check_reg_max",
    "check_anchors",
    "check_boxes",
    "check_scores",
    "check_classes",
    "flatten_logits",
    "check_layout",
    "info_mapping",
    "info_dict",
    "box_mapping",
    "input_size_for",
]

Outputs = Union[np.ndarray, Sequence[np.ndarray], Mapping]

#: Largest ``reg_max`` the decoders accept (the C++ decoder's bound); a spec is held to
#: :data:`pyalign.spec.postprocess.REG_MAX_LIMIT`.
REG_MAX_CAPACITY = 1024

#: The letterbox geometry fields that map boxes back to the original image.
INFO_KEYS = ("scale_x", "scale_y", "pad_left", "pad_top", "src_width", "src_height")


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


# ----------------------------------------------------------------------------- numbers


def check_threshold(name: str, value: Any, upper: Optional[float] = None) -> float:
    """A finite number >= 0 (and <= ``upper`` when given), as a float."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if upper is not None and v > upper:
        raise ValueError(f"{name} must be <= {upper}, got {value!r}")
    return v


def check_int(name: str, value: Any, minimum: int, maximum: int = MAX_COUNT) -> int:
    """An int (not a bool; numpy integers accepted) in ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    if int(value) > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value!r}")
    return int(value)


def check_common(num_classes: Any, conf_threshold: Any, pre_nms_topk: Any) -> Tuple[int, float, Optional[int]]:
    """The arguments every decoder takes: ``num_classes``, ``conf_threshold``, ``pre_nms_topk``."""
    nc = check_int("num_classes", num_classes, 1, MAX_CLASSES)
    conf = check_threshold("conf_threshold", conf_threshold)
    topk_ = None if pre_nms_topk is None else check_int("pre_nms_topk", pre_nms_topk, 1)
    return nc, conf, topk_


def check_reg_max(reg_max: Any) -> int:
    """DFL bins per box side, in ``[0, REG_MAX_CAPACITY]``."""
    return check_int("reg_max", reg_max, 0, REG_MAX_CAPACITY)


# ----------------------------------------------------------------------------- arrays


def as_float_array(name: str, x: Any) -> np.ndarray:
    """A real-valued array as C-contiguous float32; ``name`` is used in errors."""
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        what = ("complex arrays are not supported" if a.dtype.kind == "c"
                else f"expected a numeric array, got dtype {a.dtype}")
        raise ValueError(f"{name}: {what}")
    return np.ascontiguousarray(a, dtype=np.float32)


def as_output_list(outputs: Outputs) -> List[np.ndarray]:
    """The model outputs as a list of float32 arrays.

    Parameters
    ----------
    outputs : array, list/tuple of arrays or mapping name -> array
        A mapping (``Capture.model_output``, ``dict(zip(names, session.run(None, feed)))``
        from onnxruntime) is taken in its insertion order, which must be the model's output
        order.

    Returns
    -------
    list of numpy.ndarray
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
    return [as_float_array(n, a) for n, a in zip(names, arrays)]


def one_output(outputs: Outputs, op: str) -> np.ndarray:
    """The single model output of an op that takes one (classification, segmentation)."""
    arrays = as_output_list(outputs)
    if len(arrays) != 1:
        raise ValueError(f"{op}: expected one output, got {len(arrays)}")
    return arrays[0]


def drop_batch(a: np.ndarray, ndim: int, what: str) -> np.ndarray:
    """Accept ``[1, ...]`` with ``ndim`` dims after the batch, or the same without batch."""
    if a.ndim == ndim + 1:
        if a.shape[0] != 1:
            raise ValueError(f"{what}: batch size {a.shape[0]} is not supported (expected 1), shape {a.shape}")
        return a[0]
    if a.ndim == ndim:
        return a
    raise ValueError(f"{what}: expected {ndim + 1} dimensions [1, ...], got shape {a.shape}")


def flatten_logits(logits: Any) -> np.ndarray:
    """Classification logits ``[C]``, ``[1, C]`` or ``[1, C, 1, 1]`` as a float32 vector."""
    x = as_float_array("logits", logits)
    if x.ndim == 0 or x.size == 0:
        raise ValueError(f"logits: expected a non-empty vector such as [1, C], got shape {x.shape}")
    if sum(1 for d in x.shape if d != 1) > 1:
        raise ValueError(f"logits: expected one class axis (e.g. [1, C] or [1, C, 1, 1]), got shape {x.shape}")
    return x.reshape(-1)


def check_layout(layout: Any) -> str:
    """A segmentation logits layout, ``"NCHW"`` or ``"NHWC"``."""
    if layout not in ("NCHW", "NHWC"):
        raise ValueError(f"layout must be 'NCHW' or 'NHWC', got {layout!r}")
    return str(layout)


def check_boxes(boxes: Any) -> np.ndarray:
    """``[N, 4]`` x1, y1, x2, y2 as float32."""
    b = as_float_array("boxes", boxes)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"boxes: expected shape [N, 4] (x1, y1, x2, y2), got {b.shape}")
    return b


def check_scores(scores: Any, n: int) -> np.ndarray:
    """``[n]`` scores as float32."""
    s = as_float_array("scores", scores)
    if s.ndim != 1 or s.shape[0] != n:
        raise ValueError(f"scores: expected shape [{n}] to match boxes, got {s.shape}")
    return s


def check_classes(classes: Any, n: int) -> np.ndarray:
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


# ----------------------------------------------------------------------------- grids


def check_strides(strides: Any) -> List[int]:
    """A non-empty list of strides in ``[1, MAX_STRIDE]``."""
    if isinstance(strides, (str, bytes)) or not isinstance(strides, (list, tuple, np.ndarray)) or len(strides) == 0:
        raise ValueError(f"strides must be a non-empty list of positive integers, got {strides!r}")
    return [check_int("strides[]", s, 1, MAX_STRIDE) for s in strides]


def check_input_size(input_size: Optional[Sequence[int]]) -> Optional[Tuple[int, int]]:
    """``(width, height)`` of the model input, or None."""
    if input_size is None:
        return None
    if len(input_size) != 2:
        raise ValueError(f"input_size must be [width, height], got {input_size!r}")
    w = check_int("input_size width", input_size[0], 1)
    h = check_int("input_size height", input_size[1], 1)
    if max(w, h) > 2**30:
        raise ValueError(f"input_size {input_size!r} is too large")
    return w, h


def check_anchors(anchors: Any, levels: int) -> List[List[float]]:
    """YOLOv5 anchors: one ``[w0, h0, w1, h1, ...]`` list of finite positive sizes per level."""
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


# ----------------------------------------------------------------------------- geometry


def info_mapping(info: Any) -> Any:
    """A LetterboxInfo-like object as a dict of its mapping fields (anything else is returned as is)."""
    if isinstance(info, Mapping) or not hasattr(info, "scale_x"):
        return info
    return {k: getattr(info, k, None) for k in INFO_KEYS + ("dst_width", "dst_height")}


def info_dict(info: Any) -> Dict[str, float]:
    """The mapping fields of a LetterboxInfo (or of a dict with the same keys), validated.

    Returns
    -------
    dict
        :data:`INFO_KEYS` as floats, plus ``dst_width``/``dst_height`` when given.
    """
    if info is None:
        raise ValueError("info is None")
    info = info_mapping(info)
    if not isinstance(info, Mapping):
        raise ValueError(f"info must be a LetterboxInfo or a dict, got {type(info).__name__}")
    missing = [k for k in INFO_KEYS if k not in info]
    if missing:
        raise ValueError(f"info is missing {', '.join(missing)}")
    out: Dict[str, float] = {}
    for k in INFO_KEYS:
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


def box_mapping(info: Any) -> List[float]:
    """The validated geometry as ``[scale_x, scale_y, pad_left, pad_top, src_width, src_height]``."""
    d = info_dict(info)
    return [d[k] for k in INFO_KEYS]


def input_size_for(p: Mapping[str, Any], info: Any) -> Optional[Tuple[int, int]]:
    """The model input size: the spec's ``input_size``, else the info's dst size, else None."""
    if p.get("input_size") is not None:
        w, h = p["input_size"]
        return int(w), int(h)
    if info is None:
        return None
    info = info_mapping(info)
    if isinstance(info, Mapping) and info.get("dst_width") and info.get("dst_height"):
        return int(info["dst_width"]), int(info["dst_height"])
    return None

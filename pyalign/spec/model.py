"""Pipeline spec: load, validate and normalise the JSON that describes a pipeline.

A spec names the input (format and size), the preprocessing ops in order and the
postprocessing op. :func:`load_spec` returns a *normalised* plain dict: every
default is filled in, numbers have their final type, so the Python reference and
the C++ core read the same explicit parameters. Every problem raises
:class:`pyalign.errors.SpecError` naming the spec file (when there is one) and
the JSON path of the offending field, e.g. ``spec.json: preprocess[2].size: ...``.

The rules (see ``docs/pipeline.md``):

* ``input.format`` is one of :data:`INPUT_FORMATS` (:mod:`pyalign.formats`); ``width``/``height``
  are positive ints that the format's chroma subsampling allows (4:2:0: even width and height,
  4:2:2: even width).
* a YUV input needs a ``csc`` op first; ``csc`` is only valid for a YUV input.
* ops come in this order, each at most once: ``csc``, then one of ``resize`` /
  ``letterbox``, ``swap_rb`` (before ``normalize``), ``normalize``, ``layout`` last.
* ``normalize`` mean/std have 1 or ``channels`` finite numbers; std is not 0.
"""
from __future__ import annotations

import json
import math
import os
import pathlib
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from pyalign import formats
from pyalign.errors import SpecError
from pyalign.formats import YUV_FORMATS

__all__ = [
    "INPUT_FORMATS",
    "YUV_FORMATS",
    "PREPROCESS_OPS",
    "POSTPROCESS_OPS",
    "TensorInfo",
    "load_spec",
    "validate_spec",
    "raw_input_shape",
    "check_raw_input",
    "preprocessed_info",
    "model_input_size",
    "dump_spec",
]

INPUT_FORMATS = formats.FORMAT_NAMES  # canonical names only: a spec does not take aliases
PREPROCESS_OPS = ("csc", "resize", "letterbox", "swap_rb", "normalize", "layout")
POSTPROCESS_OPS = ("classification", "yolov8", "yolov5", "yolox", "segmentation")
CSC_MODES = ("opencv", "full_range", "limited_range", "matrix")
LAYOUTS = ("NCHW", "NHWC", "CHW", "HWC")
MAX_SIDE = 1 << 16

# Rank of each op in the only order the pipeline accepts.
_ORDER = {"csc": 0, "resize": 1, "letterbox": 1, "swap_rb": 2, "normalize": 3, "layout": 4}
_OP_KEYS = {
    "csc": {"op", "to", "mode", "matrix"},
    "resize": {"op", "size", "interpolation"},
    "letterbox": {"op", "size", "pad_value", "style"},
    "swap_rb": {"op"},
    "normalize": {"op", "mean", "std"},
    "layout": {"op", "to"},
}
_THRESH_KEYS = {"conf_threshold", "iou_threshold", "class_agnostic", "max_det", "pre_nms_topk", "input_size"}
_POST_KEYS = {
    "classification": {"op", "topk", "softmax"},
    "yolov8": {"op", "num_classes", "reg_max", "strides", "activated"} | _THRESH_KEYS,
    "yolov5": {"op", "num_classes", "anchors", "strides", "activated"} | _THRESH_KEYS,
    "yolox": {"op", "num_classes", "strides"} | _THRESH_KEYS,
    "segmentation": {"op", "layout"},
}
_TOP_KEYS = {"input", "preprocess", "postprocess", "name", "description"}
DEFAULT_ANCHORS = [[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119], [116, 90, 156, 198, 373, 326]]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class TensorInfo:
    """What the preprocessed tensor of a spec looks like.

    Attributes
    ----------
    shape : tuple of int
    dtype : str
        ``"uint8"`` without ``normalize``, else ``"float32"``.
    layout : str
        ``NCHW``, ``NHWC``, ``CHW``, ``HWC`` or ``HW`` (gray without a layout op).
    color : str
        ``BGR``, ``RGB`` or ``GRAY``.
    """

    shape: Tuple[int, ...]
    dtype: str
    layout: str
    color: str

    def to_dict(self) -> Dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return {"shape": list(self.shape), "dtype": self.dtype, "layout": self.layout, "color": self.color}


class _Ctx:
    """Carries the spec's file name so each error can name it."""

    def __init__(self, path: Optional[str]) -> None:
        self.path = path

    def fail(self, where: str, what: str) -> SpecError:
        return SpecError(f"{where}: {what}" if where else what, self.path)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _int(c: _Ctx, where: str, v: Any, lo: int = 1, hi: Optional[int] = None) -> int:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not _is_int(v):
        raise c.fail(where, f"expected an integer, got {_show(v)}")
    if v < lo or (hi is not None and v > hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise c.fail(where, f"must be {rng}, got {v}")
    return int(v)


def _num(c: _Ctx, where: str, v: Any, lo: Optional[float] = None, hi: Optional[float] = None) -> float:
    if not _is_num(v):
        raise c.fail(where, f"expected a finite number, got {_show(v)}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise c.fail(where, f"must be in [{lo}, {hi}], got {v}")
    return float(v)


def _show(v: Any) -> str:
    """A value as the spec's author wrote it: JSON when it is JSON, else its repr."""
    try:
        return json.dumps(v)
    except (TypeError, ValueError):
        return repr(v)


def _bool(c: _Ctx, where: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise c.fail(where, f"expected true or false, got {_show(v)}")
    return v


def _choice(c: _Ctx, where: str, v: Any, choices: Sequence[str]) -> str:
    if not isinstance(v, str) or v not in choices:
        raise c.fail(where, f"expected one of {', '.join(choices)}, got {_show(v)}")
    return v


def _obj(c: _Ctx, where: str, v: Any) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise c.fail(where, f"expected an object, got {type(v).__name__}")
    return v


def _keys(c: _Ctx, where: str, d: Mapping[str, Any], allowed: set) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise c.fail(where, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _size(c: _Ctx, where: str, v: Any) -> List[int]:
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise c.fail(where, f"expected [width, height], got {_show(v)}")
    return [_int(c, f"{where}[0]", v[0], 1, MAX_SIDE), _int(c, f"{where}[1]", v[1], 1, MAX_SIDE)]


def _numlist(c: _Ctx, where: str, v: Any, channels: int) -> List[float]:
    if _is_num(v):
        v = [v]
    if not isinstance(v, (list, tuple)) or len(v) == 0:
        raise c.fail(where, f"expected a list of numbers, got {_show(v)}")
    if len(v) not in (1, channels):
        raise c.fail(where, f"has {len(v)} values; the image has {channels} channel(s): give 1 or {channels}")
    return [_num(c, f"{where}[{i}]", x) for i, x in enumerate(v)]


def _validate_input(c: _Ctx, v: Any) -> Dict[str, Any]:
    d = _obj(c, "input", v)
    _keys(c, "input", d, {"format", "width", "height"})
    for k in ("format", "width", "height"):
        if k not in d:
            raise c.fail("input", f"missing key {k!r}")
    fmt = _choice(c, "input.format", d["format"], INPUT_FORMATS)
    w = _int(c, "input.width", d["width"], 1, MAX_SIDE)
    h = _int(c, "input.height", d["height"], 1, MAX_SIDE)
    try:
        formats.check_size(fmt, w, h)
    except ValueError as e:
        raise c.fail("input", str(e)) from None
    return {"format": fmt, "width": w, "height": h}


def _validate_op(c: _Ctx, where: str, op: Mapping[str, Any], fmt: str) -> Dict[str, Any]:
    name = op["op"]
    _keys(c, where, op, _OP_KEYS[name])
    channels = formats.lookup(fmt).channels
    if name == "csc":
        mode = _choice(c, f"{where}.mode", op.get("mode", "opencv"), CSC_MODES)
        out: Dict[str, Any] = {"op": "csc", "to": _choice(c, f"{where}.to", op.get("to", "BGR"), ("BGR", "RGB")),
                               "mode": mode}
        if mode == "matrix":
            m = op.get("matrix")
            if not isinstance(m, (list, tuple)) or len(m) != 12:
                raise c.fail(f"{where}.matrix", "mode 'matrix' needs 12 numbers (3 rows of 4: Y, U, V weights and a bias)")
            out["matrix"] = [_num(c, f"{where}.matrix[{i}]", x) for i, x in enumerate(m)]
        elif "matrix" in op:
            raise c.fail(f"{where}.matrix", f"only allowed with mode 'matrix', not {mode!r}")
        return out
    if name == "resize":
        return {"op": "resize", "size": _size(c, f"{where}.size", op.get("size")),
                "interpolation": _choice(c, f"{where}.interpolation", op.get("interpolation", "linear"),
                                         ("linear", "nearest"))}
    if name == "letterbox":
        pad = op.get("pad_value", 114)
        pads = _numlist(c, f"{where}.pad_value", pad, channels)
        for p in pads:
            if not 0 <= p <= 255:
                raise c.fail(f"{where}.pad_value", f"must be in [0, 255], got {p}")
        whole: List[Union[int, float]] = [int(p) if p.is_integer() else p for p in pads]
        pad_out = whole[0] if len(whole) == 1 else whole
        return {"op": "letterbox", "size": _size(c, f"{where}.size", op.get("size")), "pad_value": pad_out,
                "style": _choice(c, f"{where}.style", op.get("style", "ultralytics"), ("ultralytics", "center"))}
    if name == "swap_rb":
        if channels != 3:
            raise c.fail(where, f"swap_rb needs a 3-channel image, the input is {fmt}")
        return {"op": "swap_rb"}
    if name == "normalize":
        for k in ("mean", "std"):
            if k not in op:
                raise c.fail(where, f"missing key {k!r}")
        mean = _numlist(c, f"{where}.mean", op["mean"], channels)
        std = _numlist(c, f"{where}.std", op["std"], channels)
        for i, s in enumerate(std):
            if s == 0:
                raise c.fail(f"{where}.std[{i}]", "must not be 0")
        return {"op": "normalize", "mean": mean, "std": std}
    # layout
    if "to" not in op:
        raise c.fail(where, "missing key 'to'")
    return {"op": "layout", "to": _choice(c, f"{where}.to", op["to"], LAYOUTS)}


def _validate_preprocess(c: _Ctx, v: Any, fmt: str) -> List[Dict[str, Any]]:
    if v is None:
        v = []
    if not isinstance(v, (list, tuple)):
        raise c.fail("preprocess", f"expected a list of ops, got {type(v).__name__}")
    out: List[Dict[str, Any]] = []
    last_rank, last_name = -1, None
    for i, raw in enumerate(v):
        where = f"preprocess[{i}]"
        op = _obj(c, where, raw)
        if "op" not in op:
            raise c.fail(where, "missing key 'op'")
        name = op["op"]
        if not isinstance(name, str) or name not in _ORDER:
            raise c.fail(f"{where}.op", f"unknown op {_show(name)} "
                         f"(known: {', '.join(PREPROCESS_OPS)})")
        if name == "csc" and not formats.is_yuv(fmt):
            raise c.fail(where, f"csc converts a YUV input, but input.format is {fmt}")
        rank = _ORDER[name]
        if rank == last_rank:
            raise c.fail(where, f"{name!r} after {last_name!r}: at most one "
                         + ("resize or letterbox" if rank == 1 else repr(name)))
        if rank < last_rank:
            raise c.fail(where, f"{name!r} must come before {last_name!r} "
                         "(order: csc, resize|letterbox, swap_rb, normalize, layout)")
        last_rank, last_name = rank, name
        out.append(_validate_op(c, where, op, fmt))
    if formats.is_yuv(fmt) and (not out or out[0]["op"] != "csc"):
        raise c.fail("preprocess", f"input.format {fmt} needs a csc op first (to BGR or RGB)")
    return out


def _validate_postprocess(c: _Ctx, v: Any) -> Optional[Dict[str, Any]]:
    if v is None:
        return None
    d = _obj(c, "postprocess", v)
    if "op" not in d:
        raise c.fail("postprocess", "missing key 'op'")
    name = d["op"]
    if not isinstance(name, str) or name not in _POST_KEYS:
        raise c.fail("postprocess.op", f"unknown op {_show(name)} "
                     f"(known: {', '.join(POSTPROCESS_OPS)})")
    _keys(c, "postprocess", d, _POST_KEYS[name])
    w = "postprocess"
    if name == "classification":
        return {"op": name, "topk": _int(c, f"{w}.topk", d.get("topk", 5), 1),
                "softmax": _bool(c, f"{w}.softmax", d.get("softmax", True))}
    if name == "segmentation":
        return {"op": name, "layout": _choice(c, f"{w}.layout", d.get("layout", "NCHW"), ("NCHW", "NHWC"))}
    out: Dict[str, Any] = {"op": name, "num_classes": _int(c, f"{w}.num_classes", d.get("num_classes", 80), 1)}
    if name == "yolov8":
        rm = _int(c, f"{w}.reg_max", d.get("reg_max", 16), 0, 256)
        if rm == 1:
            raise c.fail(f"{w}.reg_max", "must be 0 (DFL in the graph) or >= 2")
        out["reg_max"] = rm
        if d.get("activated") is not None:  # default: probabilities in one tensor, logits per head
            out["activated"] = _bool(c, f"{w}.activated", d["activated"])
    strides = d.get("strides", [8, 16, 32])
    if not isinstance(strides, (list, tuple)) or not strides:
        raise c.fail(f"{w}.strides", f"expected a non-empty list of integers, got {_show(strides)}")
    out["strides"] = [_int(c, f"{w}.strides[{i}]", s, 1) for i, s in enumerate(strides)]
    if name == "yolov5":
        anchors = d.get("anchors", DEFAULT_ANCHORS)
        if not isinstance(anchors, (list, tuple)) or len(anchors) != len(out["strides"]):
            raise c.fail(f"{w}.anchors", f"expected one anchor list per stride ({len(out['strides'])})")
        na = None
        res = []
        for i, a in enumerate(anchors):
            if not isinstance(a, (list, tuple)) or len(a) == 0 or len(a) % 2:
                raise c.fail(f"{w}.anchors[{i}]", "expected an even number of sizes (w0, h0, w1, h1, ...)")
            if na is not None and len(a) != na:
                raise c.fail(f"{w}.anchors[{i}]", "every head needs the same number of anchors")
            na = len(a)
            res.append([_num(c, f"{w}.anchors[{i}][{j}]", x, 0.0) for j, x in enumerate(a)])
            if any(x == 0 for x in res[-1]):
                raise c.fail(f"{w}.anchors[{i}]", "anchor sizes must be > 0")
        out["anchors"] = res
        out["activated"] = _bool(c, f"{w}.activated", d.get("activated", False))
    out["conf_threshold"] = _num(c, f"{w}.conf_threshold", d.get("conf_threshold", 0.25), 0.0, 1.0)
    out["iou_threshold"] = _num(c, f"{w}.iou_threshold", d.get("iou_threshold", 0.45), 0.0, 1.0)
    out["class_agnostic"] = _bool(c, f"{w}.class_agnostic", d.get("class_agnostic", False))
    out["max_det"] = _int(c, f"{w}.max_det", d.get("max_det", 300), 1)
    if d.get("pre_nms_topk") is not None:
        out["pre_nms_topk"] = _int(c, f"{w}.pre_nms_topk", d["pre_nms_topk"], 1)
    if d.get("input_size") is not None:
        out["input_size"] = _size(c, f"{w}.input_size", d["input_size"])
    return out


def validate_spec(spec: Any, path: Optional[PathLike] = None) -> Dict[str, Any]:
    """Validate a spec dict and return its normalised copy.

    Parameters
    ----------
    spec : mapping
        The parsed JSON.
    path : path-like, optional
        The file it came from; named in errors.

    Returns
    -------
    dict
        ``{"input": {...}, "preprocess": [...], "postprocess": {...} or None}``
        (plus ``name``/``description`` when given) with every default filled in.

    Raises
    ------
    SpecError
        With the JSON path of the first problem found.
    """
    c = _Ctx(None if path is None else os.fspath(path))
    if not isinstance(spec, Mapping):
        raise c.fail("", f"a spec is a JSON object, got {type(spec).__name__}")
    d = spec
    _keys(c, "", d, _TOP_KEYS)
    if "input" not in d:
        raise c.fail("", "missing key 'input'")
    inp = _validate_input(c, d["input"])
    out: Dict[str, Any] = {}
    for k in ("name", "description"):
        if k in d:
            if not isinstance(d[k], str):
                raise c.fail(k, "expected a string")
            out[k] = d[k]
    out["input"] = inp
    out["preprocess"] = _validate_preprocess(c, d.get("preprocess"), inp["format"])
    out["postprocess"] = _validate_postprocess(c, d.get("postprocess"))
    return out


def read_text_file(path: PathLike) -> Tuple[pathlib.Path, str]:
    """Read a UTF-8 text file (a spec or a config); a leading byte-order mark is accepted.

    Returns
    -------
    (pathlib.Path, str)
        The path and the text.

    Raises
    ------
    SpecError
        ``"<path>: no such file"`` or ``"<path>: cannot read: ..."``.
    """
    p = pathlib.Path(os.fspath(path))
    try:
        # utf-8-sig: files saved by Windows editors often start with a BOM, which JSON rejects.
        return p, p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SpecError("no such file", p) from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(f"cannot read: {e}", p) from None


def load_spec(source: Union[PathLike, Mapping[str, Any]]) -> Dict[str, Any]:
    """Load a spec from a JSON file (or take a dict) and validate it.

    Parameters
    ----------
    source : path-like or mapping
        A ``.json`` file or an already parsed spec.

    Returns
    -------
    dict
        The normalised spec (see :func:`validate_spec`).

    Raises
    ------
    SpecError
        The file is missing, is not JSON, or the spec is invalid.
    """
    if isinstance(source, Mapping):
        return validate_spec(source)
    p, text = read_text_file(source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SpecError(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}", p) from None
    return validate_spec(data, p)


def dump_spec(spec: Mapping[str, Any]) -> str:
    """Return the spec as indented JSON text (ending with a newline)."""
    return json.dumps(spec, indent=2) + "\n"


def raw_input_shape(spec: Mapping[str, Any]) -> Tuple[int, ...]:
    """Return the shape of the raw input array of a (normalised) spec, as cv2.cvtColor takes it
    (:func:`pyalign.formats.raw_shape`)."""
    inp = spec["input"]
    return formats.raw_shape(inp["format"], inp["width"], inp["height"])


def check_raw_input(raw: Any, spec: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` unless ``raw`` is a uint8 array shaped as the spec's raw input.

    Parameters
    ----------
    raw : numpy.ndarray
        The raw input.
    spec : mapping
        A normalised spec.

    Raises
    ------
    ValueError
        ``raw input for <format> <W>x<H> must be uint8 <shape>, got <dtype> <shape>``.
    """
    want = raw_input_shape(spec)
    dtype, shape = getattr(raw, "dtype", None), getattr(raw, "shape", None)
    if dtype != "uint8" or shape is None or tuple(shape) != want:
        got = f"{dtype} {tuple(shape)}" if dtype is not None and shape is not None else type(raw).__name__
        inp = spec["input"]
        raise ValueError(f"raw input for {inp['format']} {inp['width']}x{inp['height']} must be uint8 {want}, "
                         f"got {got}")


def model_input_size(spec: Mapping[str, Any]) -> Tuple[int, int]:
    """Return ``(width, height)`` of the image after the geometric op (input size without one)."""
    size = (spec["input"]["width"], spec["input"]["height"])
    for op in spec["preprocess"]:
        if op["op"] in ("resize", "letterbox"):
            size = (op["size"][0], op["size"][1])
    return size


def preprocessed_info(spec: Mapping[str, Any]) -> TensorInfo:
    """Return shape, dtype, layout and colour of the preprocessed tensor of a normalised spec.

    Without a ``layout`` op the tensor is ``HWC`` (``HW`` for GRAY); a ``layout``
    op on a GRAY image gives it a channel axis of 1.
    """
    fmt = spec["input"]["format"]
    color = "BGR" if formats.is_yuv(fmt) else fmt  # a YUV input's csc op (always first) sets the colour
    ch = formats.lookup(fmt).channels
    dtype = "uint8"
    layout = "HW" if ch == 1 else "HWC"
    for op in spec["preprocess"]:
        if op["op"] == "csc":
            color = op["to"]
        elif op["op"] == "swap_rb":
            color = "RGB" if color == "BGR" else "BGR"
        elif op["op"] == "normalize":
            dtype = "float32"
        elif op["op"] == "layout":
            layout = op["to"]
    w, h = model_input_size(spec)
    shape: Tuple[int, ...] = {
        "HW": (h, w), "HWC": (h, w, ch), "CHW": (ch, h, w), "NCHW": (1, ch, h, w), "NHWC": (1, h, w, ch),
    }[layout]
    return TensorInfo(shape, dtype, layout, color)

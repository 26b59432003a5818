"""The postprocess ops: what each one takes and what it produces, in one registry.

:data:`OPS` holds, for every op a spec's ``"postprocess"`` object may name
(``classification``, ``yolov8``, ``yolov5``, ``yolox``, ``segmentation``):

* its schema: the keys, their defaults and bounds, checked by :func:`normalize`
  (errors are :class:`pyalign.errors.SpecError` naming the JSON path, e.g.
  ``postprocess.max_det: must be >= 1, got 0``);
* its results: the postprocessed tensors it produces, each with its name in a capture set
  and its result kind.

:data:`RESULT_KINDS` says what each kind of result is: dtype, shape, the fields of its rows
and how two of them are matched. Capture names and labels postprocessed tensors from here,
the comparator takes from here which tensors are matched as rows and their field names, the
diagnosis and the HTML report which tensors hold detections.

The kernels take the spec through :func:`resolve` (the normalised spec with the kernel
defaults of the optional keys filled in) and dispatch on ``op`` through a table of their own:
the numpy reference (:mod:`pyalign.reference.postprocess`) and the C++ binding
(:mod:`pyalign.core`). A new postprocess family is an entry of :data:`OPS` (and, for a new
kind of result, of :data:`RESULT_KINDS`) plus its decoders.

Bounds: ``reg_max`` is 0 (the DFL is in the graph) or in ``[2, 256]``; ``num_classes`` in
``[1, 2**24]``, strides in ``[1, 2**30]``; thresholds in ``[0, 1]``; ``max_det``,
``pre_nms_topk`` and ``topk`` >= 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, Mapping, Optional, Sequence, Tuple

from pyalign.errors import SpecError
from pyalign.spec.fields import (Ctx, as_bool, as_choice, as_count, as_int, as_num, as_obj, as_size, check_keys,
                                 show)

__all__ = [
    "Param",
    "Result",
    "PostOp",
    "ResultKind",
    "OPS",
    "RESULT_KINDS",
    "DEFAULT_YOLOV5_ANCHORS",
    "REG_MAX_LIMIT",
    "MAX_CLASSES",
    "MAX_STRIDE",
    "MAX_COUNT",
    "normalize",
    "resolve",
    "results_of",
    "result_kind_of",
    "named_results",
    "infer_kind",
    "order_free_rows",
]

#: The COCO anchors of YOLOv5 (P3/8, P4/16, P5/32), in input pixels.
DEFAULT_YOLOV5_ANCHORS: Tuple[Tuple[int, ...], ...] = (
    (10, 13, 16, 30, 33, 23),
    (30, 61, 62, 45, 59, 119),
    (116, 90, 156, 198, 373, 326),
)
#: Largest ``reg_max`` (DFL bins per box side) a spec may give.
REG_MAX_LIMIT = 256
#: Largest ``num_classes``.
MAX_CLASSES = 1 << 24
#: Largest stride.
MAX_STRIDE = 1 << 30
#: Largest ``max_det``, ``pre_nms_topk`` and ``topk``.
MAX_COUNT = 1 << 62

#: A parameter check: ``(ctx, json_path, value, parameters_so_far) -> normalised value``.
Check = Callable[[Ctx, str, Any, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Param:
    """One key of an op's ``"postprocess"`` object.

    Attributes
    ----------
    key : str
    default : object
        The value when the key is absent. A required key's default is written into the
        normalised spec; an optional key is left out of it (absent or null) and the kernels
        run with the default.
    check : callable
        ``(ctx, json_path, value, parameters_so_far) -> normalised value``; raises SpecError.
    doc : str
    optional : bool
    """

    key: str
    default: Any
    check: Check
    doc: str
    optional: bool = False


@dataclass(frozen=True)
class Result:
    """One postprocessed tensor an op produces: its name in a capture set and its kind."""

    name: str
    kind: str


@dataclass(frozen=True)
class PostOp:
    """A postprocess op: its parameters (in the order of the normalised spec) and its results."""

    name: str
    params: Tuple[Param, ...]
    results: Tuple[Result, ...]
    doc: str

    @property
    def keys(self) -> FrozenSet[str]:
        """The keys its ``"postprocess"`` object may hold (``op`` included)."""
        return frozenset({"op"} | {p.key for p in self.params})

    def defaults(self) -> Dict[str, Any]:
        """Every parameter's default (optional ones included)."""
        return {p.key: p.default for p in self.params}


@dataclass(frozen=True)
class ResultKind:
    """A kind of postprocess result (the manifest's ``kind``).

    Attributes
    ----------
    name : str
    dtype : str
        numpy dtype name of the result.
    shape : str
        Its shape, in words (``"[N, 6]"``).
    fields : tuple of str
        Names of the columns when the result is a table of rows, else empty.
    order_free : bool
        Rows are matched order-free (by :attr:`matching`), not position by position.
    matching : str
        How an actual result is paired with the expected one.
    layout : str, optional
        The manifest layout of the tensor (``"HW"`` names a class map's dims y, x).
    """

    name: str
    dtype: str
    shape: str
    fields: Tuple[str, ...] = ()
    order_free: bool = False
    matching: str = "elementwise"
    layout: Optional[str] = None

    def fits(self, shape: Sequence[int]) -> bool:
        """True when ``shape`` is a table of this kind's rows, ``[N, len(fields)]``."""
        return bool(self.fields) and len(shape) == 2 and int(shape[1]) == len(self.fields)


RESULT_KINDS: Dict[str, ResultKind] = {
    "detections": ResultKind(
        "detections", "float32", "[N, 6]", ("x1", "y1", "x2", "y2", "score", "class"), order_free=True,
        matching="order-free: greedy by IoU within a class"),
    "classes": ResultKind("classes", "float32", "[k, 2]", ("class", "score"),
                          matching="elementwise, rank by rank"),
    "mask": ResultKind("mask", "int32", "[H, W]", layout="HW", matching="elementwise"),
}


# ----------------------------------------------------------------------------- checks


def _count(lo: int, hi: int) -> Check:
    return lambda c, w, v, _p: as_count(c, w, v, lo, hi)


def _unit(c: Ctx, w: str, v: Any, _p: Mapping[str, Any]) -> float:
    return as_num(c, w, v, 0.0, 1.0)


def _flag(c: Ctx, w: str, v: Any, _p: Mapping[str, Any]) -> bool:
    return as_bool(c, w, v)


def _size(c: Ctx, w: str, v: Any, _p: Mapping[str, Any]) -> Any:
    return as_size(c, w, v)


def _one_of(*choices: str) -> Check:
    return lambda c, w, v, _p: as_choice(c, w, v, choices)


def _reg_max(c: Ctx, w: str, v: Any, _p: Mapping[str, Any]) -> int:
    rm = as_int(c, w, v, 0, REG_MAX_LIMIT)
    if rm == 1:
        raise c.fail(w, "must be 0 (DFL in the graph) or >= 2")
    return rm


def _strides(c: Ctx, w: str, v: Any, _p: Mapping[str, Any]) -> Any:
    if not isinstance(v, (list, tuple)) or not v:
        raise c.fail(w, f"expected a non-empty list of integers, got {show(v)}")
    return [as_count(c, f"{w}[{i}]", s, 1, MAX_STRIDE) for i, s in enumerate(v)]


def _anchors(c: Ctx, w: str, v: Any, p: Mapping[str, Any]) -> Any:
    levels = len(p["strides"])
    if not isinstance(v, (list, tuple)) or len(v) != levels:
        raise c.fail(w, f"expected one anchor list per stride ({levels})")
    out = []
    for i, a in enumerate(v):
        if not isinstance(a, (list, tuple)) or len(a) == 0 or len(a) % 2:
            raise c.fail(f"{w}[{i}]", "expected an even number of sizes (w0, h0, w1, h1, ...)")
        if out and len(a) != len(out[0]):
            raise c.fail(f"{w}[{i}]", "every head needs the same number of anchors")
        out.append([as_num(c, f"{w}[{i}][{j}]", x, 0.0) for j, x in enumerate(a)])
        if any(x == 0 for x in out[-1]):
            raise c.fail(f"{w}[{i}]", "anchor sizes must be > 0")
    return out


# ----------------------------------------------------------------------------- the ops

_NUM_CLASSES = Param("num_classes", 80, _count(1, MAX_CLASSES), "number of classes")
_STRIDES = Param("strides", [8, 16, 32], _strides, "stride of every output level, in output order")
_DETECT = (
    Param("conf_threshold", 0.25, _unit, "keep a candidate when score > conf_threshold"),
    Param("iou_threshold", 0.45, _unit, "NMS drops a box when IoU > iou_threshold with a kept box"),
    Param("class_agnostic", False, _flag, "NMS across classes"),
    Param("max_det", 300, _count(1, MAX_COUNT), "keep at most this many detections"),
    Param("pre_nms_topk", 30000, _count(1, MAX_COUNT), "candidates kept before NMS (ultralytics' max_nms)",
          optional=True),
    Param("input_size", None, _size, "model input [W, H]; default: the geometry's dst size, else a square input",
          optional=True),
)
_DETECTIONS = (Result("detections", "detections"),)

OPS: Dict[str, PostOp] = {op.name: op for op in (
    PostOp("classification", (
        Param("topk", 5, _count(1, MAX_COUNT), "rows returned"),
        Param("softmax", True, _flag, "apply a softmax to the logits first"),
    ), (Result("classes", "classes"),), "top-k classes of one logits vector"),
    PostOp("yolov8", (
        _NUM_CLASSES,
        Param("reg_max", 16, _reg_max, "DFL bins per box side; 0: the DFL is in the graph"),
        Param("activated", None, _flag, "class scores are probabilities; default: true for one concatenated "
                                        "output, false for one output per stride", optional=True),
        _STRIDES,
    ) + _DETECT, _DETECTIONS, "YOLOv8 / YOLO11 anchor-free detector"),
    PostOp("yolov5", (
        _NUM_CLASSES,
        _STRIDES,
        Param("anchors", [list(a) for a in DEFAULT_YOLOV5_ANCHORS], _anchors,
              "per stride, [w0, h0, w1, h1, ...] in input pixels"),
        Param("activated", False, _flag, "head values already passed through a sigmoid"),
    ) + _DETECT, _DETECTIONS, "YOLOv5 anchor-based detector"),
    PostOp("yolox", (_NUM_CLASSES, _STRIDES) + _DETECT, _DETECTIONS, "YOLOX anchor-free detector"),
    PostOp("segmentation", (
        Param("layout", "NCHW", _one_of("NCHW", "NHWC"), "layout of the logits"),
    ), (Result("mask", "mask"),), "per-pixel argmax class map"),
)}


# ----------------------------------------------------------------------------- normalisation


def normalize(post: Any, ctx: Optional[Ctx] = None, where: str = "postprocess") -> Dict[str, Any]:
    """Validate a ``"postprocess"`` object and return its normalised copy.

    Parameters
    ----------
    post : mapping
        ``{"op": ..., ...}`` as written in a spec (or an already normalised one).
    ctx : Ctx, optional
        Names the spec file in errors.
    where : str
        JSON path of the object, named in errors.

    Returns
    -------
    dict
        ``op`` and every required parameter, with its final type; optional parameters only
        when given (not null).

    Raises
    ------
    SpecError
        ``<where>.<key>: <what is wrong>`` for the first problem found.
    """
    c = ctx if ctx is not None else Ctx(None)
    d = as_obj(c, where, post)
    if "op" not in d:
        raise c.fail(where, "missing key 'op'")
    name = d["op"]
    if not isinstance(name, str) or name not in OPS:
        raise c.fail(f"{where}.op", f"unknown op {show(name)} (known: {', '.join(OPS)})")
    op = OPS[name]
    check_keys(c, where, d, op.keys)
    out: Dict[str, Any] = {"op": name}
    for p in op.params:
        if p.optional and d.get(p.key) is None:
            continue
        out[p.key] = p.check(c, f"{where}.{p.key}", d.get(p.key, p.default), out)
    return out


def resolve(post: Any) -> Dict[str, Any]:
    """What a kernel runs: the normalised ``"postprocess"`` object with every key present.

    Parameters
    ----------
    post : mapping
        A ``"postprocess"`` object (normalised or not).

    Returns
    -------
    dict
        :func:`normalize`'s result plus the defaults of the optional keys it left out
        (``pre_nms_topk`` 30000, ``input_size`` None, YOLOv8 ``activated`` None = auto).

    Raises
    ------
    ValueError
        The spec is invalid (the message of :func:`normalize`).
    """
    try:
        p = normalize(post)
    except SpecError as e:
        raise ValueError(str(e)) from None
    return {**OPS[p["op"]].defaults(), **p}


# ----------------------------------------------------------------------------- results


def results_of(post: Optional[Mapping[str, Any]]) -> Tuple[Result, ...]:
    """The postprocessed tensors a spec's ``"postprocess"`` object produces (none without one)."""
    if not post:
        return ()
    return OPS[post["op"]].results


def result_kind_of(post: Optional[Mapping[str, Any]]) -> str:
    """The kind of an op's (first) result; ``"tensor"`` without a postprocess op."""
    results = results_of(post)
    return results[0].kind if results else "tensor"


def named_results(post: Mapping[str, Any], result: Any) -> Dict[str, Any]:
    """A kernel's result as ``{tensor name: array}``, in the order of the op's :attr:`PostOp.results`.

    Parameters
    ----------
    post : mapping
        The spec's ``"postprocess"`` object.
    result : array or mapping
        One array for an op with one result, a mapping name -> array for an op with several.

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        The result does not hold the op's results.
    """
    results = results_of(post)
    if isinstance(result, Mapping):
        missing = [r.name for r in results if r.name not in result]
        if missing:
            raise ValueError(f"postprocess {post['op']}: the result has no {', '.join(missing)}")
        return {r.name: result[r.name] for r in results}
    if len(results) != 1:
        raise ValueError(f"postprocess {post['op']}: expected its results {[r.name for r in results]} by name")
    return {results[0].name: result}


def infer_kind(kind: Optional[str], stage: Optional[str], shape: Sequence[int], dtype: Any) -> Optional[str]:
    """A tensor's result kind: the declared one; else, for a postprocessed tensor, the kind whose rows it holds.

    Parameters
    ----------
    kind : str, optional
        The manifest's ``kind``.
    stage : str, optional
    shape : sequence of int
    dtype : numpy dtype or name

    Returns
    -------
    str or None
        ``kind`` when declared; without one, in the ``postprocessed`` stage, the first
        :data:`RESULT_KINDS` entry with row fields that ``shape`` fits and whose dtype is of the
        same family (float ``[N, 6]`` → ``"detections"``, float ``[k, 2]`` → ``"classes"``);
        else None.
    """
    if kind is not None:
        return kind
    if stage != "postprocessed":
        return None
    import numpy as np  # here only: the registry is read by modules that must not load numpy

    family = np.dtype(dtype).kind
    for rk in RESULT_KINDS.values():
        if rk.fits(shape) and np.dtype(rk.dtype).kind == family:
            return rk.name
    return None


def order_free_rows(kind: Optional[str], *shapes: Sequence[int]) -> Optional[ResultKind]:
    """The declared kind when its rows are matched order-free and every shape is a table of them."""
    rk = RESULT_KINDS.get(kind) if kind is not None else None
    if rk is None or not rk.order_free or not all(rk.fits(s) for s in shapes):
        return None
    return rk

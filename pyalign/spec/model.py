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
* ``postprocess`` is checked by the registry of postprocess ops, :mod:`pyalign.spec.postprocess`.
"""
from __future__ import annotations

import json
import os
import pathlib
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from pyalign import formats
from pyalign.errors import SpecError
from pyalign.spec.fields import MAX_SIDE
from pyalign.spec.fields import Ctx as _Ctx, as_choice as _choice, as_int as _int, as_num as _num, as_obj as _obj
from pyalign.spec.fields import as_size as _size, check_keys as _keys, is_num as _is_num, show as _show
from pyalign.spec.postprocess import OPS, normalize as normalize_postprocess
from pyalign.formats import YUV_FORMATS

__all__ = [
    "INPUT_FORMATS",
    "YUV_FORMATS",
    "PREPROCESS_OPS",
    "POSTPROCESS_OPS",
    "TensorInfo",
    "Spec",
    "load_spec",
    "validate_spec",
    "raw_input_shape",
    "check_raw_input",
    "preprocessed_info",
    "model_input_size",
    "find_op",
    "dump_spec",
]

INPUT_FORMATS = formats.FORMAT_NAMES  # canonical names only: a spec does not take aliases
PREPROCESS_OPS = ("csc", "resize", "letterbox", "swap_rb", "normalize", "layout")
POSTPROCESS_OPS = tuple(OPS)
CSC_MODES = ("opencv", "full_range", "limited_range", "matrix")
LAYOUTS = ("NCHW", "NHWC", "CHW", "HWC")

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
_TOP_KEYS = {"input", "preprocess", "postprocess", "name", "description"}

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


class _FrozenList(list):  # type: ignore[type-arg]
    """A list that refuses changes (equal to a plain list with the same items)."""

    def _frozen(self, *a: Any, **k: Any) -> None:
        raise TypeError("a Spec is frozen: copy it with spec.to_dict() to change it")

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _frozen  # type: ignore[assignment]
    append = extend = insert = pop = remove = clear = sort = reverse = _frozen  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))


class _FrozenDict(dict):  # type: ignore[type-arg]
    """A dict that refuses changes (equal to a plain dict with the same items; JSON-serialisable)."""

    def _frozen(self, *a: Any, **k: Any) -> None:
        raise TypeError("a Spec is frozen: copy it with spec.to_dict() to change it")

    __setitem__ = __delitem__ = __ior__ = _frozen  # type: ignore[assignment]
    pop = popitem = clear = update = setdefault = _frozen  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(json.dumps(self, sort_keys=True))

    def to_dict(self) -> Dict[str, Any]:
        """A plain, mutable deep copy."""
        return _thaw(self)

    def __copy__(self) -> Dict[str, Any]:
        return self.to_dict()

    def __deepcopy__(self, memo: Any) -> Dict[str, Any]:
        return self.to_dict()

    def __reduce__(self) -> Any:
        return (_freeze, (self.to_dict(),))


class Spec(_FrozenDict):
    """A validated, normalised pipeline spec; frozen, so it is validated once and passed down as is.

    It reads like the JSON it came from (``spec["input"]["width"]``, ``spec["preprocess"][0]["op"]``,
    ``json.dumps(spec)``) and equals the plain dict of the same content; changing it raises
    ``TypeError`` (``spec.to_dict()`` gives a mutable copy). :func:`load_spec` returns a
    ``Spec`` as it is, without validating it again.
    """

    def __reduce__(self) -> Any:
        return (_spec, (self.to_dict(),))


def _freeze(v: Any) -> Any:
    if isinstance(v, Mapping):
        return _FrozenDict({k: _freeze(x) for k, x in v.items()})
    if isinstance(v, (list, tuple)):
        return _FrozenList(_freeze(x) for x in v)
    return v


def _thaw(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {k: _thaw(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_thaw(x) for x in v]
    return v


def _spec(normalised: Mapping[str, Any]) -> Spec:
    """A :class:`Spec` of an already normalised dict (validation's last step; unpickling)."""
    return Spec({k: _freeze(x) for k, x in normalised.items()})


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


def validate_spec(spec: Any, path: Optional[PathLike] = None) -> Spec:
    """Validate a spec dict and return its normalised copy.

    Parameters
    ----------
    spec : mapping
        The parsed JSON.
    path : path-like, optional
        The file it came from; named in errors.

    Returns
    -------
    Spec
        ``{"input": {...}, "preprocess": [...], "postprocess": {...} or None}``
        (plus ``name``/``description`` when given) with every default filled in, frozen.

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
    post = d.get("postprocess")
    out["postprocess"] = None if post is None else normalize_postprocess(post, c)
    return _spec(out)


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


def load_spec(source: Union[PathLike, Mapping[str, Any]]) -> Spec:
    """Load a spec from a JSON file (or take a dict) and validate it.

    Parameters
    ----------
    source : path-like or mapping
        A ``.json`` file or an already parsed spec.

    Returns
    -------
    Spec
        The normalised, frozen spec (see :func:`validate_spec`); a ``Spec`` is returned as it is.

    Raises
    ------
    SpecError
        The file is missing, is not JSON, or the spec is invalid.
    """
    if isinstance(source, Spec):
        return source
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


def find_op(spec: Any, name: str) -> Optional[Mapping[str, Any]]:
    """The first preprocess op called ``name`` of a spec, or None (also for a spec that is not a mapping)."""
    if not isinstance(spec, Mapping):
        return None
    for op in spec.get("preprocess") or []:
        if isinstance(op, Mapping) and op.get("op") == name:
            return op
    return None


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

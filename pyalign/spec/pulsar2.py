"""Turn an Axera Pulsar2 build config into a pipeline spec.

Pulsar2 compiles part of the preprocessing into the model: its
``input_processors`` say what the board feeds (``src_format``, ``src_layout``,
``src_dtype``) and what the model was trained on (``tensor_format``,
``tensor_layout``), with colour conversion (``csc_mode``, ``csc_mat``) and
normalisation (``mean``, ``std``, default ``quant.input_configs[].calibration_mean
/ calibration_std``) in between. :func:`spec_from_pulsar2` maps that onto a spec
(input = the board's frame at the model's size; csc, swap_rb, normalize, layout)
and lists warnings for fields that change nothing or contradict each other.

Config files are Pulsar2's "relaxed JSON": ``//`` and ``#`` comments and
trailing commas are accepted.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from pyalign import formats
from pyalign.errors import SpecError
from pyalign.spec.model import read_text_file, validate_spec

__all__ = ["load_pulsar2_config", "spec_from_pulsar2", "strip_relaxed_json"]

PathLike = Union[str, "os.PathLike[str]"]

# Pulsar2's own src_format vocabulary; its pixel formats are named as in pyalign.formats.
_SRC_FORMATS = ("AutoColorSpace", "GRAY", "BGR", "RGB", "YUYV422", "UYVY422", "YUV420SP", "YVU420SP", "RAW")
_TENSOR_FORMATS = ("AutoColorSpace", "BGR", "RGB", "GRAY")
_CSC_MODES = {"NoCSC": None, "FullRange": "full_range", "LimitedRange": "limited_range", "Matrix": "matrix"}


def strip_relaxed_json(text: str) -> str:
    """Remove ``//``, ``/* */`` and ``#`` comments and trailing commas outside strings."""
    out: List[str] = []
    i, n = 0, len(text)
    in_str = False
    while i < n:
        ch = text[i]
        if in_str:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if ch == '"':
                in_str = False
            i += 1
            continue
        if ch == '"':
            in_str = True
            out.append(ch)
            i += 1
        elif ch == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(ch)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def load_pulsar2_config(path: PathLike) -> Dict[str, Any]:
    """Read a Pulsar2 config (relaxed JSON) into a dict; :class:`SpecError` naming the file on failure."""
    p, text = read_text_file(path)
    try:
        data = json.loads(strip_relaxed_json(text))
    except json.JSONDecodeError as e:
        raise SpecError(f"not valid (relaxed) JSON: {e.msg} at line {e.lineno} column {e.colno}"
                        " (only the JSON form of Pulsar2 configs is read)", p) from None
    if not isinstance(data, dict):
        raise SpecError("a Pulsar2 config is a JSON object", p)
    return data


def _pick(items: Sequence[Any], name: Optional[str], what: str, warnings: List[str],
          fail: Any) -> Optional[Mapping[str, Any]]:
    dicts = [x for x in items if isinstance(x, Mapping)]
    if not dicts:
        return None
    if name is not None:
        for x in dicts:
            if x.get("tensor_name") == name:
                return x
        for x in dicts:
            if x.get("tensor_name") == "DEFAULT":
                return x
        raise fail(f"{what}: no entry with tensor_name {name!r} (have: "
                   f"{', '.join(str(x.get('tensor_name')) for x in dicts)})")
    if len(dicts) > 1 and what == "input_processors":
        warnings.append(f"{what} has {len(dicts)} entries; using the first ({dicts[0].get('tensor_name')!r}); "
                        "choose another with --tensor-name")
    return dicts[0]


def _quant_config(cfg: Mapping[str, Any], name: Optional[str]) -> Optional[Mapping[str, Any]]:
    """The ``quant.input_configs`` entry of a tensor (or ``DEFAULT``, or the only one)."""
    quant = cfg.get("quant")
    items = quant.get("input_configs") if isinstance(quant, Mapping) else None
    if not isinstance(items, list):
        return None
    dicts = [x for x in items if isinstance(x, Mapping)]
    for want in (name, "DEFAULT"):  # tensor_name values that are not strings never match
        for x in dicts:
            if want is not None and x.get("tensor_name") == want:
                return x
    return dicts[0] if len(dicts) == 1 else None


def _size_from_input_shapes(cfg: Mapping[str, Any], tensor: Optional[str], layout: str) -> Optional[Tuple[int, int]]:
    text = cfg.get("input_shapes")
    if not isinstance(text, str) or not text.strip():
        return None
    entries = [e for e in text.split(";") if e.strip()]
    for e in entries:
        name, _, dims = e.rpartition(":")
        if tensor is not None and len(entries) > 1 and name.strip() != tensor:
            continue
        try:
            shape = [int(d) for d in dims.lower().split("x")]
        except ValueError:
            return None
        if len(shape) != 4:
            return None
        h, w = (shape[2], shape[3]) if layout == "NCHW" else (shape[1], shape[2])
        return (w, h)
    return None


def _floats(v: Any, where: str, fail: Any) -> List[float]:
    if v is None:
        return []
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return [float(v)]
    if not isinstance(v, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
        raise fail(f"{where}: expected a list of numbers, got {json.dumps(v)}")
    return [float(x) for x in v]


def spec_from_pulsar2(config: Union[PathLike, Mapping[str, Any]], *, size: Optional[Tuple[int, int]] = None,
                      tensor_name: Optional[str] = None) -> Tuple[Dict[str, Any], List[str]]:
    """Map a Pulsar2 config's input processing onto a pipeline spec.

    Parameters
    ----------
    config : path-like or mapping
        The Pulsar2 build config (file or parsed dict).
    size : (width, height), optional
        The model's input size; default from the config's ``input_shapes``.
    tensor_name : str, optional
        Which input processor to use (default: the first).

    Returns
    -------
    spec : dict
        The normalised spec (no postprocess: Pulsar2 configs do not describe it).
    warnings : list of str
        Fields that change nothing or contradict each other.

    Raises
    ------
    SpecError
        Missing or impossible settings (unknown formats, RAW input, no size, ...).
    """
    path = None
    if isinstance(config, Mapping):
        cfg: Mapping[str, Any] = config
    else:
        path = pathlib.Path(os.fspath(config))
        cfg = load_pulsar2_config(path)

    def fail(what: str) -> SpecError:
        return SpecError(what, path)

    warnings: List[str] = []
    procs = cfg.get("input_processors") or []
    if not isinstance(procs, list):
        raise fail("input_processors: expected a list")
    proc = _pick(procs, tensor_name, "input_processors", warnings, fail) or {}
    if not proc:
        warnings.append("no input_processors: assuming src_format = tensor_format = BGR, NCHW")
    name = proc.get("tensor_name", tensor_name)
    if name is not None and not isinstance(name, str):
        raise fail(f"input_processors.tensor_name: expected a string, got {json.dumps(name)}")

    tensor_format = proc.get("tensor_format", "AutoColorSpace")
    src_format = proc.get("src_format", "AutoColorSpace")
    if tensor_format not in _TENSOR_FORMATS:
        raise fail(f"input_processors.tensor_format: unknown {tensor_format!r} (known: {', '.join(_TENSOR_FORMATS)})")
    if src_format not in _SRC_FORMATS:
        raise fail(f"input_processors.src_format: unknown {src_format!r} (known: {', '.join(_SRC_FORMATS)})")
    if src_format == "RAW":
        raise fail("input_processors.src_format RAW (no image preprocessing) cannot be expressed as a spec")
    if tensor_format == "AutoColorSpace":
        tensor_format = src_format if src_format in formats.IMAGE_FORMATS else "BGR"
        warnings.append(f"tensor_format AutoColorSpace: assuming the model was trained on {tensor_format}; "
                        "set tensor_format to say it")
    if src_format == "AutoColorSpace":
        src_format = tensor_format
    tensor_layout = proc.get("tensor_layout", "NCHW")
    if tensor_layout not in ("NCHW", "NHWC"):
        raise fail(f"input_processors.tensor_layout: expected NCHW or NHWC, got {tensor_layout!r}")
    src_layout = proc.get("src_layout")
    if formats.is_yuv(src_format) and src_layout not in (None, "NHWC"):
        warnings.append(f"src_layout {src_layout} changes nothing: a {src_format} src is always NHWC")
    src_dtype = proc.get("src_dtype", "FP32")
    if src_dtype != "U8":
        warnings.append(f"src_dtype {src_dtype}: the spec's raw input is uint8 (U8); the board must feed U8 "
                        "for the spec to describe it")

    if src_format == "GRAY" and tensor_format != "GRAY":
        raise fail(f"src_format GRAY cannot feed a {tensor_format} model (no GRAY to colour conversion)")
    if tensor_format == "GRAY" and src_format != "GRAY":
        raise fail(f"src_format {src_format} to tensor_format GRAY is not supported by the spec")

    csc_mode = proc.get("csc_mode", "NoCSC")
    if not isinstance(csc_mode, str) or csc_mode not in _CSC_MODES:
        raise fail(f"input_processors.csc_mode: unknown {csc_mode!r} (known: {', '.join(_CSC_MODES)})")
    csc_mat = _floats(proc.get("csc_mat"), "input_processors.csc_mat", fail)
    ops: List[Dict[str, Any]] = []
    color = src_format
    if formats.is_yuv(src_format):
        mode = _CSC_MODES[csc_mode]
        if mode is None:
            warnings.append(f"src_format {src_format} with csc_mode NoCSC contradicts: a YUV input needs a colour "
                            "conversion; assuming LimitedRange (BT.601). Set csc_mode in the config")
            mode = "limited_range"
        op: Dict[str, Any] = {"op": "csc", "to": tensor_format, "mode": mode}
        if mode == "matrix":
            if len(csc_mat) != 12:
                raise fail(f"input_processors.csc_mat: csc_mode Matrix needs 12 numbers, got {len(csc_mat)}")
            op["matrix"] = csc_mat
        elif csc_mat:
            warnings.append(f"csc_mat changes nothing with csc_mode {csc_mode} (only Matrix uses it)")
        ops.append(op)
        color = tensor_format
    else:
        if csc_mode != "NoCSC":
            warnings.append(f"csc_mode {csc_mode} changes nothing: src_format {src_format} is not YUV")
        if csc_mat:
            warnings.append("csc_mat changes nothing: no YUV colour conversion")
    if color in ("BGR", "RGB") and tensor_format in ("BGR", "RGB") and color != tensor_format:
        ops.append({"op": "swap_rb"})

    mean = _floats(proc.get("mean"), "input_processors.mean", fail)
    std = _floats(proc.get("std"), "input_processors.std", fail)
    qcfg = _quant_config(cfg, name)
    if not mean and qcfg:
        mean = _floats(qcfg.get("calibration_mean"), "quant.input_configs.calibration_mean", fail)
    if not std and qcfg:
        std = _floats(qcfg.get("calibration_std"), "quant.input_configs.calibration_std", fail)
    if mean or std:
        mean = mean or [0.0]
        std = std or [1.0]
        if all(m == 0 for m in mean) and all(s == 1 for s in std):
            warnings.append("mean 0 and std 1 change no value (the tensor only becomes float32)")
        ops.append({"op": "normalize", "mean": mean, "std": std})
    else:
        warnings.append("no mean/std (input_processors or quant.input_configs): the model takes the uint8 image")
    for k in ("padding", "slicing"):
        if proc.get(k):
            warnings.append(f"{k} {proc[k]} is not represented in the spec")
    ops.append({"op": "layout", "to": tensor_layout})

    if size is None:
        size = _size_from_input_shapes(cfg, name, tensor_layout)
    if size is None:
        raise fail("the model's input size is unknown: give --size W H (or input_shapes in the config)")
    w, h = int(size[0]), int(size[1])
    spec = {"input": {"format": src_format, "width": w, "height": h}, "preprocess": ops, "postprocess": None}
    return validate_spec(spec, path), warnings

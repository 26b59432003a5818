"""Recompute a capture's preprocessing from its raw input with one step done differently.

The runner follows the pipeline spec (DESIGN.md) with cv2/numpy, independently of
``pyalign.core``; a *knob* changes one step (the resize kernel, the letterbox pad value,
style or offset, the YUV conversion). Each alternative output is compared with the actual
tensor: when it matches, that alternative is what the other side did.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from pyalign.diagnose import resize as rz
from pyalign.diagnose import yuv as yuv
from pyalign.diagnose.base import Trial, cast_like
from pyalign.formats import is_yuv

Knobs = Dict[str, Any]


def run(raw: np.ndarray, spec: Dict[str, Any], knobs: Optional[Knobs] = None,
        cache: Optional[Dict[Any, np.ndarray]] = None) -> np.ndarray:
    """Run ``spec["preprocess"]`` on ``raw`` with the given knobs; return the tensor.

    Knobs: ``format`` and ``mode`` (csc), ``resize`` (a :data:`pyalign.diagnose.resize.RESIZE_TEXT`
    variant for every resize, including the letterbox's), ``pad_value``, ``style``, ``shift``
    (letterbox). ``cache`` (a dict the caller keeps) memoizes the colour conversion.
    """
    knobs = knobs or {}
    inp = spec.get("input") or {}
    fmt = knobs.get("format", inp.get("format", "BGR"))
    img = np.asarray(raw)
    ops = list(spec.get("preprocess") or [])
    for op in ops:
        kind = op.get("op")
        if kind == "csc":
            mode = knobs.get("mode", op.get("mode", "opencv"))
            key = ("csc", fmt, mode, op.get("to", "BGR"))
            if cache is not None and key in cache:
                img = cache[key]
            else:
                img = yuv.convert(img, fmt, op.get("to", "BGR"), mode, op.get("matrix"))
                if cache is not None:
                    cache[key] = img
        elif kind == "resize" and "letterbox_instead" in knobs:
            style, pad = knobs["letterbox_instead"]
            img = rz.letterbox(img, op["size"], pad, style, knobs.get("resize", "linear"))
        elif kind == "resize" or (kind == "letterbox" and knobs.get("stretch")):
            interp = op.get("interpolation", "linear")
            img = rz.resize(img, tuple(op["size"]), knobs.get("resize", interp))
        elif kind == "letterbox":
            img = rz.letterbox(img, op["size"], knobs.get("pad_value", op.get("pad_value", 114)),
                               knobs.get("style", op.get("style", "ultralytics")),
                               knobs.get("resize", "linear"), knobs.get("shift", (0, 0)))
        elif kind == "swap_rb":
            img = img[..., ::-1] if img.ndim == 3 else img
        elif kind == "normalize":
            x = img.astype(np.float32)
            ch = 1 if x.ndim == 2 else x.shape[-1]
            mean = np.broadcast_to(np.asarray(op.get("mean", [0.0]), np.float32).ravel(), (ch,))
            std = np.broadcast_to(np.asarray(op.get("std", [1.0]), np.float32).ravel(), (ch,))
            if x.ndim == 2:
                mean, std = mean[0], std[0]
            img = (x - mean) / std
        elif kind == "layout":
            to = op.get("to", "NCHW")
            x = img if img.ndim == 3 else img[..., None]
            if to in ("NCHW", "CHW"):
                x = np.transpose(x, (2, 0, 1))
            if to in ("NCHW", "NHWC"):
                x = x[None]
            img = x
        else:
            raise ValueError(f"unknown preprocess op {kind!r}")
    return np.ascontiguousarray(img)


def _finish(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Bring a recomputed tensor to the expected's dtype (round + saturate for integers)."""
    if out.shape != like.shape:
        return out
    if np.issubdtype(like.dtype, np.integer) and not np.issubdtype(out.dtype, np.integer):
        return cast_like(out.astype(np.float64), like)
    return out


def pipeline_trials(raw: np.ndarray, spec: Dict[str, Any], expected: np.ndarray,
                    actual: np.ndarray) -> Tuple[List[Trial], Dict[str, Any]]:
    """Trials that recompute the preprocessing with one step changed.

    Returns
    -------
    trials : list of Trial
        Each yields ``(recomputed, actual)``.
    info : dict
        ``baseline_max_abs_diff``: how far the unchanged recomputation is from the expected
        (0 when this independent runner reproduces the reference).
    """
    info: Dict[str, Any] = {}
    cache: Dict[Any, np.ndarray] = {}
    try:
        base = _finish(run(raw, spec, None, cache), expected)
    except Exception as exc:  # noqa: BLE001 - a spec (or input) this runner cannot follow
        return [], {"error": str(exc)}
    if base.shape == expected.shape:
        with np.errstate(invalid="ignore"):
            diff = np.abs(base.astype(np.float64) - expected)
            info["baseline_max_abs_diff"] = float(np.nanmax(diff)) if base.size else 0.0
    else:
        info["baseline_shape"] = list(base.shape)
    ops = spec.get("preprocess") or []
    variants: List[Tuple[str, str, str, int, Knobs]] = []
    fmt = (spec.get("input") or {}).get("format", "BGR")
    for op in ops:
        kind = op.get("op")
        if kind == "csc" and is_yuv(fmt):
            for name, text, knob in yuv.csc_variants(op, fmt):
                variants.append((name, text, "yuv", 50, knob))
        elif kind in ("resize", "letterbox"):
            interp = op.get("interpolation", "linear") if kind == "resize" else "linear"
            for v in rz.resize_variants(interp):
                fam = "rounding" if v in rz.ROUNDING else "resize"
                name = f"{fam}.{v}" if fam == "rounding" else f"resize.{v}"
                variants.append((name, f"resize: {rz.RESIZE_TEXT[v]} instead of {rz.RESIZE_TEXT[interp]}",
                                 fam, 60 if fam == "resize" else 65, {"resize": v}))
            if kind == "letterbox":
                for name, text, knob in rz.letterbox_variants(op):
                    variants.append((name, text, "letterbox", 55, knob))
                variants.append(("letterbox.stretch", "letterbox: a plain resize to the model size (aspect "
                                 "ratio not kept, no padding) instead of a letterbox", "letterbox", 54,
                                 {"stretch": True}))
            else:
                for style, pad in (("ultralytics", 114), ("center", 0)):
                    variants.append((f"letterbox.instead_of_resize_{style}",
                                     f"letterbox: a {style!r} letterbox (pad {pad}) instead of a plain resize",
                                     "letterbox", 54, {"letterbox_instead": (style, pad)}))
    note = ""
    if info.get("baseline_max_abs_diff", 0.0) > 0 or "baseline_shape" in info:
        note = " (note: this recomputation of the reference itself differs from the captured reference)"
    trials: List[Trial] = []
    if note and base.shape == actual.shape:
        trials.append(Trial("reference_off_spec",
                            "the reference itself does not follow its spec: the spec recomputed from the raw "
                            "input (cv2/numpy) matches the actual", "reference", 49,
                            lambda: (base, actual), {"baseline_max_abs_diff": info.get("baseline_max_abs_diff")}))
    size_trial = output_size_trial(raw, spec, actual, cache) if actual.shape != expected.shape else None
    if size_trial is not None:
        trials.append(size_trial)
    seen = set()
    for name, text, fam, prio, knob in variants:
        if name in seen:
            continue
        seen.add(name)

        def make(knob: Knobs = knob) -> Optional[Tuple[np.ndarray, np.ndarray]]:
            out = _finish(run(raw, spec, knob, cache), expected)
            if out.shape != actual.shape:
                return None
            return out, actual

        trials.append(Trial(name, text + "; recomputed from the raw input" + note, fam, prio, make,
                            {k: (list(v) if isinstance(v, tuple) else v) for k, v in knob.items()}))
    return trials, info


def _spatial_size(spec: Dict[str, Any], shape: Tuple[int, ...]) -> Optional[Tuple[int, int]]:
    """``(width, height)`` of a preprocessed tensor of ``shape`` under the spec's layout op."""
    layout = None
    for op in spec.get("preprocess") or []:
        if op.get("op") == "layout":
            layout = op.get("to")
    nd = len(shape)
    if layout == "NCHW" and nd == 4:
        return int(shape[3]), int(shape[2])
    if layout == "NHWC" and nd == 4:
        return int(shape[2]), int(shape[1])
    if layout == "CHW" and nd == 3:
        return int(shape[2]), int(shape[1])
    if layout in (None, "HWC") and nd in (2, 3):
        return int(shape[1]), int(shape[0])
    return None


def output_size_trial(raw: np.ndarray, spec: Dict[str, Any], actual: np.ndarray,
                      cache: Optional[Dict[Any, np.ndarray]] = None) -> Optional[Trial]:
    """When the shapes differ: the spec recomputed with its resize/letterbox size set to the actual's.

    Returns
    -------
    Trial or None
        ``size.output`` (family ``size``), yielding ``(recomputed at the actual's size, actual)``;
        None when the spec has no resize/letterbox, or the actual's size cannot be read from its
        shape, or equals the spec's.
    """
    ops = list(spec.get("preprocess") or [])
    geo = [i for i, op in enumerate(ops) if op.get("op") in ("resize", "letterbox")]
    size = _spatial_size(spec, tuple(actual.shape))
    if not geo or size is None:
        return None
    i = geo[-1]
    old = tuple(int(v) for v in ops[i].get("size", ()))
    if old == size or min(size) < 1:
        return None
    spec2 = dict(spec)
    spec2["preprocess"] = [dict(op, size=[size[0], size[1]]) if j == i else op for j, op in enumerate(ops)]
    kind = ops[i].get("op")

    def make() -> Optional[Tuple[np.ndarray, np.ndarray]]:
        out = _finish(run(raw, spec2, None, cache), actual)
        if out.shape != actual.shape:
            return None
        return out, actual

    text = (f"output size: the actual was made with a {kind} to {size[0]}x{size[1]} where the spec says "
            f"{old[0]}x{old[1]}; recomputed from the raw input at {size[0]}x{size[1]}")
    return Trial("size.output", text, "size", 45, make,
                 {"actual_size": list(size), "spec_size": list(old), "op": kind})

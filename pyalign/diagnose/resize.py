"""Resize and letterbox alternatives for the diagnosis, written with cv2/numpy directly.

Each alternative is what some board or library does instead of OpenCV's 8-bit bilinear resize:
nearest neighbour, an antialiased (PIL-style) area resize, OpenCV's float path with or without
Intel IPP, align-corners sampling, and a float bilinear that is truncated or rounded to uint8.
The antialiased resize is *approximated* with ``cv2.INTER_AREA`` (an area average, the same
family as PIL's antialiasing filter, not PIL's exact triangle filter).
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import cv2
import numpy as np

from pyalign.reference.preprocess import letterbox_geometry

#: resize variant -> description of what the board would have done.
RESIZE_TEXT: Dict[str, str] = {
    "linear": "bilinear (OpenCV INTER_LINEAR, 8-bit fixed point)",
    "nearest": "nearest-neighbour (INTER_NEAREST)",
    "area": "antialiased PIL-style resize (approximated with cv2.INTER_AREA)",
    "float_ipp": "bilinear on float32 through OpenCV's IPP path (no 8-bit rounding)",
    "float_noipp": "bilinear on float32, OpenCV's own code without IPP (no 8-bit rounding)",
    "align_corners": "align-corners bilinear (src = dst*(in-1)/(out-1))",
    "trunc": "bilinear on float32 (OpenCV, no IPP) truncated to uint8 instead of rounded",
    "round": "bilinear on float32 (OpenCV, no IPP) rounded to uint8 (instead of 11-bit fixed point)",
}

#: variants whose name belongs to the "rounding" family of hypotheses.
ROUNDING = ("trunc",)


def _cv_float(img: np.ndarray, dsize: Tuple[int, int], ipp: bool) -> np.ndarray:
    old = cv2.ipp.useIPP()
    try:
        cv2.ipp.setUseIPP(ipp)
        return cv2.resize(img.astype(np.float32), dsize, interpolation=cv2.INTER_LINEAR)
    finally:
        cv2.ipp.setUseIPP(old)


def _bilinear(img: np.ndarray, dsize: Tuple[int, int], align_corners: bool) -> np.ndarray:
    """float64 bilinear resize in numpy (half-pixel centres, or align-corners)."""
    w, h = dsize
    sh, sw = img.shape[:2]

    def coords(n_out: int, n_in: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        d = np.arange(n_out, dtype=np.float64)
        if align_corners:
            s = d * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
        else:
            s = np.maximum((d + 0.5) * (n_in / n_out) - 0.5, 0.0)
        i0 = np.minimum(np.floor(s).astype(np.int64), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, s - i0

    x0, x1, fx = coords(w, sw)
    y0, y1, fy = coords(h, sh)
    src = img.astype(np.float64)
    if src.ndim == 2:
        src = src[..., None]
    fx = fx[None, :, None]
    fy = fy[:, None, None]
    top = src[y0][:, x0] * (1 - fx) + src[y0][:, x1] * fx
    bot = src[y1][:, x0] * (1 - fx) + src[y1][:, x1] * fx
    out = top * (1 - fy) + bot * fy
    return out[..., 0] if img.ndim == 2 else out


def resize(img: np.ndarray, dsize: Tuple[int, int], variant: str = "linear") -> np.ndarray:
    """Resize ``img`` to ``dsize = (w, h)`` the way ``variant`` does (see :data:`RESIZE_TEXT`).

    uint8 input stays uint8 except for the float paths, which return float32.
    """
    dsize = (int(dsize[0]), int(dsize[1]))
    if variant == "linear":
        return cv2.resize(img, dsize, interpolation=cv2.INTER_LINEAR)
    if variant == "nearest":
        return cv2.resize(img, dsize, interpolation=cv2.INTER_NEAREST)
    if variant == "area":
        return cv2.resize(img, dsize, interpolation=cv2.INTER_AREA)
    if variant == "float_ipp":
        return _cv_float(img, dsize, True)
    if variant == "float_noipp":
        return _cv_float(img, dsize, False)
    if variant == "align_corners":
        out = _bilinear(img, dsize, True)
        return np.clip(np.rint(out), 0, 255).astype(np.uint8) if img.dtype == np.uint8 else out.astype(np.float32)
    if variant in ("trunc", "round"):
        out = _cv_float(img, dsize, False)
        if img.dtype != np.uint8:
            return out
        out = np.floor(out) if variant == "trunc" else np.rint(out)
        return np.clip(out, 0, 255).astype(np.uint8)
    raise ValueError(f"unknown resize variant {variant!r}")


def resize_variants(interpolation: str) -> List[str]:
    """The alternatives worth trying for a spec's interpolation."""
    base = ["nearest", "area", "float_ipp", "float_noipp", "align_corners", "trunc", "round"]
    if interpolation == "nearest":
        return ["linear", "area"]
    if not cv2.ipp.useIPP():
        base.remove("float_ipp")
    return base


def letterbox(img: np.ndarray, size: Sequence[int], pad_value: Any = 114, style: str = "ultralytics",
              variant: str = "linear", shift: Tuple[int, int] = (0, 0)) -> np.ndarray:
    """Letterbox ``img`` into ``size = [w, h]``; ``shift`` moves the picture by (dx, dy) pixels."""
    g = letterbox_geometry(img.shape[1], img.shape[0], int(size[0]), int(size[1]), style)
    nw, nh = g["resized_width"], g["resized_height"]
    res = img if (nw, nh) == (img.shape[1], img.shape[0]) else resize(img, (nw, nh), variant)
    ch = 1 if res.ndim == 2 else res.shape[2]
    out = np.empty((int(size[1]), int(size[0])) + (() if res.ndim == 2 else (ch,)), res.dtype)
    pv = np.asarray(pad_value, np.float64).ravel()
    pv = np.resize(pv, ch) if pv.size else np.zeros(ch)
    out[...] = pv if res.ndim == 3 else pv[0]
    top = g["pad_top"] + shift[1]
    left = g["pad_left"] + shift[0]
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + nh, out.shape[0]), min(left + nw, out.shape[1])
    out[y0:y1, x0:x1] = res[y0 - top:y1 - top, x0 - left:x1 - left]
    return out


def letterbox_variants(op: Dict[str, Any]) -> List[Tuple[str, str, Dict[str, Any]]]:
    """The letterbox alternatives: other pad values, the other style, padding shifted by a pixel."""
    style = op.get("style", "ultralytics")
    pad = op.get("pad_value", 114)
    out: List[Tuple[str, str, Dict[str, Any]]] = []
    for value in (0, 114, 127, 128, 255):
        if np.ndim(pad) == 0 and float(pad) == value:
            continue
        out.append((f"letterbox.pad_{value}", f"letterbox: padded with {value} instead of {pad}",
                    {"pad_value": value}))
    other = "center" if style == "ultralytics" else "ultralytics"
    out.append((f"letterbox.style_{other}", f"letterbox: {other!r} geometry instead of {style!r}",
                {"style": other}))
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1)):
        what = ", ".join(f"{'right' if d > 0 else 'left'} by 1" if axis == "x" else f"{'down' if d > 0 else 'up'} by 1"
                         for axis, d in (("x", dx), ("y", dy)) if d)
        out.append((f"letterbox.shift_{dx}_{dy}", f"letterbox: picture shifted {what} pixel (padding off by one)",
                    {"shift": (dx, dy)}))
    return out

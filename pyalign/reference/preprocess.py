"""The training-side preprocessing of a spec, with cv2 and numpy only.

This is the code a Python pipeline contains (``cv2.cvtColor``, ``cv2.resize``,
``cv2.copyMakeBorder``, numpy arithmetic), written independently of the C++
core in ``pyalign.core``: comparing the two is what proves the C++ right.

* :func:`run_reference` executes a spec's ``preprocess`` ops on a raw input.
* :func:`to_input_format` turns a BGR image into a spec input format by
  OpenCV's rules (NV12 = ``COLOR_BGR2YUV_I420`` with U and V interleaved, ...).
* :func:`letterbox_geometry` gives the ultralytics / center (ax-samples) geometry.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Sequence, Tuple, Union

import cv2
import numpy as np

from pyalign.spec.model import check_raw_input, load_spec

__all__ = [
    "run_reference",
    "to_input_format",
    "prepare_input",
    "letterbox_geometry",
    "yuv_to_bgr",
    "csc_matrix",
    "FULL_RANGE_MATRIX",
    "LIMITED_RANGE_MATRIX",
]

# 3x4 matrices in Pulsar2 ``csc_mat`` semantics: row r of the output (R, G, B) is
# m[r,0]*Y + m[r,1]*U + m[r,2]*V + 256*m[r,3], on the raw 0..255 samples.
# BT.601 full range (JPEG): R = Y + 1.402 (V-128), G = Y - 0.344136 (U-128) - 0.714136 (V-128),
# B = Y + 1.772 (U-128).
FULL_RANGE_MATRIX = (
    1.0, 0.0, 1.402, -1.402 * 128 / 256,
    1.0, -0.344136, -0.714136, (0.344136 + 0.714136) * 128 / 256,
    1.0, 1.772, 0.0, -1.772 * 128 / 256,
)
# BT.601 limited range: R = 1.164 (Y-16) + 1.596 (V-128), G = 1.164 (Y-16) - 0.392 (U-128) - 0.813 (V-128),
# B = 1.164 (Y-16) + 2.017 (U-128).
LIMITED_RANGE_MATRIX = (
    1.164, 0.0, 1.596, -(1.164 * 16 + 1.596 * 128) / 256,
    1.164, -0.392, -0.813, (-1.164 * 16 + 0.392 * 128 + 0.813 * 128) / 256,
    1.164, 2.017, 0.0, -(1.164 * 16 + 2.017 * 128) / 256,
)

_CV_YUV2BGR = {
    "YUV420SP": cv2.COLOR_YUV2BGR_NV12,
    "YVU420SP": cv2.COLOR_YUV2BGR_NV21,
    "YUYV422": cv2.COLOR_YUV2BGR_YUY2,
    "UYVY422": cv2.COLOR_YUV2BGR_UYVY,
}


def _planes(raw: np.ndarray, fmt: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return full-resolution Y, U, V planes (chroma replicated) of a YUV frame."""
    if fmt in ("YUV420SP", "YVU420SP"):
        h = raw.shape[0] * 2 // 3
        y = raw[:h]
        uv = raw[h:].reshape(h // 2, raw.shape[1] // 2, 2)
        u, v = (uv[..., 0], uv[..., 1]) if fmt == "YUV420SP" else (uv[..., 1], uv[..., 0])
        u = np.repeat(np.repeat(u, 2, axis=0), 2, axis=1)
        v = np.repeat(np.repeat(v, 2, axis=0), 2, axis=1)
        return y, u, v
    if fmt == "YUYV422":
        y, c = raw[..., 0], raw[..., 1]
    else:  # UYVY422
        y, c = raw[..., 1], raw[..., 0]
    u = np.repeat(c[:, 0::2], 2, axis=1)
    v = np.repeat(c[:, 1::2], 2, axis=1)
    return y, u, v


def csc_matrix(mode: str, matrix: Sequence[float] = ()) -> np.ndarray:
    """Return the 3x4 float64 matrix of a csc mode other than ``"opencv"``."""
    m = {"full_range": FULL_RANGE_MATRIX, "limited_range": LIMITED_RANGE_MATRIX}.get(mode, matrix)
    return np.asarray(m, np.float64).reshape(3, 4)


def yuv_to_bgr(raw: np.ndarray, fmt: str, to: str = "BGR", mode: str = "opencv",
               matrix: Sequence[float] = ()) -> np.ndarray:
    """Convert a YUV frame to a BGR or RGB uint8 image.

    ``mode="opencv"`` is ``cv2.cvtColor``. The other modes apply a 3x4 matrix
    (Pulsar2 ``csc_mat`` semantics, bias in units of 256) to the raw Y, U, V
    samples in float64, round half away from zero and saturate to 0..255.
    """
    if mode == "opencv":
        bgr = cv2.cvtColor(raw, _CV_YUV2BGR[fmt])
    else:
        y, u, v = (p.astype(np.float64) for p in _planes(raw, fmt))
        m = csc_matrix(mode, matrix)
        rgb = np.empty(y.shape + (3,), np.uint8)
        for r in range(3):
            x = m[r, 0] * y + m[r, 1] * u + m[r, 2] * v + m[r, 3] * 256.0
            x = np.sign(x) * np.floor(np.abs(x) + 0.5)
            rgb[..., r] = np.clip(x, 0, 255).astype(np.uint8)
        bgr = rgb[..., ::-1]
    if to == "RGB":
        bgr = bgr[..., ::-1]
    return np.ascontiguousarray(bgr)


def letterbox_geometry(src_w: int, src_h: int, dst_w: int, dst_h: int, style: str = "ultralytics") -> Dict[str, Any]:
    """Return the letterbox geometry as a dict (the ``LetterboxInfo`` keys).

    ultralytics: ``r = min(dst_h/src_h, dst_w/src_w)``, resized size ``round(src*r)``,
    the padding split ``round(d/2 - 0.1)`` before and ``round(d/2 + 0.1)`` after.
    center (ax-samples): resized size ``int(src*r)`` evaluated as ax-samples does, with ``r``
    stored in a float32 and the product in float32; ``d // 2`` before, the rest after.
    ``scale_x``/``scale_y`` are ``r`` in double in both styles.
    """
    r = min(dst_h / src_h, dst_w / src_w)
    if style == "ultralytics":
        nw, nh = int(round(src_w * r)), int(round(src_h * r))
        dw, dh = (dst_w - nw) / 2, (dst_h - nh) / 2
        left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
        top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    elif style == "center":
        # ax-samples (get_input_data_letterbox): the ratio is stored in a C++ float and the sizes
        # are int(float * int), evaluated in float32 -- so a limiting side can come out one pixel
        # short (100x1101 into 640x640 resizes to 58x639 and pads one row).
        ratio = dst_h * 1.0 / src_h if dst_h * 1.0 / src_h < dst_w * 1.0 / src_w else dst_w * 1.0 / src_w
        s32 = np.float32(ratio)
        nw = int(s32 * np.float32(src_w))
        nh = int(s32 * np.float32(src_h))
        left, top = (dst_w - nw) // 2, (dst_h - nh) // 2
        right, bottom = dst_w - nw - left, dst_h - nh - top
    else:
        raise ValueError(f"unknown letterbox style {style!r}")
    if nw < 1 or nh < 1:
        # cv2.resize cannot produce an empty image, so neither can the training-side code.
        raise ValueError(f"letterbox of {src_w}x{src_h} into {dst_w}x{dst_h} leaves an empty image ({nw}x{nh})")
    return {"scale_x": r, "scale_y": r, "pad_left": left, "pad_top": top, "pad_right": right,
            "pad_bottom": bottom, "resized_width": nw, "resized_height": nh, "src_width": src_w,
            "src_height": src_h, "dst_width": dst_w, "dst_height": dst_h, "style": style}


def _plain_info(src_w: int, src_h: int, dst_w: int, dst_h: int, style: str) -> Dict[str, Any]:
    return {"scale_x": dst_w / src_w, "scale_y": dst_h / src_h, "pad_left": 0, "pad_top": 0, "pad_right": 0,
            "pad_bottom": 0, "resized_width": dst_w, "resized_height": dst_h, "src_width": src_w,
            "src_height": src_h, "dst_width": dst_w, "dst_height": dst_h, "style": style}


def run_reference(raw: np.ndarray, spec: Union[Mapping[str, Any], str]) -> Tuple[np.ndarray, Dict[str, Any]]:
    """Run a spec's preprocessing on a raw input with cv2 + numpy.

    Parameters
    ----------
    raw : numpy.ndarray
        uint8 raw input shaped as :func:`pyalign.spec.raw_input_shape` says.
    spec : mapping or path
        The pipeline spec (validated here).

    Returns
    -------
    tensor : numpy.ndarray
        The preprocessed tensor, C-contiguous (uint8, or float32 after normalize).
    info : dict
        The geometry (``LetterboxInfo`` keys) that maps boxes back to the input.
    """
    spec = load_spec(spec)
    raw = np.asarray(raw)
    check_raw_input(raw, spec)
    fmt = spec["input"]["format"]
    w, h = spec["input"]["width"], spec["input"]["height"]
    img: np.ndarray = raw
    info = _plain_info(w, h, w, h, "none")
    for op in spec["preprocess"]:
        kind = op["op"]
        if kind == "csc":
            img = yuv_to_bgr(img, fmt, op["to"], op["mode"], op.get("matrix", ()))
        elif kind == "resize":
            dw, dh = op["size"]
            interp = cv2.INTER_LINEAR if op["interpolation"] == "linear" else cv2.INTER_NEAREST
            img = cv2.resize(img, (dw, dh), interpolation=interp)
            info = _plain_info(w, h, dw, dh, "resize")
        elif kind == "letterbox":
            dw, dh = op["size"]
            info = letterbox_geometry(w, h, dw, dh, op["style"])
            if (info["resized_width"], info["resized_height"]) != (w, h):
                img = cv2.resize(img, (info["resized_width"], info["resized_height"]),
                                 interpolation=cv2.INTER_LINEAR)
            pad = op["pad_value"]
            ch = 1 if img.ndim == 2 else img.shape[2]
            value = [float(pad)] * ch if not isinstance(pad, list) else [float(p) for p in pad] * (ch // len(pad))
            img = cv2.copyMakeBorder(img, info["pad_top"], info["pad_bottom"], info["pad_left"],
                                     info["pad_right"], cv2.BORDER_CONSTANT, value=value + [0.0] * (4 - ch))
        elif kind == "swap_rb":
            img = img[..., ::-1]
        elif kind == "normalize":
            mean = np.asarray(op["mean"], np.float32)
            std = np.asarray(op["std"], np.float32)
            img = (img.astype(np.float32) - mean) / std
        elif kind == "layout":
            if img.ndim == 2:
                img = img[..., None]
            to = op["to"]
            if to in ("CHW", "NCHW"):
                img = img.transpose(2, 0, 1)
            if to.startswith("N"):
                img = img[None]
    return np.ascontiguousarray(img), info


def to_input_format(bgr: np.ndarray, fmt: str) -> np.ndarray:
    """Convert a BGR uint8 image into a spec input format by OpenCV's rules.

    RGB and GRAY use ``cv2.cvtColor``; YUV420SP (NV12) is ``COLOR_BGR2YUV_I420``
    with the U and V planes interleaved (YVU420SP: V first); YUYV422 / UYVY422
    are ``COLOR_BGR2YUV_YUY2`` / ``COLOR_BGR2YUV_UYVY``. 4:2:x formats need even sizes.
    """
    bgr = np.ascontiguousarray(bgr)
    if bgr.dtype != np.uint8 or bgr.ndim != 3 or bgr.shape[2] != 3:
        raise ValueError(f"expected a BGR uint8 (H, W, 3) image, got {bgr.dtype} {bgr.shape}")
    h, w = bgr.shape[:2]
    if fmt == "BGR":
        return bgr.copy()
    if fmt == "RGB":
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    if fmt == "GRAY":
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    if fmt in ("YUV420SP", "YVU420SP"):
        if w % 2 or h % 2:
            raise ValueError(f"{fmt} needs an even width and height, got {w}x{h}")
        i420 = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
        q = (h // 2) * (w // 2)
        u = i420[h:].reshape(-1)[:q]
        v = i420[h:].reshape(-1)[q:]
        out = np.empty((h * 3 // 2, w), np.uint8)
        out[:h] = i420[:h]
        uv = out[h:].reshape(-1)
        first, second = (u, v) if fmt == "YUV420SP" else (v, u)
        uv[0::2], uv[1::2] = first, second
        return out
    if fmt in ("YUYV422", "UYVY422"):
        if w % 2:
            raise ValueError(f"{fmt} needs an even width, got {w}")
        code = cv2.COLOR_BGR2YUV_YUY2 if fmt == "YUYV422" else cv2.COLOR_BGR2YUV_UYVY
        return cv2.cvtColor(bgr, code)
    raise ValueError(f"unknown input format {fmt!r}")


def prepare_input(bgr: np.ndarray, spec: Mapping[str, Any]) -> np.ndarray:
    """Resize a BGR image to the spec's input size (``cv2.INTER_LINEAR``) and convert it to its format."""
    w, h = spec["input"]["width"], spec["input"]["height"]
    if bgr.ndim == 2:
        bgr = cv2.cvtColor(bgr, cv2.COLOR_GRAY2BGR)
    elif bgr.ndim == 3 and bgr.shape[2] == 4:
        bgr = cv2.cvtColor(bgr, cv2.COLOR_BGRA2BGR)
    if bgr.shape[:2] != (h, w):
        bgr = cv2.resize(bgr, (w, h), interpolation=cv2.INTER_LINEAR)
    return to_input_format(bgr, spec["input"]["format"])

"""The training-side preprocessing of a spec, with cv2 and numpy only.

This is the code a Python pipeline contains (``cv2.cvtColor``, ``cv2.resize``,
``cv2.copyMakeBorder``, numpy arithmetic), written independently of the C++
core in ``pyalign.core``: comparing the two is what proves the C++ right.

* :func:`run_reference` executes a spec's ``preprocess`` ops on a raw input.
* :func:`to_input_format` turns a BGR image into a spec input format by
  OpenCV's rules (NV12 = ``COLOR_BGR2YUV_I420`` with U and V interleaved, ...),
  :func:`yuv_to_bgr` decodes a YUV frame: the one place that names OpenCV's
  conversion codes of a format (:data:`CV_DECODE`, :data:`CV_ENCODE`, keyed by
  the names of :mod:`pyalign.formats`); the diagnosis and the report convert
  through these functions.
* :func:`letterbox_geometry` gives the ultralytics / center (ax-samples) geometry.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Sequence, Tuple, Union

import cv2
import numpy as np

from pyalign import formats
from pyalign.formats import PACKED_YUV, SEMI_PLANAR_YUV
from pyalign.spec.model import check_raw_input, load_spec

__all__ = [
    "run_reference",
    "to_input_format",
    "prepare_input",
    "letterbox_geometry",
    "yuv_to_bgr",
    "yuv_planes",
    "CV_DECODE",
    "CV_ENCODE",
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

#: ``cv2.cvtColor`` codes decoding each YUV format to (BGR, RGB): the ``"opencv"`` csc mode.
CV_DECODE: Dict[str, Tuple[int, int]] = {
    "YUV420SP": (cv2.COLOR_YUV2BGR_NV12, cv2.COLOR_YUV2RGB_NV12),
    "YVU420SP": (cv2.COLOR_YUV2BGR_NV21, cv2.COLOR_YUV2RGB_NV21),
    "YUYV422": (cv2.COLOR_YUV2BGR_YUY2, cv2.COLOR_YUV2RGB_YUY2),
    "UYVY422": (cv2.COLOR_YUV2BGR_UYVY, cv2.COLOR_YUV2RGB_UYVY),
}
#: ``cv2.cvtColor`` codes making a format from BGR where one code does it (BGR itself is a copy;
#: the 4:2:0 semi-planar formats are ``COLOR_BGR2YUV_I420`` with U and V interleaved).
CV_ENCODE: Dict[str, int] = {
    "RGB": cv2.COLOR_BGR2RGB,
    "GRAY": cv2.COLOR_BGR2GRAY,
    "YUYV422": cv2.COLOR_BGR2YUV_YUY2,
    "UYVY422": cv2.COLOR_BGR2YUV_UYVY,
}


def yuv_planes(raw: np.ndarray, fmt: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return full-resolution uint8 Y, U, V planes (chroma replicated) of a YUV frame.

    Parameters
    ----------
    raw : numpy.ndarray
        The frame, shaped as :func:`pyalign.formats.raw_shape` says.
    fmt : str
        A YUV format of :mod:`pyalign.formats` (name or alias).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Y, U and V, each ``(H, W)``.

    Raises
    ------
    ValueError
        ``fmt`` is not a YUV format, or ``raw`` is not shaped as one of its frames.
    """
    f = formats.lookup(fmt)
    w, h = formats.size_from_shape(f, raw.shape)
    sx, sy = f.subsampling
    if f.family == SEMI_PLANAR_YUV:
        y = raw[:h]
        pairs = raw[h:].reshape(h // sy, w // sx, 2)
        u, v = pairs[..., f.offsets[1]], pairs[..., f.offsets[2]]
    elif f.family == PACKED_YUV:
        step = f.bits_per_pixel // 8  # bytes per pixel: the channels of the array
        y = raw[..., f.luma_channel]
        u = raw[:, f.offsets[1] // step::sx, f.offsets[1] % step]
        v = raw[:, f.offsets[2] // step::sx, f.offsets[2] % step]
    else:
        raise ValueError(f"not a YUV format: {f.name}")

    def full(c: np.ndarray) -> np.ndarray:
        c = np.repeat(c, sy, axis=0) if sy > 1 else c
        return np.repeat(c, sx, axis=1) if sx > 1 else c

    return y, full(u), full(v)


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
        return cv2.cvtColor(np.ascontiguousarray(raw), CV_DECODE[formats.lookup(fmt).name][to == "RGB"])
    y, u, v = (p.astype(np.float64) for p in yuv_planes(raw, fmt))
    m = csc_matrix(mode, matrix)
    rgb = np.empty(y.shape + (3,), np.uint8)
    for r in range(3):
        x = m[r, 0] * y + m[r, 1] * u + m[r, 2] * v + m[r, 3] * 256.0
        x = np.sign(x) * np.floor(np.abs(x) + 0.5)
        rgb[..., r] = np.clip(x, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(rgb if to == "RGB" else rgb[..., ::-1])


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

    :data:`CV_ENCODE` gives the ``cv2.cvtColor`` code of a format; the 4:2:0
    semi-planar formats (YUV420SP = NV12) are ``COLOR_BGR2YUV_I420`` with the U and V
    planes interleaved in the format's chroma order. The size must suit the format's
    chroma subsampling (:func:`pyalign.formats.check_size`).
    """
    bgr = np.ascontiguousarray(bgr)
    if bgr.dtype != np.uint8 or bgr.ndim != 3 or bgr.shape[2] != 3:
        raise ValueError(f"expected a BGR uint8 (H, W, 3) image, got {bgr.dtype} {bgr.shape}")
    h, w = bgr.shape[:2]
    try:
        f = formats.lookup(fmt, aliases=False)
    except ValueError:
        raise ValueError(f"unknown input format {fmt!r}") from None
    formats.check_size(f, w, h)
    if f.name == "BGR":
        return bgr.copy()
    if f.family == SEMI_PLANAR_YUV and f.subsampling == (2, 2):
        i420 = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
        chroma = i420[h:].reshape(-1)
        q = chroma.size // 2
        out = np.empty(formats.raw_shape(f, w, h), np.uint8)
        out[:h] = i420[:h]
        pairs = out[h:].reshape(-1, 2)
        pairs[:, f.offsets[1]], pairs[:, f.offsets[2]] = chroma[:q], chroma[q:]
        return out
    return cv2.cvtColor(bgr, CV_ENCODE[f.name])


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

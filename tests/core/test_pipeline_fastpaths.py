"""Speed paths of the fused pipeline and the resize against cv2 + numpy as oracles.

The fused pipeline converts only the YUV source columns a downscale reads (column compaction), and
an odd integer ratio (weights (2048, 0) on both axes) becomes a pure selection of pixels; a resize
that keeps the width runs an identity horizontal pass. Each must give exactly cv2's bytes.
"""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

import cv2
import numpy as np
import pytest

from pyalign.core import letterbox_info, preprocess, resize

TO_BGR = {"YUV420SP": cv2.COLOR_YUV2BGR_NV12, "YVU420SP": cv2.COLOR_YUV2BGR_NV21,
          "YUYV422": cv2.COLOR_YUV2BGR_YUY2, "UYVY422": cv2.COLOR_YUV2BGR_UYVY}


def raw_frame(rng: np.random.Generator, fmt: str, w: int, h: int) -> np.ndarray:
    shape: Tuple[int, ...] = (h * 3 // 2, w) if fmt in ("YUV420SP", "YVU420SP") else (h, w, 2)
    return rng.integers(0, 256, shape, dtype=np.uint8)


def spec_for(fmt: str, w: int, h: int, geometry: Dict[str, Any], to: str = "RGB",
             norm: bool = True, layout: str = "NCHW") -> Dict[str, Any]:
    ops: List[Dict[str, Any]] = [{"op": "csc", "to": to, "mode": "opencv"}, geometry]
    if norm:
        ops.append({"op": "normalize", "mean": [0.5, 10.0, 127.0], "std": [255.0, 3.0, 57.5]})
    ops.append({"op": "layout", "to": layout})
    return {"input": {"format": fmt, "width": w, "height": h}, "preprocess": ops}


def cv2_chain(raw: np.ndarray, spec: Dict[str, Any]) -> np.ndarray:
    """cv2.cvtColor, cv2.resize / cv2.copyMakeBorder, numpy normalize and transpose."""
    fmt, w, h = spec["input"]["format"], spec["input"]["width"], spec["input"]["height"]
    img = cv2.cvtColor(raw, TO_BGR[fmt])
    if spec["preprocess"][0]["to"] == "RGB":
        img = np.ascontiguousarray(img[..., ::-1])
    for op in spec["preprocess"][1:]:
        if op["op"] == "resize":
            interp = cv2.INTER_NEAREST if op.get("interpolation") == "nearest" else cv2.INTER_LINEAR
            img = cv2.resize(img, tuple(op["size"]), interpolation=interp)
        elif op["op"] == "letterbox":
            info = letterbox_info((w, h), tuple(op["size"]), op.get("style", "ultralytics"))
            if (info.resized_width, info.resized_height) != (w, h):
                img = cv2.resize(img, (info.resized_width, info.resized_height), interpolation=cv2.INTER_LINEAR)
            img = cv2.copyMakeBorder(img, info.pad_top, info.pad_bottom, info.pad_left, info.pad_right,
                                     cv2.BORDER_CONSTANT, value=(114, 114, 114))
        elif op["op"] == "normalize":
            img = (img.astype(np.float32) - np.float32(op["mean"])) / np.float32(op["std"])
        elif op["op"] == "layout":
            img = img.transpose(2, 0, 1)[None]
    return np.ascontiguousarray(img)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("fmt", list(TO_BGR))
def test_odd_integer_ratios_are_pure_selection_and_exact(fmt: str) -> None:
    rng = np.random.default_rng(31)
    for k in (3, 5, 7):
        for _ in range(3):
            dw, dh = 2 * int(rng.integers(2, 20)), 2 * int(rng.integers(2, 20))
            w, h = dw * k, dh * k
            raw = raw_frame(rng, fmt, w, h)
            for geometry in ({"op": "resize", "size": [dw, dh]},
                             {"op": "letterbox", "size": [max(dw, dh) + 4, max(dw, dh) + 4]}):
                spec = spec_for(fmt, w, h, geometry)
                assert same(preprocess(raw, spec), cv2_chain(raw, spec)), spec


@pytest.mark.parametrize("fmt", list(TO_BGR))
def test_random_downscales_with_column_compaction(fmt: str) -> None:
    # Any downscale reads a subset of the columns; compaction must not change a byte.
    rng = np.random.default_rng(77)
    for i in range(40):
        w, h = 2 * int(rng.integers(4, 120)), 2 * int(rng.integers(2, 60))
        dw, dh = int(rng.integers(1, w)), int(rng.integers(1, 2 * h))
        geometry: Dict[str, Any] = {"op": "resize", "size": [dw, dh],
                                    "interpolation": "nearest" if i % 5 == 0 else "linear"}
        if i % 3 == 0:
            side = int(rng.integers(max(4, w // 8), w))
            if min(side / w, side / h) * min(w, h) < 2:
                continue
            geometry = {"op": "letterbox", "size": [side, side]}
        spec = spec_for(fmt, w, h, geometry, to=str(rng.choice(["RGB", "BGR"])), norm=bool(i % 2),
                        layout="NCHW")
        raw = raw_frame(rng, fmt, w, h)
        assert same(preprocess(raw, spec), cv2_chain(raw, spec)), spec


@pytest.mark.parametrize("dsize,geometry", [((640, 640), "letterbox"), ((640, 640), "resize"),
                                            ((512, 512), "resize"), ((416, 416), "letterbox"),
                                            ((1920, 360), "resize")])
def test_full_hd_nv12_cases(dsize: Tuple[int, int], geometry: str) -> None:
    rng = np.random.default_rng(5)
    raw = raw_frame(rng, "YUV420SP", 1920, 1080)
    spec = spec_for("YUV420SP", 1920, 1080, {"op": geometry, "size": list(dsize)})
    assert same(preprocess(raw, spec), cv2_chain(raw, spec)), spec


@pytest.mark.parametrize("cn", [1, 2, 3, 4])
def test_resize_keeping_the_width_matches_cv2(cn: int) -> None:
    # Identity horizontal pass (and a pure row selection for odd integer row ratios).
    rng = np.random.default_rng(cn)
    for _ in range(30):
        w, h = int(rng.integers(1, 200)), int(rng.integers(1, 200))
        dh = int(rng.integers(1, 300)) if rng.random() < 0.5 else max(1, h // 3)
        shape = (h, w) if cn == 1 else (h, w, cn)
        src = rng.integers(0, 256, shape, dtype=np.uint8)
        if cn == 2 and 2 * dh == h:
            continue  # cv2's 2-channel exact-2x path is covered in test_resize
        got = resize(src, (w, dh))
        want = cv2.resize(src, (w, dh), interpolation=cv2.INTER_LINEAR)
        assert same(got, want), (w, h, dh, cn)
    src = rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    assert same(resize(src, (1920, 360)), cv2.resize(src, (1920, 360), interpolation=cv2.INTER_LINEAR))


@pytest.mark.parametrize("cn", [1, 2, 3, 4])
def test_odd_integer_ratio_resize_of_images_matches_cv2(cn: int) -> None:
    # All weights (2048, 0): a pure pixel selection (rows and columns), or a column gather.
    rng = np.random.default_rng(100 + cn)
    for k in (3, 5, 7, 9):
        for rows_too in (True, False):
            dw, dh = int(rng.integers(1, 60)), int(rng.integers(1, 40))
            w, h = dw * k, dh * k if rows_too else int(rng.integers(1, 120))
            shape = (h, w) if cn == 1 else (h, w, cn)
            src = rng.integers(0, 256, shape, dtype=np.uint8)
            want = cv2.resize(src, (dw, dh), interpolation=cv2.INTER_LINEAR)
            assert same(resize(src, (dw, dh)), want), (w, h, dw, dh, cn)


def test_bgr_full_hd_letterbox_and_resize_select_pixels_exactly() -> None:
    rng = np.random.default_rng(9)
    bgr = rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    assert same(resize(bgr, (640, 360)), cv2.resize(bgr, (640, 360), interpolation=cv2.INTER_LINEAR))
    spec = {"input": {"format": "BGR", "width": 1920, "height": 1080},
            "preprocess": [{"op": "letterbox", "size": [640, 640]}, {"op": "swap_rb"},
                           {"op": "normalize", "mean": [0, 0, 0], "std": [255, 255, 255]},
                           {"op": "layout", "to": "NCHW"}]}
    img = cv2.resize(bgr, (640, 360), interpolation=cv2.INTER_LINEAR)
    img = cv2.copyMakeBorder(img, 140, 140, 0, 0, cv2.BORDER_CONSTANT, value=(114, 114, 114))
    want = np.ascontiguousarray(((img[..., ::-1].astype(np.float32) - np.float32(0)) / np.float32(255))
                                .transpose(2, 0, 1)[None])
    assert same(preprocess(bgr, spec), want)

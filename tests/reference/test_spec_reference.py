"""The cv2/numpy reference executor (pyalign.reference.preprocess) checked against cv2 and hand values."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from pyalign.reference import letterbox_geometry, prepare_input, run_reference, to_input_format, yuv_to_bgr
from pyalign.synthetic import synthetic_image

YUV = ["YUV420SP", "YVU420SP", "YUYV422", "UYVY422"]


@pytest.mark.parametrize("src,dst,style,expect", [
    # (src w,h), (dst w,h), style, (resized w,h, left, top, right, bottom)
    ((1920, 1080), (640, 640), "ultralytics", (640, 360, 0, 140, 0, 140)),
    ((1280, 720), (640, 640), "center", (640, 360, 0, 140, 0, 140)),
    ((500, 375), (640, 640), "ultralytics", (640, 480, 0, 80, 0, 80)),
    ((1000, 333), (640, 640), "ultralytics", (640, 213, 0, 213, 0, 214)),
    ((1000, 333), (640, 640), "center", (640, 213, 0, 213, 0, 214)),
    ((300, 199), (640, 640), "ultralytics", (640, 425, 0, 107, 0, 108)),
    ((300, 199), (640, 640), "center", (640, 424, 0, 108, 0, 108)),
    ((199, 300), (640, 640), "ultralytics", (425, 640, 107, 0, 108, 0)),
    ((640, 480), (320, 320), "ultralytics", (320, 240, 0, 40, 0, 40)),
    # ax-samples computes int(float32 ratio * size) in float32: the limiting side comes out one short
    ((100, 1101), (640, 640), "center", (58, 639, 291, 0, 291, 1)),
    ((100, 386), (416, 416), "center", (107, 415, 154, 0, 155, 1)),
    ((100, 1101), (640, 640), "ultralytics", (58, 640, 291, 0, 291, 0)),
])
def test_letterbox_geometry_hand_values(src, dst, style, expect):
    g = letterbox_geometry(*src, *dst, style)
    got = (g["resized_width"], g["resized_height"], g["pad_left"], g["pad_top"], g["pad_right"], g["pad_bottom"])
    assert got == expect
    assert g["scale_x"] == g["scale_y"] == min(dst[0] / src[0], dst[1] / src[1])


def test_letterbox_geometry_is_consistent_on_random_sizes():
    rng = np.random.default_rng(1)
    for _ in range(2000):
        sw, sh, dw, dh = (int(v) for v in rng.integers(1, 3000, 4))
        for style in ("ultralytics", "center"):
            try:
                g = letterbox_geometry(sw, sh, dw, dh, style)
            except ValueError as e:  # a side that would resize to 0 pixels
                assert "empty image" in str(e)
                assert min(sw, sh) * min(dw / sw, dh / sh) < 1  # only when a side truly vanishes
                continue
            assert g["resized_width"] >= 1 and g["resized_height"] >= 1
            assert g["pad_left"] + g["resized_width"] + g["pad_right"] == dw
            assert g["pad_top"] + g["resized_height"] + g["pad_bottom"] == dh
            assert min(g["pad_left"], g["pad_top"], g["pad_right"], g["pad_bottom"]) >= 0
            assert abs(g["pad_left"] - g["pad_right"]) <= 1 and abs(g["pad_top"] - g["pad_bottom"]) <= 1


def test_nv12_and_nv21_are_i420_interleaved():
    img = synthetic_image(48, 64, seed=3)
    i420 = cv2.cvtColor(img, cv2.COLOR_BGR2YUV_I420)
    u = i420[48:].reshape(-1)[: 24 * 32].reshape(24, 32)
    v = i420[48:].reshape(-1)[24 * 32:].reshape(24, 32)
    nv12 = to_input_format(img, "YUV420SP")
    nv21 = to_input_format(img, "YVU420SP")
    assert nv12.shape == (72, 64) and nv12.dtype == np.uint8
    np.testing.assert_array_equal(nv12[:48], i420[:48])
    np.testing.assert_array_equal(nv12[48:, 0::2], u)
    np.testing.assert_array_equal(nv12[48:, 1::2], v)
    np.testing.assert_array_equal(nv21[48:, 0::2], v)
    np.testing.assert_array_equal(nv21[48:, 1::2], u)
    # decoding NV12 and the I420 it came from give the same image
    np.testing.assert_array_equal(cv2.cvtColor(nv12, cv2.COLOR_YUV2BGR_NV12), cv2.cvtColor(i420, cv2.COLOR_YUV2BGR_I420))
    np.testing.assert_array_equal(cv2.cvtColor(nv21, cv2.COLOR_YUV2BGR_NV21), cv2.cvtColor(i420, cv2.COLOR_YUV2BGR_I420))


def test_other_formats_follow_opencv():
    img = synthetic_image(30, 40, seed=4)
    np.testing.assert_array_equal(to_input_format(img, "BGR"), img)
    np.testing.assert_array_equal(to_input_format(img, "RGB"), img[..., ::-1])
    np.testing.assert_array_equal(to_input_format(img, "GRAY"), cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))
    np.testing.assert_array_equal(to_input_format(img, "YUYV422"), cv2.cvtColor(img, cv2.COLOR_BGR2YUV_YUY2))
    np.testing.assert_array_equal(to_input_format(img, "UYVY422"), cv2.cvtColor(img, cv2.COLOR_BGR2YUV_UYVY))
    with pytest.raises(ValueError, match="even width and height"):
        to_input_format(img[:29], "YUV420SP")
    with pytest.raises(ValueError, match="even width"):
        to_input_format(img[:, :39], "YUYV422")
    with pytest.raises(ValueError, match="BGR uint8"):
        to_input_format(img[..., 0], "BGR")


@pytest.mark.parametrize("fmt", YUV)
def test_opencv_mode_is_cvtcolor(fmt):
    img = synthetic_image(32, 48, seed=5)
    raw = to_input_format(img, fmt)
    code = {"YUV420SP": cv2.COLOR_YUV2RGB_NV12, "YVU420SP": cv2.COLOR_YUV2RGB_NV21,
            "YUYV422": cv2.COLOR_YUV2RGB_YUY2, "UYVY422": cv2.COLOR_YUV2RGB_UYVY}[fmt]
    np.testing.assert_array_equal(yuv_to_bgr(raw, fmt, "RGB"), cv2.cvtColor(raw, code))


def _scalar_csc(y, u, v, m):
    """One pixel, plain Python floats: the documented matrix semantics (bias column x 256)."""
    out = []
    for r in range(3):
        x = ((m[4 * r] * y + m[4 * r + 1] * u) + m[4 * r + 2] * v) + m[4 * r + 3] * 256.0
        x = np.floor(x + 0.5) if x >= 0 else -np.floor(-x + 0.5)
        out.append(int(min(255, max(0, x))))
    return out  # R, G, B


@pytest.mark.parametrize("fmt", YUV)
def test_matrix_mode_against_scalar_formula(fmt):
    rng = np.random.default_rng(6)
    h, w = 6, 8
    raw = rng.integers(0, 256, (h * 3 // 2, w) if "420" in fmt else (h, w, 2), dtype=np.uint8)
    m = [float(x) for x in rng.uniform(-2, 2, 12)]
    got = yuv_to_bgr(raw, fmt, "RGB", "matrix", m)
    for yy in range(h):
        for xx in range(w):
            if fmt in ("YUV420SP", "YVU420SP"):
                Y = raw[yy, xx]
                c = raw[h + yy // 2, (xx // 2) * 2:(xx // 2) * 2 + 2]
                U, V = (c[0], c[1]) if fmt == "YUV420SP" else (c[1], c[0])
            else:
                pair = raw[yy, (xx // 2) * 2:(xx // 2) * 2 + 2]
                if fmt == "YUYV422":
                    Y, U, V = raw[yy, xx, 0], pair[0, 1], pair[1, 1]
                else:
                    Y, U, V = raw[yy, xx, 1], pair[0, 0], pair[1, 0]
            assert list(got[yy, xx]) == _scalar_csc(float(Y), float(U), float(V), m), (yy, xx)


@pytest.mark.parametrize("fmt", YUV)
def test_limited_range_is_close_to_opencv(fmt):
    img = synthetic_image(64, 96, seed=7)
    raw = to_input_format(img, fmt)
    a = yuv_to_bgr(raw, fmt).astype(int)
    b = yuv_to_bgr(raw, fmt, mode="limited_range").astype(int)
    assert np.abs(a - b).max() <= 2  # the same BT.601 limited range, other rounding
    f = yuv_to_bgr(raw, fmt, mode="full_range").astype(int)
    assert np.abs(a - f).max() > 5  # full range is really different


def _spec(fmt, ops, w=64, h=48):
    return {"input": {"format": fmt, "width": w, "height": h}, "preprocess": ops}


def test_run_reference_letterbox_normalize_layout():
    img = synthetic_image(48, 64, seed=8)
    spec = _spec("BGR", [{"op": "letterbox", "size": [40, 40], "pad_value": [1, 2, 3]}, {"op": "swap_rb"},
                         {"op": "normalize", "mean": [10, 20, 30], "std": [2, 4, 8]}, {"op": "layout", "to": "NCHW"}])
    t, info = run_reference(img, spec)
    assert t.shape == (1, 3, 40, 40) and t.dtype == np.float32 and t.flags.c_contiguous
    assert (info["resized_width"], info["resized_height"], info["pad_top"], info["pad_bottom"]) == (40, 30, 5, 5)
    inner = cv2.resize(img, (40, 30), interpolation=cv2.INTER_LINEAR)
    canvas = np.empty((40, 40, 3), np.uint8)
    canvas[:] = (1, 2, 3)
    canvas[5:35] = inner
    rgb = canvas[..., ::-1]
    for c, (m, s) in enumerate(zip((10, 20, 30), (2, 4, 8))):
        expect = (rgb[..., c].astype(np.float32) - np.float32(m)) / np.float32(s)
        np.testing.assert_array_equal(t[0, c], expect)
    # the pad of channel R (after the swap, channel 0) is BGR pad value 3
    assert t[0, 0, 0, 0] == (np.float32(3) - 10) / 2


def test_run_reference_uint8_and_layouts():
    img = synthetic_image(48, 64, seed=9)
    t, info = run_reference(img, _spec("BGR", [{"op": "resize", "size": [32, 24], "interpolation": "nearest"},
                                               {"op": "layout", "to": "CHW"}]))
    assert t.dtype == np.uint8 and t.shape == (3, 24, 32)
    np.testing.assert_array_equal(t, cv2.resize(img, (32, 24), interpolation=cv2.INTER_NEAREST).transpose(2, 0, 1))
    assert info["scale_x"] == 0.5 and info["pad_left"] == 0
    t, _ = run_reference(img, _spec("BGR", [{"op": "layout", "to": "NHWC"}]))
    np.testing.assert_array_equal(t, img[None])
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    t, _ = run_reference(gray, _spec("GRAY", [{"op": "normalize", "mean": [128], "std": [64]}, {"op": "layout", "to": "NCHW"}]))
    assert t.shape == (1, 1, 48, 64)
    np.testing.assert_array_equal(t[0, 0], (gray.astype(np.float32) - 128) / 64)


@pytest.mark.parametrize("fmt", YUV)
def test_run_reference_yuv_then_letterbox(fmt):
    img = synthetic_image(48, 64, seed=10)
    raw = to_input_format(img, fmt)
    t, _ = run_reference(raw, _spec(fmt, [{"op": "csc", "to": "RGB"}, {"op": "letterbox", "size": [32, 32], "style": "center", "pad_value": 0}]))
    rgb = yuv_to_bgr(raw, fmt, "RGB")
    np.testing.assert_array_equal(t[4:28], cv2.resize(rgb, (32, 24), interpolation=cv2.INTER_LINEAR))
    assert not t[:4].any() and not t[28:].any()


def test_run_reference_rejects_wrong_input():
    spec = _spec("YUV420SP", [{"op": "csc"}])
    with pytest.raises(ValueError, match=r"raw input for YUV420SP 64x48 must be uint8 \(72, 64\), got uint8 \(48, 64\)"):
        run_reference(np.zeros((48, 64), np.uint8), spec)
    with pytest.raises(ValueError, match="got float32"):
        run_reference(np.zeros((72, 64), np.float32), spec)


def test_prepare_input_resizes_and_converts():
    img = synthetic_image(100, 150, seed=11)
    spec = {"input": {"format": "YUV420SP", "width": 64, "height": 48}}
    raw = prepare_input(img, spec)
    np.testing.assert_array_equal(raw, to_input_format(cv2.resize(img, (64, 48), interpolation=cv2.INTER_LINEAR), "YUV420SP"))


from spec_strategies import random_spec  # noqa: E402


def test_preprocessed_info_matches_the_reference_on_random_specs():
    from pyalign.spec import load_spec, model_input_size, preprocessed_info, raw_input_shape

    rng = np.random.default_rng(12)
    for _ in range(150):
        spec = load_spec(random_spec(rng))
        raw = rng.integers(0, 256, raw_input_shape(spec), dtype=np.uint8)
        t, info = run_reference(raw, spec)
        ti = preprocessed_info(spec)
        assert t.shape == ti.shape and t.dtype.name == ti.dtype, spec
        assert (info["dst_width"], info["dst_height"]) == model_input_size(spec)
        assert (info["src_width"], info["src_height"]) == (spec["input"]["width"], spec["input"]["height"])

"""pyalign.core.letterbox against independent numpy + cv2 references of each style."""
from __future__ import annotations

import dataclasses
import json

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyalign.core import LetterboxInfo, letterbox, letterbox_info


def _pad_tuple(pad, cn):
    return tuple(pad) if isinstance(pad, (list, tuple)) else (pad,) * cn


def ultralytics_reference(img, new_shape_wh, color=114):
    """Ultralytics LetterBox (auto=False, scaleup=True, center=True), as written in its augment.py."""
    shape = img.shape[:2]
    new_h, new_w = new_shape_wh[1], new_shape_wh[0]
    r = min(new_h / shape[0], new_w / shape[1])
    new_unpad = int(round(shape[1] * r)), int(round(shape[0] * r))
    dw, dh = new_w - new_unpad[0], new_h - new_unpad[1]
    dw /= 2
    dh /= 2
    if shape[::-1] != new_unpad:
        img = cv2.resize(img, new_unpad, interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    cn = 1 if img.ndim == 2 else img.shape[2]
    value = _pad_tuple(color, cn)
    out = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=value)
    return out, (r, left, top, right, bottom, new_unpad)


def center_reference(img, new_shape_wh, color=0):
    """Axera ax-samples get_input_data_letterbox: float32 ratio, int(ratio * side) in float32,
    top = d / 2, bottom = (d + 1) / 2."""
    h, w = img.shape[:2]
    dst_w, dst_h = new_shape_wh
    rows_ratio, cols_ratio = dst_h * 1.0 / h, dst_w * 1.0 / w
    scale = np.float32(rows_ratio if rows_ratio < cols_ratio else cols_ratio)
    new_w, new_h = int(scale * np.float32(w)), int(scale * np.float32(h))
    r = min(rows_ratio, cols_ratio)
    if min(new_w, new_h) < 1:
        return None, (r, 0, 0, 0, 0, (new_w, new_h))
    if (new_w, new_h) != (w, h):
        img = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    top, bottom = (dst_h - new_h) // 2, (dst_h - new_h + 1) // 2
    left, right = (dst_w - new_w) // 2, (dst_w - new_w + 1) // 2
    cn = 1 if img.ndim == 2 else img.shape[2]
    out = np.empty((dst_h, dst_w) + img.shape[2:], img.dtype)
    out[...] = np.array(_pad_tuple(color, cn), dtype=img.dtype).reshape((cn,) if img.ndim == 3 else ())
    out[top : top + new_h, left : left + new_w] = img.reshape(out[top : top + new_h, left : left + new_w].shape)
    if out.ndim == 3 and out.shape[2] == 1:  # single-channel results are 2-D, as cv2 gives them
        out = out[:, :, 0]
    return out, (r, left, top, right, bottom, (new_w, new_h))


def _random_case(rng):
    """Random sizes and aspect ratios: tall, wide, tiny, identity and the usual camera sizes."""
    kind = rng.integers(0, 6)
    if kind == 0:
        sw, sh = rng.integers(1, 400, 2)
    elif kind == 1:
        sw, sh = int(rng.integers(100, 800)), int(rng.integers(2, 60))
    elif kind == 2:
        sw, sh = int(rng.integers(2, 60)), int(rng.integers(100, 800))
    elif kind == 3:
        sw, sh = [(1920, 1080), (1280, 720), (640, 480), (1080, 1920)][rng.integers(0, 4)]
    else:
        sw, sh = rng.integers(8, 200, 2)
    if kind == 4:
        dw, dh = int(sw), int(sh)
    else:
        dw, dh = [(640, 640), (320, 320), (416, 256), (224, 224)][rng.integers(0, 4)] if rng.random() < 0.5 else rng.integers(8, 300, 2)
    return int(sw), int(sh), int(dw), int(dh)


@pytest.mark.parametrize("style, reference", [("ultralytics", ultralytics_reference), ("center", center_reference)])
def test_letterbox_matches_reference_random(style, reference):
    rng = np.random.default_rng(2026 if style == "ultralytics" else 11)
    checked = 0
    for i in range(160):
        sw, sh, dw, dh = _random_case(rng)
        cn = [0, 1, 3, 4, 3][i % 5]
        shape = (sh, sw) if cn == 0 else (sh, sw, cn)
        src = rng.integers(0, 256, shape, dtype=np.uint8)
        ncn = 1 if cn == 0 else cn
        pad = [114, int(rng.integers(0, 256)), 7, 255][:ncn] if i % 2 else int(rng.integers(0, 256))
        try:
            expected, (r, left, top, right, bottom, unpad) = reference(src, (dw, dh), pad)
        except cv2.error:  # content rounds to 0 pixels: pyalign must refuse too
            with pytest.raises(ValueError):
                letterbox(src, (dw, dh), pad, style)
            continue
        if min(unpad) < 1:
            with pytest.raises(ValueError):
                letterbox(src, (dw, dh), pad, style)
            continue
        actual, info = letterbox(src, (dw, dh), pad, style)
        assert actual.shape == expected.shape, (sw, sh, dw, dh, cn)
        np.testing.assert_array_equal(actual, expected, err_msg=f"{style} {sw}x{sh}->{dw}x{dh} cn={cn}")
        assert (info.pad_left, info.pad_top, info.pad_right, info.pad_bottom) == (left, top, right, bottom)
        assert (info.resized_width, info.resized_height) == tuple(unpad)
        assert info.scale_x == pytest.approx(r, rel=1e-15) and info.scale_y == info.scale_x
        assert (info.src_width, info.src_height, info.dst_width, info.dst_height) == (sw, sh, dw, dh)
        assert info.style == style
        checked += 1
    assert checked > 120


@settings(max_examples=120, deadline=None)
@given(sw=st.integers(1, 300), sh=st.integers(1, 300), dw=st.integers(1, 300), dh=st.integers(1, 300),
       style=st.sampled_from(["ultralytics", "center"]))
def test_letterbox_info_geometry_hypothesis(sw, sh, dw, dh, style):
    """Geometry alone (no image) against the references' arithmetic; any size pair."""
    src = np.zeros((sh, sw), np.uint8)
    ref = ultralytics_reference if style == "ultralytics" else center_reference
    try:
        _, (r, left, top, right, bottom, unpad) = ref(src, (dw, dh))
        ok = min(unpad) >= 1
    except cv2.error:
        ok = False
    if not ok:
        with pytest.raises(ValueError, match="empty"):
            letterbox_info((sw, sh), (dw, dh), style)
        return
    info = letterbox_info((sw, sh), (dw, dh), style)
    assert (info.pad_left, info.pad_top, info.pad_right, info.pad_bottom) == (left, top, right, bottom)
    assert (info.resized_width, info.resized_height) == tuple(unpad)
    assert info.pad_left + info.resized_width + info.pad_right == dw
    assert info.pad_top + info.resized_height + info.pad_bottom == dh


def test_common_camera_geometry():
    info = letterbox_info((1920, 1080), (640, 640), "ultralytics")
    assert (info.resized_width, info.resized_height, info.pad_top, info.pad_bottom) == (640, 360, 140, 140)
    assert info.scale_x == pytest.approx(1 / 3)
    c = letterbox_info((1920, 1080), (640, 640), "center")
    assert (c.resized_width, c.resized_height, c.pad_top, c.pad_bottom) == (640, 360, 140, 140)
    # ax-samples' float32 sizes: the limiting side can be one pixel short
    c = letterbox_info((100, 1101), (640, 640), "center")
    assert (c.resized_width, c.resized_height, c.pad_top, c.pad_bottom) == (58, 639, 0, 1)
    # odd padding split differs between the styles: 100x51 -> 64x64
    u = letterbox_info((100, 51), (64, 64), "ultralytics")  # round(32.64) = 33 rows, 31 pad: 15 / 16
    c = letterbox_info((100, 51), (64, 64), "center")  # int(32.64) = 32 rows, 32 pad: 16 / 16
    assert (u.resized_height, u.pad_top, u.pad_bottom) == (33, 15, 16)
    assert (c.resized_height, c.pad_top, c.pad_bottom) == (32, 16, 16)


def test_letterbox_info_equals_letterbox_geometry_and_maps_boxes_back():
    rng = np.random.default_rng(4)
    src = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    out, info = letterbox(src, (320, 320))
    assert info == letterbox_info((640, 480), (320, 320))
    # The corners of the content map back to the original image corners.
    x1 = (info.pad_left - info.pad_left) / info.scale_x
    x2 = (info.pad_left + info.resized_width - info.pad_left) / info.scale_x
    y2 = (info.pad_top + info.resized_height - info.pad_top) / info.scale_y
    assert (x1, x2, y2) == pytest.approx((0, 640, 480))


def test_info_dict_round_trip_and_json():
    info = letterbox_info((1280, 720), (640, 640), "center")
    d = info.to_dict()
    assert set(d) == {f.name for f in dataclasses.fields(LetterboxInfo)}
    assert LetterboxInfo.from_dict(json.loads(json.dumps(d))) == info
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.pad_top = 3  # type: ignore[misc]
    with pytest.raises(ValueError, match="missing"):
        LetterboxInfo.from_dict({"scale_x": 1.0})
    r = LetterboxInfo.for_resize((1920, 1080), (640, 640))
    assert (r.scale_x, r.scale_y, r.pad_left, r.style) == (640 / 1920, 640 / 1080, 0, "resize")


def test_float32_letterbox_matches_reference(ipp_off):
    rng = np.random.default_rng(9)
    for sw, sh, dw, dh in [(64, 48, 32, 32), (50, 91, 64, 64), (33, 33, 40, 20)]:
        src = (rng.random((sh, sw, 3), dtype=np.float32) * 255).astype(np.float32)
        expected, _ = ultralytics_reference(src, (dw, dh), [0.5, 114.0, 2.0])
        actual, _ = letterbox(src, (dw, dh), [0.5, 114.0, 2.0])
        np.testing.assert_array_equal(actual, expected)


def test_same_size_is_a_copy_and_single_channel_stays_2d():
    rng = np.random.default_rng(0)
    src = rng.integers(0, 256, (20, 30, 1), dtype=np.uint8)
    out, info = letterbox(src, (30, 20))
    assert out.shape == (20, 30)
    np.testing.assert_array_equal(out, src[:, :, 0])
    assert (info.pad_left, info.pad_top, info.pad_right, info.pad_bottom) == (0, 0, 0, 0)


def test_non_contiguous_input_is_accepted():
    src = np.random.default_rng(1).integers(0, 256, (90, 120, 4), dtype=np.uint8)[::3, ::2, :3]
    expected, _ = ultralytics_reference(np.ascontiguousarray(src), (64, 64))
    np.testing.assert_array_equal(letterbox(src, (64, 64))[0], expected)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"style": "yolov5"}, "style"),
        ({"pad_value": 256}, "0..255"),
        ({"pad_value": -1}, "0..255"),
        ({"pad_value": 1.5}, "0..255"),
        ({"pad_value": [1, 2]}, "3 channels"),
        ({"pad_value": "grey"}, "pad_value"),
        ({"pad_value": [1, None, 3]}, "numbers"),
        ({"dsize": (0, 640)}, "positive"),
        ({"dsize": (640,)}, "pair"),
    ],
)
def test_invalid_letterbox_arguments(kwargs, message):
    src = np.zeros((10, 20, 3), np.uint8)
    dsize = kwargs.pop("dsize", (16, 16))
    with pytest.raises(ValueError, match=message):
        letterbox(src, dsize, **kwargs)


def test_invalid_images_and_degenerate_geometry():
    with pytest.raises(ValueError, match="empty"):
        letterbox(np.zeros((0, 4, 3), np.uint8), (8, 8))
    with pytest.raises(ValueError, match="dtype"):
        letterbox(np.zeros((4, 4, 3), np.int32), (8, 8))
    with pytest.raises(ValueError, match="empty"):  # 1 column of 2000 rows into 640x640: round(0.32) = 0
        letterbox(np.zeros((2000, 1), np.uint8), (640, 640))
    with pytest.raises(ValueError, match="style"):
        letterbox_info((10, 10), (5, 5), "weird")
    with pytest.raises(ValueError, match="positive"):
        letterbox_info((0, 10), (5, 5))

"""Each diagnosis hypothesis: manufacture that exact misalignment from a correct capture
(cv2/numpy reference) and check the diagnosis names it first; random noise is unexplained."""
from __future__ import annotations

import types

import cv2
import numpy as np
import pytest

from pyalign.diagnose import Hypothesis, diagnose, diagnose_tensor
from pyalign.reference import to_input_format
from pyalign.synthetic import synthetic_image

W, H = 202, 150          # raw image size
DST = (160, 160)         # letterbox size [w, h]
MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]


def spec_letterbox(pad=114, style="ultralytics", mean=MEAN, std=STD):
    return {"input": {"format": "BGR", "width": W, "height": H},
            "preprocess": [{"op": "letterbox", "size": list(DST), "pad_value": pad, "style": style},
                           {"op": "swap_rb"},
                           {"op": "normalize", "mean": mean, "std": std},
                           {"op": "layout", "to": "NCHW"}]}


def ultralytics_box(img, pad=114, interp=cv2.INTER_LINEAR, shift=(0, 0)):
    """Ultralytics letterbox written out with cv2 (the independent reference)."""
    h, w = img.shape[:2]
    r = min(DST[1] / h, DST[0] / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    dw, dh = (DST[0] - nw) / 2, (DST[1] - nh) / 2
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    res = cv2.resize(img, (nw, nh), interpolation=interp) if (nw, nh) != (w, h) else img
    top, bottom = top + shift[1], bottom - shift[1]
    left, right = left + shift[0], right - shift[0]
    return cv2.copyMakeBorder(res, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(pad, pad, pad))


def center_box(img, pad=114):
    """ax-samples style letterbox: truncated size, d // 2 padding first."""
    h, w = img.shape[:2]
    r = min(DST[1] / h, DST[0] / w)
    nw, nh = int(w * r), int(h * r)
    top, left = (DST[1] - nh) // 2, (DST[0] - nw) // 2
    res = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return cv2.copyMakeBorder(res, top, DST[1] - nh - top, left, DST[0] - nw - left,
                              cv2.BORDER_CONSTANT, value=(pad, pad, pad))


def to_tensor(boxed, mean=MEAN, std=STD, swap=True):
    x = boxed[..., ::-1] if swap else boxed
    x = (x.astype(np.float32) - np.float32(mean)) / np.float32(std)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


@pytest.fixture(scope="module")
def raw():
    return synthetic_image(H, W, seed=5)


@pytest.fixture(scope="module")
def expected(raw):
    return to_tensor(ultralytics_box(raw))


def run(expected, actual, raw=None, spec=None, **kw):
    kw.setdefault("layout", "NCHW")
    kw.setdefault("color", "RGB")
    hs = diagnose(expected, actual, stage="preprocessed", spec=spec if spec is not None else spec_letterbox(),
                  raw_input=raw, **kw)
    assert hs, "a failing tensor always gets at least one diagnosis entry"
    return hs


def check_first(hs, name, explains=True):
    first = hs[0]
    assert first.name == name, [str(h) for h in hs]
    assert first.explains is explains, str(first)
    if explains:
        assert first.before.get("max_abs_diff", 1) > 0
        assert first.after["violations"] == 0
    return first


# ---------------------------------------------------------------- tensor-only hypotheses

def test_reference_recomputation_matches_cv2(raw, expected):
    from pyalign.diagnose.pipeline import run as recompute
    assert np.array_equal(recompute(raw, spec_letterbox()), expected)
    assert diagnose(expected, expected.copy(), stage="preprocessed") == []


def test_channel_swap(raw, expected):
    actual = to_tensor(ultralytics_box(raw), swap=False, mean=MEAN[::-1], std=STD[::-1])
    h = check_first(run(expected, actual, raw), "channel_swap")
    assert "swapping B and R" in h.description and "explains" in str(h)


def test_layout_nhwc_data_in_nchw_tensor(raw, expected):
    nhwc = np.ascontiguousarray(expected.transpose(0, 2, 3, 1))
    check_first(run(expected, nhwc.reshape(expected.shape), raw), "layout")


def test_layout_transposed_shape_nhwc(expected):
    nhwc = np.ascontiguousarray(expected.transpose(0, 2, 3, 1))
    h = check_first(run(expected, nhwc), "layout")
    assert h.params["actual_layout"] == "NHWC"


def test_missing_batch_dimension(expected):
    check_first(run(expected, expected[0].copy()), "reshape")


def test_only_the_dtype_differs(expected):
    hs = diagnose(expected, expected.astype(np.float64), stage="preprocessed")
    assert [h.name for h in hs] == ["dtype"] and hs[0].explains and "float64" in hs[0].description


def test_layout_hwc_vs_chw():
    img = synthetic_image(40, 48, seed=2)
    chw = np.ascontiguousarray(img.transpose(2, 0, 1))
    hs = diagnose(chw, np.ascontiguousarray(img).reshape(chw.shape), stage="raw_input", layout="CHW")
    check_first(hs, "layout")


def test_layout_model_output_last_axes():
    rng = np.random.default_rng(1)
    out = rng.normal(size=(1, 84, 300)).astype(np.float32)
    hs = diagnose(out, np.ascontiguousarray(out.transpose(0, 2, 1)), stage="model_output")
    check_first(hs, "layout")


def test_affine_wrong_mean_implied_mean(raw, expected):
    wrong = [103.53, 116.28, 123.675]   # mean given in BGR order
    actual = to_tensor(ultralytics_box(raw), mean=wrong)
    h = check_first(run(expected, actual, raw), "affine")
    np.testing.assert_allclose(h.params["implied_mean"], wrong, atol=1e-3)
    np.testing.assert_allclose(h.params["implied_std"], STD, rtol=1e-5)


def test_affine_mean_applied_twice(raw, expected):
    twice = [2 * m for m in MEAN]
    actual = to_tensor(ultralytics_box(raw), mean=twice)
    h = check_first(run(expected, actual, raw), "affine")
    np.testing.assert_allclose(h.params["implied_mean"], twice, atol=1e-3)


def test_affine_missing_div255_with_mean(raw, expected):
    # the board applies ImageNet mean/std meant for [0, 1] pixels to 0..255 pixels (no /255)
    mean01, std01 = [m / 255 for m in MEAN], [s / 255 for s in STD]
    actual = to_tensor(ultralytics_box(raw), mean=mean01, std=std01)
    h = check_first(run(expected, actual, raw), "affine")
    np.testing.assert_allclose(h.params["implied_std"], std01, rtol=1e-4)
    np.testing.assert_allclose(h.params["implied_mean"], mean01, atol=1e-3)


def test_constant_scale_missing_div255(raw):
    spec = spec_letterbox(mean=[0, 0, 0], std=[255, 255, 255])
    exp = to_tensor(ultralytics_box(raw), mean=[0, 0, 0], std=[255, 255, 255])
    act = to_tensor(ultralytics_box(raw), mean=[0, 0, 0], std=[1, 1, 1])
    h = check_first(run(exp, act, raw, spec=spec), "scale")
    assert h.params["scale"] == pytest.approx(255, rel=1e-6)
    assert "missing /255" in h.description


def test_two_mistakes_bgr_fed_and_no_div255(raw):
    spec = spec_letterbox(mean=[0, 0, 0], std=[255, 255, 255])
    exp = to_tensor(ultralytics_box(raw), mean=[0, 0, 0], std=[255, 255, 255])
    act = to_tensor(ultralytics_box(raw), mean=[0, 0, 0], std=[1, 1, 1], swap=False)
    h = check_first(run(exp, act, raw, spec=spec), "channel_swap+scale")
    assert "swapping B and R" in h.description and "missing /255" in h.description


def test_constant_offset(expected):
    check_first(run(expected, expected + np.float32(0.5)), "offset")


def test_int8_quantization_applied(expected):
    scale = 1 / 32
    q = np.clip(np.rint(expected / scale), -128, 127).astype(np.int8)
    h = check_first(diagnose(expected, q, stage="preprocessed", layout="NCHW"), "quantization")
    assert h.params["scale"] == pytest.approx(scale)


def test_int8_quantization_not_applied():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 8, 20, 20)).astype(np.float32)
    q = np.clip(np.rint(x / 0.05) + 3, -128, 127).astype(np.int8)
    deq = (q.astype(np.float32) - 3) * np.float32(0.05)
    h = check_first(diagnose(q, deq, stage="model_output", rule={"kind": "exact"}), "quantization")
    assert h.params["zero_point"] == 3


def test_uint8_cast_of_float_tensor(raw):
    exp = cv2.resize(raw.astype(np.float32), (97, 71), interpolation=cv2.INTER_LINEAR)
    act = exp.astype(np.uint8).astype(np.float32)  # C cast: fraction dropped
    hs = diagnose(exp, act, stage="preprocessed", layout="HWC", color="BGR")
    check_first(hs, "rounding.uint8_cast")


# ------------------------------------------------------- recomputed from the raw input

def test_resize_nearest(raw, expected):
    act = to_tensor(ultralytics_box(raw, interp=cv2.INTER_NEAREST))
    check_first(run(expected, act, raw), "resize.nearest")


def test_resize_area_antialias(raw, expected):
    act = to_tensor(ultralytics_box(raw, interp=cv2.INTER_AREA))
    check_first(run(expected, act, raw), "resize.area")


def test_partial_explanation(raw, expected):
    """Area resize plus a few stray pixels: the resize hypothesis only partially explains it."""
    boxed = ultralytics_box(raw, interp=cv2.INTER_AREA)
    stray = np.random.default_rng(4).random(boxed.shape[:2]) < 0.003
    boxed[stray] = 255 - boxed[stray]
    hs = run(expected, to_tensor(boxed), raw)
    h = hs[0]
    assert h.name == "resize.area" and h.partial and not h.explains, [str(x) for x in hs]
    assert "partially explains" in str(h)
    assert h.after["violations"] * 10 <= h.before["violations"]


def float_resize(img, dsize, ipp):
    """cv2's bilinear resize of ``img`` as float32, with IPP on or off (the previous setting restored)."""
    old = cv2.ipp.useIPP()
    try:
        cv2.ipp.setUseIPP(ipp)
        return cv2.resize(img.astype(np.float32), dsize, interpolation=cv2.INTER_LINEAR)
    finally:
        cv2.ipp.setUseIPP(old)


@pytest.mark.parametrize("ipp", [True, False])
def test_resize_float_path(raw, ipp):
    if ipp and not cv2.ipp.useIPP():
        pytest.skip("this OpenCV build has no IPP")
    spec = {"input": {"format": "BGR", "width": W, "height": H},
            "preprocess": [{"op": "resize", "size": [131, 97], "interpolation": "linear"},
                           {"op": "normalize", "mean": [0, 0, 0], "std": [255, 255, 255]},
                           {"op": "layout", "to": "HWC"}]}
    exp = cv2.resize(raw, (131, 97), interpolation=cv2.INTER_LINEAR).astype(np.float32) / np.float32(255)
    other = float_resize(raw, (131, 97), ipp=not ipp)
    fl = float_resize(raw, (131, 97), ipp=ipp)
    act = fl / np.float32(255)
    hs = diagnose(exp, act, stage="preprocessed", layout="HWC", spec=spec, raw_input=raw)
    if np.array_equal(fl, other):
        assert hs[0].name in ("resize.float_ipp", "resize.float_noipp") and hs[0].explains
    else:
        check_first(hs, "resize.float_ipp" if ipp else "resize.float_noipp")


def test_resize_align_corners(raw):
    spec = {"input": {"format": "BGR", "width": W, "height": H},
            "preprocess": [{"op": "resize", "size": [90, 70], "interpolation": "linear"}]}
    exp = cv2.resize(raw, (90, 70), interpolation=cv2.INTER_LINEAR)
    # align-corners sampling written with cv2.remap (float maps, bilinear)
    mx = np.tile(np.arange(90, dtype=np.float32) * np.float32((W - 1) / 89), (70, 1))
    my = np.tile((np.arange(70, dtype=np.float32) * np.float32((H - 1) / 69))[:, None], (1, 90))
    fl = cv2.remap(raw.astype(np.float32), mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    act = np.clip(np.rint(fl), 0, 255).astype(np.uint8)
    hs = diagnose(exp, act, stage="preprocessed", layout="HWC", spec=spec, raw_input=raw)
    assert hs[0].name == "resize.align_corners", [str(h) for h in hs]
    assert hs[0].explains or hs[0].partial


def test_rounding_truncation_before_uint8(raw):
    spec = {"input": {"format": "BGR", "width": W, "height": H},
            "preprocess": [{"op": "resize", "size": [113, 87], "interpolation": "linear"}]}
    exp = cv2.resize(raw, (113, 87), interpolation=cv2.INTER_LINEAR)
    fl = float_resize(raw, (113, 87), ipp=False)
    act = np.floor(fl).astype(np.uint8)
    hs = diagnose(exp, act, stage="preprocessed", layout="HWC", spec=spec, raw_input=raw)
    check_first(hs, "rounding.trunc")


def test_resize_rounded_float_path(raw):
    spec = {"input": {"format": "BGR", "width": W, "height": H},
            "preprocess": [{"op": "resize", "size": [77, 58], "interpolation": "linear"},
                           {"op": "normalize", "mean": [0, 0, 0], "std": [255, 255, 255]}]}
    exp = cv2.resize(raw, (77, 58), interpolation=cv2.INTER_LINEAR).astype(np.float32) / np.float32(255)
    fl = float_resize(raw, (77, 58), ipp=False)
    act = np.clip(np.rint(fl), 0, 255).astype(np.uint8).astype(np.float32) / np.float32(255)
    assert not np.array_equal(act, exp)
    hs = diagnose(exp, act, stage="preprocessed", layout="HWC", spec=spec, raw_input=raw)
    check_first(hs, "resize.round")


def test_yuv_float_limited_range_instead_of_opencv(raw):
    def limited(f):
        h = f.shape[0] * 2 // 3
        y = f[:h].astype(np.float64)
        uv = f[h:].reshape(h // 2, -1, 2).astype(np.float64)
        u = uv[..., 0].repeat(2, 0).repeat(2, 1)
        v = uv[..., 1].repeat(2, 0).repeat(2, 1)
        r = 1.164 * y + 1.596 * v - (1.164 * 16 + 1.596 * 128)
        g = 1.164 * y - 0.392 * u - 0.813 * v + (-1.164 * 16 + 0.392 * 128 + 0.813 * 128)
        b = 1.164 * y + 2.017 * u - (1.164 * 16 + 2.017 * 128)
        bgr = np.stack([b, g, r], -1)
        return np.clip(np.sign(bgr) * np.floor(np.abs(bgr) + 0.5), 0, 255).astype(np.uint8)

    frame, exp, act = yuv_case(raw, limited)
    assert not np.array_equal(exp, act)
    hs = diagnose(exp, act, stage="preprocessed", layout="HWC", spec=YUV_SPEC, raw_input=frame)
    h = hs[0]
    assert h.name == "yuv.limited_range" and (h.explains or h.partial), [str(x) for x in hs]


def test_reference_that_does_not_follow_its_spec(raw):
    board = to_tensor(ultralytics_box(raw))                      # follows the spec
    stale = to_tensor(ultralytics_box(raw, pad=0))               # the reference was made with pad 0
    h = check_first(run(stale, board, raw), "reference_off_spec")
    assert h.params["baseline_max_abs_diff"] > 0


def test_letterbox_pad_value(raw, expected):
    check_first(run(expected, to_tensor(ultralytics_box(raw, pad=0)), raw), "letterbox.pad_0")


def test_letterbox_style(raw):
    exp = to_tensor(ultralytics_box(raw))
    act = to_tensor(center_box(raw))
    # sizes chosen so the two geometries differ
    assert not np.array_equal(exp, act)
    check_first(run(exp, act, raw), "letterbox.style_center")


def test_stretched_instead_of_letterbox(raw, expected):
    act = to_tensor(cv2.resize(raw, DST, interpolation=cv2.INTER_LINEAR))
    check_first(run(expected, act, raw), "letterbox.stretch")


def test_letterbox_instead_of_resize(raw):
    spec = {"input": {"format": "BGR", "width": W, "height": H},
            "preprocess": [{"op": "resize", "size": list(DST), "interpolation": "linear"},
                           {"op": "swap_rb"}, {"op": "normalize", "mean": MEAN, "std": STD},
                           {"op": "layout", "to": "NCHW"}]}
    exp = to_tensor(cv2.resize(raw, DST, interpolation=cv2.INTER_LINEAR))
    check_first(run(exp, to_tensor(ultralytics_box(raw)), raw, spec=spec),
                "letterbox.instead_of_resize_ultralytics")


def test_letterbox_shifted_by_one(raw, expected):
    act = to_tensor(ultralytics_box(raw, shift=(0, 1)))
    check_first(run(expected, act, raw), "letterbox.shift_0_1")


# ---------------------------------------------------------------------------- YUV

YUV_SPEC = {"input": {"format": "YUV420SP", "width": W, "height": H},
            "preprocess": [{"op": "csc", "to": "BGR", "mode": "opencv"},
                           {"op": "resize", "size": [100, 76], "interpolation": "linear"},
                           {"op": "layout", "to": "HWC"}]}


def yuv_case(raw, conversion):
    frame = to_input_format(raw, "YUV420SP")
    exp = cv2.resize(cv2.cvtColor(frame, cv2.COLOR_YUV2BGR_NV12), (100, 76), interpolation=cv2.INTER_LINEAR)
    act = cv2.resize(conversion(frame), (100, 76), interpolation=cv2.INTER_LINEAR)
    return frame, exp, act


def full_range_bgr(frame):
    h = frame.shape[0] * 2 // 3
    y = frame[:h].astype(np.float64)
    uv = frame[h:].reshape(h // 2, -1, 2).astype(np.float64) - 128
    u = uv[..., 0].repeat(2, 0).repeat(2, 1)
    v = uv[..., 1].repeat(2, 0).repeat(2, 1)
    bgr = np.stack([y + 1.772 * u, y - 0.344136 * u - 0.714136 * v, y + 1.402 * v], -1)
    return np.clip(np.rint(bgr), 0, 255).astype(np.uint8)


def test_raw_frame_nv21_instead_of_nv12(raw):
    frame = to_input_format(raw, "YUV420SP")
    h = frame.shape[0] * 2 // 3
    nv21 = frame.copy()
    nv21[h:] = frame[h:].reshape(-1, 2)[:, ::-1].reshape(frame[h:].shape)
    check_first(diagnose(frame, nv21, stage="raw_input", color="YUV420SP"), "yuv.raw_chroma_swap")


@pytest.mark.parametrize("mistake", ["yuv.raw_byte_order", "yuv.raw_chroma_swap"])
def test_raw_frame_422_orders(raw, mistake):
    yuyv = cv2.cvtColor(raw, cv2.COLOR_BGR2YUV_YUYV)
    if mistake == "yuv.raw_byte_order":
        bad = cv2.cvtColor(raw, cv2.COLOR_BGR2YUV_UYVY)
    else:
        bad = cv2.cvtColor(raw, cv2.COLOR_BGR2YUV_YVYU)
    check_first(diagnose(yuyv, bad, stage="raw_input", color="YUYV422"), mistake)


def test_rounding_truncated_csc(raw):
    spec = {"input": {"format": "YUV420SP", "width": W, "height": H},
            "preprocess": [{"op": "csc", "to": "BGR", "mode": "full_range"}]}
    frame = to_input_format(raw, "YUV420SP")

    def full(trunc):
        y = frame[:H].astype(np.float64)
        uv = frame[H:].reshape(H // 2, -1, 2).astype(np.float64) - 128
        u = uv[..., 0].repeat(2, 0).repeat(2, 1)
        v = uv[..., 1].repeat(2, 0).repeat(2, 1)
        bgr = np.stack([y + 1.772 * u, y - 0.344136 * u - 0.714136 * v, y + 1.402 * v], -1)
        bgr = np.trunc(bgr) if trunc else np.sign(bgr) * np.floor(np.abs(bgr) + 0.5)
        return np.clip(bgr, 0, 255).astype(np.uint8)

    hs = diagnose(full(False), full(True), stage="preprocessed", layout="HWC", spec=spec, raw_input=frame)
    h = hs[0]
    assert h.name == "rounding.csc_trunc" and h.explains, [str(x) for x in hs]


def test_yuv_nv12_nv21(raw):
    frame, exp, act = yuv_case(raw, lambda f: cv2.cvtColor(f, cv2.COLOR_YUV2BGR_NV21))
    hs = diagnose(exp, act, stage="preprocessed", layout="HWC", spec=YUV_SPEC, raw_input=frame)
    check_first(hs, "yuv.chroma_swap")


def test_yuv_full_range(raw):
    frame, exp, act = yuv_case(raw, full_range_bgr)
    hs = diagnose(exp, act, stage="preprocessed", layout="HWC", spec=YUV_SPEC, raw_input=frame)
    check_first(hs, "yuv.full_range")


def test_yuv_bt709(raw):
    def bt709(f):
        h = f.shape[0] * 2 // 3
        y = (f[:h].astype(np.float64) - 16) * 1.164
        uv = f[h:].reshape(h // 2, -1, 2).astype(np.float64) - 128
        u = uv[..., 0].repeat(2, 0).repeat(2, 1)
        v = uv[..., 1].repeat(2, 0).repeat(2, 1)
        bgr = np.stack([y + 2.112 * u, y - 0.213 * u - 0.533 * v, y + 1.793 * v], -1)
        return np.clip(np.rint(bgr), 0, 255).astype(np.uint8)

    frame, exp, act = yuv_case(raw, bt709)
    hs = diagnose(exp, act, stage="preprocessed", layout="HWC", spec=YUV_SPEC, raw_input=frame)
    h = hs[0]
    assert h.name == "yuv.bt709_limited" and (h.explains or h.partial), [str(x) for x in hs]


# ------------------------------------------------------------------ nothing explains

def test_noise_is_unexplained(raw, expected):
    noise = np.random.default_rng(7).normal(size=expected.shape).astype(np.float32)
    hs = run(expected, noise, raw)
    assert len(hs) == 1 and hs[0].name == "unexplained" and not hs[0].explains
    assert str(hs[0]).startswith("nothing explains the mismatch")
    assert hs[0].params["tried"] > 20


def test_noise_model_output_unexplained():
    rng = np.random.default_rng(8)
    exp = rng.normal(size=(1, 1000)).astype(np.float32)
    act = rng.normal(size=(1, 1000)).astype(np.float32)
    hs = diagnose(exp, act, stage="model_output")
    assert [h.name for h in hs] == ["unexplained"]
    assert "raw input" not in hs[0].description


def test_missing_raw_input_is_said(expected):
    noise = np.random.default_rng(9).random(expected.shape).astype(np.float32)
    hs = diagnose(expected, noise, stage="preprocessed", layout="NCHW")
    assert hs[0].name == "unexplained" and "need the raw input" in hs[0].description


# ------------------------------------------------------------------ hook and output

def test_diagnose_tensor_hook_with_capture(tmp_path, raw, expected):
    from pyalign.store import write_case, read_case

    spec = spec_letterbox()
    case = write_case(tmp_path / "ref", [("raw_input", "image", raw, {"layout": "HWC", "color": "BGR"}),
                                         ("preprocessed", "images", expected, {"layout": "NCHW", "color": "RGB"})],
                      spec=spec)
    case = read_case(case.dir)
    actual = to_tensor(ultralytics_box(raw, pad=0))
    result = types.SimpleNamespace(stage="preprocessed", name="images", layout="NCHW", kind=None,
                                   rule=types.SimpleNamespace(kind="atol", atol=1e-4, rtol=0.0, cosine=None))
    hs = diagnose_tensor(result, case.array("preprocessed"), actual,
                         {"reference_case": case, "actual_case": None, "record": case.get("preprocessed")})
    assert hs[0].name == "letterbox.pad_0" and hs[0].explains
    d = hs[0].to_dict()
    assert d["verdict"] == "explains" and d["before"]["max_abs_diff"] > 0 and d["after"]["max_abs_diff"] == 0
    import json
    json.dumps([h.to_dict() for h in hs])


def test_diagnose_tensor_tolerates_missing_side():
    assert diagnose_tensor(None, None, np.zeros(3), None) == []


def test_hypothesis_str_reports_before_after():
    h = Hypothesis("channel_swap", "channel order: swapping B and R on the actual",
                   {"max_abs_diff": 3.0, "violations": 10}, {"max_abs_diff": 0.0, "violations": 0}, True)
    assert str(h) == ("channel order: swapping B and R on the actual: explains "
                      "(max |diff| 3 -> 0, violations 10 -> 0)")


def test_odd_inputs_never_raise():
    """Shapes, dtypes and non-finite values the comparator may hand over (shape/dtype mismatches)."""
    rng = np.random.default_rng(21)
    shapes = [(), (0,), (5,), (3, 0), (1, 3, 8, 8), (1, 8, 8, 3), (8, 8, 3), (7, 6), (0, 6), (4, 2), (1, 4, 5)]
    dtypes = [np.uint8, np.int8, np.int32, np.float32, np.float64, np.float16, np.bool_]
    for i in range(150):
        se = shapes[rng.integers(len(shapes))]
        sa = se if rng.random() < 0.6 else shapes[rng.integers(len(shapes))]
        e = (rng.normal(size=se) * 50).astype(dtypes[rng.integers(len(dtypes))])
        a = (rng.normal(size=sa) * 50).astype(dtypes[rng.integers(len(dtypes))])
        if e.dtype.kind == "f" and e.size:
            e.flat[0] = np.nan
        if a.dtype.kind == "f" and a.size:
            a.flat[-1] = np.inf
        stage = ["raw_input", "preprocessed", "model_output", "postprocessed"][i % 4]
        kind = [None, "detections", "classes", "mask"][(i // 4) % 4]
        hs = diagnose(e, a, stage=stage, kind=kind, spec={"preprocess": []},
                      raw_input=np.zeros((4, 4, 3), np.uint8))
        assert isinstance(hs, list)
        for h in hs:
            assert str(h) and isinstance(h.to_dict(), dict)


def test_compare_names_the_cause_end_to_end(tmp_path, raw):
    """Through pyalign.compare on capture sets (memory-mapped tensors, the spec in the manifest)."""
    from pyalign.compare.comparator import compare
    from pyalign.store import write_case

    frame, exp, act = yuv_case(raw, lambda f: cv2.cvtColor(f, cv2.COLOR_YUV2BGR_NV21))
    tensors = [("raw_input", "image", frame, {"color": "YUV420SP"}),
               ("preprocessed", "images", exp, {"layout": "HWC", "color": "BGR"})]
    ref = write_case(tmp_path / "ref", tensors, spec=YUV_SPEC)
    board = write_case(tmp_path / "board", tensors[:1] + [("preprocessed", "images", act,
                                                          {"layout": "HWC", "color": "BGR"})], spec=YUV_SPEC)
    result = compare(ref.dir, board.dir)
    assert not result.aligned
    (pre,) = [t for t in result.tensors if t.stage == "preprocessed"]
    assert pre.diagnosis[0].name == "yuv.chroma_swap" and pre.diagnosis[0].explains
    assert "U and V swapped" in result.to_text()
    assert result.to_dict()["tensors"][1]["diagnosis"][0]["verdict"] == "explains"

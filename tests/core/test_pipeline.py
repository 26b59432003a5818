"""pyalign.core.preprocess (fused) against the same ops run one by one with cv2 + numpy, and with pyalign.core."""
from __future__ import annotations

import itertools
import zlib
from typing import Any, Dict, List, Optional, Tuple

import cv2
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pyalign.core import Preprocessor, csc, letterbox, letterbox_info, normalize, preprocess, resize
from pyalign.core._pipeline import PipelineSpecError
from pyalign.errors import SpecError
from pyalign.spec import load_spec

FORMATS = ["BGR", "RGB", "GRAY", "YUV420SP", "YVU420SP", "YUYV422", "UYVY422"]
YUV = {"YUV420SP": cv2.COLOR_YUV2BGR_NV12, "YVU420SP": cv2.COLOR_YUV2BGR_NV21,
       "YUYV422": cv2.COLOR_YUV2BGR_YUY2, "UYVY422": cv2.COLOR_YUV2BGR_UYVY}
GEOMETRIES = ["none", "resize_linear", "resize_nearest", "letterbox_ultralytics", "letterbox_center"]
LAYOUTS: List[Optional[str]] = [None, "HWC", "CHW", "NHWC", "NCHW"]


def seed(*parts: Any) -> int:
    return zlib.crc32("/".join(map(str, parts)).encode())


def raw_shape(fmt: str, w: int, h: int) -> Tuple[int, ...]:
    return {"BGR": (h, w, 3), "RGB": (h, w, 3), "GRAY": (h, w), "YUV420SP": (h * 3 // 2, w),
            "YVU420SP": (h * 3 // 2, w), "YUYV422": (h, w, 2), "UYVY422": (h, w, 2)}[fmt]


def make_spec(rng: np.random.Generator, fmt: str, geometry: str, swap: bool, norm: bool,
              layout: Optional[str], max_side: int = 90) -> Dict[str, Any]:
    w, h = int(rng.integers(1, max_side)), int(rng.integers(1, max_side))
    if fmt in ("YUV420SP", "YVU420SP"):
        w, h = w + w % 2, h + h % 2
    elif fmt in ("YUYV422", "UYVY422"):
        w += w % 2
    ch = 1 if fmt == "GRAY" else 3
    ops: List[Dict[str, Any]] = []
    if fmt in YUV:
        mode = str(rng.choice(["opencv", "opencv", "full_range", "limited_range", "matrix"]))
        op: Dict[str, Any] = {"op": "csc", "to": str(rng.choice(["BGR", "RGB"])), "mode": mode}
        if mode == "matrix":
            op["matrix"] = [float(x) for x in rng.uniform(-2, 2, 12)]
        ops.append(op)
    size = [int(rng.integers(1, max_side * 2)), int(rng.integers(1, max_side * 2))]
    if geometry.startswith("resize"):
        ops.append({"op": "resize", "size": size, "interpolation": geometry.split("_")[1]})
    elif geometry.startswith("letterbox"):
        # keep both content sides >= 1 pixel (aspect ratios where a side would round to 0 are rejected)
        r = min(size[0] / w, size[1] / h)
        if w * r < 2 or h * r < 2:
            size = [max(size[0], w), max(size[1], h)]
        pad: Any = int(rng.integers(0, 256)) if rng.random() < 0.5 else [int(v) for v in rng.integers(0, 256, ch)]
        ops.append({"op": "letterbox", "size": size, "pad_value": pad, "style": geometry.split("_")[1]})
    if swap and ch == 3:
        ops.append({"op": "swap_rb"})
    if norm:
        n = ch if rng.random() < 0.7 else 1
        ops.append({"op": "normalize", "mean": [float(v) for v in rng.uniform(0, 255, n)],
                    "std": [float(v) for v in rng.uniform(0.5, 100, n)]})
    if layout is not None:
        ops.append({"op": "layout", "to": layout})
    return {"input": {"format": fmt, "width": w, "height": h}, "preprocess": ops}


def numpy_matrix_csc(raw: np.ndarray, fmt: str, m: List[float]) -> np.ndarray:
    """The float csc definition (float64 3x4 matrix, bias x256, floor(x + 0.5), saturate) -> RGB."""
    if fmt in ("YUV420SP", "YVU420SP"):
        h = raw.shape[0] // 3 * 2
        y, c = raw[:h].astype(np.float64), raw[h:].astype(np.float64)
        u, v = (c[:, 0::2], c[:, 1::2]) if fmt == "YUV420SP" else (c[:, 1::2], c[:, 0::2])
        u, v = (np.repeat(np.repeat(p, 2, 0), 2, 1) for p in (u, v))
    else:
        y, c = (raw[..., 0], raw[..., 1]) if fmt == "YUYV422" else (raw[..., 1], raw[..., 0])
        y, c = y.astype(np.float64), c.astype(np.float64)
        u, v = np.repeat(c[:, 0::2], 2, 1), np.repeat(c[:, 1::2], 2, 1)
    mm = np.asarray(m, np.float64).reshape(3, 4)
    out = [np.clip(np.floor(mm[k, 0] * y + mm[k, 1] * u + mm[k, 2] * v + mm[k, 3] * 256.0 + 0.5), 0, 255)
           for k in range(3)]
    return np.stack(out, -1).astype(np.uint8)


def cv2_chain(raw: np.ndarray, spec: Dict[str, Any]) -> np.ndarray:
    """The spec run op by op with cv2 and numpy (the training-side code)."""
    from pyalign.core import FULL_RANGE_MATRIX, LIMITED_RANGE_MATRIX

    spec = load_spec(spec)  # defaults filled in
    fmt = spec["input"]["format"]
    w, h = spec["input"]["width"], spec["input"]["height"]
    img = raw
    for op in spec["preprocess"]:
        kind = op["op"]
        if kind == "csc":
            if op["mode"] == "opencv":
                img = cv2.cvtColor(raw, YUV[fmt])
                if op["to"] == "RGB":
                    img = img[..., ::-1]
            else:
                m = {"full_range": FULL_RANGE_MATRIX, "limited_range": LIMITED_RANGE_MATRIX}.get(op["mode"], op.get("matrix"))
                img = numpy_matrix_csc(raw, fmt, list(m))
                if op["to"] == "BGR":
                    img = img[..., ::-1]
            img = np.ascontiguousarray(img)
        elif kind == "resize":
            interp = cv2.INTER_LINEAR if op["interpolation"] == "linear" else cv2.INTER_NEAREST
            img = cv2.resize(img, tuple(op["size"]), interpolation=interp)
        elif kind == "letterbox":
            info = letterbox_info((w, h), tuple(op["size"]), op["style"])
            if (info.resized_width, info.resized_height) != (w, h):
                img = cv2.resize(img, (info.resized_width, info.resized_height), interpolation=cv2.INTER_LINEAR)
            ch = 1 if img.ndim == 2 else img.shape[2]
            pad = op["pad_value"]
            value = [float(pad)] * ch if not isinstance(pad, list) else [float(p) for p in pad]
            img = cv2.copyMakeBorder(img, info.pad_top, info.pad_bottom, info.pad_left, info.pad_right,
                                     cv2.BORDER_CONSTANT, value=value + [0.0] * (4 - ch))
        elif kind == "swap_rb":
            img = img[..., ::-1]
        elif kind == "normalize":
            img = (img.astype(np.float32) - np.asarray(op["mean"], np.float32)) / np.asarray(op["std"], np.float32)
        elif kind == "layout":
            if img.ndim == 2:
                img = img[..., None]
            if op["to"] in ("CHW", "NCHW"):
                img = img.transpose(2, 0, 1)
            if op["to"].startswith("N"):
                img = img[None]
    return np.ascontiguousarray(img)


def pyalign_ops(raw: np.ndarray, spec: Dict[str, Any]) -> np.ndarray:
    """The spec run op by op with pyalign.core's separate functions."""
    spec = load_spec(spec)
    fmt = spec["input"]["format"]
    img = raw
    swap, mean, std, layout = False, None, None, None
    for op in spec["preprocess"]:
        kind = op["op"]
        if kind == "csc":
            img = csc(raw, fmt, op["to"], op["mode"], op.get("matrix"))
        elif kind == "resize":
            img = resize(img, tuple(op["size"]), interpolation=op["interpolation"])
        elif kind == "letterbox":
            img, _ = letterbox(img, tuple(op["size"]), op["pad_value"], op["style"])
        elif kind == "swap_rb":
            swap = True
        elif kind == "normalize":
            mean, std = op["mean"], op["std"]
        elif kind == "layout":
            layout = op["to"]
    if img.ndim == 2 and layout is not None:
        img = img[..., None]
    return normalize(img, mean, std, swap_rb=swap, layout=layout, dtype="float32" if mean is not None else "uint8")


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_combination_matches_cv2_numpy_chain(fmt: str) -> None:
    rng = np.random.default_rng(seed("combo", fmt))
    for geometry, swap, norm, layout in itertools.product(GEOMETRIES, [False, True], [False, True], LAYOUTS):
        if swap and fmt == "GRAY":
            continue
        for _ in range(2):
            spec = make_spec(rng, fmt, geometry, swap, norm, layout)
            w, h = spec["input"]["width"], spec["input"]["height"]
            raw = rng.integers(0, 256, raw_shape(fmt, w, h), dtype=np.uint8)
            got = preprocess(raw, spec)
            want = cv2_chain(raw, spec)
            assert same(got, want), spec


@pytest.mark.parametrize("fmt", FORMATS)
def test_fused_equals_pyalign_ops_one_by_one(fmt: str) -> None:
    rng = np.random.default_rng(seed("ops", fmt))
    for i in range(60):
        geometry = GEOMETRIES[i % len(GEOMETRIES)]
        spec = make_spec(rng, fmt, geometry, bool(rng.random() < 0.5), bool(rng.random() < 0.5),
                         LAYOUTS[int(rng.integers(0, len(LAYOUTS)))])
        w, h = spec["input"]["width"], spec["input"]["height"]
        raw = rng.integers(0, 256, raw_shape(fmt, w, h), dtype=np.uint8)
        assert same(preprocess(raw, spec), pyalign_ops(raw, spec)), spec


@pytest.mark.parametrize("fmt", ["YUV420SP", "YVU420SP", "YUYV422", "UYVY422"])
def test_integer_ratio_downscales_of_yuv_inputs(fmt: str) -> None:
    # Integer ratios give zero-weight source rows, which the pipeline does not convert.
    rng = np.random.default_rng(seed("ratio", fmt))
    for k in (2, 3, 4, 5, 8):
        for geometry in ("resize", "letterbox"):
            w, h = 2 * int(rng.integers(3, 12)) * k, 2 * int(rng.integers(2, 8)) * k
            size = [w // k, h // k] if geometry == "resize" else [w // k + 6, w // k + 6]
            spec = {"input": {"format": fmt, "width": w, "height": h},
                    "preprocess": [{"op": "csc", "to": "RGB", "mode": "opencv" if k % 2 else "limited_range"},
                                   {"op": geometry, "size": size},
                                   {"op": "normalize", "mean": [1, 2, 3], "std": [4, 5, 6]}]}
            raw = rng.integers(0, 256, raw_shape(fmt, w, h), dtype=np.uint8)
            assert same(preprocess(raw, spec), cv2_chain(raw, spec)), spec


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_hypothesis_geometry_and_formats(data: st.DataObject) -> None:
    # Shrinks a failure to the smallest sizes / simplest ops that still break.
    fmt = data.draw(st.sampled_from(FORMATS), label="format")
    w, h = data.draw(st.integers(1, 48), label="w"), data.draw(st.integers(1, 48), label="h")
    if fmt in ("YUV420SP", "YVU420SP"):
        w, h = w + w % 2, h + h % 2
    elif fmt in ("YUYV422", "UYVY422"):
        w += w % 2
    ops: List[Dict[str, Any]] = []
    if fmt in YUV:
        ops.append({"op": "csc", "to": data.draw(st.sampled_from(["BGR", "RGB"])),
                    "mode": data.draw(st.sampled_from(["opencv", "full_range", "limited_range"]))})
    geometry = data.draw(st.sampled_from(["none", "resize", "letterbox"]), label="geometry")
    size = [data.draw(st.integers(1, 96), label="dw"), data.draw(st.integers(1, 96), label="dh")]
    if geometry == "resize":
        ops.append({"op": "resize", "size": size,
                    "interpolation": data.draw(st.sampled_from(["linear", "nearest"]))})
    elif geometry == "letterbox":
        r = min(size[0] / w, size[1] / h)
        assume(w * r >= 1.5 and h * r >= 1.5)
        ops.append({"op": "letterbox", "size": size, "style": data.draw(st.sampled_from(["ultralytics", "center"])),
                    "pad_value": data.draw(st.integers(0, 255))})
    if fmt != "GRAY" and data.draw(st.booleans(), label="swap"):
        ops.append({"op": "swap_rb"})
    if data.draw(st.booleans(), label="normalize"):
        ops.append({"op": "normalize", "mean": [data.draw(st.floats(-300, 300))],
                    "std": [data.draw(st.floats(0.01, 300))]})
    layout = data.draw(st.sampled_from(LAYOUTS), label="layout")
    if layout is not None:
        ops.append({"op": "layout", "to": layout})
    spec = {"input": {"format": fmt, "width": w, "height": h}, "preprocess": ops}
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    raw = rng.integers(0, 256, raw_shape(fmt, w, h), dtype=np.uint8)
    assert same(preprocess(raw, spec), cv2_chain(raw, spec)), spec


def test_spec_from_a_json_file(tmp_path: Any) -> None:
    import json

    spec = {"input": {"format": "RGB", "width": 6, "height": 4},
            "preprocess": [{"op": "resize", "size": [3, 2]}, {"op": "normalize", "mean": [1], "std": [2]}],
            "postprocess": {"op": "classification"}}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    raw = np.arange(72, dtype=np.uint8).reshape(4, 6, 3)
    assert same(preprocess(raw, str(path)), cv2_chain(raw, spec))
    with pytest.raises(ValueError, match="no such file"):
        preprocess(raw, str(tmp_path / "missing.json"))


def test_full_hd_nv12_letterbox_rgb_nchw() -> None:
    rng = np.random.default_rng(1)
    spec = {"input": {"format": "YUV420SP", "width": 1920, "height": 1080},
            "preprocess": [{"op": "csc", "to": "BGR", "mode": "opencv"},
                           {"op": "letterbox", "size": [640, 640], "pad_value": 114, "style": "ultralytics"},
                           {"op": "swap_rb"},
                           {"op": "normalize", "mean": [0, 0, 0], "std": [255, 255, 255]},
                           {"op": "layout", "to": "NCHW"}]}
    raw = rng.integers(0, 256, (1620, 1920), dtype=np.uint8)
    got, info = preprocess(raw, spec, return_info=True)
    assert got.shape == (1, 3, 640, 640) and got.dtype == np.float32
    assert same(got, cv2_chain(raw, spec))
    assert (info.pad_top, info.pad_bottom, info.resized_width, info.resized_height) == (140, 140, 640, 360)
    assert info.style == "ultralytics" and info.scale_x == pytest.approx(1 / 3)


def test_info_for_each_geometry() -> None:
    raw = np.zeros((30, 40, 3), np.uint8)
    base = {"input": {"format": "BGR", "width": 40, "height": 30}}
    _, info = preprocess(raw, {**base, "preprocess": []}, return_info=True)
    assert (info.style, info.scale_x, info.dst_width, info.pad_left) == ("none", 1.0, 40, 0)
    _, info = preprocess(raw, {**base, "preprocess": [{"op": "resize", "size": [20, 60]}]}, return_info=True)
    assert (info.style, info.scale_x, info.scale_y, info.dst_height) == ("resize", 0.5, 2.0, 60)
    _, info = preprocess(raw, {**base, "preprocess": [{"op": "letterbox", "size": [64, 64], "style": "center"}]},
                         return_info=True)
    assert info == letterbox_info((40, 30), (64, 64), "center")


def test_fractional_pad_rounds_like_cv2_scalar() -> None:
    rng = np.random.default_rng(2)
    raw = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    spec = {"input": {"format": "BGR", "width": 30, "height": 20},
            "preprocess": [{"op": "letterbox", "size": [40, 40], "pad_value": [114.5, 0.5, 1.5]}]}
    got = preprocess(raw, spec)
    assert got[0, 0].tolist() == [114, 0, 2]  # cvRound: half to even
    assert same(got, cv2_chain(raw, spec))


def test_matches_reference_module_where_geometry_agrees() -> None:
    ref = pytest.importorskip("pyalign.reference.preprocess")
    rng = np.random.default_rng(3)
    checked = 0
    for i in range(120):
        fmt = FORMATS[i % len(FORMATS)]
        spec = make_spec(rng, fmt, GEOMETRIES[i % len(GEOMETRIES)], True, bool(i % 2), LAYOUTS[i % len(LAYOUTS)])
        w, h = spec["input"]["width"], spec["input"]["height"]
        raw = rng.integers(0, 256, raw_shape(fmt, w, h), dtype=np.uint8)
        got, info = preprocess(raw, spec, return_info=True)
        want, winfo = ref.run_reference(raw, spec)
        if info.to_dict() != winfo:  # the two letterbox geometries may differ in edge cases
            continue
        assert same(got, want), spec
        checked += 1
    assert checked > 100


# ---------------------------------------------------------------------------- errors

BGR_IN = {"format": "BGR", "width": 8, "height": 6}


@pytest.mark.parametrize("spec,match", [
    ({"input": BGR_IN, "preprocess": [{"op": "blur"}]}, "unknown op"),
    ({"input": BGR_IN, "preprocess": [{"op": "csc", "to": "RGB"}]}, "csc converts a YUV input"),
    ({"input": {"format": "YUV420SP", "width": 8, "height": 6}, "preprocess": []}, "needs a csc op first"),
    ({"input": BGR_IN, "preprocess": [{"op": "normalize", "mean": [0], "std": [1]}, {"op": "swap_rb"}]}, "must come before"),
    ({"input": BGR_IN, "preprocess": [{"op": "resize", "size": [4, 4]}, {"op": "letterbox", "size": [4, 4]}]}, "at most one"),
    ({"input": BGR_IN, "preprocess": [{"op": "normalize", "mean": [0, 0], "std": [1]}]}, "2 values"),
    ({"input": BGR_IN, "preprocess": [{"op": "normalize", "mean": [0], "std": [0]}]}, "must not be 0"),
    ({"input": BGR_IN, "preprocess": [{"op": "resize", "size": [0, 4]}]}, "size"),
    ({"input": {"format": "GRAY", "width": 8, "height": 6}, "preprocess": [{"op": "swap_rb"}]}, "GRAY"),
    ({"input": {"format": "NV12", "width": 8, "height": 6}}, "input.format"),
    ({"input": {"format": "YUV420SP", "width": 7, "height": 6}, "preprocess": [{"op": "csc"}]}, "even"),
    ({"preprocess": []}, "input"),
])
def test_bad_specs_raise_value_error(spec: Dict[str, Any], match: str) -> None:
    raw = np.zeros((6, 8, 3), np.uint8)
    with pytest.raises(ValueError, match=match) as e:
        preprocess(raw, spec)
    assert isinstance(e.value, SpecError) and isinstance(e.value, PipelineSpecError)


@pytest.mark.parametrize("raw,match", [
    (np.zeros((6, 8), np.uint8), "must be uint8 \\(6, 8, 3\\)"),
    (np.zeros((6, 8, 3), np.float32), "must be uint8"),
    ([[0]], "numpy array"),
])
def test_bad_raw_inputs_raise_value_error(raw: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        preprocess(raw, {"input": BGR_IN, "preprocess": []})


def test_core_binding_validates_everything_itself() -> None:
    """_core.preprocess takes the spec as JSON text and checks it (C++ parse_pipeline_spec) and the input."""
    import json

    from pyalign import _core

    def run(raw: np.ndarray, inp: Dict[str, Any], ops: List[Dict[str, Any]], **top: Any) -> Any:
        return _core.preprocess(raw, json.dumps({"input": inp, "preprocess": ops, **top}))

    raw = np.zeros((6, 8, 3), np.uint8)
    bgr = {"format": "BGR", "width": 8, "height": 6}
    nv12 = {"format": "YUV420SP", "width": 8, "height": 6}
    with pytest.raises(ValueError, match="bytes"):
        run(np.zeros((5, 8, 3), np.uint8), bgr, [])
    with pytest.raises(ValueError, match="needs a csc"):
        run(np.zeros((9, 8), np.uint8), nv12, [])
    with pytest.raises(ValueError, match="even width and height, got 8x5"):
        run(np.zeros((9, 8), np.uint8), dict(nv12, height=5), [{"op": "csc", "to": "BGR"}])
    with pytest.raises(ValueError, match="csc converts a YUV input"):
        run(raw, bgr, [{"op": "csc", "to": "BGR"}])
    with pytest.raises(ValueError, match='unknown op "crop"'):
        run(raw, bgr, [{"op": "crop"}])
    with pytest.raises(ValueError, match=r"preprocess\[0\].size: expected \[width, height\], got null"):
        run(raw, bgr, [{"op": "resize"}])
    with pytest.raises(ValueError, match=r"size\[0\]: must be in \[1, 65536\], got 0"):
        run(raw, bgr, [{"op": "resize", "size": [0, 3]}])
    with pytest.raises(ValueError, match=r"pad_value: must be in \[0, 255\], got 300.0"):
        run(raw, bgr, [{"op": "letterbox", "size": [9, 9], "pad_value": [300.0]}])
    with pytest.raises(ValueError, match="missing key 'std'"):
        run(raw, bgr, [{"op": "normalize", "mean": [1.0]}])
    with pytest.raises(ValueError, match='expected one of NCHW, NHWC, CHW, HWC, got "HW"'):
        run(raw, bgr, [{"op": "layout", "to": "HW"}])
    with pytest.raises(ValueError, match=r"input.width: must be in \[1, 65536\], got -8"):
        run(raw, dict(bgr, width=-8), [])
    with pytest.raises(ValueError, match="spec: not valid JSON: unexpected end of data at line 1 column 1"):
        _core.preprocess(raw, "")
    with pytest.raises(ValueError, match='duplicate key "width"'):
        _core.preprocess(raw, '{"input": {"format": "BGR", "width": 8, "height": 6, "width": 8}}')
    # limits of the C++ core beyond pyalign.spec's rules, named by their JSON path too
    with pytest.raises(ValueError, match=r"mean\[0\]: 1e\+300 is out of the float32 range"):
        run(raw, bgr, [{"op": "normalize", "mean": [1e300], "std": [1.0]}])
    # a valid spec (postprocess is not read): the tensor and the geometry
    out, geo = run(raw, bgr, [{"op": "resize", "size": [4, 3]}], postprocess={"op": "anything"}, name="n")
    assert out.shape == (3, 4, 3) and out.dtype == np.uint8 and geo["scale_x"] == 0.5



def test_output_size_is_capped_with_a_clear_error() -> None:
    """A 65536x65536 letterbox would allocate 48 GiB: refused as resize refuses it."""
    from pyalign import core

    spec = {"input": {"format": "BGR", "width": 8, "height": 8},
            "preprocess": [{"op": "letterbox", "size": [65536, 65536]}, {"op": "normalize", "mean": 0, "std": 1}]}
    with pytest.raises(ValueError, match="would exceed 16 GiB"):
        core.preprocess(np.zeros((8, 8, 3), np.uint8), spec)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_simd_level_matches_cv2_numpy_chain(fmt: str, every_simd_level: str) -> None:
    """The fused pipeline at each SIMD level (conversion, resize and normalisation kernels) against
    cv2 + numpy, on sizes long enough for the kernels' blocks."""
    rng = np.random.default_rng(seed("levels", fmt, every_simd_level))
    for i in range(16):
        spec = make_spec(rng, fmt, GEOMETRIES[i % len(GEOMETRIES)], bool(i % 2), i % 3 != 0,
                         LAYOUTS[i % len(LAYOUTS)], max_side=400)
        w, h = spec["input"]["width"], spec["input"]["height"]
        raw = rng.integers(0, 256, raw_shape(fmt, w, h), dtype=np.uint8)
        assert same(preprocess(raw, spec), cv2_chain(raw, spec)), (every_simd_level, spec)


@pytest.mark.parametrize("fmt", ["YUV420SP", "YVU420SP", "YUYV422", "BGR"])
def test_camera_sizes_every_simd_level(fmt: str, every_simd_level: str) -> None:
    """1080p / 720p into letterbox 640 and resize 224 (the benchmark's geometries), /255 and
    ImageNet mean/std, against cv2 + numpy."""
    rng = np.random.default_rng(seed("camera", fmt))
    for (w, h), op in [((1920, 1080), {"op": "letterbox", "size": [640, 640]}),
                       ((1280, 720), {"op": "letterbox", "size": [640, 640]}),
                       ((1920, 1080), {"op": "resize", "size": [224, 224]})]:
        for mean, std in [([0, 0, 0], [255, 255, 255]), ([123.675, 116.28, 103.53], [58.395, 57.12, 57.375])]:
            ops: List[Dict[str, Any]] = [{"op": "csc", "to": "RGB", "mode": "opencv"}] if fmt in YUV else [{"op": "swap_rb"}]
            ops = ops[:1] + [op] + ops[1:] if fmt in YUV else [op] + ops
            ops += [{"op": "normalize", "mean": mean, "std": std}, {"op": "layout", "to": "NCHW"}]
            spec = {"input": {"format": fmt, "width": w, "height": h}, "preprocess": ops}
            raw = rng.integers(0, 256, raw_shape(fmt, w, h), dtype=np.uint8)
            assert same(preprocess(raw, spec), cv2_chain(raw, spec)), (every_simd_level, spec)


@pytest.mark.parametrize("fmt", FORMATS)
def test_threads_give_the_single_threaded_tensor(fmt: str) -> None:
    rng = np.random.default_rng(seed("threads", fmt))
    for i in range(12):
        spec = make_spec(rng, fmt, GEOMETRIES[i % len(GEOMETRIES)], bool(i % 2), i % 3 != 0,
                         LAYOUTS[i % len(LAYOUTS)], max_side=300)
        w, h = spec["input"]["width"], spec["input"]["height"]
        raw = rng.integers(0, 256, raw_shape(fmt, w, h), dtype=np.uint8)
        one = preprocess(raw, spec)
        pre = Preprocessor(spec)
        for t in (2, 3, 7, 0):
            assert same(preprocess(raw, spec, threads=t), one), (t, spec)
            assert same(pre(raw, threads=t), one), (t, spec)


def test_preprocessor_equals_preprocess_and_checks_its_input() -> None:
    rng = np.random.default_rng(9)
    spec = {"input": {"format": "YUV420SP", "width": 64, "height": 48},
            "preprocess": [{"op": "csc", "to": "RGB"}, {"op": "letterbox", "size": [40, 40]},
                           {"op": "normalize", "mean": [0, 0, 0], "std": [255, 255, 255]}, {"op": "layout", "to": "NCHW"}]}
    pre = Preprocessor(spec)
    assert pre.input_shape == (72, 64)
    raw = rng.integers(0, 256, (72, 64), dtype=np.uint8)
    tensor, info = preprocess(raw, spec, return_info=True)
    assert same(pre(raw), tensor) and pre.info == info
    assert same(pre(raw[:, ::-1][:, ::-1]), tensor)  # a view is accepted through one copy
    with pytest.raises(ValueError, match="must be uint8"):
        pre(raw[:-3])
    with pytest.raises(ValueError, match="numpy array"):
        pre(raw.tolist())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="threads"):
        pre(raw, threads=-1)
    with pytest.raises(PipelineSpecError):
        Preprocessor({"input": {"format": "YUV420SP", "width": 64, "height": 48}, "preprocess": []})

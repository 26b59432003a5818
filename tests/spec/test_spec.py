"""Spec validation: every error has a test, and normalisation fills the defaults."""
from __future__ import annotations

import copy
import json

import pytest

from pyalign.errors import SpecError
from pyalign.spec import load_spec, model_input_size, preprocessed_info, raw_input_shape, validate_spec

BASE = {
    "input": {"format": "YUV420SP", "width": 1920, "height": 1080},
    "preprocess": [
        {"op": "csc", "to": "BGR", "mode": "opencv"},
        {"op": "letterbox", "size": [640, 640], "pad_value": 114, "style": "ultralytics"},
        {"op": "swap_rb"},
        {"op": "normalize", "mean": [0, 0, 0], "std": [255, 255, 255]},
        {"op": "layout", "to": "NCHW"},
    ],
    "postprocess": {"op": "yolov8", "num_classes": 80, "conf_threshold": 0.25, "iou_threshold": 0.45,
                    "class_agnostic": False, "max_det": 300},
}


def edit(**changes):
    """Return a deep copy of BASE with top-level replacements."""
    s = copy.deepcopy(BASE)
    s.update(changes)
    return s


def test_design_example_normalises_with_defaults():
    s = load_spec(BASE)
    assert s["input"] == {"format": "YUV420SP", "width": 1920, "height": 1080}
    assert s["postprocess"]["reg_max"] == 16
    assert s["postprocess"]["strides"] == [8, 16, 32]
    assert s["preprocess"][3]["mean"] == [0.0, 0.0, 0.0]
    info = preprocessed_info(s)
    assert info.shape == (1, 3, 640, 640) and info.dtype == "float32"
    assert info.layout == "NCHW" and info.color == "RGB"
    assert raw_input_shape(s) == (1620, 1920)
    assert model_input_size(s) == (640, 640)
    assert validate_spec(s) == s  # idempotent


def test_defaults_of_ops():
    s = load_spec({"input": {"format": "BGR", "width": 8, "height": 6},
                   "preprocess": [{"op": "resize", "size": [4, 2]}, {"op": "layout", "to": "CHW"}],
                   "postprocess": {"op": "classification"}})
    assert s["preprocess"][0] == {"op": "resize", "size": [4, 2], "interpolation": "linear"}
    assert s["postprocess"] == {"op": "classification", "topk": 5, "softmax": True}
    info = preprocessed_info(s)
    assert info.shape == (3, 2, 4) and info.dtype == "uint8" and info.color == "BGR"


@pytest.mark.parametrize("fmt,shape", [("BGR", (6, 8, 3)), ("RGB", (6, 8, 3)), ("GRAY", (6, 8)),
                                       ("YUV420SP", (9, 8)), ("YVU420SP", (9, 8)),
                                       ("YUYV422", (6, 8, 2)), ("UYVY422", (6, 8, 2))])
def test_raw_input_shapes(fmt, shape):
    pre = [{"op": "csc", "to": "RGB"}] if "Y" in fmt and fmt != "GRAY" else []
    s = load_spec({"input": {"format": fmt, "width": 8, "height": 6}, "preprocess": pre})
    assert raw_input_shape(s) == shape


def test_gray_layouts():
    s = load_spec({"input": {"format": "GRAY", "width": 8, "height": 6}})
    assert preprocessed_info(s).shape == (6, 8) and preprocessed_info(s).layout == "HW"
    s = load_spec({"input": {"format": "GRAY", "width": 8, "height": 6},
                   "preprocess": [{"op": "normalize", "mean": [1], "std": [2]}, {"op": "layout", "to": "NCHW"}]})
    assert preprocessed_info(s).shape == (1, 1, 6, 8)


def test_file_loading(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(BASE))
    assert load_spec(p)["input"]["width"] == 1920
    assert load_spec(str(p)) == load_spec(BASE)


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(SpecError, match=r"missing\.json: no such file"):
        load_spec(tmp_path / "missing.json")
    p = tmp_path / "bad.json"
    p.write_text("{not json")
    with pytest.raises(SpecError, match=r"bad\.json: not valid JSON"):
        load_spec(p)
    p.write_text(json.dumps(edit(input={"format": "NV12", "width": 4, "height": 4})))
    with pytest.raises(SpecError, match=r"bad\.json: input\.format: expected one of BGR"):
        load_spec(p)


def op(i, **kw):
    s = copy.deepcopy(BASE)
    s["preprocess"][i].update(kw)
    return s


def post(**kw):
    s = copy.deepcopy(BASE)
    s["postprocess"].update(kw)
    return s


def ops(*lst, fmt="BGR"):
    return {"input": {"format": fmt, "width": 64, "height": 48}, "preprocess": list(lst)}


ERRORS = [
    ([1, 2], r"a spec is a JSON object"),
    ({"preprocess": []}, r"missing key 'input'"),
    (edit(extra=1), r"unknown key 'extra'"),
    (edit(input=[1]), r"input: expected an object"),
    (edit(input={"format": "BGR", "width": 4}), r"input: missing key 'height'"),
    (edit(input={"format": "BGR", "width": 4, "height": 4, "fps": 3}), r"input: unknown key 'fps'"),
    (edit(input={"format": "BGR", "width": 0, "height": 4}), r"input\.width: must be in \[1, 65536\], got 0"),
    (edit(input={"format": "BGR", "width": "640", "height": 4}), r'input\.width: expected an integer, got "640"'),
    (edit(input={"format": "BGR", "width": 4.5, "height": 4}), r"input\.width: expected an integer, got 4\.5"),
    (edit(input={"format": "BGR", "width": True, "height": 4}), r"input\.width: expected an integer, got true"),
    (edit(input={"format": "BGR", "width": 4, "height": -2}), r"input\.height: must be in"),
    (edit(input={"format": "YUV420SP", "width": 641, "height": 480}), r"YUV420SP needs an even width and height, got 641x480"),
    (edit(input={"format": "YVU420SP", "width": 640, "height": 481}), r"YVU420SP needs an even width and height"),
    (ops({"op": "csc"}, fmt="YUYV422") | {"input": {"format": "YUYV422", "width": 63, "height": 48}},
     r"YUYV422 needs an even width, got 63"),
    (edit(preprocess={"op": "csc"}), r"preprocess: expected a list of ops"),
    (edit(preprocess=["csc"]), r"preprocess\[0\]: expected an object"),
    (edit(preprocess=[{"to": "BGR"}]), r"preprocess\[0\]: missing key 'op'"),
    (ops({"op": "blur"}), r'preprocess\[0\]\.op: unknown op "blur" \(known: csc, resize'),
    (ops({"op": "csc", "to": "BGR"}), r"csc converts a YUV input, but input\.format is BGR"),
    (ops({"op": "resize", "size": [8, 8]}, fmt="YUV420SP"), r"preprocess\[0\]: 'resize' must come before|YUV420SP needs a csc op first"),
    (ops(fmt="UYVY422"), r"input\.format UYVY422 needs a csc op first"),
    (op(0, to="GRAY"), r"preprocess\[0\]\.to: expected one of BGR, RGB"),
    (op(0, mode="bt709"), r"preprocess\[0\]\.mode: expected one of opencv, full_range"),
    (op(0, mode="matrix"), r"preprocess\[0\]\.matrix: mode 'matrix' needs 12 numbers"),
    (op(0, mode="matrix", matrix=[1] * 11), r"mode 'matrix' needs 12 numbers"),
    (op(0, mode="matrix", matrix=[1] * 11 + ["x"]), r"preprocess\[0\]\.matrix\[11\]: expected a finite number"),
    (op(0, matrix=[1] * 12), r"preprocess\[0\]\.matrix: only allowed with mode 'matrix'"),
    (op(0, colour="RGB"), r"preprocess\[0\]: unknown key 'colour'"),
    (op(1, size=[640]), r"preprocess\[1\]\.size: expected \[width, height\]"),
    (op(1, size=[640, 0]), r"preprocess\[1\]\.size\[1\]: must be in \[1, 65536\]"),
    (op(1, size=[1e6, 640]), r"preprocess\[1\]\.size\[0\]: must be in \[1, 65536\]"),
    (op(1, style="yolo"), r"preprocess\[1\]\.style: expected one of ultralytics, center"),
    (op(1, pad_value=300), r"preprocess\[1\]\.pad_value: must be in \[0, 255\]"),
    (op(1, pad_value=[1, 2]), r"pad_value: has 2 values; the image has 3 channel\(s\)"),
    (op(1, pad_value="gray"), r"pad_value: expected a list of numbers"),
    (ops({"op": "resize", "size": [8, 8], "interpolation": "cubic"}), r"interpolation: expected one of linear, nearest"),
    (ops({"op": "swap_rb"}, fmt="GRAY"), r"swap_rb needs a 3-channel image"),
    (op(3, mean=[0, 0]), r"preprocess\[3\]\.mean: has 2 values; the image has 3 channel"),
    (op(3, std=[1, 2, 3, 4]), r"preprocess\[3\]\.std: has 4 values"),
    (op(3, std=[255, 0, 255]), r"preprocess\[3\]\.std\[1\]: must not be 0"),
    (op(3, mean=[0, float("nan"), 0]), r"preprocess\[3\]\.mean\[1\]: expected a finite number"),
    (ops({"op": "normalize", "mean": [0]}), r"preprocess\[0\]: missing key 'std'"),
    (ops({"op": "normalize", "mean": [0, 0, 0], "std": [1, 1, 1]}, fmt="GRAY"), r"mean: has 3 values; the image has 1 channel"),
    (op(4, to="NC"), r"preprocess\[4\]\.to: expected one of NCHW, NHWC, CHW, HWC"),
    (ops({"op": "layout"}), r"preprocess\[0\]: missing key 'to'"),
    (ops({"op": "layout", "to": "CHW"}, {"op": "swap_rb"}), r"'swap_rb' must come before 'layout'"),
    (ops({"op": "normalize", "mean": [0], "std": [1]}, {"op": "resize", "size": [8, 8]}),
     r"'resize' must come before 'normalize'"),
    (ops({"op": "resize", "size": [8, 8]}, {"op": "letterbox", "size": [8, 8]}), r"at most one resize or letterbox"),
    (ops({"op": "swap_rb"}, {"op": "swap_rb"}), r"at most one 'swap_rb'"),
    (edit(postprocess=[]), r"postprocess: expected an object"),
    (edit(postprocess={"num_classes": 3}), r"postprocess: missing key 'op'"),
    (edit(postprocess={"op": "ssd"}), r'postprocess\.op: unknown op "ssd" \(known: classification'),
    (post(anchors=[[1, 2]]), r"postprocess: unknown key 'anchors'"),
    (post(num_classes=0), r"postprocess\.num_classes: must be >= 1, got 0"),
    (post(reg_max=1), r"postprocess\.reg_max: must be 0 \(DFL in the graph\) or >= 2"),
    (post(strides=[]), r"postprocess\.strides: expected a non-empty list"),
    (post(strides=[8, -16]), r"postprocess\.strides\[1\]: must be >= 1"),
    (post(conf_threshold=1.5), r"postprocess\.conf_threshold: must be in \[0\.0, 1\.0\], got 1\.5"),
    (post(iou_threshold=-0.1), r"postprocess\.iou_threshold: must be in"),
    (post(class_agnostic="no"), r'postprocess\.class_agnostic: expected true or false, got "no"'),
    (post(max_det=0), r"postprocess\.max_det: must be >= 1"),
    (post(pre_nms_topk=0), r"postprocess\.pre_nms_topk: must be >= 1"),
    (post(activated="yes"), r"postprocess\.activated: expected true or false"),
    (post(input_size=[640]), r"postprocess\.input_size: expected \[width, height\]"),
    (edit(postprocess={"op": "yolox", "activated": True}), r"postprocess: unknown key 'activated'"),
    (edit(postprocess={"op": "yolov5", "anchors": [[10, 13]]}), r"postprocess\.anchors: expected one anchor list per stride \(3\)"),
    (edit(postprocess={"op": "yolov5", "anchors": [[10, 13, 5], [1, 2], [3, 4]]}), r"anchors\[0\]: expected an even number"),
    (edit(postprocess={"op": "yolov5", "anchors": [[10, 13], [1, 2, 3, 4], [3, 4]]}), r"anchors\[1\]: every head needs the same number"),
    (edit(postprocess={"op": "yolov5", "anchors": [[10, 0], [1, 2], [3, 4]]}), r"anchors\[0\]: anchor sizes must be > 0"),
    (edit(postprocess={"op": "yolov5", "activated": 1}), r"postprocess\.activated: expected true or false"),
    (edit(postprocess={"op": "classification", "topk": 0}), r"postprocess\.topk: must be >= 1"),
    (edit(postprocess={"op": "classification", "softmax": "yes"}), r"postprocess\.softmax: expected true or false"),
    (edit(postprocess={"op": "segmentation", "layout": "CHW"}), r"postprocess\.layout: expected one of NCHW, NHWC"),
    (edit(name=3), r"name: expected a string"),
]


@pytest.mark.parametrize("spec,message", ERRORS, ids=[m[:40] for _, m in ERRORS])
def test_validation_errors(spec, message):
    with pytest.raises(SpecError, match=message):
        validate_spec(spec)


def test_error_is_one_line_with_path():
    with pytest.raises(SpecError) as e:
        validate_spec(op(1, size=[640, 0]), path="spec.json")
    assert str(e.value) == "spec.json: preprocess[1].size[1]: must be in [1, 65536], got 0"
    assert "\n" not in str(e.value)


def test_yolov5_defaults_and_per_channel_pad():
    s = load_spec({"input": {"format": "RGB", "width": 64, "height": 48},
                   "preprocess": [{"op": "letterbox", "size": [32, 32], "pad_value": [1, 2, 3.5], "style": "center"}],
                   "postprocess": {"op": "yolov5", "num_classes": 2}})
    assert s["preprocess"][0]["pad_value"] == [1, 2, 3.5]
    assert s["postprocess"]["anchors"][2] == [116, 90, 156, 198, 373, 326]
    assert s["postprocess"]["activated"] is False
    assert preprocessed_info(s).color == "RGB" and preprocessed_info(s).shape == (32, 32, 3)


def test_optional_detection_keys_are_kept():
    s = load_spec(post(activated=False, input_size=[640, 640], pre_nms_topk=1000))
    assert s["postprocess"]["activated"] is False
    assert s["postprocess"]["input_size"] == [640, 640] and s["postprocess"]["pre_nms_topk"] == 1000
    assert "activated" not in load_spec(post(activated=None))["postprocess"]

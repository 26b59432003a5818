"""Capture through onnxruntime with tiny random-weight ONNX models built here with the ``onnx`` package."""
from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed (pip install 'pyalign[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed (pip install 'pyalign[onnx]')")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from pyalign.capture import OnnxModel, capture_images  # noqa: E402
from pyalign.spec.bundled import bundled_spec, spec_path  # noqa: E402
from pyalign.errors import PyalignError  # noqa: E402
from pyalign.reference import run_postprocess, run_reference  # noqa: E402
from pyalign.store import read_case  # noqa: E402
from pyalign.synthetic import synthetic_image  # noqa: E402


def _save(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def classifier(path, size=224, classes=1000, seed=0):
    """Conv 3->8 (k=s=8) -> GlobalAveragePool -> Flatten -> Gemm -> [1, classes] logits."""
    rng = np.random.default_rng(seed)
    w = numpy_helper.from_array(rng.normal(0, 0.5, (8, 3, 8, 8)).astype(np.float32), "w")
    fc = numpy_helper.from_array(rng.normal(0, 1, (classes, 8)).astype(np.float32), "fc")
    b = numpy_helper.from_array(rng.normal(0, 0.1, classes).astype(np.float32), "b")
    nodes = [
        helper.make_node("Conv", ["images", "w"], ["c"], kernel_shape=[8, 8], strides=[8, 8]),
        helper.make_node("GlobalAveragePool", ["c"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "fc", "b"], ["logits"], transB=1),
    ]
    graph = helper.make_graph(nodes, "classifier",
                              [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, classes])], [w, fc, b])
    return _save(graph, path)


def yolov8_like(path, size=320, classes=80, seed=0):
    """Three strided convs (8, 16, 32) -> reshape -> concat -> [1, 4 + nc, A]; boxes scaled to pixels, scores sigmoided."""
    rng = np.random.default_rng(seed)
    ch = 4 + classes
    inits, nodes, parts = [], [], []
    for s in (8, 16, 32):
        inits.append(numpy_helper.from_array(rng.normal(0, 0.3, (ch, 3, s, s)).astype(np.float32) / s, f"w{s}"))
        inits.append(numpy_helper.from_array(np.array([1, ch, -1], np.int64), f"shape{s}"))
        nodes.append(helper.make_node("Conv", ["images", f"w{s}"], [f"c{s}"], kernel_shape=[s, s], strides=[s, s]))
        nodes.append(helper.make_node("Reshape", [f"c{s}", f"shape{s}"], [f"r{s}"]))
        parts.append(f"r{s}")
    nodes.append(helper.make_node("Concat", parts, ["cat"], axis=2))
    nodes.append(helper.make_node("Sigmoid", ["cat"], ["sig"]))
    scale = np.ones((1, ch, 1), np.float32)
    scale[0, :4, 0] = size  # cx, cy, w, h in input pixels
    inits.append(numpy_helper.from_array(scale, "scale"))
    nodes.append(helper.make_node("Mul", ["sig", "scale"], ["output0"]))
    anchors = sum((size // s) ** 2 for s in (8, 16, 32))
    graph = helper.make_graph(nodes, "yolov8_like",
                              [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
                              [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, ch, anchors])], inits)
    return _save(graph, path)


def _image(tmp_path, name="cat.png", seed=0):
    p = tmp_path / name
    cv2.imwrite(str(p), synthetic_image(240, 320, seed=seed))
    return p


def test_classifier_through_onnxruntime(tmp_path):
    model = classifier(tmp_path / "cls.onnx")
    spec = bundled_spec("bgr_classification")
    [outcome] = capture_images([_image(tmp_path)], spec, tmp_path / "caps", model=model)
    assert outcome.error is None
    case = read_case(tmp_path / "caps" / "cat")
    # the model output is what onnxruntime gives for the captured preprocessed tensor
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    [logits] = sess.run(None, {"images": case.array("preprocessed")})
    np.testing.assert_array_equal(case.array("model_output"), logits)
    assert case.get("model_output").name == "logits"
    classes = case.array("postprocessed")
    assert classes.shape == (5, 2)
    assert classes[0, 0] == np.argmax(logits[0])  # top-1 is the arg max of the logits
    np.testing.assert_allclose(classes[:, 1].sum(), np.sort(np.exp(logits[0] - logits.max()) /
                                                            np.exp(logits[0] - logits.max()).sum())[-5:].sum(), rtol=1e-5)


def test_yolov8_like_through_onnxruntime(tmp_path):
    model = yolov8_like(tmp_path / "det.onnx")
    spec = bundled_spec("nv12_yolov8")
    [outcome] = capture_images([_image(tmp_path, seed=3)], spec, tmp_path / "caps", model=model)
    assert outcome.error is None, outcome.error
    case = read_case(tmp_path / "caps" / "cat")
    out = case.array("model_output")
    assert out.shape == (1, 84, 2100)
    raw = case.array("raw_input")
    tensor, info = run_reference(raw, spec)
    np.testing.assert_array_equal(case.array("preprocessed"), tensor)
    np.testing.assert_array_equal(case.array("postprocessed"), run_postprocess(out, spec["postprocess"], info))


def test_model_input_mismatch_is_reported(tmp_path):
    model = classifier(tmp_path / "cls.onnx", size=160)
    m = OnnxModel(model)
    with pytest.raises(PyalignError, match=r"has shape \[1, 3, 160, 160\] but the spec's preprocessed tensor is \[1, 3, 224, 224\]"):
        m(np.zeros((1, 3, 224, 224), np.float32))
    with pytest.raises(PyalignError, match="is tensor\\(float\\) but the spec's preprocessed tensor is uint8"):
        m(np.zeros((1, 3, 160, 160), np.uint8))
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(PyalignError, match="junk.onnx: cannot load the ONNX model"):
        OnnxModel(tmp_path / "junk.onnx")


def test_cli_capture_with_model(tmp_path):
    classifier(tmp_path / "cls.onnx")
    _image(tmp_path, "a.png", 1)
    _image(tmp_path, "b.png", 2)
    r = subprocess.run([sys.executable, "-m", "pyalign", "capture", "a.png", "b.png", "--spec",
                        str(spec_path("bgr_classification")), "-o", "caps", "--model", "cls.onnx"],
                       cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert read_case(tmp_path / "caps" / "b").get("postprocessed").kind == "classes"

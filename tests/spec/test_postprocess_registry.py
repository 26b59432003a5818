"""The registry of postprocess ops: one schema, one table of result kinds, both kernels dispatch on it."""
from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

import pyalign.core as core
from pyalign.core import _postprocess as core_pp
from pyalign.errors import SpecError
from pyalign.reference import postprocess as ref_pp
from pyalign.spec import POSTPROCESS_OPS, load_spec
from pyalign.spec.postprocess import (OPS, RESULT_KINDS, infer_kind, normalize, order_free_rows, resolve,
                                      result_kind_of, results_of)
from pyalign.store import KINDS


def test_every_op_has_a_numpy_and_a_cpp_implementation_and_known_result_kinds():
    assert tuple(OPS) == POSTPROCESS_OPS
    assert set(ref_pp.RUNNERS) == set(OPS)
    assert set(core_pp.RUNNERS) == set(OPS)
    for op in OPS.values():
        assert op.results and all(r.kind in RESULT_KINDS for r in op.results)
    assert set(RESULT_KINDS) <= set(KINDS)


def test_normalize_is_idempotent_and_resolve_fills_the_kernel_defaults():
    for name in OPS:
        p = normalize({"op": name})
        assert normalize(p) == p
        r = resolve(p)
        assert set(r) == OPS[name].keys
    r = resolve({"op": "yolov8"})
    assert r["pre_nms_topk"] == 30000 and r["input_size"] is None and r["activated"] is None
    assert "pre_nms_topk" not in normalize({"op": "yolov8", "pre_nms_topk": None})


@pytest.mark.parametrize("post, message", [
    ({"op": "yolov8", "reg_max": 257}, r"postprocess\.reg_max: must be in \[0, 256\], got 257"),
    ({"op": "yolov8", "reg_max": 1}, r"postprocess\.reg_max: must be 0 \(DFL in the graph\) or >= 2"),
    ({"op": "yolox", "num_classes": 2**24 + 1}, r"postprocess\.num_classes: must be <= 16777216"),
    ({"op": "yolov5", "strides": [8, 2**31, 32]}, r"postprocess\.strides\[1\]: must be <= 1073741824"),
    ({"op": "yolov8", "conf_threshold": 1.5}, r"postprocess\.conf_threshold: must be in \[0\.0, 1\.0\]"),
])
def test_spec_validation_and_both_kernels_give_the_registry_message(post, message):
    with pytest.raises(SpecError, match=message):
        load_spec({"input": {"format": "BGR", "width": 8, "height": 8}, "postprocess": post})
    out = np.zeros((1, 84, 10), np.float32)
    for impl in (ref_pp, core):
        with pytest.raises(ValueError, match=message):
            impl.postprocess(out, post)


def test_results_and_kinds():
    assert [(r.name, r.kind) for r in results_of({"op": "yolox"})] == [("detections", "detections")]
    assert result_kind_of({"op": "classification"}) == "classes"
    assert result_kind_of({"op": "segmentation"}) == "mask" and RESULT_KINDS["mask"].layout == "HW"
    assert result_kind_of(None) == "tensor"
    assert RESULT_KINDS["detections"].fields == ("x1", "y1", "x2", "y2", "score", "class")
    assert order_free_rows("detections", (3, 6), (0, 6)) is RESULT_KINDS["detections"]
    assert order_free_rows("detections", (3, 6), (3, 5)) is None
    assert order_free_rows("classes", (3, 2), (3, 2)) is None
    assert infer_kind(None, "postprocessed", (4, 6), np.float32) == "detections"
    assert infer_kind(None, "postprocessed", (4, 2), "float32") == "classes"
    assert infer_kind(None, "postprocessed", (4, 6), np.int32) is None
    assert infer_kind(None, "model_output", (4, 6), np.float32) is None
    assert infer_kind("mask", "postprocessed", (4, 6), np.float32) == "mask"


def test_the_binding_imports_nothing_from_the_reference():
    src = pathlib.Path(core_pp.__file__).read_text()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.ImportFrom):
            assert not (node.module or "").startswith("pyalign.reference"), node.module
        elif isinstance(node, ast.Import):
            assert not any(a.name.startswith("pyalign.reference") for a in node.names)


def test_named_results():
    from pyalign.spec.postprocess import named_results

    det = np.zeros((0, 6), np.float32)
    assert list(named_results({"op": "yolov8"}, det)) == ["detections"]
    assert named_results({"op": "yolov8"}, {"detections": det})["detections"] is det
    with pytest.raises(ValueError, match="has no detections"):
        named_results({"op": "yolov8"}, {"boxes": det})

"""Detection hypotheses: each mistake is manufactured from correct detections and named first."""
from __future__ import annotations

import numpy as np
import pytest

from pyalign.diagnose import diagnose
from pyalign.diagnose.detections import match

SRC_W, SRC_H = 1280, 720
SPEC = {"input": {"format": "BGR", "width": SRC_W, "height": SRC_H},
        "preprocess": [{"op": "letterbox", "size": [640, 640], "pad_value": 114, "style": "ultralytics"},
                       {"op": "normalize", "mean": [0, 0, 0], "std": [255, 255, 255]},
                       {"op": "layout", "to": "NCHW"}],
        "postprocess": {"op": "yolov8", "num_classes": 80}}


@pytest.fixture(scope="module")
def dets():
    rng = np.random.default_rng(11)
    n = 25
    x1 = rng.uniform(0, SRC_W - 200, n)
    y1 = rng.uniform(0, SRC_H - 200, n)
    w = rng.uniform(10, 190, n)
    h = rng.uniform(10, 190, n)
    score = np.sort(rng.uniform(0.25, 1.0, n))[::-1]
    cls = rng.integers(0, 80, n)
    return np.stack([x1, y1, x1 + w, y1 + h, score, cls], 1).astype(np.float32)


def first(expected, actual, spec=SPEC):
    hs = diagnose(expected, actual, stage="postprocessed", kind="detections", spec=spec)
    assert hs
    return hs[0], hs


def assert_named(expected, actual, name, spec=SPEC):
    h, hs = first(expected, actual, spec)
    assert h.name == name, [str(x) for x in hs]
    assert h.explains, str(h)
    assert h.before["unmatched"] > 0 and h.after["unmatched"] == 0
    return h


def test_letterbox_coordinates(dets):
    # ultralytics geometry of 1280x720 -> 640x640, written out: r = 0.5, pad top 140
    r, top = 0.5, 140
    act = dets.copy()
    act[:, [0, 2]] = dets[:, [0, 2]] * r
    act[:, [1, 3]] = dets[:, [1, 3]] * r + top
    h = assert_named(dets, act, "detections.letterbox_coords")
    assert h.params["pad_top"] == top and h.params["scale_x"] == pytest.approx(r)


def test_boxes_not_clipped(dets):
    exp = dets.copy()
    exp[0, 0] = 0.0                    # the reference clipped these two boxes
    exp[1, 3] = SRC_H
    act = exp.copy()
    act[0, 0] = -12.5
    act[1, 3] = SRC_H + 30
    assert_named(exp, act, "detections.not_clipped")


def test_xy_swapped(dets):
    assert_named(dets, dets[:, [1, 0, 3, 2, 4, 5]].copy(), "detections.xy_swap")


def test_wh_swapped(dets):
    cx, cy = (dets[:, 0] + dets[:, 2]) / 2, (dets[:, 1] + dets[:, 3]) / 2
    w, h = dets[:, 2] - dets[:, 0], dets[:, 3] - dets[:, 1]
    act = dets.copy()
    act[:, :4] = np.stack([cx - h / 2, cy - w / 2, cx + h / 2, cy + w / 2], 1)
    assert_named(dets, act, "detections.wh_swap")


def test_xywh_instead_of_xyxy(dets):
    act = dets.copy()
    act[:, 2] = dets[:, 2] - dets[:, 0]
    act[:, 3] = dets[:, 3] - dets[:, 1]
    assert_named(dets, act, "detections.xywh")


def test_cxcywh_instead_of_xyxy(dets):
    act = dets.copy()
    act[:, 0] = (dets[:, 0] + dets[:, 2]) / 2
    act[:, 1] = (dets[:, 1] + dets[:, 3]) / 2
    act[:, 2] = dets[:, 2] - dets[:, 0]
    act[:, 3] = dets[:, 3] - dets[:, 1]
    assert_named(dets, act, "detections.cxcywh")


@pytest.mark.parametrize("shift", [1, -1])
def test_class_ids_shifted(dets, shift):
    act = dets.copy()
    act[:, 5] += shift
    h = assert_named(dets, act, f"detections.class_shift_{'+' if shift > 0 else '-'}1")
    assert h.params["shift"] == shift


def test_order_free_matching(dets):
    perm = np.random.default_rng(2).permutation(len(dets))
    assert match(dets, dets[perm], 1e-3)["passed"]
    assert diagnose(dets, dets[perm], stage="postprocessed", kind="detections") == []
    m = match(dets, dets[:-3], 1e-3)
    assert m["unmatched"] == 3 and not m["passed"]


def test_letterbox_without_spec_is_a_coordinate_frame(dets):
    act = dets.copy()
    act[:, [0, 2]] = dets[:, [0, 2]] * 0.5
    act[:, [1, 3]] = dets[:, [1, 3]] * 0.5 + 140
    h = assert_named(dets, act, "detections.coordinate_frame", spec=None)
    assert "letterbox coordinates: r = 0.5" in h.description


def test_normalized_boxes(dets):
    act = dets.copy()
    act[:, [0, 2]] /= SRC_W
    act[:, [1, 3]] /= SRC_H
    h = assert_named(dets, act, "detections.coordinate_frame", spec=None)
    assert "normalized to 0..1" in h.description and h.params["ax"] == pytest.approx(SRC_W, rel=1e-5)


def test_random_detections_unexplained(dets):
    rng = np.random.default_rng(5)
    act = dets.copy()
    act[:, :4] = rng.uniform(0, 700, (len(dets), 4))
    h, hs = first(dets, act)
    assert [x.name for x in hs] == ["unexplained"] and not h.explains
    assert h.description.startswith("nothing explains the mismatch")


def test_classification_class_shift():
    exp = np.array([[3, 0.7], [8, 0.2], [1, 0.05]], np.float32)
    act = exp.copy()
    act[:, 0] += 1
    hs = diagnose(exp, act, stage="postprocessed", kind="classes")
    assert hs[0].name == "classes.class_shift_+1" and hs[0].explains, [str(h) for h in hs]


def test_exact_rule_measures_before_and_after_with_the_same_tolerance():
    """Under an exact rule a 1e-4 box difference is a mismatch: diagnosed, not dismissed as passing."""
    from pyalign.diagnose.base import RuleSpec

    exp = np.array([[10, 10, 50, 50, 0.9, 1], [60, 60, 90, 90, 0.8, 2]], np.float32)
    act = exp.copy()
    act[0, 0] += 1e-4
    found = diagnose(exp, act, stage="postprocessed", kind="detections", rule=RuleSpec("exact", None, 0.0, None))
    assert [h.name for h in found] == ["unexplained"]
    assert found[0].before["unmatched"] == 2
    act[:, 5] += 1  # and the class shift then explains only the part it can
    found = diagnose(exp, act, stage="postprocessed", kind="detections", rule=RuleSpec("exact", None, 0.0, None))
    assert found[0].name == "detections.class_shift_+1"
    assert found[0].before["unmatched"] == 4 and found[0].after["unmatched"] == 2

"""NMS: the C++ core and the numpy reference against an independent brute-force O(n^2) NMS.

The brute force below is the textbook torchvision loop (suppression flags, full IoU row per
kept box, scalar float32 arithmetic), written here without looking at either implementation.
"""
from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pyalign.core as C

R = importlib.import_module("pyalign.reference.postprocess")
IMPLS = [pytest.param(C.nms, id="cpp"), pytest.param(R.nms, id="numpy")]


def brute_force_nms(boxes, scores, thr, classes=None, max_det=None):
    """Greedy NMS, torchvision semantics, in plain Python over float32 scalars."""
    boxes = np.asarray(boxes, dtype=np.float32)
    scores = np.asarray(scores, dtype=np.float32)
    n = len(scores)
    valid = [i for i in range(n) if np.isfinite(scores[i]) and np.all(np.isfinite(boxes[i]))]
    # score descending, ties by the lower index
    order = sorted(valid, key=lambda i: (-float(scores[i]), i))
    suppressed = [False] * n
    keep = []
    f0 = np.float32(0)
    for a, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(i)
        xi1, yi1, xi2, yi2 = boxes[i]
        area_i = (xi2 - xi1) * (yi2 - yi1)
        for j in order[a + 1:]:
            if suppressed[j] or (classes is not None and classes[j] != classes[i]):
                continue
            xj1, yj1, xj2, yj2 = boxes[j]
            area_j = (xj2 - xj1) * (yj2 - yj1)
            w = max(f0, min(xi2, xj2) - max(xi1, xj1))
            h = max(f0, min(yi2, yj2) - max(yi1, yj1))
            inter = w * h
            union = area_i + area_j - inter
            with np.errstate(divide="ignore", invalid="ignore"):
                iou = inter / union
            if float(iou) > thr:
                suppressed[j] = True
    if max_det is not None:
        keep = keep[:max_det]
    return np.asarray(keep, dtype=np.int64)


def random_boxes(rng, n, size=100.0, quantize=False):
    xy = rng.uniform(0, size, (n, 2))
    wh = rng.uniform(1, size / 3, (n, 2))
    b = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
    if quantize:  # many identical coordinates, exact IoU ties
        b = np.round(b / 5) * 5
        b[:, 2:] = np.maximum(b[:, 2:], b[:, :2] + 5)
    return b


@pytest.mark.parametrize("impl", IMPLS)
def test_random_sets_match_brute_force(impl):
    rng = np.random.default_rng(1234)
    for trial in range(300):
        n = int(rng.integers(0, 60))
        boxes = random_boxes(rng, n, quantize=trial % 3 == 0)
        scores = rng.random(n).astype(np.float32)
        if trial % 4 == 0:  # equal scores
            scores = np.round(scores * 4) / 4
        thr = float(rng.choice([0.0, 0.1, 0.3, 0.45, 0.5, 0.7, 1.0]))
        classes = rng.integers(0, 3, n) if trial % 2 else None
        max_det = None if trial % 5 else int(rng.integers(0, 10))
        expected = brute_force_nms(boxes, scores, thr, classes, max_det)
        got = impl(boxes, scores, thr, classes=classes, max_det=max_det)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, expected, err_msg=f"trial {trial}")


def test_cpp_matches_reference_on_large_sets():
    rng = np.random.default_rng(7)
    for trial in range(20):
        n = 2000
        boxes = random_boxes(rng, n, size=640.0, quantize=trial % 2 == 0)
        scores = (rng.random(n) ** 3).astype(np.float32)
        classes = rng.integers(0, 80, n)
        for cls in (classes, None):
            a = C.nms(boxes, scores, 0.45, classes=cls, max_det=300)
            b = R.nms(boxes, scores, 0.45, classes=cls, max_det=300)
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("impl", IMPLS)
def test_iou_equal_to_threshold_is_kept(impl):
    # IoU of these two is exactly 0.5 (inter 1, union 2): suppressed only when IoU > thr.
    boxes = np.array([[0, 0, 2, 1], [0, 0, 1, 1]], dtype=np.float32)
    scores = np.array([0.9, 0.8], dtype=np.float32)
    np.testing.assert_array_equal(impl(boxes, scores, 0.5), [0, 1])
    np.testing.assert_array_equal(impl(boxes, scores, 0.4999), [0])


@pytest.mark.parametrize("impl", IMPLS)
def test_no_plus_one_pixel(impl):
    # inter 50, union 150 -> IoU 1/3 exactly without the +1 convention (with +1 it would be 66/176 = 0.375).
    boxes = np.array([[0, 0, 10, 10], [5, 0, 15, 10]], dtype=np.float32)
    scores = np.array([0.9, 0.8], dtype=np.float32)
    np.testing.assert_array_equal(impl(boxes, scores, 0.34), [0, 1])
    np.testing.assert_array_equal(impl(boxes, scores, 0.33), [0])
    # touching boxes do not overlap
    touching = np.array([[0, 0, 10, 10], [10, 0, 20, 10]], dtype=np.float32)
    np.testing.assert_array_equal(impl(touching, scores, 0.0), [0, 1])


@pytest.mark.parametrize("impl", IMPLS)
def test_ties_by_lower_index_and_score_order(impl):
    boxes = np.array([[0, 0, 10, 10]] * 3 + [[50, 50, 60, 60]], dtype=np.float32)
    scores = np.array([0.5, 0.7, 0.7, 0.9], dtype=np.float32)
    np.testing.assert_array_equal(impl(boxes, scores, 0.5), [3, 1])
    np.testing.assert_array_equal(impl(boxes, scores, 1.0), [3, 1, 2, 0])


@pytest.mark.parametrize("impl", IMPLS)
def test_class_aware_and_agnostic(impl):
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 11]], dtype=np.float32)
    scores = np.array([0.9, 0.8, 0.7], dtype=np.float32)
    classes = np.array([0, 1, 0])
    np.testing.assert_array_equal(impl(boxes, scores, 0.5, classes=classes), [0, 1])
    np.testing.assert_array_equal(impl(boxes, scores, 0.5), [0])
    np.testing.assert_array_equal(impl(boxes, scores, 0.5, classes=classes.astype(np.float32)), [0, 1])


@pytest.mark.parametrize("impl", IMPLS)
def test_class_ids_far_apart_and_negative(impl):
    rng = np.random.default_rng(3)
    for trial in range(30):
        n = 40
        boxes = random_boxes(rng, n, size=30.0)
        scores = rng.random(n).astype(np.float32)
        classes = rng.choice(np.array([-7, 0, 3, 10**12, -(2**62)]), n)
        np.testing.assert_array_equal(impl(boxes, scores, 0.3, classes=classes), brute_force_nms(boxes, scores, 0.3, classes))


@pytest.mark.parametrize("impl", IMPLS)
def test_max_det(impl):
    boxes = np.array([[i * 20, 0, i * 20 + 10, 10] for i in range(10)], dtype=np.float32)
    scores = np.linspace(0.1, 1.0, 10).astype(np.float32)
    np.testing.assert_array_equal(impl(boxes, scores, 0.5, max_det=3), [9, 8, 7])
    assert impl(boxes, scores, 0.5, max_det=0).size == 0


@pytest.mark.parametrize("impl", IMPLS)
def test_non_finite_never_kept(impl):
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, np.nan, 10], [0, 0, 10, 10], [20, 20, 30, 30]], dtype=np.float32)
    scores = np.array([np.nan, np.inf, 0.9, 0.5, -np.inf], dtype=np.float32)
    np.testing.assert_array_equal(impl(boxes, scores, 0.5), [3])


@pytest.mark.parametrize("impl", IMPLS)
def test_degenerate_boxes(impl):
    # zero-area boxes: union 0 -> IoU NaN -> never suppresses; inverted boxes are handled like torchvision
    boxes = np.array([[5, 5, 5, 5], [5, 5, 5, 5], [10, 10, 0, 0], [0, 0, 10, 10]], dtype=np.float32)
    scores = np.array([0.9, 0.8, 0.7, 0.6], dtype=np.float32)
    np.testing.assert_array_equal(impl(boxes, scores, 0.5), brute_force_nms(boxes, scores, 0.5))


@pytest.mark.parametrize("impl", IMPLS)
def test_empty(impl):
    got = impl(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), 0.5)
    assert got.shape == (0,) and got.dtype == np.int64


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize(
    "boxes, scores, kwargs, match",
    [
        (np.zeros((3, 4)), np.zeros(2), {}, "scores"),
        (np.zeros((3, 5)), np.zeros(3), {}, "boxes"),
        (np.zeros(4), np.zeros(1), {}, "boxes"),
        (np.zeros((3, 4)), np.zeros((3, 1)), {}, "scores"),
        (np.zeros((3, 4)), np.zeros(3), {"iou_threshold": -0.1}, "iou_threshold"),
        (np.zeros((3, 4)), np.zeros(3), {"iou_threshold": float("nan")}, "iou_threshold"),
        (np.zeros((3, 4)), np.zeros(3), {"classes": np.zeros(2, int)}, "classes"),
        (np.zeros((3, 4)), np.zeros(3), {"classes": np.array([0.5, 1, 2])}, "classes"),
        (np.zeros((3, 4)), np.zeros(3), {"classes": np.array(["a", "b", "c"])}, "classes"),
        (np.zeros((3, 4)), np.zeros(3), {"classes": np.array([1e30, 0, 0])}, "classes"),
        (np.zeros((3, 4)), np.zeros(3), {"classes": np.array([np.nan, 0, 0])}, "classes"),
        (np.zeros((3, 4)), np.zeros(3), {"max_det": -1}, "max_det"),
        (np.array([["a"] * 4]), np.zeros(1), {}, "numeric"),
    ],
)
def test_bad_input(impl, boxes, scores, kwargs, match):
    kwargs = dict(kwargs)
    thr = kwargs.pop("iou_threshold", 0.5)
    with pytest.raises(ValueError, match=match):
        impl(boxes, scores, thr, **kwargs)


def test_binding_rejects_bad_arrays_without_crashing():
    pp = __import__("pyalign._core", fromlist=["postprocess"]).postprocess
    b = np.zeros((3, 4), np.float32)
    s = np.zeros(3, np.float32)
    with pytest.raises(ValueError):
        pp.nms(b.astype(np.float64), s, 0.5, None, -1)
    with pytest.raises(ValueError):
        pp.nms(np.asfortranarray(np.zeros((3, 4), np.float32)), s, 0.5, None, -1)
    with pytest.raises(ValueError):
        pp.nms(b, s, 0.5, np.zeros(3, np.int32), -1)
    with pytest.raises(ValueError):
        pp.nms(b, s, 0.5, [0, 1, 2], -1)
    with pytest.raises(ValueError):
        pp.nms(b, s[:2], 0.5, None, -1)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 20), st.integers(0, 20), st.integers(1, 12), st.integers(1, 12),
            st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9]), st.integers(0, 2),
        ),
        max_size=25,
    ),
    st.sampled_from([0.0, 0.2, 0.45, 0.5, 0.6, 1.0]),
    st.booleans(),
)
def test_hypothesis_small_integer_boxes(rows, thr, aware):
    """Integer boxes on a small grid: many exact IoU ties with the threshold and equal scores."""
    boxes = np.array([[x, y, x + w, y + h] for x, y, w, h, _, _ in rows], dtype=np.float32).reshape(-1, 4)
    scores = np.array([r[4] for r in rows], dtype=np.float32)
    classes = np.array([r[5] for r in rows], dtype=np.int64) if aware else None
    expected = brute_force_nms(boxes, scores, thr, classes)
    np.testing.assert_array_equal(C.nms(boxes, scores, thr, classes=classes), expected)
    np.testing.assert_array_equal(R.nms(boxes, scores, thr, classes=classes), expected)


@pytest.mark.parametrize("impl", [pytest.param(C.detections_from_candidates, id="cpp"),
                                  pytest.param(R.detections_from_candidates, id="numpy")])
def test_detections_from_candidates_checks_scores_and_classes(impl):
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], np.float32)
    scores = np.array([0.9, 0.8, 0.7], np.float32)
    with pytest.raises(ValueError, match=r"scores: expected shape \[3\] to match boxes"):
        impl(R.Candidates(boxes, scores[:2], np.zeros(3, np.int64), {}))
    with pytest.raises(ValueError, match=r"classes: expected shape \[3\] to match boxes"):
        impl(R.Candidates(boxes, scores, np.zeros(2, np.int64), {}))
    with pytest.raises(ValueError, match="classes: expected integer class ids"):
        impl(R.Candidates(boxes, scores, np.array([0.5, 0, 0]), {}))
    # integer-valued float class ids are taken as ids: boxes 0 and 1 are of different classes
    det = impl(R.Candidates(boxes, scores, np.array([0.0, 1.0, 0.0]), {}), 0.45)
    np.testing.assert_array_equal(det[:, 5], [0, 1, 0])
    np.testing.assert_array_equal(det[:, 4], scores)

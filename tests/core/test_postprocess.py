"""Postprocessing: the C++ core (pyalign.core) against the numpy reference and hand-computed results.

- thousands of small random / realistic outputs (a few confident objects among noise, overlapping
  boxes of the same and of different classes, equal scores) for every decoder and layout: same
  kept sets, same order, coordinates and scores within 1e-4, same counts;
- worked YOLOv8 / YOLOv5 / YOLOX examples with boxes computed by hand;
- classification and segmentation against plain formulas / np.argmax;
- NaN / Inf dropped and counted; bad input -> ValueError.
"""
from __future__ import annotations

import importlib
import math

import numpy as np
import pytest

import pyalign.core as C

R = importlib.import_module("pyalign.reference.postprocess")
BOTH = [pytest.param(C, id="cpp"), pytest.param(R, id="numpy")]
STRIDES = [8, 16, 32]


# ----------------------------------------------------------------------------- helpers


def assert_same_candidates(a, b, msg=""):
    assert a.boxes.shape == b.boxes.shape, msg
    np.testing.assert_array_equal(a.classes, b.classes, err_msg=msg)
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-4, rtol=0, err_msg=msg)
    np.testing.assert_allclose(a.boxes, b.boxes, atol=1e-4, rtol=1e-6, err_msg=msg)
    assert a.stats == b.stats, msg


def assert_same_detections(a, b, msg=""):
    assert a.dtype == b.dtype == np.float32, msg
    assert a.shape == b.shape, f"{msg}: {a.shape} vs {b.shape}"
    np.testing.assert_array_equal(a[:, 5], b[:, 5], err_msg=msg)
    np.testing.assert_allclose(a[:, :5], b[:, :5], atol=1e-4, rtol=1e-6, err_msg=msg)


def logit(p):
    p = np.asarray(p, dtype=np.float64)
    return (np.log(p) - np.log1p(-p)).astype(np.float32)


def grids(w, h, strides=STRIDES):
    return [(-(-h // s), -(-w // s)) for s in strides]


def plant_objects(rng, probs, box_rows, width):
    """A few confident objects with overlapping neighbours (same class), a same-box other-class
    duplicate and exactly equal scores."""
    n, nc = probs.shape
    k = int(rng.integers(0, 6))
    last = None
    for _ in range(k):
        a = int(rng.integers(0, n))
        c = int(rng.integers(0, nc))
        s = np.float32(rng.uniform(0.5, 0.99)) if last is None or rng.random() < 0.5 else last
        last = s
        probs[a, c] = s
        for d in (1, width, -1):  # neighbours: same class, similar box, lower or equal score
            b = (a + d) % n
            probs[b, c] = s if rng.random() < 0.3 else np.float32(s * rng.uniform(0.6, 1.0))
            box_rows[b] = box_rows[a] + rng.normal(0, 0.05, box_rows.shape[1]).astype(np.float32)
        other = (a + 2) % n
        box_rows[other] = box_rows[a]
        probs[other, (c + 1) % nc] = np.float32(s * 0.9)


def yolov8_outputs(rng, nc, reg_max, size, layout, strides=STRIDES):
    w, h = size
    g = grids(w, h, strides)
    n = sum(gh * gw for gh, gw in g)
    nbox = 4 * reg_max if reg_max else 4
    if reg_max:
        box = rng.normal(0, 2, (n, nbox)).astype(np.float32)
    elif layout.startswith("single"):  # decoded cx, cy, w, h
        box = np.concatenate([rng.uniform(0, [w, h], (n, 2)), rng.uniform(2, max(w, h) / 2, (n, 2))], axis=1).astype(np.float32)
    else:  # distances in grid units
        box = rng.uniform(0, 4, (n, 4)).astype(np.float32)
    probs = (rng.random((n, nc)) * rng.uniform(0.1, 0.35)).astype(np.float32)
    plant_objects(rng, probs, box, g[0][1])
    heads = not layout.startswith("single")
    cls = logit(np.clip(probs, 1e-6, 1 - 1e-6)) if heads else probs
    rows = np.concatenate([box, cls], axis=1)
    if layout == "single":
        return rows.T[None].copy()
    if layout == "single_t":
        return rows[None].copy()
    out, off = [], 0
    for gh, gw in g:
        part = rows[off:off + gh * gw].reshape(gh, gw, -1)
        off += gh * gw
        out.append(part.transpose(2, 0, 1)[None].copy() if layout == "heads_nchw" else part[None].copy())
    return out


def yolov5_outputs(rng, nc, anchors, size, layout, activated):
    w, h = size
    no = 5 + nc
    if layout == "concat":
        n = sum(len(a) // 2 * gh * gw for a, (gh, gw) in zip(anchors, grids(w, h)))
        rows = np.concatenate(
            [rng.uniform(0, [w, h], (n, 2)), rng.uniform(2, max(w, h) / 2, (n, 2)), rng.random((n, 1 + nc)) * 0.6], axis=1
        ).astype(np.float32)
        rows[:, 4] = np.maximum(rows[:, 4], 0.2)
        plant_objects(rng, rows[:, 5:], rows[:, :5], 4)
        return rows[None].copy()
    out = []
    for anc, (gh, gw) in zip(anchors, grids(w, h)):
        na = len(anc) // 2
        vals = np.concatenate(
            [rng.uniform(0.05, 0.95, (na * gh * gw, 4)), rng.uniform(0.0, 0.8, (na * gh * gw, 1)),
             rng.random((na * gh * gw, nc)) * 0.5], axis=1
        ).astype(np.float32)
        plant_objects(rng, vals[:, 5:], vals[:, :5], gw)
        vals = np.clip(vals, 1e-5, 1 - 1e-5)
        if not activated:
            vals = logit(vals)
        a5 = vals.reshape(na, gh, gw, no)
        out.append(a5[None].copy() if layout == "heads5" else np.moveaxis(a5, 3, 1).reshape(1, na * no, gh, gw).copy())
    return out


def yolox_outputs(rng, nc, size, strides=STRIDES):
    w, h = size
    n = sum(gh * gw for gh, gw in grids(w, h, strides))
    rows = np.concatenate(
        [rng.normal(0, 1, (n, 4)), rng.random((n, 1)), rng.random((n, nc)) * 0.6], axis=1
    ).astype(np.float32)
    plant_objects(rng, rows[:, 5:], rows[:, :4], 8)
    return rows[None].copy()


# ----------------------------------------------------------------------------- C++ vs reference


def test_yolov8_random_and_realistic_match_reference():
    rng = np.random.default_rng(8)
    layouts = ["single", "single_t", "heads_nchw", "heads_nhwc"]
    for trial in range(600):
        layout = layouts[trial % 4]
        reg_max = [0, 16, 4][trial % 3]
        nc = int(rng.integers(1, 6))
        size = [(64, 64), (96, 64), (64, 32)][trial % 3]
        outs = yolov8_outputs(rng, nc, reg_max, size, layout)
        kw = dict(num_classes=nc, reg_max=reg_max, strides=STRIDES, conf_threshold=float(rng.choice([0.0, 0.1, 0.25, 0.5])),
                  pre_nms_topk=None if trial % 5 else int(rng.integers(1, 50)), input_size=size)
        a, b = C.decode_yolov8(outs, **kw), R.decode_yolov8(outs, **kw)
        assert_same_candidates(a, b, f"trial {trial} {layout} reg_max={reg_max}")
        nms_kw = dict(iou_threshold=float(rng.choice([0.3, 0.45, 0.7])), class_agnostic=bool(trial % 2), max_det=int(rng.integers(0, 400)))
        assert_same_detections(C.detections_from_candidates(a, **nms_kw), R.detections_from_candidates(b, **nms_kw), f"trial {trial}")


def test_yolov5_random_and_realistic_match_reference():
    rng = np.random.default_rng(5)
    anchors = [[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119], [116, 90, 156, 198, 373, 326]]
    layouts = ["heads", "heads5", "concat"]
    for trial in range(450):
        layout = layouts[trial % 3]
        activated = bool((trial // 3) % 2)
        nc = int(rng.integers(1, 5))
        outs = yolov5_outputs(rng, nc, anchors, (64, 64), layout, activated)
        kw = dict(num_classes=nc, anchors=anchors, strides=STRIDES, activated=activated,
                  conf_threshold=float(rng.choice([0.05, 0.25, 0.4])), pre_nms_topk=None if trial % 4 else 20)
        a, b = C.decode_yolov5(outs, **kw), R.decode_yolov5(outs, **kw)
        assert_same_candidates(a, b, f"trial {trial} {layout} activated={activated}")
        assert_same_detections(
            C.detections_from_candidates(a, 0.45, trial % 2 == 0, 100), R.detections_from_candidates(b, 0.45, trial % 2 == 0, 100)
        )


def test_yolox_random_and_realistic_match_reference():
    rng = np.random.default_rng(11)
    for trial in range(300):
        nc = int(rng.integers(1, 5))
        size = [(64, 64), (96, 64)][trial % 2]
        outs = yolox_outputs(rng, nc, size)
        kw = dict(num_classes=nc, strides=STRIDES, conf_threshold=0.25, input_size=size if trial % 2 else None)
        a, b = C.decode_yolox(outs, **kw), R.decode_yolox(outs, **kw)
        assert_same_candidates(a, b, f"trial {trial}")
        assert_same_detections(C.detections_from_candidates(a), R.detections_from_candidates(b))


def test_full_size_outputs_through_spec_match_reference():
    rng = np.random.default_rng(640)
    info = C.letterbox_info((1920, 1080), (640, 640), "ultralytics")
    cases = [
        ({"op": "yolov8", "num_classes": 80, "reg_max": 0}, yolov8_outputs(rng, 80, 0, (640, 640), "single")),
        ({"op": "yolov8", "num_classes": 80, "reg_max": 16}, yolov8_outputs(rng, 80, 16, (640, 640), "single")),
        ({"op": "yolov8", "num_classes": 80, "class_agnostic": True}, yolov8_outputs(rng, 80, 16, (640, 640), "heads_nchw")),
        ({"op": "yolov5", "num_classes": 80}, yolov5_outputs(rng, 80, R.DEFAULT_YOLOV5_ANCHORS, (640, 640), "heads", False)),
        ({"op": "yolov5", "num_classes": 80, "max_det": 50}, yolov5_outputs(rng, 80, R.DEFAULT_YOLOV5_ANCHORS, (640, 640), "concat", True)),
        ({"op": "yolox", "num_classes": 80, "pre_nms_topk": 500}, yolox_outputs(rng, 80, (640, 640))),
    ]
    for spec, outs in cases:
        a, sa = C.postprocess(outs, spec, info, return_stats=True)
        b, sb = R.postprocess(outs, spec, info, return_stats=True)
        assert_same_detections(a, b, str(spec))
        assert sa == sb
        assert a.shape[0] > 0
        # mapped to the original image and clipped, score-descending
        assert np.all(a[:, [0, 2]] >= 0) and np.all(a[:, [0, 2]] <= 1920)
        assert np.all(a[:, [1, 3]] >= 0) and np.all(a[:, [1, 3]] <= 1080)
        assert np.all(np.diff(a[:, 4]) <= 0)


# ----------------------------------------------------------------------------- worked examples


def _dfl_bins(d, reg_max=16):
    """Bins whose DFL expectation is d (an integer, or k + 0.5 with two equal peaks)."""
    b = np.zeros(reg_max, np.float32)
    if d == int(d):
        b[int(d)] = 100
    else:
        b[int(d)] = b[int(d) + 1] = 100
    return b


def worked_yolov8_output():
    """64x64 input, strides 8/16/32 (grids 8x8, 4x4, 2x2 = 84 anchors), 2 classes, reg_max 16."""
    n, nc = 84, 2
    rows = np.zeros((n, 64 + nc), np.float32)
    rows[:, 64:] = 0.01
    for a in range(n):
        for k in range(4):
            rows[a, 16 * k:16 * k + 16] = _dfl_bins(1)

    def put(anchor, dists, cls, prob):
        for k, d in enumerate(dists):
            rows[anchor, 16 * k:16 * k + 16] = _dfl_bins(d)
        rows[anchor, 64 + cls] = prob

    put(19, (2, 1, 3, 4), 1, 0.9)  # level 0 cell (x3, y2): point (3.5, 2.5) * 8 -> (12, 12, 52, 52)
    put(69, (1, 1, 1, 1), 1, 0.8)  # level 1 cell (x1, y1): point (1.5, 1.5) * 16 -> (8, 8, 40, 40), IoU .426 with A
    put(20, (3, 1, 2, 4), 1, 0.7)  # level 0 cell (x4, y2): (12, 12, 52, 52) again, same class -> suppressed
    put(27, (2, 2, 3, 3), 0, 0.6)  # level 0 cell (x3, y3): (12, 12, 52, 52), other class
    put(80, (0.5, 0.5, 0.5, 0.5), 0, 0.3)  # level 2 cell (x0, y0): point (0.5, 0.5) * 32 -> (0, 0, 32, 32)
    put(83, (1, 1, 1, 1), 0, 0.25)  # exactly at the threshold: dropped (score > thr)
    return rows.T[None].copy()


@pytest.mark.parametrize("impl", BOTH)
def test_worked_yolov8_example(impl):
    out = worked_yolov8_output()
    spec = {"op": "yolov8", "num_classes": 2, "reg_max": 16, "conf_threshold": 0.25, "iou_threshold": 0.45, "input_size": [64, 64]}
    det = impl.postprocess(out, spec)
    expected = np.array(
        [[12, 12, 52, 52, 0.9, 1], [8, 8, 40, 40, 0.8, 1], [12, 12, 52, 52, 0.6, 0], [0, 0, 32, 32, 0.3, 0]], np.float32
    )
    np.testing.assert_allclose(det, expected, atol=1e-5)
    agnostic = impl.postprocess(out, dict(spec, class_agnostic=True))
    np.testing.assert_allclose(agnostic, expected[[0, 1, 3]], atol=1e-5)
    # back to a 128x96 original letterboxed into 64x64: r = 0.5, pad_top = 8; clipped at y = 0
    info = {"scale_x": 0.5, "scale_y": 0.5, "pad_left": 0, "pad_top": 8, "src_width": 128, "src_height": 96}
    mapped = impl.postprocess(out, spec, info)
    np.testing.assert_allclose(
        mapped[:, :4], [[24, 8, 104, 88], [16, 0, 80, 64], [24, 8, 104, 88], [0, 0, 64, 48]], atol=1e-5
    )
    np.testing.assert_allclose(impl.postprocess(out, spec, C.letterbox_info((128, 96), (64, 64))), mapped)
    # without input_size the square 64x64 input is inferred from the 84 anchors
    np.testing.assert_allclose(impl.postprocess(out, {k: v for k, v in spec.items() if k != "input_size"}), det)


@pytest.mark.parametrize("impl", BOTH)
def test_worked_yolov5_example(impl):
    # one head, stride 8, 2x2 grid, one anchor 10x13, one class; cell (x1, y0) is confident
    head = np.full((1, 6, 2, 2), -10.0, np.float32)
    head[0, :4, 0, 1] = [0.0, 0.0, 0.0, 0.0]
    head[0, 4, 0, 1] = 10.0
    head[0, 5, 0, 1] = 10.0
    det = impl.postprocess([head], {"op": "yolov5", "num_classes": 1, "anchors": [[10, 13]], "strides": [8]})
    s = 1 / (1 + math.exp(-10.0))
    # xy = (2 * 0.5 - 0.5 + grid) * 8 = (12, 4); wh = (2 * 0.5)^2 * anchor = (10, 13)
    np.testing.assert_allclose(det, [[7, -2.5, 17, 10.5, s * s, 0]], atol=1e-5)


@pytest.mark.parametrize("impl", BOTH)
def test_worked_yolox_example(impl):
    rows = np.zeros((1, 4, 6), np.float32)  # 16x16 input, stride 8: 2x2 grid
    rows[0, 3] = [0.5, 0.25, 0.0, math.log(2.0), 0.8, 0.5]  # cell (x1, y1)
    det = impl.postprocess(rows, {"op": "yolox", "num_classes": 1, "strides": [8], "input_size": [16, 16]})
    # cx = (0.5 + 1) * 8 = 12, cy = (0.25 + 1) * 8 = 10, w = 8, h = 16; score 0.8 * 0.5
    np.testing.assert_allclose(det, [[8, 2, 16, 18, 0.4, 0]], atol=1e-5)


# ----------------------------------------------------------------------------- classification, segmentation, mapping


@pytest.mark.parametrize("impl", BOTH)
def test_classify_hand_computed_and_ties(impl):
    logits = np.array([[1.0, 2.0, 3.0, 3.0]], np.float32)
    e = [math.exp(v - 3.0) for v in (1.0, 2.0, 3.0, 3.0)]
    p = [v / sum(e) for v in e]
    res = impl.classify(logits, topk=3)
    assert res.dtype == np.float32 and res.shape == (3, 2)
    np.testing.assert_array_equal(res[:, 0], [2, 3, 1])
    np.testing.assert_allclose(res[:, 1], [p[2], p[3], p[1]], rtol=1e-6)
    raw = impl.classify(logits.reshape(1, 4, 1, 1), topk=10, softmax=False)
    np.testing.assert_array_equal(raw, [[2, 3], [3, 3], [1, 2], [0, 1]])


def test_classify_and_softmax_match_reference():
    rng = np.random.default_rng(3)
    for trial in range(300):
        n = int(rng.integers(1, 2000))
        x = (rng.normal(0, rng.uniform(0.1, 20), n)).astype(np.float32)
        if trial % 3 == 0:
            x = np.round(x)  # ties
        k = int(rng.integers(1, 10))
        np.testing.assert_allclose(C.softmax(x), R.softmax(x), atol=1e-7)
        np.testing.assert_allclose(C.softmax(x).astype(np.float64).sum(), 1.0, atol=1e-4)
        a, b = C.classify(x, k, trial % 2 == 0), R.classify(x, k, trial % 2 == 0)
        np.testing.assert_array_equal(a[:, 0], b[:, 0])
        np.testing.assert_allclose(a[:, 1], b[:, 1], atol=1e-6)
        np.testing.assert_array_equal(C.topk(x, k), np.argsort(-x, kind="stable")[:k])


@pytest.mark.parametrize("impl", BOTH)
def test_classify_non_finite_dropped_and_counted(impl):
    x = np.array([np.nan, 1.0, np.inf, 0.0, -np.inf], np.float32)
    res, stats = impl.classify(x, topk=5, return_stats=True)
    assert stats == {"nonfinite_scores": 3}
    np.testing.assert_array_equal(res[:, 0], [1, 3])
    np.testing.assert_allclose(res[:, 1], [math.e / (1 + math.e), 1 / (1 + math.e)], rtol=1e-6)
    assert np.all(impl.softmax(np.full(3, np.nan, np.float32)) == 0)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_segment_argmax_vs_numpy_argmax(layout):
    rng = np.random.default_rng(21)
    for trial in range(40):
        c, h, w = int(rng.integers(1, 25)), int(rng.integers(1, 40)), int(rng.integers(1, 40))
        x = rng.integers(-3, 4, (1, c, h, w)).astype(np.float32)  # many ties
        expected = np.argmax(x[0], axis=0).astype(np.int32)
        if layout == "NHWC":
            x = x.transpose(0, 2, 3, 1).copy()
        for impl in (C, R):
            got = impl.segment_argmax(x, layout)
            assert got.dtype == np.int32
            np.testing.assert_array_equal(got, expected)
            np.testing.assert_array_equal(impl.postprocess(x, {"op": "segmentation", "layout": layout}), expected)


@pytest.mark.parametrize("impl", BOTH)
def test_segment_argmax_nan(impl):
    # C=3, H=1, W=4; NaN counts as -Inf (ties: lower class), an all-NaN pixel is -1
    x = np.array([[[np.nan, 1.0, np.nan, np.nan]], [[np.nan, np.nan, -np.inf, np.nan]], [[np.nan, 0.5, np.nan, 0.5]]], np.float32)
    mask, stats = impl.segment_argmax(x, "NCHW", return_stats=True)
    np.testing.assert_array_equal(mask, [[-1, 0, 0, 2]])
    assert stats == {"nan_pixels": 1}


@pytest.mark.parametrize("impl", BOTH)
def test_map_boxes_hand_formula(impl):
    rng = np.random.default_rng(4)
    boxes = rng.uniform(-50, 700, (200, 4)).astype(np.float32)
    info = {"scale_x": 0.3333, "scale_y": 0.5, "pad_left": 0, "pad_top": 140, "src_width": 1920, "src_height": 1080}
    got = impl.map_boxes(boxes, info)
    x = np.clip((boxes[:, 0::2].astype(np.float64) - 0) / 0.3333, 0, 1920)
    y = np.clip((boxes[:, 1::2].astype(np.float64) - 140) / 0.5, 0, 1080)
    np.testing.assert_allclose(got[:, 0::2], x, rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(got[:, 1::2], y, rtol=1e-6, atol=1e-4)
    np.testing.assert_array_equal(got, (C if impl is R else R).map_boxes(boxes, info))


# ----------------------------------------------------------------------------- NaN / Inf


def test_non_finite_outputs_dropped_and_counted():
    rng = np.random.default_rng(99)
    for layout, reg_max in [("single", 16), ("single", 0), ("heads_nchw", 16)]:
        outs = yolov8_outputs(rng, 3, reg_max, (64, 64), layout)
        arrays = outs if isinstance(outs, list) else [outs]
        flat = arrays[0].reshape(-1)
        flat[rng.integers(0, flat.size, 40)] = np.nan
        flat[rng.integers(0, flat.size, 40)] = np.inf
        flat[rng.integers(0, flat.size, 40)] = -np.inf
        spec = {"op": "yolov8", "num_classes": 3, "reg_max": reg_max, "conf_threshold": 0.0}
        a, sa = C.postprocess(outs, spec, return_stats=True)
        b, sb = R.postprocess(outs, spec, return_stats=True)
        assert sa == sb
        assert sa["nonfinite_scores"] > 0
        assert_same_detections(a, b)
        assert np.all(np.isfinite(a))
    # YOLOX: exp overflow of a confident box -> a non-finite box, dropped and counted
    rows = yolox_outputs(rng, 2, (64, 64))
    rows[0, 5, :] = [0, 0, 1e4, 0, 1.0, 1.0, 0.0]
    for impl in (C, R):
        cand = impl.decode_yolox(rows, num_classes=2, conf_threshold=0.0)
        assert cand.stats["nonfinite_boxes"] == 1
        assert np.all(np.isfinite(cand.boxes))


def test_garbage_values_same_on_both_sides():
    """Outputs laced with NaN, +-Inf and huge values: same candidates, same counts, both sides."""
    rng = np.random.default_rng(2024)

    def lace(a):
        a = a.copy()
        flat = a.reshape(-1)
        for v in (np.nan, np.inf, -np.inf, 3e38, -3e38, 88.0, -1e4):
            flat[rng.integers(0, flat.size, max(1, flat.size // 200))] = v
        return a

    anchors = [[10, 13, 16, 30], [30, 61, 62, 45], [116, 90, 156, 198]]
    dropped = 0
    for trial in range(120):
        kind = trial % 4
        if kind == 0:
            layout = ["single", "single_t", "heads_nchw", "heads_nhwc"][trial // 4 % 4]
            reg_max = [0, 16][trial // 16 % 2]
            outs = yolov8_outputs(rng, 3, reg_max, (64, 64), layout)
            outs = [lace(o) for o in outs] if isinstance(outs, list) else lace(outs)
            kw = dict(num_classes=3, reg_max=reg_max, conf_threshold=0.0)
            a, b = C.decode_yolov8(outs, **kw), R.decode_yolov8(outs, **kw)
        elif kind in (1, 2):
            layout = ["heads", "heads5", "concat"][trial // 4 % 3]
            outs = yolov5_outputs(rng, 2, anchors, (64, 64), layout, kind == 2)
            outs = [lace(o) for o in outs] if isinstance(outs, list) else lace(outs)
            kw = dict(num_classes=2, anchors=anchors, activated=kind == 2, conf_threshold=0.01)
            a, b = C.decode_yolov5(outs, **kw), R.decode_yolov5(outs, **kw)
        else:
            outs = lace(yolox_outputs(rng, 2, (64, 64)))
            kw = dict(num_classes=2, conf_threshold=0.0)
            a, b = C.decode_yolox(outs, **kw), R.decode_yolox(outs, **kw)
        assert_same_candidates(a, b, f"trial {trial}")
        dropped += a.stats["nonfinite_scores"] + a.stats["nonfinite_boxes"]
        assert np.all(np.isfinite(a.boxes)) and np.all(np.isfinite(a.scores))
        assert_same_detections(C.detections_from_candidates(a, 0.5), R.detections_from_candidates(b, 0.5))
    assert dropped > 500


# ----------------------------------------------------------------------------- errors


BAD = [
    ("decode_yolov8", (np.zeros((1, 84, 8400, 1), np.float32),), {"reg_max": 0}, r"\[1, 84, anchors\] or one output per stride"),
    ("decode_yolov8", (np.zeros((1, 83, 8400), np.float32),), {"reg_max": 0}, "expected"),
    ("decode_yolov8", (np.zeros((2, 84, 8400), np.float32),), {"reg_max": 0}, "batch"),
    ("decode_yolov8", (np.zeros((1, 144, 8401), np.float32),), {}, "grids"),
    ("decode_yolov8", (np.zeros((1, 144, 8400), np.float32),), {"input_size": [640, 320]}, "input size"),
    ("decode_yolov8", ([np.zeros((1, 84, 8, 8), np.float32)] * 2,), {"reg_max": 0}, "one output per stride"),
    ("decode_yolov8", ([np.zeros((1, 85, 8, 8), np.float32)] * 3,), {"reg_max": 0}, "expected"),
    ("decode_yolov8", (np.zeros((1, 84, 10), np.float32),), {"reg_max": 0, "conf_threshold": -0.1}, "conf_threshold"),
    ("decode_yolov8", (np.zeros((1, 84, 10), np.float32),), {"reg_max": 0, "num_classes": 0}, "num_classes"),
    ("decode_yolov8", (np.zeros((1, 84, 10), np.float32),), {"reg_max": -1}, "reg_max"),
    ("decode_yolov8", (np.zeros((1, 84, 10), np.float32),), {"reg_max": 2**40}, "reg_max"),
    ("decode_yolov8", (np.zeros((1, 84, 10), np.float32),), {"reg_max": 0, "num_classes": 2**40}, "num_classes"),
    ("decode_yolov8", (np.zeros((1, 84, 10), np.float32),), {"reg_max": 0, "strides": [2**40]}, "strides"),
    ("decode_yolov8", (np.zeros((1, 84, 10), np.float32),), {"reg_max": 0, "pre_nms_topk": 2**70}, "pre_nms_topk"),
    ("decode_yolox", (np.zeros((1, 10, 85), np.float32),), {"conf_threshold": "high"}, "conf_threshold"),
    ("nms", (np.zeros((1, 4), np.float32), np.zeros(1, np.float32), 0.5), {"max_det": 2**70}, "max_det"),
    ("classify", (np.zeros((1, 10), np.float32),), {"topk": 2**70}, "topk"),
    ("decode_yolov8", (np.zeros((1, 84, 10), np.float32),), {"reg_max": 0, "strides": []}, "strides"),
    ("decode_yolov8", (np.zeros((1, 84, 10), np.float32),), {"reg_max": 0, "pre_nms_topk": 0}, "pre_nms_topk"),
    ("decode_yolov8", ([],), {}, "empty"),
    ("decode_yolov8", ("abc",), {}, "outputs"),
    ("decode_yolov5", ([np.zeros((1, 254, 8, 8), np.float32)] * 3,), {}, "expected"),
    ("decode_yolov5", ([np.zeros((1, 3, 8, 8, 84), np.float32)] * 3,), {}, "expected"),
    ("decode_yolov5", (np.zeros((1, 100, 84), np.float32),), {}, "expected"),
    ("decode_yolov5", ([np.zeros((1, 255, 8, 8), np.float32)] * 3,), {"anchors": [[10, 13]]}, "anchors"),
    ("decode_yolov5", ([np.zeros((1, 255, 8, 8), np.float32)] * 3,), {"anchors": [[10, 13, 5]] * 3}, "anchors"),
    ("decode_yolov5", ([np.zeros((1, 255, 8, 8), np.float32)] * 3,), {"anchors": [[10, -13]] * 3}, "anchors"),
    ("decode_yolox", (np.zeros((1, 8400, 84), np.float32),), {}, "expected"),
    ("decode_yolox", (np.zeros((1, 8399, 85), np.float32),), {}, "grids"),
    ("decode_yolox", ([np.zeros((1, 8400, 85), np.float32)] * 2,), {}, "one output"),
    ("classify", (np.zeros((2, 10), np.float32),), {}, "one class axis"),
    ("classify", (np.zeros((1, 0), np.float32),), {}, "non-empty"),
    ("classify", (np.zeros((1, 10), np.float32),), {"topk": 0}, "topk"),
    ("segment_argmax", (np.zeros((1, 3, 4), np.float32),), {"layout": "NCWH"}, "layout"),
    ("segment_argmax", (np.zeros((3, 4), np.float32),), {}, "dimensions"),
    ("segment_argmax", (np.zeros((1, 0, 4, 4), np.float32),), {}, "class"),
    ("map_boxes", (np.zeros((2, 4), np.float32), {"scale_x": 1}), {}, "missing"),
    ("map_boxes", (np.zeros((2, 4), np.float32), {"scale_x": 0, "scale_y": 1, "pad_left": 0, "pad_top": 0, "src_width": 1, "src_height": 1}), {}, "scale"),
    ("map_boxes", (np.zeros((2, 3), np.float32), {"scale_x": 1, "scale_y": 1, "pad_left": 0, "pad_top": 0, "src_width": 1, "src_height": 1}), {}, "boxes"),
    ("postprocess", (np.zeros((1, 10), np.float32), {"op": "yolov9"}), {}, "op"),
    ("postprocess", (np.zeros((1, 10), np.float32), {"op": "classification", "topk": 5, "colour": 1}), {}, "unknown"),
    ("postprocess", (np.zeros((1, 84, 10), np.float32), {"op": "yolov8", "iou_threshold": -1}), {}, "iou_threshold"),
    ("postprocess", (np.zeros((1, 84, 10), np.float32), {"op": "yolov8", "class_agnostic": "yes"}), {}, "class_agnostic"),
    ("postprocess", (np.zeros((1, 84, 10), np.float32), "yolov8"), {}, "object"),
    ("postprocess", ([np.zeros((1, 10), np.float32)] * 2, {"op": "classification"}), {}, "one output"),
]


@pytest.mark.parametrize("impl", BOTH)
@pytest.mark.parametrize("name, args, kwargs, match", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_raises_value_error(impl, name, args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(impl, name)(*args, **kwargs)


def test_cpp_binding_validates_arrays():
    pp = __import__("pyalign._core", fromlist=["postprocess"]).postprocess
    good = np.zeros((1, 84, 10), np.float32)
    with pytest.raises(ValueError, match="float32"):
        pp.decode_yolov8([good.astype(np.float64)], 80, 0, [8, 16, 32], 0.25, 0, 0, 0, -1)
    with pytest.raises(ValueError, match="C-contiguous"):
        pp.decode_yolov8([good[:, :, ::2]], 80, 0, [8, 16, 32], 0.25, 0, 0, 0, -1)
    with pytest.raises(ValueError):
        pp.decode_yolov8([good], 80, 0, [8, 16, 32], 0.25, -1, 0, 0, -1)
    with pytest.raises(ValueError):
        pp.decode_yolov5([np.zeros((1, 255, 2, 2), np.float32)] * 3, 80, [[1, 1]] * 2, [8, 16, 32], False, 0.25, 0)
    with pytest.raises(ValueError):
        pp.detections(np.zeros((2, 4), np.float32), np.zeros(2, np.float32), np.zeros(3, np.int64), 0.5, False, -1, None)
    with pytest.raises(ValueError):
        pp.map_boxes(np.zeros((2, 4), np.float32), [1.0, 1.0])
    with pytest.raises(ValueError):
        pp.segment_argmax(np.zeros((3, 4), np.float32), "NCHW")


@pytest.mark.parametrize("impl", BOTH)
def test_grid_shapes(impl):
    assert impl.grid_shapes(8400, [8, 16, 32]) == [(80, 80), (40, 40), (20, 20)]
    assert impl.grid_shapes(6300, [8, 16, 32], (640, 480)) == [(60, 80), (30, 40), (15, 20)]
    assert impl.grid_shapes(80 * 80 + 40 * 40 + 20 * 20 + 10 * 10, [8, 16, 32, 64]) == [(80, 80), (40, 40), (20, 20), (10, 10)]
    assert impl.grid_shapes(2, [10**9], (10**9, 2 * 10**9 // 2 + 1)) == [(2, 1)]
    for bad in [(8401, [8, 16, 32], None), (8400, [8, 16, 32], (640, 320)), (10**18, [10**9], None),
                (1, [8], (2**31, 8))]:
        with pytest.raises(ValueError):
            impl.grid_shapes(*bad)


def test_dtypes_are_converted():
    out = worked_yolov8_output()
    spec = {"op": "yolov8", "num_classes": 2, "reg_max": 16}
    np.testing.assert_array_equal(C.postprocess(out.astype(np.float64), spec), C.postprocess(out, spec))
    np.testing.assert_array_equal(C.postprocess(np.asfortranarray(out), spec), R.postprocess(out, spec))

"""The accuracy the board loses: COCO mAP by pycocotools (checked against its own run), top-k, mIoU."""
from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

from pyalign.dataset import accuracy as acc
from pyalign.errors import PyalignError


def _detections(rng, n, jitter, drop=0.0, nc=5):
    """Reference detections of ``n`` images and a board's version (jittered boxes, scores, some dropped)."""
    pairs = []
    for _ in range(n):
        k = int(rng.integers(0, 9))
        xy = rng.uniform(0, 500, (k, 2))
        wh = rng.uniform(8, 120, (k, 2))
        ref = np.column_stack([xy, xy + wh, rng.uniform(0.25, 1, k), rng.integers(0, nc, k)]).astype(np.float32)
        act = ref.copy()
        act[:, :4] += rng.normal(0, jitter, (k, 4)).astype(np.float32)
        act[:, 4] = np.clip(act[:, 4] + rng.normal(0, 0.05, k), 0, 1)
        act = act[rng.random(k) >= drop]
        if k and rng.random() < 0.3:  # a false positive
            act = np.vstack([act, [[1, 1, 30, 30, 0.3, 1]]]).astype(np.float32)
        pairs.append((ref, act))
    return pairs


def _oracle(pairs):
    """pycocotools' own run, written here independently of pyalign.dataset.accuracy."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, anns, res, cats = [], [], [], set()
    for img_id, (ref, act) in enumerate(pairs, start=1):
        images.append({"id": img_id})
        for x1, y1, x2, y2, s, c in ref.tolist():
            anns.append({"id": len(anns) + 1, "image_id": img_id, "category_id": int(c), "iscrowd": 0,
                         "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1)})
            cats.add(int(c))
        for x1, y1, x2, y2, s, c in act.tolist():
            res.append({"image_id": img_id, "category_id": int(c), "bbox": [x1, y1, x2 - x1, y2 - y1], "score": s})
            cats.add(int(c))
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": anns, "categories": [{"id": c} for c in sorted(cats)]}
        gt.createIndex()
        ev = COCOeval(gt, gt.loadRes(res), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats[0], ev.stats[1]


@pytest.mark.parametrize("seed,jitter,drop", [(0, 0.0, 0.0), (1, 1.5, 0.1), (2, 6.0, 0.3), (3, 20.0, 0.5)])
def test_map_equals_pycocotools(seed, jitter, drop):
    pytest.importorskip("pycocotools")
    pairs = _detections(np.random.default_rng(seed), 40, jitter, drop)
    got = acc.detections_map([(r.tolist(), a.tolist()) for r, a in pairs])
    want = _oracle(pairs)
    assert abs(got["map50_95"] - want[0]) < 1e-6 and abs(got["map50"] - want[1]) < 1e-6
    if jitter == 0.0:
        assert got["map50_95"] > 0.99


def test_map_edge_cases():
    pytest.importorskip("pycocotools")
    box = [[10, 10, 50, 60, 0.9, 2]]
    assert acc.detections_map([(box, [])])["map50_95"] == 0.0  # the board found nothing
    assert acc.detections_map([([], box)]) == {"map50_95": None, "map50": None}  # nothing to find
    assert acc.detections_map([(box, box)])["map50"] == pytest.approx(1.0)


def test_map_against_annotations(tmp_path):
    pytest.importorskip("pycocotools")
    coco = {"images": [{"id": 7, "file_name": "val/000007.jpg", "width": 200, "height": 100},
                       {"id": 9, "file_name": "000009.jpg", "width": 200, "height": 100}],
            "categories": [{"id": 1, "name": "person"}, {"id": 3, "name": "car"}],
            "annotations": [{"id": 1, "image_id": 7, "category_id": 3, "bbox": [20, 10, 40, 20], "area": 800,
                             "iscrowd": 0},
                            {"id": 2, "image_id": 9, "category_id": 1, "bbox": [100, 50, 50, 40], "area": 2000,
                             "iscrowd": 0}]}
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(coco))
    ann = acc.CocoAnnotations(path)
    # frames are 100x50 (the spec's input): boxes scale by 2 to the annotated size; class 1 is category 3
    ref = [("000007", [[10, 5, 30, 15, 0.9, 1]], [100, 50]), ("000009", [[50, 25, 75, 45, 0.8, 0]], [100, 50])]
    act = [("000007", [[10, 5, 30, 15, 0.9, 1]], [100, 50]), ("000009", [], [100, 50])]
    out = acc.annotations_map(ann, ref, act)
    assert out["reference_map50_95"] == pytest.approx(1.0) and out["annotated_cases"] == 2
    assert out["actual_map50_95"] == pytest.approx(0.5) and out["delta_map50_95"] == pytest.approx(-0.5)
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(PyalignError, match="not a COCO annotation file"):
        acc.CocoAnnotations(tmp_path / "bad.json")


def test_missing_pycocotools_is_a_clear_error(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_coco(name, *a, **k):
        if name.startswith("pycocotools"):
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_coco)
    with pytest.raises(PyalignError, match=r"needs pycocotools: pip install 'pyalign\[coco\]'"):
        acc.detections_map([([[0, 0, 1, 1, 1, 0]], [])])


def test_classification_agreement_and_accuracy():
    pairs = [([3, 1, 2, 0, 4], [3, 2, 1, 0, 4]), ([5, 6, 7, 8, 9], [6, 5, 7, 8, 9]), ([1, 2, 3, 4, 5], [9, 8, 7, 6, 0])]
    out = acc.classification_agreement(pairs)
    assert out["top1_agreement"] == pytest.approx(1 / 3) and out["top5_agreement"] == pytest.approx(2 / 3)
    out = acc.classification_agreement(pairs, labels=[3, 6, None])
    assert out["labelled_cases"] == 2
    assert out["reference_top1_accuracy"] == 0.5 and out["actual_top1_accuracy"] == 1.0
    assert out["delta_top1_accuracy"] == 0.5 and out["reference_top5_accuracy"] == 1.0


def test_segmentation_miou():
    cases = [{"classes": [0, 1], "intersection": [90, 5], "union": [100, 10]},
             {"classes": [1, 2], "intersection": [5, 0], "union": [10, 4]}]
    out = acc.segmentation_miou(cases)
    assert out["classes"] == 3 and out["miou"] == pytest.approx((0.9 + 0.5 + 0.0) / 3)


def test_labels_files(tmp_path):
    (tmp_path / "l.json").write_text('{"a": 3, "b": 5}')
    (tmp_path / "l.txt").write_text("# name class\na 3\nb,5\n\n")
    assert acc.load_labels(tmp_path / "l.json") == acc.load_labels(tmp_path / "l.txt") == {"a": 3, "b": 5}
    (tmp_path / "bad.txt").write_text("a three\n")
    with pytest.raises(PyalignError, match="line 1: expected 'name class'"):
        acc.load_labels(tmp_path / "bad.txt")

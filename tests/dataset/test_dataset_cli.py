"""compare / verify on datasets: jobs and shards give the verdicts of one process, summaries merge, mAP is COCO's."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from tests.dataset.conftest import pyalign


def _verdicts(doc):
    return [(c["name"], c["aligned"], [(t["stage"], t["name"], t["status"], t["metrics"] and t["metrics"]["max_abs_diff"])
                                       for t in c["tensors"]]) for c in doc["cases"]]


def test_jobs_give_the_same_results_in_name_order(dataset):
    ref, board, _ = dataset
    one = pyalign("compare", ref, board, "--json", "-j", "1")
    two = pyalign("compare", ref, board, "--json", "-j", "2")
    assert one.returncode == two.returncode == 1, one.stderr + two.stderr
    d1, d2 = json.loads(one.stdout), json.loads(two.stdout)
    assert _verdicts(d1) == _verdicts(d2)
    assert d1["summary"] == d2["summary"]
    names = [c["name"] for c in d1["cases"]]
    assert names == sorted(names) and len(names) == 24 and "sub/img_000" in names
    case = d1["cases"][0]
    assert case["reference"] == str(ref / case["name"]) and case["actual"] == str(board / case["name"])
    t1 = pyalign("compare", ref, board, "-j", "1", "--no-color").stdout
    t2 = pyalign("compare", ref, board, "-j", "2", "--no-color").stdout
    assert t1 == t2 and "MISALIGNED: " in t1 and "channel order: 8 of 24 cases" in t1


def test_summary_keys(dataset):
    ref, board, dets = dataset
    doc = json.loads(pyalign("compare", ref, board, "--json", "--no-diagnose").stdout)
    s = doc["summary"]
    assert s["cases"] == 24 and s["only_in_reference"] == [] and s["only_in_actual"] == []
    assert s["aligned"] == sum(c["aligned"] for c in doc["cases"])
    pre = s["stages"]["preprocessed"]
    assert pre["cases"] == 24 and pre["pass_rate"] == pytest.approx(16 / 24)
    assert set(pre["max_diff_percentiles"]) == {"p50", "p90", "p99", "max"}
    assert pre["max_diff_percentiles"]["p50"] == 0.0 and pre["max_diff_percentiles"]["max"] > 0.1
    assert len(pre["worst"]) == 8 and all(not w["passed"] for w in pre["worst"])
    assert {"map50_95", "map50"} <= set(s["accuracy"]["detections"])
    assert s["diagnosis_counts"] == {}  # --no-diagnose


def test_summary_map_equals_pycocotools_on_the_same_detections(dataset):
    pytest.importorskip("pycocotools")
    from tests.dataset.test_accuracy import _oracle

    ref, board, dets = dataset
    doc = json.loads(pyalign("compare", ref, board, "--json", "--no-diagnose").stdout)
    want = _oracle([dets[name] for name in sorted(dets)])
    got = doc["summary"]["accuracy"]["detections"]
    assert abs(got["map50_95"] - want[0]) < 1e-6 and abs(got["map50"] - want[1]) < 1e-6
    assert got["map50_95"] < 1.0


def test_shards_partition_and_merge_to_the_unsharded_summary(dataset, tmp_path):
    ref, board, _ = dataset
    full = pyalign("compare", ref, board, "--json", "-j", "1")
    (tmp_path / "full.json").write_text(full.stdout)
    files, names = [], []
    for k in (1, 2, 3):
        p = pyalign("compare", ref, board, "--json", "--shard", f"{k}/3", "-j", "2")
        assert p.returncode in (0, 1), p.stderr
        files.append(tmp_path / f"s{k}.json")
        files[-1].write_text(p.stdout)
        names += [c["name"] for c in json.loads(p.stdout)["cases"]]
    assert sorted(names) == sorted(c["name"] for c in json.loads(full.stdout)["cases"])  # each name once
    merged = pyalign("summary", *files, "--json")
    assert merged.returncode == 1, merged.stderr
    assert json.loads(merged.stdout)["summary"] == json.loads(full.stdout)["summary"]
    again = pyalign("summary", tmp_path / "full.json", "--json")
    assert json.loads(again.stdout)["summary"] == json.loads(full.stdout)["summary"]
    text = pyalign("summary", *files)
    assert "dataset: 24 paired case(s)" in text.stdout and "channel order: 8 of 24 cases" in text.stdout
    dup = pyalign("summary", files[0], files[0])
    assert dup.returncode == 2 and dup.stderr.startswith("error: ") and "also in" in dup.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    p = pyalign("summary", bad)
    assert p.returncode == 2 and p.stderr.startswith(f"error: {bad}: not JSON")


def test_unpaired_cases(dataset, tmp_path):
    ref, board, _ = dataset
    act = tmp_path / "board"
    shutil.copytree(board, act)
    shutil.rmtree(act / "img_001")
    (act / "extra").mkdir()
    np.zeros(4, np.float32).tofile(act / "extra" / "preprocessed.bin")
    p = pyalign("compare", ref, act, "--json", "--no-diagnose")
    s = json.loads(p.stdout)["summary"]
    assert p.returncode == 1
    assert (s["cases"], s["only_in_reference"], s["only_in_actual"]) == (23, ["img_001"], ["extra"])
    p = pyalign("compare", ref, act, "--no-diagnose", "--stage", "postprocessed", "--atol", "postprocessed=1e9")
    assert "UNPAIRED: img_001: only in the reference" in p.stdout and p.returncode == 1
    # every other case passes such a loose rule except the dropped detections: allow-unpaired changes only the pairing
    q = pyalign("compare", ref, act, "--no-diagnose", "--stage", "preprocessed", "--cosine", "preprocessed=0",
                "--allow-unpaired")
    assert q.returncode == 0, q.stdout[-2000:] + q.stderr
    assert "note: extra: only in the actual" in q.stdout


def test_one_case_json_unchanged_but_the_summary(dataset):
    ref, board, _ = dataset
    doc = json.loads(pyalign("compare", ref / "img_001", board / "img_001", "--json").stdout)
    assert doc["schema"] == "pyalign.compare" and doc["case"] == "img_001"
    assert {"tensors", "passed", "failed", "not_compared"} <= set(doc["summary"])
    assert doc["summary"]["cases"] == 1 and "stages" in doc["summary"] and doc["summary"]["record"]["name"] == "img_001"
    assert set(doc) == {"schema", "version", "aligned", "case", "reference", "actual", "summary", "tensors"}


def test_usage_errors(dataset):
    ref, board, _ = dataset
    for args, msg in ((("--shard", "4/3"), "--shard 4/3: expected K/N"), (("-j", "-1"), "--jobs")):
        p = pyalign("compare", ref, board, *args)
        assert p.returncode == 2 and p.stderr.startswith("error: ") and msg in p.stderr, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1
    p = pyalign("compare", ref, board, "--annotations", ref / "nope.json")
    assert p.returncode == 2 and p.stderr.startswith(f"error: {ref / 'nope.json'}: cannot read")


def test_annotations_and_html(dataset, tmp_path):
    pytest.importorskip("pycocotools")
    ref, board, dets = dataset
    images, anns = [], []
    for i, name in enumerate(sorted(dets), start=1):  # the ground truth: the reference's own boxes
        images.append({"id": i, "file_name": f"{name.split('/')[-1]}.jpg", "width": 300, "height": 300})
        for x1, y1, x2, y2, _, c in dets[name][0].tolist():
            anns.append({"id": len(anns) + 1, "image_id": i, "category_id": 10 + int(c), "iscrowd": 0,
                         "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1)})
    coco = tmp_path / "instances.json"
    coco.write_text(json.dumps({"images": images, "annotations": anns,
                                "categories": [{"id": 10 + c} for c in range(4)]}))
    p = pyalign("compare", ref, board, "--json", "--annotations", coco, "--html", tmp_path / "r" / "report.html")
    d = json.loads(p.stdout)["summary"]["accuracy"]["detections"]
    assert d["reference_map50_95"] == pytest.approx(1.0) and d["annotated_cases"] == 24
    assert d["actual_map50_95"] < 1.0 and d["delta_map50_95"] == pytest.approx(d["actual_map50_95"] - 1.0)
    html = (tmp_path / "r" / "report.html").read_text()
    assert html.index("Dataset summary") < html.index("<h2>Cases</h2>") < html.index("Details of")
    assert "Worst cases: preprocessed" in html and 'href="#case-' in html and "channel order" in html
    assert "vs annotations" in html
    text = pyalign("summary", tmp_path / "nope.json")
    assert text.returncode == 2

"""verify on many cases: jobs, shards, the reference on the fly (--images), slim captures, flat memory."""
from __future__ import annotations

import json
import resource

import numpy as np
import pytest

from pyalign.capture import capture_image
from pyalign.demo import misaligned_variant, synthetic_model_output
from pyalign.spec.bundled import bundled_spec
from pyalign.synthetic import synthetic_image
from tests.dataset.conftest import pyalign


def _capture(root, spec_name, n, stages=None, size=(48, 64)):
    spec = bundled_spec(spec_name)
    for i in range(n):
        capture_image(synthetic_image(*size, seed=i), spec, root / f"c{i:02d}",
                      model_output=synthetic_model_output(spec, seed=i), stages=stages)
    return spec


@pytest.fixture(scope="module")
def captures(tmp_path_factory):
    root = tmp_path_factory.mktemp("verify")
    spec = _capture(root / "full", "bgr_yolov8", 6)
    _capture(root / "slim", "bgr_yolov8", 6, stages="raw_input,model_output")
    (root / "bad.json").write_text(json.dumps(misaligned_variant(spec)))
    return root


def test_capture_stages_stores_only_those(captures):
    from pyalign.store import read_case

    slim = read_case(captures / "slim" / "c00")
    full = read_case(captures / "full" / "c00")
    assert slim.stages() == ["raw_input", "model_output"] and len(full.stages()) == 4
    assert np.array_equal(slim.array("raw_input"), full.array("raw_input"))
    p = pyalign("capture", "x.png", "--spec", "s.json", "-o", "o", "--stages", "raw_input,nope")
    assert p.returncode == 2 and "--stages 'nope': unknown stage" in p.stderr


def test_verify_jobs_and_shards_match_one_process(captures, tmp_path):
    bad = captures / "bad.json"
    one = json.loads(pyalign("verify", captures / "full", "--spec", bad, "--json", "-j", "1").stdout)
    two = json.loads(pyalign("verify", captures / "full", "--spec", bad, "--json", "-j", "2").stdout)
    key = lambda d: [(c["name"], c["aligned"], c["result"]["tensors"]) for c in d["cases"]]  # noqa: E731
    assert key(one) == key(two) and one["summary"] == two["summary"]
    assert one["summary"]["diagnosis_counts"] == {"channel order": 6}
    assert [c["name"] for c in one["cases"]] == [f"c{i:02d}" for i in range(6)]
    parts = []
    for k in (1, 2):
        p = pyalign("verify", captures / "full", "--spec", bad, "--json", "--shard", f"{k}/2")
        (tmp_path / f"{k}.json").write_text(p.stdout)
        parts += json.loads(p.stdout)["cases"]
    assert sorted(c["name"] for c in parts) == [c["name"] for c in one["cases"]]
    merged = json.loads(pyalign("summary", tmp_path / "1.json", tmp_path / "2.json", "--json").stdout)
    assert merged["summary"] == one["summary"]


def test_verify_images_on_the_fly(captures, tmp_path):
    # the board's output: what the C++ core writes for the full captures
    assert pyalign("verify", captures / "full", "--out", tmp_path / "board", "-j", "2").returncode == 0
    p = pyalign("verify", "--images", captures / "slim", "--board-out", tmp_path / "board", "--json")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr
    doc = json.loads(p.stdout)
    assert doc["summary"]["cases"] == 6 and doc["summary"]["aligned"] == 6
    assert set(doc["summary"]["stages"]) == {"preprocessed", "postprocessed"}
    assert doc["summary"]["accuracy"]["detections"]["cases"] == 6
    # a board that feeds BGR where RGB was trained is caught and diagnosed as with stored tensors
    pyalign("verify", captures / "full", "--spec", captures / "bad.json", "--out", tmp_path / "bgr_board")
    p = pyalign("verify", "--images", captures / "slim", "--board-out", tmp_path / "bgr_board", "--json", "-j", "2")
    assert p.returncode == 1 and json.loads(p.stdout)["summary"]["diagnosis_counts"] == {"channel order": 6}
    # no board: pyalign's C++ core on the same raw input
    p = pyalign("verify", "--images", captures / "slim")
    assert p.returncode == 0 and "6 of 6 case(s) aligned" in p.stdout
    # a board output missing: only in the reference
    (tmp_path / "board" / "c03" / "manifest.json").unlink()
    for f in (tmp_path / "board" / "c03").iterdir():
        f.unlink()
    p = pyalign("verify", "--images", captures / "slim", "--board-out", tmp_path / "board")
    assert p.returncode == 1 and "UNPAIRED: c03: only in the reference" in p.stdout
    assert pyalign("verify", "--images", captures / "slim", "--board-out", tmp_path / "board",
                   "--allow-unpaired").returncode == 0


def test_verify_images_from_image_files(tmp_path):
    import cv2

    spec = bundled_spec("bgr_classification")
    (tmp_path / "imgs").mkdir()
    for i in range(3):
        cv2.imwrite(str(tmp_path / "imgs" / f"im{i}.png"), synthetic_image(40, 52, seed=i))
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    p = pyalign("verify", "--images", tmp_path / "imgs", "--spec", tmp_path / "spec.json", "--json", "-j", "1")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert [c["name"] for c in doc["cases"]] == ["im0", "im1", "im2"]
    assert doc["cases"][0]["notes"][0].startswith("postprocessed not verified: no model output")
    p = pyalign("verify", "--images", tmp_path / "imgs")
    assert p.returncode == 2 and "--images needs --spec" in p.stderr
    p = pyalign("verify", "--board-out", tmp_path)
    assert p.returncode == 2 and p.stderr.startswith("error: ")


def test_python_api(captures, tmp_path):
    from pyalign.dataset import verify_dataset, verify_images

    seen = []
    r = verify_images([captures / "slim"], jobs=1, on_case=lambda o: seen.append(o["name"]))
    assert r.aligned and r.summary["cases"] == 6 and seen == sorted(seen)
    r2 = verify_dataset([captures / "full"], captures / "bad.json", jobs=2, shard="1/1")
    assert not r2.aligned and r2.summary["diagnosis_counts"] == {"channel order": 6}


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/status"), reason="needs /proc")
def test_memory_stays_flat(tmp_path):
    """Many tiny cases in this process: the memory after 300 cases is that after 60 (records only)."""
    from pyalign.dataset import verify_images

    spec = bundled_spec("gray_segmentation").to_dict()
    spec["input"] = {"format": "GRAY", "width": 32, "height": 24}
    spec["preprocess"] = [{"op": "resize", "size": [16, 12]}, {"op": "layout", "to": "NCHW"}]
    spec.pop("postprocess")
    (tmp_path / "imgs").mkdir()
    img = synthetic_image(24, 32).astype(np.uint8)
    import cv2

    for i in range(300):
        cv2.imwrite(str(tmp_path / "imgs" / f"{i:04d}.png"), np.roll(img, i, axis=1))
    verify_images([tmp_path / "imgs"], spec, jobs=1, shard="1/5")  # warm up: imports, caches
    before = _rss_kib()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = verify_images([tmp_path / "imgs"], spec, jobs=1)
    growth = (_rss_kib() - before) / 1024
    assert r.aligned and r.summary["cases"] == 300
    assert growth < 20, f"RSS grew by {growth:.1f} MiB over 300 cases"
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024 < 40


def test_classification_and_segmentation_accuracy(tmp_path):
    for name in ("bgr_classification", "gray_segmentation"):
        _capture(tmp_path / "set" / name, name, 2)
    (tmp_path / "labels.txt").write_text("".join(f"{k}/c{i:02d} 3\n" for k in ("bgr_classification",) for i in range(2)))
    p = pyalign("verify", tmp_path / "set", "--json", "--labels", tmp_path / "labels.txt")
    assert p.returncode == 0, p.stderr
    acc = json.loads(p.stdout)["summary"]["accuracy"]
    assert acc["classification"]["cases"] == 2 and acc["classification"]["top1_agreement"] == 1.0
    assert acc["classification"]["labelled_cases"] == 2 and acc["classification"]["delta_top1_accuracy"] == 0.0
    assert acc["segmentation"]["cases"] == 2 and acc["segmentation"]["miou"] == 1.0
    assert "detections" not in acc

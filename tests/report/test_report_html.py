"""The HTML report: self-contained (data-URI PNGs, inline SVG/CSS, no script), every tensor shown,
pictures for image-like tensors and detections, and a render check in headless Chromium."""
from __future__ import annotations

import base64
import re
import shutil
import subprocess
import types

import cv2
import numpy as np
import pytest

from pyalign.errors import PyalignError
from pyalign.report.html import render_html, write_html
from pyalign.store import write_case
from pyalign.synthetic import synthetic_image

SPEC = {"input": {"format": "BGR", "width": 96, "height": 64},
        "preprocess": [{"op": "resize", "size": [48, 32], "interpolation": "linear"},
                       {"op": "swap_rb"},
                       {"op": "normalize", "mean": [0, 0, 0], "std": [255, 255, 255]},
                       {"op": "layout", "to": "NCHW"}],
        "postprocess": {"op": "yolov8", "num_classes": 80}}


def preprocess(raw, swap=True):
    x = cv2.resize(raw, (48, 32), interpolation=cv2.INTER_LINEAR)
    x = x[..., ::-1] if swap else x
    return np.ascontiguousarray((x.astype(np.float32) / np.float32(255)).transpose(2, 0, 1)[None])


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A real comparison (pyalign.compare) of two capture sets that differ in three ways."""
    from pyalign.compare.comparator import compare

    root = tmp_path_factory.mktemp("report")
    raw = synthetic_image(64, 96, seed=4)
    exp, act = preprocess(raw), preprocess(raw, swap=False)   # the board forgot swap_rb
    rng = np.random.default_rng(0)
    out = rng.normal(size=(1, 84, 50)).astype(np.float32)
    dets = np.array([[5, 6, 40, 50, 0.9, 2], [50, 10, 90, 60, 0.6, 7]], np.float32)
    adets = dets[:, [1, 0, 3, 2, 4, 5]].copy()                 # x and y swapped
    ref = write_case(root / "ref", [("raw_input", "image", raw, {"layout": "HWC", "color": "BGR"}),
                                    ("preprocessed", "images", exp, {"layout": "NCHW", "color": "RGB"}),
                                    ("model_output", "output0", out),
                                    ("postprocessed", "detections", dets, {"kind": "detections"})], spec=SPEC)
    actual = write_case(root / "act", [("raw_input", "image", raw, {"layout": "HWC", "color": "BGR"}),
                                       ("preprocessed", "images", act, {"layout": "NCHW", "color": "RGB"}),
                                       ("model_output", "output0", out * 2),
                                       ("postprocessed", "detections", adets, {"kind": "detections"})], spec=SPEC)
    result = compare(ref.dir, actual.dir, atol={"model_output": 1e-4})
    path = write_html(result, root / "report.html")
    return path, path.read_text(encoding="utf-8"), result


def test_self_contained(report):
    _, text, _ = report
    assert text.startswith("<!DOCTYPE html>")
    assert "<script" not in text.lower() and "<link" not in text.lower()
    # no external URL anywhere except the SVG namespace identifier
    urls = set(re.findall(r"https?://[^\s\"'<>]+", text))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls
    srcs = re.findall(r'<img src="([^"]+)"', text)
    assert len(srcs) >= 8
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        img = cv2.imdecode(np.frombuffer(base64.b64decode(src.split(",", 1)[1]), np.uint8), cv2.IMREAD_UNCHANGED)
        assert img is not None and img.size > 0


def test_every_tensor_verdict_metrics_and_diagnosis(report):
    _, text, result = report
    for t in result.tensors:
        assert f"{t.stage}/{t.name}" in text
    assert [t.status for t in result.tensors] == ["pass", "fail", "fail", "fail"]
    assert text.count('class="badge fail"') >= 7     # three failing tensors twice + the verdict
    assert "MISALIGNED" in text and "max_abs_diff" in text and "First violations" in text
    assert "channel order: the actual is BGR" in text          # diagnosis of the swapped tensor
    assert "x and y swapped" in text                            # diagnosis of the detections
    assert "constant scale: actual = 2 x expected" in text      # model output


def test_pictures_per_kind(report):
    _, text, _ = report
    sections = re.split(r'<h2 id="t\d+">', text)[1:]
    raw_s, pre_s, out_s, det_s = sections
    assert "identical: |diff| is 0 everywhere" in raw_s
    assert pre_s.count("heatmap") == 3 and "colour scale" in pre_s and "<svg" in pre_s
    assert "channel R: max |diff|" in pre_s and "Expected and actual" in pre_s
    assert "heatmap" not in out_s and "<svg" in out_s
    assert "Detections over the raw input" in det_s and "expected (2)" in det_s and "actual (2)" in det_s
    assert "detections: 2 expected, 2 actual" in det_s         # the comparator's matching summary


def test_heatmap_shows_where_it_differs(tmp_path):
    exp = np.zeros((1, 1, 40, 40), np.float32)
    act = exp.copy()
    act[0, 0, 10:20, 5:15] = 1.0
    res = types.SimpleNamespace(aligned=False, reference_dir=None, actual_dir=None, tensors=[
        types.SimpleNamespace(stage="preprocessed", name="x", passed=False, status="fail", rule="exact",
                              layout="NCHW", kind=None, metrics={}, diagnosis=[], expected=exp, actual=act)])
    text = render_html(res)
    src = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="heatmap', text).group(1)
    heat = cv2.imdecode(np.frombuffer(base64.b64decode(src), np.uint8), cv2.IMREAD_COLOR)
    hot = heat.astype(int).sum(2)
    assert hot[10:20, 5:15].min() > hot[25:, 25:].max()


def test_cli_compare_writes_html(report, tmp_path):
    from click.testing import CliRunner

    from pyalign.cli import main

    _, _, result = report
    out = tmp_path / "cli.html"
    run = CliRunner().invoke(main, ["compare", str(result.reference_dir), str(result.actual_dir),
                                    "--html", str(out)])
    assert run.exit_code == 1, run.output
    text = out.read_text(encoding="utf-8")
    assert "preprocessed/images" in text and "swapping B and R" in text


def test_missing_directory_is_an_error(tmp_path, report):
    _, _, result = report
    with pytest.raises(PyalignError, match="directory does not exist"):
        write_html(result, tmp_path / "nope" / "r.html")


def test_tolerates_missing_data():
    res = types.SimpleNamespace(aligned=False, reference_dir="/nonexistent", actual_dir=None, tensors=[
        types.SimpleNamespace(stage="preprocessed", name="images", passed=False, status="missing",
                              rule="exact", metrics=None, diagnosis=None)])
    text = render_html(res)
    assert "preprocessed/images" in text and "MISSING" in text


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="headless chromium is not installed")
def test_renders_in_headless_chromium(report, tmp_path):
    path, _, result = report
    shot = tmp_path / "shot.png"
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run(flags + ["--window-size=1200,1800", f"--screenshot={shot}", path.as_uri()],
                   check=True, capture_output=True, timeout=120)
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[0] >= 1000
    assert float(img.std()) > 10.0, "the screenshot is blank"
    # the pictures rendered: many distinct colours
    assert len(np.unique(img.reshape(-1, 3)[::7], axis=0)) > 500
    dom = subprocess.run(flags + ["--dump-dom", path.as_uri()], check=True, capture_output=True,
                         timeout=120, text=True).stdout
    for t in result.tensors:
        assert f"{t.stage}/{t.name}" in dom
    assert "MISALIGNED" in dom


def test_odd_tensors_render():
    rng = np.random.default_rng(3)
    shapes = [(), (0,), (5,), (1, 3, 8, 8), (1, 8, 8, 3), (8, 8, 3), (3, 8, 8), (2, 6), (0, 6), (12, 8), (8, 8, 2)]
    tensors = []
    for i in range(60):
        se = shapes[rng.integers(len(shapes))]
        sa = se if rng.random() < 0.6 else shapes[rng.integers(len(shapes))]
        e = (rng.normal(size=se) * 50).astype([np.uint8, np.float32, np.int32][i % 3])
        a = (rng.normal(size=sa) * 50).astype([np.float32, np.uint8, np.float64][i % 3])
        if e.dtype.kind == "f" and e.size:
            e.flat[0] = np.nan
        tensors.append(types.SimpleNamespace(
            stage=["raw_input", "preprocessed", "postprocessed"][i % 3], name=f"t{i}", passed=False,
            status="fail", rule="exact", layout=[None, "NCHW", "NHWC", "HWC", "CHW", "HW"][i % 6],
            kind=[None, "detections", "mask", "image"][i % 4], metrics={"x": float("nan")},
            diagnosis=["a<b>"], expected=e, actual=a))
    text = render_html(types.SimpleNamespace(aligned=False, reference_dir=None, actual_dir=None, tensors=tensors))
    assert all(f"/t{i}" in text for i in range(60)) and "a&lt;b&gt;" in text and "a<b>" not in text


def test_several_cases_in_one_page(report, tmp_path):
    from pyalign.compare.comparator import compare

    _, _, result = report
    same = compare(result.reference_dir, result.reference_dir)
    text = write_html([result, same], tmp_path / "all.html").read_text(encoding="utf-8")
    assert text.count("<h1 style") == 2 and "MISALIGNED" in text
    assert text.count('href="#t') == len(result.tensors) + len(same.tensors)


def test_unmatched_detections_listed(tmp_path):
    from pyalign.compare.comparator import compare

    dets = np.array([[5, 6, 40, 50, 0.9, 2], [50, 10, 90, 60, 0.6, 7]], np.float32)
    ref = write_case(tmp_path / "ref", [("postprocessed", "detections", dets, {"kind": "detections"})])
    act = write_case(tmp_path / "act", [("postprocessed", "detections", dets[:1].copy(), {"kind": "detections"})])
    text = render_html(compare(ref.dir, act.dir))
    assert "missing (expected only)" in text and "without a match" in text
    assert "Detections over the raw input" in text and "blank canvas" in text


def test_actual_in_another_layout_is_shown_in_its_own(report, tmp_path):
    from pyalign.compare.comparator import compare
    from pyalign.store import read_case

    _, _, result = report
    ref = read_case(result.reference_dir)
    exp = ref.array("preprocessed")
    act = write_case(tmp_path / "nhwc", [("preprocessed", "images", np.ascontiguousarray(exp.transpose(0, 2, 3, 1)),
                                          {"layout": "NHWC", "color": "RGB"})])
    res = compare(ref.dir, act.dir, stages=["preprocessed"])
    assert res.tensors[0].status == "shape_mismatch" and res.tensors[0].diagnosis[0].name == "layout"
    text = render_html(res)
    assert "SHAPE_MISMATCH" in text and 'alt="actual"' in text
    assert "identical: |diff| is 0 everywhere" in text     # same picture once each is read in its layout

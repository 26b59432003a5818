"""Regression tests for problems found by using pyalign as a deployment engineer would.

Each test names the misuse it guards: the CLI must answer with one ``error:`` line and exit 2
(never a traceback), the Python API with a clear ValueError / PyalignError.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import numpy as np
import pytest

import pyalign
from pyalign.cli import _Group
from pyalign.report.html import render_html, write_html
from pyalign.store import CaseWriter

SPEC = {
    "input": {"format": "BGR", "width": 32, "height": 24},
    "preprocess": [{"op": "resize", "size": [16, 16], "interpolation": "linear"},
                   {"op": "normalize", "mean": [0.0], "std": [255.0]},
                   {"op": "layout", "to": "NCHW"}],
    "postprocess": {"op": "classification", "topk": 3, "softmax": True},
}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pyalign", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def one_error_line(p: subprocess.CompletedProcess) -> str:
    """The single ``error:`` line of a failed command (asserts exit 2 and no traceback)."""
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), p.stderr
    return lines[0]


@pytest.fixture(scope="module")
def capture_inputs(tmp_path_factory):
    import cv2

    from pyalign.synthetic import synthetic_image

    d = tmp_path_factory.mktemp("acc")
    cv2.imwrite(str(d / "img.png"), synthetic_image(24, 32, seed=1))
    (d / "spec.json").write_text(json.dumps(SPEC))
    np.zeros((1, 10), np.float32).tofile(d / "out.bin")
    (d / "garbage.npy").write_text("garbage\n")
    (d / "garbage.npz").write_text("garbage\n")
    return d


# --- pyalign capture --output-dtype: a bad dtype was a TypeError traceback -------------------------

@pytest.mark.parametrize("dtype, what", [("float99", "not a numpy dtype"), ("object", "numeric")])
def test_capture_bad_output_dtype_is_one_error_line(capture_inputs, dtype, what):
    d = capture_inputs
    p = run("capture", "img.png", "--spec", "spec.json", "-o", "out", "--model-output", "out.bin",
            "--output-shape", "1,10", "--output-dtype", dtype, cwd=d)
    line = one_error_line(p)
    assert f"--output-dtype {dtype!r}" in line and what in line
    assert not (d / "out").exists()


def test_capture_good_output_dtype_still_works(capture_inputs):
    d = capture_inputs
    p = run("capture", "img.png", "--spec", "spec.json", "-o", "good", "--model-output", "out.bin",
            "--output-shape", "1,10", "--output-dtype", "float32", cwd=d)
    assert p.returncode == 0, p.stderr
    got = np.fromfile(d / "good" / "img" / "postprocessed.bin", np.float32).reshape(-1, 2)
    assert got.shape == (3, 2)
    np.testing.assert_allclose(got[:, 1], np.full(3, 0.1, np.float32), rtol=1e-6)  # softmax of 10 zeros


def test_load_model_output_dtype_is_validated_in_python(capture_inputs):
    from pyalign.capture import load_model_output

    with pytest.raises(pyalign.errors.CaptureError, match="not a numpy dtype"):
        load_model_output(capture_inputs / "out.bin", [1, 10], "float99")
    with pytest.raises(pyalign.errors.CaptureError, match="numeric"):
        load_model_output(capture_inputs / "out.bin", [1, 10], "U3")
    out = load_model_output(capture_inputs / "out.bin", [1, 10], "float32")
    assert out["output0"].shape == (1, 10) and out["output0"].dtype == np.float32


# --- a non-numpy file given as .npy/.npz model output was called "pickled (object) data" -----------

@pytest.mark.parametrize("name, what", [("garbage.npy", "not a .npy file"), ("garbage.npz", "not an .npz archive")])
def test_capture_garbage_model_output_file(capture_inputs, name, what):
    p = run("capture", "img.png", "--spec", "spec.json", "-o", "o2", "--model-output", name, cwd=capture_inputs)
    line = one_error_line(p)
    assert line == f"error: {name}: {what}" + (" (a zip file)" if name.endswith("npz") else "")
    assert "pickle" not in line


# --- the CLI: an unexpected exception is still one line (traceback only with --debug) --------------

def _group_raising(exc: Exception) -> click.Group:
    @click.group(cls=_Group)
    @click.option("--debug", is_flag=True)
    def grp(debug: bool) -> None:
        pass

    @grp.command("boom")
    def boom() -> None:
        raise exc

    return grp


def test_cli_unexpected_exception_is_one_line(capsys):
    with pytest.raises(SystemExit) as e:
        _group_raising(TypeError("data type 'x' not understood"))(["boom"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines() == ["error: internal error (TypeError: data type 'x' not understood); "
                                "run 'pyalign --debug ...' for the traceback"]


def test_cli_unexpected_exception_with_debug_raises():
    with pytest.raises(KeyError):
        _group_raising(KeyError("k"))(["--debug", "boom"])


# --- Python API misuse of compare / write_html ----------------------------------------------------

@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    root = tmp_path_factory.mktemp("cmp")
    pre = np.random.default_rng(2).random((1, 3, 4, 4)).astype(np.float32)
    det = np.array([[1, 2, 30, 40, 0.9, 3], [5, 5, 9, 9, 0.5, 1]], np.float32)
    for name, d in (("ref", det), ("act", det + np.array([0, 0, 0, 0, 0, 1], np.float32))):
        w = CaseWriter(root / name)
        w.add("preprocessed", "images", pre, layout="NCHW")
        w.add("postprocessed", "detections", d, kind="detections")
        w.commit()
    return root / "ref", root / "act"


@pytest.mark.parametrize("bad", [None, 5, 1.5, ["a"]])
def test_compare_rejects_non_paths(cases, bad):
    ref, act = cases
    with pytest.raises(ValueError, match="reference must be a path or a Case"):
        pyalign.compare(bad, act)
    with pytest.raises(ValueError, match="actual must be a path or a Case"):
        pyalign.compare(ref, bad)


def test_compare_single_stage_as_string(cases):
    ref, act = cases
    r = pyalign.compare(ref, act, stages="preprocessed")
    assert [(t.stage, t.name) for t in r.tensors] == [("preprocessed", "images")]
    assert r.aligned
    r = pyalign.compare(ref, act, stages="postprocessed", diagnose=False)
    assert [t.stage for t in r.tensors] == ["postprocessed"] and not r.aligned


@pytest.mark.parametrize("bad", ["a", 1.5, True, None])
def test_compare_max_violations_type(cases, bad):
    ref, act = cases
    with pytest.raises(ValueError, match="max_violations must be an integer"):
        pyalign.compare(ref, act, max_violations=bad)


@pytest.mark.parametrize("bad", ["x", 3, None, ["x"]])
def test_write_html_rejects_non_results(tmp_path, bad):
    with pytest.raises(ValueError, match="expected a ComparisonResult"):
        write_html(bad, tmp_path / "r.html")
    with pytest.raises(ValueError, match="expected a ComparisonResult"):
        render_html(bad)
    assert not (tmp_path / "r.html").exists()


# --- the text report printed unmatched boxes as a list of quoted strings --------------------------

def test_text_report_unmatched_boxes_are_numbers(cases):
    ref, act = cases
    text = pyalign.compare(ref, act, diagnose=False).to_text()
    assert "missing: expected #0 class 3 score 0.9 box [1, 2, 30, 40]" in text, text
    assert "unexpected: actual #1 class 2 score 0.5 box [5, 5, 9, 9]" in text, text
    assert "'" not in "".join(ln for ln in text.splitlines() if " box " in ln)


# --- pyalign capture wrote a stray "capturing" progress line to stderr when it is not a terminal ---

def test_capture_no_progress_line_off_terminal(capture_inputs):
    d = capture_inputs
    (d / "bad.png").write_text("not an image")
    p = run("capture", "img.png", "bad.png", "--spec", "spec.json", "-o", "o3", cwd=d)
    assert p.returncode == 1, p.stderr
    assert p.stderr.splitlines() == ["error: bad.png: not an image OpenCV can read"]
    assert p.stdout.splitlines() == ["captured 1 of 2 image(s) into o3"]


# --- the HTML metrics table showed min_atol_to_pass 4.94066e-324 for identical tensors -------------

def test_html_min_atol_readable_when_identical(cases, tmp_path):
    ref, act = cases
    html = render_html(pyalign.compare(ref, act, stages="preprocessed"))
    assert "e-324" not in html
    assert "<th>min_atol_to_pass</th><td class=\"num\">any &gt; 0</td>" in html


# --- a bad --atol/--rtol/--cosine key or value did not say which option was wrong ------------------

@pytest.mark.parametrize("args, start", [
    (["--atol", "foo=1e-3"], "error: --atol foo=1e-3: unknown stage 'foo'"),
    (["--atol=-1"], "error: --atol -1: atol must be a finite number >= 0"),
    (["--cosine", "2"], "error: --cosine 2: cosine must be in [0, 1]"),
    (["--rtol", "preprocessed=-1"], "error: --rtol preprocessed=-1: rtol must be a finite number >= 0"),
])
def test_compare_bad_rule_option_names_the_option(cases, args, start):
    ref, act = cases
    line = one_error_line(run("compare", str(ref), str(act), *args, cwd=ref.parent))
    assert line.startswith(start), line


def test_verify_bad_rule_option_names_the_option(capture_inputs):
    d = capture_inputs
    assert run("capture", "img.png", "--spec", "spec.json", "-o", "vcap", cwd=d).returncode == 0
    line = one_error_line(run("verify", "vcap", "--atol", "bogus=1", cwd=d))
    assert line.startswith("error: --atol bogus=1: unknown stage 'bogus'"), line
    p = run("verify", "vcap", "--atol", "preprocessed=1e-3", cwd=d)
    assert p.returncode == 0, p.stderr


# --- a captured segmentation mask had no layout, so reports indexed it (d0, d1) instead of (y, x) ---

def test_captured_mask_has_layout_hw(capture_inputs, tmp_path):
    from pyalign.capture import capture_image

    spec = {"input": {"format": "GRAY", "width": 32, "height": 24},
            "preprocess": [{"op": "normalize", "mean": [127.5], "std": [127.5]}, {"op": "layout", "to": "NCHW"}],
            "postprocess": {"op": "segmentation", "layout": "NCHW"}}
    logits = np.random.default_rng(5).normal(size=(1, 4, 24, 32)).astype(np.float32)
    from pyalign.synthetic import synthetic_image

    case = capture_image(synthetic_image(24, 32, seed=2), spec, tmp_path / "seg", model_output=logits)
    rec = case.get("postprocessed")
    assert (rec.kind, rec.layout, rec.dtype) == ("mask", "HW", "int32")
    np.testing.assert_array_equal(case.array("postprocessed"), logits[0].argmax(axis=0))
    bad = tmp_path / "board"
    bad.mkdir()
    (case.array("postprocessed") + 1).astype(np.int32).tofile(bad / rec.file)
    text = pyalign.compare(case, bad, stages="postprocessed", diagnose=False).to_text()
    assert "max|diff| 1 at (y=0, x=0)" in text, text


# --- pyalign verify --junit on several cases wrote a <testsuites> root without totals --------------

def test_verify_junit_totals_for_several_cases(capture_inputs, tmp_path):
    import shutil
    import xml.etree.ElementTree as ET

    d = capture_inputs
    assert run("capture", "img.png", "--spec", "spec.json", "-o", "vcap", cwd=d).returncode == 0
    two = tmp_path / "two"
    for n in ("a", "b"):
        shutil.copytree(d / "vcap" / "img", two / n)
    p = run("verify", str(two), "--junit", str(tmp_path / "v.xml"), cwd=d)
    assert p.returncode == 0, p.stderr
    root = ET.parse(tmp_path / "v.xml").getroot()
    assert root.tag == "testsuites" and len(root) == 2
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "0", "0")  # preprocessed x 2
    assert [int(s.get("tests")) for s in root] == [1, 1]


# --- an override naming no tensor (a typo, or the docs' postprocessed.scores) was silently ignored --

def test_compare_warns_about_override_naming_no_tensor(cases):
    ref, act = cases
    p = run("compare", str(ref), str(ref), "--atol", "postprocessed.scores=1e-2", "--atol", "preprocessed=1e-3",
            cwd=ref.parent)
    assert p.returncode == 0, p.stderr
    assert p.stderr.splitlines() == ["warning: --atol postprocessed.scores: no postprocessed tensor named 'scores' "
                                     "was compared (postprocessed has: detections)"]
    p = run("compare", str(ref), str(ref), "--atol", "postprocessed.detections=1e-2", cwd=ref.parent)
    assert p.returncode == 0 and p.stderr == ""
    p = run("compare", str(ref), str(ref), "--stage", "preprocessed", "--atol", "postprocessed.x=1", cwd=ref.parent)
    assert p.returncode == 0 and p.stderr == ""  # stage not compared: nothing to say


# --- click's own option errors read "Invalid value for '-o' / '--out': ..." instead of naming the option first

@pytest.mark.parametrize("args, line", [
    (["compare", "r", "a", "--stage", "bogus"],
     "error: --stage: 'bogus' is not one of 'raw_input', 'preprocessed', 'model_output', 'postprocessed'."),
    (["compare", "r", "a", "--max-violations", "-1"], "error: --max-violations: -1 is not in the range x>=0."),
    (["capture", "img.png", "--spec", "spec.json", "-o", "img.png"], "error: --out: Directory 'img.png' is a file."),
    (["capture", "img.png", "-o", "x"], "error: Missing option '--spec'."),
    (["compare", "r"], "error: Missing argument 'ACTUAL'."),
])
def test_click_errors_name_the_option_first(capture_inputs, args, line):
    assert one_error_line(run(*args, cwd=capture_inputs)) == line


# --- pyalign verify printed "actual: /tmp/pyalign-verify-.../case", a directory deleted on exit ------

def test_verify_does_not_point_at_a_deleted_directory(capture_inputs, tmp_path):
    d = capture_inputs
    assert run("capture", "img.png", "--spec", "spec.json", "-o", "vcap", cwd=d).returncode == 0
    p = run("verify", "vcap", cwd=d)
    assert p.returncode == 0, p.stderr
    assert "actual:    the C++ core's output (not kept: --out DIR keeps it)" in p.stdout
    assert "pyalign-verify-" not in p.stdout
    p = run("verify", "vcap", "--out", str(tmp_path / "kept"), cwd=d)
    assert p.returncode == 0 and f"actual:    {tmp_path / 'kept' / 'img'}" in p.stdout
    assert (tmp_path / "kept" / "img" / "manifest.json").is_file()


# --- pyalign.Capture(None) was a TypeError from os.fspath; Capture("") silently meant the cwd --------

@pytest.mark.parametrize("bad", [None, 3, "", b"x"])
def test_capture_path_must_be_a_path(bad):
    with pytest.raises(ValueError, match="Capture needs the capture set's directory"):
        pyalign.Capture(bad)


def test_capture_path_accepts_str_and_pathlike(tmp_path):
    for p in (str(tmp_path / "a"), tmp_path / "b"):
        with pyalign.Capture(p) as cap:
            cap.raw_input(np.arange(6, dtype=np.uint8).reshape(2, 3), color="GRAY")
        np.testing.assert_array_equal(cap.case.array("raw_input"), np.arange(6, dtype=np.uint8).reshape(2, 3))

"""Regression tests for problems found in a user-acceptance pass (one section per item)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

import pyalign.core as core
from pyalign.synthetic import synthetic_image

pytest_plugins = ["pytester"]


# --- A: preprocess accepts non-contiguous views --------------------------------------------------

def _bgr_spec(w: int, h: int) -> dict:
    return {"input": {"format": "BGR", "width": w, "height": h},
            "preprocess": [{"op": "resize", "size": [37, 29], "interpolation": "linear"},
                           {"op": "normalize", "mean": [1.0, 2.0, 3.0], "std": [4.0, 5.0, 6.0]},
                           {"op": "layout", "to": "NCHW"}]}


@pytest.mark.parametrize("view", ["flip", "crop", "channel_flip", "stride"])
def test_preprocess_accepts_noncontiguous_views(view: str) -> None:
    big = synthetic_image(90, 120, seed=3)
    if view == "flip":
        raw = big[:, ::-1]
    elif view == "crop":
        raw = big[5:75, 7:101]
    elif view == "channel_flip":
        raw = big[..., ::-1]
    else:
        raw = big[::2, ::2]
    assert not raw.flags.c_contiguous
    h, w = raw.shape[:2]
    got = core.preprocess(raw, _bgr_spec(w, h))
    # Independent oracle: cv2 + numpy on the contiguous copy.
    r = cv2.resize(np.ascontiguousarray(raw), (37, 29), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    want = ((r - np.float32([1, 2, 3])) / np.float32([4, 5, 6])).transpose(2, 0, 1)[None]
    assert got.dtype == np.float32 and got.shape == (1, 3, 29, 37)
    np.testing.assert_array_equal(got, want)


def test_preprocess_noncontiguous_still_checks_shape() -> None:
    big = synthetic_image(90, 120, seed=3)
    with pytest.raises(ValueError, match="must be uint8"):
        core.preprocess(big[:, ::-1], _bgr_spec(100, 90))


# --- G: spec and Pulsar2 config files may start with a UTF-8 byte-order mark -------------------

def test_spec_file_with_bom_loads(tmp_path) -> None:
    import json

    from pyalign.spec import load_spec

    spec = {"input": {"format": "BGR", "width": 64, "height": 48},
            "preprocess": [{"op": "resize", "size": [32, 32], "interpolation": "linear"}]}
    p = tmp_path / "spec.json"
    p.write_bytes(b"\xef\xbb\xbf" + json.dumps(spec).encode())
    got = load_spec(p)
    assert got["input"] == spec["input"]
    assert got["preprocess"][0]["size"] == [32, 32]


def test_pulsar2_config_with_bom_loads(tmp_path) -> None:
    from pyalign.spec.pulsar2 import load_pulsar2_config

    p = tmp_path / "config.json"
    p.write_bytes(b"\xef\xbb\xbf" + b'{"quant": {"input_configs": []}, // relaxed\n "x": 1}')
    cfg = load_pulsar2_config(p)
    assert cfg["x"] == 1 and "quant" in cfg


# --- J: verify --json has one shape per case count, like compare --json; report dirs are created --

def _cli(*args: str, catch_exceptions: bool = False):
    """Run the CLI in-process; exceptions propagate unless ``catch_exceptions``."""
    from click.testing import CliRunner

    from pyalign.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=catch_exceptions)


def _two_cases(root):
    from pyalign.capture import capture_image
    from pyalign.spec.bundled import bundled_spec
    from pyalign.demo import synthetic_model_output

    for name in ("bgr_classification", "gray_segmentation"):
        spec = bundled_spec(name)
        capture_image(synthetic_image(60, 80, seed=4), spec, root / name,
                      model_output=synthetic_model_output(spec, seed=4))
    return root


def test_verify_json_several_cases_is_one_document(tmp_path) -> None:
    import json

    root = _two_cases(tmp_path / "set")
    r = _cli("verify", str(root), "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert isinstance(doc, dict)
    assert doc["schema"] == "pyalign.verify.cases" and doc["version"] == 1
    assert doc["aligned"] is True and (doc["summary"]["cases"], doc["summary"]["aligned"]) == (2, 2)
    assert [pathlib_name(c["case"]) for c in doc["cases"]] == ["bgr_classification", "gray_segmentation"]
    assert all(c["result"]["aligned"] is True for c in doc["cases"])
    # one case: the per-case document itself (unchanged)
    r = _cli("verify", str(root / "bgr_classification"), "--json")
    one = json.loads(r.output)
    assert one["aligned"] is True and "result" in one and "schema" not in one


def pathlib_name(p: str) -> str:
    import pathlib

    return pathlib.Path(p).name


def test_cli_reports_create_missing_parent_dirs(tmp_path) -> None:
    root = _two_cases(tmp_path / "set")
    html = tmp_path / "new" / "deeper" / "report.html"
    junit = tmp_path / "other" / "j.xml"
    r = _cli("verify", str(root / "bgr_classification"), "--html", str(html), "--junit", str(junit))
    assert r.exit_code == 0, r.output
    assert html.read_text().lstrip().lower().startswith("<!doctype html")
    assert junit.read_text().lstrip().startswith("<")
    html2 = tmp_path / "cmp" / "r.html"
    junit2 = tmp_path / "cmp2" / "j.xml"
    r = _cli("compare", str(root / "bgr_classification"), str(root / "bgr_classification"),
             "--html", str(html2), "--junit", str(junit2))
    assert r.exit_code == 0, r.output
    assert html2.is_file() and junit2.is_file()


# --- H: the plugin warns about STAGE.NAME overrides that name no tensor ---------------------------

def test_unused_overrides_unit() -> None:
    from pyalign.pytest_plugin.options import unused_overrides

    overrides = {"atol": {"postprocessed.typo": 1.0, "postprocessed.detections": 0.5, "preprocessed": 1e-3,
                          "model_output.out0": 1.0}}
    checked = [("preprocessed", "images"), ("postprocessed", "detections")]
    lines = unused_overrides(overrides, checked)
    assert lines == ["warning: --pyalign-atol postprocessed.typo: no postprocessed tensor named 'typo' was "
                     "compared (postprocessed has: detections)"]
    assert unused_overrides({"cosine": {"postprocessed.detections": 0.9}}, checked) == []


@pytest.mark.filterwarnings("ignore:Benchmarks are automatically disabled")
def test_plugin_warns_on_typo_override(tmp_path, pytester) -> None:
    from pyalign.store import write_case

    rng = np.random.default_rng(5)
    det = np.array([[1, 2, 5, 6, 0.9, 3]], dtype=np.float32)
    write_case(tmp_path / "caps" / "c1",
               [("raw_input", "image", rng.integers(0, 256, (6, 8, 3), dtype=np.uint8), {"layout": "HWC", "color": "BGR"}),
                ("postprocessed", "detections", det, {"kind": "detections"})], case="c1")
    pytester.makepyfile(test_board="""
def test_post(pyalign_case, pyalign_check):
    pyalign_check(pyalign_case.postprocessed.copy(), stage="postprocessed")
""")
    result = pytester.runpytest(f"--pyalign-captures={tmp_path / 'caps'}",
                                "--pyalign-atol=postprocessed.typo=1", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["warning: --pyalign-atol postprocessed.typo: no postprocessed tensor named 'typo'"
                                 " was compared (postprocessed has: detections)"])
    result = pytester.runpytest(f"--pyalign-captures={tmp_path / 'caps'}",
                                "--pyalign-atol=postprocessed.detections=1", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "warning: --pyalign-atol" not in result.stdout.str()


# --- F: a copied board suite says why its build fails and takes PYALIGN_CPP_DIR --------------------

def _copied_suite(pytester):
    import pathlib
    import shutil

    example = pathlib.Path(__file__).resolve().parents[1] / "examples" / "board_suite"
    for name in ("conftest.py", "CMakeLists.txt", "board_pipeline.cpp"):
        shutil.copy(example / name, pytester.path / name)
    pytester.makepyfile(test_build="def test_build(board_program):\n    assert board_program.name\n")
    return pytester


@pytest.mark.filterwarnings("ignore:Benchmarks are automatically disabled")
def test_copied_board_suite_without_cpp_dir_names_the_variable(pytester, monkeypatch) -> None:
    import shutil

    if shutil.which("cmake") is None:
        pytest.skip("cmake is not installed")
    monkeypatch.delenv("PYALIGN_CPP_DIR", raising=False)
    monkeypatch.delenv("BOARD_PIPELINE", raising=False)
    suite = _copied_suite(pytester)
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cannot build board_pipeline: no pyalign cpp/CMakeLists.txt in *"
                                 "set the environment variable PYALIGN_CPP_DIR*"])
    assert "CalledProcessError" not in result.stdout.str()


@pytest.mark.filterwarnings("ignore:Benchmarks are automatically disabled")
def test_copied_board_suite_shows_cmake_output(pytester, monkeypatch, tmp_path) -> None:
    import shutil

    if shutil.which("cmake") is None:
        pytest.skip("cmake is not installed")
    broken = tmp_path / "cpp"
    broken.mkdir()
    (broken / "CMakeLists.txt").write_text('message(FATAL_ERROR "pyalign-core-marker-1234")\n')
    monkeypatch.setenv("PYALIGN_CPP_DIR", str(broken))
    monkeypatch.delenv("BOARD_PIPELINE", raising=False)
    suite = _copied_suite(pytester)
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    assert "building board_pipeline failed: cmake -S" in out
    assert f"-DPYALIGN_CPP_DIR={broken}" in out  # the environment variable reached CMake
    assert "--- CMake output ---" in out and "pyalign-core-marker-1234" in out
    assert "CalledProcessError" not in out


# --- C: shape mismatches: say what differs, do not claim hypotheses were tried ---------------------

def test_shape_mismatch_without_capture_says_no_hypothesis_applies() -> None:
    from pyalign.diagnose import diagnose

    hs = diagnose(np.zeros((1, 3, 8, 8), np.float32), np.zeros((1, 3, 6, 6), np.float32))
    assert len(hs) == 1 and hs[0].name == "unexplained"
    text = str(hs[0])
    assert "the shapes differ: the actual is [1, 3, 6, 6] where the reference is [1, 3, 8, 8]" in text
    assert "no hypothesis applies" in text and "hypotheses tried" not in text
    assert hs[0].params["tried"] == 0 and hs[0].params["families"] == []


def test_unexplained_count_and_families_agree() -> None:
    import re

    from pyalign.diagnose import diagnose

    rng = np.random.default_rng(1)
    e = rng.random((1, 3, 16, 16), dtype=np.float32)
    a = rng.random((1, 3, 16, 16), dtype=np.float32)
    h = diagnose(e, a)[0]
    assert h.name == "unexplained"
    m = re.search(r"none of the (\d+) hypotheses tried \(([^)]*)\)", h.description)
    assert m is not None, h.description
    assert int(m.group(1)) == h.params["tried"] > 0
    assert m.group(2).split(", ") == h.params["families"]
    # no family listed whose trials could not run (uint8 cast needs a uint8/float pair, YUV a YUV input)
    assert "uint8 cast" not in h.params["families"] and "YUV" not in h.params["families"]


def test_shape_mismatch_another_output_size(tmp_path) -> None:
    import copy

    from pyalign.capture import capture_image
    from pyalign.spec.bundled import bundled_spec
    from pyalign.verify import verify_case

    spec = bundled_spec("bgr_yolov8").to_dict()  # a Spec is frozen: change a copy
    spec.pop("postprocess", None)
    raw = synthetic_image(spec["input"]["height"], spec["input"]["width"], seed=1)
    case = capture_image(raw, spec, tmp_path / "case")
    other = copy.deepcopy(spec)
    lb = next(op for op in other["preprocess"] if op["op"] == "letterbox")
    lb["size"] = [256, 256]
    r = verify_case(case, other, out=tmp_path / "actual")
    assert not r.aligned
    t = next(t for t in r.comparison.tensors if t.stage == "preprocessed")
    assert t.status == "shape_mismatch"
    assert [h.name for h in t.diagnosis] == ["size.output"] and t.diagnosis[0].explains
    assert "letterbox to 256x256 where the spec says 320x320" in str(t.diagnosis[0])
    assert t.diagnosis[0].after["max_abs_diff"] == 0
    # a size that does not explain it: the independent recomputation at 256 is not the actual
    from pyalign.diagnose import diagnose

    act = np.asarray(r.actual.array("preprocessed")).copy()
    act[0, 0] = 1.0 - act[0, 0]
    hs = diagnose(case.array("preprocessed"), act, stage="preprocessed", spec=spec, raw_input=raw)
    assert hs[0].name == "unexplained"
    assert "the shapes differ: the actual is [1, 3, 256, 256] where the reference is [1, 3, 320, 320]" in str(hs[0])
    assert "output size" in hs[0].params["families"]


# --- D: one explanation for boxes left in letterbox coordinates, never "-0" -------------------------

def _detections(rng: np.random.Generator, n: int = 8) -> np.ndarray:
    x1 = rng.uniform(0, 500, n)
    y1 = rng.uniform(0, 380, n)
    return np.stack([x1, y1, x1 + rng.uniform(10, 100, n), y1 + rng.uniform(10, 90, n),
                     np.linspace(0.9, 0.3, n), rng.integers(0, 80, n)], 1).astype(np.float32)


_MINUS_ZERO = __import__("re").compile(r"(?<![\w.])-0(?![\w.])")  # "-0" as a number, not in "1e-05"


def test_letterbox_coordinates_explained_once_without_minus_zero() -> None:
    from pyalign.spec.bundled import bundled_spec
    from pyalign.diagnose import diagnose

    spec = bundled_spec("bgr_yolov8")  # 640x480 letterboxed to 320x320: r 0.5, pad 0, 40
    info = core.letterbox_info((640, 480), (320, 320), "ultralytics")
    e = _detections(np.random.default_rng(0))
    a = e.copy()
    a[:, [0, 2]] = a[:, [0, 2]] * info.scale_x + info.pad_left
    a[:, [1, 3]] = a[:, [1, 3]] * info.scale_y + info.pad_top
    hs = diagnose(e, a, stage="postprocessed", kind="detections", spec=spec)
    assert [h.name for h in hs] == ["detections.letterbox_coords"] and hs[0].explains
    assert "pad 0, 40" in str(hs[0]) and not _MINUS_ZERO.search(str(hs[0]))
    # without a spec the fitted coordinate frame is the explanation, worded without "-0" / "+ -"
    hs = diagnose(e, a, stage="postprocessed", kind="detections")
    assert [h.name for h in hs] == ["detections.coordinate_frame"]
    text = str(hs[0])
    assert "y*2 - 80" in text and "pad 0, 40" in text
    assert not _MINUS_ZERO.search(text) and "+ -" not in text


# --- E: with a loose rule, passing is not enough to "explain" ----------------------------------------

def test_loose_rule_does_not_let_unrelated_hypotheses_explain() -> None:
    from pyalign.diagnose import diagnose

    e8 = synthetic_image(64, 64, seed=1)
    a8 = synthetic_image(64, 64, seed=2)  # a different image
    e8[0, 0, 0], a8[0, 0, 0], a8[0, 0, 2] = 0, 255, 128  # one element fails atol=1.0
    e = (e8.astype(np.float32) / 255).transpose(2, 0, 1)[None]
    a = (a8.astype(np.float32) / 255).transpose(2, 0, 1)[None]
    hs = diagnose(e, a, rule={"kind": "atol", "atol": 1.0})
    assert [h.name for h in hs] == ["unexplained"], [str(h) for h in hs]
    # a real cause still explains under the same loose rule: the channel swap cuts the error to 0
    e2 = e.copy()
    e2[0, 0, 0, 0], e2[0, 2, 0, 0] = 0.0, 1.0  # B 0, R 1: swapped, they differ by 1.0 and fail
    a2 = np.ascontiguousarray(e2[:, ::-1])
    hs = diagnose(e2, a2, rule={"kind": "atol", "atol": 1.0})
    assert hs[0].name == "channel_swap" and hs[0].explains


# --- I: postprocess takes a mapping name -> array (insertion order), C++ and reference alike -------

def test_postprocess_accepts_a_mapping_of_outputs() -> None:
    from pyalign.demo import synthetic_model_output
    from pyalign.spec.bundled import bundled_spec
    from pyalign.reference import postprocess as ref

    for name in ("bgr_yolov8", "yuyv_yolov5", "bgr_classification"):
        spec = bundled_spec(name)
        outs = synthetic_model_output(spec, seed=2)
        arrays = list(outs.values()) if isinstance(outs, dict) else (outs if isinstance(outs, list) else [outs])
        named = {f"output{i}": a for i, a in enumerate(arrays)}
        info = None
        want = ref.postprocess(arrays, spec["postprocess"], info)
        got_core = core.postprocess(named, spec["postprocess"], info)
        got_ref = ref.postprocess(named, spec["postprocess"], info)
        np.testing.assert_array_equal(got_ref, want)
        if want.dtype == np.float32 and want.ndim == 2 and want.shape[1] == 6:
            np.testing.assert_allclose(got_core, want, atol=1e-3, rtol=0)
        else:
            np.testing.assert_allclose(got_core, want, atol=1e-6, rtol=0)
        assert got_core.shape == want.shape


def test_postprocess_mapping_order_and_errors() -> None:
    from pyalign.reference import postprocess as ref

    spec = {"op": "classification", "topk": 3, "softmax": True}
    logits = np.array([[0.1, 2.0, -1.0, 0.5]], np.float32)
    got = core.postprocess({"logits": logits}, spec)
    assert got[0, 0] == 1.0 and got.shape == (3, 2)
    with pytest.raises(ValueError, match="expected one output, got 2"):
        core.postprocess({"a": logits, "b": logits}, spec)
    with pytest.raises(ValueError, match=r"outputs\['bad'\]: expected a numeric array"):
        ref.postprocess({"bad": np.array(["x"])}, spec)
    with pytest.raises(ValueError, match="outputs is empty"):
        core.postprocess({}, spec)
    with pytest.raises(ValueError, match="mapping of name -> array"):
        core.postprocess("nope", spec)


# --- B: a bare board file of another dtype's size says which dtype -----------------------------------

def test_bare_board_file_with_uint8_size_names_the_dtype(tmp_path) -> None:
    from pyalign.errors import CaptureError
    from pyalign.store import read_actual, read_case, write_case

    p = np.random.default_rng(0).random((1, 3, 32, 40), dtype=np.float32)
    ref = write_case(tmp_path / "ref", [("preprocessed", "images", p, {"layout": "NCHW"})])
    board = tmp_path / "board"
    board.mkdir()
    (p * 255).astype(np.uint8).tofile(board / "preprocessed.bin")
    with pytest.raises(CaptureError) as e:
        read_actual(board, read_case(tmp_path / "ref"))
    assert str(e.value) == (f"{board / 'preprocessed.bin'}: file is 3840 bytes, the reference float32 "
                            "[1, 3, 32, 40] needs 15360 (the size of uint8 or int8 data: did the board write uint8?)")
    p.astype(np.float16).tofile(board / "preprocessed.bin")
    with pytest.raises(CaptureError, match=r"the size of float16 or int16 or uint16 data: did the board write float16\?"):
        read_actual(board, ref)
    # a size that fits no dtype: the plain message
    (board / "preprocessed.bin").write_bytes(b"\0" * 1001)
    with pytest.raises(CaptureError, match=r"truncated: file is 1001 bytes, shape \[1, 3, 32, 40\] of float32 needs 15360"):
        read_actual(board, ref)
    # the CLI prints it as one line, exit 2
    r = _cli("compare", str(tmp_path / "ref"), str(board), catch_exceptions=True)
    assert r.exit_code == 2


def test_cli_compare_names_the_board_dtype(tmp_path) -> None:
    import subprocess
    import sys

    from pyalign.store import write_case

    p = np.random.default_rng(0).random((1, 3, 32, 40), dtype=np.float32)
    write_case(tmp_path / "ref", [("preprocessed", "images", p, {"layout": "NCHW"})])
    (tmp_path / "board").mkdir()
    (p * 255).astype(np.uint8).tofile(tmp_path / "board" / "preprocessed.bin")
    r = subprocess.run([sys.executable, "-m", "pyalign", "compare", "ref", "board"], cwd=tmp_path,
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ")
    assert "did the board write uint8?" in r.stderr

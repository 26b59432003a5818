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
    from pyalign.pulsar2 import load_pulsar2_config

    p = tmp_path / "config.json"
    p.write_bytes(b"\xef\xbb\xbf" + b'{"quant": {"input_configs": []}, // relaxed\n "x": 1}')
    cfg = load_pulsar2_config(p)
    assert cfg["x"] == 1 and "quant" in cfg


# --- J: verify --json has one shape per case count, like compare --json; report dirs are created --

def _cli(*args: str, cwd=None):
    from click.testing import CliRunner

    from pyalign.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _two_cases(root):
    from pyalign.capture import capture_image
    from pyalign.data import bundled_spec
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
    assert doc["aligned"] is True and doc["summary"] == {"cases": 2, "aligned": 2}
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
    from pyalign.plugin_options import unused_overrides

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

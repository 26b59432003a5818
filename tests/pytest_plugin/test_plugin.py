"""The pytest plugin end to end, with pytester: suites that pass, fail, misconfigure, run on xdist."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List

import numpy as np
import pytest

import pyalign.compare.comparator  # noqa: F401  (kept loaded across in-process pytester runs)
from pyalign.store import write_case

pytest_plugins = ["pytester"]
# pytest-benchmark, when installed, warns inside in-process runs of an xdist session; not ours.
pytestmark = pytest.mark.filterwarnings("ignore:Benchmarks are automatically disabled")

CASES = ("cat_001", "dog_002")


def make_captures(root: Path, cases=CASES) -> Path:
    """Two small capture sets with every stage; model_output has two tensors."""
    for i, case in enumerate(cases):
        rng = np.random.default_rng(100 + i)
        raw = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
        pre = (raw.transpose(2, 0, 1)[None].astype(np.float32) / np.float32(255.0)).astype(np.float32)
        out0 = rng.standard_normal((1, 6, 10)).astype(np.float32)
        out1 = rng.standard_normal((1, 4, 10)).astype(np.float32)
        det = np.array([[1, 2, 5, 6, 0.9, 3], [0, 0, 4, 3, 0.5, 1]], dtype=np.float32)
        write_case(
            root / case,
            [
                ("raw_input", "image", raw, {"layout": "HWC", "color": "BGR"}),
                ("preprocessed", "images", pre, {"layout": "NCHW", "color": "BGR"}),
                ("model_output", "out0", out0),
                ("model_output", "out1", out1),
                ("postprocessed", "detections", det, {"kind": "detections"}),
            ],
            case=case,
        )
    return root


@pytest.fixture
def captures(pytester: pytest.Pytester) -> Path:
    return make_captures(pytester.path / "captures")


PASSING = """
import numpy as np

def test_preprocessed(pyalign_case, pyalign_check):
    assert pyalign_case.raw_input.dtype == np.uint8
    assert pyalign_case.record("preprocessed").layout == "NCHW"
    assert (pyalign_case.dir / "manifest.json").is_file()
    pyalign_check(pyalign_case.preprocessed + np.float32(5e-5))          # within 1e-4

def test_model_output(pyalign_case, pyalign_check):
    assert sorted(pyalign_case.model_output) == ["out0", "out1"]
    for name, out in pyalign_case.model_output.items():
        pyalign_check(out * np.float32(1.5), stage="model_output", name=name)  # cosine 1

def test_postprocessed(pyalign_case, pyalign_check):
    pyalign_check(pyalign_case.postprocessed.copy(), stage="postprocessed")
"""

FAILING = """
import numpy as np

def test_preprocessed(pyalign_case, pyalign_check):
    actual = pyalign_case.preprocessed.copy()
    actual[0, 1, 2, 3] += np.float32(0.25)
    pyalign_check(actual)
"""


def _summary(output: str) -> List[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if "pyalign alignment summary" in line)
    return lines[start + 1:]


def test_passing_suite_runs_once_per_case(pytester: pytest.Pytester, captures: Path) -> None:
    pytester.makepyfile(test_board=PASSING)
    result = pytester.runpytest(f"--pyalign-captures={captures}", "-v")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(
        [
            "*pyalign: 2 capture sets in *captures",
            "*test_preprocessed?cat_001? PASSED*",
            "*test_preprocessed?dog_002? PASSED*",
            "*pyalign alignment summary*",
            "case*stage*verdict*checks*worst metric",
            "cat_001*preprocessed*PASS*1/1*max|diff| *",
            "cat_001*model_output*PASS*2/2*cosine 1*",
            "cat_001*postprocessed*PASS*1/1*",
            "dog_002*preprocessed*PASS*",
            "8 checks on 2 cases: 8 aligned, 0 misaligned",
        ]
    )


def test_failing_suite_reports_comparator_text(pytester: pytest.Pytester, captures: Path) -> None:
    pytester.makepyfile(test_board=FAILING)
    result = pytester.runpytest(f"--pyalign-captures={captures}")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    case = read_ref(captures / "cat_001")
    expected = float(case[0, 1, 2, 3])
    # the comparator's report: stage, violations, max |diff| with index and values, rule
    assert "pyalign: case cat_001 is misaligned" in out
    assert "preprocessed/images: fail (rule |a-e| < 0.0001)" in out
    assert "violations: 1 of 144" in out
    actual = np.float32(expected) + np.float32(0.25)
    result.stdout.fnmatch_lines(
        [f"*max |diff| 0.25* at (n=0, c=1, y=2, x=3): expected {expected:.7g}, actual {float(actual):.7g}"]
    )
    summary = _summary(out)
    assert any(line.split()[:4] == ["cat_001", "preprocessed", "FAIL", "0/1"] for line in summary)
    assert any(line.split()[:4] == ["dog_002", "preprocessed", "FAIL", "0/1"] for line in summary)
    assert "2 checks on 2 cases: 0 aligned, 2 misaligned" in out


def read_ref(case_dir: Path) -> np.ndarray:
    from pyalign.store import read_case

    return read_case(case_dir).array("preprocessed")


def test_missing_captures_dir_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_board=PASSING)
    result = pytester.runpytest("--pyalign-captures=nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--pyalign-captures *nowhere: no such directory*"])


def test_captures_path_that_is_a_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    (pytester.path / "captures.txt").write_text("not a directory")
    pytester.makepyfile(test_board=PASSING)
    result = pytester.runpytest("--pyalign-captures=captures.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--pyalign-captures *captures.txt: not a directory*"])


def test_empty_captures_dir_is_a_usage_error(pytester: pytest.Pytester) -> None:
    (pytester.path / "empty").mkdir()
    pytester.makepyfile(test_board=PASSING)
    result = pytester.runpytest("--pyalign-captures=empty")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*empty: no capture sets*"])


def test_bad_tolerance_option_is_a_usage_error(pytester: pytest.Pytester, captures: Path) -> None:
    pytester.makepyfile(test_board=PASSING)
    result = pytester.runpytest(f"--pyalign-captures={captures}", "--pyalign-atol=preproc=1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--pyalign-atol preproc=1: unknown stage 'preproc'*"])


def test_unused_plugin_is_silent_and_skips_case_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_plain="""
def test_plain():
    assert True

def test_case(pyalign_case):
    pass
"""
    )
    result = pytester.runpytest("-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*pyalign_case needs a captures directory*"])
    assert "pyalign alignment summary" not in result.stdout.str()
    assert "capture sets in" not in result.stdout.str()


def test_plugin_can_be_disabled(pytester: pytest.Pytester, captures: Path) -> None:
    pytester.makepyfile(test_board=PASSING)
    result = pytester.runpytest("-p", "no:pyalign")
    result.stdout.fnmatch_lines(["*fixture 'pyalign_case' not found*"])


def test_marker_option_and_call_rules(pytester: pytest.Pytester, captures: Path) -> None:
    pytester.makepyfile(
        test_rules="""
import numpy as np
import pytest

def off(case, d):
    a = case.preprocessed.copy()
    a[0, 0, 0, 0] += np.float32(d)
    return a

@pytest.mark.pyalign(atol=0.1)
def test_marker_loosens(pyalign_case, pyalign_check):
    pyalign_check(off(pyalign_case, 0.05))

@pytest.mark.pyalign(atol={"preprocessed": 0.1})
def test_call_beats_marker(pyalign_case, pyalign_check):
    pyalign_check(off(pyalign_case, 0.05), atol=0.01)

def test_option_loosens(pyalign_case, pyalign_check):
    pyalign_check(off(pyalign_case, 0.3))

pytestmark = pytest.mark.pyalign(cosine={"model_output.out0": 0.999999})

def test_module_marker_on_model_output(pyalign_case, pyalign_check):
    out = pyalign_case.model_output["out0"].copy()
    out[0, 0, :5] += np.float32(0.5)   # cosine drops below 0.999999 but stays above 0.98
    pyalign_check(out, stage="model_output", name="out0")
"""
    )
    result = pytester.runpytest(f"--pyalign-captures={captures}", "--pyalign-atol=preprocessed.images=0.5", "-v")
    result.stdout.fnmatch_lines(
        [
            "*test_marker_loosens?cat_001? PASSED*",
            "*test_call_beats_marker?cat_001? FAILED*",
            "*test_option_loosens?cat_001? PASSED*",
            "*test_module_marker_on_model_output?cat_001? FAILED*",
        ]
    )
    result.assert_outcomes(passed=4, failed=4)


def test_json_report(pytester: pytest.Pytester, captures: Path) -> None:
    pytester.makepyfile(test_board=PASSING + FAILING.replace("def test_preprocessed", "def test_bad"))
    result = pytester.runpytest(f"--pyalign-captures={captures}", "--pyalign-report=out/report.json")
    result.assert_outcomes(passed=6, failed=2)
    result.stdout.fnmatch_lines(["pyalign report: *report.json"])
    report = json.loads((pytester.path / "out" / "report.json").read_text())
    assert report["format"] == "pyalign.pytest-report" and report["version"] == 1
    assert report["aligned"] is False
    assert report["counts"] == {"cases": 2, "checks": 10, "passed": 8, "failed": 2, "tests": 8, "tests_failed": 2}
    rows = {(r["case"], r["stage"]): r for r in report["summary"]}
    assert set(rows) == {(c, s) for c in CASES for s in ("preprocessed", "model_output", "postprocessed")}
    assert rows["cat_001", "preprocessed"]["verdict"] == "FAIL"
    assert rows["cat_001", "preprocessed"]["worst"][0]["value"] == pytest.approx(0.25, abs=1e-6)
    assert rows["cat_001", "model_output"]["verdict"] == "PASS"
    bad = [c for c in report["checks"] if not c["passed"]]
    assert [c["case"] for c in bad] == list(CASES)
    first = bad[0]
    assert first["nodeid"] == "test_board.py::test_bad[cat_001]"
    assert first["stage"] == "preprocessed" and first["name"] == "images"
    assert first["status"] == "fail" and first["rule_source"] == "default"
    assert first["worst"]["name"] == "max_abs_diff"
    assert first["result"]["metrics"]["violations"] == 1
    assert "0.25" in first["text"]
    failed_tests = sorted(t["nodeid"] for t in report["tests"] if t["outcome"] == "failed")
    assert failed_tests == ["test_board.py::test_bad[cat_001]", "test_board.py::test_bad[dog_002]"]


def test_html_report_and_ini_keys(pytester: pytest.Pytester, captures: Path) -> None:
    pytester.makeini("[pytest]\npyalign_captures = captures\npyalign_report = report.html\npyalign_atol =\n    preprocessed=0.5\n")
    pytester.makepyfile(test_board=FAILING)
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)  # the ini tolerance lets the 0.25 error through
    page = (pytester.path / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "pyalign test report" in page
    # the case x stage summary, then a section per check
    assert page.count("<tr><td>cat_001</td><td>preprocessed</td>") == 1
    assert page.count("preprocessed/images") >= 2 and "case dog_002" in page
    result.stdout.fnmatch_lines(["pyalign report: *report.html"])


def test_xdist_gathers_every_worker(pytester: pytest.Pytester) -> None:
    captures = make_captures(pytester.path / "captures", cases=("c1", "c2", "c3", "c4"))
    pytester.makepyfile(test_board=PASSING + FAILING.replace("def test_preprocessed", "def test_bad"))
    result = pytester.runpytest_subprocess(
        "-n", "2", "-p", "xdist", f"--pyalign-captures={captures}", "--pyalign-report=r.json"
    )
    result.assert_outcomes(passed=12, failed=4)
    summary = _summary(result.stdout.str())
    for case in ("c1", "c2", "c3", "c4"):
        assert any(line.split()[:3] == [case, "preprocessed", "FAIL"] for line in summary)
        assert any(line.split()[:3] == [case, "model_output", "PASS"] for line in summary)
    result.stdout.fnmatch_lines(["20 checks on 4 cases: 16 aligned, 4 misaligned"])
    report = json.loads((pytester.path / "r.json").read_text())
    assert report["counts"]["checks"] == 20 and report["counts"]["tests"] == 16
    assert {c["case"] for c in report["checks"]} == {"c1", "c2", "c3", "c4"}


def test_actual_from_files_and_directories(pytester: pytest.Pytester, captures: Path) -> None:
    pytester.makepyfile(
        test_files="""
import numpy as np
import pyalign.compare.comparator  # noqa: F401  (kept loaded across in-process pytester runs)
from pyalign.store import write_case

def test_bin_file(pyalign_case, pyalign_check, tmp_path):
    pyalign_case.preprocessed.tofile(tmp_path / "pre.bin")
    pyalign_check(tmp_path / "pre.bin")
    pyalign_case.model_output["out1"].tofile(tmp_path / "o1.bin")
    pyalign_check(str(tmp_path / "o1.bin"), stage="model_output", name="out1")

def test_bare_directory(pyalign_case, pyalign_check, tmp_path):
    pyalign_case.postprocessed[::-1].tofile(tmp_path / "postprocessed.bin")   # order-free matching
    pyalign_check(tmp_path, stage="postprocessed")

def test_capture_set_with_other_name(pyalign_case, pyalign_check, tmp_path):
    write_case(tmp_path / "board", {("preprocessed", "input0"): pyalign_case.preprocessed})
    pyalign_check(tmp_path / "board")

def test_short_bin_file(pyalign_case, pyalign_check, tmp_path):
    pyalign_case.preprocessed.ravel()[:-1].tofile(tmp_path / "pre.bin")
    pyalign_check(tmp_path / "pre.bin")
"""
    )
    result = pytester.runpytest(f"--pyalign-captures={captures}", "-k", "cat_001")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*test_short_bin_file*", "*shape_mismatch*"])


def test_bad_capture_set_and_missing_stage(pytester: pytest.Pytester, captures: Path) -> None:
    (captures / "dog_002" / "preprocessed.bin").write_bytes(b"short")
    pytester.makepyfile(
        test_bad="""
import numpy as np
import pytest

def test_pre(pyalign_case, pyalign_check):
    pyalign_check(np.zeros(3, np.float32), stage="model_output", name="nope")

def test_kw(pyalign_case, pyalign_check):
    pyalign_check(pyalign_case.preprocessed, atoll=1)

@pytest.mark.pyalign(cosin=0.9)
def test_marker_kw(pyalign_check):
    pass
"""
    )
    result = pytester.runpytest(f"--pyalign-captures={captures}", "-rfE")
    result.assert_outcomes(failed=2, errors=4)
    result.stdout.fnmatch_lines(["*@pytest.mark.pyalign: unknown rule keyword(s) cosin*"])
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_pre?dog_002?*",
            "capture set dog_002: *preprocessed.bin: truncated: file is 5 bytes*",
            "*capture set cat_001 has no tensor model_output.nope*",
            "*unknown rule keyword(s) atoll*",
            "*pyalign alignment summary*",
            "cat_001*(other)*FAIL*0/3*test_kw failed (call); test_marker_kw failed (setup); test_pre failed (call)",
            "dog_002*(other)*FAIL*0/3*test_kw failed (setup); test_marker_kw failed (setup); test_pre failed (setup)",
            "0 checks on 2 cases: 0 aligned, 0 misaligned; 6 failed tests outside the checks",
        ]
    )


def test_captures_dir_that_is_one_case(pytester: pytest.Pytester, captures: Path) -> None:
    pytester.makepyfile(test_board=PASSING)
    result = pytester.runpytest(f"--pyalign-captures={captures / 'dog_002'}", "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*pyalign: 1 capture sets in *dog_002", "*test_preprocessed?dog_002? PASSED*"])


def test_check_all_and_summary_modes(pytester: pytest.Pytester, captures: Path) -> None:
    pytester.makepyfile(
        test_all="""
import numpy as np
from pyalign.store import write_case

def test_all(pyalign_case, pyalign_check, tmp_path):
    pre = pyalign_case.preprocessed.copy()
    if pyalign_case.id == "dog_002":
        pre[0, 2, 1, 1] += np.float32(0.5)
    write_case(tmp_path / "out", [("preprocessed", "images", pre),
                                  ("model_output", "out0", pyalign_case.model_output["out0"])])
    results = pyalign_check.all(tmp_path / "out")      # preprocessed + model_output (out1 is missing)
"""
    )
    result = pytester.runpytest(f"--pyalign-captures={captures}", "--pyalign-summary=failed")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "model_output/out1: missing" in out and "not in the board's output" in out
    assert "preprocessed/images: fail" in out and "violations: 1 of 144" in out
    summary = _summary(out)
    assert [line.split()[:4] for line in summary[1:5]] == [
        ["cat_001", "model_output", "FAIL", "1/2"],      # out1 missing
        ["dog_002", "preprocessed", "FAIL", "0/1"],
        ["dog_002", "model_output", "FAIL", "1/2"],
        ["(1", "passing", "case", "x"],
    ]
    assert summary[1].split()[4:] == ["missing", "(out1)"]
    result.stdout.fnmatch_lines(["6 checks on 2 cases: 3 aligned, 3 misaligned"])
    off = pytester.runpytest(f"--pyalign-captures={captures}", "--pyalign-summary=off")
    assert "pyalign alignment summary" not in off.stdout.str()
    bad = pytester.runpytest(f"--pyalign-captures={captures}", "--pyalign-summary=some")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR


def test_check_all_require_all(pytester: pytest.Pytester, captures: Path) -> None:
    """By default a stage the board did not write is not checked; require_all=True checks every stage."""
    pytester.makepyfile(
        test_req="""
import pytest
from pyalign.store import write_case

def test_default(pyalign_case, pyalign_check, tmp_path):
    write_case(tmp_path / "out", [("preprocessed", "images", pyalign_case.preprocessed)])
    assert [r.stage for r in pyalign_check.all(tmp_path / "out")] == ["preprocessed"]

def test_strict(pyalign_case, pyalign_check, tmp_path):
    write_case(tmp_path / "out", [("preprocessed", "images", pyalign_case.preprocessed)])
    with pytest.raises(AssertionError, match="model_output/out0: missing"):
        pyalign_check.all(tmp_path / "out", require_all=True)
"""
    )
    result = pytester.runpytest(f"--pyalign-captures={captures / 'cat_001'}")
    result.assert_outcomes(passed=2)

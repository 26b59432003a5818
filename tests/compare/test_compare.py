"""Comparator API: rule edges, overrides, detections, capture sets (hand-built cases)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import pyalign
from pyalign.compare.comparator import assert_aligned, compare, compare_arrays
from pyalign.compare.rules import Rule, parse_override_options, resolve_rule
from pyalign.errors import CaptureError
from pyalign.store import CaseWriter

_F = np.float32(1e-4)  # rounds to 9.9999997e-05, just below 1e-4
F32_BELOW_1E4 = _F if float(_F) < 1e-4 else np.nextafter(_F, np.float32(0))  # largest float32 < 1e-4
F32_ABOVE_1E4 = np.nextafter(F32_BELOW_1E4, np.float32(1))  # smallest float32 >= 1e-4


# ---------------------------------------------------------------- rule edges


def test_float32_values_straddling_1e4() -> None:
    # The diff is computed in float64 from the float32 values: 0 and these values are exact.
    assert float(F32_BELOW_1E4) < 1e-4 <= float(F32_ABOVE_1E4)
    e = np.zeros((1, 3, 2, 2), np.float32)
    a = e.copy()
    a[0, 1, 1, 0] = F32_BELOW_1E4
    assert compare_arrays(e, a, stage="preprocessed").passed
    a[0, 1, 1, 0] = F32_ABOVE_1E4
    r = compare_arrays(e, a, stage="preprocessed", layout="NCHW")
    assert not r.passed and r.status == "fail"
    assert r.metrics["violations"] == 1
    assert r.metrics["max_abs_index"] == {"n": 0, "c": 1, "y": 1, "x": 0}


def test_float64_099e4_passes_and_1e4_fails() -> None:
    e = np.zeros(4, np.float64)
    a = e.copy()
    a[2] = 0.99e-4  # diff in float64 is exactly the double 0.99e-4
    assert compare_arrays(e, a, stage="preprocessed").passed
    a[2] = 1e-4  # exactly the tolerance: strict < fails
    r = compare_arrays(e, a, stage="preprocessed")
    assert not r.passed and r.metrics["violations"] == 1
    assert r.metrics["min_atol_to_pass"] == np.nextafter(1e-4, 1.0)
    assert compare_arrays(e, a, stage="preprocessed", atol=r.metrics["min_atol_to_pass"]).passed


def test_postprocessed_default_1e3_strict() -> None:
    e = np.zeros(3, np.float64)
    assert compare_arrays(e, e + 0.99e-3, stage="postprocessed").passed
    assert not compare_arrays(e, e + 1e-3, stage="postprocessed").passed


def test_uint8_off_by_one_fails_everywhere() -> None:
    e = np.full((4, 5, 3), 200, np.uint8)
    a = e.copy()
    a[3, 4, 2] = 201
    for stage in ("raw_input", "preprocessed", "postprocessed"):
        r = compare_arrays(e, a, stage=stage, layout="HWC")
        assert not r.passed, stage
        assert r.metrics["max_abs_diff"] == 1.0
        assert r.metrics["max_abs_index"] == {"y": 3, "x": 4, "c": 2}
        assert r.first_violations[0]["expected"] == 200 and r.first_violations[0]["actual"] == 201
    assert compare_arrays(e, e.copy(), stage="raw_input").passed
    # 0 - 255 in uint8 must not wrap around
    r = compare_arrays(np.array([0], np.uint8), np.array([255], np.uint8), stage="raw_input")
    assert r.metrics["max_abs_diff"] == 255.0


def test_int64_exact_beyond_2_53() -> None:
    e = np.array([2**62, -(2**62)], np.int64)
    a = e.copy()
    a[0] += 1  # not representable after conversion to float64, must still fail
    r = compare_arrays(e, a, stage="postprocessed")
    assert not r.passed and r.metrics["max_abs_diff"] == 1.0
    assert r.first_violations[0]["actual"] == 2**62 + 1
    big = np.array([np.iinfo(np.int64).min], np.int64)
    r = compare_arrays(big, np.array([np.iinfo(np.int64).max], np.int64), stage="raw_input")
    assert r.metrics["max_abs_diff"] == float(2**64 - 1)


@pytest.mark.parametrize(
    "e,a,ok",
    [
        ([np.nan, 1.0], [np.nan, 1.0], True),
        ([np.nan, 1.0], [1.0, np.nan], False),
        ([np.nan], [0.0], False),
        ([0.0], [np.nan], False),
        ([np.inf], [np.inf], True),
        ([-np.inf], [-np.inf], True),
        ([np.inf], [-np.inf], False),
        ([np.inf], [3e38], False),
        ([np.inf], [np.nan], False),
        ([-0.0], [0.0], True),
    ],
)
def test_nan_inf_rules(e, a, ok) -> None:
    for stage in ("raw_input", "preprocessed", "postprocessed", "model_output"):
        r = compare_arrays(np.array(e, np.float32), np.array(a, np.float32), stage=stage)
        assert r.passed is ok, (stage, e, a)


def test_cosine_rule_model_output() -> None:
    rng = np.random.default_rng(0)
    e = rng.standard_normal(10_000).astype(np.float32)
    good = (e + 0.05 * rng.standard_normal(10_000)).astype(np.float32)
    bad = (e + 0.5 * rng.standard_normal(10_000)).astype(np.float32)
    cos = lambda x: float(np.dot(e.astype(np.float64), x) / np.linalg.norm(e.astype(np.float64)) / np.linalg.norm(x.astype(np.float64)))  # noqa: E731
    rg = compare_arrays(e, good, stage="model_output")
    rb = compare_arrays(e, bad, stage="model_output")
    assert cos(good) >= 0.98 > cos(bad)
    assert rg.passed and not rb.passed
    assert rb.metrics["cosine"] == pytest.approx(cos(bad), rel=1e-9)
    assert rb.metrics["violations"] is None and str(rb.rule) == "cosine >= 0.98"
    assert compare_arrays(e, bad, stage="model_output", cosine=0.5).passed


def test_rtol() -> None:
    e = np.array([1000.0, 1.0])
    a = np.array([1000.5, 1.0])
    assert not compare_arrays(e, a, stage="preprocessed").passed
    r = compare_arrays(e, a, stage="preprocessed", rtol={"preprocessed": 1e-3})
    assert r.passed and str(r.rule) == "|a-e| < 0.0001 + 0.001*|e|"
    assert not compare_arrays(e, a, stage="preprocessed", rtol=4e-4).passed


# ---------------------------------------------------------------- rule resolution


def test_resolve_rule_precedence() -> None:
    assert resolve_rule("raw_input", "x") == Rule("exact")
    assert resolve_rule("preprocessed", "x") == Rule("atol", 1e-4)
    assert resolve_rule("model_output", "x") == Rule("cosine", cosine=0.98)
    atol = {"*": 1.0, "postprocessed": 1e-2, "postprocessed.scores": 1e-5}
    assert resolve_rule("postprocessed", "scores", atol) == Rule("atol", 1e-5)
    assert resolve_rule("postprocessed", "boxes", atol) == Rule("atol", 1e-2)
    assert resolve_rule("raw_input", "image", atol) == Rule("atol", 1.0)
    assert resolve_rule("model_output", "o", cosine={"model_output.o": 0.9}, atol={"*": 1}) == Rule("cosine", cosine=0.9)
    assert resolve_rule("model_output", "o", atol={"model_output": 0.1}) == Rule("atol", 0.1)
    with pytest.raises(ValueError, match="both"):
        resolve_rule("model_output", "o", atol={"model_output": 0.1}, cosine={"model_output": 0.9})
    with pytest.raises(ValueError, match="unknown stage"):
        resolve_rule("preprocessed", "x", atol={"preprocesed": 1})
    with pytest.raises(ValueError):
        resolve_rule("preprocessed", "x", atol=-1)
    with pytest.raises(ValueError):
        resolve_rule("preprocessed", "x", cosine=1.5)


def test_parse_override_options() -> None:
    assert parse_override_options(["preprocessed=1e-3", "postprocessed.scores=0.01", "2"], "atol") == {
        "preprocessed": 1e-3, "postprocessed.scores": 0.01, "*": 2.0,
    }
    assert parse_override_options(["postprocessed.a=b=0.5"], "atol") == {"postprocessed.a=b": 0.5}
    for bad in (["preprocessed="], ["x=1"], ["preprocessed=abc"], ["=1"]):
        with pytest.raises(ValueError):
            parse_override_options(bad, "atol")


# ---------------------------------------------------------------- detections


def dets(*rows) -> np.ndarray:
    return np.array(rows, np.float32).reshape(-1, 6)


def test_swapped_equal_score_detections_pass() -> None:
    e = dets([10, 10, 50, 50, 0.8, 0], [100, 100, 150, 160, 0.8, 0], [5, 5, 9, 9, 0.3, 2])
    a = e[[1, 0, 2]]
    r = compare_arrays(e, a, stage="postprocessed", kind="detections")
    assert r.passed, r.to_text()
    assert [(p["expected_index"], p["actual_index"]) for p in r.detections["matched"]] == [(0, 1), (1, 0), (2, 2)]
    # the same reordering without detection matching fails
    assert not compare_arrays(e, a, stage="postprocessed").passed


def test_missing_and_unexpected_detection() -> None:
    e = dets([10, 10, 50, 50, 0.9, 1], [60, 60, 90, 90, 0.7, 3])
    a = dets([10, 10, 50, 50, 0.9, 1], [200, 200, 220, 220, 0.4, 3])
    r = compare_arrays(e, a, stage="postprocessed", kind="detections")
    assert not r.passed and r.status == "fail"
    assert [u["index"] for u in r.detections["unmatched_expected"]] == [1]
    assert [u["index"] for u in r.detections["unmatched_actual"]] == [1]
    assert "missing: expected #1" in r.to_text()
    r = compare_arrays(e, e[:1], stage="postprocessed", kind="detections")
    assert not r.passed and len(r.detections["unmatched_expected"]) == 1 and r.status == "fail"


def test_detection_class_must_match_and_tolerance_applies() -> None:
    e = dets([10, 10, 50, 50, 0.9, 1])
    assert not compare_arrays(e, dets([10, 10, 50, 50, 0.9, 2]), stage="postprocessed", kind="detections").passed
    near = dets([10.0005, 10, 50, 50, 0.9005, 1])
    assert compare_arrays(e, near, stage="postprocessed", kind="detections").passed
    far = dets([10.01, 10, 50, 50, 0.9, 1])
    r = compare_arrays(e, far, stage="postprocessed", kind="detections")
    assert not r.passed and r.detections["unmatched_expected"] == []
    assert r.first_violations[0]["index"] == {"det": 0, "field": "x1"}
    assert not r.detections["matched"][0]["ok"]


def test_detection_greedy_prefers_greater_iou() -> None:
    e = dets([0, 0, 10, 10, 0.9, 0], [0, 0, 12, 10, 0.8, 0])
    a = dets([0, 0, 12, 10, 0.8, 0], [0, 0, 10, 10, 0.9, 0])
    r = compare_arrays(e, a, stage="postprocessed", kind="detections")
    assert r.passed
    assert sorted((p["expected_index"], p["actual_index"]) for p in r.detections["matched"]) == [(0, 1), (1, 0)]


def test_empty_detections() -> None:
    z = np.zeros((0, 6), np.float32)
    assert compare_arrays(z, z, stage="postprocessed", kind="detections").passed
    assert not compare_arrays(z, dets([0, 0, 1, 1, 0.5, 0]), stage="postprocessed", kind="detections").passed


# ---------------------------------------------------------------- capture sets


def write(path: Path, tensors) -> Path:
    w = CaseWriter(path)
    for stage, name, arr, kw in tensors:
        w.add(stage, name, arr, **kw)
    w.commit()
    return path


@pytest.fixture()
def ref_case(tmp_path):
    rng = np.random.default_rng(5)
    t = {
        "raw": rng.integers(0, 256, (8, 10, 3), dtype=np.uint8),
        "pre": rng.random((1, 3, 8, 8)).astype(np.float32),
        "out": rng.standard_normal((1, 84, 20)).astype(np.float32),
        "det": dets([1, 1, 5, 5, 0.9, 0], [2, 2, 6, 7, 0.9, 0]),
    }
    spec = [
        ("raw_input", "image", t["raw"], {"layout": "HWC", "color": "BGR"}),
        ("preprocessed", "images", t["pre"], {"layout": "NCHW"}),
        ("model_output", "output0", t["out"], {}),
        ("postprocessed", "detections", t["det"], {"kind": "detections"}),
    ]
    return write(tmp_path / "ref", spec), spec, t


def test_identical_capture_sets_are_aligned(ref_case, tmp_path) -> None:
    ref, spec, _ = ref_case
    act = write(tmp_path / "act", spec)
    r = compare(ref, act)
    assert r.aligned and bool(r)
    assert [t.status for t in r.tensors] == ["pass"] * 4
    d = r.to_dict()
    assert d["schema"] == "pyalign.compare" and d["summary"] == {"tensors": 4, "passed": 4, "failed": 0, "not_compared": 0}
    json.loads(r.to_json())
    assert pyalign.compare(ref, act).aligned


def test_bare_directory_actual(ref_case, tmp_path) -> None:
    ref, spec, t = ref_case
    bare = tmp_path / "board"
    bare.mkdir()
    pre = t["pre"].copy()
    pre[0, 2, 7, 1] += 5e-4
    pre.tofile(bare / "preprocessed.bin")
    t["det"][::-1].tofile(bare / "postprocessed.bin")
    r = compare(ref, bare, stages=["preprocessed", "postprocessed"])
    by = {(x.stage, x.name): x for x in r.tensors}
    assert by[("postprocessed", "detections")].passed
    pr = by[("preprocessed", "images")]
    assert not pr.passed and pr.metrics["max_abs_index"] == {"n": 0, "c": 2, "y": 7, "x": 1}
    assert not r.aligned
    # without --stage the stages the board did not write are not compared; --require-all makes them missing
    r = compare(ref, bare)
    st = {(x.stage, x.name): x.status for x in r.tensors}
    assert st[("raw_input", "image")] == "not_compared" and st[("model_output", "output0")] == "not_compared"
    r = compare(ref, bare, require_all=True)
    st = {(x.stage, x.name): x.status for x in r.tensors}
    assert st[("raw_input", "image")] == "missing" and st[("model_output", "output0")] == "missing"


def test_bare_directory_wrong_file_size_is_an_input_error(ref_case, tmp_path) -> None:
    ref, _, t = ref_case
    bare = tmp_path / "board"
    bare.mkdir()
    t["pre"].ravel()[:-1].tofile(bare / "preprocessed.bin")
    with pytest.raises(CaptureError):
        compare(ref, bare)


def test_missing_extra_shape_dtype(ref_case, tmp_path) -> None:
    ref, spec, t = ref_case
    act_spec = [
        ("raw_input", "image", t["raw"], {"layout": "HWC", "color": "BGR"}),
        ("preprocessed", "images", t["pre"].astype(np.float64), {"layout": "NCHW"}),
        ("model_output", "output0", t["out"].reshape(1, 20, 84), {}),
        ("model_output", "output1", t["out"], {}),
    ]
    r = compare(ref, write(tmp_path / "act", act_spec))
    st = {(x.stage, x.name): x.status for x in r.tensors}
    assert st == {
        ("raw_input", "image"): "pass",
        ("preprocessed", "images"): "dtype_mismatch",
        ("model_output", "output0"): "shape_mismatch",
        ("postprocessed", "detections"): "not_compared",
        ("model_output", "output1"): "extra",
    }
    assert not r.aligned
    dm = next(x for x in r.tensors if x.status == "dtype_mismatch")
    assert dm.metrics["max_abs_diff"] == 0.0  # same values, compared in float64
    text = r.to_text()
    for word in ("DTYPE_MISMATCH", "SHAPE_MISMATCH", "NOT_COMPARED", "EXTRA", "MISALIGNED: 1 of 4 tensors pass (1 not compared)"):
        assert word in text
    text = compare(ref, tmp_path / "act", require_all=True).to_text()
    for word in ("MISSING", "MISALIGNED: 1 of 5"):
        assert word in text


def test_overrides_through_compare(ref_case, tmp_path) -> None:
    ref, spec, t = ref_case
    pre = t["pre"].copy()
    pre += 5e-4
    act_spec = [s if s[1] != "images" else (s[0], s[1], pre, s[3]) for s in spec]
    act = write(tmp_path / "act", act_spec)
    assert not compare(ref, act).aligned
    assert compare(ref, act, atol={"preprocessed": 1e-3}).aligned
    assert compare(ref, act, atol={"preprocessed.images": 1e-3}).aligned
    assert not compare(ref, act, atol={"preprocessed.other": 1e-3}).aligned
    with pytest.raises(ValueError):
        compare(ref, act, atol={"nostage": 1})


def test_diagnosis_failure_is_a_note(ref_case, tmp_path, monkeypatch) -> None:
    import pyalign.diagnose as diagnose

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(diagnose, "diagnose_tensor", boom)
    ref, spec, t = ref_case
    act_spec = [s if s[1] != "image" else (s[0], s[1], t["raw"] ^ 1, s[3]) for s in spec]
    r = compare(ref, write(tmp_path / "act", act_spec))
    bad = next(x for x in r.tensors if x.name == "image")
    assert bad.status == "fail" and bad.diagnosis == []
    assert any("kaboom" in n for n in bad.notes)


def test_diagnosis_receives_the_contract_context(ref_case, tmp_path, monkeypatch) -> None:
    import pyalign.diagnose as diagnose

    seen = []

    class Hyp:
        name = "h"

        def to_dict(self):
            return {"name": "h"}

        def __str__(self):
            return "h: explained"

    def fake(result, expected, actual, context):
        seen.append((result.name, expected.shape, actual.shape, sorted(context)))
        return [Hyp()]

    monkeypatch.setattr(diagnose, "diagnose_tensor", fake)
    ref, spec, t = ref_case
    act_spec = [s if s[1] != "image" else (s[0], s[1], t["raw"] ^ 1, s[3]) for s in spec]
    r = compare(ref, write(tmp_path / "act", act_spec))
    assert seen == [("image", (8, 10, 3), (8, 10, 3), ["actual_case", "record", "reference_case"])]
    bad = next(x for x in r.tensors if x.name == "image")
    assert bad.to_dict()["diagnosis"] == [{"name": "h"}]
    assert "h: explained" in r.to_text()
    assert compare(ref, write(tmp_path / "act2", act_spec), diagnose=False).tensors[0].diagnosis == []


def test_junit_is_valid_xml(ref_case, tmp_path) -> None:
    ref, spec, t = ref_case
    act_spec = [s if s[1] != "image" else (s[0], s[1], t["raw"] ^ 1, s[3]) for s in spec]
    r = compare(ref, write(tmp_path / "act", act_spec), diagnose=False)
    root = ET.fromstring(r.to_junit())
    cases = root.findall(".//testcase")
    assert len(cases) == 4
    fails = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in fails] == ["raw_input/image"]
    assert root.find("testsuite").get("failures") == "1"


def test_json_is_strict_with_infinities(ref_case, tmp_path) -> None:
    ref, spec, _ = ref_case
    r = compare(ref, write(tmp_path / "act", spec))
    d = json.loads(r.to_json())  # allow_nan=False inside: would raise on inf
    pre = next(x for x in d["tensors"] if x["stage"] == "preprocessed")
    assert pre["metrics"]["snr_db"] == "inf"
    for key in ("violations", "violation_pct", "max_abs_diff", "max_abs_index", "expected_at_max", "actual_at_max",
                "mean_abs_diff", "rmse", "max_rel_diff", "cosine", "snr_db", "min_atol_to_pass", "histogram",
                "nan_expected", "nan_actual", "inf_expected", "inf_actual", "nonfinite_mismatch"):
        assert key in pre["metrics"]


def test_assert_aligned_arrays_and_cases(ref_case, tmp_path) -> None:
    e = np.zeros((2, 2), np.float32)
    assert_aligned(e + 5e-5, e, stage="preprocessed")
    with pytest.raises(AssertionError, match=r"FAIL .*preprocessed"):
        assert_aligned(e + 2e-4, e, stage="preprocessed", name="x")
    assert_aligned(e + 2e-4, e, stage="preprocessed", atol=1e-3)
    ref, spec, _ = ref_case
    assert_aligned(write(tmp_path / "act", spec), ref)
    assert_aligned(write(tmp_path / "act2", spec[:3]), ref)  # no postprocessed stage: not compared
    with pytest.raises(AssertionError, match="MISSING"):
        assert_aligned(write(tmp_path / "act3", spec[:3]), ref, require_all=True)
    assert pyalign.assert_aligned is assert_aligned

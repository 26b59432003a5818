"""Unit tests of the pytest plugin's option parsing, rule layering and result summary."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from pyalign.pytest_plugin.options import OptionError, make_settings, normalize_rules, parse_rule_items, rule_for
from pyalign.pytest_plugin.results import build_report, format_metric, json_safe, summarize, summary_lines, write_json


def test_parse_rule_items_keys_and_values() -> None:
    got = parse_rule_items("atol", ["preprocessed=1e-3", "model_output.out0=0.5,2e-4"], "--pyalign-atol")
    assert got == {"preprocessed": 1e-3, "model_output.out0": 0.5, "*": 2e-4}
    assert parse_rule_items("rtol", ["*=0.5"], "--pyalign-rtol") == {"*": 0.5}


@pytest.mark.parametrize(
    "kind, item, message",
    [
        ("atol", "preprocesed=1e-3", "unknown stage 'preprocesed'"),
        ("atol", "preprocessed=abc", "'abc' is not a number"),
        ("atol", "preprocessed=-1", "atol must be a finite number >= 0"),
        ("atol", "inf", "atol must be a finite number >= 0"),
        ("rtol", "nan", "NaN is not a tolerance"),
        ("cosine", "model_output=1.5", "cosine must be in [0, 1]"),
        ("atol", "preprocessed.=1", "empty tensor name"),
    ],
)
def test_parse_rule_items_errors(kind: str, item: str, message: str) -> None:
    with pytest.raises(OptionError) as info:
        parse_rule_items(kind, [item], f"--pyalign-{kind}")
    assert message in str(info.value)
    assert f"--pyalign-{kind}" in str(info.value)


def test_normalize_rules_numbers_and_mappings() -> None:
    got = normalize_rules({"atol": 0.1, "cosine": {"model_output": 0.9}, "rtol": None}, "marker")
    assert got == {"atol": {"*": 0.1}, "cosine": {"model_output": 0.9}}
    with pytest.raises(OptionError, match="both cosine and atol/rtol given for 'model_output'"):
        normalize_rules({"atol": {"model_output": 0.1}, "cosine": {"model_output": 0.9}}, "marker")
    with pytest.raises(OptionError, match="unknown stage"):
        normalize_rules({"atol": {"bogus": 1}}, "marker")
    with pytest.raises(OptionError, match="not a number"):
        normalize_rules({"atol": True}, "marker")


def test_rule_for_first_layer_with_a_matching_key_wins() -> None:
    call = normalize_rules({}, "call")
    marker = normalize_rules({"atol": {"preprocessed": 0.1, "preprocessed.images": 0.2}}, "marker")
    options = normalize_rules({"cosine": {"model_output": 0.9}, "atol": 1.0}, "options")
    layers = [call, marker, options]
    # only the keys that apply to the tensor; the comparator picks the most specific
    assert rule_for(layers, "preprocessed", "images") == ({"atol": {"preprocessed": 0.1, "preprocessed.images": 0.2}}, 1)
    assert rule_for(layers, "preprocessed", "other") == ({"atol": {"preprocessed": 0.1}}, 1)
    # the marker says nothing about model_output: the options layer gives its whole rule
    assert rule_for(layers, "model_output", "out0") == ({"atol": {"*": 1.0}, "cosine": {"model_output": 0.9}}, 2)
    # nothing anywhere: the comparator's default
    assert rule_for([call], "model_output", "out0") == ({}, -1)


def test_rule_layers_resolve_in_the_comparator() -> None:
    from pyalign.compare.comparator import compare_arrays

    layers = [normalize_rules({"cosine": {"model_output": 0.9}, "atol": 1.0}, "options")]
    rules, _ = rule_for(layers, "model_output", "out0")
    e = np.ones(8, np.float32)
    assert compare_arrays(e, e, stage="model_output", name="out0", **rules).rule.kind == "cosine"
    rules, _ = rule_for(layers, "preprocessed", "x")
    r = compare_arrays(e, e + np.float32(0.5), stage="preprocessed", name="x", **rules)
    assert r.rule.kind == "atol" and r.rule.atol == 1.0 and r.passed


def test_make_settings_paths_and_precedence(tmp_path: Path) -> None:
    inv, ini = tmp_path / "inv", tmp_path / "ini"
    s = make_settings(
        captures_opt=None,
        captures_ini="caps",
        report_opt="out/r.json",
        report_ini="ignored.html",
        rule_opts={"atol": ["preprocessed=0.5"]},
        rule_inis={"atol": ["preprocessed=0.1", "postprocessed=0.2"], "cosine": ["0.95"]},
        invocation_dir=inv,
        ini_dir=ini,
    )
    assert s.captures == ini / "caps"
    assert s.report == inv / "out" / "r.json"
    assert s.overrides == {"atol": {"preprocessed": 0.5, "postprocessed": 0.2}, "cosine": {"*": 0.95}}
    assert s.active
    empty = make_settings(
        captures_opt=None, captures_ini=None, report_opt=None, report_ini=None,
        rule_opts={}, rule_inis={}, invocation_dir=inv, ini_dir=ini,
    )
    assert not empty.active and empty.overrides == {}
    with pytest.raises(OptionError, match="both cosine and atol/rtol given for 'model_output'"):
        make_settings(
            captures_opt="c", captures_ini=None, report_opt=None, report_ini=None,
            rule_opts={"atol": ["model_output=1"]}, rule_inis={"cosine": ["model_output=0.9"]},
            invocation_dir=inv, ini_dir=ini,
        )
    with pytest.raises(OptionError, match=r"must end in \.json or \.html"):
        make_settings(
            captures_opt="c", captures_ini=None, report_opt="r.txt", report_ini=None,
            rule_opts={}, rule_inis={}, invocation_dir=inv, ini_dir=ini,
        )


def _rec(case: str, stage: str, name: str, passed: bool, metric: dict) -> dict:
    return {"nodeid": f"t.py::t[{case}]", "case": case, "case_dir": f"/c/{case}", "stage": stage, "name": name,
            "passed": passed, "status": "pass" if passed else "fail", "rule": "r", "rule_source": "default",
            "worst": metric, "text": None, "result": {}}


def test_summarize_groups_verdicts_and_worst_metric() -> None:
    records = [
        _rec("b", "postprocessed", "det", True, {"name": "max_abs_diff", "value": 0.0}),
        _rec("a", "model_output", "out0", True, {"name": "cosine", "value": 0.999}),
        _rec("a", "model_output", "out1", True, {"name": "cosine", "value": 0.991}),
        _rec("a", "preprocessed", "img", True, {"name": "max_abs_diff", "value": 1e-5}),
        _rec("a", "preprocessed", "img", False, {"name": "max_abs_diff", "value": 0.5}),
        _rec("a", "preprocessed", "img", True, {"name": "max_abs_diff", "value": 0.7}),  # passes a looser rule
    ]
    rows = summarize(records)
    assert [(r["case"], r["stage"], r["verdict"]) for r in rows] == [
        ("a", "preprocessed", "FAIL"), ("a", "model_output", "PASS"), ("b", "postprocessed", "PASS"),
    ]
    pre, mo, post = rows
    assert (pre["checks"], pre["failed"]) == (3, 1)
    assert pre["worst_text"] == "max|diff| 0.5"  # the failing check decides; one tensor: no name
    assert mo["worst_text"] == "cosine 0.991 (out1)"
    assert post["worst_text"] == "max|diff| 0"
    lines = summary_lines(rows)
    assert lines[0].split() == ["case", "stage", "verdict", "checks", "worst", "metric"]
    assert lines[1].split()[:4] == ["a", "preprocessed", "FAIL", "2/3"]


def test_format_metric_and_json_safe(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    assert format_metric({"name": "max_abs_diff", "value": 2.4e-05}) == "max|diff| 2.4e-05"
    assert format_metric({"name": "status", "value": "shape_mismatch"}) == "shape_mismatch"
    data = {"a": np.float32(1.5), "b": np.arange(3), "c": (1, float("nan")), "d": float("-inf"), "p": tmp_path}
    assert json_safe(data) == {"a": 1.5, "b": [0, 1, 2], "c": [1, "nan"], "d": "-inf", "p": str(tmp_path)}
    report = build_report([_rec("a", "preprocessed", "img", False, {"name": "max_abs_diff", "value": math.inf})],
                          [{"nodeid": "t.py::t[a]", "case": "a", "outcome": "failed", "when": "call"}], captures=None)
    write_json(report, tmp_path / "r.json")
    back = json.loads((tmp_path / "r.json").read_text())
    assert back["aligned"] is False
    assert back["counts"] == {"cases": 1, "checks": 1, "passed": 0, "failed": 1, "tests": 1, "tests_failed": 1}
    assert back["checks"][0]["worst"]["value"] == "inf"


def test_summarize_lists_failed_tests_without_failing_checks() -> None:
    records = [_rec("a", "preprocessed", "img", True, {"name": "max_abs_diff", "value": 0.0}),
               _rec("b", "preprocessed", "img", False, {"name": "max_abs_diff", "value": 1.0})]
    tests = [
        {"nodeid": "t.py::t[a]", "case": "a", "outcome": "failed", "when": "call"},      # failed after its check
        {"nodeid": "t.py::u[a]", "case": "a", "outcome": "failed", "when": "setup"},     # board crashed
        {"nodeid": "t.py::t[b]", "case": "b", "outcome": "failed", "when": "call"},      # its check failed
        {"nodeid": "t.py::v[b]", "case": "b", "outcome": "passed"},
    ]
    rows = summarize(records, tests)
    assert [(r["case"], r["stage"], r["verdict"]) for r in rows] == [
        ("a", "preprocessed", "PASS"), ("a", "(other)", "FAIL"), ("b", "preprocessed", "FAIL"),
    ]
    assert rows[1]["worst_text"] == "t failed (call); u failed (setup)"


_KEYS = ["*", "preprocessed", "preprocessed.images", "preprocessed.other", "model_output", "model_output.out0"]


def _layer_strategy():
    from hypothesis import strategies as st

    values = st.sampled_from([0.0, 1e-4, 0.5, 0.9, 1.0])
    keys = st.sampled_from(_KEYS)
    return st.fixed_dictionaries(
        {},
        optional={k: st.dictionaries(keys, values, max_size=3) for k in ("atol", "rtol", "cosine")},
    )


def test_rule_for_property_first_relevant_layer_and_harmless_filtering() -> None:
    """Random rule layers: the chosen layer is the first with a key for the tensor, and handing the
    comparator only that layer's relevant keys decides the same rule as handing it the whole layer."""
    from hypothesis import given, settings, strategies as st

    from pyalign.compare.rules import resolve_rule

    @settings(max_examples=300, deadline=None)
    @given(st.lists(_layer_strategy(), max_size=4), st.sampled_from([("preprocessed", "images"), ("model_output", "out0"), ("postprocessed", "detections")]))
    def run(layers, tensor):
        stage, name = tensor
        relevant = {"*", stage, f"{stage}.{name}"}
        layers = [{k: v for k, v in layer.items() if v} for layer in layers]
        rules, index = rule_for(layers, stage, name)
        expected_index = next((i for i, layer in enumerate(layers)
                               if any(relevant & set(entries) for entries in layer.values())), -1)
        assert index == expected_index
        if index < 0:
            assert rules == {}
            return
        whole = layers[index]
        assert all(set(entries) <= relevant and entries for entries in rules.values())
        assert {k: {kk: vv for kk, vv in v.items() if kk in relevant} for k, v in whole.items()
                if relevant & set(v)} == rules
        try:
            want = resolve_rule(stage, name, **whole)
        except ValueError as e:          # cosine and atol at the same level: the same conflict either way
            with pytest.raises(ValueError, match="both cosine and atol/rtol"):
                resolve_rule(stage, name, **rules)
            assert "both cosine and atol/rtol" in str(e)
            return
        assert resolve_rule(stage, name, **rules) == want

    run()

"""The plugin's report files: JSON or HTML by suffix, written atomically."""
from __future__ import annotations

import json
import math
from pathlib import Path

from pyalign.pytest_plugin.report import write_report
from pyalign.pytest_plugin.results import write_json, write_text_atomic


def _rec(case: str, passed: bool, value: float) -> dict:
    return {"nodeid": f"t.py::t[{case}]", "case": case, "case_dir": f"/c/{case}", "stage": "preprocessed",
            "name": "img", "passed": passed, "status": "pass" if passed else "fail", "rule": "r",
            "rule_source": "default", "worst": {"name": "max_abs_diff", "value": value}, "text": None, "result": {}}


def test_write_text_atomic_creates_directories_and_leaves_no_temporary(tmp_path: Path) -> None:
    p = tmp_path / "a" / "b" / "out.txt"
    write_text_atomic(p, "caf\u00e9\n")
    assert p.read_bytes() == "caf\u00e9\n".encode("utf-8")
    write_text_atomic(p, "second")
    assert p.read_text(encoding="utf-8") == "second"
    assert sorted(x.name for x in p.parent.iterdir()) == ["out.txt"]


def test_write_json_is_strict(tmp_path: Path) -> None:
    p = tmp_path / "r.json"
    write_json({"x": math.inf, "y": [1, 2]}, p)
    text = p.read_text(encoding="utf-8")
    assert text.endswith("\n") and "Infinity" not in text
    assert json.loads(text)["y"] == [1, 2]


def test_write_report_picks_the_format_by_suffix(tmp_path: Path) -> None:
    records = [_rec("a", True, 0.0), _rec("b", False, 0.5)]
    tests = [{"nodeid": "t.py::t[b]", "case": "b", "outcome": "failed", "when": "call"}]
    report = write_report(tmp_path / "out" / "r.json", records, tests, captures=tmp_path)
    assert json.loads((tmp_path / "out" / "r.json").read_text(encoding="utf-8")) == json.loads(
        json.dumps(report))
    assert report["aligned"] is False and report["captures"] == str(tmp_path)
    same = write_report(tmp_path / "out" / "r.html", records, tests, captures=tmp_path)
    assert same == report
    page = (tmp_path / "out" / "r.html").read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html") and "</html>" in page
    assert sorted(x.name for x in (tmp_path / "out").iterdir()) == ["r.html", "r.json"]

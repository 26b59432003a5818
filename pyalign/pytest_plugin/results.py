"""What the pytest plugin records of each check, and the summary and report it makes of them.

Every ``pyalign_check`` call leaves one *check record*: a JSON-safe dict (so
that pytest-xdist workers can send it to the controller) with the test, the
case, the tensor, the verdict, the rule, the worst metric and the
comparator's full ``TensorResult.to_dict()``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from pyalign.compare.rules import Rule
from pyalign.errors import printable
from pyalign.jsonsafe import json_safe  # noqa: F401  (re-exported)
from pyalign.pytest_plugin.options import STAGES

REPORT_FORMAT = "pyalign.pytest-report"
REPORT_VERSION = 1


def _as_float(value: Any) -> Optional[float]:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def worst_metric(result: Any) -> Dict[str, Any]:
    """The one metric that says how close a tensor came to its rule.

    ``cosine`` for a cosine rule (lower is worse), ``max_abs_diff`` otherwise
    (higher is worse), or the status when the tensors could not be compared.

    Parameters
    ----------
    result : TensorResult
        The comparator's result for one tensor (read through ``status``, ``metrics``
        and ``rule``; missing attributes are tolerated).

    Returns
    -------
    dict
        ``{"name": ..., "value": ...}``, with ``"index"`` for ``max_abs_diff`` when known.
    """
    status = str(getattr(result, "status", "fail"))
    metrics = getattr(result, "metrics", None) or {}
    rule = getattr(result, "rule", None)
    headline = rule.spec.headline if isinstance(rule, Rule) else None
    if status not in ("pass", "fail"):
        return {"name": "status", "value": status}
    if headline is not None and headline != "max_abs_diff" and metrics.get(headline) is not None:
        return {"name": headline, "value": _as_float(metrics.get(headline))}
    if metrics.get("max_abs_diff") is not None:
        out: Dict[str, Any] = {"name": "max_abs_diff", "value": _as_float(metrics.get("max_abs_diff"))}
        if metrics.get("max_abs_index") is not None:
            out["index"] = json_safe(metrics.get("max_abs_index"))
        return out
    if metrics.get("cosine") is not None:
        return {"name": "cosine", "value": _as_float(metrics.get("cosine"))}
    return {"name": "status", "value": status}


def make_record(
    result: Any,
    *,
    nodeid: str,
    case_id: str,
    case_dir: str,
    stage: str,
    name: str,
    rule_source: str,
    actual_dir: Optional[str] = None,
) -> Dict[str, Any]:
    """Build the JSON-safe record of one check from the comparator's ``TensorResult``.

    ``actual_dir`` is the directory the actual tensor was read from, when the
    test passed one (the HTML report then draws the actual tensor too).

    Parameters
    ----------
    result : TensorResult
        The comparator's result for the tensor.
    nodeid : str
        The pytest node id of the test that made the check.
    case_id : str
        The capture case's name.
    case_dir : str
        The capture case's directory.
    stage : str
        The data-path stage (``raw_input``, ``preprocessed``, ...).
    name : str
        The tensor name.
    rule_source : str
        Where the rule came from: ``call``, ``marker``, ``options`` or ``default``.
    actual_dir : str, optional
        Directory of the actual tensor.

    Returns
    -------
    dict
        JSON-safe record: verdict, status, rule, worst metric, text report, diagnosis and
        the full ``result.to_dict()``.
    """
    rule = getattr(result, "rule", None)
    passed = bool(getattr(result, "passed", False))
    try:
        full = json_safe(result.to_dict())
    except Exception as e:  # a report must not hide the verdict
        full = {"error": f"to_dict failed: {e}"}
    text = None
    if not passed:
        try:
            text = str(result.to_text())
        except Exception as e:
            text = f"to_text failed: {e}"
    return {
        "nodeid": nodeid,
        "case": case_id,
        "case_dir": case_dir,
        "stage": stage,
        "name": name,
        "passed": passed,
        "status": str(getattr(result, "status", "pass" if passed else "fail")),
        "rule": str(rule) if rule is not None else None,
        "rule_source": rule_source,
        "worst": json_safe(worst_metric(result)),
        "text": text,
        "diagnosis": [str(h) for h in (getattr(result, "diagnosis", None) or [])],
        "actual_dir": actual_dir,
        "result": full,
    }


def format_metric(metric: Mapping[str, Any]) -> str:
    """Short text of a worst metric: ``max|diff| 2.4e-05``, ``cosine 0.9931``.

    Parameters
    ----------
    metric : dict
        ``{"name": ..., "value": ...}`` as made by :func:`worst_metric`.

    Returns
    -------
    str
    """
    name, value = metric.get("name"), metric.get("value")
    if name == "status":
        return str(value)
    if isinstance(value, float):
        text = f"{value:.6g}"
    else:
        text = str(value)
    label = "max|diff|" if name == "max_abs_diff" else str(name)
    return f"{label} {text}"


def _worse(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether metric ``a`` is worse than ``b`` (same name)."""
    va, vb = _as_float(a.get("value")), _as_float(b.get("value"))
    if va is None or math.isnan(va):
        return True
    if vb is None or math.isnan(vb):
        return False
    return va < vb if a.get("name") == "cosine" else va > vb


OTHER_STAGE = "(other)"


def summarize(
    records: Iterable[Mapping[str, Any]], tests: Iterable[Mapping[str, Any]] = ()
) -> List[Dict[str, Any]]:
    """Group check records by case × stage: verdict, counts and worst metric per kind.

    Parameters
    ----------
    records : iterable of dict
        Check records.
    tests : iterable of dict, optional
        Test outcomes (``nodeid``, ``case``, ``outcome``, ``when``). A failed test
        with no failing check (the board program crashed, a plain ``assert``
        failed, the capture set is invalid) adds a ``FAIL`` row with stage
        ``(other)`` to its case, so that no failure is missing from the table.

    Returns
    -------
    list of dict
        Sorted by case then stage (data-path order), each
        ``{"case", "stage", "verdict": "PASS"|"FAIL", "checks", "failed", "worst": [metrics], "worst_text"}``.
        Within a group failing checks decide the worst metric when there are any.
    """
    records = list(records)
    groups: Dict[Tuple[str, str], List[Mapping[str, Any]]] = {}
    for r in records:
        groups.setdefault((str(r["case"]), str(r["stage"])), []).append(r)
    failing_nodes = {r["nodeid"] for r in records if not r.get("passed")}
    others: Dict[str, List[Mapping[str, Any]]] = {}
    for t in tests:
        if t.get("outcome") == "failed" and t.get("case") and t["nodeid"] not in failing_nodes:
            others.setdefault(str(t["case"]), []).append(t)
    rows: List[Dict[str, Any]] = []
    for (case, stage), recs in groups.items():
        failed = [r for r in recs if not r.get("passed")]
        pool = failed or recs
        worst: Dict[str, Dict[str, Any]] = {}
        for r in pool:
            m = dict(r.get("worst") or {"name": "status", "value": r.get("status")})
            tensor = r.get("name")
            m["tensor"] = tensor
            key = str(m.get("name"))
            if key == "status":
                key = f"status:{m.get('value')}"
            if key not in worst or _worse(m, worst[key]):
                worst[key] = m
        metrics = list(worst.values())
        rows.append(
            {
                "case": case,
                "stage": stage,
                "verdict": "FAIL" if failed else "PASS",
                "checks": len(recs),
                "failed": len(failed),
                "worst": metrics,
                "worst_text": "; ".join(
                    _metric_with_tensor(m, len({r.get("name") for r in recs})) for m in metrics
                ),
            }
        )
    for case, failed_tests in others.items():
        names = [f"{_test_name(t['nodeid'])} failed ({t.get('when', 'call')})" for t in failed_tests]
        rows.append(
            {
                "case": case,
                "stage": OTHER_STAGE,
                "verdict": "FAIL",
                "checks": len(failed_tests),
                "failed": len(failed_tests),
                "worst": [{"name": "status", "value": "test failed"}],
                "worst_text": "; ".join(sorted(names)),
            }
        )
    order = {s: i for i, s in enumerate(STAGES)}
    rows.sort(key=lambda r: (r["case"], order.get(r["stage"], len(order)), r["stage"]))
    return rows


def _test_name(nodeid: str) -> str:
    """``path/test_x.py::Class::test_y[case]`` -> ``test_y``."""
    name = nodeid.rsplit("::", 1)[-1]
    return name.split("[", 1)[0]


def _metric_with_tensor(metric: Mapping[str, Any], n_tensors: int) -> str:
    text = format_metric(metric)
    if metric.get("tensor") and n_tensors > 1:
        text += f" ({metric['tensor']})"
    return text


def summary_lines(rows: Sequence[Mapping[str, Any]]) -> List[str]:
    """Render the case × stage table as text lines.

    Parameters
    ----------
    rows : sequence of dict
        The rows of :func:`summarize`.

    Returns
    -------
    list of str
        A header line, then one line per row; columns padded to a common width.
    """
    header = ("case", "stage", "verdict", "checks", "worst metric")
    table = [header] + [
        (
            str(r["case"]),
            str(r["stage"]),
            str(r["verdict"]),
            f"{r['checks'] - r['failed']}/{r['checks']}",
            str(r["worst_text"]),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    lines = []
    for row in table:
        cells = [row[i].ljust(widths[i]) for i in range(len(widths))] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
    return [printable(line) for line in lines]  # case ids and tensor names: escaped for the terminal


def build_report(
    records: Sequence[Mapping[str, Any]],
    tests: Sequence[Mapping[str, Any]],
    *,
    captures: Optional[Path],
) -> Dict[str, Any]:
    """The JSON report: every check, the case × stage summary and the test outcomes.

    Parameters
    ----------
    records : sequence of dict
        Check records (see :func:`make_record`), from every worker.
    tests : sequence of dict
        ``{"nodeid", "case", "outcome", "when"}`` of each test that used a case.
    captures : Path or None
        The captures directory.
    """
    rows = summarize(records, tests)
    ordered = sorted(records, key=lambda r: (str(r["case"]), str(r["nodeid"])))
    failed_tests = [t for t in tests if t.get("outcome") == "failed"]
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "captures": str(captures) if captures is not None else None,
        "aligned": all(r.get("passed") for r in records) and not failed_tests,
        "counts": {
            "cases": len({r["case"] for r in records} | {t["case"] for t in tests if t.get("case")}),
            "checks": len(records),
            "passed": sum(1 for r in records if r.get("passed")),
            "failed": sum(1 for r in records if not r.get("passed")),
            "tests": len(tests),
            "tests_failed": len(failed_tests),
        },
        "summary": rows,
        "checks": list(ordered),
        "tests": sorted(tests, key=lambda t: str(t["nodeid"])),
    }


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text to ``path`` atomically (temporary name, then rename), creating its directory.

    Parameters
    ----------
    path : Path
        Destination file.
    text : str
        The content.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_json(report: Mapping[str, Any], path: Path) -> None:
    """Write the report as strict JSON (atomically: temporary name, then rename).

    Parameters
    ----------
    report : dict
        The report (see :func:`build_report`); made JSON-safe with :func:`json_safe`.
    path : Path
        Destination file.
    """
    write_text_atomic(path, json.dumps(json_safe(report), indent=2, allow_nan=False) + "\n")

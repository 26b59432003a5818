"""The pytest plugin's report file: JSON (documented schema) or a self-contained HTML page."""
from __future__ import annotations

import html
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List, Mapping, Optional, Sequence

from pyalign.pytest_plugin.options import STAGES
from pyalign.pytest_plugin.results import build_report, format_metric, write_json, write_text_atomic


def write_report(
    path: Path,
    records: Sequence[Mapping[str, Any]],
    tests: Sequence[Mapping[str, Any]],
    *,
    captures: Optional[Path],
) -> Dict[str, Any]:
    """Build the session's report (:func:`build_report` takes the other arguments) and write it.

    Parameters
    ----------
    path : Path
        ``*.json`` (the JSON document) or anything else (a self-contained HTML page).

    Returns
    -------
    dict
        The report (the JSON document).
    """
    report = build_report(records, tests, captures=captures)
    if path.suffix.lower() == ".json":
        write_json(report, path)
    else:
        write_text_atomic(path, render_report_html(report))
    return report


class _Hypothesis:
    """A diagnosis item rebuilt from a record (text and flags), for the HTML report."""

    def __init__(self, text: str, data: Mapping[str, Any]) -> None:
        self.text = text
        self.explains = bool(data.get("explains", False))
        self.partial = bool(data.get("partial", False))

    def __str__(self) -> str:
        return self.text


def comparison_views(report: Mapping[str, Any]) -> List[SimpleNamespace]:
    """Rebuild ComparisonResult-like objects (one per case and actual directory) from the records.

    They carry what :func:`pyalign.report.html.render_html` reads: ``aligned``,
    ``tensors`` (stage, name, status, passed, rule, metrics, first_violations,
    diagnosis, layout, kind, shape, dtype), ``reference_dir``, ``actual_dir``.
    Records are plain dicts because pytest-xdist workers send them to the controller.
    """
    groups: Dict[tuple, List[Mapping[str, Any]]] = {}
    for rec in report.get("checks", []):
        groups.setdefault((rec["case"], rec.get("case_dir"), rec.get("actual_dir")), []).append(rec)
    views = []
    order = {stage: i for i, stage in enumerate(STAGES)}
    for (case, case_dir, actual_dir), recs in groups.items():
        tensors = []
        for rec in sorted(recs, key=lambda r: (order.get(r["stage"], len(order)), str(r["name"]), str(r["nodeid"]))):
            d = rec.get("result") or {}
            rule = d.get("rule")
            rule_text = rule.get("text") if isinstance(rule, Mapping) else rec.get("rule")
            diag_dicts = list(d.get("diagnosis") or [])
            texts = list(rec.get("diagnosis") or [])
            diagnosis = [
                _Hypothesis(texts[i] if i < len(texts) else str(h.get("description", h)), h)
                for i, h in enumerate(diag_dicts)
            ]
            tensors.append(
                SimpleNamespace(
                    stage=rec["stage"], name=rec["name"], status=rec.get("status"), passed=bool(rec.get("passed")),
                    rule=rule_text, metrics=d.get("metrics"), first_violations=d.get("first_violations") or [],
                    diagnosis=diagnosis, layout=d.get("layout"), kind=d.get("kind"),
                    shape=d.get("shape"), dtype=d.get("dtype"), detections=d.get("detections"),
                    nodeid=rec.get("nodeid"),
                )
            )
        views.append(
            SimpleNamespace(
                aligned=all(t.passed for t in tensors), tensors=tensors, case=case,
                reference_dir=case_dir, actual_dir=actual_dir,
            )
        )
    return views


def render_report_html(report: Mapping[str, Any]) -> str:
    """The HTML page: the case × stage summary, then pyalign's comparison report of every check.

    Uses :func:`pyalign.report.html.render_html` (pictures, heatmaps, diagnosis) when it is
    available, and the plugin's own plain page (:func:`render_html`) otherwise.
    """
    try:
        from pyalign.report.html import render_html as render_comparison
    except ImportError:
        return render_html(report)
    views = comparison_views(report)
    if not views:
        return render_html(report)
    try:
        page = render_comparison(views, title="pyalign test report")
    except Exception:  # the plain page always works
        return render_html(report)
    summary = _summary_html(report)
    cut = page.find("</h1>")
    if cut < 0:
        return page.replace("</body>", summary + "</body>", 1)
    cut += len("</h1>")
    return page[:cut] + summary + page[cut:]


def _summary_html(report: Mapping[str, Any]) -> str:
    return _counts_html(report) + "".join(_summary_table(report, badge=True))


def _counts_html(report: Mapping[str, Any]) -> str:
    """The paragraph with the captures directory and the check and test counts."""
    counts = report.get("counts", {})
    return (
        f"<p>Captures: <code>{_e(report.get('captures'))}</code>. "
        f"{_e(counts.get('checks', 0))} checks on {_e(counts.get('cases', 0))} cases: "
        f"{_e(counts.get('passed', 0))} aligned, {_e(counts.get('failed', 0))} misaligned; "
        f"{_e(counts.get('tests', 0))} tests, {_e(counts.get('tests_failed', 0))} failed.</p>"
    )


def _summary_table(report: Mapping[str, Any], *, badge: bool) -> List[str]:
    """The case × stage table, a piece a row; the verdict as a badge (comparison page) or a coloured cell."""
    out = ["<table><tr><th>case</th><th>stage</th><th>verdict</th><th>checks</th><th>worst metric</th></tr>"]
    for row in report.get("summary", []):
        ok = row["checks"] - row["failed"]
        v = _e(row["verdict"])
        if badge:
            cls = "pass" if row["verdict"] == "PASS" else "fail"
            cell = f'<td><span class="badge {cls} {v}">{v}</span></td>'
        else:
            cell = f'<td class="{v}">{v}</td>'
        out.append(
            f"<tr><td>{_e(row['case'])}</td><td>{_e(row['stage'])}</td>{cell}"
            f"<td>{ok}/{_e(row['checks'])}</td><td>{_e(row['worst_text'])}</td></tr>"
        )
    out.append("</table>")
    return out


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}
.PASS{color:#176f2c;font-weight:bold}.FAIL{color:#b00020;font-weight:bold}
pre{background:#f8f8f8;border:1px solid #ddd;padding:.6em;overflow-x:auto;font-size:90%}
details{margin:.4em 0}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def render_html(report: Mapping[str, Any]) -> str:
    """Render the report as one plain HTML page (no external resources, no pictures).

    Parameters
    ----------
    report : dict
        The JSON report built by :func:`pyalign.pytest_plugin.results.build_report`.
    """
    verdict = "PASS" if report.get("aligned") else "FAIL"
    out: List[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>pyalign test report</title>',
        f"<style>{_CSS}</style></head><body>",
        f'<h1>pyalign test report: <span class="{verdict}">'
        f'{"aligned" if verdict == "PASS" else "misaligned"}</span></h1>',
        _counts_html(report),
        "<h2>Case × stage</h2>",
        *_summary_table(report, badge=False),
        "<h2>Checks</h2>",
    ]
    out.append(
        "<table><tr><th>test</th><th>case</th><th>tensor</th><th>verdict</th>"
        "<th>rule</th><th>worst metric</th></tr>"
    )
    for rec in report.get("checks", []):
        v = "PASS" if rec.get("passed") else "FAIL"
        out.append(
            f"<tr><td>{_e(rec['nodeid'])}</td><td>{_e(rec['case'])}</td>"
            f"<td>{_e(rec['stage'])}.{_e(rec['name'])}</td><td class=\"{v}\">{v}</td>"
            f"<td>{_e(rec.get('rule'))} <small>({_e(rec.get('rule_source'))})</small></td>"
            f"<td>{_e(format_metric(rec.get('worst') or {}))}</td></tr>"
        )
    out.append("</table>")
    failing = [r for r in report.get("checks", []) if not r.get("passed")]
    if failing:
        out.append("<h2>Misaligned tensors</h2>")
        for rec in failing:
            out.append(
                f"<details open><summary>{_e(rec['case'])}: {_e(rec['stage'])}.{_e(rec['name'])} "
                f"({_e(rec['nodeid'])})</summary><pre>{_e(rec.get('text') or '')}</pre></details>"
            )
    failed_tests = [t for t in report.get("tests", []) if t.get("outcome") == "failed"]
    if failed_tests:
        out.append("<h2>Failed tests</h2><ul>")
        for t in failed_tests:
            out.append(f"<li>{_e(t['nodeid'])} ({_e(t.get('when', 'call'))})</li>")
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"

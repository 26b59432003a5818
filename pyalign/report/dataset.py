"""The first page of a dataset report: the summary (pass rates, max |diff| percentiles, worst cases, diagnosis, accuracy).

It renders the summary document of :mod:`pyalign.dataset.summary` (a dict; this module
imports nothing of the dataset package) and a table with one row per case.
"""
from __future__ import annotations

from typing import Any, Callable, List, Mapping, Optional

from pyalign.report.pictures import _e

__all__ = ["summary_section", "case_row", "CASES_HEAD"]

#: The header of the table of cases.
CASES_HEAD = ("<h2>Cases</h2><table><tr><th>case</th><th>verdict</th><th>stages</th><th>max |diff|</th>"
              "<th>diagnosis</th></tr>")


def _num(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return "-"
    try:
        return f"{float(v):.6g}"
    except (TypeError, ValueError):
        return _e(v)


def _rate(k: int, n: int) -> str:
    return f"{k:,} of {n:,} ({100.0 * k / n:.1f}%)" if n else "-"


def _accuracy(a: Mapping[str, Any]) -> str:
    rows: List[str] = []
    d = a.get("detections")
    if d:
        rows.append(f"<tr><td>detections, board vs reference ({d['cases']:,} cases)</td><td class=num>"
                    f"{_num(d.get('map50_95'))}</td><td class=num>{_num(d.get('map50'))}</td><td>"
                    f"{_e(d.get('error') or '')}</td></tr>")
        if "reference_map50_95" in d:
            for side in ("reference", "actual"):
                rows.append(f"<tr><td>detections, {side} vs annotations ({d.get('annotated_cases', 0):,} images)"
                            f"</td><td class=num>{_num(d[f'{side}_map50_95'])}</td><td class=num>"
                            f"{_num(d[f'{side}_map50'])}</td><td></td></tr>")
            rows.append(f"<tr><td>delta (board - reference)</td><td class=num>{_num(d.get('delta_map50_95'))}</td>"
                        "<td></td><td></td></tr>")
    table = ("<table><tr><th>detections</th><th>mAP@0.5:0.95</th><th>mAP@0.5</th><th>note</th></tr>"
             + "".join(rows) + "</table>") if rows else ""
    c = a.get("classification")
    if c:
        table += (f"<p>classification ({c['cases']:,} cases): top-1 agreement {_num(c['top1_agreement'])}, "
                  f"top-5 agreement {_num(c['top5_agreement'])}")
        if "reference_top1_accuracy" in c:
            table += (f"; top-1 accuracy against the labels: reference {_num(c['reference_top1_accuracy'])}, "
                      f"board {_num(c['actual_top1_accuracy'])}")
        table += "</p>"
    s = a.get("segmentation")
    if s:
        table += f"<p>segmentation ({s['cases']:,} cases): mIoU between the sides {_num(s['miou'])}</p>"
    return ("<h2>Accuracy the board loses</h2>" + table) if table else ""


def summary_section(s: Mapping[str, Any], link: Callable[[str], Optional[str]]) -> str:
    """The summary as HTML; ``link(name)`` gives the anchor of a case (or None)."""
    n = int(s.get("cases", 0))
    out = [f"<h2>Dataset summary</h2><p>{n:,} paired case(s), {_rate(int(s.get('aligned', 0)), n)} aligned"]
    if s.get("errors"):
        out.append(f"; {int(s['errors']):,} not comparable (input errors)")
    for key, what in (("only_in_reference", "only in the reference"), ("only_in_actual", "only in the actual")):
        names = s.get(key) or []
        if names:
            out.append(f"; {len(names):,} {what}: " + ", ".join(f"<code>{_e(x)}</code>" for x in names[:20])
                       + (" ..." if len(names) > 20 else ""))
    out.append("</p>")
    stages = s.get("stages") or {}
    if stages:
        out.append("<table><tr><th>stage</th><th>pass rate</th><th>max |diff| p50</th><th>p90</th><th>p99</th>"
                   "<th>max</th></tr>")
        for st, v in stages.items():
            p = v.get("max_diff_percentiles") or {}
            out.append(f"<tr><td>{_e(st)}</td><td>{_rate(v['passed'], v['cases'])}</td>"
                       + "".join(f"<td class=num>{_num(p.get(k))}</td>" for k in ("p50", "p90", "p99", "max"))
                       + "</tr>")
        out.append("</table>")
        for st, v in stages.items():
            if not v.get("worst"):
                continue
            out.append(f"<h3>Worst cases: {_e(st)}</h3><table><tr><th>case</th><th>max |diff|</th><th>verdict</th>"
                       "<th>reference</th><th>actual</th></tr>")
            for w in v["worst"]:
                href = link(str(w["name"]))
                name = f'<a href="#{_e(href)}">{_e(w["name"])}</a>' if href else _e(w["name"])
                out.append(f"<tr><td>{name}</td><td class=num>{_num(w.get('max_abs_diff'))}</td><td>"
                           f"{'pass' if w.get('passed') else 'fail'}</td><td><code>{_e(w.get('reference') or '')}"
                           f"</code></td><td><code>{_e(w.get('actual') or '')}</code></td></tr>")
            out.append("</table>")
    counts = s.get("diagnosis_counts") or {}
    if counts:
        out.append("<h3>Diagnosis across cases</h3><table><tr><th>cause</th><th>cases</th></tr>"
                   + "".join(f"<tr><td>{_e(k)}</td><td>{c:,} of {n:,}</td></tr>" for k, c in counts.items())
                   + "</table>")
    out.append(_accuracy(s.get("accuracy") or {}))
    return "".join(out)


def case_row(anchor: str, record: Mapping[str, Any], detail: Optional[str]) -> str:
    """One row of the table of cases: name (linked to its detail section when there is one), verdict, stages."""
    name = _e(record.get("name"))
    if detail:
        name = f'<a href="#{_e(detail)}">{name}</a>'
    if record.get("error"):
        verdict, cls, stages = "error", "fail", _e(record["error"])
    else:
        verdict = "aligned" if record.get("aligned") else "misaligned"
        cls = "pass" if record.get("aligned") else "fail"
        stages = ", ".join(f"{_e(st)} {'pass' if v.get('passed') else 'FAIL'}"
                           for st, v in (record.get("stages") or {}).items())
    diffs = [v.get("max_abs_diff") for v in (record.get("stages") or {}).values()
             if isinstance(v.get("max_abs_diff"), (int, float))]
    return (f'<tr id="{_e(anchor)}"><td>{name}</td><td><span class="badge {cls}">{verdict}</span></td>'
            f"<td>{stages}</td><td class=num>{_num(max(diffs) if diffs else None)}</td>"
            f"<td>{_e(', '.join(record.get('diagnosis') or []))}</td></tr>")

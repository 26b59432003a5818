"""Rendering comparison results: text for humans, JUnit XML.

The formatters read the fields of :class:`pyalign.compare.result.TensorResult` and
:class:`~pyalign.compare.result.ComparisonResult` (duck-typed: this module imports neither
the result types nor the comparator).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import click

from pyalign.compare.rules import NOT_COMPARED
from pyalign.errors import printable
from pyalign.jsonsafe import json_safe  # noqa: F401  (re-exported)


__all__ = ["fmt", "fmt_index", "tensor_line", "tensor_details", "report_text", "report_junit", "junit_suite"]


def fmt(v: Any) -> str:
    """A number for the text report: ints as is, floats with 7 significant digits."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.7g}"
    return str(v)


def fmt_index(index: Optional[Dict[str, int]]) -> str:
    """``(n=0, c=1, y=2, x=3)``."""
    if index is None:
        return "-"
    return "(" + ", ".join(f"{k}={v}" for k, v in index.items()) + ")"


def _worst(t: Any) -> str:
    m = t.metrics
    if t.status == "missing":
        return "missing in the actual set"
    if t.status == NOT_COMPARED:
        return t.message or "not compared"
    if t.status == "extra":
        return "not in the reference"
    if t.status == "shape_mismatch":
        return f"shape {list(t.actual_shape or [])} != expected {list(t.shape or [])}"
    if t.status == "dtype_mismatch":
        extra = f", max|diff| {fmt(m.get('max_abs_diff'))}" if m and m.get("max_abs_diff") is not None else ""
        return f"dtype {t.actual_dtype} != expected {t.dtype}{extra}"
    parts: List[str] = []
    if t.detections is not None:
        d = t.detections
        parts.append(f"{len(d['matched'])}/{d['expected_count']} matched")
        if d["unmatched_expected"]:
            parts.append(f"{len(d['unmatched_expected'])} missing")
        if d["unmatched_actual"]:
            parts.append(f"{len(d['unmatched_actual'])} unexpected")
    if m is None:
        return ", ".join(parts)
    if t.rule.kind == "cosine":
        parts.append(f"cosine {m['cosine']:.6f}")
    if m.get("nonfinite_mismatch"):
        parts.append(f"{m['nonfinite_mismatch']} NaN/Inf mismatches")
    if m.get("max_abs_diff") == 0.0 and not m.get("nonfinite_mismatch"):
        parts.append("identical")
    elif m.get("max_abs_diff") is not None:
        parts.append(f"max|diff| {fmt(m['max_abs_diff'])} at {fmt_index(m['max_abs_index'])}")
    if m.get("violations"):
        parts.append(f"{m['violations']} violations ({m['violation_pct']:.4g}%)")
    return ", ".join(parts)


def tensor_line(t: Any, color: bool = False) -> str:
    """One line: verdict, stage, name, rule, worst metric."""
    verdict = "PASS" if t.passed else ("FAIL" if t.status == "fail" else t.status.upper())
    if color:
        fg = "green" if t.passed else ("yellow" if t.status == NOT_COMPARED else "red")
        verdict_s = click.style(f"{verdict:<14}", fg=fg, bold=fg == "red")
    else:
        verdict_s = f"{verdict:<14}"
    return f"{verdict_s} {printable(t.stage):<13} {printable(t.name):<16} {str(t.rule):<24} {printable(_worst(t))}".rstrip()


def tensor_details(t: Any) -> List[str]:
    """The detail of one tensor (every metric, first violations, detections, diagnosis)."""
    out = [f"{t.stage}/{t.name}: {t.status} (rule {t.rule})"]
    if t.message:
        out.append(f"  {t.message}")
    m = t.metrics
    if m is not None:
        if m.get("violations") is not None:
            out.append(f"  violations: {m['violations']} of {m['count']} ({m['violation_pct']:.4g}%)")
        if m.get("max_abs_diff") is not None:
            out.append(
                f"  max |diff| {fmt(m['max_abs_diff'])} at {fmt_index(m['max_abs_index'])}: "
                f"expected {fmt(m['expected_at_max'])}, actual {fmt(m['actual_at_max'])}"
            )
        if m.get("min_atol_to_pass") is None:
            min_atol = "none (NaN/Inf mismatch)"
        elif not m.get("max_abs_diff"):
            min_atol = "any > 0"
        else:
            min_atol = fmt(m["min_atol_to_pass"])
        out.append(
            f"  mean |diff| {fmt(m['mean_abs_diff'])}, rmse {fmt(m['rmse'])}, max rel {fmt(m['max_rel_diff'])}, "
            f"cosine {m['cosine']:.8f}, snr {fmt(m['snr_db'])} dB, min atol to pass {min_atol}"
        )
        nf = [f"{k} {m[k]}" for k in ("nan_expected", "nan_actual", "inf_expected", "inf_actual", "nonfinite_mismatch") if m.get(k)]
        if nf:
            out.append("  NaN/Inf: " + ", ".join(nf))
        hist = m["histogram"]
        bins = [f"{b}: {c}" for b, c in zip(hist["bins"], hist["counts"]) if c]
        if bins:
            out.append("  |diff| histogram: " + ", ".join(bins))
    if t.first_violations:
        out.append(f"  first violations ({len(t.first_violations)}):")
        for v in t.first_violations:
            extra = f" [actual row {v['actual_row']}]" if "actual_row" in v else ""
            out.append(
                f"    {fmt_index(v['index'])}{extra} expected {fmt(v['expected'])} actual {fmt(v['actual'])} diff {fmt(v['diff'])}"
            )
    d = t.detections
    if d is not None:
        out.append(f"  detections: {d['expected_count']} expected, {d['actual_count']} actual, {len(d['matched'])} matched")
        for u in d["unmatched_expected"]:
            out.append(f"    missing: expected #{u['index']} class {fmt(u['class'])} score {fmt(u['score'])} box [{', '.join(fmt(x) for x in u['box'])}]")
        for u in d["unmatched_actual"]:
            out.append(f"    unexpected: actual #{u['index']} class {fmt(u['class'])} score {fmt(u['score'])} box [{', '.join(fmt(x) for x in u['box'])}]")
        for p in d["matched"]:
            if not p["ok"]:
                out.append(
                    f"    out of tolerance: expected #{p['expected_index']} ~ actual #{p['actual_index']} "
                    f"(IoU {p['iou']:.4f}, max|diff| {fmt(p['max_abs_diff'])})"
                )
    if t.diagnosis:
        out.append("  diagnosis:")
        for h in t.diagnosis:
            out.append(f"    - {h}")
    for note in t.notes:
        out.append(f"  note: {note}")
    return [printable(line) for line in out]  # names, files, messages may come from a hostile manifest


def report_text(r: Any, color: bool = False) -> str:
    """The whole report: header, one line per tensor, verdict, failure details."""
    lines = [f"reference: {printable(r.reference_dir)}", f"actual:    {printable(r.actual_dir)}"]
    lines += [tensor_line(t, color) for t in r.tensors]
    failed = [t for t in r.tensors if not t.passed and t.status != NOT_COMPARED]
    skipped = len(r.tensors) - len(r.compared)
    verdict = "ALIGNED" if r.aligned else "MISALIGNED"
    summary = f"{verdict}: {len(r.compared) - len(failed)} of {len(r.compared)} tensors pass"
    if skipped:
        summary += f" ({skipped} not compared)"
    if color:
        summary = click.style(summary, fg="green" if r.aligned else "red", bold=True)
    lines.append(summary)
    if failed:
        lines.append("")
        lines.append("failures:")
        for t in failed:
            lines += tensor_details(t)
    return "\n".join(lines)


def _junit_suite(parent: ET.Element, r: Any, suite_name: str) -> int:
    failed = [t for t in r.tensors if not t.passed and t.status != NOT_COMPARED]
    case_name = r.case or "case"
    suite = ET.SubElement(
        parent, "testsuite", name=f"{suite_name}.{case_name}", tests=str(len(r.tensors)), failures=str(len(failed)),
        errors="0", skipped=str(len(r.tensors) - len(r.compared)),
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="reference", value=str(r.reference_dir))
    ET.SubElement(props, "property", name="actual", value=str(r.actual_dir))
    for t in r.tensors:
        tc = ET.SubElement(suite, "testcase", classname=f"{suite_name}.{case_name}.{t.stage}", name=f"{t.stage}/{t.name}", time="0")
        if t.status == NOT_COMPARED:
            ET.SubElement(tc, "skipped", message=t.message or "not compared")
        elif not t.passed:
            f = ET.SubElement(tc, "failure", message=tensor_line(t), type=t.status)
            f.text = "\n".join(tensor_details(t))
        else:
            out = ET.SubElement(tc, "system-out")
            out.text = tensor_line(t)
    return len(failed)


def report_junit(results: "Union[Any, Sequence[Any]]", suite_name: str = "pyalign.compare") -> str:
    """JUnit XML: one ``<testsuite>`` per case, one ``<testcase>`` per tensor, failures with the detail text."""
    many: List[Any] = list(results) if isinstance(results, (list, tuple)) else [results]  # type: ignore[list-item]
    root = ET.Element("testsuites")
    failures = sum(int(_junit_suite(root, r, suite_name)) for r in many)
    root.set("tests", str(sum(int(len(r.tensors)) for r in many)))
    root.set("failures", str(failures))
    root.set("errors", "0")
    if hasattr(ET, "indent"):
        ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def junit_suite(r: Any, suite_name: str = "pyalign.compare") -> "Tuple[str, int, int]":
    """One case's ``<testsuite>`` as indented XML text, with its test and failure counts.

    The pieces of a :func:`report_junit` document, for writers that stream many cases.
    """
    root = ET.Element("testsuites")
    failures = _junit_suite(root, r, suite_name)
    suite = root[0]
    if hasattr(ET, "indent"):
        ET.indent(suite, level=1)
    return "  " + ET.tostring(suite, encoding="unicode").rstrip() + "\n", len(r.tensors), int(failures)

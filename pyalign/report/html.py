"""A self-contained HTML report of a comparison: verdicts, metrics, diagnosis and pictures.

One file, no external resources: images are PNG data URIs made with ``cv2.imencode``, the
histogram is inline SVG, the style sheet is inline, there is no script. Per tensor: the
verdict, the rule, the metrics table, the first violations and the diagnosis; for image-like
tensors a per-channel heatmap of ``|actual - expected|`` with its colour scale, the expected
and actual pictures side by side (de-normalized for display) and a histogram of ``|diff|``;
for detections both sets of boxes drawn over the raw input image.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, List, Optional, Tuple, Union

import cv2
import numpy as np

from pyalign.spec.postprocess import infer_kind
from pyalign.report.pictures import _boxes_section, _e, _histogram_svg, _image_section

__all__ = ["write_html", "render_html", "case_html", "page_head", "write_atomic", "TABLE_HEAD"]


_IMAGE_LAYOUTS = ("NCHW", "NHWC", "CHW", "HWC", "HW")

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#1d2330;background:#fff}
h1{font-size:24px;margin:0 0 8px} h2{font-size:19px;margin:28px 0 6px;border-top:2px solid #dde3ea;padding-top:14px}
h3{font-size:15px;margin:14px 0 6px;color:#3c4657}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:700;color:#fff;font-size:14px}
.pass{background:#1f8f4e}.fail{background:#c62f2f}.other{background:#b7791f}
table{border-collapse:collapse;font-size:13px;margin:4px 0 10px}
td,th{border:1px solid #d5dbe3;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f1f4f8} td.num{font-family:ui-monospace,Menlo,Consolas,monospace;text-align:right}
.panels{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
.panel{border:1px solid #d5dbe3;border-radius:6px;padding:6px;background:#fafbfc}
.panel img{display:block;image-rendering:pixelated;max-width:100%}
.cap{font-size:12px;color:#4a5568;margin-top:4px}
.legend{display:flex;align-items:center;gap:6px;font-size:12px;margin-top:4px}
.legend img{height:12px;width:160px}
ul.diag li{margin:3px 0} .explains{color:#1f6f3e;font-weight:600} .partial{color:#8a5a00}
.note{color:#6b7280;font-size:13px} code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
"""


# --------------------------------------------------------------------------- arrays

def _load_case(ref: Any) -> Any:
    if ref is None:
        return None
    if hasattr(ref, "array"):
        return ref
    try:
        from pyalign.store import read_case

        return read_case(ref, verify_checksums=False)
    except Exception:  # noqa: BLE001 - a report shows what it can
        return None


def _load_actual(act: Any, ref_case: Any) -> Any:
    if act is None:
        return None
    if hasattr(act, "array"):
        return act
    if ref_case is None:
        return _load_case(act)
    try:
        from pyalign.store import read_actual

        return read_actual(act, ref_case)
    except Exception:  # noqa: BLE001
        return None


def _array(case: Any, stage: str, name: Optional[str]) -> Optional[np.ndarray]:
    if case is None:
        return None
    for n in (name, None):
        try:
            return np.asarray(case.array(stage, n))
        except Exception:  # noqa: BLE001
            continue
    return None


def _record(case: Any, stage: str, name: Optional[str]) -> Any:
    if case is None:
        return None
    try:
        return case.get(stage, name)
    except Exception:  # noqa: BLE001
        return None


# ------------------------------------------------------------------------ sections

def _fmt_metric(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fmt_metric(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt_metric(x) for x in v[:8]) + (", ..." if len(v) > 8 else "") + "]"
    return str(v)


def _metrics_table(metrics: Any) -> str:
    if not isinstance(metrics, dict) or not metrics:
        return '<div class="note">no metrics</div>'
    rows = []
    for k, v in metrics.items():
        if k == "histogram":
            continue
        text = _fmt_metric(v)
        if k == "min_atol_to_pass":  # as in the text report: no denormal when identical
            if v is None:
                text = "none (NaN/Inf mismatch)"
            elif not metrics.get("max_abs_diff"):
                text = "any > 0"
        rows.append(f"<tr><th>{_e(k)}</th><td class=\"num\">{_e(text)}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _violations_table(items: Any) -> str:
    if not items:
        return ""
    rows = []
    for it in list(items)[:10]:
        if isinstance(it, dict):
            rows.append("<tr>" + "".join(f"<td>{_e(_fmt_metric(v))}</td>" for v in it.values()) + "</tr>")
            head = "".join(f"<th>{_e(k)}</th>" for k in it.keys())
        else:
            rows.append(f"<tr><td>{_e(_fmt_metric(it))}</td></tr>")
            head = "<th>violation</th>"
    return f"<h3>First violations</h3><table><tr>{head}</tr>{''.join(rows)}</table>"


def _detections_table(det: Any) -> str:
    """The comparator's matching summary and its unmatched detections (first 10 of each)."""
    if not isinstance(det, dict):
        return ""
    out = [f'<div class="note">detections: {_e(det.get("expected_count"))} expected, '
           f'{_e(det.get("actual_count"))} actual, {len(det.get("matched") or [])} paired '
           f'({_e(det.get("matching", ""))})</div>']
    rows = []
    for label, key in (("missing (expected only)", "unmatched_expected"),
                       ("unexpected (actual only)", "unmatched_actual")):
        for d in list(det.get(key) or [])[:10]:
            if isinstance(d, dict):
                rows.append(f"<tr><td>{label}</td><td>{_e(d.get('index'))}</td><td>{_e(d.get('class'))}</td>"
                            f"<td class=\"num\">{_e(_fmt_metric(d.get('score')))}</td>"
                            f"<td class=\"num\">{_e(_fmt_metric(d.get('box')))}</td></tr>")
    if rows:
        out.append("<table><tr><th></th><th>#</th><th>class</th><th>score</th><th>box</th></tr>"
                   + "".join(rows) + "</table>")
    return "".join(out)


def _diagnosis(items: Any, passed: bool) -> str:
    if passed:
        return ""
    items = list(items or [])
    if not items:
        return '<h3>Diagnosis</h3><div class="note">no diagnosis was run for this tensor</div>'
    out = ['<h3>Diagnosis</h3><ul class="diag">']
    for h in items:
        cls = "explains" if getattr(h, "explains", False) else ("partial" if getattr(h, "partial", False) else "")
        out.append(f'<li class="{cls}">{_e(h)}</li>')
    out.append("</ul>")
    return "".join(out)


def _status(t: Any) -> Tuple[str, str]:
    status = str(getattr(t, "status", "pass" if getattr(t, "passed", False) else "fail"))
    cls = "pass" if getattr(t, "passed", False) else ("fail" if status in ("fail",) else "other")
    return status, cls


def _tensor_section(idx: int, t: Any, ref_case: Any, act_case: Any, spec: Any) -> str:
    stage, name = str(getattr(t, "stage", "?")), getattr(t, "name", None)
    status, cls = _status(t)
    title = f"{stage}/{name}" if name else stage
    rec = _record(ref_case, stage, name)
    layout = getattr(t, "layout", None) or getattr(rec, "layout", None)
    kind = getattr(t, "kind", None) or getattr(rec, "kind", None)
    color = getattr(rec, "color", None)
    out = [f'<h2 id="t{idx}">{_e(title)} <span class="badge {cls}">{_e(status.upper())}</span></h2>']
    info = [("rule", getattr(t, "rule", None)), ("shape", getattr(t, "shape", None)),
            ("dtype", getattr(t, "dtype", None)), ("layout", layout), ("kind", kind), ("color", color)]
    out.append('<div class="note">' + " &middot; ".join(f"{k}: <code>{_e(v)}</code>" for k, v in info
                                                      if v is not None) + "</div>")
    message = getattr(t, "message", "")
    if message:
        out.append(f'<p><b>{_e(message)}</b></p>')
    for note in getattr(t, "notes", None) or []:
        out.append(f'<div class="note">note: {_e(note)}</div>')
    out.append(_metrics_table(getattr(t, "metrics", None)))
    out.append(_detections_table(getattr(t, "detections", None)))
    out.append(_diagnosis(getattr(t, "diagnosis", None), bool(getattr(t, "passed", False))))
    out.append(_violations_table(getattr(t, "first_violations", None)))
    exp = getattr(t, "expected", None)
    act = getattr(t, "actual", None)
    exp = np.asarray(exp) if isinstance(exp, np.ndarray) else _array(ref_case, stage, name)
    act = np.asarray(act) if isinstance(act, np.ndarray) else _array(act_case, stage, name)
    if exp is None or act is None:
        if status not in ("missing", "extra"):
            out.append('<div class="note">tensor data not available to the report</div>')
        return "".join(out)
    try:
        act_layout = getattr(_record(act_case, stage, name), "layout", None) if act_case is not None else None
        out.append(_pictures(exp, act, stage, layout, kind, color, ref_case, spec, act_layout))
    except (ValueError, cv2.error, IndexError, TypeError) as exc:
        out.append(f'<div class="note">no pictures: {_e(exc)}</div>')
    return "".join(out)


def _pictures(exp: np.ndarray, act: np.ndarray, stage: str, layout: Optional[str], kind: Optional[str],
              color: Optional[str], ref_case: Any, spec: Any, act_layout: Optional[str] = None) -> str:
    if infer_kind(kind, stage, exp.shape, exp.dtype) == "detections":
        raw = _array(ref_case, "raw_input", None)
        raw_rec = _record(ref_case, "raw_input", None)
        return _boxes_section(exp, act, raw, getattr(raw_rec, "color", None), spec)
    parts = []
    image_like = (layout in _IMAGE_LAYOUTS or kind in ("image", "mask") or stage == "raw_input") and exp.ndim >= 2
    if image_like:
        parts.append(_image_section(exp, act, layout, color, kind, spec, stage, act_layout))
    if exp.shape == act.shape and exp.size:
        parts.append("<h3>Histogram of |diff|</h3>" + _histogram_svg(exp, act))
    return "".join(parts)


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _results(result: Any) -> List[Any]:
    results = list(result) if isinstance(result, (list, tuple)) else [result]
    for r in results:
        if not hasattr(r, "tensors") or not hasattr(r, "aligned"):
            raise ValueError("expected a ComparisonResult (or a list of them) with .aligned and .tensors, "
                             f"got {type(r).__name__}")
    return results


def case_html(r: Any, start: int = 0, *, prefix: str = "t", heading: bool = False, reference: Any = None,
              actual: Any = None) -> Tuple[List[str], List[str]]:
    """The table rows and detail sections of one case; tensor anchors ``{prefix}{start}``, ``{prefix}{start+1}`` ...

    Parameters
    ----------
    r : ComparisonResult
        Duck-typed, see :func:`render_html`.
    start : int
        Number of the case's first tensor anchor.
    prefix : str
        Anchor prefix (a dataset report gives each case its own).
    heading : bool
        Open the sections with a ``case <name>`` heading.
    reference, actual : Case or path, optional
        See :func:`render_html`.
    """
    with np.errstate(all="ignore"):  # NaN/Inf are data here, not faults: no RuntimeWarning on stderr
        # The cases the comparator read travel with its result; directories are read only without them.
        ref_case = _load_case(_first(reference, getattr(r, "reference_case", None), getattr(r, "reference_dir", None)))
        act_case = _load_actual(_first(actual, getattr(r, "actual_case", None), getattr(r, "actual_dir", None)), ref_case)
        spec = getattr(ref_case, "spec", None)
        case_name = getattr(ref_case, "name", None) or getattr(r, "case", None)
        rows: List[str] = []
        body = [f"<h1 style='margin-top:30px'>case {_e(case_name)}</h1>"] if heading else []
        for idx, t in enumerate(list(getattr(r, "tensors", []) or []), start=start):
            status, cls = _status(t)
            name = getattr(t, "name", None)
            label = f"{getattr(t, 'stage', '?')}/{name}" if name else str(getattr(t, "stage", "?"))
            diag = list(getattr(t, "diagnosis", None) or [])
            first = _e(diag[0]) if diag and not getattr(t, "passed", False) else ""
            rows.append(f'<tr><td>{_e(case_name or "")}</td><td><a href="#{prefix}{idx}">{_e(label)}</a></td>'
                        f'<td><span class="badge {cls}">{_e(status)}</span></td>'
                        f'<td>{_e(getattr(t, "rule", ""))}</td><td>{first}</td></tr>')
            body.append(_tensor_section(idx, t, ref_case, act_case, spec).replace(f'id="t{idx}"', f'id="{prefix}{idx}"', 1))
        return rows, body


def page_head(title: str, aligned: bool, note: str = "") -> str:
    """The start of a report page: style sheet, title with the verdict badge, a note line (HTML)."""
    verdict = "ALIGNED" if aligned else "MISALIGNED"
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f'<style>{_CSS}</style></head><body>'
            f'<h1>{_e(title)} <span class="badge {"pass" if aligned else "fail"}">{verdict}</span></h1>'
            f'<div class="note">{note}</div>')


#: The header row of the case x tensor table.
TABLE_HEAD = "<table><tr><th>case</th><th>tensor</th><th>status</th><th>rule</th><th>diagnosis</th></tr>"


def render_html(result: Any, *, reference: Any = None, actual: Any = None,
                title: str = "pyalign comparison report") -> str:
    """Render a comparison as one self-contained HTML page.

    Parameters
    ----------
    result : ComparisonResult or list of them
        Duck-typed: ``aligned``, ``tensors`` (each with ``stage``, ``name``, ``status``,
        ``passed``, ``rule``, ``metrics``, ``diagnosis``, ...), ``reference_dir``, ``actual_dir``.
    reference, actual : Case or path, optional
        Where the tensors are read from; default ``result.reference_case`` / ``actual_case`` (the
        comparator's), else ``result.reference_dir`` / ``actual_dir``.
        A tensor result that carries ``expected`` / ``actual`` arrays uses them directly.
    title : str
        Page title.

    Returns
    -------
    str
        The HTML document.
    """
    results = _results(result)
    body: List[str] = []
    summary: List[str] = []
    for r in results:
        rows, sections = case_html(r, len(summary), heading=len(results) > 1, reference=reference, actual=actual)
        summary.extend(rows)
        body.extend(sections)
    refs = ", ".join(f"<code>{_e(getattr(r, 'reference_dir', ''))}</code> vs "
                     f"<code>{_e(getattr(r, 'actual_dir', ''))}</code>" for r in results)
    aligned = all(bool(getattr(r, "aligned", False)) for r in results)
    return page_head(title, aligned, refs) + TABLE_HEAD + "".join(summary) + "</table>" + "".join(body) + "</body></html>\n"


def write_html(result: Any, path: Union[str, "os.PathLike[str]"], *, reference: Any = None,
               actual: Any = None) -> Path:
    """Write :func:`render_html` of ``result`` to ``path`` atomically; return the path.

    Parameters
    ----------
    result : ComparisonResult or list of them
        The comparison to report.
    path : path-like
        The ``.html`` file to write (its directory must exist).
    reference, actual : Case or path, optional
        See :func:`render_html`.
    """
    path = Path(path)
    if not path.parent.is_dir():
        from pyalign.errors import PyalignError

        raise PyalignError("cannot write the HTML report: its directory does not exist", path)
    return write_atomic(path, [render_html(result, reference=reference, actual=actual)])


def write_atomic(path: Path, parts: Any) -> Path:
    """Write the text pieces ``parts`` (an iterable of str) to ``path`` through a temporary file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            for part in parts:
                f.write(part)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path

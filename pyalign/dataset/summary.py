"""The dataset summary: computed from the case records, merged across shards, printed.

:func:`summarize` turns the records of :mod:`pyalign.dataset.record` into the document
that ``--json`` outputs carry as their top-level ``"summary"``::

    {"cases": 5000, "aligned": 20, "errors": 0,
     "only_in_reference": ["val/000042"], "only_in_actual": [],
     "stages": {"preprocessed": {"cases": 5000, "passed": 20, "pass_rate": 0.004,
                                 "max_diff_percentiles": {"p50": 0.86, "p90": 0.99, "p99": 1.0, "max": 1.0},
                                 "worst": [{"name", "max_abs_diff", "passed", "reference", "actual"}, ...]}},
     "diagnosis_counts": {"channel order": 4980},
     "accuracy": {"detections": {"cases", "map50_95", "map50"[, "reference_map50_95", "actual_map50_95", ...]},
                  "classification": {"cases", "top1_agreement", "top5_agreement"[, ...accuracy]},
                  "segmentation": {"cases", "classes", "miou"}}}

The summary is a pure function of the records (sorted by name) and the options
(annotations, labels), so :func:`merge` — what ``pyalign summary a.json b.json`` runs —
gives the summary of the unsharded run from the ``--json`` outputs of its shards.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from pyalign.dataset import accuracy as acc
from pyalign.dataset.record import stage_names
from pyalign.errors import PyalignError, printable
from pyalign.jsonsafe import json_safe

__all__ = ["WORST", "summarize", "records_of", "merge", "read_documents", "summary_text", "SummaryOptions"]

PathLike = Union[str, "os.PathLike[str]"]

#: Worst cases listed per stage.
WORST = 10
_PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("max", 100.0))


class SummaryOptions:
    """What the accuracy part needs beyond the records: a COCO annotation file, true labels.

    Parameters
    ----------
    annotations : path-like, optional
        A COCO detection annotation file (``--annotations``).
    labels : path-like, optional
        True classes by case name (``--labels``, :func:`pyalign.dataset.accuracy.load_labels`).
    """

    def __init__(self, annotations: Optional[PathLike] = None, labels: Optional[PathLike] = None) -> None:
        self.annotations = acc.CocoAnnotations(annotations) if annotations is not None else None
        if self.annotations is not None:
            acc.require_pycocotools()
        self.labels = acc.load_labels(labels) if labels is not None else None

    def label_of(self, name: str) -> Optional[int]:
        """The true class of a case: by its name, else by its last part, else its stem."""
        if self.labels is None:
            return None
        for key in (name, Path(name).name, Path(name).stem):
            if key in self.labels:
                return self.labels[key]
        return None


def _num(v: Any) -> Optional[float]:
    if isinstance(v, bool) or v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f


def _rows(rows: Sequence[Sequence[Any]]) -> List[List[float]]:
    out = []
    for row in rows:
        vals = [_num(v) for v in row]
        if len(vals) == 6 and all(v is not None and math.isfinite(v) for v in vals):
            out.append(vals)  # type: ignore[arg-type]
    return out


def _stage_summary(records: Sequence[Mapping[str, Any]], stage: str) -> Dict[str, Any]:
    entries = [(r, r["stages"][stage]) for r in records if stage in (r.get("stages") or {})]
    passed = sum(1 for _, s in entries if s.get("passed"))
    diffs = [d for _, s in entries if (d := _num(s.get("max_abs_diff"))) is not None]
    pct: Optional[Dict[str, float]] = None
    if diffs:
        arr = np.asarray(diffs, dtype=np.float64)
        finite = arr[np.isfinite(arr)]
        pct = {k: (float(np.percentile(finite, q)) if finite.size else float("nan")) for k, q in _PERCENTILES}
        if finite.size < arr.size:
            pct["max"] = float(np.max(arr))
    ranked = sorted(entries, key=lambda e: (bool(e[1].get("passed")), -(_num(e[1].get("max_abs_diff")) or 0.0),
                                            str(e[0]["name"])))
    worst = [{"name": r["name"], "max_abs_diff": s.get("max_abs_diff"), "passed": bool(s.get("passed")),
              "reference": r.get("reference"), "actual": r.get("actual")}
             for r, s in ranked[:WORST] if not s.get("passed") or (_num(s.get("max_abs_diff")) or 0.0) > 0]
    return {"cases": len(entries), "passed": passed, "pass_rate": (passed / len(entries)) if entries else None,
            "max_diff_percentiles": pct, "worst": worst}


def _detections(records: Sequence[Mapping[str, Any]], options: SummaryOptions) -> Optional[Dict[str, Any]]:
    cases = [(r, r["accuracy"]["detections"]) for r in records if "detections" in (r.get("accuracy") or {})]
    if not cases:
        return None
    out: Dict[str, Any] = {"cases": len(cases)}
    try:
        out.update(acc.detections_map([(_rows(d["reference"]), _rows(d["actual"])) for _, d in cases]))
        if options.annotations is not None:
            side = {s: [(str(r["name"]), _rows(d[s]), r.get("frame")) for r, d in cases] for s in ("reference", "actual")}
            out.update(acc.annotations_map(options.annotations, side["reference"], side["actual"]))
    except PyalignError as e:
        if options.annotations is not None:
            raise
        out.update({"map50_95": None, "map50": None, "error": str(e)})
    return out


def summarize(records: Iterable[Mapping[str, Any]], only_in_reference: Iterable[str] = (),
              only_in_actual: Iterable[str] = (), options: Optional[SummaryOptions] = None) -> Dict[str, Any]:
    """The summary document of a dataset run.

    Parameters
    ----------
    records : iterable of dict
        One per paired case (:func:`pyalign.dataset.record.case_record`), any order.
    only_in_reference, only_in_actual : iterable of str
        Names of the cases without a partner.
    options : SummaryOptions, optional
        Annotations and labels for the accuracy part.

    Returns
    -------
    dict
        JSON-ready (see the module docstring).
    """
    options = options or SummaryOptions()
    recs = sorted(records, key=lambda r: str(r["name"]))
    counts: Dict[str, int] = {}
    for r in recs:
        for label in r.get("diagnosis") or []:
            counts[label] = counts.get(label, 0) + 1
    accuracy: Dict[str, Any] = {}
    det = _detections(recs, options)
    if det is not None:
        accuracy["detections"] = det
    cls = [(r, r["accuracy"]["classification"]) for r in recs if "classification" in (r.get("accuracy") or {})]
    if cls:
        labels = [options.label_of(str(r["name"])) for r, _ in cls] if options.labels is not None else None
        accuracy["classification"] = acc.classification_agreement([(c["reference"], c["actual"]) for _, c in cls],
                                                                  labels)
    seg = [r["accuracy"]["segmentation"] for r in recs if "segmentation" in (r.get("accuracy") or {})]
    if seg:
        accuracy["segmentation"] = acc.segmentation_miou(seg)
    doc = {
        "cases": len(recs),
        "aligned": sum(1 for r in recs if r.get("aligned")),
        "errors": sum(1 for r in recs if r.get("error")),
        "only_in_reference": sorted(set(only_in_reference)),
        "only_in_actual": sorted(set(only_in_actual)),
        "stages": {st: _stage_summary(recs, st) for st in stage_names(recs)},
        "diagnosis_counts": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        "accuracy": accuracy,
    }
    return json_safe(doc)


def records_of(doc: Mapping[str, Any], where: str = "document") -> Tuple[List[Dict[str, Any]], List[str], List[str]]:
    """The records and unpaired names a ``--json`` document carries.

    Accepts the several-case documents of ``compare`` and ``verify`` (``cases[*].record``),
    their one-case documents (``summary.record``) and ``pyalign summary --json``
    (``records``).

    Raises
    ------
    PyalignError
        ``<where>: not a pyalign --json document with case records``.
    """
    summary = doc.get("summary") if isinstance(doc, Mapping) else None
    summary = summary if isinstance(summary, Mapping) else {}
    if isinstance(doc, Mapping) and isinstance(doc.get("records"), list):
        records = list(doc["records"])
    elif isinstance(doc, Mapping) and isinstance(doc.get("cases"), list):
        records = [c.get("record") for c in doc["cases"] if isinstance(c, Mapping)]
    elif isinstance(summary.get("record"), Mapping):
        records = [summary["record"]]
    else:
        raise PyalignError("not a pyalign --json document with case records (compare, verify or summary --json)", where)
    if any(not isinstance(r, Mapping) or not isinstance(r.get("name"), str) for r in records):
        raise PyalignError("a case has no record (written by an older pyalign?)", where)
    return ([dict(r) for r in records], [str(n) for n in summary.get("only_in_reference") or []],
            [str(n) for n in summary.get("only_in_actual") or []])


def read_documents(paths: Sequence[PathLike]) -> List[Tuple[str, Dict[str, Any]]]:
    """Read ``--json`` outputs.

    Raises
    ------
    PyalignError
        ``<file>: cannot read`` / ``not JSON``.
    """
    out = []
    for p in paths:
        path = Path(os.fspath(p))
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise PyalignError(f"cannot read: {e.strerror or e}", path) from None
        try:
            out.append((str(path), json.loads(text)))
        except ValueError as e:
            raise PyalignError(f"not JSON: {e}", path) from None
    return out


def merge(documents: Sequence[Tuple[str, Mapping[str, Any]]],
          options: Optional[SummaryOptions] = None) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """Merge the ``--json`` outputs of shards: ``(summary, records)``.

    A name paired in one document is not "only in" a side because another shard listed it
    (every name lands in one shard, so this happens only with overlapping inputs).

    Raises
    ------
    PyalignError
        A case appears in two documents (the same shard given twice, or overlapping runs).
    """
    records: List[Dict[str, Any]] = []
    seen: Dict[str, str] = {}
    only_ref: set = set()
    only_act: set = set()
    for where, doc in documents:
        recs, o_ref, o_act = records_of(doc, where)
        for r in recs:
            if r["name"] in seen:
                raise PyalignError(f"case {r['name']!r} is also in {seen[r['name']]} (overlapping shards?)", where)
            seen[r["name"]] = where
        records.extend(recs)
        only_ref.update(o_ref)
        only_act.update(o_act)
    records.sort(key=lambda r: r["name"])
    return summarize(records, only_ref - set(seen), only_act - set(seen), options), records


def _fmt(v: Any) -> str:
    f = _num(v)
    return "-" if f is None else f"{f:.6g}"


def _pct(k: int, n: int) -> str:
    return f"{k:,} of {n:,} ({100.0 * k / n:.1f}%)" if n else "0 of 0"


def _accuracy_lines(a: Mapping[str, Any]) -> List[str]:
    lines = []
    d = a.get("detections")
    if d:
        line = (f"  detections ({d['cases']:,} cases, board vs reference as ground truth): "
                f"mAP@0.5:0.95 {_fmt(d.get('map50_95'))}, mAP@0.5 {_fmt(d.get('map50'))}")
        lines.append(line + (f" ({d['error']})" if d.get("error") else ""))
        if "reference_map50_95" in d:
            lines.append(f"  against the annotations ({d.get('annotated_cases', 0):,} images): mAP@0.5:0.95 reference "
                         f"{_fmt(d['reference_map50_95'])}, board {_fmt(d['actual_map50_95'])}, delta "
                         f"{_fmt(d.get('delta_map50_95'))}; mAP@0.5 reference {_fmt(d['reference_map50'])}, "
                         f"board {_fmt(d['actual_map50'])}")
    c = a.get("classification")
    if c:
        lines.append(f"  classification ({c['cases']:,} cases): top-1 agreement {_fmt(c['top1_agreement'])}, "
                     f"top-5 agreement {_fmt(c['top5_agreement'])}")
        if "reference_top1_accuracy" in c:
            lines.append(f"  against the labels ({c['labelled_cases']:,} cases): top-1 accuracy reference "
                         f"{_fmt(c['reference_top1_accuracy'])}, board {_fmt(c['actual_top1_accuracy'])}, delta "
                         f"{_fmt(c['delta_top1_accuracy'])}; top-5 reference {_fmt(c['reference_top5_accuracy'])}, "
                         f"board {_fmt(c['actual_top5_accuracy'])}")
    s = a.get("segmentation")
    if s:
        lines.append(f"  segmentation ({s['cases']:,} cases, {s['classes']} classes): mIoU between the sides "
                     f"{_fmt(s['miou'])}")
    return lines


def summary_text(s: Mapping[str, Any]) -> str:
    """The summary for a terminal: counts, per-stage pass rate and max |diff| percentiles, worst cases, diagnosis, accuracy."""
    n = int(s.get("cases", 0))
    lines = [f"dataset: {n:,} paired case(s), {_pct(int(s.get('aligned', 0)), n)} aligned"]
    extra = []
    if s.get("errors"):
        extra.append(f"{s['errors']:,} not comparable (input errors)")
    for key, what in (("only_in_reference", "only in the reference"), ("only_in_actual", "only in the actual")):
        names = s.get(key) or []
        if names:
            shown = ", ".join(printable(x) for x in names[:5]) + (", ..." if len(names) > 5 else "")
            extra.append(f"{len(names):,} {what} ({shown})")
    if extra:
        lines.append("  " + "; ".join(extra))
    stages = s.get("stages") or {}
    if stages:
        lines.append(f"  {'stage':<14} {'pass rate':<26} {'max|diff| p50':>13} {'p90':>10} {'p99':>10} {'max':>10}")
        for st, v in stages.items():
            p = v.get("max_diff_percentiles") or {}
            lines.append(f"  {st:<14} {_pct(v['passed'], v['cases']):<26} {_fmt(p.get('p50')):>13} "
                         f"{_fmt(p.get('p90')):>10} {_fmt(p.get('p99')):>10} {_fmt(p.get('max')):>10}")
        for st, v in stages.items():
            if v.get("worst"):
                worst = ", ".join(f"{printable(w['name'])} ({_fmt(w['max_abs_diff'])})" for w in v["worst"])
                lines.append(f"  worst {st}: {worst}")
    counts = s.get("diagnosis_counts") or {}
    if counts:
        lines.append("  diagnosis: " + "; ".join(f"{printable(k)}: {c:,} of {n:,} cases" for k, c in counts.items()))
    acc_lines = _accuracy_lines(s.get("accuracy") or {})
    if acc_lines:
        lines.append("  accuracy:")
        lines.extend("  " + x for x in acc_lines)
    return "\n".join(lines)

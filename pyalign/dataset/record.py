"""The compact record of one compared case: what a dataset summary is computed from.

A record is a small JSON-ready dict, made in the worker that compared the case, carried
in each case of the ``--json`` output (key ``record``) and read back by ``pyalign
summary``, so the summary of merged shards is recomputed from exactly the same data::

    {"name": "val/000139", "reference": "/ref/val/000139", "actual": "/board/val/000139",
     "aligned": false, "error": null,
     "stages": {"preprocessed": {"passed": false, "max_abs_diff": 0.0039},
                "postprocessed": {"passed": true, "max_abs_diff": 0.0}},
     "diagnosis": ["channel order"],
     "frame": [640, 480],
     "accuracy": {"detections": {"reference": [[x1, y1, x2, y2, score, class], ...], "actual": [...]},
                  "classification": {"reference": [281, 285, ...], "actual": [281, ...]},
                  "segmentation": {"classes": [0, 3], "intersection": [..], "union": [..]}}}

``stages`` holds the stages that were compared (a stage passes when each of its compared
tensors does; ``max_abs_diff`` is the largest over its tensors, null when none has
metrics). ``diagnosis`` names the best hypothesis of each failing tensor by its family
label (the words before the first colon of its description: "channel order", "resize",
"letterbox", "YUV", ...). ``accuracy`` is filled from the postprocessed tensors both
sides hold, by their kind: ``detections``, ``classes`` (top-5 class ids, best first),
``mask`` (per-class pixel intersection and union between the two class maps).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from pyalign.compare.rules import NOT_COMPARED
from pyalign.jsonsafe import json_safe
from pyalign.store.format import STAGES

__all__ = ["case_record", "error_record", "diagnosis_label", "accuracy_inputs"]


def diagnosis_label(h: Any) -> str:
    """The family label of a hypothesis: ``"channel order"`` for "channel order: swapping B and R ...".

    Combined hypotheses ("channel order: ..., then constant scale: ...") join their labels
    with `` + ``; an unexplained mismatch is ``"unexplained"``.
    """
    name = getattr(h, "name", None) if not isinstance(h, dict) else h.get("name")
    text = getattr(h, "description", None) if not isinstance(h, dict) else h.get("description")
    if name == "unexplained":
        return "unexplained"
    text = str(text or name or "unknown")
    parts = []
    for piece in text.split(", then "):
        head, colon, _ = piece.partition(":")
        parts.append(head.strip() if colon and len(head) <= 60 else str(name or "unknown"))
    return " + ".join(dict.fromkeys(parts))


def _top5(arr: np.ndarray) -> List[int]:
    a = np.asarray(arr)
    if a.ndim == 2 and a.shape[1] >= 1:
        return [int(round(float(v))) for v in a[:5, 0]]
    if a.ndim == 1:  # scores per class
        return [int(i) for i in np.argsort(-a, kind="stable")[:5]]
    return []


def _iou_counts(ref: np.ndarray, act: np.ndarray) -> Optional[Dict[str, List[int]]]:
    r = np.asarray(ref).astype(np.int64).ravel()
    a = np.asarray(act).astype(np.int64).ravel()
    if r.shape != a.shape:
        return None
    valid = r >= 0
    r, a = r[valid], a[valid]
    classes = np.union1d(np.unique(r), np.unique(a[a >= 0]))
    inter = [int(np.count_nonzero((r == c) & (a == c))) for c in classes]
    union = [int(np.count_nonzero((r == c) | (a == c))) for c in classes]
    return {"classes": [int(c) for c in classes], "intersection": inter, "union": union}


def accuracy_inputs(reference: Any, actual: Any) -> Dict[str, Any]:
    """What the accuracy of a case is computed from, read from the postprocessed tensors both cases hold.

    Parameters
    ----------
    reference, actual : pyalign.store.Case or None
        The two sides as the comparator read them.
    """
    out: Dict[str, Any] = {}
    if reference is None or actual is None:
        return out
    act_by_key = {(t.stage, t.name): t for t in actual.tensors}
    for rec in reference.stage("postprocessed"):
        other = act_by_key.get((rec.stage, rec.name))
        if other is None or rec.kind not in ("detections", "classes", "mask"):
            continue
        try:
            e, a = rec.load(), other.load()
        except Exception:  # an unreadable side is reported by the comparator, not here
            continue
        if rec.kind == "detections" and e.ndim == 2 and a.ndim == 2 and e.shape[1] == 6 and a.shape[1] == 6:
            out["detections"] = {"reference": np.asarray(e, np.float64).tolist(),
                                 "actual": np.asarray(a, np.float64).tolist()}
        elif rec.kind == "classes":
            out["classification"] = {"reference": _top5(e), "actual": _top5(a)}
        elif rec.kind == "mask":
            counts = _iou_counts(e, a)
            if counts is not None:
                out["segmentation"] = counts
    return out


def _frame(reference: Any) -> Optional[List[int]]:
    spec = getattr(reference, "spec", None) or {}
    inp = spec.get("input") if isinstance(spec, dict) else None
    if isinstance(inp, dict) and inp.get("width") and inp.get("height"):
        return [int(inp["width"]), int(inp["height"])]
    return None


_RESULT: Any = object()


def case_record(name: str, result: Any, reference: Any = _RESULT, actual: Any = _RESULT,
                accuracy: bool = True) -> Dict[str, Any]:
    """The record of one compared case.

    Parameters
    ----------
    name : str
        The case name.
    result : pyalign.compare.result.ComparisonResult
        The comparison (its ``reference_case`` / ``actual_case`` give the accuracy inputs).
    reference, actual : str or None, optional
        The two directories (default: the result's; None: not kept, e.g. a temporary output).
    accuracy : bool
        Read the postprocessed tensors for the accuracy inputs.
    """
    stages: Dict[str, Dict[str, Any]] = {}
    labels: List[str] = []
    for t in result.tensors:
        if t.status == NOT_COMPARED or t.stage not in STAGES:
            continue
        s = stages.setdefault(t.stage, {"passed": True, "max_abs_diff": None})
        s["passed"] = bool(s["passed"] and t.passed)
        d = (t.metrics or {}).get("max_abs_diff")
        if isinstance(d, (int, float)) and not isinstance(d, bool):
            s["max_abs_diff"] = float(d) if s["max_abs_diff"] is None else max(s["max_abs_diff"], float(d))
        if not t.passed and t.diagnosis:
            labels.append(diagnosis_label(t.diagnosis[0]))
    ref_case = getattr(result, "reference_case", None)
    rec = {
        "name": name,
        "reference": str(result.reference_dir) if reference is _RESULT else reference,
        "actual": str(result.actual_dir) if actual is _RESULT else actual,
        "aligned": bool(result.aligned),
        "error": None,
        "stages": {st: stages[st] for st in STAGES if st in stages},
        "diagnosis": sorted(set(labels)),
        "frame": _frame(ref_case),
        "accuracy": accuracy_inputs(ref_case, getattr(result, "actual_case", None)) if accuracy else {},
    }
    return json_safe(rec)


def error_record(name: str, error: str, reference: Optional[str] = None, actual: Optional[str] = None) -> Dict[str, Any]:
    """The record of a case that could not be compared (an input error, one line)."""
    return {"name": name, "reference": reference, "actual": actual, "aligned": False, "error": error,
            "stages": {}, "diagnosis": [], "frame": None, "accuracy": {}}


def stage_names(records: Sequence[Dict[str, Any]]) -> List[str]:
    """The stages compared in any record, in data-path order."""
    seen = {st for r in records for st in r.get("stages", {})}
    return [st for st in STAGES if st in seen]

"""The comparator: is an actual capture set aligned with the reference, stage by stage?

``compare(reference, actual)`` judges every tensor of the reference with its
stage's rule (:mod:`pyalign.compare.rules`), computes every elementwise
metric in one streaming pass in C++ (:mod:`pyalign.compare.metrics`), matches
detections order-free (:mod:`pyalign.compare.detections`), fills the result types
of :mod:`pyalign.compare.result` and, for failing tensors, asks
:func:`pyalign.diagnose.diagnose_tensor` why (the diagnosis depends on the rules,
metrics and result types, never on this module).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from pyalign.compare.detections import FIELDS, detection_row, match_detections
from pyalign.compare.metrics import stream_metrics
from pyalign.compare.result import SCHEMA_VERSION, ComparisonResult, TensorResult
from pyalign.compare.rules import NOT_COMPARED, Rule, RuleOverrides, absent_status, resolve_rule
from pyalign.errors import CaptureError
from pyalign.store.format import MANIFEST, STAGES
from pyalign.store.read import find_cases, read_actual, read_case
from pyalign.store.records import Case, TensorRecord
from pyalign.spec.postprocess import order_free_rows

__all__ = [
    "TensorResult", "ComparisonResult", "Rule", "compare", "compare_tree", "compare_arrays", "assert_aligned",
    "SCHEMA_VERSION",
]

PathOrCase = Union[str, Path, Case]
ArrayOrRecord = Union[np.ndarray, TensorRecord]


# ------------------------------------------------------------------------------------------


def _shape_of(x: ArrayOrRecord) -> Tuple[int, ...]:
    return tuple(int(s) for s in (x.shape if isinstance(x, TensorRecord) else np.shape(x)))


def _dtype_name(x: ArrayOrRecord) -> str:
    return x.dtype if isinstance(x, TensorRecord) else np.asarray(x).dtype.name


def _as_array(x: ArrayOrRecord) -> np.ndarray:
    return x.load(mmap=True) if isinstance(x, TensorRecord) else np.asarray(x)


def _compare_detections(
    res: TensorResult, expected: ArrayOrRecord, actual: ArrayOrRecord, max_violations: int, chunk_elems: Optional[int]
) -> None:
    e = np.asarray(_as_array(expected))
    a = np.asarray(_as_array(actual))
    pairs, ue, ua = match_detections(e, a)
    ie = np.array([p[0] for p in pairs], dtype=np.intp)
    ia = np.array([p[1] for p in pairs], dtype=np.intp)
    em, am = np.ascontiguousarray(e[ie]), np.ascontiguousarray(a[ia])
    metrics, viol = stream_metrics(
        em, am, rule=res.rule, shape=em.shape, kind="detections", max_violations=max_violations, chunk_elems=chunk_elems
    )
    # Report indices in the expected tensor (and the actual row it was matched with).
    for v in viol:
        k, f = divmod(v["flat_index"], len(FIELDS))
        v["index"] = {"det": int(ie[k]), "field": FIELDS[f]}
        v["actual_row"] = int(ia[k])
    if metrics["max_abs_flat_index"] is not None:
        k, f = divmod(metrics["max_abs_flat_index"], len(FIELDS))
        metrics["max_abs_index"] = {"det": int(ie[k]), "field": FIELDS[f]}
    ef, af = em.astype(np.float64), am.astype(np.float64)
    diff = np.abs(af - ef)
    ok = np.asarray(res.rule.element_ok(ef if res.rule.kind == "atol" else em, af if res.rule.kind == "atol" else am),
                    bool).reshape(em.shape).all(axis=1)
    matched = [
        {"expected_index": i, "actual_index": j, "iou": iou, "max_abs_diff": float(d), "ok": bool(k)}
        for (i, j, iou), d, k in zip(pairs, diff.max(axis=1), ok)
    ]
    res.detections = {
        "expected_count": int(len(e)),
        "actual_count": int(len(a)),
        "matching": "greedy by IoU within a class",
        "matched": matched,
        "unmatched_expected": [detection_row(e, i) for i in ue],
        "unmatched_actual": [detection_row(a, j) for j in ua],
    }
    res.metrics = metrics
    res.first_violations = viol
    res.passed = res.rule.passes(metrics) and not ue and not ua
    res.status = "pass" if res.passed else "fail"
    if ue or ua:
        res.message = f"{len(ue)} expected detection(s) without a match, {len(ua)} unexpected detection(s)"


def _is_detections(kind: Optional[str], shape_e: Tuple[int, ...], shape_a: Tuple[int, ...]) -> bool:
    return order_free_rows(kind, shape_e, shape_a) is not None


def _compare_one(
    expected: ArrayOrRecord,
    actual: ArrayOrRecord,
    *,
    stage: str,
    name: str,
    rule: Rule,
    layout: Optional[str],
    kind: Optional[str],
    max_violations: int,
    chunk_elems: Optional[int],
) -> TensorResult:
    se, sa = _shape_of(expected), _shape_of(actual)
    de, da = _dtype_name(expected), _dtype_name(actual)
    res = TensorResult(
        stage=stage, name=name, rule=rule, passed=False, status="fail", layout=layout, kind=kind,
        shape=se, dtype=de, actual_shape=sa, actual_dtype=da,
    )
    if _is_detections(kind, se, sa):
        if de != da:
            res.status = "dtype_mismatch"
            res.message = f"dtype {da} where the reference has {de}"
            return res
        _compare_detections(res, expected, actual, max_violations, chunk_elems)
        return res
    if se != sa:
        res.status = "shape_mismatch"
        res.message = f"shape {list(sa)} where the reference has {list(se)}"
        return res
    metrics, viol = stream_metrics(
        expected, actual, rule=rule, shape=se, layout=layout, kind=kind, max_violations=max_violations, chunk_elems=chunk_elems
    )
    res.metrics, res.first_violations = metrics, viol
    if de != da:
        res.status = "dtype_mismatch"
        res.message = f"dtype {da} where the reference has {de} (metrics computed in float64)"
        return res
    res.passed = rule.passes(metrics)
    res.status = "pass" if res.passed else "fail"
    return res


def _diagnose(res: TensorResult, expected: Any, actual: Any, context: Dict[str, Any]) -> None:
    try:
        from pyalign.diagnose import diagnose_tensor

        e = _as_array(expected)
        a = _as_array(actual)
        res.diagnosis = list(diagnose_tensor(res, e, a, context) or [])
    except Exception as exc:  # a diagnosis must never change or break the verdict
        res.diagnosis = []
        res.notes.append(f"diagnosis failed: {type(exc).__name__}: {exc}")


def compare_arrays(
    expected: Any,
    actual: Any,
    *,
    stage: str,
    name: str = "tensor",
    layout: Optional[str] = None,
    kind: Optional[str] = None,
    atol: RuleOverrides = None,
    rtol: RuleOverrides = None,
    cosine: RuleOverrides = None,
    max_violations: int = 10,
    chunk_elems: Optional[int] = None,
) -> TensorResult:
    """Compare two in-memory tensors with the rule of ``stage`` (and overrides).

    Parameters
    ----------
    expected, actual : array-like
        The reference tensor and the one to judge.
    stage : str
        One of :data:`pyalign.store.STAGES`; picks the default rule.
    name : str
        Tensor name, for per-tensor overrides and the report.
    layout, kind : str, optional
        ``layout`` names the dimensions (NCHW ...); ``kind="detections"`` matches rows order-free.
    atol, rtol, cosine : float or dict, optional
        Overrides (``{"preprocessed": 1e-3, "postprocessed.scores": 1e-2}`` or a number for all).
    max_violations : int
        How many first violations to keep.
    chunk_elems : int, optional
        Elements per chunk given to the C++ accumulator.

    Returns
    -------
    TensorResult
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})")
    rule = resolve_rule(stage, name, atol, rtol, cosine)
    return _compare_one(
        np.asarray(expected), np.asarray(actual), stage=stage, name=name, rule=rule, layout=layout, kind=kind,
        max_violations=max_violations, chunk_elems=chunk_elems,
    )


def compare(
    reference: PathOrCase,
    actual: PathOrCase,
    *,
    atol: RuleOverrides = None,
    rtol: RuleOverrides = None,
    cosine: RuleOverrides = None,
    max_violations: int = 10,
    diagnose: bool = True,
    stages: Optional[Sequence[str]] = None,
    chunk_elems: Optional[int] = None,
    require_all: bool = False,
) -> ComparisonResult:
    """Compare an actual capture set (or a bare directory of ``.bin`` files) with the reference.

    Parameters
    ----------
    reference : path or Case
        The reference capture set (a case directory).
    actual : path or Case
        The board's output: a capture set, or a bare directory whose ``.bin`` files are
        named like the reference's (shapes and dtypes then come from the reference).
    atol, rtol, cosine : float or dict, optional
        Rule overrides per stage or per tensor (``"stage"`` or ``"stage.name"`` keys).
    max_violations : int
        How many first violations to keep per tensor.
    diagnose : bool
        Ask :func:`pyalign.diagnose.diagnose_tensor` about each failing tensor.
    stages : str or sequence of str, optional
        Compare only these stages (default: all); one stage may be given as a string.
    chunk_elems : int, optional
        Elements per streaming chunk.
    require_all : bool
        Every reference tensor the actual lacks is a failure. By default a stage the
        actual holds no tensor of, and ``raw_input``, are *not compared* (a board
        rarely writes back its input; a preprocessing-only program writes no
        postprocessed stage); a stage it holds partly fails on each absent tensor;
        comparing nothing at all is a failure.

    Returns
    -------
    ComparisonResult

    Raises
    ------
    CaptureError
        A capture set cannot be read (missing manifest, wrong file size, bad checksum ...).
    ValueError
        A malformed rule override or stage name.
    """
    for arg, what in ((reference, "reference"), (actual, "actual")):
        if not isinstance(arg, (Case, str, os.PathLike)):
            raise ValueError(f"{what} must be a path or a Case, got {type(arg).__name__}")
    if isinstance(max_violations, bool) or not isinstance(max_violations, (int, np.integer)):
        raise ValueError(f"max_violations must be an integer >= 0, got {max_violations!r}")
    if isinstance(stages, str):
        stages = [stages]
    ref = reference if isinstance(reference, Case) else read_case(reference)
    act = actual if isinstance(actual, Case) else read_actual(actual, ref)
    if stages is not None:
        bad = [s for s in stages if s not in STAGES]
        if bad:
            raise ValueError(f"unknown stage {bad[0]!r} (stages: {', '.join(STAGES)})")
    wanted = set(stages) if stages is not None else set(STAGES)
    for o, w in ((atol, "atol"), (rtol, "rtol"), (cosine, "cosine")):
        resolve_rule("raw_input", "_", **{w: o})  # validate overrides up front
    results: List[TensorResult] = []
    act_by_key = {(t.stage, t.name): t for t in act.tensors}
    present = act.stages()
    ref_keys = set()
    for rec in ref.tensors:
        if rec.stage not in wanted:
            continue
        ref_keys.add((rec.stage, rec.name))
        rule = resolve_rule(rec.stage, rec.name, atol, rtol, cosine)
        other = act_by_key.get((rec.stage, rec.name))
        if other is None:
            status = absent_status(rec.stage, present, require_all)
            results.append(
                TensorResult(
                    stage=rec.stage, name=rec.name, rule=rule, passed=False, status=status, layout=rec.layout,
                    kind=rec.kind, shape=tuple(rec.shape), dtype=rec.dtype,
                    message=_absent_message(rec, status),
                )
            )
            continue
        res = _compare_one(
            rec, other, stage=rec.stage, name=rec.name, rule=rule, layout=rec.layout, kind=rec.kind,
            max_violations=max_violations, chunk_elems=chunk_elems,
        )
        if not res.passed and diagnose:
            _diagnose(res, rec, other, {"reference_case": ref, "actual_case": act, "record": rec})
        results.append(res)
    for t in act.tensors:
        if t.stage in wanted and (t.stage, t.name) not in ref_keys:
            results.append(
                TensorResult(
                    stage=t.stage, name=t.name, rule=resolve_rule(t.stage, t.name, atol, rtol, cosine), passed=False,
                    status="extra", layout=t.layout, kind=t.kind, actual_shape=tuple(t.shape), actual_dtype=t.dtype,
                    message=f"{t.file} is not in the reference",
                )
            )
    if stages is None:
        for f in act.manifest.get("unmatched_files", []) or []:
            results.append(
                TensorResult(
                    stage="-", name=str(f), rule=Rule("exact"), passed=False, status="extra",
                    message=f"{f} matches no reference tensor",
                )
            )
    return _result(results, ref, Path(act.dir), act)


def _absent_message(rec: TensorRecord, status: str) -> str:
    if status != NOT_COMPARED:
        return f"no {rec.file} (or manifest entry) in the actual set"
    if rec.stage == "raw_input":
        return "not compared: a board need not write its raw input back (--require-all to insist)"
    return f"not compared: the actual set has no {rec.stage} stage (--require-all to insist)"


def _result(results: List[TensorResult], ref: Case, actual_dir: Path, act: Optional[Case] = None) -> ComparisonResult:
    """The case verdict: every compared tensor passes, and something was compared."""
    compared = [t for t in results if t.status != NOT_COMPARED]
    if not compared and ref.tensors:
        results.append(TensorResult(stage="-", name="(nothing)", rule=Rule("exact"), passed=False, status="fail",
                                    message="nothing to compare: the actual holds none of the reference's "
                                            "tensors in the compared stages"))
        compared = results[-1:]
    return ComparisonResult(aligned=all(t.passed for t in compared), tensors=results, reference_dir=Path(ref.dir),
                            actual_dir=actual_dir, case=ref.name, reference_case=ref, actual_case=act)


def _all_missing(ref: Case, actual_dir: Path, stages: Optional[Sequence[str]], rules: Dict[str, Any]) -> ComparisonResult:
    wanted = set(stages) if stages else set(STAGES)
    results = [
        TensorResult(
            stage=r.stage, name=r.name, rule=resolve_rule(r.stage, r.name, **rules), passed=False, status="missing",
            layout=r.layout, kind=r.kind, shape=tuple(r.shape), dtype=r.dtype,
            message=f"no actual directory {actual_dir}",
        )
        for r in ref.tensors
        if r.stage in wanted
    ]
    return ComparisonResult(aligned=not results, tensors=results, reference_dir=Path(ref.dir), actual_dir=actual_dir, case=ref.name)


def compare_tree(reference: Union[str, Path], actual: Union[str, Path], **kwargs: Any) -> List[ComparisonResult]:
    """Compare every case under a reference root with the same relative directory under ``actual``.

    Parameters
    ----------
    reference : path
        A case directory, or a directory holding case directories (found with
        :func:`pyalign.store.find_cases`).
    actual : path
        The matching case directory, or root whose sub-directories mirror the reference's.
    **kwargs
        As :func:`compare`.

    Returns
    -------
    list of ComparisonResult
        One per reference case, sorted by path. A case whose actual directory does not
        exist is reported with every tensor ``missing``.

    Raises
    ------
    CaptureError
        No case under ``reference``, or a case cannot be read.
    """
    ref_root, act_root = Path(reference), Path(actual)
    if (ref_root / MANIFEST).is_file():
        return [compare(ref_root, act_root, **kwargs)]
    if not ref_root.is_dir():
        raise CaptureError("no such directory" if not ref_root.exists() else "not a directory", ref_root)
    cases = find_cases(ref_root)
    if not cases:
        raise CaptureError(f"no capture set ({MANIFEST}) in this directory or below", ref_root)
    if not act_root.is_dir():
        raise CaptureError("no such directory" if not act_root.exists() else "not a directory", act_root)
    out: List[ComparisonResult] = []
    rules = {k: kwargs.get(k) for k in ("atol", "rtol", "cosine")}
    for c in cases:
        target = act_root / c.relative_to(ref_root)
        if target.exists():
            out.append(compare(c, target, **kwargs))
        else:
            out.append(_all_missing(read_case(c), target, kwargs.get("stages"), rules))
    return out


def assert_aligned(actual: Any, expected: Any, *, stage: str = "preprocessed", name: Optional[str] = None, **rules: Any) -> None:
    """Raise AssertionError with the text report unless ``actual`` is aligned with ``expected``.

    Parameters
    ----------
    actual, expected : array-like, path or Case
        Two arrays (judged with ``stage``'s rule), or two capture sets / directories.
    stage : str
        Stage whose rule applies to arrays.
    name : str, optional
        Tensor name (for per-tensor overrides and the message).
    **rules
        ``atol``, ``rtol``, ``cosine``, ``max_violations``, ``layout``, ``kind``
        (arrays) or ``diagnose``, ``stages`` (capture sets).

    Raises
    ------
    AssertionError
        Not aligned; the message is the text report.
    """
    if isinstance(actual, (str, Path, Case)) and isinstance(expected, (str, Path, Case)):
        result = compare(expected, actual, **rules)
        if not result.aligned:
            raise AssertionError(result.to_text())
        return
    res = compare_arrays(expected, actual, stage=stage, name=name or "tensor", **rules)
    if not res.passed:
        raise AssertionError(res.to_text())
    return None

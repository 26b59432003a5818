"""Mismatch diagnosis: test the usual causes of misalignment on a failing tensor.

Every hypothesis is tested by transforming one side of the comparison and measuring
again with the tensor's rule (never by reading metadata alone):

* tensor-only (:mod:`pyalign.diagnose.tensor`): channel order, layout, constant offset or
  scale, int8 quantization, a uint8 cast, per-channel affine (implied mean/std);
* recomputed from the capture's raw input and spec (:mod:`pyalign.diagnose.pipeline`):
  other resize kernels (:mod:`pyalign.diagnose.resize`), letterbox pad value / style / offset,
  YUV conversions (:mod:`pyalign.diagnose.yuv`), truncation instead of rounding;
* detections (:mod:`pyalign.diagnose.detections`): letterbox coordinates, x/y or w/h swapped,
  xywh or cxcywh boxes, class ids shifted by one.

The comparator calls :func:`diagnose_tensor` for each failing tensor; :func:`diagnose` is
the same on plain arrays.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from pyalign.diagnose.base import (PARTIAL_FACTOR, Hypothesis, RuleSpec, Trial, evaluate, measure, rank,
                            rule_for, strip)
from pyalign.diagnose.detections import class_trials, detection_trials, evaluate_detections, match, match_atol
from pyalign.diagnose.pipeline import pipeline_trials
from pyalign.diagnose.tensor import composed_trials, tensor_trials
from pyalign.spec.postprocess import RESULT_KINDS, infer_kind

__all__ = ["Hypothesis", "RuleSpec", "diagnose", "diagnose_tensor", "PARTIAL_FACTOR", "MAX_REPORTED"]

#: At most this many hypotheses are reported: every full explanation (up to this many) and,
#: only when there is none, the best partial ones.
MAX_REPORTED = 5


def _best(found: List[Hypothesis]) -> List[Hypothesis]:
    ranked = rank(found)
    full = [h for h in ranked if h.explains]
    return (full or ranked)[:MAX_REPORTED]


def _is_detections(arr: np.ndarray, other: np.ndarray, stage: str, kind: Optional[str]) -> bool:
    """Rows of detections on both sides (declared, or guessed for an undeclared postprocessed tensor)."""
    width = len(RESULT_KINDS["detections"].fields)
    if arr.ndim != 2 or other.ndim != 2 or arr.shape[1] < width or other.shape[1] != arr.shape[1]:
        return False
    return infer_kind(kind, stage, arr.shape, arr.dtype) == "detections"


def diagnose(expected: Any, actual: Any, *, stage: str = "preprocessed", layout: Optional[str] = None,
             kind: Optional[str] = None, color: Optional[str] = None, rule: Any = None,
             spec: Optional[Dict[str, Any]] = None, raw_input: Any = None) -> List[Hypothesis]:
    """Test every applicable hypothesis on a pair of tensors; return the explaining ones, best first.

    Parameters
    ----------
    expected, actual : array_like
        The reference tensor and the tensor under test.
    stage : str
        ``raw_input``, ``preprocessed``, ``model_output`` or ``postprocessed`` (picks the
        default rule and the families that apply).
    layout, kind, color : str, optional
        Manifest metadata of the tensor (layout guessed from the shape when None).
    rule : object, optional
        The tensor's rule (``kind``/``atol``/``rtol``/``cosine``); the stage default when None.
    spec : dict, optional
        The pipeline spec; needed for recomputation and for the implied mean/std.
    raw_input : array_like, optional
        The captured raw input; with ``spec`` it enables the resize, letterbox, YUV and
        rounding hypotheses of the ``preprocessed`` stage.

    Returns
    -------
    list of Hypothesis
        The full explanations, simplest first; when there is none, the partial ones,
        smallest residual first (at most :data:`MAX_REPORTED`). When nothing explains the
        mismatch, one ``"unexplained"`` entry says so. Empty when the tensors pass their rule.
    """
    with np.errstate(all="ignore"):  # NaN/Inf are data here, not faults: no RuntimeWarning on stderr
        exp = np.asarray(expected)
        act = np.asarray(actual)
        rspec = rule_for(rule, stage)

        if _is_detections(exp, act, stage, kind):
            before = match(exp, act, match_atol(rspec))
            if before["passed"]:
                return []
            trials = detection_trials(exp, act, spec)
            ran_trials: List[Trial] = []
            found, _ = evaluate_detections(trials, before, rspec, ran_trials)
            return _dedupe(_best(found)) or [_unexplained(strip(before), ran_trials, None)]

        before = measure(exp, act, rspec)
        if before.get("passed"):
            if exp.dtype != act.dtype:
                return [Hypothesis("dtype", f"dtype: the values match, only the dtype differs ({act.dtype} where "
                                            f"the reference has {exp.dtype}); casting the actual to {exp.dtype}",
                                   strip(before), strip(before), True, False, "tensor", {}, 0)]
            return []
        if color is None and stage == "raw_input" and isinstance(spec, dict):
            color = (spec.get("input") or {}).get("format")
        if stage not in ("raw_input", "preprocessed"):
            color = None  # a colour only describes the image stages
        trials = tensor_trials(exp, act, layout, color, spec)
        if infer_kind(kind, stage, exp.shape, exp.dtype) == "classes":
            trials = class_trials(exp, act) + trials
        missing_note = None
        ran_trials = []
        found, _ = evaluate(trials, before, rspec, ran_trials)
        if not any(h.explains for h in found):
            more, _ = evaluate(composed_trials(exp, act, layout, color, spec), before, rspec, ran_trials)
            found += more
        if stage == "preprocessed" and not any(h.explains for h in found):
            # recomputing the pipeline is the costly part: only when no tensor transform explains it
            if spec is not None and raw_input is not None:
                ptrials, info = pipeline_trials(np.asarray(raw_input), spec, exp, act)
                more, _ = evaluate(ptrials, before, rspec, ran_trials)
                found += more
                if "error" in info:
                    missing_note = f"the spec could not be recomputed: {info['error']}"
            elif exp.shape != act.shape:
                missing_note = ("whether another resize/letterbox size explains it needs the raw input "
                                "and the spec in the reference capture")
            else:
                missing_note = ("resize, letterbox, YUV and rounding hypotheses need the raw input "
                                "and the spec in the reference capture")
        return _best(found) or [_unexplained(strip(before), ran_trials, missing_note)]


#: Family labels of the hypotheses, in the order the "nothing explains" text lists them.
FAMILY_LABELS = ("class ids", "detections", "channel order", "layout", "offset/scale", "quantization",
                 "uint8 cast", "affine", "YUV", "two-step combinations", "output size", "resize",
                 "letterbox", "rounding", "reference recomputation")


def family_label(trial: Trial) -> str:
    """The family label of a trial, as listed in the "nothing explains" text."""
    name = trial.name
    if "+" in name:
        return "two-step combinations"
    if ".class_shift" in name:
        return "class ids"
    if name.startswith("detections."):
        return "detections"
    by_name = {"channel_swap": "channel order", "layout": "layout", "reshape": "layout",
               "offset": "offset/scale", "scale": "offset/scale", "quantization": "quantization",
               "rounding.uint8_cast": "uint8 cast", "rounding.round_to_uint8": "uint8 cast",
               "affine": "affine", "size.output": "output size", "reference_off_spec": "reference recomputation"}
    if name in by_name:
        return by_name[name]
    if name.startswith("yuv."):
        return "YUV"
    return {"resize": "resize", "letterbox": "letterbox", "yuv": "YUV", "rounding": "rounding"}.get(
        trial.family, trial.family)


def _dedupe(found: List[Hypothesis]) -> List[Hypothesis]:
    """Drop a fitted coordinate frame when the letterbox mapping already explains the boxes.

    Both are affine maps of the box coordinates that make every box match: the same
    explanation, once named (letterbox geometry from the spec) and once fitted.
    """
    names = {h.name for h in found if h.explains}
    if "detections.letterbox_coords" in names:
        return [h for h in found if not (h.explains and h.name == "detections.coordinate_frame")]
    return found


def _unexplained(before: Dict[str, Any], ran_trials: List[Trial], note: Optional[str]) -> Hypothesis:
    ran = len(ran_trials)
    seen = {family_label(t) for t in ran_trials}
    families = [f for f in FAMILY_LABELS if f in seen] + sorted(seen - set(FAMILY_LABELS))
    shape = ""
    if "shape_actual" in before:
        shape = (f"the shapes differ: the actual is {list(before['shape_actual'])} where the reference is "
                 f"{list(before['shape_expected'])}; ")
    if ran == 0:
        text = f"nothing explains the mismatch: {shape}no hypothesis applies to these tensors"
    else:
        fix = f"makes the tensor pass with its error cut {PARTIAL_FACTOR:g}x or reduces the residual {PARTIAL_FACTOR:g}x"
        if ran == 1:
            text = (f"nothing explains the mismatch: {shape}the one hypothesis tried ({families[0]}) does not "
                    f"make the tensor pass with its error cut {PARTIAL_FACTOR:g}x nor reduce the residual "
                    f"{PARTIAL_FACTOR:g}x")
        else:
            text = f"nothing explains the mismatch: {shape}none of the {ran} hypotheses tried ({', '.join(families)}) {fix}"
    if note:
        text += f" ({note})"
    return Hypothesis("unexplained", text, before, {}, False, False, "none",
                      {"tried": ran, "families": families}, 1000)


def _case_array(case: Any, stage: str) -> Optional[np.ndarray]:
    if case is None:
        return None
    try:
        return np.asarray(case.array(stage))
    except Exception:  # noqa: BLE001 - any store error means "not available"
        pass
    try:  # several tensors in the stage: the first one (the spec's single input)
        return np.asarray(case.stage(stage)[0].load())
    except Exception:  # noqa: BLE001
        return None


def diagnose_tensor(result: Any, expected: Any, actual: Any, context: Any = None) -> List[Hypothesis]:
    """Diagnose one failing tensor of a comparison (the comparator's hook).

    Parameters
    ----------
    result : TensorResult or None
        Supplies ``stage``, ``rule``, ``layout`` and ``kind`` (duck-typed).
    expected, actual : array_like or None
        The two tensors; nothing is diagnosed when either is missing.
    context : dict, optional
        ``{"reference_case": Case, "actual_case": Case, "record": TensorRecord}``; the
        reference case's ``spec`` and ``raw_input`` enable the recomputed hypotheses.

    Returns
    -------
    list of Hypothesis
        See :func:`diagnose`.
    """
    if expected is None or actual is None:
        return []
    context = context or {}
    record = context.get("record")
    ref_case = context.get("reference_case")
    act_case = context.get("actual_case")
    stage = getattr(result, "stage", None) or getattr(record, "stage", None) or "preprocessed"
    layout = getattr(result, "layout", None) or getattr(record, "layout", None)
    kind = getattr(result, "kind", None) or getattr(record, "kind", None)
    color = getattr(record, "color", None)
    spec = getattr(ref_case, "spec", None) or getattr(act_case, "spec", None)
    raw = None
    if stage == "preprocessed" and spec is not None:
        raw = _case_array(ref_case, "raw_input")
        if raw is None:
            raw = _case_array(act_case, "raw_input")
    rule = getattr(result, "rule", None)
    return diagnose(expected, actual, stage=stage, layout=layout, kind=kind, color=color,
                    rule=rule_for(rule, stage) if rule is not None else None, spec=spec, raw_input=raw)

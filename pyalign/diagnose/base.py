"""Shared machinery of the mismatch diagnosis: hypotheses, rules, metrics and ranking.

A hypothesis is tested by *transforming* one side of a failing comparison and
measuring again with the tensor's own rule. It **explains** the mismatch when the
transformed tensor passes that rule *and* the transform cut max |diff| or RMSE to 0 or by at
least :data:`PARTIAL_FACTOR` (so a loose rule does not let unrelated transforms "explain");
it **partially explains** it when the
residual drops by at least :data:`PARTIAL_FACTOR` (RMSE or number of violating
elements; for detections: at least half of the unmatched boxes become matched).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from pyalign.jsonsafe import json_safe
from pyalign.compare.rules import Rule, as_rule

#: Residual reduction (RMSE or violation count) that makes a hypothesis "partially explain".
PARTIAL_FACTOR = 10.0

#: Largest number of elements a least-squares fit looks at (a fixed, seeded sub-sample).
FIT_SAMPLE = 200_000

#: Elements of the sub-sample that screens a transform before the full measurement.
QUICK_SAMPLE = 50_000

#: The rule a transformed tensor is measured with: the comparator's :class:`~pyalign.compare.rules.Rule`.
RuleSpec = Rule


def rule_for(result: Any = None, stage: Optional[str] = None) -> Rule:
    """The rule of a comparator result (``.rule``), a rule-like object or dict, or the stage default."""
    return as_rule(result, stage)


@dataclass
class Hypothesis:
    """One tested cause of a mismatch.

    Attributes
    ----------
    name : str
        Stable identifier, e.g. ``"channel_swap"`` or ``"resize.nearest"``.
    description : str
        What was done, in words ("swapping B and R on the actual").
    before, after : dict
        Metrics of the comparison before and after the transform.
    explains : bool
        The transformed tensor passes the tensor's rule.
    partial : bool
        Not a full explanation, but the residual dropped by the documented factor.
    family : str
        ``"tensor"``, ``"resize"``, ``"letterbox"``, ``"yuv"``, ``"rounding"``,
        ``"scale"``, ``"detections"`` or ``"none"``.
    params : dict
        Fitted or assumed parameters (scale, implied mean/std, ...).
    """

    name: str
    description: str
    before: Dict[str, Any]
    after: Dict[str, Any]
    explains: bool
    partial: bool = False
    family: str = "tensor"
    params: Dict[str, Any] = field(default_factory=dict)
    priority: int = 50

    @property
    def verdict(self) -> str:
        """``"explains"``, ``"partially explains"`` or ``"does not explain"``."""
        if self.explains:
            return "explains"
        return "partially explains" if self.partial else "does not explain"

    def to_dict(self) -> Dict[str, Any]:
        """Return a JSON-serialisable dict of this hypothesis."""
        return {
            "name": self.name,
            "family": self.family,
            "description": self.description,
            "verdict": self.verdict,
            "explains": bool(self.explains),
            "partial": bool(self.partial),
            "before": json_safe(self.before),
            "after": json_safe(self.after),
            "params": json_safe(self.params),
        }

    def __str__(self) -> str:
        if self.name == "unexplained":
            return self.description
        return f"{self.description}: {self.verdict} ({_change(self.before, self.after)})"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value == 0:
            return "0"
        return f"{value:.4g}"
    return str(value)


def _change(before: Dict[str, Any], after: Dict[str, Any]) -> str:
    parts = []
    if "shape_actual" in before and "shape_actual" not in after:
        compared = after.get("shape_compared")
        if compared is not None and list(compared) != list(before["shape_expected"]):
            # the reference side was recomputed at the actual's shape (another output size)
            parts.append(f"recomputed at the actual's shape {tuple(compared)}")
        else:
            parts.append(f"shape {tuple(before['shape_actual'])} -> {tuple(before['shape_expected'])}")
        if "max_abs_diff" in after:
            parts.append(f"then max |diff| {_fmt(after['max_abs_diff'])}")
        return ", ".join(parts)
    order = ("cosine", "max_abs_diff") if "cosine" in before else ("max_abs_diff", "unmatched", "violations")
    keys = [k for k in order if k in before and k in after]
    if not keys:
        return "no metrics"
    for k in keys[:2]:
        label = {"max_abs_diff": "max |diff|"}.get(k, k)
        parts.append(f"{label} {_fmt(before[k])} -> {_fmt(after[k])}")
    return ", ".join(parts)


def as_float(a: Any) -> np.ndarray:
    """Return ``a`` as a float64 array (a copy only when needed)."""
    return np.asarray(a, dtype=np.float64)


def measure(expected: np.ndarray, actual: np.ndarray, rule: RuleSpec) -> Dict[str, Any]:
    """Measure ``actual`` against ``expected`` with ``rule``.

    Returns
    -------
    dict
        ``passed``, ``max_abs_diff``, ``rmse``, ``violations``, ``violation_pct`` and, for a
        cosine rule, ``cosine`` (``shape_expected``/``shape_actual`` when the shapes differ:
        then ``passed`` is False).
    """
    if expected.shape != actual.shape:
        return {"passed": False, "shape_expected": list(expected.shape),
                "shape_actual": list(actual.shape)}
    e = as_float(expected)
    a = as_float(actual)
    n = e.size
    if n == 0:
        return {"passed": True, "max_abs_diff": 0.0, "rmse": 0.0, "violations": 0,
                "violation_pct": 0.0}
    with np.errstate(invalid="ignore", over="ignore"):
        d = np.abs(a - e)
        same_nonfinite = (~np.isfinite(e)) & (
            (np.isnan(e) & np.isnan(a)) | (np.isinf(e) & (a == e)))
        d = np.where(same_nonfinite, 0.0, d)
        d = np.where(np.isnan(d), np.inf, d)
        if rule.kind == "exact":
            bad = d != 0
        elif rule.kind == "atol":
            tol = (rule.atol or 0.0) + rule.rtol * np.abs(np.where(np.isfinite(e), e, 0.0))
            bad = ~(d < tol) & ~same_nonfinite
        else:
            bad = np.zeros(e.shape, bool)
        finite = d[np.isfinite(d)]
        max_abs = float(d.max())
        rmse = float(np.sqrt(np.mean(finite * finite))) if finite.size else float("inf")
        cos = _cosine(e, a) if rule.kind == "cosine" else None
    violations = int(bad.sum())
    out = {"passed": False, "max_abs_diff": max_abs, "rmse": rmse, "violations": violations,
           "violation_pct": 100.0 * violations / n}
    if cos is not None:
        out["cosine"] = cos
        out["passed"] = cos >= (rule.cosine if rule.cosine is not None else 0.98) and \
            bool(np.all(np.isfinite(a) | same_nonfinite))
    else:
        out["passed"] = violations == 0
    return out


def _cosine(e: np.ndarray, a: np.ndarray) -> float:
    """Cosine similarity of the finite parts of two float64 arrays."""
    ef = np.where(np.isfinite(e), e, 0.0).ravel()
    af = np.where(np.isfinite(a), a, 0.0).ravel()
    ne, na = float(np.linalg.norm(ef)), float(np.linalg.norm(af))
    if ne == 0 and na == 0:
        return 1.0
    if ne == 0 or na == 0:
        return 0.0
    return float(np.dot(ef, af) / (ne * na))


def is_substantial(before: Dict[str, Any], after: Dict[str, Any], rule: RuleSpec) -> bool:
    """Whether ``after`` cuts the error of ``before`` enough for a passing transform to *explain*.

    Passing the rule is not enough on its own: with a loose rule (``atol=1.0`` on 0..1 data)
    unrelated transforms pass too. The transform must also bring max |diff| or RMSE to 0 or
    down by at least :data:`PARTIAL_FACTOR` (for a cosine rule, alternatively ``1 - cosine``).
    A shape difference that the transform resolves counts as substantial.
    """
    if "rmse" not in before or "rmse" not in after:
        return "shape_actual" in before and "shape_actual" not in after
    for key in ("max_abs_diff", "rmse"):
        b, a = before.get(key), after.get(key)
        if b is None or a is None:
            continue
        if a == 0 or (not math.isfinite(b) and math.isfinite(a)) or (b > 0 and a * PARTIAL_FACTOR <= b):
            return True
    if rule.kind == "cosine" and "cosine" in before and "cosine" in after:
        cb, ca = 1.0 - before["cosine"], 1.0 - after["cosine"]
        if ca <= 0 or (cb > 0 and ca * PARTIAL_FACTOR <= cb):
            return True
    return False


def is_partial(before: Dict[str, Any], after: Dict[str, Any], rule: RuleSpec) -> bool:
    """Whether ``after`` is a large (>= :data:`PARTIAL_FACTOR`) improvement over ``before``."""
    if "rmse" not in before or "rmse" not in after:
        return False
    rb, ra = before["rmse"], after["rmse"]
    if math.isfinite(rb) and rb > 0 and ra * PARTIAL_FACTOR <= rb:
        return True
    if rule.kind != "cosine":
        vb, va = before["violations"], after["violations"]
        if vb > 0 and va * PARTIAL_FACTOR <= vb:
            return True
    else:
        # 1 - cosine drops by the factor
        cb, ca = 1.0 - before["cosine"], 1.0 - after["cosine"]
        if cb > 0 and ca * PARTIAL_FACTOR <= cb:
            return True
    return False


@dataclass
class Trial:
    """A candidate transform: ``make()`` returns ``(expected', actual')`` or None to skip."""

    name: str
    description: str
    family: str
    priority: int
    make: Callable[[], Optional[Tuple[np.ndarray, np.ndarray]]]
    params: Dict[str, Any] = field(default_factory=dict)


#: Judges one transformed pair: ``(after metrics, partial)``, or None to drop it unmeasured.
Judge = Callable[[Any, Any], Optional[Tuple[Dict[str, Any], bool]]]


def run_trials(trials: Sequence[Trial], before: Dict[str, Any], judge: Judge,
               ran_trials: Optional[List[Trial]] = None) -> Tuple[List[Hypothesis], int]:
    """Run every trial through ``judge``; return the hypotheses that (partially) explain, and how many ran.

    A trial whose ``make()`` raises or returns None does not run. A hypothesis explains when
    the judged metrics say ``passed``, and partially explains when it does not but the judge
    reports a partial improvement. ``ran_trials``, when given, receives every trial that ran.
    """
    found: List[Hypothesis] = []
    ran = 0
    for trial in trials:
        try:
            pair = trial.make()
        except Exception:  # noqa: BLE001 - a transform that cannot be computed is not a hypothesis
            pair = None
        if pair is None:
            continue
        ran += 1
        if ran_trials is not None:
            ran_trials.append(trial)
        verdict = judge(pair[0], pair[1])
        if verdict is None:
            continue
        after, improved = verdict
        explains = bool(after.get("passed"))
        partial = (not explains) and improved
        if explains or partial:
            found.append(Hypothesis(trial.name, trial.description, strip(before), strip(after),
                                    explains, partial, trial.family, dict(trial.params),
                                    trial.priority))
    return found, ran


def evaluate(trials: Sequence[Trial], before: Dict[str, Any], rule: RuleSpec,
             ran_trials: Optional[List[Trial]] = None) -> Tuple[List[Hypothesis], int]:
    """Run every trial; return the hypotheses that (partially) explain, and how many ran.

    A transformed tensor that passes the rule explains the mismatch only when the transform
    also cut the error substantially (:func:`is_substantial`); otherwise it is measured like
    dropped. ``ran_trials``, when given, receives every trial that ran.
    """
    def judge(expected: Any, actual: Any) -> Optional[Tuple[Dict[str, Any], bool]]:
        exp2, act2 = np.asarray(expected), np.asarray(actual)
        if exp2.shape == act2.shape and exp2.size > QUICK_SAMPLE * 4:
            # reject hopeless transforms on a fixed sub-sample; verdicts always use every element
            idx = sample_index(exp2.size, QUICK_SAMPLE)
            quick = measure(exp2.reshape(-1)[idx], act2.reshape(-1)[idx], rule)
            if not _promising(before, quick, rule):
                return None
        after = measure(exp2, act2, rule)
        if "shape_actual" in before and "shape_actual" not in after:
            after["shape_compared"] = list(exp2.shape)
        if after.get("passed") and not is_substantial(before, after, rule):
            # passes a loose rule without getting much closer: neither an explanation nor a
            # partial one (a violation count of 1 -> 0 says nothing about the cause)
            after["passed"] = False
            return after, False
        return after, not after.get("passed") and is_partial(before, after, rule)

    return run_trials(trials, before, judge, ran_trials)


def _promising(before: Dict[str, Any], quick: Dict[str, Any], rule: RuleSpec) -> bool:
    """Whether a sub-sample measurement may still turn into a (partial) explanation.

    Twice as lenient as :func:`is_partial`, on sub-sample estimates of RMSE, violation
    percentage and 1 - cosine.
    """
    if quick.get("passed") or "rmse" not in before:
        return True
    f = PARTIAL_FACTOR / 2
    rb, rq = before["rmse"], quick["rmse"]
    if not math.isfinite(rb) or rq * f <= rb:
        return True
    if rule.kind != "cosine" and quick["violation_pct"] * f <= before["violation_pct"]:
        return True
    if rule.kind == "cosine" and (1.0 - quick["cosine"]) * f <= (1.0 - before["cosine"]):
        return True
    return False


def strip(metrics: Dict[str, Any]) -> Dict[str, Any]:
    """Drop the ``passed`` flag from a metrics dict (kept in ``explains``)."""
    return {k: v for k, v in metrics.items() if k != "passed"}


def rank(hypotheses: List[Hypothesis]) -> List[Hypothesis]:
    """Best first: full explanations (simplest first), then partial ones (smallest residual)."""
    def key(h: Hypothesis) -> Tuple[Any, ...]:
        if h.explains:
            return (0, h.priority, h.after.get("max_abs_diff", 0.0) or 0.0, h.name)
        rb = h.before.get("rmse") or h.before.get("unmatched") or 1.0
        ra = h.after.get("rmse", h.after.get("unmatched", rb))
        ratio = (ra / rb) if rb else 1.0
        return (1, ratio, h.priority, h.name)

    return sorted(hypotheses, key=key)


def sample_index(n: int, limit: int = FIT_SAMPLE, seed: int = 0) -> Optional[np.ndarray]:
    """Return indices of a fixed, scattered sub-sample of ``n`` items, or None for all.

    A multiplicative walk ``i * step mod n`` with ``step`` coprime to ``n``: distinct indices
    spread over the whole tensor without the cost of a random permutation.
    """
    if n <= limit:
        return None
    step = (2654435761 + 7919 * seed) % n or 1
    while math.gcd(step, n) != 1:
        step += 1
    return (np.arange(limit, dtype=np.int64) * step) % n


def subsample(*arrays: np.ndarray, limit: int = FIT_SAMPLE) -> List[np.ndarray]:
    """Flatten arrays of one size and take the same fixed sub-sample of each."""
    flat = [np.asarray(a).ravel() for a in arrays]
    idx = sample_index(flat[0].size, limit)
    return flat if idx is None else [f[idx] for f in flat]


def fit_line(x: np.ndarray, y: np.ndarray, min_slope: float = 1e-12) -> Optional[Tuple[float, float]]:
    """Least-squares ``y = a*x + b`` on finite float64 arrays of one size.

    Returns
    -------
    (float, float) or None
        ``(a, b)``; None with fewer than two points, a constant ``x``, or ``|a| < min_slope``.
    """
    if x.size < 2:
        return None
    xm, ym = x.mean(), y.mean()
    var = float(np.dot(x - xm, x - xm))
    if var == 0.0:
        return None
    a = float(np.dot(x - xm, y - ym) / var)
    if not np.isfinite(a) or abs(a) < min_slope:
        return None
    return a, float(ym - a * xm)


def is_integer_dtype(a: np.ndarray) -> bool:
    """True for numpy integer and bool dtypes."""
    return np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_


def cast_like(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Round (half to even) and saturate ``values`` when ``like`` is an integer tensor."""
    if is_integer_dtype(like):
        info = np.iinfo(like.dtype)
        return np.clip(np.rint(values), info.min, info.max)
    return values

"""Diagnosis rules and the shared trial runner."""
from __future__ import annotations

import numpy as np
import pytest

from pyalign.compare.rules import DEFAULT_RULES, Rule, rule_text
from pyalign.diagnose.base import RuleSpec, Trial, run_trials, rule_for
from pyalign.diagnose.detections import class_trials, detection_trials


@pytest.mark.parametrize("kind,atol,rtol,cosine,text", [
    ("exact", 0.0, 0.0, None, "exact"),
    ("atol", 1e-4, 0.0, None, "|a-e| < 0.0001"),
    ("atol", 0.5, 0.01, None, "|a-e| < 0.5 + 0.01*|e|"),
    ("cosine", 0.0, 0.0, 0.99, "cosine >= 0.99"),
])
def test_rule_and_rulespec_print_alike(kind, atol, rtol, cosine, text) -> None:
    assert rule_text(kind, atol, rtol, cosine) == text
    assert str(Rule(kind, atol, rtol, cosine)) == text
    assert str(RuleSpec(kind, atol, rtol, cosine)) == text


@pytest.mark.parametrize("stage", sorted(DEFAULT_RULES))
def test_stage_defaults_follow_the_comparator(stage: str) -> None:
    r, d = rule_for(None, stage), DEFAULT_RULES[stage]
    assert r == d and str(r) == str(d)


def test_unknown_stage_takes_the_preprocessed_rule() -> None:
    assert rule_for(None, "nope") == RuleSpec("atol", 1e-4, 0.0, None)
    assert rule_for(None, None) == RuleSpec("atol", 1e-4, 0.0, None)


def _trial(name, make, priority=1):
    return Trial(name, f"does {name}", "tensor", priority, make, {"p": name})


def test_run_trials_counts_and_verdicts() -> None:
    e = np.zeros(4)

    def boom():
        raise RuntimeError("cannot")

    trials = [
        _trial("raises", boom),
        _trial("skipped", lambda: None),
        _trial("passes", lambda: (e, e)),
        _trial("improves", lambda: (e, e + 1)),
        _trial("dropped", lambda: (e, e + 2)),
        _trial("nothing", lambda: (e, e + 3)),
    ]
    before = {"passed": False, "rmse": 9.0}

    def judge(exp, act):
        d = float(np.max(np.abs(act - exp)))
        if d == 2:
            return None
        return {"passed": d == 0, "max_abs_diff": d}, d == 1 or d == 0

    found, ran = run_trials(trials, before, judge)
    assert ran == 4  # make() raising or returning None does not run
    assert [(h.name, h.explains, h.partial) for h in found] == [("passes", True, False), ("improves", False, True)]
    assert found[0].before == {"rmse": 9.0} and found[0].after == {"max_abs_diff": 0.0}
    assert found[1].params == {"p": "improves"} and found[1].family == "tensor"


def test_class_shift_trials_undo_the_shift() -> None:
    det = np.array([[0, 0, 10, 10, 0.9, 3], [5, 5, 20, 20, 0.8, 1]], np.float32)
    shifted = det.copy()
    shifted[:, 5] += 1
    by_name = {t.name: t for t in detection_trials(det, shifted, None)}
    plus = by_name["detections.class_shift_+1"]
    assert plus.description == ("detections: class ids shifted by +1 in the actual (e.g. 1-based ids); "
                                "subtracting +1")
    assert plus.priority == 30 and plus.params == {"shift": 1}
    exp, act = plus.make()
    np.testing.assert_array_equal(act, det.astype(np.float64))
    assert shifted[0, 5] == 4  # the actual itself is not modified

    cls = np.array([[3, 0.5], [1, 0.25]], np.float32)
    trials = class_trials(cls, cls - [1, 0])
    assert [t.name for t in trials] == ["classes.class_shift_-1", "classes.class_shift_+1"]
    assert trials[0].description == ("classes: class ids shifted by -1 in the actual (e.g. 1-based ids or a "
                                     "background class); subtracting -1")
    assert trials[0].priority == 5
    np.testing.assert_array_equal(trials[0].make()[1], cls.astype(np.float64))

"""Diagnosis of detection tensors (float32 ``[N, 6]``: x1, y1, x2, y2, score, class).

Detections are matched order-free: pairs are formed greedily by the smallest largest-column
difference, and a pair matches when every column differs by less than the rule's atol. A
hypothesis transforms the actual's rows (map letterbox coordinates back, swap x/y or w/h,
read xywh / cxcywh, shift class ids) and matches again. It explains the mismatch when every
detection then has a partner; it partially explains it when at least half of the unmatched
detections find one.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from pyalign.diagnose.base import Hypothesis, RuleSpec, Trial, fit_line, run_trials
from pyalign.reference.preprocess import letterbox_geometry

#: Largest number of rows matched (beyond that the first rows by score are used).
MAX_ROWS = 2000


def match_atol(rule: RuleSpec) -> float:
    """The per-field tolerance two matched rows must meet: the rule's ``atol``, ``1e-12`` for an
    ``exact`` rule, ``1e-3`` otherwise (a cosine rule, or an ``atol`` rule of 0)."""
    if rule.kind == "atol" and rule.atol:
        return rule.atol
    return 1e-12 if rule.kind == "exact" else 1e-3


def match(expected: np.ndarray, actual: np.ndarray, atol: float) -> Dict[str, Any]:
    """Match two detection sets; return ``matched``, ``unmatched``, ``max_abs_diff`` and ``passed``."""
    e = np.asarray(expected, np.float64).reshape(-1, expected.shape[-1] if expected.ndim else 1)[:MAX_ROWS]
    a = np.asarray(actual, np.float64).reshape(-1, actual.shape[-1] if actual.ndim else 1)[:MAX_ROWS]
    ne, na = len(e), len(a)
    if e.shape[1:] != a.shape[1:]:
        return {"passed": False, "matched": 0, "unmatched": ne + na, "max_abs_diff": float("inf"),
                "count_expected": ne, "count_actual": na}
    matched = 0
    worst = 0.0
    if ne and na:
        cost = np.abs(e[:, None, :] - a[None, :, :]).max(axis=2)
        cost = np.where(np.isnan(cost), np.inf, cost)
        order = np.argsort(cost, axis=None, kind="stable")
        used_e = np.zeros(ne, bool)
        used_a = np.zeros(na, bool)
        pairs = 0
        for flat in order:
            i, j = divmod(int(flat), na)
            if used_e[i] or used_a[j]:
                continue
            used_e[i] = used_a[j] = True
            c = float(cost[i, j])
            worst = max(worst, c)
            matched += c < atol
            pairs += 1
            if pairs == min(ne, na):
                break
    unmatched = ne + na - 2 * matched
    if ne != na:
        worst = float("inf") if (ne == 0 or na == 0) else worst
    return {"passed": unmatched == 0, "matched": int(matched), "unmatched": int(unmatched),
            "max_abs_diff": worst, "count_expected": ne, "count_actual": na}


def _geometry(spec: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The image -> model-input geometry of a spec's first resize or letterbox op."""
    if not isinstance(spec, dict):
        return None
    inp = spec.get("input") or {}
    w, h = inp.get("width"), inp.get("height")
    if not w or not h:
        return None
    for op in spec.get("preprocess") or []:
        if op.get("op") == "letterbox":
            sw, sh = op["size"]
            try:
                return letterbox_geometry(int(w), int(h), int(sw), int(sh), op.get("style", "ultralytics"))
            except ValueError:  # an empty letterbox content: no geometry to fit against
                return None
        if op.get("op") == "resize":
            sw, sh = op["size"]
            return {"scale_x": sw / w, "scale_y": sh / h, "pad_left": 0, "pad_top": 0,
                    "src_width": int(w), "src_height": int(h)}
    return None


def _xyxy_from(boxes: np.ndarray, kind: str) -> np.ndarray:
    b = boxes.copy()
    if kind == "xywh":
        b[:, 2] = boxes[:, 0] + boxes[:, 2]
        b[:, 3] = boxes[:, 1] + boxes[:, 3]
    elif kind == "cxcywh":
        b[:, 0] = boxes[:, 0] - boxes[:, 2] / 2
        b[:, 1] = boxes[:, 1] - boxes[:, 3] / 2
        b[:, 2] = boxes[:, 0] + boxes[:, 2] / 2
        b[:, 3] = boxes[:, 1] + boxes[:, 3] / 2
    return b


def _frame_fit(exp: np.ndarray, act: np.ndarray) -> Optional[Tuple[float, float, float, float]]:
    """Least-squares ``x_e = ax*x_a + bx``, ``y_e = ay*y_a + by`` over rows paired by rank of score.

    Only when both sets have the same count (>= 2) and the same scores: the boxes alone changed.
    """
    if len(exp) != len(act) or len(exp) < 2:
        return None
    e = np.asarray(exp, np.float64)[np.argsort(-np.asarray(exp, np.float64)[:, 4], kind="stable")]
    a = act[np.argsort(-act[:, 4], kind="stable")]
    if not np.allclose(e[:, 4], a[:, 4], atol=1e-3, rtol=0):
        return None
    out = []
    for cols in ([0, 2], [1, 3]):
        x, y = a[:, cols].ravel(), e[:, cols].ravel()
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            return None
        fit = fit_line(x, y, min_slope=1e-9)
        if fit is None:
            return None
        out += fit
    if all(abs(out[i] - 1) < 1e-9 and abs(out[i + 1]) < 1e-9 for i in (0, 2)):
        return None  # the identity: nothing to try
    return out[0], out[1], out[2], out[3]


def _num(value: float) -> str:
    """``value`` with 6 significant digits, never ``-0`` (rounding noise below 1e-9 reads as 0)."""
    v = float(value)
    if abs(v) < 1e-9:
        v = 0.0
    return f"{v + 0.0:.6g}"


def _plus(value: float) -> str:
    """``+ 3`` or ``- 80`` (for ``x*k + b`` texts), never ``+ -80`` or ``-0``."""
    text = _num(value)
    return f"- {text[1:]}" if text.startswith("-") else f"+ {text}"


def detection_trials(exp: np.ndarray, act: np.ndarray, spec: Optional[Dict[str, Any]]) -> List[Trial]:
    """Transforms of the actual's rows that undo the usual detection mistakes."""
    if exp.ndim != 2 or act.ndim != 2 or exp.shape[1] < 6 or act.shape[1] != exp.shape[1]:
        return []
    a = np.asarray(act, np.float64)
    trials: List[Trial] = []

    def with_boxes(boxes: np.ndarray) -> np.ndarray:
        out = a.copy()
        out[:, :4] = boxes
        return out

    geo = _geometry(spec)
    if geo is not None:
        def back() -> Tuple[np.ndarray, np.ndarray]:
            b = a[:, :4].copy()
            b[:, [0, 2]] = (b[:, [0, 2]] - geo["pad_left"]) / geo["scale_x"]
            b[:, [1, 3]] = (b[:, [1, 3]] - geo["pad_top"]) / geo["scale_y"]
            b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, geo["src_width"])
            b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, geo["src_height"])
            return exp, with_boxes(b)

        trials.append(Trial("detections.letterbox_coords",
                            "detections: the actual's boxes are in model-input (letterbox) coordinates; "
                            f"mapping them back (scale {_num(geo['scale_x'])}, "
                            f"pad {_num(geo['pad_left'])}, {_num(geo['pad_top'])})",
                            "detections", 10, back,
                            {"scale_x": geo["scale_x"], "scale_y": geo["scale_y"],
                             "pad_left": geo["pad_left"], "pad_top": geo["pad_top"]}))
    inp = spec.get("input") if isinstance(spec, dict) else None
    if isinstance(inp, dict) and inp.get("width") and inp.get("height"):
        iw, ih = float(inp["width"]), float(inp["height"])

        def clip() -> Tuple[np.ndarray, np.ndarray]:
            b = a[:, :4].copy()
            b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, iw)
            b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, ih)
            return exp, with_boxes(b)

        trials.append(Trial("detections.not_clipped", f"detections: the actual's boxes are not clipped to the "
                                                      f"{iw:g}x{ih:g} image; clipping them", "detections", 12, clip))
    fit = _frame_fit(exp, a)
    if fit is not None:
        ax, bx, ay, by = fit

        def refit() -> Tuple[np.ndarray, np.ndarray]:
            b = a[:, :4].copy()
            b[:, [0, 2]] = b[:, [0, 2]] * ax + bx
            b[:, [1, 3]] = b[:, [1, 3]] * ay + by
            return exp, with_boxes(b)

        hint = ""
        if abs(bx) < 1e-3 and abs(by) < 1e-3 and ax > 1.5 and ay > 1.5:
            hint = f" (boxes normalized to 0..1: the image is {_num(ax)} x {_num(ay)})"
        elif abs(ax - ay) <= 1e-6 * abs(ax):
            hint = f" (letterbox coordinates: r = {_num(1 / ax)}, pad {_num(-bx / ax)}, {_num(-by / ay)})"
        trials.append(Trial("detections.coordinate_frame",
                            f"detections: the actual's boxes are in another coordinate frame: x*{_num(ax)} {_plus(bx)}, "
                            f"y*{_num(ay)} {_plus(by)} maps them onto the expected{hint}", "detections", 15, refit,
                            {"ax": ax, "bx": bx, "ay": ay, "by": by}))
    trials.append(Trial("detections.xy_swap", "detections: x and y swapped in the actual's boxes; swapping back",
                        "detections", 20, lambda: (exp, with_boxes(a[:, [1, 0, 3, 2]]))))

    def wh() -> Tuple[np.ndarray, np.ndarray]:
        cx, cy = (a[:, 0] + a[:, 2]) / 2, (a[:, 1] + a[:, 3]) / 2
        w, h = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
        return exp, with_boxes(np.stack([cx - h / 2, cy - w / 2, cx + h / 2, cy + w / 2], 1))

    trials.append(Trial("detections.wh_swap", "detections: width and height swapped in the actual's boxes; "
                                              "swapping back", "detections", 21, wh))
    trials.append(Trial("detections.xywh", "detections: the actual's boxes are x, y, w, h (corner + size), "
                                           "not x1, y1, x2, y2; converting", "detections", 22,
                        lambda: (exp, with_boxes(_xyxy_from(a[:, :4], "xywh")))))
    trials.append(Trial("detections.cxcywh", "detections: the actual's boxes are cx, cy, w, h (centre + size), "
                                             "not x1, y1, x2, y2; converting", "detections", 23,
                        lambda: (exp, with_boxes(_xyxy_from(a[:, :4], "cxcywh")))))
    return trials + _class_shift_trials("detections", exp, a, 5, "e.g. 1-based ids", 30)


def class_trials(exp: np.ndarray, act: np.ndarray) -> List[Trial]:
    """Classification results ``[k, 2]`` (class_id, probability): class ids shifted by one."""
    if exp.ndim != 2 or exp.shape[1] != 2 or act.shape != exp.shape:
        return []
    return _class_shift_trials("classes", exp, act, 0, "e.g. 1-based ids or a background class", 5)


def _class_shift_trials(what: str, exp: np.ndarray, act: np.ndarray, column: int, example: str,
                        priority: int) -> List[Trial]:
    """Trials that subtract -1 and +1 from the class ids in ``column`` of the actual's rows."""
    trials: List[Trial] = []
    for d in (-1, 1):
        def shift(d: int = d) -> Tuple[np.ndarray, np.ndarray]:
            out = np.array(act, np.float64)
            out[:, column] -= d
            return exp, out

        trials.append(Trial(f"{what}.class_shift_{'+' if d > 0 else '-'}1",
                            f"{what}: class ids shifted by {d:+d} in the actual ({example}); "
                            f"subtracting {d:+d}", "detections", priority, shift, {"shift": d}))
    return trials


def evaluate_detections(trials: List[Trial], before: Dict[str, Any], rule: RuleSpec,
                        ran_trials: Optional[List[Trial]] = None) -> Tuple[List[Hypothesis], int]:
    """Run detection trials with order-free matching; keep those that (partially) explain.

    ``ran_trials``, when given, receives every trial that ran.
    """
    atol = match_atol(rule)

    def judge(expected: np.ndarray, actual: np.ndarray) -> Tuple[Dict[str, Any], bool]:
        after = match(expected, actual, atol)
        ub, ua = before["unmatched"], after["unmatched"]
        return after, ub > 0 and (ub - ua) * 2 >= ub

    return run_trials(trials, before, judge, ran_trials)

"""Comparison rules: the stage defaults and per-stage / per-tensor overrides.

A rule is one of

* ``exact``  -- every element equal (integers bit-identical; NaN equals NaN at
  the same position, an infinity only the same infinity);
* ``atol``   -- every element ``|actual - expected| < atol + rtol * |expected|``
  (strict ``<``, absolute difference as the deployment guide writes it);
* ``cosine`` -- cosine similarity of the two tensors ``>= cosine`` (and no
  NaN/Inf mismatch).

Overrides are given per stage (``"preprocessed"``), per tensor
(``"postprocessed.scores"``: stage, a dot, the tensor name) or for every tensor
(``"*"``, or a bare number). The most specific key that sets anything decides
the kind of rule; an ``rtol`` alone keeps the stage's ``atol``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple, Union

from pyalign.store import STAGES

__all__ = ["Rule", "DEFAULT_RULES", "rule_text", "RuleOverrides", "normalize_overrides", "parse_override_options", "resolve_rule"]

RuleOverrides = Union[None, float, int, Mapping[str, float]]


def rule_text(kind: str, atol: Optional[float], rtol: float, cosine: Optional[float]) -> str:
    """The printed form of a rule.

    Parameters
    ----------
    kind : {'exact', 'atol', 'cosine'}
    atol, rtol, cosine : float
        The thresholds the kind uses.

    Returns
    -------
    str
        ``"exact"``, ``"cosine >= c"``, ``"|a-e| < atol"`` or ``"|a-e| < atol + rtol*|e|"``.
    """
    if kind == "exact":
        return "exact"
    if kind == "cosine":
        return f"cosine >= {cosine:g}"
    if rtol:
        return f"|a-e| < {atol:g} + {rtol:g}*|e|"
    return f"|a-e| < {atol:g}"


@dataclass(frozen=True)
class Rule:
    """The rule one tensor is judged by.

    Attributes
    ----------
    kind : {'exact', 'atol', 'cosine'}
    atol, rtol : float
        Used by ``atol`` rules: pass iff ``|a - e| < atol + rtol * |e|`` everywhere.
    cosine : float or None
        Used by ``cosine`` rules: pass iff cosine similarity ``>= cosine``.
    """

    kind: str
    atol: float = 0.0
    rtol: float = 0.0
    cosine: Optional[float] = None

    def __str__(self) -> str:
        return rule_text(self.kind, self.atol, self.rtol, self.cosine)

    def to_dict(self) -> Dict[str, Any]:
        """JSON form: kind, atol, rtol, cosine and the printed text."""
        return {"kind": self.kind, "atol": self.atol, "rtol": self.rtol, "cosine": self.cosine, "text": str(self)}


DEFAULT_RULES: Mapping[str, Rule] = {
    "raw_input": Rule("exact"),
    "preprocessed": Rule("atol", atol=1e-4),
    "model_output": Rule("cosine", cosine=0.98),
    "postprocessed": Rule("atol", atol=1e-3),
}


def _check_key(key: str) -> str:
    if key == "*":
        return key
    stage = key.split(".", 1)[0]
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r} in rule key {key!r} (stages: {', '.join(STAGES)})")
    if "." in key and not key.split(".", 1)[1]:
        raise ValueError(f"empty tensor name in rule key {key!r}")
    return key


def normalize_overrides(value: RuleOverrides, what: str) -> Dict[str, float]:
    """Turn a number or a ``{key: value}`` mapping into a validated dict.

    Parameters
    ----------
    value : float, mapping or None
        A bare number applies to every tensor (key ``"*"``).
    what : str
        ``"atol"``, ``"rtol"`` or ``"cosine"``, for messages.

    Raises
    ------
    ValueError
        Unknown stage, or a value that is not a number in range.
    """
    if value is None:
        return {}
    items: Iterable[Tuple[str, Any]]
    if isinstance(value, Mapping):
        items = value.items()
    else:
        items = [("*", value)]
    out: Dict[str, float] = {}
    for k, v in items:
        key = _check_key(str(k))
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"{what} for {key!r} must be a number, not {v!r}") from None
        if not f >= 0.0 or f == float("inf"):
            raise ValueError(f"{what} for {key!r} must be a finite number >= 0, not {v!r}")
        if what == "cosine" and f > 1.0:
            raise ValueError(f"cosine for {key!r} must be in [0, 1], not {v!r}")
        out[key] = f
    return out


def parse_override_options(values: Iterable[str], what: str) -> Dict[str, float]:
    """Parse command-line values ``KEY=VALUE`` or a bare ``VALUE`` (every tensor).

    Parameters
    ----------
    values : iterable of str
        The option's values, e.g. ``["preprocessed=1e-3", "model_output.out0=0.99", "0.5"]``.
    what : str
        The option name without dashes (``atol``, ``rtol`` or ``cosine``), for messages and checks.

    Returns
    -------
    dict
        ``{key: value}`` as :func:`normalize_overrides` gives it (a bare value under ``"*"``).

    Raises
    ------
    ValueError
        A malformed value, unknown stage or a number out of range.
    """
    out: Dict[str, Any] = {}
    for raw in values:
        key, sep, num = raw.rpartition("=")
        if not sep:
            key, num = "*", raw
        if not key or not num:
            raise ValueError(f"--{what} {raw!r}: expected STAGE=VALUE, STAGE.NAME=VALUE or VALUE")
        try:
            out[key] = float(num)
        except ValueError:
            raise ValueError(f"--{what} {raw!r}: {num!r} is not a number") from None
    return normalize_overrides(out, what)


def _lookup(overrides: Mapping[str, float], keys: Tuple[str, ...]) -> Tuple[Optional[int], Optional[float]]:
    for level, k in enumerate(keys):
        if k in overrides:
            return level, overrides[k]
    return None, None


def resolve_rule(
    stage: str,
    name: str,
    atol: RuleOverrides = None,
    rtol: RuleOverrides = None,
    cosine: RuleOverrides = None,
) -> Rule:
    """The rule for one tensor: stage default, then ``*``, stage and ``stage.name`` overrides.

    Parameters
    ----------
    stage : str
        The tensor's stage (its default rule comes from :data:`DEFAULT_RULES`).
    name : str
        The tensor's name.
    atol, rtol, cosine : float or dict, optional
        Overrides: a number for every tensor or ``{"*" | stage | "stage.name": value}``.

    Returns
    -------
    Rule

    Raises
    ------
    ValueError
        Both a cosine and an atol/rtol override at the most specific level.
    """
    a, r, c = (normalize_overrides(x, w) for x, w in ((atol, "atol"), (rtol, "rtol"), (cosine, "cosine")))
    keys = (f"{stage}.{name}", stage, "*")
    la, va = _lookup(a, keys)
    lr, vr = _lookup(r, keys)
    lc, vc = _lookup(c, keys)
    default = DEFAULT_RULES.get(stage, Rule("exact"))
    levels = [x for x in (la, lr, lc) if x is not None]
    if not levels:
        return default
    best = min(levels)
    tol_here = la == best or lr == best
    if lc == best and tol_here:
        raise ValueError(f"both cosine and atol/rtol given for {keys[best]!r}: choose one")
    if lc == best:
        return Rule("cosine", cosine=vc)
    base_atol = default.atol if default.kind == "atol" else 0.0
    base_rtol = default.rtol if default.kind == "atol" else 0.0
    # A tolerance override at a lower precedence than a cosine one is ignored.
    # (_lookup gives a value exactly when it gives a level.)
    use_a = va if la is not None and va is not None and (lc is None or la < lc) else base_atol
    use_r = vr if lr is not None and vr is not None and (lc is None or lr < lc) else base_rtol
    return Rule("atol", atol=float(use_a), rtol=float(use_r))

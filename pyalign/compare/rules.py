"""Comparison rules: the one owner of rule kinds, stage defaults, overrides and the verdict.

Rule kinds (:data:`RULE_KINDS`):

* ``exact``  -- every element equal (integers bit-identical; NaN equals NaN at
  the same position, an infinity only the same infinity);
* ``atol``   -- every element ``|actual - expected| < atol + rtol * |expected|``
  (strict ``<``, absolute difference as the deployment guide writes it);
* ``cosine`` -- cosine similarity of the two tensors ``>= cosine`` (and no
  NaN/Inf mismatch).

Overrides are given per stage (``"preprocessed"``), per tensor
(``"postprocessed.scores"``: stage, a dot, the tensor name) or for every tensor
(``"*"``, or a bare number); as text they are written ``[STAGE[.NAME]=]VALUE``
(:func:`parse_rule_items`, used by the CLI, ``verify`` and the pytest plugin).
The most specific key that sets anything decides the kind of rule; an ``rtol``
alone keeps the stage's ``atol``.

Missing stages (:func:`absent_status`): a stage wholly absent from an actual is
*not compared*; ``raw_input`` is never required; a partly present stage fails on
each absent tensor; ``require_all`` makes every absent tensor a failure.

Only the standard library is imported here: the pytest plugin loads this module
in every session.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from pyalign.store.format import STAGES

__all__ = [
    "RULE_KINDS", "RULE_KEYS", "RuleKind", "Rule", "DEFAULT_RULES", "RuleError", "RuleOverrides", "rule_text",
    "normalize_overrides", "parse_rule_items", "parse_override_options", "resolve_rule", "as_rule",
    "unused_overrides", "absent_status", "NOT_COMPARED", "MISSING",
]

RuleOverrides = Union[None, float, int, Mapping[str, float]]

#: The override keywords, as the API, the CLI (``--atol``) and the plugin (``--pyalign-atol``) spell them.
RULE_KEYS: Tuple[str, ...] = ("atol", "rtol", "cosine")
#: Key of an override that applies to every tensor.
ANY = "*"
#: Status of a reference tensor the actual does not have and is not required to have.
NOT_COMPARED = "not_compared"
#: Status of a reference tensor the actual should have but does not.
MISSING = "missing"


class RuleError(ValueError):
    """A malformed override: unknown stage, value out of range, not a number, conflicting kinds."""


@dataclass(frozen=True)
class RuleKind:
    """One kind of rule: how it prints and how it judges the streamed metrics.

    Attributes
    ----------
    name : str
    counts_violations : bool
        Whether the rule is elementwise (violations counted) or whole-tensor.
    text : callable
        ``(rule) -> str``, the printed form.
    passes : callable
        ``(rule, metrics) -> bool``, the verdict on the comparator's metrics.
    kernel : str
        The streaming C++ accumulator's violation test (``exact``, ``atol`` or ``none``).
    headline : str
        The metric that says how close a tensor came to the rule (reports show it first).
    """

    name: str
    counts_violations: bool
    text: Callable[["Rule"], str]
    passes: Callable[["Rule", Mapping[str, Any]], bool]
    kernel: str
    headline: str


def _atol_text(r: "Rule") -> str:
    return f"|a-e| < {r.atol:g} + {r.rtol:g}*|e|" if r.rtol else f"|a-e| < {r.atol:g}"


RULE_KINDS: Mapping[str, RuleKind] = {
    "exact": RuleKind("exact", True, lambda r: "exact", lambda r, m: m["violations"] == 0, "exact", "max_abs_diff"),
    "atol": RuleKind("atol", True, _atol_text, lambda r, m: m["violations"] == 0, "atol", "max_abs_diff"),
    "cosine": RuleKind(
        "cosine", False, lambda r: f"cosine >= {r.cosine:g}",
        lambda r, m: m["nonfinite_mismatch"] == 0 and m["cosine"] >= float(r.cosine or 0.0), "none", "cosine",
    ),
}


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

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise RuleError(f"unknown rule kind {self.kind!r} (kinds: {', '.join(RULE_KINDS)})")

    def __str__(self) -> str:
        return RULE_KINDS[self.kind].text(self)

    @property
    def counts_violations(self) -> bool:
        """Whether the rule judges every element (``exact``, ``atol``) rather than the whole tensor."""
        return RULE_KINDS[self.kind].counts_violations

    @property
    def spec(self) -> RuleKind:
        """The kind's entry in :data:`RULE_KINDS`."""
        return RULE_KINDS[self.kind]

    def passes(self, metrics: Mapping[str, Any]) -> bool:
        """The verdict on the metrics of :func:`pyalign.compare.metrics.stream_metrics`."""
        return bool(RULE_KINDS[self.kind].passes(self, metrics))

    def element_ok(self, expected: Any, actual: Any) -> Any:
        """Whether elements satisfy the rule elementwise (numbers or numpy arrays; cosine: always true).

        ``exact``: ``expected == actual``; ``atol``: ``|actual - expected| < atol + rtol * |expected|``.
        """
        if self.kind == "exact":
            return expected == actual
        if self.kind == "atol":
            return abs(actual - expected) < self.atol + self.rtol * abs(expected)
        return (expected == expected) | True

    def to_dict(self) -> Dict[str, Any]:
        """JSON form: kind, atol, rtol, cosine and the printed text."""
        return {"kind": self.kind, "atol": self.atol, "rtol": self.rtol, "cosine": self.cosine, "text": str(self)}


def rule_text(kind: str, atol: Optional[float], rtol: float, cosine: Optional[float]) -> str:
    """The printed form of a rule given by its fields (see :meth:`Rule.__str__`)."""
    return str(Rule(kind, float(atol or 0.0), float(rtol or 0.0), cosine))


DEFAULT_RULES: Mapping[str, Rule] = {
    "raw_input": Rule("exact"),
    "preprocessed": Rule("atol", atol=1e-4),
    "model_output": Rule("cosine", cosine=0.98),
    "postprocessed": Rule("atol", atol=1e-3),
}


def as_rule(rule: Any = None, stage: Optional[str] = None) -> Rule:
    """A :class:`Rule` from a rule, anything with rule fields (``.rule``, a dict), or a stage's default.

    Parameters
    ----------
    rule : Rule, object with ``rule``/``kind`` attributes, dict, optional
    stage : str, optional
        Stage whose default applies when ``rule`` is None (``preprocessed``'s when unknown).
    """
    rule = getattr(rule, "rule", rule)
    if isinstance(rule, Rule):
        return rule
    if rule is None:
        return DEFAULT_RULES.get(stage or "", DEFAULT_RULES["preprocessed"])
    get = rule.get if isinstance(rule, Mapping) else (lambda k, d=None: getattr(rule, k, d))
    kind = str(get("kind", "atol"))
    cos = get("cosine", None)
    return Rule(kind, float(get("atol", None) or 0.0), float(get("rtol", None) or 0.0),
                None if cos is None else float(cos))


# ------------------------------------------------------------------------------ overrides


def _check_key(key: str, what: str) -> str:
    key = key.strip()
    if key == ANY:
        return key
    stage, dot, name = key.partition(".")
    if stage not in STAGES:
        raise RuleError(f"{what}: unknown stage {stage!r} in {key!r} (stages: {', '.join(STAGES)})")
    if dot and not name:
        raise RuleError(f"{what}: empty tensor name in {key!r}")
    return key


def _check_value(kind: str, value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise RuleError(f"{what}: {value!r} is not a number")
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise RuleError(f"{what}: {value!r} is not a number") from None
    if math.isnan(f):
        raise RuleError(f"{what}: NaN is not a tolerance")
    if kind == "cosine":
        if not 0.0 <= f <= 1.0:
            raise RuleError(f"{what}: cosine must be in [0, 1], got {value!r}")
    elif not 0.0 <= f < math.inf:
        raise RuleError(f"{what}: {kind} must be a finite number >= 0, got {value!r}")
    return f


def normalize_overrides(value: RuleOverrides, what: str) -> Dict[str, float]:
    """Turn a number or a ``{key: value}`` mapping into a validated dict.

    Parameters
    ----------
    value : float, mapping or None
        A bare number applies to every tensor (key ``"*"``).
    what : str
        ``"atol"``, ``"rtol"`` or ``"cosine"``; also names the source in messages.

    Raises
    ------
    RuleError
        Unknown stage, or a value that is not a number in range.
    """
    if value is None:
        return {}
    kind = what.split()[-1].lstrip("-").rpartition("-")[2]
    items: Iterable[Tuple[Any, Any]] = value.items() if isinstance(value, Mapping) else [(ANY, value)]
    return {_check_key(str(k), what): _check_value(kind, v, what) for k, v in items}


def parse_rule_items(kind: str, items: Iterable[str], source: str) -> Dict[str, float]:
    """The one parser of ``[STAGE[.NAME]=]VALUE`` texts (command line, ini file, ``verify``).

    Parameters
    ----------
    kind : {"atol", "rtol", "cosine"}
        The rule keyword the items belong to.
    items : iterable of str
        The texts; an item may hold several comma-separated entries.
    source : str
        Where the items come from (``--atol``, ``--pyalign-atol``), for error messages.

    Returns
    -------
    dict
        ``{"*": v}`` for a plain value (or ``*=v``), ``{"stage": v}``, ``{"stage.name": v}``.

    Raises
    ------
    RuleError
        ``<source> <entry>: ...`` on an unknown stage, a value that is not a number or out of range.
    """
    out: Dict[str, float] = {}
    for item in items:
        for entry in str(item).split(","):
            entry = entry.strip()
            if not entry:
                continue
            what = f"{source} {entry}"
            key, sep, text = entry.rpartition("=")
            if not sep:
                key, text = ANY, entry
            if not key.strip() or not text.strip():
                raise RuleError(f"{what}: expected STAGE=VALUE, STAGE.NAME=VALUE or VALUE")
            out[_check_key(key, what)] = _check_value(kind, text, what)
    return out


def parse_override_options(values: Iterable[str], what: str) -> Dict[str, float]:
    """:func:`parse_rule_items` for the command-line option ``--<what>``."""
    return parse_rule_items(what, values, f"--{what}")


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
    RuleError
        A malformed override, or both a cosine and an atol/rtol override at the most specific level.
    """
    a, r, c = (normalize_overrides(x, w) for x, w in ((atol, "atol"), (rtol, "rtol"), (cosine, "cosine")))
    keys = (f"{stage}.{name}", stage, ANY)
    la, va = _lookup(a, keys)
    lr, vr = _lookup(r, keys)
    lc, vc = _lookup(c, keys)
    default = DEFAULT_RULES.get(stage, Rule("exact"))
    levels = [x for x in (la, lr, lc) if x is not None]
    if not levels:
        return default
    best = min(levels)
    if lc == best and (la == best or lr == best):
        raise RuleError(f"both cosine and atol/rtol given for {keys[best]!r}: choose one")
    if lc == best:
        return Rule("cosine", cosine=vc)
    base_atol = default.atol if default.kind == "atol" else 0.0
    base_rtol = default.rtol if default.kind == "atol" else 0.0
    # A tolerance override at a lower precedence than a cosine one is ignored.
    use_a = va if la is not None and va is not None and (lc is None or la < lc) else base_atol
    use_r = vr if lr is not None and vr is not None and (lc is None or lr < lc) else base_rtol
    return Rule("atol", atol=float(use_a), rtol=float(use_r))


def unused_overrides(
    overrides: Mapping[str, Any], checked: Iterable[Tuple[str, str]], option: str = "--{kind}"
) -> List[str]:
    """Warnings for ``STAGE.NAME`` overrides that name no compared tensor (a typo is silent otherwise).

    Parameters
    ----------
    overrides : mapping
        ``{kind: {key: value}}`` (a kind whose value is not a mapping is skipped).
    checked : iterable of (stage, name)
        The tensors that were compared.
    option : str
        How the option is spelled in the warning, ``{kind}`` standing for atol/rtol/cosine.

    Returns
    -------
    list of str
        ``warning: --atol postprocessed.typo: no postprocessed tensor named 'typo' was compared (...)``.
    """
    seen = set(checked)
    stages = {st for st, _ in seen}
    lines: List[str] = []
    for kind in RULE_KEYS:
        entries = overrides.get(kind)
        if not isinstance(entries, Mapping):
            continue
        for key in entries:
            stage, dot, name = str(key).partition(".")
            if dot and stage in stages and (stage, name) not in seen:
                have = ", ".join(sorted(n for st, n in seen if st == stage))
                lines.append(f"warning: {option.format(kind=kind)} {key}: no {stage} tensor named {name!r} "
                             f"was compared ({stage} has: {have})")
    return lines


def absent_status(stage: str, stages_present: Sequence[str], require_all: bool = False) -> str:
    """What a reference tensor the actual lacks means: :data:`MISSING` (a failure) or :data:`NOT_COMPARED`.

    Parameters
    ----------
    stage : str
        The tensor's stage.
    stages_present : sequence of str
        The stages the actual holds at least one tensor of.
    require_all : bool
        Every absent tensor is a failure (``--require-all``).
    """
    if require_all:
        return MISSING
    if stage == "raw_input" or stage not in stages_present:
        return NOT_COMPARED
    return MISSING

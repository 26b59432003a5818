"""Settings of the pytest plugin: captures directory, report file and tolerance rules.

Only the standard library is imported here, so that loading the plugin in a
pytest session that does not use it stays cheap.

Rules
-----
A rule is given by up to three numbers, ``atol``, ``rtol`` and ``cosine``
(the comparator's rule keywords). Each can be a plain number (every tensor) or
a mapping keyed by ``"<stage>"`` or ``"<stage>.<name>"``; on the command line
and in the ini file a value is written ``stage[.name]=value`` or just
``value``. For one tensor the most specific key wins: ``stage.name``, then
``stage``, then the plain value.

Several layers can set rules for a check. The first layer that sets *any* of
``atol``/``rtol``/``cosine`` for the tensor provides the whole rule; the
layers, highest priority first, are:

1. the keyword arguments of the ``pyalign_check(...)`` call,
2. the ``@pytest.mark.pyalign(...)`` marker(s) of the test (closest first),
3. the command line (``--pyalign-atol`` ...) and ini keys (``pyalign_atol`` ...),
4. the comparator's default rule for the stage.

Taking the rule whole from one layer keeps a rule coherent: a test that asks
for ``atol=0.1`` on ``model_output`` does not silently keep the command line's
``cosine`` next to it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from pyalign.compare.rules import ANY as _GLOBAL
from pyalign.compare.rules import RULE_KEYS, RuleError  # noqa: F401
from pyalign.compare.rules import parse_rule_items as _parse_rule_items
from pyalign.compare.rules import _check_key, _check_value
from pyalign.compare.rules import unused_overrides as _unused_overrides
from pyalign.store.format import STAGES  # noqa: F401

SUMMARY_MODES = ("auto", "all", "failed", "off")
#: With ``--pyalign-summary auto``, a table longer than this shows its failing rows only.
SUMMARY_AUTO_ROWS = 40

#: A rule value as users write it: a number for every tensor, or per stage / tensor.
RuleValue = Union[float, Mapping[str, float]]


class OptionError(RuleError):
    """A plugin option or rule is malformed (the plugin turns it into a usage error)."""


def parse_rule_items(kind: str, items: Iterable[str], source: str) -> Dict[str, float]:
    """The comparator's ``[STAGE[.NAME]=]VALUE`` parser (:func:`pyalign.compare.rules.parse_rule_items`).

    Raises
    ------
    OptionError
        As the comparator's parser words it.
    """
    try:
        return _parse_rule_items(kind, items, source)
    except RuleError as e:
        raise OptionError(str(e)) from None


def normalize_rules(rules: Mapping[str, Any], source: str) -> Dict[str, Dict[str, float]]:
    """Turn user rule keywords (numbers or per-stage mappings) into checked mappings.

    Parameters
    ----------
    rules : mapping
        ``atol``/``rtol``/``cosine`` to a number, ``None`` (not set) or a mapping
        ``{"stage" or "stage.name": number}``. Other keys are ignored here.
    source : str
        Where the rules come from, for error messages.

    Returns
    -------
    dict
        ``{kind: {key: value}}`` for the kinds that are set.
    """
    try:
        return _normalize_rules(rules, source)
    except OptionError:
        raise
    except RuleError as e:
        raise OptionError(str(e)) from None


def _normalize_rules(rules: Mapping[str, Any], source: str) -> Dict[str, Dict[str, float]]:
    out: Dict[str, Dict[str, float]] = {}
    for kind in RULE_KEYS:
        value = rules.get(kind)
        if value is None:
            continue
        what = f"{source} {kind}"
        if isinstance(value, Mapping):
            entries = {}
            for key, v in value.items():
                entries[_check_key(str(key), what)] = _check_value(kind, v, what)
            out[kind] = entries
        else:
            out[kind] = {_GLOBAL: _check_value(kind, value, what)}
    check_conflicts(out, source)
    return out


def check_conflicts(rules: Mapping[str, Mapping[str, float]], source: str) -> None:
    """Reject a cosine and an atol/rtol for the same key: the comparator cannot use both.

    Raises
    ------
    OptionError
        Naming the key and where the rules come from.
    """
    tol = set(rules.get("atol", {})) | set(rules.get("rtol", {}))
    both = sorted(tol & set(rules.get("cosine", {})))
    if both:
        raise OptionError(f"{source}: both cosine and atol/rtol given for {both[0]!r}: choose one")


def _relevant(entries: Mapping[str, float], stage: str, name: Optional[str]) -> Dict[str, float]:
    keys = (_GLOBAL, stage) if name is None else (_GLOBAL, stage, f"{stage}.{name}")
    return {k: v for k, v in entries.items() if k in keys}


def rule_for(
    layers: Iterable[Mapping[str, Mapping[str, float]]], stage: str, name: Optional[str]
) -> Tuple[Dict[str, Dict[str, float]], int]:
    """Pick the layer of rules that decides one tensor.

    Parameters
    ----------
    layers : iterable of dict
        Normalized rules (see :func:`normalize_rules`), highest priority first.
    stage, name : str
        The tensor.

    Returns
    -------
    rules : dict
        ``{kind: {key: value}}`` of the first layer with a key that applies to the
        tensor (``*``, ``stage`` or ``stage.name``), only those keys; the
        comparator then picks the most specific of them. Empty: the default.
    layer : int
        Index of that layer, ``-1`` for the comparator's default.
    """
    for index, layer in enumerate(layers):
        found = {kind: _relevant(layer.get(kind, {}), stage, name) for kind in RULE_KEYS}
        found = {kind: entries for kind, entries in found.items() if entries}
        if found:
            return found, index
    return {}, -1


def unused_overrides(
    overrides: Mapping[str, Mapping[str, float]], checked: Iterable[Tuple[str, str]]
) -> List[str]:
    """Warnings for ``STAGE.NAME`` overrides that name no checked tensor (the comparator's rule and wording)."""
    return _unused_overrides(overrides, checked, option="--pyalign-{kind}")


@dataclass(frozen=True)
class PluginSettings:
    """The plugin's configuration for one pytest session.

    Attributes
    ----------
    captures : Path or None
        Root directory of the capture sets; ``None`` when the plugin is unused.
    report : Path or None
        Report file to write at the end (``.json`` or ``.html``).
    overrides : dict
        Normalized command-line / ini rules (``{kind: {key: value}}``).
    summary : {"auto", "all", "failed", "off"}
        Which rows of the terminal summary to print (``auto``: all rows up to
        :data:`SUMMARY_AUTO_ROWS`, only the failing ones beyond).
    """

    captures: Optional[Path] = None
    report: Optional[Path] = None
    overrides: Dict[str, Dict[str, float]] = field(default_factory=dict)
    summary: str = "auto"

    @property
    def active(self) -> bool:
        """Whether a captures directory or a report was configured."""
        return self.captures is not None or self.report is not None


def _resolve(path: str, base: Path) -> Path:
    p = Path(os.path.expanduser(path))
    return p if p.is_absolute() else base / p


def make_settings(
    *,
    captures_opt: Optional[str],
    captures_ini: Optional[str],
    report_opt: Optional[str],
    report_ini: Optional[str],
    rule_opts: Mapping[str, Optional[List[str]]],
    rule_inis: Mapping[str, Optional[List[str]]],
    invocation_dir: Path,
    ini_dir: Path,
    summary: Optional[str] = None,
) -> PluginSettings:
    """Build the settings from option and ini values.

    Command-line paths are relative to the invocation directory, ini paths to
    the ini file's directory. Command-line rules override ini rules key by key.

    Raises
    ------
    OptionError
        When a rule is malformed or the report file has an unknown extension.
    """
    captures: Optional[Path] = None
    if captures_opt:
        captures = _resolve(captures_opt, invocation_dir)
    elif captures_ini:
        captures = _resolve(captures_ini, ini_dir)
    report: Optional[Path] = None
    if report_opt:
        report = _resolve(report_opt, invocation_dir)
    elif report_ini:
        report = _resolve(report_ini, ini_dir)
    if report is not None and report.suffix.lower() not in (".json", ".html", ".htm"):
        raise OptionError(f"--pyalign-report {report}: the report must end in .json or .html")
    overrides: Dict[str, Dict[str, float]] = {}
    for kind in RULE_KEYS:
        merged = parse_rule_items(kind, rule_inis.get(kind) or [], f"ini pyalign_{kind}")
        merged.update(parse_rule_items(kind, rule_opts.get(kind) or [], f"--pyalign-{kind}"))
        if merged:
            overrides[kind] = merged
    check_conflicts(overrides, "--pyalign-atol/--pyalign-rtol/--pyalign-cosine")
    mode = (summary or "auto").strip().lower()
    if mode not in SUMMARY_MODES:
        raise OptionError(f"--pyalign-summary {summary}: expected one of {', '.join(SUMMARY_MODES)}")
    return PluginSettings(captures=captures, report=report, overrides=overrides, summary=mode)

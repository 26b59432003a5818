"""What the commands share: rule options, report files, the terminal check."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Sequence

import click

from pyalign.errors import PyalignError

EXIT_OK, EXIT_MISALIGNED, EXIT_ERROR = 0, 1, 2


def is_tty() -> bool:
    """Whether stdout is a terminal (colour, progress bars)."""
    return sys.stdout.isatty()


def ensure_parent(path: str) -> None:
    """Create the parent directory of a report file (as the pytest plugin's ``--pyalign-report`` does).

    Raises
    ------
    PyalignError
        ``"<path>: cannot create its directory: ..."`` when that fails.
    """
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PyalignError(f"cannot create its directory: {e.strerror or e}", path) from None


def write_report(path: str, text: str) -> None:
    """Write a report file (its directory created), ending with a newline."""
    ensure_parent(path)
    try:
        Path(path).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as e:
        raise PyalignError(f"cannot write: {e.strerror or e}", path) from None


def rule_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--atol``, ``--rtol``, ``--cosine`` (``[STAGE[.NAME]=]VALUE``, repeatable) and ``--require-all``."""
    options = [
        click.option("--atol", "atol", multiple=True, metavar="[STAGE[.NAME]=]VALUE",
                     help="Absolute tolerance: |a-e| < atol (+ rtol*|e|). Per stage (preprocessed=1e-3), per tensor "
                          "(postprocessed.scores=1e-2) or for all (1e-3). Repeatable."),
        click.option("--rtol", "rtol", multiple=True, metavar="[STAGE[.NAME]=]VALUE",
                     help="Relative tolerance, same keys."),
        click.option("--cosine", "cosine", multiple=True, metavar="[STAGE[.NAME]=]VALUE",
                     help="Cosine-similarity rule (pass iff cosine >= VALUE), same keys."),
        click.option("--require-all", is_flag=True,
                     help="Every reference tensor the actual lacks is a failure (by default a stage the actual "
                          "does not hold at all, and raw_input, are 'not compared')."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def parse_rules(atol: Sequence[str], rtol: Sequence[str], cosine: Sequence[str]) -> Dict[str, Any]:
    """The comparator's rule keywords from the options' texts (one usage-error line on a bad one)."""
    from pyalign.compare.rules import RuleError, parse_override_options, resolve_rule

    rules: Dict[str, Any] = {}
    for key, values in (("atol", atol), ("rtol", rtol), ("cosine", cosine)):
        try:
            rules[key] = parse_override_options(values, key) or None
        except RuleError as e:
            raise click.UsageError(str(e)) from None
    try:
        resolve_rule("raw_input", "_", **rules)
    except RuleError as e:
        raise click.UsageError(str(e)) from None
    return rules


def warn_unused_overrides(rules: Mapping[str, Any], results: Sequence[Any]) -> None:
    """Warn (stderr) about ``--atol stage.name=...`` keys that name no compared tensor (a typo is silent otherwise)."""
    from pyalign.compare.rules import unused_overrides

    seen = {(t.stage, t.name) for r in results for t in r.tensors}
    for line in unused_overrides(rules, seen):
        click.echo(line, err=True)

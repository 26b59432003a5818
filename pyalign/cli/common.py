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


def dataset_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``-j/--jobs``, ``--shard K/N``, ``--allow-unpaired``, ``--annotations``, ``--labels``."""
    options = [
        click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default="one per CPU",
                     help="Cases run in parallel in this many processes (0: one per CPU; 1: in this process)."),
        click.option("--shard", "shard", default=None, metavar="K/N",
                     help="Only the cases of shard K of N (a stable hash of the case name): N machines split a "
                          "dataset; merge their --json outputs with 'pyalign summary'."),
        click.option("--allow-unpaired", is_flag=True,
                     help="Cases found on one side only are listed but are not failures."),
        click.option("--annotations", type=click.Path(dir_okay=False), default=None,
                     help="COCO annotations (instances_*.json): the summary adds the mAP of both sides against "
                          "them (needs pycocotools: pip install 'pyalign[coco]')."),
        click.option("--labels", type=click.Path(dir_okay=False), default=None,
                     help="True classes by case name (JSON {name: class} or 'name class' lines): the summary adds "
                          "the top-1/top-5 accuracy of both sides."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def summary_options(annotations: Any, labels: Any) -> Any:
    """The summary's :class:`~pyalign.dataset.summary.SummaryOptions` (input errors before any case runs)."""
    from pyalign.dataset.summary import SummaryOptions

    return SummaryOptions(annotations, labels)


def parse_shard_option(text: Any) -> Any:
    """``--shard K/N`` as a :class:`~pyalign.dataset.pairing.Shard` (a usage error when malformed)."""
    from pyalign.dataset.pairing import parse_shard

    try:
        return parse_shard(text)
    except ValueError as e:
        raise click.UsageError(str(e)) from None


def plan_detail(plan: Any, index: int) -> Any:
    """The HTML rows and sections of case ``index`` of a plan: its task run again, here, with ``html`` on."""
    import dataclasses

    item = plan.items[index]
    opts = dataclasses.replace(item[-1], html=True, junit=False)
    outcome = plan.task((*item[:-1], opts))
    return outcome.get("html") or ([], [])


def run_dataset(plan: Any, jobs: int, reports: Any, options: Any, allow_unpaired: bool, label: str,
                rules: Mapping[str, Any]) -> int:
    """Run a dataset plan with a progress bar (on a terminal), stream the reports; return the exit status.

    Exit status: 2 when a case could not be read (its ``error:`` line on stderr), 1 when a
    case is misaligned or found on one side only (unless ``allow_unpaired``), else 0.
    """
    from pyalign.dataset.run import execute
    from pyalign.dataset.summary import summarize, summary_text

    n = len(plan.items)
    reports.detail = lambda i: plan_detail(plan, i)
    try:
        for u in plan.unpaired:
            reports.unpaired_case(u)
        if plan.shard is not None and not n and not plan.unpaired:
            click.echo(f"note: shard {plan.shard} holds none of the cases", err=True)
        if n >= 2 and sys.stderr.isatty():  # a bar only on a terminal: in logs it would be noise
            with click.progressbar(length=n, label=label, file=sys.stderr) as bar:
                for i, outcome in enumerate(execute(plan, jobs, bar.update)):
                    reports.case(i, outcome)
        else:
            for i, outcome in enumerate(execute(plan, jobs)):
                reports.case(i, outcome)
        summary = summarize(reports.records, plan.only_in_reference, plan.only_in_actual, options)
        unpaired = bool(plan.unpaired) and not allow_unpaired
        aligned = all(r.get("aligned") for r in reports.records) and not unpaired and not reports.errors
        reports.finish(summary, aligned, summary_text(summary))
    finally:
        reports.close()
    from pyalign.compare.rules import unused_overrides

    for line in unused_overrides(rules, reports.checked):
        click.echo(line, err=True)
    err = summary.get("accuracy", {}).get("detections", {}).get("error")
    if err:
        click.echo(f"warning: {err}", err=True)
    for line in reports.errors:
        click.echo(f"error: {line}", err=True)
    if reports.errors:
        return EXIT_ERROR
    return EXIT_OK if aligned else EXIT_MISALIGNED

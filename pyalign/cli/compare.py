"""``pyalign compare REF ACTUAL``: stage-by-stage comparison of one case, or of two roots paired by case name.

Exit status: 0 aligned, 1 misaligned (a tensor fails, is missing, extra, or has
another shape or dtype; a case is found on one side only), 2 usage or input error
(unreadable capture set, wrong file size, malformed option).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional, Sequence

import click

from pyalign.cli.common import (EXIT_MISALIGNED, EXIT_OK, dataset_options, ensure_parent, parse_rules,
                                parse_shard_option, rule_options, run_dataset, summary_options,
                                warn_unused_overrides, write_report)
from pyalign.store.format import MANIFEST, STAGES


@click.command("compare")
@click.argument("reference", type=click.Path())
@click.argument("actual", type=click.Path())
@rule_options
@click.option("--stage", "stages", multiple=True, type=click.Choice(STAGES),
              help="Compare only this stage (repeatable; default: every stage).")
@click.option("--max-violations", type=click.IntRange(min=0), default=10, show_default=True,
              help="First violations listed per tensor.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report (docs/compare.md) instead of text.")
@click.option("--junit", "junit", type=click.Path(dir_okay=False), help="Also write a JUnit XML report here.")
@click.option("--html", "html", type=click.Path(dir_okay=False), help="Also write an HTML report here.")
@click.option("--no-diagnose", is_flag=True, help="Do not run the mismatch diagnosis on failing tensors.")
@click.option("--color/--no-color", default=None, help="Colour the text report (default: when stdout is a terminal).")
@dataset_options
def compare_cmd(
    reference: str,
    actual: str,
    atol: Sequence[str],
    rtol: Sequence[str],
    cosine: Sequence[str],
    stages: Sequence[str],
    max_violations: int,
    as_json: bool,
    junit: Optional[str],
    html: Optional[str],
    no_diagnose: bool,
    color: Optional[bool],
    require_all: bool,
    jobs: int,
    shard: Optional[str],
    allow_unpaired: bool,
    annotations: Optional[str],
    labels: Optional[str],
) -> int:
    """Compare the ACTUAL capture set (or bare directory of .bin files) with REFERENCE.

    REFERENCE may also be a directory of cases (REF_ROOT): each is paired by name
    (its path relative to the root) with the directory of the same name under
    ACTUAL_ROOT; cases on one side only are listed (failures unless
    --allow-unpaired). Cases run in parallel (-j), a shard of them with --shard
    K/N; the report ends with the dataset summary (pass rates, max |diff|
    percentiles, worst cases, diagnosis counts, the accuracy the board loses).

    Default rules: raw_input exact; preprocessed |a-e| < 1e-4; model_output
    cosine >= 0.98; postprocessed |a-e| < 1e-3 (detections matched order-free).
    Exit 0 aligned, 1 misaligned, 2 usage or input error.
    """
    from pyalign.dataset.pairing import case_name

    rules = parse_rules(atol, rtol, cosine)
    the_shard = parse_shard_option(shard)
    options = summary_options(annotations, labels)
    use_color = sys.stdout.isatty() if color is None else color
    ref = Path(reference)
    if (ref / MANIFEST).is_file() and (the_shard is None or case_name(ref, ref) in the_shard):
        return _one_case(reference, actual, rules, stages, max_violations, as_json, junit, html, no_diagnose,
                         use_color, require_all, options)
    from pyalign.dataset.output import Reports
    from pyalign.dataset.run import Plan, plan_compare
    from pyalign.dataset.tasks import Options, compare_task

    opts = Options(rules={k: v for k, v in rules.items() if v is not None}, stages=tuple(stages) or None,
                   max_violations=max_violations, diagnose=not no_diagnose, require_all=require_all,
                   color=use_color, junit=bool(junit))
    if (ref / MANIFEST).is_file():  # one case, not in this shard
        plan = Plan(compare_task, [], [], the_shard)
    else:
        plan = plan_compare(reference, actual, opts, the_shard, allow_unpaired)

    def verdict(k: int, n: int, aligned: bool) -> str:
        return f"{'ALIGNED' if aligned else 'MISALIGNED'}: {k} of {n} cases aligned"

    reports = Reports("pyalign.compare.cases", as_json, junit, html, use_color, verdict)
    return run_dataset(plan, jobs, reports, options, allow_unpaired, "comparing", rules)


def _one_case(reference: str, actual: str, rules: dict, stages: Sequence[str], max_violations: int, as_json: bool,
              junit: Optional[str], html: Optional[str], no_diagnose: bool, use_color: bool, require_all: bool,
              options: object) -> int:
    """``compare CASE ACTUAL``: the one-case report, its JSON ``summary`` extended with the dataset keys."""
    from pyalign.compare.comparator import compare
    from pyalign.compare.text import report_junit
    from pyalign.dataset.record import case_record
    from pyalign.dataset.summary import summarize

    result = compare(reference, actual, max_violations=max_violations, diagnose=not no_diagnose,
                     stages=list(stages) or None, require_all=require_all, **rules)
    warn_unused_overrides(rules, [result])
    if junit:
        write_report(junit, report_junit([result]))
    if html:
        from pyalign.report.html import write_html

        ensure_parent(html)
        write_html(result, html)
    if as_json:
        import json

        doc = result.to_dict()
        record = case_record(str(result.case or Path(reference).name), result, str(result.reference_dir),
                             str(result.actual_dir))
        doc["summary"].update(summarize([record], options=options))  # type: ignore[arg-type]
        doc["summary"]["record"] = record
        click.echo(json.dumps(doc, indent=2, allow_nan=False))
    else:
        click.echo(result.to_text(color=use_color), color=use_color)
    return EXIT_OK if result.aligned else EXIT_MISALIGNED

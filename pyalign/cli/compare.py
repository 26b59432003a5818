"""``pyalign compare REF ACTUAL``: stage-by-stage comparison.

Exit status: 0 aligned, 1 misaligned (a tensor fails, is missing, extra, or has
another shape or dtype), 2 usage or input error (unreadable capture set,
wrong file size, malformed option).
"""
from __future__ import annotations

import json
import sys
from typing import Optional, Sequence

import click

from pyalign.cli.common import EXIT_MISALIGNED, EXIT_OK, ensure_parent, parse_rules, rule_options, warn_unused_overrides, write_report
from pyalign.store.format import STAGES


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
) -> int:
    """Compare the ACTUAL capture set (or bare directory of .bin files) with REFERENCE.

    REFERENCE may also be a directory of cases; each is compared with the
    directory of the same relative path under ACTUAL.

    Default rules: raw_input exact; preprocessed |a-e| < 1e-4; model_output
    cosine >= 0.98; postprocessed |a-e| < 1e-3 (detections matched order-free).
    Exit 0 aligned, 1 misaligned, 2 usage or input error.
    """
    from pyalign.compare.comparator import compare_tree
    from pyalign.compare.text import report_junit

    rules = parse_rules(atol, rtol, cosine)
    results = compare_tree(
        reference, actual, max_violations=max_violations, diagnose=not no_diagnose,
        stages=list(stages) or None, require_all=require_all, **rules,
    )
    warn_unused_overrides(rules, results)
    aligned = all(r.aligned for r in results)
    if junit:
        write_report(junit, report_junit(results))
    if html:
        from pyalign.report.html import write_html

        ensure_parent(html)
        write_html(results[0] if len(results) == 1 else results, html)
    if as_json:
        if len(results) == 1:
            click.echo(results[0].to_json())
        else:
            doc = {
                "schema": "pyalign.compare.cases",
                "version": 1,
                "aligned": aligned,
                "summary": {"cases": len(results), "aligned": sum(r.aligned for r in results)},
                "cases": [r.to_dict() for r in results],
            }
            click.echo(json.dumps(doc, indent=2, allow_nan=False))
    else:
        use_color = sys.stdout.isatty() if color is None else color
        texts = [r.to_text(color=use_color) for r in results]
        if len(results) > 1:
            n_ok = sum(r.aligned for r in results)
            line = f"{'ALIGNED' if aligned else 'MISALIGNED'}: {n_ok} of {len(results)} cases aligned"
            texts.append(click.style(line, fg="green" if aligned else "red", bold=True) if use_color else line)
        click.echo("\n\n".join(texts), color=use_color)
    return EXIT_OK if aligned else EXIT_MISALIGNED

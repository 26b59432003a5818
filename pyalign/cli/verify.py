"""``pyalign verify``: run the C++ core on capture sets (or judge a board's output against a reference
computed on the fly from images) and compare with the reference's stages.

Exit status: 0 every case aligned, 1 one is not (or is found on one side only), 2 usage or input error.
"""
from __future__ import annotations

import json
import pathlib
from typing import Any, Dict, Optional, Tuple

import click

from pyalign.cli.common import (dataset_options, ensure_parent, is_tty, parse_rules, parse_shard_option, rule_options,
                                run_dataset, summary_options, warn_unused_overrides, write_report)
from pyalign.store.format import MANIFEST


@click.command("verify")
@click.argument("cases", nargs=-1, required=False, type=click.Path())
@click.option("--images", "images", multiple=True, type=click.Path(),
              help="Compute the reference on the fly from these images, raw frames or (slim) capture sets "
                   "instead of reading stored tensors (repeatable; a directory stands for what it holds).")
@click.option("--board-out", "board_out", type=click.Path(file_okay=False), default=None,
              help="With --images: the board's output directories, one per case name, judged against the "
                   "reference (default: pyalign's C++ core is run instead).")
@click.option("--model", type=click.Path(dir_okay=False), default=None,
              help="With --images: ONNX model giving the reference's model output (capture sets bring theirs).")
@click.option("--spec", "spec", type=click.Path(dir_okay=False), default=None,
              help="Run this spec instead of the one in the capture's manifest (required with image files).")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Write what the C++ core produced as capture sets here (one per case, by case name).")
@rule_options
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--junit", type=click.Path(dir_okay=False), default=None, help="Write a JUnit XML report.")
@click.option("--html", type=click.Path(dir_okay=False), default=None,
              help="Write an HTML report (one case: that case; several: the dataset summary first, then the "
                   "misaligned cases).")
@dataset_options
def verify_cmd(cases: Tuple[str, ...], images: Tuple[str, ...], board_out: Optional[str], model: Optional[str],
               spec: Optional[str], out: Optional[str], atol: Tuple[str, ...], rtol: Tuple[str, ...],
               cosine: Tuple[str, ...], as_json: bool, junit: Optional[str], html: Optional[str], require_all: bool,
               jobs: int, shard: Optional[str], allow_unpaired: bool, annotations: Optional[str],
               labels: Optional[str]) -> int:
    """Run the C++ core on capture sets and compare with the captured stages.

    CASES are capture sets or directories holding them. The fused C++
    preprocessing runs on the captured raw input, the C++ postprocessing on the
    captured model output. With --images DIR --spec S nothing needs to be
    stored: each case's reference is computed on the fly from its image (or from
    a capture set holding only raw_input and model_output), and compared with
    the board's output under --board-out DIR (or with the C++ core). Cases run
    in parallel (-j), a shard of them with --shard K/N; several cases end with
    the dataset summary. Exit 0 when every case is aligned, 1 when one is not.
    """
    from pyalign.spec.model import load_spec

    rules: Dict[str, Any] = parse_rules(atol, rtol, cosine)
    the_shard = parse_shard_option(shard)
    if cases and images:
        raise click.UsageError("give capture sets (CASES) or --images, not both")
    if not cases and not images:
        raise click.UsageError("give capture sets (CASES) or --images DIR")
    if (board_out or model) and not images:
        raise click.UsageError("--board-out and --model go with --images")
    options = summary_options(annotations, labels)
    the_spec = load_spec(spec) if spec is not None else None
    if (not images and len(cases) == 1 and the_shard is None and (pathlib.Path(cases[0]) / MANIFEST).is_file()):
        return _one_case(cases[0], the_spec, out, rules, as_json, junit, html, require_all, options)
    from pyalign.dataset.output import Reports
    from pyalign.dataset.run import plan_images, plan_verify
    from pyalign.dataset.tasks import Options

    opts = Options(rules={k: v for k, v in rules.items() if v is not None}, require_all=require_all, color=is_tty(),
                   junit=bool(junit), spec=the_spec, out=out, model=model)
    if images:
        plan = plan_images(list(images), opts, board_out, the_shard, allow_unpaired)
    else:
        plan = plan_verify(list(cases), opts, the_shard)

    def verdict(k: int, n: int, aligned: bool) -> str:
        return f"{k} of {n} case(s) aligned"

    reports = Reports("pyalign.verify.cases", as_json, junit, html, is_tty(), verdict)
    return run_dataset(plan, jobs, reports, options, allow_unpaired, "verifying", rules)


def _one_case(case: str, spec: Any, out: Optional[str], rules: Dict[str, Any], as_json: bool, junit: Optional[str],
              html: Optional[str], require_all: bool, options: Any) -> int:
    """``verify CASE``: one case's report; its JSON gains the dataset ``summary``."""
    import tempfile

    from pyalign.dataset.record import case_record
    from pyalign.dataset.summary import summarize
    from pyalign.store import find_cases
    from pyalign.verify import verify_case

    p = find_cases(case)[0]
    with tempfile.TemporaryDirectory(prefix="pyalign-verify-") as tmp:
        dest = (pathlib.Path(out) if out is not None else pathlib.Path(tmp)) / p.name
        r = verify_case(p, spec, out=dest if out is not None else None, require_all=require_all, **rules)
        warn_unused_overrides(rules, [r.comparison])
        if as_json:
            record = case_record(p.name, r.comparison, str(p), str(dest) if out else None)
            summary = {**summarize([record], options=options), "record": record}
            doc = {"case": str(p), "aligned": r.aligned, "actual": str(r.actual.dir) if out else None,
                   "notes": r.notes, "result": r.comparison.to_dict(), "summary": summary}
            click.echo(json.dumps(doc, indent=2, default=str))
        else:
            text = r.to_text(color=is_tty())
            if out is None:  # the temporary directory is gone when the command ends: do not point at it
                text = text.replace(f"actual:    {r.comparison.actual_dir}\n",
                                    "actual:    the C++ core's output (not kept: --out DIR keeps it)\n", 1)
            click.echo(text)
        if junit:
            from pyalign.compare.text import report_junit

            write_report(junit, report_junit([r.comparison]))
        if html:
            from pyalign.report.html import write_html

            ensure_parent(html)
            write_html(r.comparison, html)
    return 0 if r.aligned else 1


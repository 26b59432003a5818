"""``pyalign summary A.json B.json ...``: merge the ``--json`` outputs of shards into one dataset summary.

Exit status: 0 every case aligned, 1 a case is misaligned, in error or found on one side
only (unless ``--allow-unpaired``), 2 usage or input error (unreadable file, a case in two files).
"""
from __future__ import annotations

import json
from typing import Optional, Tuple

import click

from pyalign.cli.common import EXIT_MISALIGNED, EXIT_OK, ensure_parent, summary_options


@click.command("summary")
@click.argument("documents", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True,
              help="Print the merged summary as JSON (with the case records, so it merges again).")
@click.option("--html", type=click.Path(dir_okay=False), default=None, help="Write the summary as an HTML page.")
@click.option("--allow-unpaired", is_flag=True, help="Cases found on one side only are not failures.")
@click.option("--annotations", type=click.Path(dir_okay=False), default=None,
              help="COCO annotations: add the mAP of both sides against them (pip install 'pyalign[coco]').")
@click.option("--labels", type=click.Path(dir_okay=False), default=None,
              help="True classes by case name: add the top-1/top-5 accuracy of both sides.")
def summary_cmd(documents: Tuple[str, ...], as_json: bool, html: Optional[str], allow_unpaired: bool,
                annotations: Optional[str], labels: Optional[str]) -> int:
    """Merge the --json outputs of 'pyalign compare' / 'pyalign verify' (e.g. one per --shard K/N).

    The summary is recomputed from the case records the documents carry, so the
    merged shards give the summary of the whole dataset: pass rates, max |diff|
    percentiles, worst cases, diagnosis counts and the accuracy the board loses.
    """
    from pyalign.dataset.summary import merge, read_documents, summary_text

    options = summary_options(annotations, labels)
    summary, records = merge(read_documents(documents), options)
    unpaired = bool(summary["only_in_reference"] or summary["only_in_actual"]) and not allow_unpaired
    aligned = summary["aligned"] == summary["cases"] and not summary["errors"] and not unpaired
    if as_json:
        doc = {"schema": "pyalign.summary", "version": 1, "aligned": aligned, "summary": summary, "records": records}
        click.echo(json.dumps(doc, indent=2, allow_nan=False))
    else:
        click.echo(summary_text(summary))
    if html:
        from pathlib import Path

        from pyalign.report.dataset import summary_section
        from pyalign.report.html import page_head, write_atomic

        ensure_parent(html)
        write_atomic(Path(html), [page_head("pyalign dataset summary", aligned, ", ".join(documents)),
                                  summary_section(summary, lambda name: None), "</body></html>\n"])
    return EXIT_OK if aligned else EXIT_MISALIGNED

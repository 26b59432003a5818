"""``pyalign verify``: run the C++ core on capture sets and compare with the captured stages.

Exit status: 0 every case aligned, 1 one is not, 2 usage or input error.
"""
from __future__ import annotations

import json
import pathlib
from typing import Any, Dict, List, Optional, Tuple

import click

from pyalign.errors import PyalignError
from pyalign.cli.common import ensure_parent, is_tty, parse_rules, rule_options, warn_unused_overrides, write_report


@click.command("verify")
@click.argument("cases", nargs=-1, required=True, type=click.Path())
@click.option("--spec", "spec", type=click.Path(dir_okay=False), default=None,
              help="Run this spec instead of the one in the capture's manifest.")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Write what the C++ core produced as capture sets here (one per case).")
@rule_options
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--junit", type=click.Path(dir_okay=False), default=None, help="Write a JUnit XML report.")
@click.option("--html", type=click.Path(dir_okay=False), default=None,
              help="Write an HTML report (of the first misaligned case, else the first case).")
def verify_cmd(cases: Tuple[str, ...], spec: Optional[str], out: Optional[str], atol: Tuple[str, ...],
               rtol: Tuple[str, ...], cosine: Tuple[str, ...], as_json: bool, junit: Optional[str],
               html: Optional[str], require_all: bool) -> int:
    """Run the C++ core on capture sets and compare with the captured stages.

    CASES are capture sets or directories holding them. The fused C++
    preprocessing runs on the captured raw input, the C++ postprocessing on the
    captured model output. Exit 0 when every case is aligned, 1 when one is not.
    """
    import tempfile

    from pyalign.store import find_cases
    from pyalign.verify import verify_case

    rules: Dict[str, Any] = parse_rules(atol, rtol, cosine)
    paths: List[pathlib.Path] = []
    for c in cases:
        found = find_cases(c)
        if not found:
            raise PyalignError("no capture sets (directories with manifest.json) found", c)
        paths.extend(found)
    with tempfile.TemporaryDirectory(prefix="pyalign-verify-") as tmp:
        base = pathlib.Path(out) if out is not None else pathlib.Path(tmp)
        results = []
        names_unique = len({p.name for p in paths}) == len(paths)
        for i, p in enumerate(paths):
            dest = base / (p.name if names_unique else f"{i:03d}_{p.name}")
            results.append((p, verify_case(p, spec, out=dest, require_all=require_all, **rules)))
        warn_unused_overrides(rules, [r.comparison for _, r in results])
        if as_json:
            docs = [{"case": str(p), "aligned": r.aligned, "actual": str(r.actual.dir) if out else None,
                     "notes": r.notes, "result": r.comparison.to_dict()} for p, r in results]
            if len(docs) == 1:
                doc: Any = docs[0]
            else:  # several cases: one document, like compare's "pyalign.compare.cases"
                doc = {"schema": "pyalign.verify.cases", "version": 1,
                       "aligned": all(d["aligned"] for d in docs),
                       "summary": {"cases": len(docs), "aligned": sum(bool(d["aligned"]) for d in docs)},
                       "cases": docs}
            click.echo(json.dumps(doc, indent=2, default=str))
        else:
            for p, r in results:
                if len(results) > 1:
                    click.echo(f"== {p}")
                text = r.to_text(color=is_tty())
                if out is None:  # the temporary directory is gone when the command ends: do not point at it
                    text = text.replace(f"actual:    {r.comparison.actual_dir}\n",
                                        "actual:    the C++ core's output (not kept: --out DIR keeps it)\n", 1)
                click.echo(text)
            if len(results) > 1:
                bad = sum(not r.aligned for _, r in results)
                click.echo(f"{len(results) - bad} of {len(results)} case(s) aligned")
        if junit:
            from pyalign.compare.text import report_junit

            write_report(junit, report_junit([r.comparison for _, r in results]))
        if html:
            from pyalign.report.html import write_html

            ensure_parent(html)
            pick = next((r for _, r in results if not r.aligned), results[0][1])
            write_html(pick.comparison, html)
    return 0 if all(r.aligned for _, r in results) else 1

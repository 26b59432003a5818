"""Reports of a dataset run, written as the cases arrive: text, ``--json``, ``--junit``, ``--html``.

The parent process keeps only each case's record (for the summary); the per-case JSON
documents, JUnit suites and HTML sections are spooled to temporary files and assembled
when the run ends, so the memory stays flat however many cases there are.

* text: each case's report as it comes (in name order), the cases found on one side
  only, the verdict line, then the dataset summary;
* ``--json``: ``{"schema": <schema>, "version": 1, "aligned", "summary", "cases": [...]}``,
  each case with its ``name``, paths and ``record``;
* ``--junit``: one ``<testsuite>`` per case, and one failing (or, with
  ``--allow-unpaired``, skipped) suite per case found on one side only;
* ``--html``: the dataset summary first, a table of every case, then the detail
  sections of the worst cases and of the first :data:`MAX_DETAILED` misaligned ones, rendered
  at the end by running those cases again (:attr:`Reports.detail`): the pictures of the other
  cases are never made.
"""
from __future__ import annotations

import json
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO, Any, Callable, Dict, List, Mapping, Optional

import click

from pyalign.errors import PyalignError, printable

__all__ = ["Reports", "MAX_DETAILED"]

#: Misaligned cases whose detail sections a dataset HTML report holds (besides the worst ones).
MAX_DETAILED = 50


def _ensure_parent(path: str) -> None:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PyalignError(f"cannot create its directory: {e.strerror or e}", path) from None


def _indent(text: str, pad: str) -> str:
    return pad + text.replace("\n", "\n" + pad)


class Reports:
    """Collect and write the reports of one run.

    Parameters
    ----------
    schema : str
        ``pyalign.compare.cases`` or ``pyalign.verify.cases``.
    as_json : bool
        Print the JSON document instead of text.
    junit, html : str, optional
        Files to write.
    color : bool
        Colour the text.
    verdict_line : callable
        ``(aligned cases, paired cases, aligned) -> str``, the line that closes the text report.
    echo : callable
        Where text goes (``click.echo``).
    """

    def __init__(self, schema: str, as_json: bool, junit: Optional[str], html: Optional[str], color: bool,
                 verdict_line: Callable[[int, int, bool], str], echo: Callable[..., Any] = click.echo) -> None:
        self.schema, self.as_json, self.junit, self.html, self.color = schema, as_json, junit, html, color
        self.verdict_line, self.echo = verdict_line, echo
        self.records: List[Dict[str, Any]] = []
        self.unpaired: List[Mapping[str, Any]] = []
        self.errors: List[str] = []
        self.checked: set = set()
        self._json: Optional[IO[str]] = tempfile.TemporaryFile("w+", encoding="utf-8") if as_json else None
        self._junit: Optional[IO[str]] = tempfile.TemporaryFile("w+", encoding="utf-8") if junit else None
        self._junit_counts = [0, 0]
        self._misaligned: List[int] = []
        self._first_text = True
        #: ``detail(index) -> (rows, sections)`` renders one case's HTML detail (set by the caller).
        self.detail: Optional[Callable[[int], Any]] = None

    # ----------------------------------------------------------------------- per case
    def case(self, index: int, outcome: Mapping[str, Any]) -> None:
        """Take one case's outcome (in order)."""
        self.records.append(outcome["record"])
        self.checked.update(tuple(x) for x in outcome.get("checked") or [])
        if outcome.get("error"):
            self.errors.append(outcome["error"])
        if self._json is not None:
            if self._json.tell():
                self._json.write(",\n")
            self._json.write(_indent(json.dumps(outcome["doc"], indent=2, allow_nan=False), "    "))
        else:
            self._text(outcome["text"])
        if self._junit is not None and outcome.get("junit"):
            xml, tests, failures = outcome["junit"]
            self._junit.write(xml)
            self._junit_counts[0] += tests
            self._junit_counts[1] += failures
        elif self._junit is not None and outcome.get("error"):
            self._junit_case(str(outcome["name"]), "error", outcome["error"], failed=True)
        if not outcome.get("aligned") and not outcome.get("error"):
            self._misaligned.append(index)

    def unpaired_case(self, u: Mapping[str, Any]) -> None:
        """Take a case found on one side only."""
        self.unpaired.append(u)
        if self._junit is not None:
            self._junit_case(str(u["name"]), f"only in the {u['side']}", str(u["text"]), failed=not u["allowed"])

    def _text(self, text: str) -> None:
        if not self._first_text:
            self.echo("", color=self.color)
        self._first_text = False
        self.echo(text, color=self.color)

    def _junit_case(self, name: str, what: str, message: str, failed: bool) -> None:
        assert self._junit is not None
        suite = ET.Element("testsuite", name=f"pyalign.dataset.{name}", tests="1", failures=str(int(failed)),
                           errors="0", skipped=str(int(not failed)))
        tc = ET.SubElement(suite, "testcase", classname=f"pyalign.dataset.{name}", name=what, time="0")
        ET.SubElement(tc, "failure" if failed else "skipped", message=printable(message))
        if hasattr(ET, "indent"):
            ET.indent(suite, level=1)
        self._junit.write("  " + ET.tostring(suite, encoding="unicode").rstrip() + "\n")
        self._junit_counts[0] += 1
        self._junit_counts[1] += int(failed)

    # ----------------------------------------------------------------------- the end
    def finish(self, summary: Mapping[str, Any], aligned: bool, summary_text: str) -> None:
        """Write every report: the JSON document or the closing text, JUnit and HTML files."""
        if self._json is not None:
            self._json.seek(0)
            head = json.dumps({"schema": self.schema, "version": 1, "aligned": aligned, "summary": summary},
                              indent=2, allow_nan=False)
            body = self._json.read()
            self.echo(head[:-2] + ',\n  "cases": [' + ("\n" + body + "\n  " if body else "") + "]\n}")
        else:
            for u in self.unpaired:
                self._text(f"{'note' if u['allowed'] else 'UNPAIRED'}: {printable(u['text'])}")
            n = len(self.records)
            line = self.verdict_line(sum(1 for r in self.records if r.get("aligned")), n, aligned)
            if self.color:
                line = click.style(line, fg="green" if aligned else "red", bold=True)
            self._text(line + "\n" + summary_text)
        if self.junit is not None and self._junit is not None:
            _ensure_parent(self.junit)
            self._junit.seek(0)
            from pyalign.report.html import write_atomic

            head = (f'<?xml version="1.0" encoding="utf-8"?>\n<testsuites tests="{self._junit_counts[0]}" '
                    f'failures="{self._junit_counts[1]}" errors="0">\n')
            write_atomic(Path(self.junit), [head, self._junit.read(), "</testsuites>\n"])
        if self.html is not None:
            _ensure_parent(self.html)
            self._write_html(summary, aligned)

    def _write_html(self, summary: Mapping[str, Any], aligned: bool) -> None:
        from pyalign.report.dataset import CASES_HEAD, case_row, summary_section
        from pyalign.report.html import page_head, write_atomic

        index_of = {str(r["name"]): i for i, r in enumerate(self.records)}
        worst = {str(w["name"]) for st in (summary.get("stages") or {}).values() for w in st.get("worst") or []}
        misaligned = set(self._misaligned)
        keep = sorted(set(self._misaligned[:MAX_DETAILED]) | {index_of[n] for n in worst
                                                                if n in index_of and index_of[n] in misaligned})
        if self.detail is None:
            keep = []

        def link(name: str) -> Optional[str]:
            i = index_of.get(name)
            return None if i is None else f"case-{i}"

        def parts() -> Any:
            yield page_head("pyalign dataset report", aligned, f"{len(self.records):,} paired case(s)")
            yield summary_section(summary, link)
            yield CASES_HEAD
            for i, r in enumerate(self.records):
                yield case_row(f"case-{i}", r, f"c{i}" if i in keep else None)
            yield "</table>"
            if keep:
                yield f"<h2>Details of {len(keep):,} misaligned case(s)</h2>"
            for i in keep:  # rendered now, case by case: only these cases' pictures are ever made
                assert self.detail is not None
                _, sections = self.detail(i)
                yield f'<div id="c{i}">' + "".join(sections) + "</div>"
            yield "</body></html>\n"

        write_atomic(Path(self.html), parts())

    def close(self) -> None:
        """Remove the spool files."""
        for f in (self._json, self._junit):
            if f is not None:
                f.close()

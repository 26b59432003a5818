"""What a worker does for one case: compare a pair, verify a capture set, verify an image on the fly.

Each task takes one picklable tuple and returns an **outcome**, a compact dict::

    {"name", "reference", "actual", "aligned", "error",   # error: one line, or None
     "record":  <pyalign.dataset.record>,                 # what the summary is computed from
     "doc":     <the case's --json document>,
     "text":    <the case's text report>,
     "junit":   (suite XML, tests, failures) or None,     # when Options.junit
     "html":    (table rows, sections) or None,           # when Options.html and the case is misaligned
     "checked": [[stage, name], ...]}                     # tensors compared (unused-override warnings)

Input errors of one case (unreadable capture set, raw input not fitting the spec) are the
case's ``error``: the other cases still run. Anything else is a bug and propagates.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

from pyalign.dataset.record import case_record, error_record
from pyalign.errors import PyalignError, printable

__all__ = ["Options", "compare_task", "verify_task", "verify_image_task", "unpaired_outcome"]

#: Errors that are the case's, not pyalign's.
INPUT_ERRORS = (PyalignError, ValueError, OSError)


@dataclass(frozen=True)
class Options:
    """Everything a task needs besides its case (picklable; one per run).

    Attributes
    ----------
    rules : dict
        ``atol``/``rtol``/``cosine`` overrides for the comparator.
    stages : tuple of str, optional
        Compare only these stages (``compare --stage``).
    max_violations, diagnose, require_all
        As :func:`pyalign.compare.comparator.compare`.
    color : bool
        Colour the text reports.
    junit, html : bool
        Render each case's JUnit suite / HTML sections (misaligned cases) in the worker.
    spec : dict, optional
        The spec to run (verify ``--spec``; required with images).
    out : str, optional
        Keep what the C++ core produced under ``out/<name>`` (verify ``--out``).
    model : str, optional
        ONNX model run on the reference tensor of an image (verify ``--images``).
    suite_name : str
        JUnit suite name prefix.
    """

    rules: Mapping[str, Any] = field(default_factory=dict)
    stages: Optional[Tuple[str, ...]] = None
    max_violations: int = 10
    diagnose: bool = True
    require_all: bool = False
    color: bool = False
    junit: bool = False
    html: bool = False
    spec: Optional[Mapping[str, Any]] = None
    out: Optional[str] = None
    model: Optional[str] = None
    suite_name: str = "pyalign.compare"


def _outcome(index: int, name: str, comparison: Any, text: str, doc: Dict[str, Any], opts: Options,
             reference: str, actual: Optional[str]) -> Dict[str, Any]:
    record = case_record(name, comparison, reference, actual)
    doc["record"] = record
    junit = html = None
    if opts.junit:
        from pyalign.compare.text import junit_suite

        junit = junit_suite(comparison, opts.suite_name)
    if opts.html and not comparison.aligned:
        from pyalign.report.html import case_html

        html = case_html(comparison, 0, prefix=f"c{index}t", heading=True)
    return {"name": name, "reference": reference, "actual": actual, "aligned": bool(comparison.aligned),
            "error": None, "record": record, "doc": doc, "text": text, "junit": junit, "html": html,
            "checked": sorted({(t.stage, t.name) for t in comparison.tensors})}


def _error_outcome(name: str, error: BaseException, reference: str, actual: Optional[str],
                   doc_extra: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    line = printable(str(error).splitlines()[0] if str(error) else type(error).__name__)
    doc = {"name": name, "reference": reference, "actual": actual, "aligned": False, "error": line,
           **(doc_extra or {})}
    doc["record"] = error_record(name, line, reference, actual)
    return {"name": name, "reference": reference, "actual": actual, "aligned": False, "error": line,
            "record": doc["record"], "doc": doc, "text": f"error: {line}", "junit": None, "html": None, "checked": []}


def compare_task(args: Tuple[int, str, str, str, Options]) -> Dict[str, Any]:
    """Compare one paired case: ``(index, name, reference dir, actual dir, options)``."""
    from pyalign.compare.comparator import compare

    index, name, ref, act, opts = args
    try:
        result = compare(ref, act, max_violations=opts.max_violations, diagnose=opts.diagnose,
                         stages=list(opts.stages) if opts.stages else None, require_all=opts.require_all,
                         **dict(opts.rules))
    except INPUT_ERRORS as e:
        return _error_outcome(name, e, ref, act)
    doc = result.to_dict()
    doc = {"name": name, **doc}
    return _outcome(index, name, result, result.to_text(color=opts.color), doc, opts, ref, act)


def _verify_text(path: str, result: Any, opts: Options, heading: bool = True) -> str:
    text = result.to_text(color=opts.color)
    if opts.out is None:  # the temporary directory is gone when the task ends: do not point at it
        text = text.replace(f"actual:    {result.comparison.actual_dir}\n",
                            "actual:    the C++ core's output (not kept: --out DIR keeps it)\n", 1)
    return f"== {path}\n{text}" if heading else text


def verify_task(args: Tuple[int, str, str, Options]) -> Dict[str, Any]:
    """Run the C++ core on one capture set and compare: ``(index, name, case dir, options)``."""
    from pyalign.verify import verify_case

    index, name, path, opts = args
    with tempfile.TemporaryDirectory(prefix="pyalign-verify-") as tmp:
        out = str(Path(opts.out) / name) if opts.out is not None else None
        try:  # the C++ output lives until the record is made (its detections are the accuracy inputs)
            r = verify_case(path, opts.spec, out=out or Path(tmp) / "actual", diagnose=opts.diagnose,
                            require_all=opts.require_all, durable=out is not None, **dict(opts.rules))
        except INPUT_ERRORS as e:
            return _error_outcome(name, e, path, out, {"case": path})
        doc = {"name": name, "case": path, "reference": path, "aligned": r.aligned, "actual": out, "notes": r.notes,
               "result": r.comparison.to_dict()}
        return _outcome(index, name, r.comparison, _verify_text(path, r, opts), doc, opts, path, out)


_MODELS: Dict[str, Any] = {}


def _model(path: Optional[str]) -> Any:
    """The ONNX session of ``path``, loaded once per worker process."""
    if path is None:
        return None
    if path not in _MODELS:
        from pyalign.capture import OnnxModel

        _MODELS[path] = OnnxModel(path)
    return _MODELS[path]


def verify_image_task(args: Tuple[int, str, str, Optional[str], Options]) -> Dict[str, Any]:
    """Compute the reference of one image on the fly and judge the board's output (or the C++ core's).

    ``(index, name, source, board output dir or None, options)``: the source is an image
    file, a raw frame or a capture set (raw input and model output read from it); the
    reference is built in a temporary directory and removed with it.
    """
    from pyalign.compare.comparator import compare
    from pyalign.dataset.onthefly import reference_case
    from pyalign.store.read import read_actual
    from pyalign.verify import verify_case

    index, name, source, board, opts = args
    with tempfile.TemporaryDirectory(prefix="pyalign-ref-") as tmp:
        try:
            ref, spec, notes = reference_case(Path(source), name, opts.spec, Path(tmp), _model(opts.model))
            if board is None:
                out = str(Path(opts.out) / name) if opts.out is not None else None
                r = verify_case(ref, spec, out=out or Path(tmp) / "actual", diagnose=opts.diagnose,
                                require_all=opts.require_all, durable=out is not None, **dict(opts.rules))
                r.notes[:0] = notes
                doc = {"name": name, "case": source, "reference": source, "aligned": r.aligned,
                       "actual": out, "notes": r.notes, "result": r.comparison.to_dict()}
                text = _verify_text(source, r, opts)
                result, actual = r.comparison, out
            else:
                act = read_actual(board, ref)
                wanted = [st for st in ref.stages() if opts.stages is None or st in opts.stages]
                result = compare(ref, act, max_violations=opts.max_violations, diagnose=opts.diagnose,
                                 stages=wanted, require_all=opts.require_all, **dict(opts.rules))
                doc = {"name": name, "case": source, "reference": source, "aligned": result.aligned,
                       "actual": board, "notes": notes, "result": result.to_dict()}
                text = f"== {source}\n" + result.to_text(color=opts.color).replace(
                    f"reference: {result.reference_dir}\n", f"reference: {source} (computed on the fly)\n", 1)
                text = "\n".join([text, *(f"note: {n}" for n in notes)])
                actual = board
            return _outcome(index, name, result, text, doc, opts, source, actual)
        except INPUT_ERRORS as e:
            return _error_outcome(name, e, source, board, {"case": source})


def unpaired_outcome(name: str, path: str, side: str, allowed: bool) -> Dict[str, Any]:
    """The report of a case found on one side only (``side``: ``"reference"`` or ``"actual"``)."""
    other = "actual" if side == "reference" else "reference"
    line = f"{name}: only in the {side} ({path}); no {other} case of that name"
    return {"name": name, "side": side, "path": path, "allowed": allowed, "text": line}

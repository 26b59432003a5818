"""``pyalign inspect CASE``: a table of a capture set's tensors, checked.

Every tensor is validated (size, dtype, shape, paths) and hashed; the table shows
stage, name, dtype, shape, layout, color, min/max/mean (NaN ignored; NaN/Inf
counted) and whether the sha256 matches. A checksum mismatch or any invalid
input ends with one ``error:`` line and exit status 2.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import click
import numpy as np

from pyalign.errors import CaptureError, printable_lines
from pyalign.store import Case, TensorRecord, find_cases, read_actual, read_case

__all__ = ["inspect_cmd", "tensor_summary", "case_summary", "format_case"]

_CHUNK_ELEMENTS = 1 << 22


def tensor_summary(rec: TensorRecord) -> Dict[str, Any]:
    """Statistics and checksum status of one tensor.

    Parameters
    ----------
    rec : TensorRecord

    Returns
    -------
    dict
        ``stage, name, file, dtype, shape, layout, color, kind, min, max, mean``
        (``None`` for an empty or all-NaN tensor), ``nan``, ``inf`` (counts) and
        ``checksum``: ``"ok"``, ``"mismatch"`` or ``"none"`` (no sha256 in the manifest).
    """
    arr = rec.load(mmap=True)
    flat = arr.reshape(-1)
    lo = hi = None
    total = 0.0
    count = nan = inf = 0
    is_float = arr.dtype.kind == "f"
    digest = hashlib.sha256() if rec.sha256 is not None else None  # the file's bytes, hashed in the same pass
    for start in range(0, flat.size, _CHUNK_ELEMENTS):
        chunk = np.asarray(flat[start:start + _CHUNK_ELEMENTS])
        if digest is not None:
            digest.update(chunk.data)
        if is_float:
            chunk = chunk.astype(np.float64)
            nan_mask = np.isnan(chunk)
            inf_mask = np.isinf(chunk)
            nan += int(nan_mask.sum())
            inf += int(inf_mask.sum())
            chunk = chunk[~(nan_mask | inf_mask)]
        if chunk.size == 0:
            continue
        cmin, cmax = chunk.min().item(), chunk.max().item()
        lo = cmin if lo is None else min(lo, cmin)
        hi = cmax if hi is None else max(hi, cmax)
        total += float(chunk.sum(dtype=np.float64))
        count += int(chunk.size)
    if digest is None:
        checksum = "none"
    else:
        checksum = "ok" if digest.hexdigest() == rec.sha256 else "mismatch"
    return {
        "stage": rec.stage,
        "name": rec.name,
        "file": rec.file,
        "dtype": rec.dtype,
        "shape": list(rec.shape),
        "layout": rec.layout,
        "color": rec.color,
        "kind": rec.kind,
        "min": lo,
        "max": hi,
        "mean": (total / count) if count else None,
        "nan": nan,
        "inf": inf,
        "checksum": checksum,
    }


def case_summary(case: Case) -> Dict[str, Any]:
    """A JSON-ready summary of a case: its manifest header and :func:`tensor_summary` of every tensor."""
    m = case.manifest
    spec_ops: List[Any] = []
    spec_error = None
    if case.spec is not None:
        from pyalign.errors import SpecError
        from pyalign.spec.model import load_spec

        try:  # the manifest's spec is only shown once it is a valid spec
            spec = load_spec(case.spec)
            spec_ops = [op["op"] for op in spec["preprocess"]] + ([spec["postprocess"]["op"]]
                                                                   if spec["postprocess"] else [])
        except SpecError as e:
            spec_error = e.what
            spec_ops = _lenient_ops(case.spec)
    return {
        "case": case.name,
        "dir": str(case.dir),
        "created_utc": m.get("created_utc"),
        "provenance": m.get("provenance"),
        "bare": bool(m.get("bare", False)),
        "spec_ops": spec_ops,
        "spec_error": spec_error,
        "tensors": [tensor_summary(t) for t in case.tensors],
    }


def _lenient_ops(spec: Any) -> List[Any]:
    """The op names of a spec that failed validation, as far as its structure allows."""
    pre = spec.get("preprocess") if isinstance(spec, dict) else None
    post = spec.get("postprocess") if isinstance(spec, dict) else None
    ops = [op.get("op") for op in pre if isinstance(op, dict)] if isinstance(pre, list) else []
    return ops + ([post.get("op")] if isinstance(post, dict) else [])


def _num(v: Optional[float], dtype: str) -> str:
    if v is None:
        return "-"
    if dtype.startswith(("uint", "int")) and float(v).is_integer():
        return str(int(v))
    return f"{v:.6g}"


def format_case(summary: Dict[str, Any]) -> str:
    """The text table :command:`pyalign inspect` prints for one case summary."""
    lines = [f"case {summary['case']}  ({summary['dir']})"]
    prov = summary.get("provenance") or {}
    if prov:
        lines.append("written " + (summary.get("created_utc") or "?") + " by " +
                     ", ".join(f"{k} {v}" for k, v in prov.items() if v is not None))
    if summary.get("bare"):
        lines.append("bare directory: shapes and dtypes from the reference")
    if summary.get("spec_ops"):
        lines.append("spec: " + " -> ".join(str(op) for op in summary["spec_ops"]))
    if summary.get("spec_error"):
        lines.append(f"spec: INVALID: {summary['spec_error']}")
    header = ["stage", "name", "dtype", "shape", "layout", "color", "min", "max", "mean", "nan/inf", "checksum"]
    rows = []
    for t in summary["tensors"]:
        rows.append([
            t["stage"], t["name"], t["dtype"], "x".join(str(s) for s in t["shape"]) or "scalar",
            t["layout"] or "-", t["color"] or "-", _num(t["min"], t["dtype"]), _num(t["max"], t["dtype"]),
            "-" if t["mean"] is None else f"{t['mean']:.6g}",
            f"{t['nan']}/{t['inf']}" if t["dtype"].startswith("float") else "-",
            {"ok": "ok", "mismatch": "MISMATCH", "none": "-"}[t["checksum"]],
        ])
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    lines.append(fmt.format(*header).rstrip())
    lines.append(fmt.format(*["-" * w for w in widths]).rstrip())
    for r in rows:
        lines.append(fmt.format(*r).rstrip())
    if not rows:
        lines.append("(no tensors)")
    return "\n".join(lines)


@click.command("inspect")
@click.argument("case", type=click.Path(path_type=Path))
@click.option("--reference", "reference", type=click.Path(path_type=Path), default=None,
              help="Read CASE as a board's bare directory of .bin files named like this reference case's.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def inspect_cmd(case: Path, reference: Optional[Path], as_json: bool) -> int:
    """Show a capture set's tensors and check them.

    CASE is a case directory (with manifest.json) or a directory of cases.
    Exit status 0 when everything checks out; 2 with one error line when a file
    is missing, malformed, of the wrong size or fails its sha256.
    """
    if reference is not None:
        cases: List[Case] = [read_actual(case, read_case(reference))]
    else:
        dirs = find_cases(case)
        if not dirs:
            raise CaptureError("no capture sets (no manifest.json) here", case)
        cases = [read_case(d, verify_checksums=False) for d in dirs]
    summaries = [case_summary(c) for c in cases]
    if as_json:
        click.echo(json.dumps(summaries[0] if len(summaries) == 1 and reference is None and
                              (Path(case) / "manifest.json").exists() else summaries, indent=2))
    else:
        # names, files and notes come from the manifest: escape control characters for the terminal
        click.echo(printable_lines("\n\n".join(format_case(s) for s in summaries)))
    for s, c in zip(summaries, cases):
        for t, rec in zip(s["tensors"], c.tensors):
            if t["checksum"] == "mismatch":
                raise CaptureError(f"sha256 mismatch (tensor {rec.stage}/{rec.name})", rec.path)
    return 0

"""Verify a capture set against the C++ core.

:func:`verify_case` runs ``pyalign.core.preprocess`` (the fused C++ pipeline) on
the captured raw input and ``pyalign.core.postprocess`` on the captured model
output, writes what the C++ produced as an "actual" case and compares its
preprocessed and postprocessed stages with the capture using
:func:`pyalign.compare.comparator.compare`. Aligned
means: this spec plus the C++ core reproduce the Python pipeline, so the C++ can
go to the board as it is.
"""
from __future__ import annotations

import os
import pathlib
import tempfile
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Union

import numpy as np

from pyalign.errors import CaptureError, SpecError
from pyalign.store.format import safe_name
from pyalign.spec.model import load_spec

__all__ = ["VerifyResult", "run_core", "verify_case", "verify_cases"]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass
class VerifyResult:
    """The outcome of :func:`verify_case`.

    Attributes
    ----------
    comparison : pyalign.compare.comparator.ComparisonResult
        Stage-by-stage verdicts; ``comparison.aligned`` is the answer.
    actual : pyalign.store.Case or None
        The case holding what the C++ core produced (None when it was temporary).
    spec : dict
        The spec the C++ core ran.
    notes : list of str
        Stages of the capture that could not be verified, and why.
    """

    comparison: Any
    actual: Any
    spec: Dict[str, Any]
    notes: List[str] = field(default_factory=list)

    def to_text(self, color: bool = False) -> str:
        """The comparator's report followed by the notes."""
        text = self.comparison.to_text(color=color).rstrip("\n")
        return "\n".join([text, *(f"note: {n}" for n in self.notes)])

    @property
    def aligned(self) -> bool:
        """True when every compared tensor passes its rule."""
        return bool(self.comparison.aligned)


def _case_spec(reference: Any, spec: Optional[Union[PathLike, Mapping[str, Any]]]) -> Dict[str, Any]:
    if spec is not None:
        return load_spec(spec)
    if not reference.spec:
        raise SpecError("the capture has no spec in its manifest: give --spec", reference.dir)
    try:
        return load_spec(reference.spec)
    except SpecError as e:
        raise SpecError(f"the manifest's spec is invalid: {e.what}", reference.dir / "manifest.json") from None


def run_core(reference: Any, spec: Mapping[str, Any]) -> Dict[str, np.ndarray]:
    """Run the C++ core on a case's raw input (and model output, when the spec has a postprocess op).

    Returns
    -------
    dict
        ``{"preprocessed": tensor}`` and, when computed, ``{"postprocessed": result}``.
    """
    from pyalign import core

    rec = reference.get("raw_input")
    try:  # core.preprocess checks the raw input against the spec (spec.check_raw_input), once
        tensor, info = core.preprocess(rec.load(), spec, return_info=True)
    except SpecError:
        raise
    except ValueError as e:
        raise CaptureError(f"raw_input does not fit the spec: {e}", rec.path) from None
    out: Dict[str, np.ndarray] = {"preprocessed": np.asarray(tensor)}
    post = spec.get("postprocess")
    outputs = reference.stage("model_output")
    if post and outputs:
        arrays = [np.ascontiguousarray(r.load()) for r in outputs]
        out["postprocessed"] = np.asarray(core.postprocess(arrays if len(arrays) > 1 else arrays[0], post, info))
    return out


def _write_actual(reference: Any, produced: Mapping[str, np.ndarray], spec: Mapping[str, Any], out: pathlib.Path,
                  durable: bool = True) -> Any:
    """Write the C++ results under the reference's tensor names and metadata (``durable``: fsynced)."""
    from pyalign.store import CaseWriter

    with CaseWriter(out, case=reference.name, spec=spec, extra={"produced_by": "pyalign.core (C++)"},
                    durable=durable) as w:
        for stage, arr in produced.items():
            recs = reference.stage(stage)
            if len(recs) == 1:
                r = recs[0]
                w.add(stage, r.name, arr, layout=r.layout, color=r.color, kind=r.kind)
            else:
                w.add(stage, stage, arr)
        return w.commit()


def _notes(reference: Any, spec: Mapping[str, Any], produced: Mapping[str, np.ndarray]) -> List[str]:
    notes = []
    if reference.stage("postprocessed") and "postprocessed" not in produced:
        why = ("the spec has no postprocess op" if not spec.get("postprocess")
               else "the capture has no model_output to run it on")
        notes.append(f"postprocessed not verified: {why}")
    if not reference.stage("preprocessed"):
        notes.append("the capture has no preprocessed tensor: the C++ preprocessing is not checked")
    raw = reference.get("raw_input")
    if raw.color is not None and raw.color != spec["input"]["format"]:
        notes.append(f"the captured raw_input is tagged {raw.color} but the spec's input format is "
                     f"{spec['input']['format']}: the C++ core read it as {spec['input']['format']}")
    return notes


def verify_case(case: Union[PathLike, Any], spec: Optional[Union[PathLike, Mapping[str, Any]]] = None, *,
                out: Optional[PathLike] = None, atol: Any = None, rtol: Any = None, cosine: Any = None,
                diagnose: bool = True, require_all: bool = False, durable: bool = True) -> VerifyResult:
    """Run the C++ core on a capture set and compare it with the captured stages.

    Parameters
    ----------
    case : path-like or pyalign.store.Case
        The reference capture set (from ``pyalign capture`` or :class:`pyalign.Capture`).
    spec : dict or path, optional
        The spec to run; default the one in the capture's manifest. Giving
        another spec checks a board variant against the same capture.
    out : path-like, optional
        Where to write the C++ results as a case. Default: a temporary directory,
        removed before returning (``VerifyResult.actual`` is then None).
    atol, rtol, cosine
        Rule overrides passed to :func:`pyalign.compare.comparator.compare`.
    diagnose : bool
        Run the mismatch diagnosis on failing tensors.
    require_all : bool
        Passed to :func:`pyalign.compare.comparator.compare` (the stages compared are those
        the C++ core produces, so it changes nothing unless one of them is partly written).
    durable : bool
        Flush the files written under ``out`` to the disk (``False`` for an ``out`` the
        caller removes soon, see :class:`pyalign.store.CaseWriter`).

    Returns
    -------
    VerifyResult
    """
    from pyalign.compare.comparator import compare
    from pyalign.store import Case, read_case

    reference: Case = case if isinstance(case, Case) else read_case(case)
    the_spec = _case_spec(reference, spec)
    if not reference.stage("raw_input"):
        raise CaptureError("the capture has no raw_input tensor to run the C++ core on", reference.dir)
    produced = run_core(reference, the_spec)
    rules = {k: v for k, v in (("atol", atol), ("rtol", rtol), ("cosine", cosine)) if v is not None}
    stages = [st for st in ("preprocessed", "postprocessed") if st in produced and reference.stage(st)]
    notes = _notes(reference, the_spec, produced)
    if not stages:
        raise CaptureError("nothing to verify: the capture has neither a preprocessed nor a postprocessed tensor "
                           "the C++ core can reproduce", reference.dir)
    if out is not None:
        actual = _write_actual(reference, produced, the_spec, pathlib.Path(os.fspath(out)), durable)
        result = compare(reference, actual, diagnose=diagnose, stages=stages, require_all=require_all, **rules)
        return VerifyResult(result, actual, the_spec, notes)
    with tempfile.TemporaryDirectory(prefix="pyalign-verify-") as tmp:
        # The case name is manifest text: it names the output only through safe_name.
        actual = _write_actual(reference, produced, the_spec, pathlib.Path(tmp) / safe_name(reference.name),
                               durable=False)
        result = compare(reference, actual, diagnose=diagnose, stages=stages, require_all=require_all, **rules)
        return VerifyResult(result, None, the_spec, notes)


def verify_cases(paths: List[PathLike], spec: Optional[Union[PathLike, Mapping[str, Any]]] = None,
                 **kw: Any) -> List[VerifyResult]:
    """Verify several cases (see :func:`verify_case`)."""
    return [verify_case(p, spec, **kw) for p in paths]

"""Result types of a comparison: :class:`TensorResult` (one tensor) and :class:`ComparisonResult` (a case).

They depend on the rules and the formatters only, never on the comparator that fills them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from pyalign.compare.rules import NOT_COMPARED, Rule
from pyalign.jsonsafe import json_safe
from pyalign.compare.text import report_junit, report_text, tensor_details, tensor_line

__all__ = ["TensorResult", "ComparisonResult", "SCHEMA_VERSION"]

#: Version of the JSON document written by ``ComparisonResult.to_dict`` (docs/compare.md).
SCHEMA_VERSION = 1


@dataclass
class TensorResult:
    """The verdict and metrics of one tensor.

    Attributes
    ----------
    stage, name : str
    rule : Rule
    passed : bool
    status : {'pass', 'fail', 'missing', 'not_compared', 'extra', 'shape_mismatch', 'dtype_mismatch'}
        ``not_compared``: the actual does not hold this tensor and is not required to
        (see :func:`pyalign.compare.rules.absent_status`); neither a pass nor a failure.
    metrics : dict or None
        Every elementwise metric (docs/compare.md); None when nothing could be compared.
    first_violations : list of dict
    detections : dict or None
        Matching detail for ``kind == "detections"``.
    diagnosis : list
        Hypotheses from :func:`pyalign.diagnose.diagnose_tensor` (failing tensors only).
    layout, kind, dtype : str or None
    shape : tuple of int or None
        The reference's (``actual_shape`` / ``actual_dtype``: the actual's).
    notes : list of str
        Anything else worth saying (e.g. a diagnosis that failed).
    message : str
        One sentence on a non-metric status.
    """

    stage: str
    name: str
    rule: Rule
    passed: bool
    status: str
    metrics: Optional[Dict[str, Any]] = None
    first_violations: List[Dict[str, Any]] = field(default_factory=list)
    detections: Optional[Dict[str, Any]] = None
    diagnosis: List[Any] = field(default_factory=list)
    layout: Optional[str] = None
    kind: Optional[str] = None
    shape: Optional[Tuple[int, ...]] = None
    dtype: Optional[str] = None
    actual_shape: Optional[Tuple[int, ...]] = None
    actual_dtype: Optional[str] = None
    notes: List[str] = field(default_factory=list)
    message: str = ""

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready dict (non-finite floats as ``"nan"``/``"inf"``/``"-inf"``)."""
        diag = []
        for h in self.diagnosis:
            try:
                diag.append(h.to_dict())
            except Exception:  # a hypothesis without to_dict: keep its text
                diag.append({"name": getattr(h, "name", type(h).__name__), "description": str(h)})
        d = {
            "stage": self.stage,
            "name": self.name,
            "status": self.status,
            "passed": self.passed,
            "rule": self.rule.to_dict(),
            "dtype": self.dtype,
            "shape": None if self.shape is None else list(self.shape),
            "actual_dtype": self.actual_dtype,
            "actual_shape": None if self.actual_shape is None else list(self.actual_shape),
            "layout": self.layout,
            "kind": self.kind,
            "metrics": self.metrics,
            "first_violations": self.first_violations,
            "detections": self.detections,
            "diagnosis": diag,
            "notes": list(self.notes),
            "message": self.message,
        }
        return json_safe(d)

    def to_text(self) -> str:
        """The one-line verdict followed by the details."""
        return "\n".join([tensor_line(self), *tensor_details(self)])


@dataclass
class ComparisonResult:
    """The verdict of a whole case.

    Attributes
    ----------
    aligned : bool
        True when every compared tensor passes and at least one was compared.
    tensors : list of TensorResult
        In reference order, then the extra tensors of the actual set.
    reference_dir, actual_dir : pathlib.Path or None
    case : str or None
        The reference case name.
    reference_case, actual_case : pyalign.store.Case or None
        The capture sets as the comparator read them (not serialised): the HTML report
        draws from them instead of reading the directories again.
    """

    aligned: bool
    tensors: List[TensorResult]
    reference_dir: Optional[Path] = None
    actual_dir: Optional[Path] = None
    case: Optional[str] = None
    reference_case: Any = field(default=None, repr=False, compare=False)
    actual_case: Any = field(default=None, repr=False, compare=False)

    def to_text(self, color: bool = False) -> str:
        """Human report: one line per tensor, the verdict, then each failure in detail."""
        return report_text(self, color)

    def to_dict(self) -> Dict[str, Any]:
        """The stable JSON document (schema in docs/compare.md)."""
        passed = sum(1 for t in self.tensors if t.passed)
        skipped = sum(1 for t in self.tensors if t.status == NOT_COMPARED)
        return {
            "schema": "pyalign.compare",
            "version": SCHEMA_VERSION,
            "aligned": self.aligned,
            "case": self.case,
            "reference": None if self.reference_dir is None else str(self.reference_dir),
            "actual": None if self.actual_dir is None else str(self.actual_dir),
            "summary": {"tensors": len(self.tensors), "passed": passed, "failed": len(self.tensors) - passed - skipped,
                        "not_compared": skipped},
            "tensors": [t.to_dict() for t in self.tensors],
        }

    def to_json(self, indent: Optional[int] = 2) -> str:
        """``to_dict()`` as strict JSON text."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def to_junit(self) -> str:
        """JUnit XML, one testcase per tensor."""
        return report_junit(self)

    @property
    def compared(self) -> List[TensorResult]:
        """The tensors that were compared (every status but ``not_compared``)."""
        return [t for t in self.tensors if t.status != NOT_COMPARED]

    def __bool__(self) -> bool:
        return self.aligned

"""Dataset runs: plan the cases (pairing, shard), run them in the pool, summarise — the Python API.

* :func:`compare_roots` — ``pyalign compare REF_ROOT ACTUAL_ROOT``: the board's output
  directories paired with the capture sets by case name;
* :func:`verify_dataset` — ``pyalign verify CASES``: the C++ core on every capture set;
* :func:`verify_images` — ``pyalign verify --images DIR --spec S [--board-out DIR]``: the
  reference computed on the fly, judged against the board's output or the C++ core.

Each returns a :class:`DatasetResult` (the case records and the summary); the command
line runs the same :class:`Plan` through :func:`execute` and streams the reports.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Union

from pyalign.dataset.pairing import CaseRef, Pairing, Shard, find_actual_cases, name_cases, pair_named, pair_roots, \
    parse_shard
from pyalign.dataset.pool import check_jobs, run_ordered
from pyalign.dataset.tasks import Options, compare_task, unpaired_outcome, verify_image_task, verify_task

__all__ = ["Plan", "plan_compare", "plan_verify", "plan_images", "execute", "DatasetResult", "compare_roots",
           "verify_dataset", "verify_images"]

PathLike = Union[str, "os.PathLike[str]"]
ShardLike = Union[None, str, Shard]


@dataclass
class Plan:
    """The cases of one run, in name order.

    Attributes
    ----------
    task : callable
        The worker function (:mod:`pyalign.dataset.tasks`).
    items : list of tuple
        Its arguments, one per case.
    unpaired : list of dict
        Cases found on one side only (:func:`pyalign.dataset.tasks.unpaired_outcome`).
    shard : Shard or None
    """

    task: Callable[[Any], Dict[str, Any]]
    items: List[Any] = field(default_factory=list)
    unpaired: List[Dict[str, Any]] = field(default_factory=list)
    shard: Optional[Shard] = None

    @property
    def only_in_reference(self) -> List[str]:
        """Names of the cases without an actual."""
        return [u["name"] for u in self.unpaired if u["side"] == "reference"]

    @property
    def only_in_actual(self) -> List[str]:
        """Names of the board outputs without a reference."""
        return [u["name"] for u in self.unpaired if u["side"] == "actual"]


def _shard(shard: ShardLike) -> Optional[Shard]:
    return shard if isinstance(shard, Shard) or shard is None else parse_shard(shard)


def _unpaired(pairing: Pairing, allowed: bool) -> List[Dict[str, Any]]:
    out = [unpaired_outcome(c.name, str(c.path), "reference", allowed) for c in pairing.only_in_reference]
    out += [unpaired_outcome(c.name, str(c.path), "actual", allowed) for c in pairing.only_in_actual]
    return sorted(out, key=lambda u: (u["name"], u["side"]))


def plan_compare(reference: PathLike, actual: PathLike, options: Options, shard: ShardLike = None,
                 allow_unpaired: bool = False) -> Plan:
    """The pairs of two roots (:func:`pyalign.dataset.pairing.pair_roots`) in a shard."""
    sh = _shard(shard)
    pairing = pair_roots(reference, actual).shard(sh)
    items = [(i, n, str(r), str(a), options) for i, (n, r, a) in enumerate(pairing.paired)]
    return Plan(compare_task, items, _unpaired(pairing, allow_unpaired), sh)


def plan_verify(cases: Sequence[PathLike], options: Options, shard: ShardLike = None) -> Plan:
    """The capture sets under ``cases`` (named relative to each) in a shard."""
    sh = _shard(shard)
    refs = name_cases(cases)
    if sh is not None:
        refs = sh.select(refs)
    return Plan(verify_task, [(i, c.name, str(c.path), options) for i, c in enumerate(refs)], [], sh)


def plan_images(images: Sequence[PathLike], options: Options, board_out: Optional[PathLike] = None,
                shard: ShardLike = None, allow_unpaired: bool = False) -> Plan:
    """Images (or slim capture sets) paired by name with the board's output directories, in a shard."""
    from pyalign.dataset.onthefly import image_sources
    from pyalign.dataset.pairing import case_name

    sh = _shard(shard)
    sources = image_sources(images)
    if board_out is None:
        pairing = Pairing([(c.name, c.path, c.path) for c in sources])
    else:
        root = os.fspath(board_out)
        from pathlib import Path

        acts = [CaseRef(case_name(p, Path(root)), p) for p in find_actual_cases(root)]
        pairing = pair_named(sources, acts)
    pairing = pairing.shard(sh)
    items = [(i, n, str(r), None if board_out is None else str(a), options)
             for i, (n, r, a) in enumerate(pairing.paired)]
    return Plan(verify_image_task, items, _unpaired(pairing, allow_unpaired), sh)


def execute(plan: Plan, jobs: Optional[int] = None, progress: Optional[Callable[[int], None]] = None) -> Iterator[Dict[str, Any]]:
    """Run a plan's cases (``jobs`` processes; None: one per CPU) and yield their outcomes in name order."""
    return run_ordered(plan.task, plan.items, check_jobs(jobs), progress)


@dataclass
class DatasetResult:
    """The outcome of a dataset run, without the tensors.

    Attributes
    ----------
    records : list of dict
        One per paired case, in name order (:mod:`pyalign.dataset.record`).
    only_in_reference, only_in_actual : list of str
    summary : dict
        :func:`pyalign.dataset.summary.summarize` of the records.
    allow_unpaired : bool
        Whether cases on one side only are tolerated.
    """

    records: List[Dict[str, Any]]
    only_in_reference: List[str]
    only_in_actual: List[str]
    summary: Dict[str, Any]
    allow_unpaired: bool = False

    @property
    def aligned(self) -> bool:
        """Every paired case aligned, none in error, and no case on one side only (unless allowed)."""
        unpaired = bool(self.only_in_reference or self.only_in_actual) and not self.allow_unpaired
        return all(r.get("aligned") and not r.get("error") for r in self.records) and not unpaired

    def __bool__(self) -> bool:
        return self.aligned


def _run(plan: Plan, jobs: Optional[int], allow_unpaired: bool, annotations: Optional[PathLike],
         labels: Optional[PathLike], on_case: Optional[Callable[[Dict[str, Any]], None]]) -> DatasetResult:
    from pyalign.dataset.summary import SummaryOptions, summarize

    opts = SummaryOptions(annotations, labels)
    records = []
    for outcome in execute(plan, jobs):
        records.append(outcome["record"])
        if on_case is not None:
            on_case(outcome)
    summary = summarize(records, plan.only_in_reference, plan.only_in_actual, opts)
    return DatasetResult(records, plan.only_in_reference, plan.only_in_actual, summary, allow_unpaired)


def _options(rules: Mapping[str, Any], **kw: Any) -> Options:
    return Options(rules={k: v for k, v in rules.items() if v is not None}, **kw)


def compare_roots(reference: PathLike, actual: PathLike, *, jobs: Optional[int] = None, shard: ShardLike = None,
                  allow_unpaired: bool = False, annotations: Optional[PathLike] = None,
                  labels: Optional[PathLike] = None, stages: Optional[Sequence[str]] = None, diagnose: bool = True,
                  require_all: bool = False, on_case: Optional[Callable[[Dict[str, Any]], None]] = None,
                  **rules: Any) -> DatasetResult:
    """Compare every board output under ``actual`` with the capture set of the same name under ``reference``.

    Parameters
    ----------
    reference, actual : path-like
        The two roots.
    jobs : int, optional
        Worker processes (default: one per CPU; 1: in this process).
    shard : str or Shard, optional
        ``"K/N"``: only the names of shard K of N.
    allow_unpaired : bool
        Cases on one side only do not make the result misaligned.
    annotations, labels : path-like, optional
        COCO annotations / true classes for the accuracy part of the summary.
    stages, diagnose, require_all, **rules
        As :func:`pyalign.compare.comparator.compare` (``atol``, ``rtol``, ``cosine``).
    on_case : callable, optional
        Called with each case's outcome (:mod:`pyalign.dataset.tasks`), in name order.

    Returns
    -------
    DatasetResult
    """
    opts = _options(rules, stages=tuple(stages) if stages else None, diagnose=diagnose, require_all=require_all)
    plan = plan_compare(reference, actual, opts, shard, allow_unpaired)
    return _run(plan, jobs, allow_unpaired, annotations, labels, on_case)


def verify_dataset(cases: Sequence[PathLike], spec: Optional[Union[PathLike, Mapping[str, Any]]] = None, *,
                   jobs: Optional[int] = None, shard: ShardLike = None, out: Optional[PathLike] = None,
                   annotations: Optional[PathLike] = None, labels: Optional[PathLike] = None,
                   diagnose: bool = True, on_case: Optional[Callable[[Dict[str, Any]], None]] = None,
                   **rules: Any) -> DatasetResult:
    """Run the C++ core on every capture set under ``cases`` and compare (see :func:`pyalign.verify.verify_case`)."""
    from pyalign.spec.model import load_spec

    opts = _options(rules, spec=load_spec(spec) if spec is not None else None, diagnose=diagnose,
                    out=None if out is None else os.fspath(out))
    return _run(plan_verify(cases, opts, shard), jobs, False, annotations, labels, on_case)


def verify_images(images: Sequence[PathLike], spec: Optional[Union[PathLike, Mapping[str, Any]]] = None, *,
                  board_out: Optional[PathLike] = None, model: Optional[PathLike] = None,
                  jobs: Optional[int] = None, shard: ShardLike = None, allow_unpaired: bool = False,
                  annotations: Optional[PathLike] = None, labels: Optional[PathLike] = None,
                  diagnose: bool = True, on_case: Optional[Callable[[Dict[str, Any]], None]] = None,
                  **rules: Any) -> DatasetResult:
    """Verify images with the reference computed on the fly, nothing stored but the board's output.

    Parameters
    ----------
    images : sequence of path-like
        Image files, raw frames, directories of them, or directories of (slim) capture sets.
    spec : dict or path, optional
        The pipeline spec (a capture set may bring its own).
    board_out : path-like, optional
        The board's output directories, one per case name; default: pyalign's C++ core
        is run on the same raw input and model output.
    model : path-like, optional
        ONNX model giving the reference's model output for images (capture sets bring theirs).
    jobs, shard, allow_unpaired, annotations, labels, diagnose, on_case, **rules
        As :func:`compare_roots`.
    """
    from pyalign.spec.model import load_spec

    opts = _options(rules, spec=load_spec(spec) if spec is not None else None, diagnose=diagnose,
                    model=None if model is None else os.fspath(model))
    plan = plan_images(images, opts, board_out, shard, allow_unpaired)
    return _run(plan, jobs, allow_unpaired, annotations, labels, on_case)

"""pytest plugin: every capture set is a test case, every alignment check an assertion.

Loaded through the ``pytest11`` entry point whenever pyalign is installed
(``-p no:pyalign`` turns it off). Without a captures directory it only
registers its options, fixtures and marker: no parametrization, no summary,
nothing imported beyond the standard library.

Options (and ini keys)
----------------------
``--pyalign-captures DIR`` (``pyalign_captures``)
    Root of the capture sets; tests that use ``pyalign_case`` (directly or
    through ``pyalign_check``) run once per case, with the case as test id.
``--pyalign-report FILE`` (``pyalign_report``)
    Write a ``.json`` or ``.html`` report of every check at the end.
``--pyalign-atol/--pyalign-rtol/--pyalign-cosine [STAGE[.NAME]=]VALUE`` (``pyalign_atol`` ...)
    Tolerance overrides, repeatable, as in ``pyalign compare``.
``--pyalign-shard K/N``
    Only the capture sets of shard K of N (by a stable hash of the case id, as
    ``pyalign verify --shard``), to split the captures across CI jobs.
``--pyalign-summary auto|all|failed|off`` (``pyalign_summary``)
    Which rows of the case × stage table to print.

Fixtures
--------
``pyalign_case``
    The current capture set (:class:`pyalign.pytest_plugin.case.CaptureCase`).
``pyalign_check``
    ``pyalign_check(actual, stage="preprocessed", name=None, **rules)`` compares
    against the current case and fails the test with the comparator's report.

Marker
------
``@pytest.mark.pyalign(atol=..., rtol=..., cosine=..., max_violations=...)``
    Rules for one test (or class / module through ``pytestmark``).

See ``docs/pytest-plugin.md``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from pyalign.pytest_plugin.options import (
    RULE_KEYS,
    SUMMARY_AUTO_ROWS,
    OptionError,
    PluginSettings,
    make_settings,
    normalize_rules,
    rule_for,
)

_EXTRA_RULE_KEYS = ("max_violations",)
_WORKER_KEY = "pyalign_records"
_CASE_PROPERTY = "pyalign_case"


class _State:
    """Everything the plugin keeps for one pytest session (stored in ``config.stash``)."""

    def __init__(self, settings: PluginSettings, cases: List[Tuple[str, Path]], is_worker: bool) -> None:
        self.settings = settings
        self.cases = cases
        self.is_worker = is_worker
        self.records: List[Dict[str, Any]] = []
        self.case_cache: Dict[str, Any] = {}  # case id -> validated pyalign.store.Case
        self.tests: Dict[str, Dict[str, Any]] = {}
        self.report_written: Optional[Path] = None
        self.report_error: Optional[str] = None
        self.shard: Optional[str] = None


_STATE = pytest.StashKey[_State]()


# ---------------------------------------------------------------------------------------
# options
def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the command-line options and ini keys."""
    group = parser.getgroup("pyalign", "pyalign: board/Python alignment checks over capture sets")
    group.addoption(
        "--pyalign-captures",
        metavar="DIR",
        default=None,
        help="run tests that use pyalign_case once per capture set under DIR (ini: pyalign_captures).",
    )
    group.addoption(
        "--pyalign-report",
        metavar="FILE",
        default=None,
        help="write a report of every alignment check to FILE (.json or .html) (ini: pyalign_report).",
    )
    for kind, what in (
        ("atol", "absolute tolerance"),
        ("rtol", "relative tolerance"),
        ("cosine", "minimum cosine similarity"),
    ):
        group.addoption(
            f"--pyalign-{kind}",
            metavar="[STAGE[.NAME]=]V",
            action="append",
            default=None,
            help=f"{what} for a stage or tensor, repeatable (ini: pyalign_{kind}).",
        )
        parser.addini(f"pyalign_{kind}", f"pyalign {what}: [STAGE[.NAME]=]V per line.", type="linelist")
    group.addoption(
        "--pyalign-shard",
        metavar="K/N",
        default=None,
        help="check only the capture sets of shard K of N (a stable hash of the case id, as 'pyalign verify "
        "--shard'): N machines or CI jobs split the captures.",
    )
    group.addoption(
        "--pyalign-summary",
        metavar="MODE",
        default=None,
        help="terminal summary rows: auto (all, or only failing ones when there are many), all, failed, off "
        "(ini: pyalign_summary).",
    )
    parser.addini("pyalign_summary", "pyalign: terminal summary rows (auto, all, failed, off).", type="string", default="")
    parser.addini("pyalign_captures", "pyalign: root directory of the capture sets.", type="string", default="")
    parser.addini("pyalign_report", "pyalign: report file (.json or .html).", type="string", default="")


def _settings_from(config: pytest.Config) -> PluginSettings:
    ini_dir = config.inipath.parent if config.inipath is not None else config.rootpath
    return make_settings(
        captures_opt=config.getoption("pyalign_captures"),
        captures_ini=config.getini("pyalign_captures") or None,
        report_opt=config.getoption("pyalign_report"),
        report_ini=config.getini("pyalign_report") or None,
        rule_opts={k: config.getoption(f"pyalign_{k}") for k in RULE_KEYS},
        rule_inis={k: config.getini(f"pyalign_{k}") for k in RULE_KEYS},
        invocation_dir=Path(config.invocation_params.dir),
        ini_dir=Path(ini_dir),
        summary=config.getoption("pyalign_summary") or config.getini("pyalign_summary") or None,
    )


def _find_cases(root: Path) -> List[Tuple[str, Path]]:
    from pyalign.errors import CaptureError
    from pyalign.store import find_cases

    try:
        paths = find_cases(root)
    except CaptureError as e:  # "<root>: no such directory" or "<root>: not a directory"
        raise pytest.UsageError(f"--pyalign-captures {e}") from None
    if not paths:
        raise pytest.UsageError(
            f"--pyalign-captures {root}: no capture sets (directories with a manifest.json) in it"
        )
    cases = []
    for p in paths:
        try:
            rel = p.resolve().relative_to(root.resolve())
            case_id = rel.as_posix() if rel.parts else p.resolve().name
        except ValueError:
            case_id = p.name
        cases.append((case_id, p))
    return cases


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; when a captures directory is configured, find its cases."""
    config.addinivalue_line(
        "markers",
        "pyalign(atol=None, rtol=None, cosine=None, max_violations=None): alignment rules for "
        "pyalign_check in this test; a number, or a dict keyed by 'stage' or 'stage.name'.",
    )
    try:
        settings = _settings_from(config)
    except OptionError as e:
        raise pytest.UsageError(str(e)) from None
    if not settings.active:
        return
    cases = _find_cases(settings.captures) if settings.captures is not None else []
    shard_text = config.getoption("pyalign_shard")
    if shard_text is not None:
        from pyalign.dataset.pairing import parse_shard

        try:
            shard = parse_shard(shard_text, "--pyalign-shard")
        except ValueError as e:
            raise pytest.UsageError(str(e)) from None
        cases = [(cid, p) for cid, p in cases if cid in shard]  # type: ignore[operator]
    state = _State(settings, cases, is_worker=hasattr(config, "workerinput"))
    state.shard = shard_text
    config.stash[_STATE] = state
    config.pluginmanager.register(_Reporter(state), "pyalign-reporter")


def pytest_report_header(config: pytest.Config) -> Optional[str]:
    """Say which captures directory the session checks."""
    state = config.stash.get(_STATE, None)
    if state is None or state.settings.captures is None:
        return None
    shard = f" (shard {state.shard})" if state.shard else ""
    return f"pyalign: {len(state.cases)} capture sets in {state.settings.captures}{shard}"


# ---------------------------------------------------------------------------------------
# parametrization and fixtures
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses ``pyalign_case`` once per capture set."""
    if "pyalign_case" not in metafunc.fixturenames:
        return
    state = metafunc.config.stash.get(_STATE, None)
    if state is not None and not state.cases and state.shard:  # an empty shard: the tests are skipped, not errors
        metafunc.parametrize("pyalign_case", [], indirect=True)
        return
    if state is None or not state.cases:
        return
    metafunc.parametrize(
        "pyalign_case",
        [str(path) for _, path in state.cases],
        ids=[case_id for case_id, _ in state.cases],
        indirect=True,
    )


@pytest.fixture
def pyalign_case(request: pytest.FixtureRequest) -> Any:
    """The current capture set: tensors of each stage as numpy arrays, metadata, directory.

    Tests that use this fixture (or ``pyalign_check``) run once per capture set
    under ``--pyalign-captures``; they are skipped when no captures directory is
    configured. See :class:`pyalign.pytest_plugin.case.CaptureCase`.
    """
    if not hasattr(request, "param"):
        pytest.skip("pyalign_case needs a captures directory: --pyalign-captures DIR or ini pyalign_captures")
    from pyalign.errors import PyalignError
    from pyalign.pytest_plugin.case import load_case

    path = Path(request.param)
    state = request.config.stash.get(_STATE, None)
    case_id = path.name
    if state is not None:
        case_id = next((cid for cid, p in state.cases if str(p) == request.param), case_id)
    request.node.user_properties.append((_CASE_PROPERTY, case_id))
    try:
        return load_case(case_id, path, state.case_cache if state is not None else None)
    except PyalignError as e:
        problem = str(e)
    pytest.fail(f"capture set {case_id}: {problem}", pytrace=False)


def _marker_rules(node: pytest.Item) -> Dict[str, Any]:
    merged: Dict[str, Any] = {}
    for mark in reversed(list(node.iter_markers("pyalign"))):  # closest last, so it wins
        if mark.args:
            raise TypeError(f"{node.nodeid}: @pytest.mark.pyalign takes keywords only (atol=, rtol=, cosine=)")
        unknown = sorted(set(mark.kwargs) - set(RULE_KEYS) - set(_EXTRA_RULE_KEYS))
        if unknown:
            raise TypeError(f"{node.nodeid}: @pytest.mark.pyalign: unknown rule keyword(s) {', '.join(unknown)}")
        merged.update(mark.kwargs)
    return merged


class _Checker:
    """The callable behind the ``pyalign_check`` fixture."""

    def __init__(self, request: pytest.FixtureRequest, case: Any) -> None:
        self._request = request
        self._case = case
        self._marker = _marker_rules(request.node)
        state = request.config.stash.get(_STATE, None)
        self._state = state
        self.results: List[Any] = []

    def __repr__(self) -> str:
        return f"<pyalign_check for case {self._case.id!r}>"

    def all(self, actual: Any, stages: Optional[List[str]] = None, require_all: bool = False,
            **rules: Any) -> List[Any]:
        """Check every tensor of every stage a board output directory holds.

        Parameters
        ----------
        actual : str or Path
            A directory the board wrote: a capture set, or bare ``.bin`` files
            named like the reference's.
        stages : list of str, optional
            The stages to check; default: the stages present in ``actual`` (every
            reference stage with ``require_all``). A reference tensor of a checked
            stage that ``actual`` lacks is a failure, except in ``raw_input`` (as
            :func:`pyalign.compare.rules.absent_status` decides for the comparator).
        require_all : bool
            Every reference tensor ``actual`` lacks is a failure, raw input included.
        **rules
            As for a single check.

        Returns
        -------
        list of TensorResult
            When everything is aligned.

        Raises
        ------
        AssertionError
            With the report of every misaligned or missing tensor.
        """
        __tracebackhide__ = True
        return _check_all(self, actual, stages, rules, require_all)

    def __call__(self, actual: Any, stage: str = "preprocessed", name: Optional[str] = None, **rules: Any) -> Any:
        """Compare ``actual`` with the current case's tensor; fail the test when misaligned.

        Parameters
        ----------
        actual : array-like, str or Path
            The board's tensor: an array, a ``.bin`` file (dtype and shape from
            the reference) or a directory the board wrote (capture set or bare
            ``.bin`` files named like the reference's).
        stage : str
            ``raw_input``, ``preprocessed``, ``model_output`` or ``postprocessed``.
        name : str, optional
            The tensor's name; may be omitted when the stage has one tensor.
        **rules
            ``atol``, ``rtol``, ``cosine`` (number or ``{"stage[.name]": v}``)
            and ``max_violations``; they take precedence over the marker and
            the command line.

        Returns
        -------
        TensorResult
            The comparator's result (when aligned).

        Raises
        ------
        AssertionError
            With the comparator's text report, when misaligned.
        """
        __tracebackhide__ = True
        from pyalign.pytest_plugin.case import load_actual
        from pyalign.pytest_plugin.options import STAGES

        unknown = sorted(set(rules) - set(RULE_KEYS) - set(_EXTRA_RULE_KEYS))
        if unknown:
            raise TypeError(f"pyalign_check: unknown rule keyword(s) {', '.join(unknown)}")
        if stage not in STAGES:
            raise ValueError(f"pyalign_check: unknown stage {stage!r} (stages: {', '.join(STAGES)})")
        case = self._case
        if not case.has(stage, name):
            what = f"tensor {stage}.{name}" if name is not None else f"stage {stage}"
            pytest.fail(f"capture set {case.id} has no {what}", pytrace=False)
        record = case.record(stage, name)
        expected = case.array(stage, record.name)
        actual_arr = load_actual(actual, case, stage, record.name)

        rule, source, extra = self._rules(stage, record.name, rules)

        from pyalign.compare.comparator import compare_arrays

        result = compare_arrays(
            expected,
            actual_arr,
            stage=stage,
            name=record.name,
            layout=record.layout,
            kind=record.kind,
            **rule,
            **extra,
        )
        if not result.passed and not getattr(result, "diagnosis", None):
            _diagnose(result, expected, actual_arr, case, record)
        self._record(result, stage, record.name, source, _actual_dir(actual))
        if not result.passed:
            raise AssertionError(f"pyalign: case {case.id} is misaligned\n{result.to_text()}")
        return result

    def _rules(self, stage: str, name: str, rules: Dict[str, Any]) -> Tuple[Dict[str, Any], str, Dict[str, Any]]:
        """The comparator keywords for one tensor, the layer they come from, and the extra keywords."""
        try:
            layers = [normalize_rules(rules, "pyalign_check"), normalize_rules(self._marker, "@pytest.mark.pyalign")]
        except OptionError as e:
            raise ValueError(str(e)) from None
        overrides = self._state.settings.overrides if self._state is not None else {}
        rule, layer = rule_for(layers + [overrides], stage, name)
        source = ("call", "marker", "options", "default")[layer]
        extra = {k: v for k, v in {**self._marker, **rules}.items() if k in _EXTRA_RULE_KEYS and v is not None}
        return rule, source, extra

    def _record(self, result: Any, stage: str, name: str, source: str, actual_dir: Optional[str]) -> None:
        from pyalign.pytest_plugin.results import make_record

        self.results.append(result)
        if self._state is not None:
            self._state.records.append(
                make_record(
                    result,
                    nodeid=self._request.node.nodeid,
                    case_id=self._case.id,
                    case_dir=str(self._case.dir),
                    stage=stage,
                    name=name,
                    rule_source=source,
                    actual_dir=actual_dir,
                )
            )

    def _missing(self, record: Any, rules: Dict[str, Any], actual_dir: str) -> Any:
        """Record (and return) a ``missing`` result for a reference tensor the board did not write."""
        from pyalign.compare.rules import resolve_rule
        from pyalign.compare.comparator import TensorResult

        rule_kw, source, _ = self._rules(record.stage, record.name, rules)
        result = TensorResult(
            stage=record.stage, name=record.name, rule=resolve_rule(record.stage, record.name, **rule_kw),
            passed=False, status="missing", layout=record.layout, kind=record.kind,
            shape=tuple(record.shape), dtype=record.dtype,
            message=f"not in the board's output {actual_dir}",
        )
        self._record(result, record.stage, record.name, source, actual_dir)
        return result


def _check_all(checker: "_Checker", actual: Any, stages: Optional[List[str]], rules: Dict[str, Any],
               require_all: bool = False) -> List[Any]:
    __tracebackhide__ = True
    from pyalign.errors import PyalignError
    from pyalign.pytest_plugin.case import matching_record
    from pyalign.pytest_plugin.options import STAGES
    from pyalign.store import read_actual

    case = checker._case
    path = Path(actual)
    if not path.is_dir():
        raise ValueError(f"pyalign_check.all: {path} is not a directory (a capture set or bare .bin files)")
    from pyalign.compare.rules import MISSING, absent_status

    got = read_actual(path, case.case)
    present = got.stages()
    # Stages asked for by name are required like --require-all; by default only those the board wrote.
    strict = require_all or stages is not None
    if stages is None:
        stages = [s for s in STAGES if (case.has(s) if require_all else s in present)]
    results: List[Any] = []
    failures: List[str] = []
    for stage in stages:
        if stage not in STAGES:
            raise ValueError(f"pyalign_check.all: unknown stage {stage!r} (stages: {', '.join(STAGES)})")
        if not case.has(stage):
            failures.append(f"capture set {case.id} has no stage {stage}")
            continue
        for rec in case.records(stage):
            if matching_record(got, case.case, rec) is None:
                if absent_status(stage, present, strict) != MISSING:
                    continue
                missing = checker._missing(rec, rules, str(path.resolve()))
                failures.append(f"pyalign: case {case.id} is misaligned\n{missing.to_text()}")
                continue
            try:
                results.append(checker(path, stage=stage, name=rec.name, **rules))
            except AssertionError as e:
                failures.append(str(e))
            except PyalignError as e:
                failures.append(f"{stage}/{rec.name}: {e}")
    if failures:
        raise AssertionError("\n\n".join(failures))
    return results


def _actual_dir(actual: Any) -> Optional[str]:
    if isinstance(actual, (str, Path)) and Path(actual).is_dir():
        return str(Path(actual).resolve())
    return None


def _diagnose(result: Any, expected: Any, actual: Any, case: Any, record: Any) -> None:
    """Attach the diagnosis hypotheses to a failing result (never fails the check itself)."""
    try:
        from pyalign.diagnose import diagnose_tensor

        context = {"reference_case": case.case, "actual_case": None, "record": record}
        result.diagnosis = list(diagnose_tensor(result, expected, actual, context))
    except Exception:  # a diagnosis is a help, the verdict stands without it
        pass


@pytest.fixture
def pyalign_check(request: pytest.FixtureRequest, pyalign_case: Any) -> _Checker:
    """``pyalign_check(actual, stage="preprocessed", name=None, **rules)``: assert alignment.

    Compares ``actual`` with the current capture set's tensor using the stage's
    default rule, the command-line overrides, the ``pyalign`` marker or the
    call's rules (highest priority last), and fails the test with the
    comparator's text report: stage, violations, max |diff| with its index and
    both values, and the rule.
    """
    return _Checker(request, pyalign_case)


# ---------------------------------------------------------------------------------------
# results: outcomes, xdist, summary, report
class _Reporter:
    """Hooks registered only in sessions that use the plugin (keeps other runs cheap)."""

    def __init__(self, state: _State) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.state.is_worker:
            return  # the controller receives the same report
        case = next((v for k, v in report.user_properties if k == _CASE_PROPERTY), None)
        if case is None:
            return
        entry = self.state.tests.setdefault(report.nodeid, {"nodeid": report.nodeid, "case": case, "outcome": "passed"})
        if report.failed:
            if entry["outcome"] != "failed":
                entry["outcome"] = "failed"
                entry["when"] = report.when
        elif report.skipped and entry["outcome"] == "passed":
            entry["outcome"] = "skipped"

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
        if data:
            self.state.records.extend(json.loads(data))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        config = session.config
        if self.state.is_worker:
            config.workeroutput[_WORKER_KEY] = json.dumps(self.state.records)  # type: ignore[attr-defined]
            return
        path = self.state.settings.report
        if path is None:
            return
        from pyalign.pytest_plugin.report import write_report

        try:
            write_report(path, self.state.records, list(self.state.tests.values()), captures=self.state.settings.captures)
            self.state.report_written = path
        except Exception as e:  # the tests' verdicts stand; say why the report is missing
            self.state.report_error = f"{path}: {e}"

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if self.state.is_worker:
            return
        from pyalign.pytest_plugin.results import OTHER_STAGE, summarize, summary_lines

        tr = terminalreporter
        mode = self.state.settings.summary
        if mode == "off":
            self._report_lines(tr)
            return
        records = self.state.records
        tr.write_sep("=", "pyalign alignment summary")
        tests = list(self.state.tests.values())
        rows = summarize(records, tests)
        if not rows:
            tr.write_line("no alignment checks ran")
        else:
            shown = rows
            if mode == "failed" or (mode == "auto" and len(rows) > SUMMARY_AUTO_ROWS):
                shown = [r for r in rows if r["verdict"] != "PASS"]
            if shown:
                lines = summary_lines(shown)
                tr.write_line(lines[0], bold=True)
                for row, line in zip(shown, lines[1:]):
                    if row["verdict"] == "FAIL":
                        tr.write_line(line, red=True)
                    else:
                        tr.write_line(line, green=True)
            if len(shown) < len(rows):
                tr.write_line(f"({len(rows) - len(shown)} passing case x stage rows not shown: --pyalign-summary=all)")
            failed = sum(1 for r in records if not r.get("passed"))
            cases = len({r["case"] for r in rows})
            line = f"{len(records)} checks on {cases} cases: {len(records) - failed} aligned, {failed} misaligned"
            others = sum(r["checks"] for r in rows if r["stage"] == OTHER_STAGE)
            if others:
                line += f"; {others} failed tests outside the checks"
            tr.write_line(line)
        self._report_lines(tr)

    def _report_lines(self, tr: Any) -> None:
        from pyalign.pytest_plugin.options import unused_overrides

        checked = [(str(r.get("stage")), str(r.get("name"))) for r in self.state.records]
        for line in unused_overrides(self.state.settings.overrides, checked):
            tr.write_line(line, yellow=True)
        if self.state.report_written is not None:
            tr.write_line(f"pyalign report: {self.state.report_written}")
        if self.state.report_error is not None:
            tr.write_line(f"pyalign report not written: {self.state.report_error}", red=True)

"""The missing-stage contract, decided once in pyalign.compare.rules.absent_status.

A stage wholly absent from the actual is not compared (not a failure); raw_input is never
required; a stage that is partly present fails on each absent tensor; comparing nothing at
all is a failure; require_all (--require-all) makes every absent tensor a failure.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pyalign.compare.comparator import compare
from pyalign.compare.rules import MISSING, NOT_COMPARED, absent_status
from pyalign.store import CaseWriter


def _write(path: Path, tensors) -> Path:
    with CaseWriter(path) as w:
        for stage, name, arr in tensors:
            w.add(stage, name, arr)
        w.commit()
    return path


@pytest.fixture()
def ref(tmp_path):
    rng = np.random.default_rng(1)
    t = {
        ("raw_input", "image"): rng.integers(0, 256, (4, 6, 3), dtype=np.uint8),
        ("preprocessed", "images"): rng.random((1, 3, 4, 4)).astype(np.float32),
        ("model_output", "out0"): rng.random((1, 10)).astype(np.float32),
        ("model_output", "out1"): rng.random((1, 5)).astype(np.float32),
        ("postprocessed", "classes"): np.array([[3, 1]], np.int32),
    }
    return _write(tmp_path / "ref", [(s, n, a) for (s, n), a in t.items()]), t


def _status(result):
    return {(t.stage, t.name): t.status for t in result.tensors}


@pytest.mark.parametrize("stage, present, require_all, want", [
    ("preprocessed", ["preprocessed"], False, MISSING),
    ("postprocessed", ["preprocessed"], False, NOT_COMPARED),
    ("raw_input", ["raw_input", "preprocessed"], False, NOT_COMPARED),
    ("raw_input", [], True, MISSING),
    ("postprocessed", ["preprocessed"], True, MISSING),
])
def test_absent_status_decides_once(stage, present, require_all, want) -> None:
    assert absent_status(stage, present, require_all) == want


def test_preprocessing_only_board_is_aligned(ref, tmp_path) -> None:
    path, t = ref
    act = _write(tmp_path / "act", [("preprocessed", "images", t[("preprocessed", "images")])])
    r = compare(path, act)
    assert r.aligned
    st = _status(r)
    assert st[("preprocessed", "images")] == "pass"
    assert {st[k] for k in st if k[0] != "preprocessed"} == {NOT_COMPARED}
    assert r.to_dict()["summary"] == {"tensors": 5, "passed": 1, "failed": 0, "not_compared": 4}
    assert "ALIGNED: 1 of 1 tensors pass (4 not compared)" in r.to_text()
    assert 'skipped="4"' in r.to_junit()


def test_partly_present_stage_fails_per_absent_tensor(ref, tmp_path) -> None:
    path, t = ref
    act = _write(tmp_path / "act", [("model_output", "out0", t[("model_output", "out0")])])
    r = compare(path, act)
    assert not r.aligned
    st = _status(r)
    assert st[("model_output", "out0")] == "pass" and st[("model_output", "out1")] == MISSING
    assert st[("postprocessed", "classes")] == NOT_COMPARED


def test_nothing_compared_is_a_failure(ref, tmp_path) -> None:
    path, t = ref
    act = _write(tmp_path / "act", [("raw_input", "other", t[("raw_input", "image")])])
    r = compare(path, act, stages=["preprocessed", "postprocessed", "model_output"])
    assert not r.aligned
    assert any("nothing to compare" in x.message for x in r.tensors)


def test_require_all_restores_strictness(ref, tmp_path) -> None:
    path, t = ref
    act = _write(tmp_path / "act", [("preprocessed", "images", t[("preprocessed", "images")])])
    r = compare(path, act, require_all=True)
    assert not r.aligned
    assert {s for k, s in _status(r).items() if k[0] != "preprocessed"} == {MISSING}


def test_cli_require_all(ref, tmp_path) -> None:
    path, t = ref
    act = _write(tmp_path / "act", [("preprocessed", "images", t[("preprocessed", "images")])])
    run = lambda *a: subprocess.run([sys.executable, "-m", "pyalign", "compare", str(path), str(act), *a],
                                    capture_output=True, text=True)
    ok = run("--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["summary"]["not_compared"] == 4
    strict = run("--require-all")
    assert strict.returncode == 1 and "MISSING" in strict.stdout

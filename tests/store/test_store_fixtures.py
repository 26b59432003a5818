"""The committed fixtures read cleanly and equal a fresh run of fixtures/make_fixtures.py byte for byte."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from pyalign.store import find_cases, read_actual, read_case

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
VOLATILE = ("created_utc", "provenance")


def _files(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


def _stable_manifest(path: Path) -> dict:
    m = json.loads(path.read_text())
    for k in VOLATILE:
        m.pop(k, None)
    return m


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fixtures")
    subprocess.run([sys.executable, str(FIXTURES / "make_fixtures.py"), "--out", str(out)], check=True)
    return out


def test_committed_fixtures_equal_regeneration(fresh):
    committed = {k: v for k, v in _files(FIXTURES).items() if k.startswith(("captures/", "actual/"))}
    regenerated = _files(fresh)
    assert sorted(committed) == sorted(regenerated)
    for rel, path in committed.items():
        if rel.endswith("manifest.json"):
            assert _stable_manifest(path) == _stable_manifest(regenerated[rel]), rel
        else:
            assert path.read_bytes() == regenerated[rel].read_bytes(), rel


def test_fixtures_are_small():
    total = sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file())
    assert total < 1_000_000


def test_fixtures_read_cleanly():
    cases = find_cases(FIXTURES / "captures")
    assert [c.name for c in cases] == ["bgr_small", "multi_output", "nv12_small"]
    for d in cases:
        case = read_case(d)  # sizes, sha256, paths
        for rec in case.tensors:
            assert rec.load().shape == rec.shape
    multi = read_case(FIXTURES / "captures" / "multi_output")
    assert [t.dtype for t in multi.stage("model_output")] == ["float32", "int8", "float16"]
    dets = multi.array("postprocessed")
    assert dets.shape == (3, 6) and np.all(np.diff(dets[:, 4]) <= 0)


def test_bgr_small_matches_independent_cv2_letterbox():
    """The fixture's preprocessed tensor is what an ultralytics-style letterbox computes with cv2."""
    case = read_case(FIXTURES / "captures" / "bgr_small")
    img = case.array("raw_input")
    # r = min(32/48, 32/64) = 0.5 -> 32x24, padding (32-24)/2 = 4 rows top and bottom
    canvas = np.full((32, 32, 3), 114, np.uint8)
    canvas[4:28] = cv2.resize(img, (32, 24), interpolation=cv2.INTER_LINEAR)
    expected = (canvas[..., ::-1].astype(np.float32) / np.float32(255)).transpose(2, 0, 1)[None]
    np.testing.assert_array_equal(case.array("preprocessed"), expected)
    assert case.spec["preprocess"][0]["op"] == "letterbox"


def test_nv12_small_matches_cv2():
    case = read_case(FIXTURES / "captures" / "nv12_small")
    nv12 = case.array("raw_input")
    assert nv12.shape == (36, 32)
    np.testing.assert_array_equal(case.array("preprocessed"), cv2.cvtColor(nv12, cv2.COLOR_YUV2BGR_NV12))


def test_fixture_specs_run_through_the_reference():
    """Cross-check against the reference pipeline (a separate implementation of the same spec)."""
    spec_mod = pytest.importorskip("pyalign.spec")
    ref = pytest.importorskip("pyalign.reference.preprocess")
    for name in ("bgr_small", "nv12_small"):
        case = read_case(FIXTURES / "captures" / name)
        out, _ = ref.run_reference(case.array("raw_input"), spec_mod.validate_spec(case.spec))
        np.testing.assert_array_equal(out, case.array("preprocessed"))


def test_board_outputs_read_as_bare_directories():
    ref = read_case(FIXTURES / "captures" / "bgr_small")
    aligned = read_actual(FIXTURES / "actual" / "bgr_small_aligned", ref)
    assert aligned.manifest["bare"] is True
    np.testing.assert_array_equal(aligned.array("preprocessed"), ref.array("preprocessed"))
    swapped = read_actual(FIXTURES / "actual" / "bgr_small_swapped", ref)
    np.testing.assert_array_equal(swapped.array("preprocessed"), ref.array("preprocessed")[:, ::-1])
    np.testing.assert_array_equal(swapped.array("raw_input"), ref.array("raw_input"))

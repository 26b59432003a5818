"""``pyalign compare`` through a real subprocess: exit codes, text, JSON, JUnit, errors."""
from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from pyalign.store import CaseWriter


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pyalign", "compare", *args], capture_output=True, text=True, timeout=120
    )


def write(path: Path, pre: np.ndarray, det: np.ndarray) -> Path:
    w = CaseWriter(path)
    w.add("preprocessed", "images", pre, layout="NCHW")
    w.add("postprocessed", "detections", det, kind="detections")
    w.commit()
    return path


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(1)
    pre = rng.random((1, 3, 16, 16)).astype(np.float32)
    det = np.array([[1, 1, 5, 5, 0.9, 0], [2, 2, 6, 7, 0.9, 0], [10, 10, 12, 12, 0.4, 5]], np.float32)
    ref = write(root / "ref", pre, det)
    same = write(root / "same", pre, det[[1, 0, 2]])
    off = pre.copy()
    off[0, 1, 3, 4] += 5e-4
    bad = write(root / "bad", off, det[:2])
    return root, ref, same, bad, pre, det


def test_aligned_exit_0(sets) -> None:
    _, ref, same, *_ = sets
    p = run(str(ref), str(same))
    assert p.returncode == 0, p.stderr
    assert "ALIGNED: 2 of 2 tensors pass" in p.stdout
    assert "\x1b[" not in p.stdout  # no colour when not a terminal
    assert p.stdout.count("PASS") == 2 and "|a-e| < 0.0001" in p.stdout and "|a-e| < 0.001" in p.stdout


def test_misaligned_exit_1_text(sets) -> None:
    _, ref, _, bad, *_ = sets
    p = run(str(ref), str(bad), "--no-diagnose")
    assert p.returncode == 1, p.stderr
    out = p.stdout
    assert "FAIL" in out and "MISALIGNED: 0 of 2" in out
    assert "(n=0, c=1, y=3, x=4)" in out
    assert "missing: expected #2" in out
    assert "|diff| histogram:" in out and "first violations (1):" in out


def test_overrides_on_command_line(sets) -> None:
    _, ref, _, bad, *_ = sets
    p = run(str(ref), str(bad), "--atol", "preprocessed=1e-3", "--stage", "preprocessed")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "|a-e| < 0.001" in p.stdout
    p = run(str(ref), str(bad), "--atol", "preprocessed.images=1e-3", "--stage", "preprocessed")
    assert p.returncode == 0
    p = run(str(ref), str(bad), "--rtol", "preprocessed=1e-2", "--stage", "preprocessed")
    assert p.returncode == 0 and "+ 0.01*|e|" in p.stdout
    p = run(str(ref), str(bad), "--cosine", "preprocessed=0.99", "--stage", "preprocessed")
    assert p.returncode == 0 and "cosine >= 0.99" in p.stdout


def test_json_and_junit(sets, tmp_path) -> None:
    _, ref, _, bad, *_ = sets
    junit = tmp_path / "r.xml"
    p = run(str(ref), str(bad), "--json", "--junit", str(junit), "--no-diagnose", "--max-violations", "0")
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert doc["schema"] == "pyalign.compare" and doc["version"] == 1 and doc["aligned"] is False
    pre = doc["tensors"][0]
    assert pre["status"] == "fail" and pre["metrics"]["violations"] == 1 and pre["first_violations"] == []
    assert pre["metrics"]["max_abs_index"] == {"n": 0, "c": 1, "y": 3, "x": 4}
    det = doc["tensors"][1]
    assert len(det["detections"]["unmatched_expected"]) == 1
    root = ET.parse(junit).getroot()
    assert len(root.findall(".//testcase")) == 2 and len(root.findall(".//failure")) == 2


@pytest.mark.parametrize(
    "extra,msg",
    [
        (["--atol", "nostage=1"], "unknown stage"),
        (["--atol", "preprocessed=abc"], "not a number"),
        (["--stage", "bogus"], "bogus"),
    ],
)
def test_usage_errors_exit_2(sets, extra, msg) -> None:
    _, ref, same, *_ = sets
    p = run(str(ref), str(same), *extra)
    assert p.returncode == 2
    assert p.stderr.startswith("error:") and msg in p.stderr
    assert "Traceback" not in p.stderr


def test_unreadable_inputs_exit_2(sets, tmp_path) -> None:
    root, ref, _, _, pre, det = sets
    p = run(str(ref), str(tmp_path / "nope"))
    assert p.returncode == 2 and p.stderr.startswith("error:") and "nope" in p.stderr
    p = run(str(tmp_path), str(ref))
    assert p.returncode == 2 and p.stderr.startswith("error:")
    bare = tmp_path / "bare"
    bare.mkdir()
    pre.ravel()[:-3].tofile(bare / "preprocessed.bin")  # wrong size
    p = run(str(ref), str(bare))
    assert p.returncode == 2 and "preprocessed.bin" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_bare_directory_actual(sets, tmp_path) -> None:
    _, ref, _, _, pre, det = sets
    bare = tmp_path / "bare"
    bare.mkdir()
    pre.tofile(bare / "preprocessed.bin")
    det[[1, 0, 2]].tofile(bare / "postprocessed.bin")
    p = run(str(ref), str(bare))
    assert p.returncode == 0, p.stdout + p.stderr
    (bare / "stray.bin").write_bytes(b"\0" * 4)
    p = run(str(ref), str(bare))
    assert p.returncode == 1 and "stray.bin" in p.stdout


def test_directory_of_cases(sets, tmp_path) -> None:
    _, ref, same, bad, pre, det = sets
    refs, acts = tmp_path / "refs", tmp_path / "acts"
    for name, src in (("a", same), ("b", same), ("c", bad)):
        write(refs / "group" / name, pre, det)
        if name != "b":
            write(acts / "group" / name, pre if src is same else pre + np.float32(1e-3), det)
    p = run(str(refs), str(acts), "--no-diagnose", "-j", "1")
    assert p.returncode == 1
    assert "MISALIGNED: 1 of 2 cases aligned" in p.stdout
    assert "UNPAIRED: group/b: only in the reference" in p.stdout
    p = run(str(refs), str(acts), "--json", "--no-diagnose", "--junit", str(tmp_path / "j.xml"))
    doc = json.loads(p.stdout)
    assert doc["schema"] == "pyalign.compare.cases"
    s = doc["summary"]
    assert (s["cases"], s["aligned"], s["only_in_reference"], s["only_in_actual"]) == (2, 1, ["group/b"], [])
    assert [c["name"] for c in doc["cases"]] == ["group/a", "group/c"]
    assert [c["reference"] for c in doc["cases"]] == [str(refs / "group" / "a"), str(refs / "group" / "c")]
    assert [c["actual"] for c in doc["cases"]] == [str(acts / "group" / "a"), str(acts / "group" / "c")]
    statuses = [[t["status"] for t in c["tensors"]] for c in doc["cases"]]
    assert statuses == [["pass", "pass"], ["fail", "pass"]]
    root = ET.parse(tmp_path / "j.xml").getroot()
    assert len(root.findall("testsuite")) == 3 and root.get("failures") == "2"
    p = run(str(refs), str(acts), "--no-diagnose", "--allow-unpaired", "--junit", str(tmp_path / "j.xml"))
    assert p.returncode == 1 and "note: group/b: only in the reference" in p.stdout
    assert ET.parse(tmp_path / "j.xml").getroot().get("failures") == "1"
    p = run(str(tmp_path / "acts" / "nothing_here"), str(acts))
    assert p.returncode == 2


def test_html_report_written(sets, tmp_path) -> None:
    _, ref, _, bad, *_ = sets
    out = tmp_path / "r.html"
    p = run(str(ref), str(bad), "--html", str(out), "--no-diagnose")
    assert p.returncode == 1, p.stderr
    text = out.read_text()
    assert "<html" in text.lower() and "preprocessed" in text

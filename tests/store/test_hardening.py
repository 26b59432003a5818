"""Defects an adversarial pass found in reading and writing capture sets; each test failed before its fix."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from pyalign.errors import CaptureError, printable
from pyalign.store import CaseWriter, read_case, sha256_file, write_case
from pyalign.store.format import TMP_PREFIX
from pyalign.store.write import remove_stale_tmpdirs

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "captures" / "bgr_small"


def _pyalign(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pyalign", *args], capture_output=True, text=True, cwd=cwd)


def _copy(tmp_path: Path, name: str = "case") -> Path:
    d = tmp_path / name
    shutil.copytree(FIXTURE, d)
    return d


def _edit_text(case: Path, edit) -> None:
    m = case / "manifest.json"
    m.write_text(edit(m.read_text()))


# 1. duplicate keys -------------------------------------------------------------------------

def test_duplicate_key_is_rejected_naming_it(tmp_path) -> None:
    case = _copy(tmp_path)
    _edit_text(case, lambda t: t.replace('"dtype": "uint8"', '"dtype": "uint8", "dtype": "float32"', 1))
    with pytest.raises(CaptureError, match=r"manifest.json: malformed JSON: duplicate key 'dtype'"):
        read_case(case)


# 3. verify never builds a path from the manifest's case name ---------------------------------

def test_verify_case_name_with_dotdot_stays_in_its_directory(tmp_path) -> None:
    from pyalign.verify import verify_case

    case = _copy(tmp_path / "deep" / "er")
    m = json.loads((case / "manifest.json").read_text())
    m["case"] = "../../../escaped"
    (case / "manifest.json").write_text(json.dumps(m))
    before = set(tmp_path.rglob("*"))
    verify_case(case)
    assert set(tmp_path.rglob("*")) == before  # nothing written anywhere under tmp_path
    assert not (tmp_path / "escaped").exists()


# 5. terminal escapes -------------------------------------------------------------------------

def test_control_characters_are_escaped_in_reports_and_errors(tmp_path) -> None:
    x = np.zeros((2, 3), np.float32)
    evil = "out\x1b]0;owned\x07\u202e"
    write_case(tmp_path / "ref", [("model_output", evil, x)])
    write_case(tmp_path / "act", [("model_output", evil, x + 1)])
    r = _pyalign("compare", "ref", "act", "--no-color", cwd=tmp_path)
    assert r.returncode == 1
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout and "\u202e" not in r.stdout
    assert "out\\x1b]0;owned\\x07\\u202e" in r.stdout
    inspect = _pyalign("inspect", "ref", cwd=tmp_path)
    assert inspect.returncode == 0 and "\x1b" not in inspect.stdout and "\\x1b" in inspect.stdout


def test_newline_in_a_file_name_does_not_split_the_error_line(tmp_path) -> None:
    case = _copy(tmp_path)
    m = json.loads((case / "manifest.json").read_text())
    m["tensors"][0]["file"] = "no\nsuch\x1b[2J.bin"
    (case / "manifest.json").write_text(json.dumps(m))
    r = _pyalign("inspect", str(case), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ")
    assert "no\\nsuch\\x1b[2J.bin" in r.stderr


def test_printable_keeps_ordinary_text() -> None:
    assert printable("préprocessed 中 x_1.bin") == "préprocessed 中 x_1.bin"
    assert printable("a\tb\r\n") == "a\\tb\\r\\n"


# 6. every field the code reads is validated: one error line, never "internal error" ----------

@pytest.mark.parametrize("edit, message", [
    (lambda m: m.update(provenance=[1, 2]), "'provenance' must be an object, got list"),
    (lambda m: m.update(created_utc=20261125), "'created_utc' must be a string, got int"),
    (lambda m: m.update(spec=[1]), "'spec' must be an object, got list"),
    (lambda m: m.update(case=7), "'case' must be a non-empty string, got 7"),
    (lambda m: m["tensors"][0].update(shape=[int("9" * 40)]), "is not an integer"),
])
def test_unvalidated_fields_are_capture_errors(tmp_path, edit, message) -> None:
    case = _copy(tmp_path)
    m = json.loads((case / "manifest.json").read_text())
    edit(m)
    (case / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(CaptureError, match=message.replace("(", r"\(").replace("[", r"\[")):
        read_case(case)
    for cmd in ("inspect", "verify"):
        r = _pyalign(cmd, str(case), cwd=tmp_path)
        assert r.returncode == 2 and r.stderr.startswith("error: ") and "internal error" not in r.stderr
        assert r.stderr.count("\n") == 1


def test_a_5000_digit_number_is_not_a_crash(tmp_path) -> None:
    case = _copy(tmp_path)
    _edit_text(case, lambda t: t.replace('"version": 1', '"version": ' + "1" * 5000, 1))
    with pytest.raises(CaptureError, match="'version' must be an integer"):
        read_case(case)
    _edit_text(case, lambda t: t.replace('"version": ' + "1" * 5000, '"version": 1, "note": ' + "7" * 5000, 1))
    assert read_case(case).manifest["note"] == "7" * 5000  # an unknown key keeps its text


def test_invalid_spec_inside_the_manifest_is_shown_not_a_crash(tmp_path) -> None:
    case = _copy(tmp_path)
    m = json.loads((case / "manifest.json").read_text())
    m["spec"] = {"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": 7}
    (case / "manifest.json").write_text(json.dumps(m))
    r = _pyalign("inspect", str(case), cwd=tmp_path)
    assert r.returncode == 0 and "spec: INVALID: preprocess: expected a list of ops, got int" in r.stdout
    v = _pyalign("verify", str(case), cwd=tmp_path)
    assert v.returncode == 2 and "the manifest's spec is invalid: preprocess" in v.stderr


def test_nesting_deeper_than_the_cpp_reader_allows_is_rejected(tmp_path) -> None:
    case = _copy(tmp_path)
    deep = "[" * 300 + "]" * 300
    _edit_text(case, lambda t: t.replace('"version": 1', '"version": 1, "deep": ' + deep, 1))
    with pytest.raises(CaptureError, match="nested too deeply"):
        read_case(case)


# 7. a concurrent re-write never hands out another write's data ---------------------------

def test_load_refuses_a_file_rewritten_since_it_was_read(tmp_path) -> None:
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    write_case(tmp_path / "c", [("preprocessed", "x", a)])
    case = read_case(tmp_path / "c")
    write_case(tmp_path / "c", [("preprocessed", "x", a + 1)])  # another writer swaps the case in
    with pytest.raises(CaptureError, match="changed since the capture set was read"):
        case.array("preprocessed")
    with pytest.raises(CaptureError, match="changed since the capture set was read"):
        case.array("preprocessed", mmap=True)
    assert np.array_equal(read_case(tmp_path / "c").array("preprocessed"), a + 1)


def test_concurrent_rewrites_never_mix_data(tmp_path) -> None:
    arrays = [np.full((64, 64), v, np.float32) for v in (1.0, 2.0)]
    write_case(tmp_path / "c", [("preprocessed", "x", arrays[0]), ("model_output", "y", arrays[0])])
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            a = arrays[i % 2]
            write_case(tmp_path / "c", [("preprocessed", "x", a), ("model_output", "y", a)])
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        mixed = 0
        for _ in range(200):
            try:
                case = read_case(tmp_path / "c")
                x, y = case.array("preprocessed"), case.array("model_output")
            except CaptureError:
                continue  # refused: fine; what is never fine is data of two writes
            mixed += int(not (np.all(x == x.flat[0]) and np.array_equal(x, y)))
    finally:
        stop.set()
        t.join()
    assert mixed == 0


# 8. the smaller ones -----------------------------------------------------------------------

def test_sha256_file_refuses_fifos_and_devices(tmp_path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    with pytest.raises(CaptureError, match="not a regular file"):
        sha256_file(fifo)
    with pytest.raises(CaptureError, match="not a regular file"):
        sha256_file("/dev/zero")
    assert time.monotonic() - t0 < 5


def test_no_runtime_warning_on_nan_patterns(tmp_path) -> None:
    a = np.array([[np.nan, 0, np.inf, 1, np.nan, 0]], np.float32)
    b = np.array([[0, np.nan, 1, np.inf, 0.5, 0]], np.float32)
    write_case(tmp_path / "ref", [("postprocessed", "d", a), ("model_output", "y", np.full((2, 3), np.nan, np.float32))])
    write_case(tmp_path / "act", [("postprocessed", "d", b), ("model_output", "y", np.full((2, 3), np.inf, np.float32))])
    r = _pyalign("compare", "ref", "act", "--html", "r.html", cwd=tmp_path)
    assert r.returncode == 1 and "Warning" not in r.stderr, r.stderr


@pytest.mark.parametrize("length", [230, 255])
def test_long_case_names_can_be_written(tmp_path, length) -> None:
    name = "c" * length
    write_case(tmp_path / name, [("preprocessed", "x", np.zeros(3, np.uint8))])
    assert read_case(tmp_path / name).name == name


def test_an_image_named_dot_hidden_is_not_a_hidden_case(tmp_path) -> None:
    from pyalign.capture import capture_images
    from pyalign.store import find_cases

    img = np.random.default_rng(0).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    np.save(tmp_path / ".hidden.npy", img)
    spec = {"input": {"format": "BGR", "width": 32, "height": 24}, "preprocess": []}
    outcomes = capture_images([tmp_path / ".hidden.npy"], spec, tmp_path / "out")
    assert not outcomes[0].error
    assert [p.name for p in find_cases(tmp_path / "out")] == ["hidden"]


def test_dead_writers_directories_are_removed_live_ones_kept(tmp_path) -> None:
    script = textwrap.dedent(f"""
        import numpy as np, os, sys, time
        from pyalign.store import CaseWriter
        w = CaseWriter({str(tmp_path / "case")!r})
        w.add("preprocessed", "x", np.zeros(4, np.uint8))
        print("ready", flush=True)
        time.sleep(60)
    """)
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    live = [d for d in tmp_path.iterdir() if d.name.startswith(TMP_PREFIX)]
    assert len(live) == 1
    assert remove_stale_tmpdirs(tmp_path) == [] and live[0].exists()  # its writer is alive
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert live[0].exists()  # a killed writer leaves it ...
    write_case(tmp_path / "other", [("preprocessed", "x", np.zeros(2, np.uint8))])
    assert not live[0].exists()  # ... and the next writer of the same parent removes it
    assert not (tmp_path / "case").exists()
    assert [d.name for d in tmp_path.iterdir()] == ["other"]


def test_a_bad_array_writes_nothing(tmp_path) -> None:
    with pytest.raises(CaptureError, match="unsupported dtype complex64"):
        with CaseWriter(tmp_path / "c") as w:
            w.add("preprocessed", "x", np.zeros(3, np.complex64))
    assert list(tmp_path.iterdir()) == []

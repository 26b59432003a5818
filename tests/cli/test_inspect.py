"""``pyalign inspect``: the table's values against numpy, exit codes, one-line errors."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from pyalign.cli import main
from pyalign.store import write_case


def _run(*args: str):
    result = CliRunner().invoke(main, ["inspect", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def case_dir(tmp_path):
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    pre = rng.standard_normal((1, 3, 4, 4)).astype(np.float32)
    pre[0, 1, 2, 3] = np.nan
    pre[0, 2, 0, 0] = -np.inf
    write_case(tmp_path / "cat_001", [
        ("raw_input", "image", img, {"layout": "HWC", "color": "BGR", "kind": "image"}),
        ("preprocessed", "images", pre, {"layout": "NCHW", "color": "RGB"}),
        ("model_output", "output0", np.arange(-3, 9, dtype=np.int32).reshape(3, 4)),
        ("postprocessed", "detections", np.zeros((0, 6), np.float32), {"kind": "detections"}),
    ], spec={"preprocess": [{"op": "resize"}, {"op": "normalize"}], "postprocess": {"op": "yolov8"}})
    return tmp_path / "cat_001", img, pre


def test_table(case_dir):
    d, img, pre = case_dir
    code, out, err = _run(str(d))
    assert code == 0, err
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"case cat_001  ({d})"
    assert "spec: resize -> normalize -> yolov8" in out
    header = lines[[i for i, line in enumerate(lines) if line.startswith("stage")][0]].split()
    assert header == ["stage", "name", "dtype", "shape", "layout", "color", "min", "max", "mean", "nan/inf",
                      "checksum"]
    rows = {line.split()[0]: line.split() for line in lines if line.split() and line.split()[0] in
            ("raw_input", "preprocessed", "model_output", "postprocessed")}
    raw = rows["raw_input"]
    assert raw[1:6] == ["image", "uint8", "6x8x3", "HWC", "BGR"]
    assert raw[6:8] == [str(img.min()), str(img.max())]
    assert float(raw[8]) == pytest.approx(img.mean(), rel=1e-5)
    assert raw[10] == "ok"
    p = rows["preprocessed"]
    finite = pre[np.isfinite(pre)]
    assert float(p[6]) == pytest.approx(finite.min(), rel=1e-5)
    assert float(p[7]) == pytest.approx(finite.max(), rel=1e-5)
    assert float(p[8]) == pytest.approx(finite.astype(np.float64).mean(), rel=1e-5)
    assert p[9] == "1/1"
    assert rows["model_output"][3:8] == ["3x4", "-", "-", "-3", "8"]
    assert rows["postprocessed"][3] == "0x6" and rows["postprocessed"][6:9] == ["-", "-", "-"]


def test_json(case_dir):
    d, img, pre = case_dir
    code, out, _ = _run(str(d), "--json")
    assert code == 0
    s = json.loads(out)
    assert s["case"] == "cat_001" and s["provenance"]["writer"] == "pyalign-python"
    t = {x["stage"]: x for x in s["tensors"]}
    assert t["raw_input"]["min"] == int(img.min()) and t["raw_input"]["max"] == int(img.max())
    assert t["preprocessed"]["nan"] == 1 and t["preprocessed"]["inf"] == 1
    assert all(x["checksum"] == "ok" for x in s["tensors"])


def test_directory_of_cases(case_dir, tmp_path):
    write_case(tmp_path / "zz", {("model_output", "y"): np.ones(2, np.float16)})
    code, out, _ = _run(str(tmp_path))
    assert code == 0
    assert out.count("\ncase ") + out.startswith("case ") == 2
    code, out, _ = _run(str(tmp_path), "--json")
    assert [c["case"] for c in json.loads(out)] == ["cat_001", "zz"]


def test_bare_directory_against_reference(case_dir, tmp_path):
    d, _, pre = case_dir
    board = tmp_path / "board"
    board.mkdir()
    (pre + 1).tofile(board / "preprocessed.bin")
    code, out, err = _run(str(board), "--reference", str(d))
    assert code == 0, err
    assert "bare directory" in out and "preprocessed" in out


def _one_error_line(code, err):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_checksum_mismatch_exit_2(case_dir):
    d, _, _ = case_dir
    f = d / "model_output.bin"
    b = bytearray(f.read_bytes())
    b[0] ^= 0xFF
    f.write_bytes(bytes(b))
    code, out, err = _run(str(d))
    assert "MISMATCH" in out  # the table is still shown
    line = _one_error_line(code, err)
    assert line == f"error: {f}: sha256 mismatch (tensor model_output/output0)"


@pytest.mark.parametrize(
    "breakage,message",
    [
        (lambda d: (d / "preprocessed.bin").write_bytes(b"\0" * 5), "preprocessed.bin: truncated: file is 5 bytes"),
        (lambda d: (d / "raw_input.bin").unlink(), "raw_input.bin: missing file (tensor raw_input/image)"),
        (lambda d: (d / "manifest.json").write_text("{oops"), "manifest.json: malformed JSON"),
        (lambda d: (d / "manifest.json").unlink(), "no capture sets (no manifest.json) here"),
    ],
)
def test_bad_input_exit_2(case_dir, breakage, message):
    d, _, _ = case_dir
    breakage(d)
    code, _, err = _run(str(d))
    assert message in _one_error_line(code, err)


def test_missing_path_exit_2(tmp_path):
    code, _, err = _run(str(tmp_path / "nope"))
    assert _one_error_line(code, err) == f"error: {tmp_path / 'nope'}: no such directory"


def test_subprocess_no_traceback(case_dir):
    d, _, _ = case_dir
    (d / "manifest.json").write_text('{"format": "pyalign.capture", "version": 7, "tensors": []}')
    out = subprocess.run([sys.executable, "-m", "pyalign", "inspect", str(d)], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip() == f"error: {d / 'manifest.json'}: unknown format version 7 (this pyalign reads version 1)"
    assert "Traceback" not in out.stderr


def _edit(d, fn):
    m = json.loads((d / "manifest.json").read_text())
    fn(m)
    (d / "manifest.json").write_text(json.dumps(m))


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda m: m["tensors"][1].update(dtype="float8"), "unknown dtype 'float8'"),
        (lambda m: m["tensors"][1].update(shape=[1, -3, 4, 4]), "shape entry -3 is negative"),
        (lambda m: m["tensors"][1].update(shape=[1, 3, 4.5, 4]), "shape entry 4.5 is not an integer"),
        (lambda m: m["tensors"][1].update(shape=[2**40, 2**40]), "which overflows"),
        (lambda m: m["tensors"][1].update(file="../x.bin"), "contains '..'"),
        (lambda m: m["tensors"][1].update(file="/tmp/x.bin"), "is an absolute path"),
        (lambda m: m.update(version=3), "unknown format version 3"),
        (lambda m: m["tensors"].append(dict(m["tensors"][0])), "duplicate (stage, name) (raw_input, image)"),
        (lambda m: m["tensors"][0].update(stage="inference"), "unknown stage 'inference'"),
    ],
)
def test_every_bad_manifest_is_one_error_line(case_dir, edit, message):
    d, _, _ = case_dir
    _edit(d, edit)
    code, _, err = _run(str(d))
    line = _one_error_line(code, err)
    assert line.startswith(f"error: {d / 'manifest.json'}: ") and message in line, line


def test_symlink_escape_is_one_error_line(case_dir, tmp_path):
    d, _, _ = case_dir
    outside = tmp_path / "outside.bin"
    outside.write_bytes((d / "model_output.bin").read_bytes())
    (d / "model_output.bin").unlink()
    (d / "model_output.bin").symlink_to(outside)
    code, _, err = _run(str(d))
    assert "symlink escape" in _one_error_line(code, err)

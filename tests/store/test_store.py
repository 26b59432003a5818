"""Capture store: round trips, validation of every bad input, atomic writes, bare actual dirs, .npy."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from pyalign import store
from pyalign.store import write as store_write
from pyalign.errors import CaptureError
from pyalign.store import (
    DTYPES,
    CaptureArgumentError,
    CaseWriter,
    TensorNotFoundError,
    export_npy,
    find_cases,
    load_npy,
    read_actual,
    read_case,
    write_case,
)


def _random_array(rng: np.random.Generator, dtype: str, shape: tuple) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt.kind == "f":
        a = (rng.standard_normal(shape) * 1000).astype(dt)
        if a.size >= 3:
            a.flat[0], a.flat[1], a.flat[2] = np.nan, np.inf, -np.inf
        return a
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)


def _simple_case(tmp_path: Path, name: str = "c") -> Path:
    d = tmp_path / name
    write_case(
        d,
        [
            ("raw_input", "image", np.arange(2 * 4 * 3, dtype=np.uint8).reshape(2, 4, 3),
             {"layout": "HWC", "color": "BGR", "kind": "image"}),
            ("preprocessed", "images", np.linspace(0, 1, 24, dtype=np.float32).reshape(1, 3, 2, 4),
             {"layout": "NCHW", "color": "RGB"}),
            ("model_output", "output0", np.ones((1, 5), np.float32)),
            ("model_output", "output1", np.full((1, 2), 7, np.int32)),
        ],
        spec={"input": {"format": "BGR", "width": 4, "height": 2}},
    )
    return d


def _edit_manifest(d: Path, fn) -> None:
    m = json.loads((d / "manifest.json").read_text())
    fn(m)
    (d / "manifest.json").write_text(json.dumps(m))


def _no_leftovers(parent: Path) -> bool:
    return not [p for p in parent.iterdir() if p.name.startswith(".pyalign-")]


# ------------------------------------------------------------------------------------ round trips


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_round_trip_every_dtype(tmp_path, dtype):
    rng = np.random.default_rng(abs(hash(dtype)) % 2**32)
    a = _random_array(rng, dtype, (3, 5, 2))
    case = write_case(tmp_path / "c", {("preprocessed", "t"): a})
    rec = case.get("preprocessed")
    assert rec.file == "preprocessed.bin" and rec.dtype == dtype and rec.shape == (3, 5, 2)
    # the file is exactly numpy's little-endian tofile bytes (the oracle), and its sha256 matches hashlib
    raw = (tmp_path / "c" / "preprocessed.bin").read_bytes()
    assert raw == a.astype(np.dtype(dtype).newbyteorder("<")).tobytes()
    assert rec.sha256 == hashlib.sha256(raw).hexdigest()
    back = read_case(tmp_path / "c")
    for mmap in (False, True):
        b = back.array("preprocessed", mmap=mmap)
        assert b.dtype == np.dtype(dtype) and b.shape == a.shape
        assert b.tobytes() == a.tobytes()
    assert isinstance(back.array("preprocessed", mmap=True), np.memmap)
    assert not back.array("preprocessed", mmap=True).flags.writeable


def test_round_trip_random_shapes_and_big_endian(tmp_path):
    rng = np.random.default_rng(1)
    names = list(DTYPES)
    for i in range(25):
        dtype = names[int(rng.integers(len(names)))]
        ndim = int(rng.integers(0, 5))
        shape = tuple(int(s) for s in rng.integers(0, 5, ndim))
        a = _random_array(rng, dtype, shape)
        if rng.random() < 0.5 and a.dtype.itemsize > 1:
            a = a.astype(a.dtype.newbyteorder(">"))  # big-endian input is stored little-endian
        if rng.random() < 0.5 and a.ndim >= 2:
            a = a.T  # non-contiguous input
        write_case(tmp_path / f"c{i}", {("model_output", "y"): a})
        b = read_case(tmp_path / f"c{i}").array("model_output")
        assert b.shape == a.shape and b.dtype.name == a.dtype.name
        np.testing.assert_array_equal(b, a)
        assert (tmp_path / f"c{i}" / "model_output.bin").read_bytes() == a.astype(
            a.dtype.newbyteorder("<")).tobytes()


def test_multi_tensor_stages_and_metadata(tmp_path):
    d = _simple_case(tmp_path)
    case = read_case(d)
    assert case.name == "c" and case.spec == {"input": {"format": "BGR", "width": 4, "height": 2}}
    assert [t.file for t in case.tensors] == [
        "raw_input.bin", "preprocessed.bin", "model_output.output0.bin", "model_output.output1.bin"]
    assert case.stages() == ["raw_input", "preprocessed", "model_output"]
    raw = case.get("raw_input")
    assert (raw.layout, raw.color, raw.kind) == ("HWC", "BGR", "image")
    np.testing.assert_array_equal(case.array("model_output", "output1"), np.full((1, 2), 7, np.int32))
    with pytest.raises(TensorNotFoundError, match="stage model_output has 2 tensors"):
        case.get("model_output")
    with pytest.raises(TensorNotFoundError, match="no tensor model_output/nope"):
        case.get("model_output", "nope")
    with pytest.raises(KeyError):
        case.get("postprocessed")
    m = case.manifest
    assert m["format"] == "pyalign.capture" and m["version"] == 1
    prov = m["provenance"]
    import cv2
    import pyalign

    assert prov["pyalign"] == pyalign.__version__ and prov["numpy"] == np.__version__
    assert prov["opencv"] == cv2.__version__ and prov["python"].count(".") == 2
    assert "-" in prov["platform"]


def test_unknown_keys_are_kept(tmp_path):
    d = _simple_case(tmp_path)
    _edit_manifest(d, lambda m: (m.update(board="ax650"), m["tensors"][0].update(scale=0.5)))
    case = read_case(d)
    assert case.manifest["board"] == "ax650"
    assert case.tensors[0].extra == {"scale": 0.5}
    assert case.tensors[0].to_dict()["scale"] == 0.5


def test_writer_names_and_extra_metadata(tmp_path):
    with CaseWriter(tmp_path / "w", case="named", extra={"note": "x"}) as w:
        w.add("model_output", "/model.22/Concat_output_0", np.zeros(2, np.float32), scale=0.25)
        w.add("model_output", "/model.22/Concat.output.0", np.zeros(2, np.float32))
    case = read_case(tmp_path / "w")
    assert case.name == "named" and case.manifest["note"] == "x"
    files = [t.file for t in case.tensors]
    assert len(set(files)) == 2 and all("/" not in f for f in files)
    assert case.get("model_output", "/model.22/Concat_output_0").extra == {"scale": 0.25}


# ------------------------------------------------------------------------------------ bad inputs


def _set_tensor(i, **kv):
    return lambda m: m["tensors"][i].update(kv)


BAD_MANIFESTS = [
    ("unknown dtype", _set_tensor(1, dtype="float8"), "unknown dtype 'float8'"),
    ("negative shape", _set_tensor(1, shape=[1, -3, 2, 4]), "shape entry -3 is negative"),
    ("float shape", _set_tensor(1, shape=[1, 3.0, 2, 4]), "shape entry 3.0 is not an integer"),
    ("string shape", _set_tensor(1, shape=[1, "3", 2, 4]), "shape entry '3' is not an integer"),
    ("bool shape", _set_tensor(1, shape=[1, True, 2, 4]), "shape entry True is not an integer"),
    ("shape not list", _set_tensor(1, shape=24), "'shape' must be a list"),
    ("overflow", _set_tensor(1, shape=[2**40, 2**40]), "which overflows"),
    ("overflow 64", _set_tensor(1, shape=[2**62, 4]), "which overflows"),
    ("dotdot", _set_tensor(1, file="../outside.bin"), "contains '..'"),
    ("dotdot inner", _set_tensor(1, file="sub/../../x.bin"), "contains '..'"),
    ("absolute", _set_tensor(1, file="/etc/passwd"), "is an absolute path"),
    ("windows absolute", _set_tensor(1, file="C:\\x.bin"), "is an absolute path"),
    ("unknown version", lambda m: m.update(version=2), "unknown format version 2"),
    ("string version", lambda m: m.update(version="1"), "'version' must be an integer"),
    ("wrong format", lambda m: m.update(format="other"), "'format' is 'other'"),
    ("duplicate", lambda m: m["tensors"].append(dict(m["tensors"][2], file="x.bin")),
     "duplicate (stage, name) (model_output, output0)"),
    ("shared file", _set_tensor(3, file="model_output.output0.bin"), "is also used by tensors[2]"),
    ("unknown stage", _set_tensor(0, stage="inference"), "unknown stage 'inference'"),
    ("missing key", lambda m: m["tensors"][0].pop("dtype"), "missing required key 'dtype'"),
    ("empty name", _set_tensor(0, name=""), "'name' must be a non-empty string"),
    ("tensors not list", lambda m: m.update(tensors={}), "'tensors' must be a list"),
    ("bad sha format", _set_tensor(0, sha256="abc"), "is not 64 hex digits"),
    ("layout rank", _set_tensor(0, layout="NCHW"), "layout 'NCHW' has 4 dimensions but shape"),
    ("layout type", _set_tensor(0, layout=3), "'layout' must be a string"),
]


@pytest.mark.parametrize("label,edit,message", BAD_MANIFESTS, ids=[b[0] for b in BAD_MANIFESTS])
def test_bad_manifest(tmp_path, label, edit, message):
    d = _simple_case(tmp_path)
    _edit_manifest(d, edit)
    with pytest.raises(CaptureError) as ei:
        read_case(d)
    text = str(ei.value)
    assert message in text
    assert text.startswith(str(d / "manifest.json") + ": "), text


def test_malformed_json(tmp_path):
    d = _simple_case(tmp_path)
    (d / "manifest.json").write_text('{"format": "pyalign.capture", "version": 1, "tensors": [}')
    with pytest.raises(CaptureError, match=r"manifest.json: malformed JSON: Expecting value at line 1"):
        read_case(d)
    (d / "manifest.json").write_text("[1, 2]")
    with pytest.raises(CaptureError, match="manifest must be a JSON object"):
        read_case(d)
    (d / "manifest.json").write_bytes(b'{"a": "\xff"}')
    with pytest.raises(CaptureError, match="malformed JSON: not UTF-8"):
        read_case(d)


def test_truncated_bin(tmp_path):
    d = _simple_case(tmp_path)
    f = d / "preprocessed.bin"
    f.write_bytes(f.read_bytes()[:-1])
    with pytest.raises(CaptureError) as ei:
        read_case(d)
    assert str(ei.value) == f"{f}: truncated: file is 95 bytes, shape [1, 3, 2, 4] of float32 needs 96"


def test_bin_longer_than_shape(tmp_path):
    d = _simple_case(tmp_path)
    f = d / "raw_input.bin"
    f.write_bytes(f.read_bytes() + b"\0")
    with pytest.raises(CaptureError) as ei:
        read_case(d)
    assert str(ei.value) == f"{f}: longer than its shape: file is 25 bytes, shape [2, 4, 3] of uint8 needs 24"


def test_sha256_mismatch(tmp_path):
    d = _simple_case(tmp_path)
    f = d / "model_output.output1.bin"
    data = bytearray(f.read_bytes())
    data[0] ^= 1
    f.write_bytes(bytes(data))
    with pytest.raises(CaptureError, match=r"model_output.output1.bin: sha256 mismatch \(tensor model_output/output1\)"):
        read_case(d)
    # without checksum verification the (same-size) file reads
    case = read_case(d, verify_checksums=False)
    assert case.array("model_output", "output1")[0, 0] == 6


def test_missing_file(tmp_path):
    d = _simple_case(tmp_path)
    (d / "model_output.output0.bin").unlink()
    with pytest.raises(CaptureError) as ei:
        read_case(d)
    assert str(ei.value) == f"{d / 'model_output.output0.bin'}: missing file (tensor model_output/output0)"


def test_missing_manifest_and_dir(tmp_path):
    (tmp_path / "bare").mkdir()
    with pytest.raises(CaptureError, match=r"bare: no manifest.json \(not a capture set\)"):
        read_case(tmp_path / "bare")
    with pytest.raises(CaptureError, match="nowhere: no such directory"):
        read_case(tmp_path / "nowhere")
    (tmp_path / "file").write_text("x")
    with pytest.raises(CaptureError, match="not a directory"):
        read_case(tmp_path / "file")


def test_symlink_escape(tmp_path):
    d = _simple_case(tmp_path)
    outside = tmp_path / "outside.bin"
    outside.write_bytes((d / "raw_input.bin").read_bytes())
    (d / "raw_input.bin").unlink()
    (d / "raw_input.bin").symlink_to(outside)
    with pytest.raises(CaptureError, match=r"manifest.json: tensors\[0\] \(raw_input/image\): file 'raw_input.bin' "
                       r"resolves to .*outside.bin, outside the case directory \(symlink escape\)"):
        read_case(d)


def test_symlink_inside_is_fine_and_dir_symlink_escape(tmp_path):
    d = _simple_case(tmp_path)
    (d / "data").mkdir()
    os.replace(d / "raw_input.bin", d / "data" / "real.bin")
    (d / "raw_input.bin").symlink_to(d / "data" / "real.bin")
    assert read_case(d).array("raw_input").shape == (2, 4, 3)
    # a subdirectory that is a symlink to somewhere else escapes too
    other = tmp_path / "other"
    other.mkdir()
    os.replace(d / "data" / "real.bin", other / "real.bin")
    (d / "data").rmdir()
    (d / "data").symlink_to(other)
    _edit_manifest(d, _set_tensor(0, file="data/real.bin"))
    with pytest.raises(CaptureError, match="symlink escape"):
        read_case(d)


def test_bin_is_a_directory(tmp_path):
    d = _simple_case(tmp_path)
    (d / "raw_input.bin").unlink()
    (d / "raw_input.bin").mkdir()
    with pytest.raises(CaptureError, match="raw_input.bin: not a regular file"):
        read_case(d)


def test_load_rechecks_size(tmp_path):
    d = _simple_case(tmp_path)
    case = read_case(d)
    (d / "raw_input.bin").write_bytes(b"\0" * 10)
    with pytest.raises(CaptureError, match="truncated"):
        case.array("raw_input")
    with pytest.raises(CaptureError, match="truncated"):
        case.array("raw_input", mmap=True)


# ------------------------------------------------------------------------------------ writer errors


@pytest.mark.parametrize(
    "args,kwargs,message",
    [
        (("inference", "x", np.zeros(2, np.uint8)), {}, "unknown stage 'inference'"),
        (("preprocessed", "", np.zeros(2, np.uint8)), {}, "tensor name must be a non-empty string"),
        (("preprocessed", "x", np.zeros(2, bool)), {}, "unsupported dtype bool"),
        (("preprocessed", "x", np.zeros(2, np.uint64)), {}, "unsupported dtype uint64"),
        (("preprocessed", "x", np.zeros(2, np.complex64)), {}, "unsupported dtype complex64"),
        (("preprocessed", "x", np.array(["a"])), {}, "unsupported dtype <U1"),
        (("preprocessed", "x", np.zeros((2, 2), np.uint8)), {"layout": "NCHW"}, "layout NCHW has 4 dimensions"),
        (("preprocessed", "x", np.zeros(2, np.uint8)), {"layout": "XY"}, "unknown layout 'XY'"),
        (("preprocessed", "x", np.zeros(2, np.uint8)), {"color": "HSV"}, "unknown color 'HSV'"),
        (("preprocessed", "x", np.zeros(2, np.uint8)), {"kind": "blob"}, "unknown kind 'blob'"),
        (("preprocessed", "x", np.zeros(2, np.uint8)), {"bad": object()}, "extra metadata is not JSON"),
    ],
)
def test_writer_rejects_bad_arguments_and_writes_nothing(tmp_path, args, kwargs, message):
    target = tmp_path / "c"
    with pytest.raises(CaptureArgumentError, match=message) as ei:
        with CaseWriter(target) as w:
            w.add("raw_input", "image", np.zeros((2, 2, 3), np.uint8))
            w.add(*args, **kwargs)
    assert isinstance(ei.value, ValueError)
    assert not target.exists()
    assert _no_leftovers(tmp_path)


def test_writer_rejects_duplicates(tmp_path):
    with pytest.raises(CaptureArgumentError, match="duplicate tensor preprocessed/x"):
        write_case(tmp_path / "c", [("preprocessed", "x", np.zeros(1)), ("preprocessed", "x", np.zeros(1))])
    assert not (tmp_path / "c").exists() and _no_leftovers(tmp_path)


def test_writer_refuses_to_replace_non_case(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "precious.txt").write_text("keep me")
    with pytest.raises(CaptureArgumentError, match="is not a capture set"):
        write_case(tmp_path / "c", {("preprocessed", "x"): np.zeros(1)})
    assert (tmp_path / "c" / "precious.txt").read_text() == "keep me"
    (tmp_path / "f").write_text("x")
    with pytest.raises(CaptureArgumentError, match="not a directory"):
        write_case(tmp_path / "f", {("preprocessed", "x"): np.zeros(1)})
    # an empty directory is fine
    (tmp_path / "e").mkdir()
    assert write_case(tmp_path / "e", {("preprocessed", "x"): np.zeros(1)}).name == "e"


def test_writer_after_commit_is_closed(tmp_path):
    w = CaseWriter(tmp_path / "c")
    w.add("preprocessed", "x", np.zeros(1, np.float32))
    w.commit()
    with pytest.raises(CaptureArgumentError, match="already committed"):
        w.add("postprocessed", "y", np.zeros(1, np.float32))


def test_abort_leaves_nothing(tmp_path):
    w = CaseWriter(tmp_path / "c")
    w.add("preprocessed", "x", np.zeros(10, np.float32))
    assert not (tmp_path / "c").exists()  # nothing visible before commit
    w.abort()
    assert not (tmp_path / "c").exists() and _no_leftovers(tmp_path)


# ------------------------------------------------------------------------------------ atomicity


def test_rewrite_replaces_case_whole(tmp_path):
    d = _simple_case(tmp_path)
    write_case(d, {("postprocessed", "detections"): np.zeros((0, 6), np.float32)})
    assert sorted(p.name for p in d.iterdir()) == ["manifest.json", "postprocessed.bin"]
    assert [t.stage for t in read_case(d).tensors] == ["postprocessed"]
    assert _no_leftovers(tmp_path)


@pytest.mark.parametrize("fail_at", [1, 2, 3, 5])
def test_failed_replace_keeps_old_case(tmp_path, monkeypatch, fail_at):
    """os.replace failing at the n-th rename (tensor renames, then the manifest) leaves the old case."""
    d = _simple_case(tmp_path)
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    real_replace = os.replace
    calls = {"n": 0}

    def flaky(src, dst):
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(store_write.os, "replace", flaky)
    with pytest.raises(OSError, match="No space left"):
        write_case(d, [("raw_input", "a", np.ones(4, np.uint8)), ("preprocessed", "b", np.ones(4, np.float32)),
                       ("model_output", "c", np.ones(4, np.float32)), ("postprocessed", "d", np.ones(4, np.float32))])
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before
    read_case(d)
    assert _no_leftovers(tmp_path)


def test_failed_swap_keeps_old_case_and_new_case_without_old(tmp_path, monkeypatch):
    d = _simple_case(tmp_path)
    before = {p.name: p.read_bytes() for p in d.iterdir()}

    def boom(tmp, target):
        raise OSError(5, "I/O error")

    monkeypatch.setattr(store_write, "_swap_in", boom)
    with pytest.raises(OSError):
        write_case(d, {("preprocessed", "x"): np.zeros(3, np.float32)})
    with pytest.raises(OSError):
        write_case(tmp_path / "new", {("preprocessed", "x"): np.zeros(3, np.float32)})
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before
    assert not (tmp_path / "new").exists()
    assert _no_leftovers(tmp_path)


_KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time, numpy as np
    from pyalign.store import CaseWriter
    w = CaseWriter(sys.argv[1])
    for i in range(3):
        w.add("model_output", f"out{i}", np.full(1000, i, np.float32))
    print("added", flush=True)
    time.sleep(60)
    w.commit()
    """
)


def test_writer_killed_mid_write_leaves_old_case(tmp_path):
    d = _simple_case(tmp_path)
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    for target in (d, tmp_path / "fresh"):
        proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT, str(target)], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "added"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before
    read_case(d)
    assert not (tmp_path / "fresh").exists()
    # the killed writers' hidden temporary directories are not cases
    assert find_cases(tmp_path) == [d]


# ------------------------------------------------------------------------------------ actual dirs


def test_read_actual_bare_directory(tmp_path):
    ref = read_case(_simple_case(tmp_path, "ref"))
    act = tmp_path / "board"
    act.mkdir()
    pre = np.linspace(0, 1, 24, dtype=np.float32).reshape(1, 3, 2, 4) + 1
    pre.tofile(act / "preprocessed.bin")
    np.ones((1, 5), np.float32).tofile(act / "model_output.output0.bin")
    (act / "debug.bin").write_bytes(b"x")
    case = read_actual(act, ref)
    assert [t.key for t in case.tensors] == [("preprocessed", "images"), ("model_output", "output0")]
    rec = case.get("preprocessed")
    assert (rec.layout, rec.color, rec.sha256) == ("NCHW", "RGB", None)
    np.testing.assert_array_equal(case.array("preprocessed"), pre)
    assert case.manifest["unmatched_files"] == ["debug.bin"]
    assert case.spec == ref.spec


def test_read_actual_alternative_name_and_errors(tmp_path):
    ref = read_case(_simple_case(tmp_path, "ref"))
    act = tmp_path / "board"
    act.mkdir()
    np.zeros((1, 3, 2, 4), np.float32).tofile(act / "preprocessed.images.bin")
    assert read_actual(act, ref).get("preprocessed").file == "preprocessed.images.bin"
    np.zeros(23, np.float32).tofile(act / "preprocessed.images.bin")
    with pytest.raises(CaptureError, match=r"preprocessed.images.bin: truncated: file is 92 bytes"):
        read_actual(act, ref)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CaptureError, match="empty: no manifest.json and none of the reference's .bin files"):
        read_actual(empty, ref)
    with pytest.raises(CaptureError, match="no such directory"):
        read_actual(tmp_path / "nope", ref)


def test_read_actual_with_manifest_reads_it(tmp_path):
    ref = read_case(_simple_case(tmp_path, "ref"))
    write_case(tmp_path / "act", {("preprocessed", "images"): np.zeros((2, 2), np.uint8)})
    case = read_actual(tmp_path / "act", ref)
    assert case.get("preprocessed").shape == (2, 2)  # its own manifest wins


def test_find_cases(tmp_path):
    a = _simple_case(tmp_path / "set", "a")
    b = _simple_case(tmp_path / "set" / "sub", "b")
    (tmp_path / "set" / "notacase").mkdir()
    assert find_cases(tmp_path / "set") == [a, b]
    assert find_cases(a) == [a]
    assert find_cases(a / "manifest.json") == [a]
    with pytest.raises(CaptureError, match="no such directory"):
        find_cases(tmp_path / "zzz")


# ------------------------------------------------------------------------------------ .npy


def test_npy_round_trip(tmp_path):
    d = _simple_case(tmp_path)
    rec = read_case(d).get("preprocessed")
    p = export_npy(rec, tmp_path / "pre.npy")
    np.testing.assert_array_equal(np.load(p), rec.load())
    a = load_npy(p)
    assert a.dtype == np.float32 and a.shape == (1, 3, 2, 4)
    # an array exported, then written into a case, comes back identical
    export_npy(np.arange(6, dtype=np.int16).reshape(2, 3), tmp_path / "x.npy")
    write_case(tmp_path / "n", {("model_output", "x"): load_npy(tmp_path / "x.npy")})
    np.testing.assert_array_equal(read_case(tmp_path / "n").array("model_output"), np.arange(6).reshape(2, 3))


def test_load_npy_errors(tmp_path):
    with pytest.raises(CaptureError, match="missing.npy: no such file"):
        load_npy(tmp_path / "missing.npy")
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    with pytest.raises(CaptureError, match="bad.npy: not a readable .npy file"):
        load_npy(tmp_path / "bad.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(CaptureError, match="obj.npy: not a readable .npy file"):
        load_npy(tmp_path / "obj.npy")


def test_case_dir_reached_through_a_symlink(tmp_path):
    d = _simple_case(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(d, target_is_directory=True)
    case = read_case(link)
    assert case.get("raw_input").path == link.absolute() / "raw_input.bin"  # paths as the user gave them
    np.testing.assert_array_equal(case.array("raw_input"), read_case(d).array("raw_input"))


# ------------------------------------------------------------------------------------ property test

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

_dtype_strategy = st.sampled_from([np.dtype(d).newbyteorder(o) for d in DTYPES for o in "<>"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arrays=st.lists(hnp.arrays(_dtype_strategy, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)),
                       min_size=1, max_size=3))
def test_property_round_trip_bytes_equal_numpy(tmp_path, arrays):
    """Any arrays of the supported dtypes (either byte order), any shapes incl. 0-d and empty: the files
    hold numpy's little-endian bytes, and the reader gives back the same values and shapes."""
    d = tmp_path / "prop"
    case = write_case(d, [("model_output", f"o{i}", a) for i, a in enumerate(arrays)])
    back = read_case(d)
    for a, rec, w in zip(arrays, back.tensors, case.tensors):
        le = a.astype(a.dtype.newbyteorder("<"))
        assert rec.path.read_bytes() == le.tobytes()
        assert rec.sha256 == w.sha256 == hashlib.sha256(le.tobytes()).hexdigest()
        b = rec.load()
        assert b.shape == a.shape and b.dtype.name == a.dtype.name
        assert b.tobytes() == le.tobytes()  # bitwise, NaN payloads included

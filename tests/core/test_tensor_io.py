"""C++ tensor I/O against the Python store and hashlib: captures written in C++ read in Python and back."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from pyalign import _core
from pyalign.store import DTYPES, read_case, write_case


def _random(rng: np.random.Generator, dtype: str, shape: tuple) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return (rng.standard_normal(shape) * 100).astype(dt)
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)


def test_sha256_matches_hashlib():
    rng = np.random.default_rng(0)
    for n in [0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, 65537]:
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert _core.sha256(data) == hashlib.sha256(data).hexdigest()
        assert _core.sha256(bytearray(data)) == hashlib.sha256(data).hexdigest()
    a = rng.standard_normal((7, 9)).astype(np.float32)
    assert _core.sha256(a) == hashlib.sha256(a.tobytes()).hexdigest()
    assert _core.sha256(memoryview(a)) == hashlib.sha256(a.tobytes()).hexdigest()
    with pytest.raises(ValueError, match="not C-contiguous"):
        _core.sha256(a.T)  # not C-contiguous
    with pytest.raises(TypeError):
        _core.sha256("text")


def test_sha256_file(tmp_path):
    data = bytes(range(256)) * 300
    (tmp_path / "f").write_bytes(data)
    assert _core.sha256_file(str(tmp_path / "f")) == hashlib.sha256(data).hexdigest()
    with pytest.raises(ValueError, match="cannot open"):
        _core.sha256_file(str(tmp_path / "missing"))


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_cpp_written_capture_reads_in_python(tmp_path, dtype):
    rng = np.random.default_rng(len(dtype))
    a = _random(rng, dtype, (2, 3, 4))
    b = _random(rng, dtype, (5,))
    entries = _core.write_capture(
        str(tmp_path / "case"), "board", [
            ("preprocessed", "images", a, "CHW", "RGB"),
            ("model_output", "out0", b),
            ("model_output", "out1", a[0], None, None, "tensor"),
        ], spec_json='{"input": {"format": "BGR", "width": 4, "height": 3}}')
    assert [e["file"] for e in entries] == ["preprocessed.bin", "model_output.out0.bin", "model_output.out1.bin"]
    case = read_case(tmp_path / "case")  # the Python reader validates sizes and checksums
    assert case.name == "board"
    assert case.spec == {"input": {"format": "BGR", "width": 4, "height": 3}}
    assert case.manifest["provenance"]["writer"] == "pyalign-cpp"
    rec = case.get("preprocessed")
    assert (rec.dtype, rec.shape, rec.layout, rec.color) == (dtype, (2, 3, 4), "CHW", "RGB")
    np.testing.assert_array_equal(case.array("preprocessed"), a)
    np.testing.assert_array_equal(case.array("model_output", "out0"), b)
    np.testing.assert_array_equal(case.array("model_output", "out1"), a[0])
    assert case.get("model_output", "out1").kind == "tensor"
    for r in case.tensors:
        assert r.sha256 == hashlib.sha256(r.path.read_bytes()).hexdigest()


def test_python_written_capture_reads_in_cpp(tmp_path):
    rng = np.random.default_rng(5)
    arrays = {}
    for i, dtype in enumerate(DTYPES):
        shape = tuple(int(s) for s in rng.integers(0, 4, int(rng.integers(0, 4))))
        arrays[("model_output", f"o{i}")] = _random(rng, dtype, shape)
    arrays[("raw_input", "image")] = _random(rng, "uint8", (3, 5, 3))
    write_case(tmp_path / "c", arrays)
    man = _core.read_manifest(str(tmp_path / "c"))
    assert man["case"] == "c" and len(man["tensors"]) == len(arrays)
    for (stage, name), a in arrays.items():
        got = _core.load_tensor(str(tmp_path / "c"), stage, name)
        assert got.dtype == a.dtype and got.shape == a.shape
        assert got.tobytes() == a.tobytes()
    img = _core.load_tensor(str(tmp_path / "c"), "raw_input")  # the stage's only tensor
    np.testing.assert_array_equal(img, arrays[("raw_input", "image")])
    with pytest.raises(ValueError, match="stage model_output has 10 tensors"):
        _core.load_tensor(str(tmp_path / "c"), "model_output")


def test_cpp_conversions_of_inputs(tmp_path):
    big = np.arange(12, dtype=">i4").reshape(3, 4)
    scalar = np.array(2.5, np.float64)
    _core.write_capture(str(tmp_path / "c"), "", [("preprocessed", "t", big.T), ("postprocessed", "s", scalar)])
    case = read_case(tmp_path / "c")
    np.testing.assert_array_equal(case.array("preprocessed"), big.T)
    assert case.array("postprocessed").shape == () and case.array("postprocessed") == 2.5
    assert case.name == "c"


@pytest.mark.parametrize(
    "tensors,message",
    [
        ([("inference", "x", np.zeros(2))], "unknown stage 'inference'"),
        ([("preprocessed", "x", np.zeros(2, bool))], "unsupported dtype bool"),
        ([("preprocessed", "x", np.zeros(2, np.uint64))], "unsupported dtype uint64"),
        ([("preprocessed", "x", np.zeros(2), "NCHW")], "layout NCHW has 4 dimensions"),
        ([("preprocessed", "x", np.zeros(2)), ("preprocessed", "x", np.zeros(2))], "duplicate tensor"),
        ([("preprocessed", "x")], "must be a tuple"),
    ],
)
def test_cpp_writer_errors_write_nothing(tmp_path, tensors, message):
    with pytest.raises(ValueError, match=message):
        _core.write_capture(str(tmp_path / "c"), "c", tensors)
    assert list(tmp_path.iterdir()) == []


def test_cpp_reader_errors(tmp_path):
    write_case(tmp_path / "c", {("preprocessed", "x"): np.arange(6, dtype=np.float32)})
    d = tmp_path / "c"
    m = json.loads((d / "manifest.json").read_text())
    m["tensors"][0]["shape"] = [7]
    (d / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ValueError, match=r"preprocessed.bin: truncated: file is 24 bytes, expected 28"):
        _core.load_tensor(str(d), "preprocessed")
    m["tensors"][0]["shape"] = [6]
    m["tensors"][0]["sha256"] = "0" * 64
    (d / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ValueError, match="sha256 mismatch"):
        _core.load_tensor(str(d), "preprocessed")
    assert _core.load_tensor(str(d), "preprocessed", verify_sha256=False)[5] == 5
    for key, value, message in [("dtype", "float8", "unknown dtype 'float8'"), ("file", "../x.bin", "contains '..'"),
                                ("shape", [-1], "negative"), ("stage", "x", "unknown stage 'x'")]:
        bad = json.loads(json.dumps(m))
        bad["tensors"][0][key] = value
        (d / "manifest.json").write_text(json.dumps(bad))
        with pytest.raises(ValueError, match=message):
            _core.read_manifest(str(d))
    (d / "manifest.json").write_text("{")
    with pytest.raises(ValueError, match="manifest.json: malformed JSON"):
        _core.read_manifest(str(d))


def test_read_bin(tmp_path):
    a = np.arange(10, dtype=np.int16)
    a.tofile(tmp_path / "x.bin")
    np.testing.assert_array_equal(_core.read_bin(str(tmp_path / "x.bin"), "int16", [2, 5]), a.reshape(2, 5))
    with pytest.raises(ValueError, match="longer than expected: file is 20 bytes, expected 18"):
        _core.read_bin(str(tmp_path / "x.bin"), "int16", [9])
    with pytest.raises(ValueError, match="missing file"):
        _core.read_bin(str(tmp_path / "y.bin"), "int16", [9])
    with pytest.raises(ValueError, match="unknown dtype"):
        _core.read_bin(str(tmp_path / "x.bin"), "bool", [9])


def test_cpp_json_escapes_read_by_python(tmp_path):
    name = 'out"put\\0\t\x01 café 😀'
    _core.write_capture(str(tmp_path / "c"), 'case "q"', [("model_output", name, np.arange(3, dtype=np.uint8))])
    case = read_case(tmp_path / "c")
    assert case.name == 'case "q"'
    assert case.tensors[0].name == name
    assert _core.read_manifest(str(tmp_path / "c"))["tensors"][0]["name"] == name
    # and a Python-written manifest with non-ASCII names is read by C++
    write_case(tmp_path / "p", {("model_output", "é/😀"): np.zeros(2, np.float32)}, case="ünï")
    man = _core.read_manifest(str(tmp_path / "p"))
    assert man["case"] == "ünï" and man["tensors"][0]["name"] == "é/😀"


def test_read_bin_checks_size_before_allocating(tmp_path):
    np.zeros(4, np.uint8).tofile(tmp_path / "x.bin")
    with pytest.raises(ValueError, match="truncated: file is 4 bytes, expected 1099511627776"):
        _core.read_bin(str(tmp_path / "x.bin"), "uint8", [2**40])  # 1 TiB: never allocated
    with pytest.raises(ValueError, match="overflows"):
        _core.read_bin(str(tmp_path / "x.bin"), "uint8", [2**62, 4])
    with pytest.raises(ValueError, match="negative"):
        _core.read_bin(str(tmp_path / "x.bin"), "uint8", [-4])

"""Pulsar2 config -> spec: the mapping, its warnings and its errors, from small hand-written configs."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pyalign.errors import SpecError
from pyalign.spec.pulsar2 import spec_from_pulsar2, strip_relaxed_json


def proc(**kw):
    base = {"tensor_name": "images", "tensor_format": "RGB", "tensor_layout": "NCHW", "src_format": "BGR",
            "src_layout": "NHWC", "src_dtype": "U8"}
    base.update(kw)
    return base


def cfg(*procs, shapes="images:1x3x640x640", quant=None):
    c = {"input": "m.onnx", "output_dir": "out", "input_shapes": shapes, "input_processors": list(procs)}
    if quant is not None:
        c["quant"] = {"input_configs": quant}
    return c


def test_bgr_board_rgb_model():
    spec, warns = spec_from_pulsar2(cfg(proc(mean=[0, 0, 0], std=[255, 255, 255])))
    assert spec["input"] == {"format": "BGR", "width": 640, "height": 640}
    assert [op["op"] for op in spec["preprocess"]] == ["swap_rb", "normalize", "layout"]
    assert spec["preprocess"][1] == {"op": "normalize", "mean": [0.0, 0.0, 0.0], "std": [255.0, 255.0, 255.0]}
    assert spec["preprocess"][2] == {"op": "layout", "to": "NCHW"}
    assert spec["postprocess"] is None
    assert warns == []


def test_nv12_limited_range_nhwc_with_calibration_fallback():
    spec, warns = spec_from_pulsar2(cfg(proc(src_format="YUV420SP", csc_mode="LimitedRange", tensor_layout="NHWC"),
                                        shapes="images:1x224x320x3",
                                        quant=[{"tensor_name": "DEFAULT", "calibration_mean": [123.675, 116.28, 103.53],
                                                "calibration_std": [58.395, 57.12, 57.375]}]))
    assert spec["input"] == {"format": "YUV420SP", "width": 320, "height": 224}
    assert spec["preprocess"][0] == {"op": "csc", "to": "RGB", "mode": "limited_range"}
    assert spec["preprocess"][1]["mean"] == [123.675, 116.28, 103.53]
    assert spec["preprocess"][-1] == {"op": "layout", "to": "NHWC"}
    assert warns == []


def test_matrix_mode_and_size_option():
    mat = [1.164, 0, 1.596, -0.871, 1.164, -0.392, -0.813, 0.529, 1.164, 2.017, 0, -1.082]
    spec, _ = spec_from_pulsar2(cfg(proc(src_format="YVU420SP", tensor_format="BGR", csc_mode="Matrix", csc_mat=mat),
                                    shapes=""), size=(256, 128))
    assert spec["input"] == {"format": "YVU420SP", "width": 256, "height": 128}
    assert spec["preprocess"][0] == {"op": "csc", "to": "BGR", "mode": "matrix", "matrix": [float(x) for x in mat]}


@pytest.mark.parametrize("kw,quant,needle", [
    (dict(src_format="YUV420SP", csc_mode="NoCSC"), None, "csc_mode NoCSC contradicts"),
    (dict(csc_mode="FullRange"), None, "csc_mode FullRange changes nothing: src_format BGR is not YUV"),
    (dict(src_format="YUYV422", csc_mode="FullRange", csc_mat=[1] * 12), None, "csc_mat changes nothing with csc_mode FullRange"),
    (dict(src_format="UYVY422", csc_mode="FullRange", src_layout="NCHW"), None, "src_layout NCHW changes nothing"),
    (dict(src_dtype="FP32"), None, "src_dtype FP32"),
    (dict(mean=[0], std=[1]), None, "mean 0 and std 1 change no value"),
    (dict(), None, "no mean/std"),
    (dict(tensor_format="AutoColorSpace"), None, "tensor_format AutoColorSpace: assuming"),
    (dict(padding=[0, 0, 1, 1]), None, "padding [0, 0, 1, 1] is not represented"),
])
def test_warnings(kw, quant, needle):
    spec, warns = spec_from_pulsar2(cfg(proc(**kw), quant=quant))
    assert any(needle in w for w in warns), warns


def test_nocsc_yuv_still_gives_a_usable_spec():
    spec, _ = spec_from_pulsar2(cfg(proc(src_format="YUV420SP", csc_mode="NoCSC")))
    assert spec["preprocess"][0]["mode"] == "limited_range"


def test_several_processors_pick_by_name():
    c = cfg(proc(), proc(tensor_name="aux", src_format="GRAY", tensor_format="GRAY"), shapes="images:1x3x64x64;aux:1x1x32x48")
    spec, warns = spec_from_pulsar2(c)
    assert spec["input"]["format"] == "BGR" and any("2 entries" in w for w in warns)
    spec, _ = spec_from_pulsar2(c, tensor_name="aux")
    assert spec["input"] == {"format": "GRAY", "width": 48, "height": 32}
    with pytest.raises(SpecError, match="no entry with tensor_name 'nope'"):
        spec_from_pulsar2(c, tensor_name="nope")


@pytest.mark.parametrize("kw,needle", [
    (dict(src_format="RAW"), "RAW"),
    (dict(src_format="NV12"), "src_format: unknown 'NV12'"),
    (dict(tensor_format="YUV"), "tensor_format: unknown 'YUV'"),
    (dict(csc_mode="BT709"), "csc_mode: unknown 'BT709'"),
    (dict(src_format="YUV420SP", csc_mode="Matrix", csc_mat=[1, 2]), "csc_mode Matrix needs 12 numbers, got 2"),
    (dict(src_format="GRAY"), "src_format GRAY cannot feed a RGB model"),
    (dict(tensor_format="GRAY"), "to tensor_format GRAY is not supported"),
    (dict(tensor_layout="CHW"), "tensor_layout: expected NCHW or NHWC"),
    (dict(mean="zero"), "input_processors.mean: expected a list of numbers"),
    (dict(mean=[1, 2], std=[1]), r"mean: has 2 values"),
])
def test_errors(kw, needle):
    with pytest.raises(SpecError, match=needle):
        spec_from_pulsar2(cfg(proc(**kw)))


def test_size_is_required():
    with pytest.raises(SpecError, match=r"give --size W H"):
        spec_from_pulsar2(cfg(proc(), shapes=""))


@pytest.mark.parametrize("kw,needle", [
    (dict(csc_mode=[1]), r"csc_mode: unknown \[1\]"),
    (dict(src_format=[1]), r"src_format: unknown \[1\]"),
    (dict(tensor_name=[1]), r"tensor_name: expected a string, got \[1\]"),
    (dict(std=[1, "x"]), r"std: expected a list of numbers"),
])
def test_wrong_types_are_spec_errors(kw, needle):
    with pytest.raises(SpecError, match=needle):
        spec_from_pulsar2(cfg(proc(**kw)))


def test_relaxed_json():
    text = '{\n // a comment\n "a": "http://x#y", # another\n "b": [1, 2,], /* block */ "c": {"d": 1,},\n}'
    assert json.loads(strip_relaxed_json(text)) == {"a": "http://x#y", "b": [1, 2], "c": {"d": 1}}


def _run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pyalign", *args], cwd=cwd, capture_output=True, text=True)


def test_cli_from_pulsar2(tmp_path):
    (tmp_path / "config.json").write_text(
        '{ // pulsar2 build config\n "input_shapes": "images:1x3x480x640",\n'
        ' "input_processors": [{"tensor_name": "images", "tensor_format": "RGB", "src_format": "YUV420SP",'
        ' "csc_mode": "NoCSC", "src_dtype": "U8", "mean": [0, 0, 0], "std": [255, 255, 255],}],\n}\n')
    r = _run("spec", "from-pulsar2", "config.json", "-o", "spec.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "warning: config.json: src_format YUV420SP with csc_mode NoCSC contradicts" in r.stderr
    spec = json.loads((tmp_path / "spec.json").read_text())
    assert spec["input"] == {"format": "YUV420SP", "width": 640, "height": 480}
    r = _run("spec", "from-pulsar2", "config.json", "--size", "320", "240", cwd=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["input"]["width"] == 320
    (tmp_path / "bad.json").write_text("{nope")
    r = _run("spec", "from-pulsar2", "bad.json", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith("error: bad.json: not valid (relaxed) JSON") and r.stderr.count("\n") == 1


def test_any_mutation_is_mapped_or_a_spec_error():
    """Random field values (hypothesis) never escape as anything but SpecError."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    values = st.none() | st.booleans() | st.integers(-5, 5000) | st.floats() | st.text(max_size=6) | st.sampled_from(
        ["YUV420SP", "NoCSC", "Matrix", "NHWC", "GRAY", "RAW", "AutoColorSpace", "DEFAULT"]) | st.lists(
        st.integers(-3, 300) | st.floats(), max_size=13)
    keys = ["tensor_format", "src_format", "tensor_layout", "src_layout", "src_dtype", "csc_mode", "csc_mat",
            "mean", "std", "tensor_name", "padding"]

    @settings(max_examples=600, deadline=None)
    @given(st.dictionaries(st.sampled_from(keys), values, max_size=2), values)
    def check(fields, shapes):
        c = cfg(proc(**fields), shapes=shapes if isinstance(shapes, str) else "images:1x3x64x64",
                quant=[{"tensor_name": "DEFAULT", "calibration_mean": shapes}])
        try:
            spec, warns = spec_from_pulsar2(c, size=None if isinstance(shapes, str) else (64, 64))
        except SpecError as e:
            assert str(e) and "\n" not in str(e)
            return
        assert all(isinstance(w, str) for w in warns)

    check()

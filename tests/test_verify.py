"""Verify: capture with the Python reference, run the C++ core, compare. End to end for every bundled spec."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from pyalign.capture import Capture, capture_image
from pyalign.spec.bundled import bundled_spec, spec_names, spec_path
from pyalign.demo import misaligned_variant, synthetic_model_output
from pyalign.errors import CaptureError, SpecError
from pyalign.spec import load_spec
from pyalign.store import read_case
from pyalign.synthetic import synthetic_image
from pyalign.verify import verify_case


def _capture(tmp_path, name, seed=0, size=(300, 400), with_output=True):
    spec = bundled_spec(name)
    out = synthetic_model_output(spec, seed=seed) if with_output else None
    return capture_image(synthetic_image(*size, seed=seed), spec, tmp_path / name, model_output=out)


@pytest.mark.parametrize("name", spec_names())
def test_capture_then_verify_is_aligned_for_every_bundled_spec(tmp_path, name):
    case = _capture(tmp_path, name)
    r = verify_case(case.dir, out=tmp_path / "cpp")
    assert r.aligned, r.to_text()
    assert [t.stage for t in r.comparison.tensors] == ["preprocessed", "postprocessed"]
    assert all(t.status == "pass" for t in r.comparison.tensors)
    # the C++ results are on disk under the reference's names, bit-identical where the rule is exact
    actual = read_case(tmp_path / "cpp")
    assert actual.get("preprocessed").name == case.get("preprocessed").name
    np.testing.assert_array_equal(actual.array("preprocessed"), case.array("preprocessed"))
    assert r.notes == []


@pytest.mark.parametrize("name", ["demo", "yuyv_yolov5", "bgr_classification"])
def test_misaligned_board_variant_is_caught_and_diagnosed(tmp_path, name):
    case = _capture(tmp_path, name, seed=1)
    r = verify_case(case, misaligned_variant(bundled_spec(name)))
    assert not r.aligned and r.actual is None
    pre = r.comparison.tensors[0]
    assert pre.stage == "preprocessed" and pre.status == "fail"
    assert pre.diagnosis and "channel" in str(pre.diagnosis[0]).lower()
    assert "MISALIGNED" in r.to_text()


def test_random_sizes_and_seeds_nv12(tmp_path):
    rng = np.random.default_rng(5)
    base = bundled_spec("nv12_yolov8")
    for i in range(6):
        w, h = (int(v) * 2 for v in rng.integers(20, 400, 2))
        dw, dh = (int(v) for v in rng.integers(16, 400, 2))
        style = ["ultralytics", "center"][i % 2]
        spec = {**base, "input": {"format": "YUV420SP", "width": w, "height": h},
                "preprocess": [{"op": "csc", "to": "RGB"}, {"op": "letterbox", "size": [dw, dh], "style": style},
                               {"op": "normalize", "mean": [1, 2, 3], "std": [50, 60, 70]}, {"op": "layout", "to": "NHWC"}],
                "postprocess": None}
        assert not _center_geometry_differs(load_spec(spec))
        case = capture_image(synthetic_image(h, w, seed=i), spec, tmp_path / f"c{i}")
        r = verify_case(case)
        assert r.aligned, (w, h, dw, dh, style, r.to_text())


def test_rule_overrides_reach_the_comparator(tmp_path):
    case = _capture(tmp_path, "bgr_classification", seed=2)
    variant = misaligned_variant(bundled_spec("bgr_classification"))
    assert not verify_case(case, variant).aligned
    loose = verify_case(case, variant, atol={"preprocessed": 10.0, "postprocessed": 1.0})
    assert loose.comparison.tensors[0].passed


def test_notes_when_postprocess_cannot_run(tmp_path):
    spec = bundled_spec("bgr_yolov8")
    img = synthetic_image(480, 640)
    from pyalign.reference import prepare_input, run_reference

    raw = prepare_input(img, spec)
    t, _ = run_reference(raw, spec)
    with Capture(tmp_path / "c", spec=spec) as cap:  # a user pipeline that captured no model output
        cap.raw_input(raw)
        cap.preprocessed(t, layout="NCHW", color="RGB")
        cap.postprocessed(np.zeros((0, 6), np.float32), kind="detections")
    r = verify_case(tmp_path / "c")
    assert r.aligned
    assert r.notes == ["postprocessed not verified: the capture has no model_output to run it on"]
    assert "note: postprocessed not verified" in r.to_text()


def test_errors(tmp_path):
    with Capture(tmp_path / "nospec") as cap:
        cap.raw_input(synthetic_image(48, 64))
    with pytest.raises(SpecError, match="no spec in its manifest: give --spec"):
        verify_case(tmp_path / "nospec")
    with pytest.raises(CaptureError, match=r"raw_input does not fit the spec: raw input for YUV420SP 64x48 must be uint8 \(72, 64\), got uint8 \(48, 64, 3\)"):
        verify_case(tmp_path / "nospec", bundled_spec("nv12_yolov8") | {"input": {"format": "YUV420SP", "width": 64, "height": 48}})
    with pytest.raises(CaptureError, match="nothing to verify"):
        verify_case(tmp_path / "nospec", {"input": {"format": "BGR", "width": 64, "height": 48}})
    with pytest.raises(CaptureError):
        verify_case(tmp_path / "missing")


def _pyalign(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pyalign", *args], cwd=cwd, capture_output=True, text=True)


def test_cli_verify_exit_codes_and_reports(tmp_path):
    case = _capture(tmp_path, "rgb_yolox", seed=3)
    r = _pyalign("verify", str(case.dir), cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ALIGNED" in r.stdout and "PASS" in r.stdout
    (tmp_path / "bad.json").write_text(json.dumps(misaligned_variant(bundled_spec("rgb_yolox"))))
    r = _pyalign("verify", str(case.dir), "--spec", "bad.json", "--json", "--junit", "j.xml", "--out", "cpp", cwd=tmp_path)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["aligned"] is False and doc["result"]["aligned"] is False
    assert (tmp_path / "j.xml").read_text().lstrip().startswith("<")
    assert read_case(tmp_path / "cpp" / "rgb_yolox").get("preprocessed").shape == (1, 320, 320, 3)
    r = _pyalign("verify", str(case.dir), "--spec", "bad.json", "--atol", "preprocessed=256", cwd=tmp_path)
    assert r.returncode == 0, r.stdout
    r = _pyalign("verify", "nowhere", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("error: nowhere") and r.stderr.count("\n") == 1
    r = _pyalign("verify", str(case.dir), "--atol", "x=y", cwd=tmp_path)
    assert r.returncode == 2 and "error: --atol x=y: " in r.stderr


def test_cli_verify_a_directory_of_cases(tmp_path):
    _capture(tmp_path / "set", "bgr_classification", seed=4)
    _capture(tmp_path / "set", "gray_segmentation", seed=4)
    r = _pyalign("verify", "set", "--spec", str(spec_path("bgr_classification")), cwd=tmp_path)
    # the gray capture cannot run the BGR spec: an input error, exit 2
    assert r.returncode == 2 and "gray_segmentation" in r.stderr
    r = _pyalign("verify", "set", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 of 2 case(s) aligned" in r.stdout


@pytest.mark.parametrize("fmt,mode", [("YVU420SP", "full_range"), ("UYVY422", "limited_range"), ("YUYV422", "matrix"),
                                      ("YUV420SP", "matrix")])
def test_csc_modes_end_to_end(tmp_path, fmt, mode):
    csc = {"op": "csc", "to": "BGR", "mode": mode}
    if mode == "matrix":
        csc["matrix"] = [1.164, 0, 1.596, -0.871, 1.164, -0.392, -0.813, 0.529, 1.164, 2.017, 0, -1.082]
    spec = {"input": {"format": fmt, "width": 96, "height": 64},
            "preprocess": [csc, {"op": "resize", "size": [50, 30]}, {"op": "swap_rb"}, {"op": "layout", "to": "CHW"}]}
    case = capture_image(synthetic_image(64, 96, seed=7), spec, tmp_path / "c")
    assert case.get("preprocessed").dtype == "uint8"
    r = verify_case(case)
    assert r.aligned, r.to_text()


def test_core_equals_reference_on_random_specs():
    """The fused C++ pipeline against the cv2/numpy reference: bit-identical on random specs and inputs."""
    from pyalign import core
    from pyalign.reference import run_reference
    from pyalign.spec import raw_input_shape

    from spec_strategies import random_spec

    rng = np.random.default_rng(13)
    for _ in range(120):
        spec = load_spec(random_spec(rng))
        assert not _center_geometry_differs(spec), spec
        raw = rng.integers(0, 256, raw_input_shape(spec), dtype=np.uint8)
        expect, info = run_reference(raw, spec)
        got, cinfo = core.preprocess(raw, spec, return_info=True)
        assert got.dtype == expect.dtype and got.shape == expect.shape, spec
        assert np.array_equal(got, expect), spec
        d = cinfo.to_dict() if hasattr(cinfo, "to_dict") else dict(cinfo)
        for k in ("pad_left", "pad_top", "pad_right", "pad_bottom", "resized_width", "resized_height"):
            assert d[k] == info[k], (k, spec)


def _center_geometry_differs(spec):
    from pyalign.core import letterbox_info
    from pyalign.reference import letterbox_geometry

    for op in spec["preprocess"]:
        if op["op"] == "letterbox" and op["style"] == "center":
            w, h = spec["input"]["width"], spec["input"]["height"]
            ref = letterbox_geometry(w, h, *op["size"], "center")
            core = letterbox_info((w, h), tuple(op["size"]), "center").to_dict()
            return any(ref[k] != core[k] for k in ("resized_width", "resized_height", "pad_top", "pad_left"))
    return False


def test_center_letterbox_follows_ax_samples_float32(tmp_path):
    """ax-samples computes int(float32 ratio * size): 100x1101 into 640x640 is resized to 58x639, one row padded."""
    spec = {"input": {"format": "BGR", "width": 100, "height": 1101},
            "preprocess": [{"op": "letterbox", "size": [640, 640], "pad_value": 0, "style": "center"}]}
    case = capture_image(synthetic_image(1101, 100, seed=1), spec, tmp_path / "c")
    assert case.manifest["geometry"]["resized_height"] == 639 and case.manifest["geometry"]["pad_bottom"] == 1
    assert verify_case(case).aligned


def test_note_when_the_raw_input_colour_disagrees_with_the_spec(tmp_path):
    spec = {"input": {"format": "BGR", "width": 32, "height": 24}, "preprocess": [{"op": "swap_rb"}]}
    img = synthetic_image(24, 32)
    with Capture(tmp_path / "c", spec=spec) as cap:
        cap.raw_input(img, color="RGB")
        cap.preprocessed(img[..., ::-1], layout="HWC", color="RGB")
    r = verify_case(tmp_path / "c")
    assert r.aligned
    assert r.notes == ["the captured raw_input is tagged RGB but the spec's input format is BGR: "
                       "the C++ core read it as BGR"]


def test_letterbox_geometry_core_equals_reference_on_random_sizes():
    from pyalign.core import letterbox_info
    from pyalign.reference import letterbox_geometry

    rng = np.random.default_rng(21)
    for _ in range(5000):
        sw, sh, dw, dh = (int(v) for v in rng.integers(1, 4000, 4))
        for style in ("ultralytics", "center"):
            try:
                ref = letterbox_geometry(sw, sh, dw, dh, style)
            except ValueError as e:
                # a degenerate (empty) resized image: the core must refuse it too
                assert "empty image" in str(e)
                with pytest.raises(ValueError, match="empty image"):
                    letterbox_info((sw, sh), (dw, dh), style)
                continue
            core = letterbox_info((sw, sh), (dw, dh), style).to_dict()
            assert {k: core[k] for k in ref} == ref, (sw, sh, dw, dh, style)

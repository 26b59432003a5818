"""Capture: the context manager, spec-driven capture of images, model outputs, the CLI."""
from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest

import pyalign
from pyalign.capture import Capture, capture_image, capture_images, load_model_output
from pyalign.spec.bundled import bundled_spec, spec_names
from pyalign.demo import synthetic_model_output
from pyalign.errors import CaptureError, PyalignError, SpecError
from pyalign.reference import prepare_input, run_postprocess, run_reference
from pyalign.spec import preprocessed_info, raw_input_shape
from pyalign.store import read_case
from pyalign.synthetic import synthetic_image


def test_context_manager_writes_every_stage(tmp_path):
    img = synthetic_image(16, 24)
    t = np.arange(2 * 3 * 4, dtype=np.float32).reshape(1, 3, 2, 4)
    with pyalign.Capture(tmp_path / "cat") as cap:
        cap.raw_input(img)
        cap.preprocessed(t, layout="NCHW", color="RGB")
        cap.model_output({"boxes": np.ones((1, 4), np.float32), "scores": np.zeros(3, np.float16)})
        cap.postprocessed(np.zeros((0, 6), np.float32), kind="detections")
    case = read_case(tmp_path / "cat")
    assert case is not None and cap.case.dir == case.dir
    raw = case.get("raw_input")
    assert (raw.name, raw.layout, raw.color, raw.kind) == ("image", "HWC", "BGR", "image")
    np.testing.assert_array_equal(case.array("raw_input"), img)
    pre = case.get("preprocessed")
    assert (pre.name, pre.layout, pre.color) == ("images", "NCHW", "RGB")
    np.testing.assert_array_equal(case.array("preprocessed"), t)
    assert [r.name for r in case.stage("model_output")] == ["boxes", "scores"]
    assert case.array("model_output", "scores").dtype == np.float16
    post = case.get("postprocessed")
    assert (post.name, post.kind, post.shape) == ("detections", "detections", (0, 6))


def test_model_output_list_and_single_names(tmp_path):
    with Capture(tmp_path / "a") as cap:
        cap.model_output([np.zeros(2, np.float32), np.ones(3, np.float32)])
    assert [r.name for r in read_case(tmp_path / "a").stage("model_output")] == ["output0", "output1"]
    with Capture(tmp_path / "b") as cap:
        cap.model_output(np.zeros(2, np.float32))
        cap.raw_input(np.zeros((6, 4), np.uint8), color="YUV420SP")
    c = read_case(tmp_path / "b")
    assert c.get("model_output").file == "model_output.bin"
    assert c.get("raw_input").layout is None and c.get("raw_input").color == "YUV420SP"


def test_nothing_written_when_the_block_raises(tmp_path):
    with pytest.raises(RuntimeError, match="model crashed"):
        with Capture(tmp_path / "cat") as cap:
            cap.raw_input(synthetic_image(8, 8))
            raise RuntimeError("model crashed")
    assert not (tmp_path / "cat").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary directory left behind either


def test_existing_case_survives_a_failed_rewrite(tmp_path):
    with Capture(tmp_path / "cat") as cap:
        cap.raw_input(np.full((4, 4, 3), 7, np.uint8))
    with pytest.raises(KeyError):
        with Capture(tmp_path / "cat") as cap:
            cap.raw_input(np.zeros((4, 4, 3), np.uint8))
            {}["missing"]
    assert (read_case(tmp_path / "cat").array("raw_input") == 7).all()


def test_spec_is_validated_and_stored(tmp_path):
    spec = {"input": {"format": "BGR", "width": 4, "height": 4}, "preprocess": [{"op": "swap_rb"}]}
    with Capture(tmp_path / "c", spec=spec) as cap:
        cap.raw_input(np.zeros((4, 4, 3), np.uint8))
    assert read_case(tmp_path / "c").spec == {**spec, "postprocess": None}
    with pytest.raises(SpecError, match="input.width"):
        Capture(tmp_path / "d", spec={"input": {"format": "BGR", "width": 0, "height": 4}})
    assert not (tmp_path / "d").exists()


def test_bad_stage_use_is_an_error(tmp_path):
    with pytest.raises(CaptureError, match="duplicate tensor raw_input/image"):
        with Capture(tmp_path / "c") as cap:
            cap.raw_input(np.zeros((2, 2), np.uint8))
            cap.raw_input(np.zeros((2, 2), np.uint8))
    with pytest.raises(CaptureError, match="unknown stage"):
        with Capture(tmp_path / "c") as cap:
            cap.add("features", "x", np.zeros(2))
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("name", spec_names())
def test_capture_image_for_every_bundled_spec(tmp_path, name):
    spec = bundled_spec(name)
    img = synthetic_image(300, 400, seed=2)
    outputs = synthetic_model_output(spec, seed=1)
    case = capture_image(img, spec, tmp_path / name, model_output=outputs)
    raw = case.array("raw_input")
    assert raw.shape == raw_input_shape(spec) and raw.dtype == np.uint8
    np.testing.assert_array_equal(raw, prepare_input(img, spec))
    expect, info = run_reference(raw, spec)
    pre = case.get("preprocessed")
    ti = preprocessed_info(spec)
    assert (pre.shape, pre.dtype, pre.layout, pre.color) == (ti.shape, ti.dtype, ti.layout, ti.color)
    np.testing.assert_array_equal(pre.load(), expect)
    assert len(case.stage("model_output")) == len(outputs)
    post = case.get("postprocessed")
    result = run_postprocess(outputs if len(outputs) > 1 else outputs[0], spec["postprocess"], info)
    np.testing.assert_array_equal(post.load(), result)
    assert post.kind == {"classification": "classes", "segmentation": "mask"}.get(spec["postprocess"]["op"], "detections")
    assert case.spec == spec and case.manifest["geometry"]["dst_width"] == info["dst_width"]
    if post.kind == "detections":
        assert 3 <= post.shape[0] <= 60  # the synthetic objects are found, the noise is not


def test_capture_without_model_has_two_stages(tmp_path):
    case = capture_image(synthetic_image(64, 64), bundled_spec("nv12_yolov8"), tmp_path / "x")
    assert [r.stage for r in case.tensors] == ["raw_input", "preprocessed"]


def test_model_output_files(tmp_path):
    a = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    np.save(tmp_path / "o.npy", a)
    np.testing.assert_array_equal(load_model_output(tmp_path / "o.npy")["output0"], a)
    np.savez(tmp_path / "o.npz", first=a, second=a * 2)
    got = load_model_output(tmp_path / "o.npz")
    assert list(got) == ["first", "second"]
    a.tofile(tmp_path / "o.bin")
    np.testing.assert_array_equal(load_model_output(tmp_path / "o.bin", [1, 3, 4])["output0"], a)
    with pytest.raises(CaptureError, match=r"o\.bin: file has 48 bytes, shape \[1, 3, 5\] float32 needs 60"):
        load_model_output(tmp_path / "o.bin", [1, 3, 5])
    with pytest.raises(CaptureError, match="needs --output-shape"):
        load_model_output(tmp_path / "o.bin")
    (tmp_path / "o.txt").write_text("1 2 3")
    with pytest.raises(CaptureError, match=r"must be a \.npy, \.npz or \.bin file"):
        load_model_output(tmp_path / "o.txt")
    with pytest.raises(CaptureError, match="no such file"):
        load_model_output(tmp_path / "none.npy")


def _images(tmp_path, n=3):
    paths = []
    for i in range(n):
        p = tmp_path / f"img{i}.png"
        cv2.imwrite(str(p), synthetic_image(120, 160, seed=i))
        paths.append(p)
    return paths


def test_capture_images_continues_after_a_bad_image(tmp_path):
    paths = _images(tmp_path, 2)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    spec = bundled_spec("bgr_classification")
    np.save(tmp_path / "logits.npy", synthetic_model_output(spec)[0])
    seen = []
    outcomes = capture_images([paths[0], bad, paths[1]], spec, tmp_path / "caps",
                              model_outputs=[tmp_path / "logits.npy"], progress=lambda it: seen.append(1) or it)
    assert seen == [1]
    assert [o.error is None for o in outcomes] == [True, False, True]
    assert "broken.jpg: not an image OpenCV can read" in outcomes[1].error
    assert sorted(p.name for p in (tmp_path / "caps").iterdir()) == ["img0", "img1"]
    assert read_case(tmp_path / "caps" / "img1").get("postprocessed").shape == (5, 2)


def test_capture_images_argument_errors(tmp_path):
    paths = _images(tmp_path, 2)
    spec = bundled_spec("bgr_classification")
    np.save(tmp_path / "o.npy", np.zeros((1, 1000), np.float32))
    with pytest.raises(PyalignError, match="not both"):
        capture_images(paths, spec, tmp_path / "c", model=tmp_path / "m.onnx", model_outputs=[tmp_path / "o.npy"])
    with pytest.raises(PyalignError, match="3 model outputs for 2 images"):
        capture_images(paths, spec, tmp_path / "c", model_outputs=[tmp_path / "o.npy"] * 3)
    outcomes = capture_images(paths + [paths[0]], spec, tmp_path / "c", model_outputs=[tmp_path / "o.npy"])
    assert [o.path.name for o in outcomes] == ["img0", "img1", "img0_2"]  # same stem twice


def _pyalign(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pyalign", *args], cwd=cwd, capture_output=True, text=True)


def test_cli_capture(tmp_path):
    _images(tmp_path, 2)  # writes img0.png and img1.png
    (tmp_path / "bad.png").write_bytes(b"x")
    spec = bundled_spec("rgb_yolox")
    np.save(tmp_path / "out.npy", synthetic_model_output(spec)[0])
    from pyalign.spec.bundled import spec_path

    r = _pyalign("capture", "img0.png", "img1.png", "--spec", str(spec_path("rgb_yolox")), "-o", "caps",
                 "--model-output", "out.npy", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "captured 2 of 2 image(s)" in r.stdout
    assert read_case(tmp_path / "caps" / "img0").get("postprocessed").kind == "detections"
    r = _pyalign("capture", "img0.png", "bad.png", "--spec", str(spec_path("rgb_yolox")), "-o", "caps2", cwd=tmp_path)
    assert r.returncode == 1
    assert "error: bad.png: not an image OpenCV can read" in r.stderr
    r = _pyalign("capture", "bad.png", "--spec", str(spec_path("rgb_yolox")), "-o", "caps3", cwd=tmp_path)
    assert r.returncode == 2
    (tmp_path / "s.json").write_text('{"input": {"format": "NV12", "width": 4, "height": 4}}')
    r = _pyalign("capture", "img0.png", "--spec", "s.json", "-o", "caps4", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == "error: s.json: input.format: expected one of BGR, RGB, GRAY, YUV420SP, YVU420SP, YUYV422, UYVY422, got \"NV12\"\n"
    r = _pyalign("capture", "img0.png", "--spec", str(spec_path("rgb_yolox")), "-o", "c", "--model", "m.onnx",
                 "--model-output", "out.npy", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr == "error: give --model or --model-output, not both\n"


def test_cli_capture_bin_output_needs_shape(tmp_path):
    _images(tmp_path, 1)
    from pyalign.spec.bundled import spec_path

    np.zeros((1, 1000), np.float32).tofile(tmp_path / "o.bin")
    r = _pyalign("capture", "img0.png", "--spec", str(spec_path("bgr_classification")), "-o", "c",
                 "--model-output", "o.bin", "--output-shape", "1,1000", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = _pyalign("capture", "img0.png", "--spec", str(spec_path("bgr_classification")), "-o", "c",
                 "--model-output", "o.bin", cwd=tmp_path)
    assert r.returncode == 2 and "needs --output-shape" in r.stderr


def test_raw_frames_are_captured_as_they_are(tmp_path):
    spec = bundled_spec("nv12_yolov8")
    from pyalign.reference import to_input_format

    frame = to_input_format(synthetic_image(360, 640, seed=9), "YUV420SP")
    frame.tofile(tmp_path / "cam.nv12")
    np.save(tmp_path / "cam2.npy", frame)
    frame[:10].tofile(tmp_path / "short.yuv")
    outcomes = capture_images([tmp_path / "cam.nv12", tmp_path / "cam2.npy", tmp_path / "short.yuv"], spec,
                              tmp_path / "caps")
    assert outcomes[2].error == f"{tmp_path / 'short.yuv'}: file has 6400 bytes; a raw YUV420SP 640x360 frame has 345600"
    for name in ("cam", "cam2"):
        case = read_case(tmp_path / "caps" / name)
        np.testing.assert_array_equal(case.array("raw_input"), frame)
        assert "source_frame" in case.manifest
    with pytest.raises(CaptureError, match=r"a raw YUV420SP input must be uint8 \[540, 640\], got uint8 \[538, 640\]"):
        capture_image(frame[:538], spec, tmp_path / "x", is_raw=True)
    assert not (tmp_path / "x").exists()


def test_directories_expand_to_their_images(tmp_path):
    (tmp_path / "imgs").mkdir()
    _images(tmp_path / "imgs", 2)
    (tmp_path / "imgs" / "notes.txt").write_text("skip me")
    (tmp_path / "empty").mkdir()
    spec = bundled_spec("rgb_yolox")
    outcomes = capture_images([tmp_path / "imgs"], spec, tmp_path / "caps")
    assert [o.path.name for o in outcomes] == ["img0", "img1"] and all(o.error is None for o in outcomes)
    with pytest.raises(PyalignError, match="no input images"):
        capture_images([tmp_path / "empty"], spec, tmp_path / "caps")


def test_cli_spec_check_list_show(tmp_path):
    from pyalign.spec.bundled import spec_path

    r = _pyalign("spec", "check", str(spec_path("yuyv_yolov5")), cwd=tmp_path)
    assert r.returncode == 0
    import json

    assert json.loads(r.stdout) == bundled_spec("yuyv_yolov5")
    assert "# raw input: uint8 [480, 640, 2] YUYV422" in r.stderr
    assert "# preprocessed: float32 [1, 3, 320, 320] NCHW RGB" in r.stderr
    r = _pyalign("spec", "list", cwd=tmp_path)
    assert r.returncode == 0 and [line.split()[0] for line in r.stdout.splitlines()] == spec_names()
    r = _pyalign("spec", "show", "demo", cwd=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["input"]["format"] == "YUV420SP"
    r = _pyalign("spec", "show", "nope", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("error: no bundled spec 'nope' (known: bgr_classification")

"""pyalign demo: offline, exit 0, the aligned C++ core and the caught misaligned variant in the output."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pyalign.spec.bundled import bundled_spec, spec_names
from pyalign.demo import misaligned_variant, run_demo, synthetic_model_output
from pyalign.reference import run_postprocess
from pyalign.store import read_case


def test_run_demo_keeps_the_cases(tmp_path):
    lines = []
    assert run_demo(tmp_path, echo=lines.append) == 0
    text = "\n".join(lines)
    assert "ALIGNED: 2 of 2 tensors pass" in text
    assert "MISALIGNED: 1 of 2 tensors pass" in text
    assert "channel order" in text  # the diagnosis names the cause
    assert "misaligned variant caught: yes" in text
    ref = read_case(tmp_path / "capture" / "demo")
    assert ref.get("raw_input").color == "YUV420SP" and ref.get("raw_input").shape == (1080, 1280)
    assert ref.get("model_output").shape == (1, 84, 8400)
    good = read_case(tmp_path / "board" / "aligned")
    bad = read_case(tmp_path / "board" / "bgr_fed")
    np.testing.assert_array_equal(good.array("preprocessed"), ref.array("preprocessed"))
    # the variant is the reference with B and R swapped, nothing else
    np.testing.assert_array_equal(bad.array("preprocessed")[:, ::-1], ref.array("preprocessed"))


def test_cli_demo_exit_0_and_temporary_files_removed(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pyalign", "demo"], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "C++ core aligned with the Python pipeline: yes" in r.stdout
    assert r.stderr == ""
    assert list(tmp_path.iterdir()) == []


def test_cli_demo_html(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pyalign", "demo", "--out", "d", "--html", "r.html"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "r.html").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    assert (tmp_path / "d" / "capture" / "demo" / "manifest.json").is_file()


def test_synthetic_yolov8_output_has_the_planted_objects():
    spec = bundled_spec("demo")
    out = synthetic_model_output(spec, seed=0)[0]
    assert out.shape == (1, 84, 8400) and out.dtype == np.float32
    info = {"scale_x": 1.0, "scale_y": 1.0, "pad_left": 0, "pad_top": 0, "src_width": 640, "src_height": 640}
    dets = run_postprocess(out, spec["postprocess"], info)
    # five objects plus one overlapping box of another class; noise scores stay below 0.05
    assert len(dets) == 6
    np.testing.assert_allclose(np.sort(dets[:, 4])[::-1], [0.95, 0.85, 0.75, 0.65, 0.6, 0.55], atol=1e-6)
    assert np.array_equal(synthetic_model_output(spec, seed=0)[0], out)  # deterministic
    assert not np.array_equal(synthetic_model_output(spec, seed=1)[0], out)


@pytest.mark.parametrize("name", spec_names())
def test_misaligned_variant_changes_only_the_colour_order(name):
    spec = bundled_spec(name)
    if spec["input"]["format"] == "GRAY":
        with pytest.raises(ValueError, match="no colour order"):
            misaligned_variant(spec)
        return
    v = misaligned_variant(spec)
    assert v["input"] == spec["input"] and v["postprocess"] == spec["postprocess"]
    ops = [o["op"] for o in spec["preprocess"]]
    vops = [o["op"] for o in v["preprocess"]]
    assert ops != vops or v["preprocess"][0] != spec["preprocess"][0]

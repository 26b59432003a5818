"""The diagnosis' own pipeline runner against the project's cv2/numpy reference (random specs),
and randomized manufactured misalignments that must be named first."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from pyalign.diagnose import diagnose
from pyalign.diagnose.pipeline import run
from pyalign.synthetic import synthetic_image

reference = pytest.importorskip("pyalign.reference.preprocess")

FORMATS = ["BGR", "RGB", "GRAY", "YUV420SP", "YVU420SP", "YUYV422", "UYVY422"]


def random_spec(rng):
    fmt = FORMATS[rng.integers(len(FORMATS))]
    w, h = 2 * int(rng.integers(8, 60)), 2 * int(rng.integers(8, 50))
    ops = []
    if fmt in ("YUV420SP", "YVU420SP", "YUYV422", "UYVY422"):
        mode = ["opencv", "full_range", "limited_range", "matrix"][rng.integers(4)]
        ops.append({"op": "csc", "to": ["BGR", "RGB"][rng.integers(2)], "mode": mode})
        if mode == "matrix":   # Pulsar2's documented example, perturbed
            ops[-1]["matrix"] = [float(m + rng.uniform(-0.05, 0.05)) for m in
                                 [1.164, 0, 1.596, -0.871, 1.164, -0.392, -0.813, 0.529, 1.164, 2.017, 0, -1.082]]
    size = [int(rng.integers(4, 90)), int(rng.integers(4, 90))]
    if rng.random() < 0.5:
        ops.append({"op": "letterbox", "size": size, "pad_value": int(rng.integers(0, 256)),
                    "style": ["ultralytics", "center"][rng.integers(2)]})
    else:
        ops.append({"op": "resize", "size": size, "interpolation": ["linear", "nearest"][rng.integers(2)]})
    ch = 1 if fmt == "GRAY" else 3
    if ch == 3 and rng.random() < 0.5:
        ops.append({"op": "swap_rb"})
    if rng.random() < 0.7:
        ops.append({"op": "normalize", "mean": [float(m) for m in rng.uniform(0, 200, ch)],
                    "std": [float(s) for s in rng.uniform(1, 80, ch)]})
    if rng.random() < 0.7:
        ops.append({"op": "layout", "to": ["NCHW", "NHWC", "CHW", "HWC"][rng.integers(4)]})
    return {"input": {"format": fmt, "width": w, "height": h}, "preprocess": ops}


def raw_for(spec, seed):
    inp = spec["input"]
    bgr = synthetic_image(inp["height"], inp["width"], seed=seed)
    return reference.to_input_format(bgr, inp["format"])


def test_runner_matches_reference_on_random_specs():
    rng = np.random.default_rng(1234)
    for i in range(60):
        spec = random_spec(rng)
        raw = raw_for(spec, i)
        want, _ = reference.run_reference(raw, spec)
        got = run(raw, spec)
        assert got.dtype == want.dtype and got.shape == want.shape, spec
        assert np.array_equal(got, want), spec


MISTAKES = {
    "channel_swap": lambda t, raw, spec: np.ascontiguousarray(t[..., ::-1]),
    "letterbox.pad_0": None,
    "resize.nearest": None,
    "offset": lambda t, raw, spec: t + np.float32(3.0),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_randomized_misalignments_named_first(mistake):
    rng = np.random.default_rng(99)
    for i in range(6):
        w, h = 2 * int(rng.integers(20, 80)), 2 * int(rng.integers(20, 80))
        dst = [int(rng.integers(24, 96)), int(rng.integers(24, 96))]
        spec = {"input": {"format": "BGR", "width": w, "height": h},
                "preprocess": [{"op": "letterbox", "size": dst, "pad_value": 114, "style": "ultralytics"},
                               {"op": "normalize", "mean": [0, 0, 0], "std": [255, 255, 255]},
                               {"op": "layout", "to": "HWC"}]}
        raw = synthetic_image(h, w, seed=i)
        exp, info = reference.run_reference(raw, spec)
        if mistake == "letterbox.pad_0":
            if info["pad_left"] + info["pad_right"] + info["pad_top"] + info["pad_bottom"] == 0:
                continue
            bad = dict(spec, preprocess=[dict(spec["preprocess"][0], pad_value=0)] + spec["preprocess"][1:])
            act, _ = reference.run_reference(raw, bad)
        elif mistake == "resize.nearest":
            lb = spec["preprocess"][0]
            res = cv2.resize(raw, (info["resized_width"], info["resized_height"]), interpolation=cv2.INTER_NEAREST)
            boxed = cv2.copyMakeBorder(res, info["pad_top"], info["pad_bottom"], info["pad_left"], info["pad_right"],
                                       cv2.BORDER_CONSTANT, value=(lb["pad_value"],) * 3)
            act = boxed.astype(np.float32) / np.float32(255)
            if np.array_equal(act, exp):
                continue
        else:
            act = MISTAKES[mistake](exp, raw, spec)
        hs = diagnose(exp, act, stage="preprocessed", layout="HWC", spec=spec, raw_input=raw)
        assert hs[0].name == mistake and hs[0].explains, (spec, [str(x) for x in hs])

"""Regression tests for problems found in a user-acceptance pass (one section per item)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

import pyalign.core as core
from pyalign.synthetic import synthetic_image


# --- A: preprocess accepts non-contiguous views --------------------------------------------------

def _bgr_spec(w: int, h: int) -> dict:
    return {"input": {"format": "BGR", "width": w, "height": h},
            "preprocess": [{"op": "resize", "size": [37, 29], "interpolation": "linear"},
                           {"op": "normalize", "mean": [1.0, 2.0, 3.0], "std": [4.0, 5.0, 6.0]},
                           {"op": "layout", "to": "NCHW"}]}


@pytest.mark.parametrize("view", ["flip", "crop", "channel_flip", "stride"])
def test_preprocess_accepts_noncontiguous_views(view: str) -> None:
    big = synthetic_image(90, 120, seed=3)
    if view == "flip":
        raw = big[:, ::-1]
    elif view == "crop":
        raw = big[5:75, 7:101]
    elif view == "channel_flip":
        raw = big[..., ::-1]
    else:
        raw = big[::2, ::2]
    assert not raw.flags.c_contiguous
    h, w = raw.shape[:2]
    got = core.preprocess(raw, _bgr_spec(w, h))
    # Independent oracle: cv2 + numpy on the contiguous copy.
    r = cv2.resize(np.ascontiguousarray(raw), (37, 29), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    want = ((r - np.float32([1, 2, 3])) / np.float32([4, 5, 6])).transpose(2, 0, 1)[None]
    assert got.dtype == np.float32 and got.shape == (1, 3, 29, 37)
    np.testing.assert_array_equal(got, want)


def test_preprocess_noncontiguous_still_checks_shape() -> None:
    big = synthetic_image(90, 120, seed=3)
    with pytest.raises(ValueError, match="must be uint8"):
        core.preprocess(big[:, ::-1], _bgr_spec(100, 90))


# --- G: spec and Pulsar2 config files may start with a UTF-8 byte-order mark -------------------

def test_spec_file_with_bom_loads(tmp_path) -> None:
    import json

    from pyalign.spec import load_spec

    spec = {"input": {"format": "BGR", "width": 64, "height": 48},
            "preprocess": [{"op": "resize", "size": [32, 32], "interpolation": "linear"}]}
    p = tmp_path / "spec.json"
    p.write_bytes(b"\xef\xbb\xbf" + json.dumps(spec).encode())
    got = load_spec(p)
    assert got["input"] == spec["input"]
    assert got["preprocess"][0]["size"] == [32, 32]


def test_pulsar2_config_with_bom_loads(tmp_path) -> None:
    from pyalign.pulsar2 import load_pulsar2_config

    p = tmp_path / "config.json"
    p.write_bytes(b"\xef\xbb\xbf" + b'{"quant": {"input_configs": []}, // relaxed\n "x": 1}')
    cfg = load_pulsar2_config(p)
    assert cfg["x"] == 1 and "quant" in cfg

"""Arrays that went through pickle (multiprocessing, a cache) carry equal but not identical dtype
objects: every binding compares dtypes by value and accepts them."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import pyalign.core as core
from pyalign.compare.metrics import stream_metrics
from pyalign.compare.rules import Rule
from pyalign.reference import to_input_format


def _thaw(a: np.ndarray) -> np.ndarray:
    b = pickle.loads(pickle.dumps(a))
    assert b.dtype == a.dtype and b.dtype is not a.dtype  # the case that used to be refused
    return b


def test_resize_letterbox_csc_normalize_preprocess_accept_unpickled_arrays() -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    u = _thaw(img)
    assert np.array_equal(core.resize(u, (16, 12)), core.resize(img, (16, 12)))
    assert np.array_equal(core.resize(_thaw(img.astype(np.float32)), (16, 12)),
                          core.resize(img.astype(np.float32), (16, 12)))
    assert np.array_equal(core.letterbox(u, (20, 20))[0], core.letterbox(img, (20, 20))[0])
    nv12 = to_input_format(img, "YUV420SP")
    assert np.array_equal(core.csc(_thaw(nv12), "YUV420SP", "BGR"), core.csc(nv12, "YUV420SP", "BGR"))
    assert np.array_equal(core.normalize(u, [1, 2, 3], [4, 5, 6]), core.normalize(img, [1, 2, 3], [4, 5, 6]))
    spec = {"input": {"format": "YUV420SP", "width": 32, "height": 24},
            "preprocess": [{"op": "csc", "to": "RGB"}, {"op": "resize", "size": [16, 16]}]}
    assert np.array_equal(core.preprocess(_thaw(nv12), spec), core.preprocess(nv12, spec))


def test_postprocess_and_compare_accept_unpickled_arrays() -> None:
    rng = np.random.default_rng(1)
    boxes = np.sort(rng.random((30, 4)).astype(np.float32) * 100, axis=1)
    scores = rng.random(30).astype(np.float32)
    classes = rng.integers(0, 3, 30).astype(np.int64)
    keep = core.nms(_thaw(boxes), _thaw(scores), 0.5, classes=_thaw(classes))
    assert np.array_equal(keep, core.nms(boxes, scores, 0.5, classes=classes))
    logits = rng.standard_normal((1, 10)).astype(np.float32)
    assert np.array_equal(core.classify(_thaw(logits), topk=3), core.classify(logits, topk=3))
    m, _ = stream_metrics(_thaw(scores), _thaw(scores), rule=Rule("exact"), shape=scores.shape)
    assert m["violations"] == 0


@pytest.mark.parametrize("dtype", [">f4", ">u2"])
def test_other_byte_orders_are_still_refused(dtype) -> None:
    with pytest.raises(ValueError):
        core.resize(np.zeros((4, 4, 3), dtype), (2, 2))

"""The C++ spec parser (pyalign::parse_pipeline_spec, behind _core.preprocess's spec_json) against pyalign.spec.

Given the same JSON text, both accept the same specs, fill in the same defaults (the tensor from the raw
spec equals the tensor from the normalised one) and reject with the same message.
"""
from __future__ import annotations

import copy
import json
from typing import Any, Optional

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyalign import _core
from pyalign.core import preprocess
from pyalign.core._pipeline import _spec_json
from pyalign.spec.bundled import SPECS_DIR, spec_names
from pyalign.errors import SpecError
from pyalign.spec import load_spec, raw_input_shape, validate_spec

# Limits of the C++ core beyond pyalign.spec (see cpp/src/pipeline_spec.cpp and pipeline.cpp).
CPP_ONLY = ("out of the float32 range", "is 0 in float32", "the C++ core's limit", "letterbox geometry",
            "leaves an empty image")


def python_error(spec: Any) -> Optional[str]:
    try:
        validate_spec(spec)
    except SpecError as e:
        return str(e)
    return None


def cpp_run(text: str, raw: np.ndarray) -> Any:
    return _core.preprocess(raw, text)


def raw_for(spec: Any) -> np.ndarray:
    return np.arange(int(np.prod(raw_input_shape(spec))), dtype=np.uint8).reshape(raw_input_shape(spec))


@pytest.mark.parametrize("name", spec_names())
def test_bundled_specs_as_written_and_normalised(name: str) -> None:
    text = (SPECS_DIR / f"{name}.json").read_text()
    spec = load_spec(SPECS_DIR / f"{name}.json")
    raw = raw_for(spec)
    got, geo = cpp_run(text, raw)
    want, want_geo = cpp_run(_spec_json(spec), raw)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    assert geo == want_geo
    assert np.array_equal(got, preprocess(raw, spec))


def test_spec_json_takes_a_to_dict() -> None:
    spec = load_spec(SPECS_DIR / "demo.json")

    class Frozen:
        def to_dict(self) -> Any:
            return spec

    assert _spec_json(Frozen()) == _spec_json(spec) == json.dumps(spec)


BASE = {
    "input": {"format": "YUV420SP", "width": 64, "height": 48},
    "preprocess": [
        {"op": "csc", "to": "BGR", "mode": "opencv"},
        {"op": "letterbox", "size": [32, 32], "pad_value": 114, "style": "ultralytics"},
        {"op": "swap_rb"},
        {"op": "normalize", "mean": [0, 0, 0], "std": [255, 255, 255]},
        {"op": "layout", "to": "NCHW"},
    ],
    "postprocess": {"op": "yolov5", "num_classes": 3, "conf_threshold": 0.25},
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True)
    | st.sampled_from(["BGR", "GRAY", "RGB", "NV12", "csc", "resize", "letterbox", "swap_rb", "normalize",
                       "layout", "NCHW", "HW", "matrix", "nearest", "center", "op", ""]),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.sampled_from(["op", "to", "size", "mean", "std", "format", "width", "height", "mode", "x"]), inner,
        max_size=4),
    max_leaves=12,
)


def _paths(obj: Any, prefix: tuple = ()) -> Any:
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


ALL_PATHS = [p for p in _paths(BASE) if p] + [("preprocess", 5), ("input", "x"), ("preprocess", 1, "x")]


def check_agreement(spec: Any) -> None:
    text = json.dumps(spec)
    # The C++ parser does not read "postprocess" (pyalign.spec checks it after the rest).
    pre = {k: v for k, v in spec.items() if k != "postprocess"} if isinstance(spec, dict) else spec
    want = python_error(pre)
    if want is not None:
        with pytest.raises(ValueError) as e:
            cpp_run(text, np.zeros(1, np.uint8))
        got, want = str(e.value), "spec: " + want
        # C++ cuts a long value short ("got [1, 2, ..."); the rest of the texts is the same
        cut = got.rfind("...")
        assert got == want or (cut > 0 and want.startswith(got[:cut]) and want.endswith(got[cut + 3:])), (got, want)
        return
    norm = validate_spec(pre)
    raw = raw_for(norm)
    try:
        got, geo = cpp_run(text, raw)
    except ValueError as e:
        assert any(k in str(e) for k in CPP_ONLY), str(e)
        return
    want_t, want_geo = cpp_run(_spec_json(norm), raw)
    assert got.dtype == want_t.dtype and np.array_equal(got, want_t) and geo == want_geo


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ALL_PATHS), json_values)
def test_any_mutation_gets_the_same_verdict(path: tuple, value: Any) -> None:
    spec = copy.deepcopy(BASE)
    node: Any = spec
    for k in path[:-1]:
        node = node[k]
    if isinstance(node, list) and path[-1] >= len(node):
        node.append(value)
    else:
        node[path[-1]] = value
    check_agreement(spec)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_json_document_gets_the_same_verdict(value: Any) -> None:
    check_agreement(value)
    check_agreement({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [value]})

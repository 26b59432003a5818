"""Spec validation never fails with anything but SpecError, whatever JSON it is given (hypothesis)."""
from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from pyalign.errors import SpecError
from pyalign.spec import preprocessed_info, validate_spec

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
    | st.sampled_from(["BGR", "NV12", "csc", "letterbox", "NCHW", "matrix", "yolov8", "op", ""]),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.sampled_from(["op", "to", "size", "mean", "std", "format", "width", "height", "x"]), inner, max_size=4),
    max_leaves=12,
)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


ALL_PATHS = [p for p in _paths(BASE) if p]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(ALL_PATHS), json_values)
def test_any_mutation_is_valid_or_a_spec_error(path, value):
    spec = copy.deepcopy(BASE)
    node = spec
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    try:
        s = validate_spec(spec)
    except SpecError as e:
        assert "\n" not in str(e) and str(e)
        return
    assert validate_spec(s) == s  # normalised specs stay valid and unchanged
    preprocessed_info(s)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_document(value):
    try:
        validate_spec(value)
    except SpecError:
        pass

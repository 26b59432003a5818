"""Property test of the capture-set reader: any mutation of a valid manifest is read or refused
with a CaptureError naming the manifest — never another exception, never a path outside the case."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyalign.errors import CaptureError
from pyalign.store import read_case, write_case

JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["", "..", "../x.bin", "/etc/passwd", "./raw_input.bin", "uint8", "NCHW", "preprocessed",
                     "x" * 300, "\x1b]0;t\x07", "a\nb", "ÿ", "1e999"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
KEYS = ["format", "version", "case", "created_utc", "provenance", "spec", "tensors"]
TENSOR_KEYS = ["stage", "name", "file", "dtype", "shape", "layout", "color", "kind", "sha256"]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("base") / "case"
    rng = np.random.default_rng(0)
    write_case(d, [("raw_input", "image", rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)),
                   ("preprocessed", "images", rng.random((1, 3, 4, 4)).astype(np.float32)),
                   ("postprocessed", "detections", np.zeros((2, 6), np.float32))],
               spec={"input": {"format": "BGR", "width": 6, "height": 4}, "preprocess": []})
    return d


mutation = st.one_of(
    st.tuples(st.just("top"), st.sampled_from(KEYS), JSON_VALUES),
    st.tuples(st.just("del"), st.sampled_from(KEYS), st.none()),
    st.tuples(st.just("tensor"), st.tuples(st.integers(0, 2), st.sampled_from(TENSOR_KEYS)), JSON_VALUES),
    st.tuples(st.just("tensor_del"), st.tuples(st.integers(0, 2), st.sampled_from(TENSOR_KEYS)), st.none()),
    st.tuples(st.just("text"), st.integers(0, 10_000), st.binary(max_size=6)),
)


def _apply(manifest_bytes: bytes, muts) -> bytes:
    m = json.loads(manifest_bytes)
    raw = None
    for kind, where, value in muts:
        if kind == "top":
            m[where] = value
        elif kind == "del":
            m.pop(where, None)
        elif kind in ("tensor", "tensor_del") and isinstance(m.get("tensors"), list) and m["tensors"]:
            i, key = where
            t = m["tensors"][i % len(m["tensors"])]
            if isinstance(t, dict):
                if kind == "tensor":
                    t[key] = value
                else:
                    t.pop(key, None)
        elif kind == "text":
            raw = raw if raw is not None else json.dumps(m).encode()
            pos = where % (len(raw) + 1)
            raw = raw[:pos] + value + raw[pos + len(value):]
    return raw if raw is not None else json.dumps(m).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(muts=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_manifests_are_read_or_refused_cleanly(base, tmp_path_factory, muts) -> None:
    d = tmp_path_factory.mktemp("m") / "case"
    shutil.copytree(base, d)
    (d / "manifest.json").write_bytes(_apply((base / "manifest.json").read_bytes(), muts))
    try:
        case = read_case(d)
    except CaptureError as e:
        assert str(e).startswith(str(d)), str(e)
        assert "\n" not in str(e) and "\x1b" not in str(e)
        return
    for rec in case.tensors:  # what was accepted stays inside the case and loads
        assert rec.path.resolve().is_relative_to(d.resolve())
        assert rec.load().nbytes == rec.nbytes

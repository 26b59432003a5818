"""The C++ manifest reader (_core.read_manifest + load_tensor) and pyalign.store.read_case agree.

Both read a capture set from an untrusted board (docs/security.md): for any change to a valid
manifest, they accept or refuse it together.
"""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any, Tuple

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyalign import _core
from pyalign.errors import CaptureError
from pyalign.store import read_case, write_case


def make_case(root: Path) -> Tuple[Path, dict]:
    case = root / "case"
    write_case(case, [
        ("raw_input", "image", np.arange(24, dtype=np.uint8).reshape(2, 4, 3), {"layout": "HWC", "color": "BGR"}),
        ("model_output", "output0", np.ones((1, 3), np.float32)),
        ("model_output", "output1", np.arange(2, dtype=np.int64)),
    ])
    (case / "other.bin").write_bytes(b"\0" * 24)
    (case / "sub").mkdir()
    (case / "sub" / "x.bin").write_bytes(b"\0" * 24)
    os.symlink("../../outside.bin", case / "escape.bin")
    (root / "outside.bin").write_bytes(b"\0" * 24)
    return case, json.loads((case / "manifest.json").read_text())


def verdicts(case: Path) -> Tuple[bool, bool, str, str]:
    """(Python accepts, C++ accepts, Python error, C++ error)."""
    py_err = cpp_err = ""
    try:
        read_case(case, verify_checksums=False)
    except CaptureError as e:
        py_err = str(e)
    try:
        man = _core.read_manifest(str(case))
        for t in man["tensors"]:
            _core.load_tensor(str(case), t["stage"], t["name"], verify_sha256=False)
    except ValueError as e:
        cpp_err = str(e)
    return not py_err, not cpp_err, py_err, cpp_err


values = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 2**63), st.floats(allow_nan=True), st.just(1.0),
    st.sampled_from(["raw_input", "model_output", "postprocessed", "inference", "output0", "output1", "image",
                     "uint8", "float32", "int64", "float8", "raw_input.bin", "other.bin", "sub/x.bin", "sub/./x.bin",
                     "./other.bin", "other.bin/", ".", "../outside.bin", "/etc/passwd", "C:x.bin", "escape.bin",
                     "HWC", "NCHW", "HW\u00e9", "A" * 64, "a" * 63, "", "pyalign.capture"]),
    st.lists(st.integers(0, 4), max_size=4), st.lists(st.integers(-1, 2**40), max_size=3),
    st.dictionaries(st.sampled_from(["stage", "name", "file", "dtype", "shape"]), st.just("x"), max_size=2),
)


def _paths(obj: Any, prefix: tuple = ()) -> Any:
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_both_readers_accept_and_refuse_the_same_manifests(tmp_path_factory: Any, data: Any) -> None:
    case, good = make_case(tmp_path_factory.mktemp("m"))
    paths = [p for p in _paths(good) if p and p[0] not in ("created_utc", "provenance")]
    spec = copy.deepcopy(good)
    for _ in range(data.draw(st.integers(1, 2))):
        path = data.draw(st.sampled_from(paths))
        node: Any = spec
        try:
            for k in path[:-1]:
                node = node[k]
            value = data.draw(values)
            if data.draw(st.booleans()) and isinstance(node, dict):
                node.pop(path[-1], None)
            else:
                node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    (case / "manifest.json").write_text(json.dumps(spec))
    py_ok, cpp_ok, py_err, cpp_err = verdicts(case)
    assert py_ok == cpp_ok, (json.dumps(spec), py_err, cpp_err)


def test_the_unchanged_case_reads_in_both(tmp_path: Path) -> None:
    case, _ = make_case(tmp_path)
    assert verdicts(case)[:2] == (True, True)

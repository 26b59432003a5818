"""Which board tensor stands for a reference tensor (pyalign.pytest_plugin.case.matching_record / load_actual)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pyalign.errors import CaptureError
from pyalign.pytest_plugin.case import CaptureCase, load_actual, matching_record
from pyalign.store import read_actual, read_case, write_case

PRE = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
OUT0 = np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3)
OUT1 = -OUT0


@pytest.fixture
def ref(tmp_path: Path) -> CaptureCase:
    d = write_case(tmp_path / "ref", {("preprocessed", "images"): PRE,
                                      ("model_output", "output0"): OUT0, ("model_output", "output1"): OUT1}).dir
    return CaptureCase("ref", read_case(d))


def test_same_name_matches(tmp_path: Path, ref: CaptureCase) -> None:
    d = write_case(tmp_path / "act", {("preprocessed", "images"): PRE + 1, ("model_output", "output1"): OUT1}).dir
    got = read_actual(d, ref.case)
    assert matching_record(got, ref.case, ref.record("preprocessed")).name == "images"
    assert matching_record(got, ref.case, ref.record("model_output", "output1")).name == "output1"
    np.testing.assert_array_equal(load_actual(d, ref, "preprocessed", None), PRE + 1)
    np.testing.assert_array_equal(load_actual(str(d), ref, "model_output", "output1"), OUT1)


def test_only_tensor_of_a_stage_matches_whatever_its_name(tmp_path: Path, ref: CaptureCase) -> None:
    d = write_case(tmp_path / "act", {("preprocessed", "input"): PRE + 2, ("model_output", "out"): OUT0}).dir
    got = read_actual(d, ref.case)
    assert matching_record(got, ref.case, ref.record("preprocessed")).name == "input"
    np.testing.assert_array_equal(load_actual(d, ref, "preprocessed", None), PRE + 2)
    # the reference has two model outputs: a single board output of another name stands for neither
    assert matching_record(got, ref.case, ref.record("model_output", "output0")) is None
    with pytest.raises(CaptureError, match="output0"):
        load_actual(d, ref, "model_output", "output0")


def test_bin_file_takes_the_reference_dtype_and_shape(tmp_path: Path, ref: CaptureCase) -> None:
    f = tmp_path / "pre.bin"
    (PRE + 3).tofile(f)
    np.testing.assert_array_equal(load_actual(f, ref, "preprocessed", None), PRE + 3)
    f.write_bytes(b"\1\2\3")
    np.testing.assert_array_equal(load_actual(f, ref, "preprocessed", None), [1, 2, 3])  # left to the comparator
    with pytest.raises(CaptureError, match="no such file or directory"):
        load_actual(tmp_path / "nowhere.bin", ref, "preprocessed", None)
    assert ref.stages == ["preprocessed", "model_output"]
    assert ref.has("model_output") and ref.has("model_output", "output1") and not ref.has("raw_input")
    assert not ref.has("model_output", "output2")

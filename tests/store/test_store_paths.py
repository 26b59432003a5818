"""How read_case and read_actual resolve the path they are given (directory or manifest.json)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from pyalign.errors import CaptureError
from pyalign.store import find_cases, read_actual, read_case, write_case


def _case(path: Path) -> Path:
    write_case(path, {("preprocessed", "images"): np.arange(6, dtype=np.uint8).reshape(2, 3)})
    return path


def check_path_errors(read: Callable[[Path], object], tmp_path: Path, not_a_directory: str) -> None:
    """``read`` of a missing path and of a file raises CaptureError naming the path."""
    with pytest.raises(CaptureError) as ei:
        read(tmp_path / "nowhere")
    assert str(ei.value) == f"{tmp_path / 'nowhere'}: no such directory"
    f = tmp_path / "file.bin"
    f.write_bytes(b"\0")
    with pytest.raises(CaptureError) as ei:
        read(f)
    assert str(ei.value) == f"{f}: {not_a_directory}"


def test_read_case_errors_name_the_path(tmp_path: Path) -> None:
    check_path_errors(read_case, tmp_path, "not a directory (a capture set is a directory with manifest.json)")


def test_read_actual_errors_name_the_path(tmp_path: Path) -> None:
    ref = read_case(_case(tmp_path / "ref"))
    check_path_errors(lambda p: read_actual(p, ref), tmp_path, "not a directory")


def test_manifest_path_stands_for_its_directory(tmp_path: Path) -> None:
    d = _case(tmp_path / "c")
    by_dir, by_manifest = read_case(d), read_case(d / "manifest.json")
    assert by_manifest.dir == by_dir.dir
    ref = read_case(_case(tmp_path / "ref"))
    act = read_actual(d / "manifest.json", ref)
    assert act.dir == by_dir.dir
    np.testing.assert_array_equal(act.array("preprocessed"), np.arange(6, dtype=np.uint8).reshape(2, 3))


def test_manifest_named_directory_is_a_directory(tmp_path: Path) -> None:
    # a directory called manifest.json is not taken for a manifest file
    d = tmp_path / "manifest.json"
    d.mkdir()
    with pytest.raises(CaptureError, match=r"manifest\.json: no manifest\.json"):
        read_case(d)


def test_find_cases_resolves_like_read_case(tmp_path: Path) -> None:
    d = _case(tmp_path / "c")
    assert find_cases(d / "manifest.json") == [d]
    check_path_errors(find_cases, tmp_path, "not a directory")

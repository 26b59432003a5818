"""Reading spec and Pulsar2 config files: the same file errors from both readers."""
from __future__ import annotations

import pathlib

import pytest

from pyalign.errors import SpecError
from pyalign.spec.pulsar2 import load_pulsar2_config
from pyalign.spec.model import load_spec, read_text_file


@pytest.mark.parametrize("reader", [load_spec, load_pulsar2_config])
def test_missing_file_names_the_file(tmp_path: pathlib.Path, reader) -> None:
    with pytest.raises(SpecError, match=r"nothere\.json: no such file$"):
        reader(tmp_path / "nothere.json")


@pytest.mark.parametrize("reader", [load_spec, load_pulsar2_config])
def test_undecodable_file_cannot_be_read(tmp_path: pathlib.Path, reader) -> None:
    p = tmp_path / "latin1.json"
    p.write_bytes(b'{"name": "caf\xe9"}')
    with pytest.raises(SpecError, match=r"latin1\.json: cannot read: .*utf-8"):
        reader(p)


@pytest.mark.parametrize("reader", [load_spec, load_pulsar2_config])
def test_directory_cannot_be_read(tmp_path: pathlib.Path, reader) -> None:
    with pytest.raises(SpecError, match=r": cannot read: "):
        reader(tmp_path)


def test_read_text_file_returns_path_and_text(tmp_path: pathlib.Path) -> None:
    p = tmp_path / "cfg.json"
    p.write_text('{"a": "\u00e9"}', encoding="utf-8")
    path, text = read_text_file(str(p))
    assert path == p
    assert text == '{"a": "\u00e9"}'


def test_invalid_json_messages_stay_distinct(tmp_path: pathlib.Path) -> None:
    p = tmp_path / "bad.json"
    p.write_text("{oops}", encoding="utf-8")
    with pytest.raises(SpecError, match=r"bad\.json: not valid JSON: "):
        load_spec(p)
    with pytest.raises(SpecError, match=r"bad\.json: not valid \(relaxed\) JSON: .*only the JSON form"):
        load_pulsar2_config(p)

"""Case names, shards K/N and the pairing of two roots by name."""
from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from pyalign.dataset.pairing import Shard, find_actual_cases, name_cases, pair_roots, parse_shard, shard_of
from pyalign.errors import CaptureError
from pyalign.store import CaseWriter


def _case(path, value=0.0):
    with CaseWriter(path) as w:
        w.add("preprocessed", "images", np.full((1, 3, 4, 4), value, np.float32), layout="NCHW")


def test_shard_is_sha256_of_the_name_mod_n():
    for name in ("cat_001", "val/000139", "ünïcode", ""):
        want = int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16) % 7 + 1
        assert shard_of(name, 7) == want
        assert name in Shard(want, 7) and all(name not in Shard(k, 7) for k in range(1, 8) if k != want)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 16])
def test_every_name_in_exactly_one_shard(n):
    names = [f"img_{i:05d}" for i in range(997)] + ["a/b", "a b", "x" * 300]
    shards = [Shard(k, n).select(names) for k in range(1, n + 1)]
    assert sorted(x for s in shards for x in s) == sorted(names)
    assert len(set(map(tuple, shards))) == n or n == 1
    if n > 1:  # roughly balanced
        assert min(len(s) for s in shards) > len(names) / n / 2


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "a/b", "3", "", "1/2/3", "-1/2"])
def test_bad_shards(text):
    with pytest.raises(ValueError, match=r"--shard .*expected K/N with 1 <= K <= N"):
        parse_shard(text)
    assert parse_shard(None) is None and parse_shard(" 2/4 ") == Shard(2, 4)


def test_stable_across_processes():
    code = "from pyalign.dataset.pairing import shard_of; print([shard_of(f'c{i}', 5) for i in range(50)])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str([shard_of(f"c{i}", 5) for i in range(50)])


def test_pairing_by_name(tmp_path):
    ref, act = tmp_path / "ref", tmp_path / "act"
    for name in ("a", "b", "sub/c", "sub/d"):
        _case(ref / name)
    for name in ("a", "sub/c"):
        _case(act / name)
    (act / "sub" / "d").mkdir(parents=True)  # an empty directory is not a board output
    (act / "bare" / "e").mkdir(parents=True)
    np.zeros(48, np.float32).tofile(act / "bare" / "e" / "preprocessed.bin")
    (act / ".hidden").mkdir()
    np.zeros(1, np.float32).tofile(act / ".hidden" / "x.bin")
    p = pair_roots(ref, act)
    assert [x[0] for x in p.paired] == ["a", "sub/c"]
    assert p.paired[0][1:] == (ref / "a", act / "a")
    assert [c.name for c in p.only_in_reference] == ["b", "sub/d"]
    assert [c.name for c in p.only_in_actual] == ["bare/e"]
    assert p.names == ["a", "b", "bare/e", "sub/c", "sub/d"]
    for n in (2, 3):  # shards partition the pairing, every name of either side once
        parts = [p.shard(Shard(k, n)) for k in range(1, n + 1)]
        assert sorted(x for q in parts for x in q.names) == p.names
    assert find_actual_cases(act / "a") == [act / "a"]


def test_missing_roots_and_duplicate_names(tmp_path):
    with pytest.raises(CaptureError, match="no such directory"):
        pair_roots(tmp_path / "nope", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CaptureError, match="no capture set"):
        pair_roots(tmp_path / "empty", tmp_path)
    _case(tmp_path / "r1" / "x")
    _case(tmp_path / "r2" / "x")
    refs = name_cases([tmp_path / "r1", tmp_path / "r2"])
    assert [c.name for c in refs] == ["x", "x_2"]
    assert [c.name for c in name_cases([tmp_path / "r1" / "x"])] == ["x"]


def test_pairing_imports_no_numpy():
    code = "import sys, pyalign.dataset.pairing; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

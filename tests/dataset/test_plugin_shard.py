"""The pytest plugin's --pyalign-shard K/N: every capture set runs in exactly one shard."""
from __future__ import annotations

import pytest

from pyalign.dataset.pairing import shard_of
from tests.pytest_plugin.test_plugin import make_captures

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.filterwarnings("ignore:Benchmarks are automatically disabled")

NAMES = tuple(f"case_{i:02d}" for i in range(9))


def test_shards_split_the_captures(pytester: pytest.Pytester) -> None:
    captures = make_captures(pytester.path / "captures", NAMES)
    pytester.makepyfile("def test_case(pyalign_case):\n    assert pyalign_case.dir.is_dir()\n")
    ran = []
    for k in (1, 2, 3):
        result = pytester.runpytest_subprocess(f"--pyalign-captures={captures}", f"--pyalign-shard={k}/3", "-v")
        ids = [line.split("[", 1)[1].split("]", 1)[0] for line in result.outlines
               if "test_case[" in line and "PASSED" in line]
        assert sorted(ids) == [n for n in NAMES if shard_of(n, 3) == k]
        assert f"(shard {k}/3)" in result.stdout.str()
        ran += ids
    assert sorted(ran) == list(NAMES)


def test_bad_and_empty_shards(pytester: pytest.Pytester) -> None:
    captures = make_captures(pytester.path / "captures", ("only",))
    pytester.makepyfile("def test_case(pyalign_case):\n    pass\n")
    result = pytester.runpytest_subprocess(f"--pyalign-captures={captures}", "--pyalign-shard=3/2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--pyalign-shard 3/2: expected K/N" in result.stderr.str()
    empty = 2 if shard_of("only", 2) == 1 else 1
    result = pytester.runpytest_subprocess(f"--pyalign-captures={captures}", f"--pyalign-shard={empty}/2")
    result.assert_outcomes(skipped=1)

"""examples/board_suite: build the board program with CMake and run the example suite with pytester."""
from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from pathlib import Path

import numpy  # noqa: F401  (imported once here: in-process pytester runs must not re-import it)
import pytest

import pyalign.compare.comparator  # noqa: F401
import pyalign.store  # noqa: F401

pytest_plugins = ["pytester"]
# pytest-benchmark, when installed, warns inside in-process runs of an xdist session; not ours.
pytestmark = pytest.mark.filterwarnings("ignore:Benchmarks are automatically disabled")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "board_suite"
SUITE_FILES = ("conftest.py", "test_board.py", "pytest.ini", "spec.json", "make_captures.py")


@pytest.fixture(scope="module")
def board_program() -> Path:
    """Build the example with CMake in build/pytest-board-suite (incremental, once across xdist workers)."""
    if shutil.which("cmake") is None:
        pytest.skip("cmake is not installed")
    build = ROOT / "build" / "pytest-board-suite"
    build.mkdir(parents=True, exist_ok=True)
    configure = ["cmake", "-S", str(EXAMPLE), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release"]
    if shutil.which("ccache"):
        configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
    with open(build / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers: one builds, the other waits and reuses it
        for cmd in (configure, ["cmake", "--build", str(build), "--target", "board_pipeline", "-j2"]):
            proc = subprocess.run(cmd, capture_output=True, text=True)
            assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    exe = build / "board_pipeline"
    assert exe.is_file()
    return exe


@pytest.fixture(scope="module")
def captures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("board_captures")
    proc = subprocess.run([sys.executable, str(EXAMPLE / "make_captures.py"), str(out), "--cases", "2"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    for name in SUITE_FILES:
        shutil.copy(EXAMPLE / name, pytester.path / name)
    return pytester


def test_board_program_rejects_bad_input(board_program: Path, tmp_path: Path) -> None:
    proc = subprocess.run([str(board_program), str(tmp_path / "nope"), str(tmp_path / "out")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "nope" in proc.stderr
    proc = subprocess.run([str(board_program)], capture_output=True, text=True)
    assert proc.returncode == 2 and "usage: board_pipeline" in proc.stderr


def test_example_suite_passes(suite: pytest.Pytester, board_program: Path, captures: Path) -> None:
    result = suite.runpytest(
        f"--pyalign-captures={captures}", f"--board-program={board_program}", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(
        [
            "*pyalign alignment summary*",
            "frame_000*preprocessed*PASS*1/1*",
            "frame_000*postprocessed*PASS*1/1*",
            "frame_001*preprocessed*PASS*",
            "frame_001*postprocessed*PASS*",
            "4 checks on 2 cases: 4 aligned, 0 misaligned",
        ]
    )


def test_example_suite_catches_a_channel_swap(suite: pytest.Pytester, board_program: Path, captures: Path) -> None:
    result = suite.runpytest(
        f"--pyalign-captures={captures}", f"--board-program={board_program}", "--board-bug=bgr",
        "-p", "no:cacheprovider",
    )
    result.assert_outcomes(passed=4, failed=2)
    out = result.stdout.str()
    assert "FAILED test_board.py::test_preprocessing[frame_000]" in out
    assert "FAILED test_board.py::test_preprocessing[frame_001]" in out
    assert "pyalign: case frame_000 is misaligned" in out
    result.stdout.fnmatch_lines(["frame_000*preprocessed*FAIL*0/1*max|diff| *", "frame_000*postprocessed*PASS*"])


def test_example_reciprocal_normalize_is_within_tolerance(
    suite: pytest.Pytester, board_program: Path, captures: Path
) -> None:
    # x * (1/255) differs from x / 255 by at most an ulp: aligned under the default 1e-4 rule,
    # misaligned when the suite demands bit-exactness.
    ok = suite.runpytest(
        f"--pyalign-captures={captures}", f"--board-program={board_program}", "--board-bug=reciprocal",
        "-p", "no:cacheprovider", "-k", "preprocessing",
    )
    ok.assert_outcomes(passed=2)
    strict = suite.runpytest(
        f"--pyalign-captures={captures}", f"--board-program={board_program}", "--board-bug=reciprocal",
        "--pyalign-atol=preprocessed=1e-9", "-p", "no:cacheprovider", "-k", "preprocessing",
    )
    strict.assert_outcomes(failed=2)

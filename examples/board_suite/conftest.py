"""Fixtures of the example board suite: the board program, and its output for the current case.

``--board-program PATH`` (or the environment variable ``BOARD_PIPELINE``) names a built
``board_pipeline``; without it the program is built here with CMake into ``build/`` (once, under a
file lock, so ``pytest -n 2`` workers do not build it twice). The build uses pyalign's C++ core from
``$PYALIGN_CPP_DIR`` when set (a copied suite points it at pyalign's ``cpp/`` directory), else from
``../../cpp`` (this suite inside the pyalign tree). A failed build shows CMake's output.
``--board-bug NAME`` passes ``--bug NAME`` to the program to show what a misaligned board looks like.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

HERE = Path(__file__).resolve().parent


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("board suite")
    group.addoption("--board-program", metavar="PATH", default=os.environ.get("BOARD_PIPELINE"),
                    help="the built board_pipeline (default: $BOARD_PIPELINE, else build it with CMake)")
    group.addoption("--board-bug", metavar="NAME", default=None,
                    help="run the board program with --bug NAME (bgr, pad0, reciprocal, iou)")


def _cpp_dir() -> Path:
    """pyalign's cpp/ directory: ``$PYALIGN_CPP_DIR``, else the one of the tree this suite is in."""
    env = os.environ.get("PYALIGN_CPP_DIR")
    cpp = Path(env).expanduser().resolve() if env else (HERE / ".." / ".." / "cpp").resolve()
    if not (cpp / "CMakeLists.txt").is_file():
        where = f"PYALIGN_CPP_DIR={env}" if env else f"{cpp} (this suite is not inside a pyalign checkout)"
        pytest.fail(f"cannot build board_pipeline: no pyalign cpp/CMakeLists.txt in {where}; set the environment "
                    "variable PYALIGN_CPP_DIR to pyalign's cpp/ directory, or pass --board-program PATH",
                    pytrace=False)
    return cpp


def _run_cmake(args: List[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()
        pytest.fail(f"building board_pipeline failed: {' '.join(args)} exited with {proc.returncode}\n"
                    f"--- CMake output ---\n{output}", pytrace=False)


def _build(build_dir: Path) -> Path:
    if shutil.which("cmake") is None:
        pytest.skip("cmake is not installed: build board_pipeline yourself and pass --board-program")
    cpp = _cpp_dir()
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        exe = build_dir / "board_pipeline"
        _run_cmake(["cmake", "-S", str(HERE), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                    f"-DPYALIGN_CPP_DIR={cpp}"])
        _run_cmake(["cmake", "--build", str(build_dir), "--target", "board_pipeline", "-j2"])
        return exe


@pytest.fixture(scope="session")
def board_program(pytestconfig: pytest.Config) -> Path:
    """Path of the board program (built on first use when not given)."""
    given = pytestconfig.getoption("board_program")
    if given:
        exe = Path(given)
        if not exe.is_file():
            raise pytest.UsageError(f"--board-program {exe}: no such file")
        return exe
    return _build(HERE / "build")


@pytest.fixture(scope="session")
def _board_runs() -> Dict[str, Path]:
    return {}


@pytest.fixture
def board_output(pyalign_case, board_program: Path, pytestconfig: pytest.Config,
                 tmp_path_factory: pytest.TempPathFactory, _board_runs: Dict[str, Path]) -> Path:
    """Run the board program on the current capture set (once per case); return its output directory."""
    if pyalign_case.id not in _board_runs:
        out = tmp_path_factory.mktemp("board") / pyalign_case.dir.name
        cmd = [str(board_program), str(pyalign_case.dir), str(out)]
        bug = pytestconfig.getoption("board_bug")
        if bug:
            cmd += ["--bug", bug]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.fail(f"board program failed ({proc.returncode}): {proc.stderr.strip()}", pytrace=False)
        _board_runs[pyalign_case.id] = out
    return _board_runs[pyalign_case.id]

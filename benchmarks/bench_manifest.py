"""Benchmark: reading the manifest of a capture set with many tensors.

Writes one case whose manifest lists N tensors (default 50,000; stage
``model_output``, names ``out<i>``, each with a sha256, layout and kind, as the
writers produce them) and times, in this process, best of --repeat runs:

* C++: ``pyalign._core.read_manifest`` (the board-side reader: JSON parse,
  validation, the symlink-escape check of every file, duplicate checks);
* Python: ``pyalign.store.read_case(..., verify_checksums=False)`` (the same
  validation plus the size check of every file), for scale.

With ``--files`` (the default) every tensor has its (empty, shape [0]) file, so the
symlink check resolves real paths; ``--no-files`` leaves the files out (the C++
reader does not open tensor files, the Python reader then is not timed).

Usage: python benchmarks/bench_manifest.py [--tensors 50000] [--repeat 3] [--no-files] [--no-python]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Callable, Tuple

EMPTY_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def write_case(root: Path, n: int, files: bool) -> Path:
    case = root / "many"
    case.mkdir()
    tensors = []
    for i in range(n):
        name = f"out{i}"
        file = f"model_output.{name}.bin"
        tensors.append({"stage": "model_output", "name": name, "file": file, "dtype": "float32",
                        "shape": [1, 0, 4], "layout": "CHW", "kind": "tensor", "sha256": EMPTY_SHA})
        if files:
            (case / file).touch()
    manifest = {"format": "pyalign.capture", "version": 1, "case": "many",
                "provenance": {"pyalign": "0.1.0", "writer": "pyalign-python"}, "tensors": tensors}
    (case / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return case


def best_s(fn: Callable[[], object], repeat: int) -> Tuple[float, float]:
    """Best wall-clock and best CPU time (this process) of `repeat` runs, in seconds."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tensors", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--files", action=argparse.BooleanOptionalAction, default=True,
                    help="create each tensor's (empty) file")
    ap.add_argument("--python", action=argparse.BooleanOptionalAction, default=True,
                    help="also time pyalign.store.read_case")
    args = ap.parse_args()

    from pyalign import _core

    with tempfile.TemporaryDirectory() as tmp:
        case = write_case(Path(tmp), args.tensors, args.files)
        size = (case / "manifest.json").stat().st_size
        man = _core.read_manifest(str(case))
        assert len(man["tensors"]) == args.tensors
        cpp, cpp_cpu = best_s(lambda: _core.read_manifest(str(case)), args.repeat)
        print(f"manifest: {args.tensors} tensors, {size / 1e6:.1f} MB, files {'present' if args.files else 'absent'}"
              f" (best of {args.repeat}; CPU time of this process beside the wall-clock time)")
        print(f"C++ _core.read_manifest          {cpp * 1e3:9.1f} ms wall {cpp_cpu * 1e3:9.1f} ms CPU"
              f"  ({cpp / args.tensors * 1e6:.2f} us per tensor)")
        if args.python and args.files:
            from pyalign.store import read_case

            py, py_cpu = best_s(lambda: read_case(case, verify_checksums=False), args.repeat)
            print(f"Python store.read_case (no sha)  {py * 1e3:9.1f} ms wall {py_cpu * 1e3:9.1f} ms CPU"
                  f"  (C++ / Python = {cpp / py:.2f})")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Run every test: the C++ unit tests (plain, then under AddressSanitizer + UBSan), the fuzzers
# (with clang++ only; PYALIGN_FUZZ_SECONDS each, default 60) and the Python suite.
# Needs pyalign installed (pip install -e ".[test]").
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${PYALIGN_BUILD_JOBS:-2}"

echo "== C++ unit tests"
cmake -S cpp -B build/cpp -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/cpp -j "$jobs" >/dev/null
ctest --test-dir build/cpp --output-on-failure

echo "== C++ unit tests under AddressSanitizer + UBSan"
cmake -S cpp -B build/cpp-asan -DCMAKE_BUILD_TYPE=Debug -DPYALIGN_SANITIZE=ON >/dev/null
cmake --build build/cpp-asan -j "$jobs" >/dev/null
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build/cpp-asan --output-on-failure

if command -v clang++ >/dev/null 2>&1; then
  echo "== Fuzzing the manifest reader, the .bin loader and the spec parser (${PYALIGN_FUZZ_SECONDS:-60} s each)"
  bash scripts/fuzz.sh "${PYALIGN_FUZZ_SECONDS:-60}"
else
  echo "== Fuzzing skipped: no clang++ (apt-get install clang)"
fi

echo "== Python tests"
python -m pytest -n "$jobs" -q "$@"

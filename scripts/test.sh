#!/usr/bin/env bash
# Run every test: the C++ unit tests (plain, then under AddressSanitizer + UBSan)
# and the Python suite. Needs pyalign installed (pip install -e ".[test]").
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

echo "== Python tests"
python -m pytest -n "$jobs" -q "$@"

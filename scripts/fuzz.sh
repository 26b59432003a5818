#!/usr/bin/env bash
# Fuzz the readers of untrusted input (docs/security.md): build the libFuzzer targets in
# cpp/fuzz/ with clang (ASan + UBSan) and run each for SECONDS (default 60), starting from the
# committed seeds (cpp/fuzz/corpus/<target>/) with the JSON dictionary (cpp/fuzz/json.dict).
# New inputs go to build/fuzz/corpus/<target>/ (kept between runs, not committed); a crash, a leak,
# undefined behaviour, an uncaught exception or a slow input (> 10 s) fails the script (exit 1)
# and leaves the reproducer in build/fuzz/artifacts/. Reproduce one with:
#   build/fuzz/<target> build/fuzz/artifacts/<target>-crash-...
#
#   scripts/fuzz.sh [SECONDS]          PYALIGN_FUZZ_TARGETS="fuzz_spec" scripts/fuzz.sh 600
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
jobs="${PYALIGN_BUILD_JOBS:-2}"
targets="${PYALIGN_FUZZ_TARGETS:-fuzz_manifest fuzz_bin fuzz_spec}"

if ! command -v clang++ >/dev/null 2>&1; then
  echo "error: scripts/fuzz.sh needs clang++ with libFuzzer (Debian/Ubuntu: apt-get install clang)" >&2
  exit 2
fi

cmake -S cpp -B build/fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPYALIGN_FUZZ=ON -DPYALIGN_BUILD_TESTS=OFF >/dev/null
# shellcheck disable=SC2086
cmake --build build/fuzz -j "$jobs" --target $targets >/dev/null

mkdir -p build/fuzz/artifacts
failed=()
for t in $targets; do
  mkdir -p "build/fuzz/corpus/$t"
  echo "-- $t: ${seconds} s"
  if ! ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0" UBSAN_OPTIONS="print_stacktrace=1" \
      "build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -dict=cpp/fuzz/json.dict -artifact_prefix="build/fuzz/artifacts/$t-" \
      "build/fuzz/corpus/$t" "cpp/fuzz/corpus/$t" >"build/fuzz/$t.log" 2>&1; then
    failed+=("$t")
    tail -n 40 "build/fuzz/$t.log" >&2
  fi
  grep -E "^stat::number_of_executed_units|^Done [0-9]+ runs" "build/fuzz/$t.log" || true
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "error: fuzzing found a problem in: ${failed[*]} (logs: build/fuzz/<target>.log," \
       "reproducers: build/fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzzing: no crash in ${targets// /, } (${seconds} s each)"

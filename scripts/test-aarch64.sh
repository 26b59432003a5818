#!/usr/bin/env bash
# Prove that the C++ core gives the same results on aarch64 as on x86-64.
#
#   1. cross-compile cpp/ for aarch64 (Release, -Wall -Wextra -Werror) with
#      cpp/cmake/aarch64-linux-gnu.cmake and run every ctest program under qemu-aarch64;
#   2. build the golden program (cpp/tests/test_golden.cpp) natively four times -- as shipped
#      (SSE4.1 / AVX2 kernels and AVX2 / AVX-512 clones picked at run time), portable only
#      (-DPYALIGN_NO_CLONES -DPYALIGN_NO_DISPATCH -DPYALIGN_COMPARE_NO_AVX2), scalar comparator
#      (-DPYALIGN_COMPARE_SCALAR) and unoptimised (Debug, -O0) -- run it natively (also with glibc's
#      FMA/AVX2 libm variants disabled, and once per SIMD level the CPU has, PYALIGN_SIMD=...) and
#      under qemu (NEON and portable level), and require every SHA-256 digest to be identical.
#
#   With --sanitize, also runs every ctest program of an aarch64 ASan + UBSan build under qemu
#   (LeakSanitizer is off: it cannot run under qemu user-mode). Slower: about 2 more minutes.
#
# Needs: cmake, g++, aarch64-linux-gnu-g++ and qemu-aarch64 (or qemu-aarch64-static); on
# Debian/Ubuntu: apt-get install g++-aarch64-linux-gnu qemu-user. Exits non-zero on any build
# warning, test failure or digest difference. Build trees: $PYALIGN_AARCH64_BUILD (default
# build/aarch64-check), reused between runs (incremental) and locked against concurrent runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
jobs="${PYALIGN_BUILD_JOBS:-2}"
out="${PYALIGN_AARCH64_BUILD:-build/aarch64-check}"
sysroot="${PYALIGN_CROSS_SYSROOT:-/usr/aarch64-linux-gnu}"
toolchain="$root/cpp/cmake/aarch64-linux-gnu.cmake"
start=$SECONDS
sanitize=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "test-aarch64: unknown argument $arg (usage: scripts/test-aarch64.sh [--sanitize])" >&2; exit 2 ;;
  esac
done

die() { echo "test-aarch64: $*" >&2; exit 1; }
step() { echo "== [$((SECONDS - start))s] $*"; }

command -v aarch64-linux-gnu-g++ >/dev/null || die "aarch64-linux-gnu-g++ not found (apt-get install g++-aarch64-linux-gnu)"
qemu="$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)"
[ -n "$qemu" ] || die "qemu-aarch64 not found (apt-get install qemu-user, or qemu-user-static)"
[ -d "$sysroot" ] || die "cross sysroot $sysroot not found (set PYALIGN_CROSS_SYSROOT)"

mkdir -p "$out"
exec 9>"$out/.lock"
flock 9  # one run at a time per build tree

# configure + build; $1 = build dir, $2 = targets ("" = all), rest = cmake options.
# Any compiler warning fails the build (-Werror on top of the project's -Wall -Wextra).
build() {
  local dir="$1" targets="$2"
  shift 2
  cmake -S cpp -B "$dir" "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; die "configure failed: $dir"; }
  local t=()
  [ -n "$targets" ] && t=(--target $targets)
  cmake --build "$dir" -j "$jobs" "${t[@]}" >"$dir.build.log" 2>&1 || { cat "$dir.build.log"; die "build failed: $dir"; }
}

step "cross-build cpp/ for aarch64 (Release, -Werror)"
build "$out/aarch64" "" -DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DPYALIGN_CROSS_SYSROOT="$sysroot" \
  -DCMAKE_CXX_FLAGS="-Werror"
# ELF e_machine (bytes 18-19, little-endian) must be EM_AARCH64 = 183 (0xb7)
[ "$(od -An -tx1 -j18 -N2 "$out/aarch64/test_golden" | tr -d ' \n')" = "b700" ] ||
  die "$out/aarch64/test_golden is not an aarch64 executable"

step "ctest under qemu-aarch64 ($qemu)"
ctest --test-dir "$out/aarch64" --output-on-failure -j "$jobs" || die "C++ tests failed on aarch64"

step "native builds of the golden program (as shipped, portable only, scalar comparator, -O0)"
build "$out/x86_64" test_golden -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-Werror"
build "$out/x86_64-portable" test_golden -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS="-Werror -DPYALIGN_NO_CLONES -DPYALIGN_NO_DISPATCH -DPYALIGN_COMPARE_NO_AVX2"
build "$out/x86_64-scalar" test_golden -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS="-Werror -DPYALIGN_NO_CLONES -DPYALIGN_NO_DISPATCH -DPYALIGN_COMPARE_SCALAR"
build "$out/x86_64-O0" test_golden -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-Werror"

step "golden digests"
digests="$out/digests"
mkdir -p "$digests"
"$out/x86_64/test_golden" --print >"$digests/x86_64.txt"
"$out/x86_64-portable/test_golden" --print >"$digests/x86_64-portable.txt"
"$out/x86_64-scalar/test_golden" --print >"$digests/x86_64-scalar.txt"
"$out/x86_64-O0/test_golden" --print >"$digests/x86_64-O0.txt"
# glibc picks FMA/AVX2 builds of exp/log at load time; the digests must not depend on that either
GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA,-FMA4,-AVX512F \
  "$out/x86_64/test_golden" --print >"$digests/x86_64-libm-sse2.txt"
"$qemu" -L "$sysroot" "$out/aarch64/test_golden" --print >"$digests/aarch64.txt"
# every SIMD level of the kernels (pyalign/simd.hpp): natively each level this CPU has, under qemu each
# level of aarch64 (portable, neon)
levels=()
for level in $("$out/x86_64/test_golden" --levels); do
  PYALIGN_SIMD="$level" "$out/x86_64/test_golden" --print >"$digests/x86_64-simd-$level.txt"
  levels+=("$digests/x86_64-simd-$level.txt")
done
for level in $("$qemu" -L "$sysroot" "$out/aarch64/test_golden" --levels); do
  PYALIGN_SIMD="$level" "$qemu" -L "$sysroot" "$out/aarch64/test_golden" --print >"$digests/aarch64-simd-$level.txt"
  levels+=("$digests/aarch64-simd-$level.txt")
done
[ "${#levels[@]}" -ge 3 ] || die "expected at least portable + one SIMD level natively and under qemu"

ref="$digests/x86_64.txt"
n=$(wc -l <"$ref")
[ "$n" -gt 100 ] && tail -n 1 "$ref" | grep -q " ALL$" || die "$ref: incomplete digest list"
status=0
for f in "$digests/x86_64-portable.txt" "$digests/x86_64-scalar.txt" "$digests/x86_64-O0.txt" "$digests/x86_64-libm-sse2.txt" \
  "$digests/aarch64.txt" "${levels[@]}"; do
  if cmp -s "$ref" "$f"; then
    echo "identical: $(basename "$f" .txt) == x86_64 ($((n - 1)) outputs, $(tail -n 1 "$f" | cut -c1-16)...)"
  else
    status=1
    echo "DIFFERENT: $(basename "$f" .txt) vs x86_64; outputs that differ:" >&2
    # lines are "<sha256> <bytes> <name>"; show the names whose digest differs
    LC_ALL=C join -1 3 -2 3 -o 0,1.1,2.1 <(grep -v ' ALL$' "$ref" | LC_ALL=C sort -k3,3) \
      <(grep -v ' ALL$' "$f" | LC_ALL=C sort -k3,3) | awk '$2 != $3 {print "  " $1}' >&2
    diff <(cut -d' ' -f3 "$ref") <(cut -d' ' -f3 "$f") >&2 || echo "  (the lists of outputs differ too)" >&2
  fi
done
[ "$status" -eq 0 ] || die "digests differ between architectures or builds (see $digests/)"

if [ "$sanitize" -eq 1 ]; then
  step "cross-build cpp/ for aarch64 with ASan + UBSan (Debug)"
  cmake -S cpp -B "$out/aarch64-asan" -DCMAKE_BUILD_TYPE=Debug -DPYALIGN_SANITIZE=ON \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DPYALIGN_CROSS_SYSROOT="$sysroot" -DCMAKE_CXX_FLAGS="-Werror" \
    >"$out/aarch64-asan.configure.log" 2>&1 || { cat "$out/aarch64-asan.configure.log"; die "configure failed"; }
  cmake --build "$out/aarch64-asan" -j "$jobs" >"$out/aarch64-asan.build.log" 2>&1 ||
    { cat "$out/aarch64-asan.build.log"; die "build failed: $out/aarch64-asan"; }
  step "ctest under qemu-aarch64 with ASan + UBSan"
  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$out/aarch64-asan" --output-on-failure -j "$jobs" || die "C++ tests failed under ASan/UBSan on aarch64"
fi
step "done"
echo "test-aarch64: all C++ tests pass under qemu-aarch64 and every golden digest is identical"

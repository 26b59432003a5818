// Internal: compile-time switches and run-time selection of the explicit SIMD kernels.
//
// Kernels for a level live in their own source files (resize_sse41.cpp, csc_avx2.cpp,
// resize_neon.cpp, ...). x86 kernels carry a function target attribute (PYALIGN_TARGET_SSE41 /
// PYALIGN_TARGET_AVX2), so the files need no special compiler flags and the rest of the library
// stays baseline x86-64; they only run after the CPU was checked (simd.cpp). NEON is part of every
// aarch64 CPU. -DPYALIGN_NO_DISPATCH builds the portable code only.
#pragma once

#include <atomic>

#include "pyalign/simd.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(PYALIGN_NO_DISPATCH)
#define PYALIGN_SIMD_X86 1
#define PYALIGN_TARGET_SSE41 __attribute__((target("sse4.1")))
#define PYALIGN_TARGET_AVX2 __attribute__((target("avx2")))
#endif

#if defined(__aarch64__) && defined(__ARM_NEON) && !defined(PYALIGN_NO_DISPATCH)
#define PYALIGN_SIMD_NEON 1
#endif

namespace pyalign {
namespace detail {

extern std::atomic<int> g_simd_level;  // a SimdLevel; set once at start-up, then by set_simd_level
void init_simd_level();

/// The level to use for one call (read once per call, so that a call is consistent).
inline SimdLevel active_simd_level() {
    int v = g_simd_level.load(std::memory_order_relaxed);
    if (v < 0) {
        init_simd_level();
        v = g_simd_level.load(std::memory_order_relaxed);
    }
    return static_cast<SimdLevel>(v);
}

}  // namespace detail
}  // namespace pyalign

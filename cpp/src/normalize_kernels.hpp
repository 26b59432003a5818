// Internal: explicit SIMD kernels of the uint8 -> float32 normalisation (x - mean) / std
// (normalize_avx2.cpp, normalize_neon.cpp). The portable loops in normalize.cpp are the reference.
//
// The kernels do not divide: with r = 1 / std (float), they compute
//   q0 = a * r,  e = fma(-q0, std, a),  q = fma(e, r, q0)        (a = float(x) - mean)
// i.e. the quotient corrected by its exact residual (Markstein). RowWriter uses them only for a
// channel whose 256 possible inputs x = 0..255 all give the bits of the IEEE division a / std with
// this formula (checked when it is built, in portable code with std::fma); otherwise it divides.
// Both fused multiply-adds round once by IEEE 754 on every CPU, so the result does not depend on
// the CPU either.
//
// Planar: channel k of n interleaved C-channel pixels into planes[k]. Interleaved: n elements,
// m / s / r per element. Both return the pixels (elements) done: n, or 0 when n is shorter than
// their block; they read and write nothing outside those.
#pragma once

#include <cstdint>

#include "simd.hpp"

namespace pyalign {
namespace detail {

using PlanesKernel = int (*)(const uint8_t* src, int n, const float* m, const float* s, const float* r,
                             float* const* planes);
using InterleavedKernel = int (*)(const uint8_t* src, int n, const float* m, const float* s, const float* r,
                                  float* dst);

struct NormalizeKernels {
    PlanesKernel planes[5];  // by channel count; nullptr: portable
    InterleavedKernel interleaved;
};

#if defined(PYALIGN_SIMD_X86)
extern const NormalizeKernels kNormalizeAVX2;
#endif
#if defined(PYALIGN_SIMD_NEON)
extern const NormalizeKernels kNormalizeNEON;
#endif

/// The kernels of a level, or nullptr (portable; SSE4.1 has no fused multiply-add).
inline const NormalizeKernels* normalize_kernels(SimdLevel level) {
    switch (level) {
#if defined(PYALIGN_SIMD_X86)
        case SimdLevel::AVX2: return &kNormalizeAVX2;
#endif
#if defined(PYALIGN_SIMD_NEON)
        case SimdLevel::NEON: return &kNormalizeNEON;
#endif
        default: return nullptr;
    }
}

}  // namespace detail
}  // namespace pyalign

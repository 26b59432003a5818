// Internal: the explicit SIMD row kernels of the uint8 linear resize (resize_sse41.cpp,
// resize_avx2.cpp, resize_neon.cpp). The portable loops in resize.cpp are the reference; every
// kernel here computes the same integers for every input (checked by the tests at every level).
//
// Horizontal pass, for destination pixels [0, n):
//   out[dx*cn + c] = (src[xofs0[dx] + c] * a0 + src[xofs0[dx] + cn + c] * a1) >> 4
// The second tap is always read at xofs0 + cn: LinearResizeU8 only hands the kernels the prefix of
// pixels whose second tap is there or has weight 0, and whose first tap has 8 readable bytes
// (xofs0 + 8 <= row bytes). Weights come split as a = 64 * hi + lo (0 <= lo < 64, a in [0, 2048]),
// stored as byte pairs (hi0, hi1) in `whi` and (lo0, lo1) in `wlo`, per destination element for 1
// and 4 channels, and per pair of pixels in 16 bytes (12 + 4 zero bytes) for 3 channels. Then
//   (s0*a0 + s1*a1) >> 4 = 4 * (s0*hi0 + s1*hi1) + ((s0*lo0 + s1*lo1) >> 4)
// exactly (64 * x is a multiple of 16), and both partial sums fit in int16 (8160 and 32130 at most).
// A kernel returns how many leading pixels it computed: n, or (3 channels) possibly n - 1, or 0 when
// n is shorter than its block (the caller computes the rest); the last block may overlap the one
// before (it stores the same values again). It may store up to
// kHpassSlack int16 past out + n*cn (garbage, overwritten by the caller's tail).
//
// Vertical pass over n elements: dst[i] = sat_u8((((b0*h0[i]) >> 16) + ((b1*h1[i]) >> 16) + 2) >> 2);
// returns n, or 0 when n is shorter than its block; it never writes past dst + n.
#pragma once

#include <cstdint>

#include "simd.hpp"

namespace pyalign {
namespace detail {

inline constexpr int kHpassSlack = 64;  // int16 elements a kernel may write past its last pixel
inline constexpr int kHpassRead = 8;    // bytes read from each first tap

using HpassKernel = int (*)(const uint8_t* src, int16_t* out, const int32_t* xofs0, const uint8_t* whi,
                            const uint8_t* wlo, int n);
using VpassKernel = int (*)(const int16_t* h0, const int16_t* h1, int16_t b0, int16_t b1, uint8_t* dst, int n);
// Exact 2x downscale (the source row has exactly 2 * n pixels): out[dx*cn + c] = sum of channel c of
// source pixels 2dx and 2dx+1; returns the pixels done (a prefix, the caller does the rest; may store
// kHpassSlack int16 past them). Vertical: dst[i] = (h0[i] + h1[i] + 2) >> 2, returns n or 0.
using Area2HKernel = int (*)(const uint8_t* src, int16_t* out, int n);
using Area2VKernel = int (*)(const int16_t* h0, const int16_t* h1, uint8_t* dst, int n);

struct ResizeKernels {
    HpassKernel hpass[5];  // by channel count; nullptr: portable only
    VpassKernel vpass;
    Area2HKernel area2_hpass[5];
    Area2VKernel area2_vpass;  // not for 2 channels (rounded half to even, portable)
};

#if defined(PYALIGN_SIMD_X86)
extern const ResizeKernels kResizeSSE41;
extern const ResizeKernels kResizeAVX2;
#endif
#if defined(PYALIGN_SIMD_NEON)
extern const ResizeKernels kResizeNEON;
#endif

/// The kernels of a level, or nullptr for the portable level.
inline const ResizeKernels* resize_kernels(SimdLevel level) {
    switch (level) {
#if defined(PYALIGN_SIMD_X86)
        case SimdLevel::SSE41: return &kResizeSSE41;
        case SimdLevel::AVX2: return &kResizeAVX2;
#endif
#if defined(PYALIGN_SIMD_NEON)
        case SimdLevel::NEON: return &kResizeNEON;
#endif
        default: return nullptr;
    }
}

}  // namespace detail
}  // namespace pyalign

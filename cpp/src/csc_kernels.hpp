// Internal: the explicit SIMD kernels of the OpenCV-mode YUV -> BGR/RGB conversion (csc_sse41.cpp,
// csc_avx2.cpp, csc_neon.cpp). The portable loops in csc.cpp are the reference; every kernel
// computes, per pixel, exactly csc.hpp's integer formula:
//   y = max(Y - 16, 0) * 1220542, R = sat((y + 2^19 + 1673527 (V-128)) >> 20), ...
// in 32-bit lanes (the constant parts folded: 2^19 + 1673527 (V - 128) = (2^19 - 128*1673527) +
// 1673527 V, the same integer).
//
// A kernel converts pixels [0, n) of one row (n even) and returns n, or 0 when n is shorter than its
// block (the caller converts the row then); the last block may overlap the one before (it writes
// the same bytes again). It reads only those pixels' bytes and writes only their 3 output bytes each.
//   4:2:0: y = the luma row, uv = the interleaved chroma row (U,V for NV12, V,U for NV21)
//   4:2:2: p = the packed row (Y0 U Y1 V for YUYV, U Y0 V Y1 for UYVY)
#pragma once

#include <cstdint>

#include "simd.hpp"

namespace pyalign {
namespace detail {

using Yuv420Kernel = int (*)(const uint8_t* y, const uint8_t* uv, uint8_t* out, int n);
using Yuv422Kernel = int (*)(const uint8_t* p, uint8_t* out, int n);
using Yuv420Area2Kernel = int (*)(const uint8_t* y0, const uint8_t* y1, const uint8_t* uv, uint8_t* out, int n);

struct CscKernels {
    Yuv420Kernel yuv420[2][2];  // [0: U,V (NV12), 1: V,U (NV21)][0: BGR, 1: RGB]
    Yuv422Kernel yuv422[2][2];  // [0: YUYV, 1: UYVY][0: BGR, 1: RGB]
    // Per-pixel chroma (YuvRowConverter::convert_columns): y[i] and the 2 chroma bytes uv[2i], uv[2i+1]
    // of pixel i (U,V or V,U), any n (no pairs).
    Yuv420Kernel yuv_px[2][2];  // [0: U,V, 1: V,U][0: BGR, 1: RGB]
    // Exact 2x downscale of 4:2:0 (YuvRowConverter::convert_area2_row): n output pixels from luma
    // rows y0, y1 (2n bytes each) and their chroma row (2n bytes); per channel (a + b + c + d + 2) >> 2
    // of the converted 2x2 block (all four share the chroma pair).
    Yuv420Area2Kernel yuv420_area2[2][2];  // [0: U,V, 1: V,U][0: BGR, 1: RGB]
};

namespace csc_const {
inline constexpr int32_t kCY = 1220542, kCUB = 2116026, kCUG = -409993, kCVG = -852492, kCVR = 1673527;
inline constexpr int32_t kHalf = 1 << 19;
inline constexpr int32_t kR0 = kHalf - 128 * kCVR;           // R = (y + kR0 + kCVR V) >> 20
inline constexpr int32_t kG0 = kHalf - 128 * (kCVG + kCUG);  // G = (y + kG0 + kCVG V + kCUG U) >> 20
inline constexpr int32_t kB0 = kHalf - 128 * kCUB;           // B = (y + kB0 + kCUB U) >> 20
}  // namespace csc_const

/// Byte shuffles of the x86 kernels' 3-way interleave. A kernel holds each output channel of 16
/// pixels as 16 bytes [8 even pixels, 8 odd pixels]; output byte j of 16-byte chunk k (0..2) is
/// channel (16k + j) % 3 of pixel (16k + j) / 3, i.e. byte m[k][ch][j] of channel ch (-1: none).
struct Interleave3 {
    int8_t m[3][3][16] = {};
};
constexpr Interleave3 make_interleave3(bool even_odd) {
    Interleave3 t;
    for (int k = 0; k < 3; ++k)
        for (int ch = 0; ch < 3; ++ch)
            for (int j = 0; j < 16; ++j) {
                const int q = 16 * k + j, p = q / 3;
                const int at = even_odd ? (p % 2 == 0 ? p / 2 : 8 + p / 2) : p;
                t.m[k][ch][j] = static_cast<int8_t>(q % 3 == ch ? at : -1);
            }
    return t;
}
inline constexpr Interleave3 kInterleave3 = make_interleave3(true);
/// The same for channels held in pixel order (byte p = pixel p).
inline constexpr Interleave3 kInterleave3Natural = make_interleave3(false);

#if defined(PYALIGN_SIMD_X86)
extern const CscKernels kCscSSE41;
extern const CscKernels kCscAVX2;
#endif
#if defined(PYALIGN_SIMD_NEON)
extern const CscKernels kCscNEON;
#endif

/// The kernels of a level, or nullptr for the portable level.
inline const CscKernels* csc_kernels(SimdLevel level) {
    switch (level) {
#if defined(PYALIGN_SIMD_X86)
        case SimdLevel::SSE41: return &kCscSSE41;
        case SimdLevel::AVX2: return &kCscAVX2;
#endif
#if defined(PYALIGN_SIMD_NEON)
        case SimdLevel::NEON: return &kCscNEON;
#endif
        default: return nullptr;
    }
}

}  // namespace detail
}  // namespace pyalign

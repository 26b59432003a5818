// NEON row kernels of the uint8 linear resize (see resize_kernels.hpp for the contract).
#include "resize_kernels.hpp"

#if defined(PYALIGN_SIMD_NEON)

#include <arm_neon.h>

#include <cstring>

namespace pyalign {
namespace detail {
namespace {

// (s0*a0 + s1*a1) >> 4 for 8 elements: taps s0, s1, weights deinterleaved from the hi / lo byte pairs.
inline int16x8_t weigh(uint8x8_t s0, uint8x8_t s1, const uint8_t* whi, const uint8_t* wlo) {
    const uint8x8x2_t h = vld2_u8(whi), l = vld2_u8(wlo);
    const uint16x8_t hi = vmlal_u8(vmull_u8(s0, h.val[0]), s1, h.val[1]);  // <= 8160
    const uint16x8_t lo = vmlal_u8(vmull_u8(s0, l.val[0]), s1, l.val[1]);  // <= 32130
    return vreinterpretq_s16_u16(vsraq_n_u16(vshlq_n_u16(hi, 2), lo, 4));
}

inline uint16_t load16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

inline uint8x8_t load8(const uint8_t* p) { return vld1_u8(p); }

// 1 channel: 8 pixels per step; the two taps of a pixel are 2 adjacent bytes (one 16-bit lane).
int hpass_c1(const uint8_t* src, int16_t* out, const int32_t* xofs, const uint8_t* whi, const uint8_t* wlo, int n) {
    if (n < 8) return 0;
    for (int dx = 0;; dx += 8) {
        if (dx > n - 8) dx = n - 8;  // the last block overlaps the previous one (same values)
        const int32_t* x = xofs + dx;
        const uint16_t lanes[8] = {load16(src + x[0]), load16(src + x[1]), load16(src + x[2]), load16(src + x[3]),
                                   load16(src + x[4]), load16(src + x[5]), load16(src + x[6]), load16(src + x[7])};
        const uint16x8_t taps = vld1q_u16(lanes);
        vst1q_s16(out + dx, weigh(vmovn_u16(taps), vshrn_n_u16(taps, 8), whi + 2 * dx, wlo + 2 * dx));
        if (dx == n - 8) return n;
    }
}

// 3 channels: 2 pixels per step (weights in groups of 2 pixels), one 8-byte load per pixel.
int hpass_c3(const uint8_t* src, int16_t* out, const int32_t* xofs, const uint8_t* whi, const uint8_t* wlo, int n) {
    const uint8_t first_idx[8] = {0, 1, 2, 8, 9, 10, 16, 16};  // 16: out of the table, gives 0
    const uint8_t second_idx[8] = {3, 4, 5, 11, 12, 13, 16, 16};
    const uint8x8_t i0 = vld1_u8(first_idx), i1 = vld1_u8(second_idx);
    int dx = 0;
    for (; dx + 2 <= n; dx += 2) {
        const uint8x16_t t = vcombine_u8(load8(src + xofs[dx]), load8(src + xofs[dx + 1]));
        vst1q_s16(out + 3 * dx, weigh(vqtbl1_u8(t, i0), vqtbl1_u8(t, i1), whi + 8 * dx, wlo + 8 * dx));  // 6 + 2 slack
    }
    return dx;
}

// 4 channels: 2 pixels per step, one 8-byte load per pixel.
int hpass_c4(const uint8_t* src, int16_t* out, const int32_t* xofs, const uint8_t* whi, const uint8_t* wlo, int n) {
    const uint8_t first_idx[8] = {0, 1, 2, 3, 8, 9, 10, 11};
    const uint8_t second_idx[8] = {4, 5, 6, 7, 12, 13, 14, 15};
    const uint8x8_t i0 = vld1_u8(first_idx), i1 = vld1_u8(second_idx);
    if (n < 2) return 0;
    for (int dx = 0;; dx += 2) {
        if (dx > n - 2) dx = n - 2;  // the last block overlaps the previous one (same values)
        const uint8x16_t t = vcombine_u8(load8(src + xofs[dx]), load8(src + xofs[dx + 1]));
        vst1q_s16(out + 4 * dx, weigh(vqtbl1_u8(t, i0), vqtbl1_u8(t, i1), whi + 8 * dx, wlo + 8 * dx));
        if (dx == n - 2) return n;
    }
}

// ((b * h) >> 16) for 8 int16 values, exactly (a widening multiply, then a narrowing shift).
inline int16x8_t mulhi(int16x8_t h, int16x4_t b) {
    const int32x4_t lo = vmull_s16(vget_low_s16(h), b);
    const int32x4_t hi = vmull_s16(vget_high_s16(h), b);
    return vcombine_s16(vshrn_n_s32(lo, 16), vshrn_n_s32(hi, 16));
}

int vpass(const int16_t* h0, const int16_t* h1, int16_t b0, int16_t b1, uint8_t* dst, int n) {
    const int16x4_t vb0 = vdup_n_s16(b0), vb1 = vdup_n_s16(b1);
    const int16x8_t two = vdupq_n_s16(2);
    if (n < 8) return 0;
    for (int i = 0;; i += 8) {
        if (i > n - 8) i = n - 8;  // the last block overlaps the previous one (same values)
        const int16x8_t r = vaddq_s16(vaddq_s16(mulhi(vld1q_s16(h0 + i), vb0), mulhi(vld1q_s16(h1 + i), vb1)), two);
        vst1_u8(dst + i, vqmovun_s16(vshrq_n_s16(r, 2)));  // saturate to 0..255
        if (i == n - 8) return n;
    }
}

// Exact 2x downscale: pairwise widening adds of each channel (structure loads / stores).
int area2_c1(const uint8_t* src, int16_t* out, int n) {
    int dx = 0;
    for (; dx + 8 <= n; dx += 8) vst1q_s16(out + dx, vreinterpretq_s16_u16(vpaddlq_u8(vld1q_u8(src + 2 * dx))));
    return dx;
}

int area2_c3(const uint8_t* src, int16_t* out, int n) {
    int dx = 0;
    for (; dx + 8 <= n; dx += 8) {
        const uint8x16x3_t px = vld3q_u8(src + 6 * dx);
        int16x8x3_t sums;
        for (int c = 0; c < 3; ++c) sums.val[c] = vreinterpretq_s16_u16(vpaddlq_u8(px.val[c]));
        vst3q_s16(out + 3 * dx, sums);
    }
    return dx;
}

int area2_c4(const uint8_t* src, int16_t* out, int n) {
    int dx = 0;
    for (; dx + 8 <= n; dx += 8) {
        const uint8x16x4_t px = vld4q_u8(src + 8 * dx);
        int16x8x4_t sums;
        for (int c = 0; c < 4; ++c) sums.val[c] = vreinterpretq_s16_u16(vpaddlq_u8(px.val[c]));
        vst4q_s16(out + 4 * dx, sums);
    }
    return dx;
}

int area2_vpass(const int16_t* h0, const int16_t* h1, uint8_t* dst, int n) {
    const int16x8_t two = vdupq_n_s16(2);
    if (n < 8) return 0;
    for (int i = 0;; i += 8) {
        if (i > n - 8) i = n - 8;  // the last block overlaps the previous one (same values)
        const int16x8_t t = vaddq_s16(vaddq_s16(vld1q_s16(h0 + i), vld1q_s16(h1 + i)), two);
        vst1_u8(dst + i, vqmovun_s16(vshrq_n_s16(t, 2)));
        if (i == n - 8) return n;
    }
}

}  // namespace

const ResizeKernels kResizeNEON = {{nullptr, hpass_c1, nullptr, hpass_c3, hpass_c4},
                                   vpass,
                                   {nullptr, area2_c1, nullptr, area2_c3, area2_c4},
                                   area2_vpass};

}  // namespace detail
}  // namespace pyalign

#endif  // PYALIGN_SIMD_NEON

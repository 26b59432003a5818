// NEON kernels of the OpenCV-mode YUV -> BGR/RGB conversion (see csc_kernels.hpp), 16 pixels per
// step: 8 pixel pairs, even and odd pixels apart (structure loads), chroma once per pair, 32-bit lanes.
#include "csc_kernels.hpp"

#if defined(PYALIGN_SIMD_NEON)

#include <arm_neon.h>

namespace pyalign {
namespace detail {
namespace {

using namespace csc_const;

// 8 bytes -> two vectors of 4 int32 lanes.
struct Wide {
    int32x4_t lo, hi;
};
inline Wide widen(uint8x8_t v) {
    const uint16x8_t w = vmovl_u8(v);
    return {vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(w))), vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(w)))};
}

// sat_u8((y + c) >> 20) of 8 pairs' even or odd pixels.
inline uint8x8_t channel(const Wide& y, const Wide& c) {
    const int16x4_t lo = vqmovn_s32(vshrq_n_s32(vaddq_s32(y.lo, c.lo), 20));
    const int16x4_t hi = vqmovn_s32(vshrq_n_s32(vaddq_s32(y.hi, c.hi), 20));
    return vqmovun_s16(vcombine_s16(lo, hi));  // int32 -> int16 -> uint8, both saturating: the clamp
}

// Both pixels of 8 pairs, in order.
inline uint8x16_t both(uint8x8_t even, uint8x8_t odd) {
    const uint8x8x2_t z = vzip_u8(even, odd);
    return vcombine_u8(z.val[0], z.val[1]);
}

// The chroma terms of R, G, B for 8 raw U, V.
struct Chroma {
    Wide r, g, b;
};
inline Chroma chroma(uint8x8_t u, uint8x8_t v) {
    const Wide wu = widen(u), wv = widen(v);
    return {{vmlaq_n_s32(vdupq_n_s32(kR0), wv.lo, kCVR), vmlaq_n_s32(vdupq_n_s32(kR0), wv.hi, kCVR)},
            {vmlaq_n_s32(vmlaq_n_s32(vdupq_n_s32(kG0), wv.lo, kCVG), wu.lo, kCUG),
             vmlaq_n_s32(vmlaq_n_s32(vdupq_n_s32(kG0), wv.hi, kCVG), wu.hi, kCUG)},
            {vmlaq_n_s32(vdupq_n_s32(kB0), wu.lo, kCUB), vmlaq_n_s32(vdupq_n_s32(kB0), wu.hi, kCUB)}};
}

// ye, yo: max(Y - 16, 0) of the even / odd pixel of 8 pairs; u, v raw chroma of the even pixels
// and uo, vo of the odd ones (the same for 4:2:x pairs). 48 output bytes.
template <bool kRgb>
inline void convert16(uint8x8_t ye, uint8x8_t yo, uint8x8_t u, uint8x8_t v, uint8x8_t uo, uint8x8_t vo,
                      bool shared, uint8_t* out) {
    Wide we = widen(ye), wo = widen(yo);
    we = {vmulq_n_s32(we.lo, kCY), vmulq_n_s32(we.hi, kCY)};
    wo = {vmulq_n_s32(wo.lo, kCY), vmulq_n_s32(wo.hi, kCY)};
    const Chroma ce = chroma(u, v);
    const Chroma co = shared ? ce : chroma(uo, vo);
    const uint8x16_t r = both(channel(we, ce.r), channel(wo, co.r));
    const uint8x16_t g = both(channel(we, ce.g), channel(wo, co.g));
    const uint8x16_t b = both(channel(we, ce.b), channel(wo, co.b));
    uint8x16x3_t px;
    px.val[0] = kRgb ? r : b;
    px.val[1] = g;
    px.val[2] = kRgb ? b : r;
    vst3q_u8(out, px);
}

template <bool kVU, bool kRgb>
int yuv420(const uint8_t* y, const uint8_t* uv, uint8_t* out, int n) {
    const uint8x8_t k16 = vdup_n_u8(16);
    if (n < 16) return 0;
    for (int x = 0;; x += 16) {
        if (x > n - 16) x = n - 16;  // the last block overlaps the previous one (n even: whole pairs)
        const uint8x8x2_t yy = vld2_u8(y + x), cc = vld2_u8(uv + x);
        const uint8x8_t u = cc.val[kVU ? 1 : 0], v = cc.val[kVU ? 0 : 1];
        convert16<kRgb>(vqsub_u8(yy.val[0], k16), vqsub_u8(yy.val[1], k16), u, v, u, v, true, out + 3 * x);
        if (x == n - 16) return n;
    }
}

template <bool kUyvy, bool kRgb>
int yuv422(const uint8_t* src, uint8_t* out, int n) {
    const uint8x8_t k16 = vdup_n_u8(16);
    if (n < 16) return 0;
    for (int x = 0;; x += 16) {
        if (x > n - 16) x = n - 16;  // the last block overlaps the previous one (n even: whole pairs)
        const uint8x8x4_t q = vld4_u8(src + 2 * x);  // YUYV: Y0 U Y1 V; UYVY: U Y0 V Y1
        const uint8x8_t ye = q.val[kUyvy ? 1 : 0], u = q.val[kUyvy ? 0 : 1];
        const uint8x8_t yo = q.val[kUyvy ? 3 : 2], v = q.val[kUyvy ? 2 : 3];
        convert16<kRgb>(vqsub_u8(ye, k16), vqsub_u8(yo, k16), u, v, u, v, true, out + 3 * x);
        if (x == n - 16) return n;
    }
}

// Per-pixel chroma: y = luma bytes, uv = the chroma bytes of each pixel (2 per pixel, in the
// frame's order: U,V or, kVU, V,U).
template <bool kVU, bool kRgb>
int yuv_px(const uint8_t* y, const uint8_t* uv, uint8_t* out, int n) {
    const uint8x8_t k16 = vdup_n_u8(16);
    if (n < 16) return 0;
    for (int x = 0;; x += 16) {
        if (x > n - 16) x = n - 16;  // the last block overlaps the previous one (same values)
        const uint8x8x2_t yy = vld2_u8(y + x);
        const uint8x8x4_t cc = vld4_u8(uv + 2 * x);  // first, second of the even pixels, then of the odd
        const int f = kVU ? 1 : 0, g = kVU ? 0 : 1;
        convert16<kRgb>(vqsub_u8(yy.val[0], k16), vqsub_u8(yy.val[1], k16), cc.val[f], cc.val[g], cc.val[2 + f],
                        cc.val[2 + g], false, out + 3 * x);
        if (x == n - 16) return n;
    }
}

// Exact 2x downscale of 4:2:0, 8 output pixels per step: the four pixels of each 2x2 block share the
// block's chroma terms; each converted value is saturated to 0..255, then the four are summed and
// rounded: (a + b + c + d + 2) >> 2.
template <bool kVU, bool kRgb>
int yuv420_area2(const uint8_t* y0, const uint8_t* y1, const uint8_t* uv, uint8_t* out, int n) {
    const uint8x8_t k16 = vdup_n_u8(16);
    const uint16x8_t two = vdupq_n_u16(2);
    if (n < 8) return 0;
    for (int x = 0;; x += 8) {
        if (x > n - 8) x = n - 8;  // the last block overlaps the previous one (same values)
        const uint8x8x2_t a = vld2_u8(y0 + 2 * x), b = vld2_u8(y1 + 2 * x), cc = vld2_u8(uv + 2 * x);
        Wide w[4] = {widen(vqsub_u8(a.val[0], k16)), widen(vqsub_u8(a.val[1], k16)), widen(vqsub_u8(b.val[0], k16)),
                     widen(vqsub_u8(b.val[1], k16))};
        for (Wide& t : w) t = {vmulq_n_s32(t.lo, kCY), vmulq_n_s32(t.hi, kCY)};
        const Chroma c = chroma(cc.val[kVU ? 1 : 0], cc.val[kVU ? 0 : 1]);
        const Wide* terms[3] = {&c.r, &c.g, &c.b};
        uint8x8_t mean[3];
        for (int ch = 0; ch < 3; ++ch) {
            const uint16x8_t s = vaddq_u16(vaddl_u8(channel(w[0], *terms[ch]), channel(w[1], *terms[ch])),
                                           vaddl_u8(channel(w[2], *terms[ch]), channel(w[3], *terms[ch])));
            mean[ch] = vshrn_n_u16(vaddq_u16(s, two), 2);
        }
        uint8x8x3_t px;
        px.val[0] = mean[kRgb ? 0 : 2];
        px.val[1] = mean[1];
        px.val[2] = mean[kRgb ? 2 : 0];
        vst3_u8(out + 3 * x, px);
        if (x == n - 8) return n;
    }
}

}  // namespace

const CscKernels kCscNEON = {
    {{yuv420<false, false>, yuv420<false, true>}, {yuv420<true, false>, yuv420<true, true>}},
    {{yuv422<false, false>, yuv422<false, true>}, {yuv422<true, false>, yuv422<true, true>}},
    {{yuv_px<false, false>, yuv_px<false, true>}, {yuv_px<true, false>, yuv_px<true, true>}},
    {{yuv420_area2<false, false>, yuv420_area2<false, true>}, {yuv420_area2<true, false>, yuv420_area2<true, true>}},
};

}  // namespace detail
}  // namespace pyalign

#endif  // PYALIGN_SIMD_NEON

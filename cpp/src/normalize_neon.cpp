// NEON kernels of the normalisation (see normalize_kernels.hpp), 8 pixels per step.
#include "normalize_kernels.hpp"

#if defined(PYALIGN_SIMD_NEON)

#include <arm_neon.h>

namespace pyalign {
namespace detail {
namespace {

// (float(x) - m) / s for 4 values x, by the corrected reciprocal.
inline float32x4_t norm4(uint32x4_t x, float32x4_t m, float32x4_t s, float32x4_t r) {
    const float32x4_t a = vsubq_f32(vcvtq_f32_u32(x), m);
    const float32x4_t q0 = vmulq_f32(a, r);
    const float32x4_t e = vfmsq_f32(a, q0, s);  // a - q0 * s, rounded once
    return vfmaq_f32(q0, e, r);
}

inline void store8(float* d, uint8x8_t x, float32x4_t m, float32x4_t s, float32x4_t r) {
    const uint16x8_t w = vmovl_u8(x);
    vst1q_f32(d, norm4(vmovl_u16(vget_low_u16(w)), m, s, r));
    vst1q_f32(d + 4, norm4(vmovl_u16(vget_high_u16(w)), m, s, r));
}

int planes1(const uint8_t* src, int n, const float* m, const float* s, const float* r, float* const* planes) {
    const float32x4_t vm = vdupq_n_f32(m[0]), vs = vdupq_n_f32(s[0]), vr = vdupq_n_f32(r[0]);
    if (n < 8) return 0;
    for (int x = 0;; x += 8) {
        if (x > n - 8) x = n - 8;  // the last block overlaps the previous one (same values)
        store8(planes[0] + x, vld1_u8(src + x), vm, vs, vr);
        if (x == n - 8) return n;
    }
}

int planes3(const uint8_t* src, int n, const float* m, const float* s, const float* r, float* const* planes) {
    float32x4_t vm[3], vs[3], vr[3];
    for (int k = 0; k < 3; ++k) {
        vm[k] = vdupq_n_f32(m[k]);
        vs[k] = vdupq_n_f32(s[k]);
        vr[k] = vdupq_n_f32(r[k]);
    }
    if (n < 8) return 0;
    for (int x = 0;; x += 8) {
        if (x > n - 8) x = n - 8;  // the last block overlaps the previous one (same values)
        const uint8x8x3_t px = vld3_u8(src + 3 * x);
        for (int k = 0; k < 3; ++k) store8(planes[k] + x, px.val[k], vm[k], vs[k], vr[k]);
        if (x == n - 8) return n;
    }
}

int interleaved(const uint8_t* src, int n, const float* m, const float* s, const float* r, float* dst) {
    if (n < 8) return 0;
    for (int i = 0;; i += 8) {
        if (i > n - 8) i = n - 8;  // the last block overlaps the previous one (same values)
        const uint16x8_t w = vmovl_u8(vld1_u8(src + i));
        vst1q_f32(dst + i, norm4(vmovl_u16(vget_low_u16(w)), vld1q_f32(m + i), vld1q_f32(s + i), vld1q_f32(r + i)));
        vst1q_f32(dst + i + 4,
                  norm4(vmovl_u16(vget_high_u16(w)), vld1q_f32(m + i + 4), vld1q_f32(s + i + 4), vld1q_f32(r + i + 4)));
        if (i == n - 8) return n;
    }
}

}  // namespace

const NormalizeKernels kNormalizeNEON = {{nullptr, planes1, nullptr, planes3, nullptr}, interleaved};

}  // namespace detail
}  // namespace pyalign

#endif  // PYALIGN_SIMD_NEON

// SSE4.1 (SSSE3 shuffles and byte multiply-adds) row kernels of the uint8 linear resize (see
// resize_kernels.hpp for the contract).
#include "resize_kernels.hpp"

#if defined(PYALIGN_SIMD_X86)

#include <immintrin.h>

#include <cstring>

namespace pyalign {
namespace detail {
namespace {

#define PA_SSE41 PYALIGN_TARGET_SSE41

PA_SSE41 inline __m128i load8(const uint8_t* p) { return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)); }
PA_SSE41 inline __m128i loadu(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
PA_SSE41 inline void storeu(void* p, __m128i v) { _mm_storeu_si128(static_cast<__m128i*>(p), v); }

// (s0*a0 + s1*a1) >> 4 for 8 byte pairs (s0, s1) of `taps`, weights split in hi/lo byte pairs.
PA_SSE41 inline __m128i weigh(__m128i taps, const uint8_t* whi, const uint8_t* wlo) {
    const __m128i hi = _mm_maddubs_epi16(taps, loadu(whi));
    const __m128i lo = _mm_maddubs_epi16(taps, loadu(wlo));
    return _mm_add_epi16(_mm_slli_epi16(hi, 2), _mm_srli_epi16(lo, 4));
}

inline int load16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

// 1 channel: 8 pixels per step; the two taps of a pixel are 2 adjacent bytes, inserted as words.
PA_SSE41 int hpass_c1(const uint8_t* src, int16_t* out, const int32_t* xofs, const uint8_t* whi, const uint8_t* wlo,
                      int n) {
    if (n < 8) return 0;
    for (int dx = 0;; dx += 8) {
        if (dx > n - 8) dx = n - 8;  // the last block overlaps the previous one (same values)
        const int32_t* x = xofs + dx;
        __m128i taps = _mm_cvtsi32_si128(load16(src + x[0]));
        taps = _mm_insert_epi16(taps, load16(src + x[1]), 1);
        taps = _mm_insert_epi16(taps, load16(src + x[2]), 2);
        taps = _mm_insert_epi16(taps, load16(src + x[3]), 3);
        taps = _mm_insert_epi16(taps, load16(src + x[4]), 4);
        taps = _mm_insert_epi16(taps, load16(src + x[5]), 5);
        taps = _mm_insert_epi16(taps, load16(src + x[6]), 6);
        taps = _mm_insert_epi16(taps, load16(src + x[7]), 7);
        storeu(out + dx, weigh(taps, whi + 2 * dx, wlo + 2 * dx));
        if (dx == n - 8) return n;
    }
}

// 3 channels: 2 pixels per step, one 8-byte load per pixel (both taps).
PA_SSE41 int hpass_c3(const uint8_t* src, int16_t* out, const int32_t* xofs, const uint8_t* whi, const uint8_t* wlo,
                      int n) {
    const __m128i pairs = _mm_setr_epi8(0, 3, 1, 4, 2, 5, 8, 11, 9, 12, 10, 13, -1, -1, -1, -1);
    // The weights come in groups of 2 pixels: blocks start at even pixels (an odd last pixel is
    // left to the caller).
    int dx = 0;
    for (; dx + 2 <= n; dx += 2) {
        const __m128i taps = _mm_shuffle_epi8(_mm_unpacklo_epi64(load8(src + xofs[dx]), load8(src + xofs[dx + 1])), pairs);
        storeu(out + 3 * dx, weigh(taps, whi + 8 * dx, wlo + 8 * dx));  // 6 values + 2 of slack
    }
    return dx;
}

// 4 channels: 2 pixels per step, one 8-byte load per pixel.
PA_SSE41 int hpass_c4(const uint8_t* src, int16_t* out, const int32_t* xofs, const uint8_t* whi, const uint8_t* wlo,
                      int n) {
    const __m128i pairs = _mm_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
    if (n < 2) return 0;
    for (int dx = 0;; dx += 2) {
        if (dx > n - 2) dx = n - 2;  // the last block overlaps the previous one (same values)
        const __m128i taps = _mm_shuffle_epi8(_mm_unpacklo_epi64(load8(src + xofs[dx]), load8(src + xofs[dx + 1])), pairs);
        storeu(out + 4 * dx, weigh(taps, whi + 8 * dx, wlo + 8 * dx));
        if (dx == n - 2) return n;
    }
}

PA_SSE41 inline __m128i vrow(const int16_t* h0, const int16_t* h1, __m128i b0, __m128i b1) {
    const __m128i r0 = _mm_mulhi_epi16(loadu(h0), b0);
    const __m128i r1 = _mm_mulhi_epi16(loadu(h1), b1);
    return _mm_srai_epi16(_mm_add_epi16(_mm_add_epi16(r0, r1), _mm_set1_epi16(2)), 2);
}

PA_SSE41 int vpass(const int16_t* h0, const int16_t* h1, int16_t b0, int16_t b1, uint8_t* dst, int n) {
    const __m128i vb0 = _mm_set1_epi16(b0), vb1 = _mm_set1_epi16(b1);
    if (n < 16) return 0;
    for (int i = 0;; i += 16) {
        if (i > n - 16) i = n - 16;  // the last block overlaps the previous one (same values)
        const __m128i lo = vrow(h0 + i, h1 + i, vb0, vb1);
        const __m128i hi = vrow(h0 + i + 8, h1 + i + 8, vb0, vb1);
        storeu(dst + i, _mm_packus_epi16(lo, hi));
        if (i == n - 16) return n;
    }
}

// Exact 2x downscale: horizontal pair sums with a byte multiply-add by 1 (sums <= 510).
PA_SSE41 int area2_c1(const uint8_t* src, int16_t* out, int n) {
    const __m128i ones = _mm_set1_epi8(1);
    int dx = 0;
    for (; dx + 8 <= n; dx += 8) storeu(out + dx, _mm_maddubs_epi16(loadu(src + 2 * dx), ones));
    return dx;
}

PA_SSE41 int area2_c3(const uint8_t* src, int16_t* out, int n) {
    const __m128i pairs = _mm_setr_epi8(0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11, -1, -1, -1, -1);
    const __m128i ones = _mm_set1_epi8(1);
    int dx = 0;
    for (; 6 * dx + 16 <= 6 * n; dx += 2)  // 2 output pixels from 12 of 16 bytes read
        storeu(out + 3 * dx, _mm_maddubs_epi16(_mm_shuffle_epi8(loadu(src + 6 * dx), pairs), ones));
    return dx;
}

PA_SSE41 int area2_c4(const uint8_t* src, int16_t* out, int n) {
    const __m128i pairs = _mm_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
    const __m128i ones = _mm_set1_epi8(1);
    int dx = 0;
    for (; dx + 2 <= n; dx += 2) storeu(out + 4 * dx, _mm_maddubs_epi16(_mm_shuffle_epi8(loadu(src + 8 * dx), pairs), ones));
    return dx;
}

PA_SSE41 int area2_vpass(const int16_t* h0, const int16_t* h1, uint8_t* dst, int n) {
    const __m128i two = _mm_set1_epi16(2);
    if (n < 16) return 0;
    for (int i = 0;; i += 16) {
        if (i > n - 16) i = n - 16;  // the last block overlaps the previous one (same values)
        const __m128i lo = _mm_srli_epi16(_mm_add_epi16(_mm_add_epi16(loadu(h0 + i), loadu(h1 + i)), two), 2);
        const __m128i hi = _mm_srli_epi16(_mm_add_epi16(_mm_add_epi16(loadu(h0 + i + 8), loadu(h1 + i + 8)), two), 2);
        storeu(dst + i, _mm_packus_epi16(lo, hi));
        if (i == n - 16) return n;
    }
}

#undef PA_SSE41

}  // namespace

const ResizeKernels kResizeSSE41 = {{nullptr, hpass_c1, nullptr, hpass_c3, hpass_c4},
                                    vpass,
                                    {nullptr, area2_c1, nullptr, area2_c3, area2_c4},
                                    area2_vpass};

}  // namespace detail
}  // namespace pyalign

#endif  // PYALIGN_SIMD_X86

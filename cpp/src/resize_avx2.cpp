// AVX2 row kernels of the uint8 linear resize (see resize_kernels.hpp for the contract).
#include "resize_kernels.hpp"

#if defined(PYALIGN_SIMD_X86)

#include <immintrin.h>

#include <cstring>

namespace pyalign {
namespace detail {
namespace {

#define PA_AVX2 PYALIGN_TARGET_AVX2

PA_AVX2 inline __m128i load8(const uint8_t* p) { return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)); }
PA_AVX2 inline __m256i loadu(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// (s0*a0 + s1*a1) >> 4 for 16 byte pairs (s0, s1) of `taps`, weights split in hi/lo byte pairs.
PA_AVX2 inline __m256i weigh(__m256i taps, const uint8_t* whi, const uint8_t* wlo) {
    const __m256i hi = _mm256_maddubs_epi16(taps, loadu(whi));
    const __m256i lo = _mm256_maddubs_epi16(taps, loadu(wlo));
    return _mm256_add_epi16(_mm256_slli_epi16(hi, 2), _mm256_srli_epi16(lo, 4));
}

inline int load16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

// 1 channel: 16 pixels per step; the two taps of a pixel are 2 adjacent bytes, inserted as words
// (measured faster than a dword gather).
PA_AVX2 inline void c1_block(const uint8_t* src, int16_t* out, const int32_t* x, const uint8_t* whi,
                             const uint8_t* wlo) {
    __m128i a = _mm_cvtsi32_si128(load16(src + x[0]));
    __m128i b = _mm_cvtsi32_si128(load16(src + x[8]));
    a = _mm_insert_epi16(a, load16(src + x[1]), 1);
    b = _mm_insert_epi16(b, load16(src + x[9]), 1);
    a = _mm_insert_epi16(a, load16(src + x[2]), 2);
    b = _mm_insert_epi16(b, load16(src + x[10]), 2);
    a = _mm_insert_epi16(a, load16(src + x[3]), 3);
    b = _mm_insert_epi16(b, load16(src + x[11]), 3);
    a = _mm_insert_epi16(a, load16(src + x[4]), 4);
    b = _mm_insert_epi16(b, load16(src + x[12]), 4);
    a = _mm_insert_epi16(a, load16(src + x[5]), 5);
    b = _mm_insert_epi16(b, load16(src + x[13]), 5);
    a = _mm_insert_epi16(a, load16(src + x[6]), 6);
    b = _mm_insert_epi16(b, load16(src + x[14]), 6);
    a = _mm_insert_epi16(a, load16(src + x[7]), 7);
    b = _mm_insert_epi16(b, load16(src + x[15]), 7);
    const __m256i taps = _mm256_inserti128_si256(_mm256_castsi128_si256(a), b, 1);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), weigh(taps, whi, wlo));
}

PA_AVX2 int hpass_c1(const uint8_t* src, int16_t* out, const int32_t* xofs, const uint8_t* whi, const uint8_t* wlo,
                     int n) {
    if (n < 16) return 0;
    for (int dx = 0;; dx += 16) {
        if (dx > n - 16) dx = n - 16;  // the last block overlaps the previous one (same values)
        c1_block(src, out + dx, xofs + dx, whi + 2 * dx, wlo + 2 * dx);
        if (dx == n - 16) return n;
    }
}

// 3 channels: 4 pixels per step, one 8-byte load per pixel (both taps), 2 pixels per 128-bit lane.
PA_AVX2 int hpass_c3(const uint8_t* src, int16_t* out, const int32_t* xofs, const uint8_t* whi, const uint8_t* wlo,
                     int n) {
    const __m256i pairs = _mm256_setr_epi8(0, 3, 1, 4, 2, 5, 8, 11, 9, 12, 10, 13, -1, -1, -1, -1,  //
                                           0, 3, 1, 4, 2, 5, 8, 11, 9, 12, 10, 13, -1, -1, -1, -1);
    const __m256i compact = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
    if (n < 4) return 0;
    // The weights come in groups of 2 pixels, so blocks start at even pixels: the last block
    // overlaps the previous one (same values) and may leave 1 pixel to the caller.
    const int last = (n - 4) & ~1;
    for (int dx = 0;; dx += 4) {
        if (dx > last) dx = last;
        const __m128i a = _mm_unpacklo_epi64(load8(src + xofs[dx]), load8(src + xofs[dx + 1]));
        const __m128i b = _mm_unpacklo_epi64(load8(src + xofs[dx + 2]), load8(src + xofs[dx + 3]));
        const __m256i taps = _mm256_shuffle_epi8(_mm256_inserti128_si256(_mm256_castsi128_si256(a), b, 1), pairs);
        const __m256i r = _mm256_permutevar8x32_epi32(weigh(taps, whi + 8 * dx, wlo + 8 * dx), compact);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 3 * dx), r);  // 12 values + 4 of slack
        if (dx == last) return last + 4;
    }
}

// 4 channels: 4 pixels per step, one 8-byte load per pixel.
PA_AVX2 int hpass_c4(const uint8_t* src, int16_t* out, const int32_t* xofs, const uint8_t* whi, const uint8_t* wlo,
                     int n) {
    const __m256i pairs = _mm256_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15,  //
                                           0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
    if (n < 4) return 0;
    for (int dx = 0;; dx += 4) {
        if (dx > n - 4) dx = n - 4;  // the last block overlaps the previous one (same values)
        const __m128i a = _mm_unpacklo_epi64(load8(src + xofs[dx]), load8(src + xofs[dx + 1]));
        const __m128i b = _mm_unpacklo_epi64(load8(src + xofs[dx + 2]), load8(src + xofs[dx + 3]));
        const __m256i taps = _mm256_shuffle_epi8(_mm256_inserti128_si256(_mm256_castsi128_si256(a), b, 1), pairs);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 4 * dx), weigh(taps, whi + 8 * dx, wlo + 8 * dx));
        if (dx == n - 4) return n;
    }
}

PA_AVX2 inline __m256i vrow(const int16_t* h0, const int16_t* h1, __m256i b0, __m256i b1) {
    const __m256i r0 = _mm256_mulhi_epi16(loadu(h0), b0);
    const __m256i r1 = _mm256_mulhi_epi16(loadu(h1), b1);
    return _mm256_srai_epi16(_mm256_add_epi16(_mm256_add_epi16(r0, r1), _mm256_set1_epi16(2)), 2);
}

PA_AVX2 int vpass(const int16_t* h0, const int16_t* h1, int16_t b0, int16_t b1, uint8_t* dst, int n) {
    const __m256i vb0 = _mm256_set1_epi16(b0), vb1 = _mm256_set1_epi16(b1);
    if (n < 32) return 0;
    for (int i = 0;; i += 32) {
        if (i > n - 32) i = n - 32;  // the last block overlaps the previous one (same values)
        const __m256i lo = vrow(h0 + i, h1 + i, vb0, vb1);
        const __m256i hi = vrow(h0 + i + 16, h1 + i + 16, vb0, vb1);
        const __m256i r = _mm256_permute4x64_epi64(_mm256_packus_epi16(lo, hi), 0xD8);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), r);
        if (i == n - 32) return n;
    }
}

// Exact 2x downscale: horizontal pair sums with a byte multiply-add by 1 (sums <= 510).
PA_AVX2 int area2_c1(const uint8_t* src, int16_t* out, int n) {
    const __m256i ones = _mm256_set1_epi8(1);
    int dx = 0;
    for (; dx + 16 <= n; dx += 16)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + dx), _mm256_maddubs_epi16(loadu(src + 2 * dx), ones));
    return dx;
}

PA_AVX2 int area2_c3(const uint8_t* src, int16_t* out, int n) {
    // per lane: 2 output pixels from 12 source bytes; lanes load at 6dx and 6dx + 12 (16 bytes each)
    const __m256i pairs = _mm256_setr_epi8(0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11, -1, -1, -1, -1,  //
                                           0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11, -1, -1, -1, -1);
    const __m256i compact = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
    const __m256i ones = _mm256_set1_epi8(1);
    int dx = 0;
    for (; 6 * dx + 28 <= 6 * n; dx += 4) {
        const __m128i* p = reinterpret_cast<const __m128i*>(src + 6 * dx);
        const __m256i v = _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(src + 6 * dx + 12), p);
        const __m256i sums = _mm256_maddubs_epi16(_mm256_shuffle_epi8(v, pairs), ones);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 3 * dx), _mm256_permutevar8x32_epi32(sums, compact));
    }
    return dx;
}

PA_AVX2 int area2_c4(const uint8_t* src, int16_t* out, int n) {
    const __m256i pairs = _mm256_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15,  //
                                           0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
    const __m256i ones = _mm256_set1_epi8(1);
    int dx = 0;
    for (; dx + 4 <= n; dx += 4)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 4 * dx),
                            _mm256_maddubs_epi16(_mm256_shuffle_epi8(loadu(src + 8 * dx), pairs), ones));
    return dx;
}

PA_AVX2 int area2_vpass(const int16_t* h0, const int16_t* h1, uint8_t* dst, int n) {
    const __m256i two = _mm256_set1_epi16(2);
    if (n < 32) return 0;
    for (int i = 0;; i += 32) {
        if (i > n - 32) i = n - 32;  // the last block overlaps the previous one (same values)
        const __m256i lo = _mm256_srli_epi16(_mm256_add_epi16(_mm256_add_epi16(loadu(h0 + i), loadu(h1 + i)), two), 2);
        const __m256i hi =
            _mm256_srli_epi16(_mm256_add_epi16(_mm256_add_epi16(loadu(h0 + i + 16), loadu(h1 + i + 16)), two), 2);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_permute4x64_epi64(_mm256_packus_epi16(lo, hi), 0xD8));
        if (i == n - 32) return n;
    }
}

#undef PA_AVX2

}  // namespace

const ResizeKernels kResizeAVX2 = {{nullptr, hpass_c1, nullptr, hpass_c3, hpass_c4},
                                   vpass,
                                   {nullptr, area2_c1, nullptr, area2_c3, area2_c4},
                                   area2_vpass};

}  // namespace detail
}  // namespace pyalign

#endif  // PYALIGN_SIMD_X86

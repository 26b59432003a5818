// AVX2 + FMA kernels of the normalisation (see normalize_kernels.hpp), 8 pixels per step.
#include "normalize_kernels.hpp"

#if defined(PYALIGN_SIMD_X86)

#include <immintrin.h>

namespace pyalign {
namespace detail {
namespace {

#define PA_AVX2 __attribute__((target("avx2,fma")))

// (float(x) - m) / s for 8 bytes x, by the corrected reciprocal.
PA_AVX2 inline __m256 norm8(__m128i x, __m256 m, __m256 s, __m256 r) {
    const __m256 a = _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(x)), m);
    const __m256 q0 = _mm256_mul_ps(a, r);
    const __m256 e = _mm256_fnmadd_ps(q0, s, a);  // a - q0 * s, rounded once
    return _mm256_fmadd_ps(e, r, q0);
}

PA_AVX2 inline __m128i load8(const uint8_t* p) { return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)); }

PA_AVX2 int planes1(const uint8_t* src, int n, const float* m, const float* s, const float* r, float* const* planes) {
    const __m256 vm = _mm256_set1_ps(m[0]), vs = _mm256_set1_ps(s[0]), vr = _mm256_set1_ps(r[0]);
    if (n < 8) return 0;
    for (int x = 0;; x += 8) {
        if (x > n - 8) x = n - 8;  // the last block overlaps the previous one (same values)
        _mm256_storeu_ps(planes[0] + x, norm8(load8(src + x), vm, vs, vr));
        if (x == n - 8) return n;
    }
}

PA_AVX2 int planes3(const uint8_t* src, int n, const float* m, const float* s, const float* r, float* const* planes) {
    // channel k of 8 pixels: bytes k, k+3, ..., k+21 of 24; from the first 16 and the last 8 bytes
    const __m128i lo[3] = {_mm_setr_epi8(0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1),
                           _mm_setr_epi8(1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1),
                           _mm_setr_epi8(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1)};
    const __m128i hi[3] = {_mm_setr_epi8(-1, -1, -1, -1, -1, -1, 2, 5, -1, -1, -1, -1, -1, -1, -1, -1),
                           _mm_setr_epi8(-1, -1, -1, -1, -1, 0, 3, 6, -1, -1, -1, -1, -1, -1, -1, -1),
                           _mm_setr_epi8(-1, -1, -1, -1, -1, 1, 4, 7, -1, -1, -1, -1, -1, -1, -1, -1)};
    __m256 vm[3], vs[3], vr[3];
    for (int k = 0; k < 3; ++k) {
        vm[k] = _mm256_set1_ps(m[k]);
        vs[k] = _mm256_set1_ps(s[k]);
        vr[k] = _mm256_set1_ps(r[k]);
    }
    if (n < 8) return 0;
    for (int x = 0;; x += 8) {
        if (x > n - 8) x = n - 8;  // the last block overlaps the previous one (same values)
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 3 * x));
        const __m128i b = load8(src + 3 * x + 16);
        for (int k = 0; k < 3; ++k) {
            const __m128i ch = _mm_or_si128(_mm_shuffle_epi8(a, lo[k]), _mm_shuffle_epi8(b, hi[k]));
            _mm256_storeu_ps(planes[k] + x, norm8(ch, vm[k], vs[k], vr[k]));
        }
        if (x == n - 8) return n;
    }
}

PA_AVX2 int interleaved(const uint8_t* src, int n, const float* m, const float* s, const float* r, float* dst) {
    if (n < 8) return 0;
    for (int i = 0;; i += 8) {
        if (i > n - 8) i = n - 8;  // the last block overlaps the previous one (same values)
        _mm256_storeu_ps(dst + i, norm8(load8(src + i), _mm256_loadu_ps(m + i), _mm256_loadu_ps(s + i), _mm256_loadu_ps(r + i)));
        if (i == n - 8) return n;
    }
}

#undef PA_AVX2

}  // namespace

const NormalizeKernels kNormalizeAVX2 = {{nullptr, planes1, nullptr, planes3, nullptr}, interleaved};

}  // namespace detail
}  // namespace pyalign

#endif  // PYALIGN_SIMD_X86

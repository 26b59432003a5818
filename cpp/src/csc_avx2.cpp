// AVX2 kernels of the OpenCV-mode YUV -> BGR/RGB conversion (see csc_kernels.hpp), 32 pixels per
// step: 16 pixel pairs in two vectors of 8 int32 lanes (pairs 0-3 + 8-11 and 4-7 + 12-15, so that
// the saturating packs give the pixels in order), even and odd pixels apart, chroma once per pair.
#include "csc_kernels.hpp"

#if defined(PYALIGN_SIMD_X86)

#include <immintrin.h>

namespace pyalign {
namespace detail {
namespace {

using namespace csc_const;

#define PA_AVX2 PYALIGN_TARGET_AVX2

PA_AVX2 inline __m256i loadu(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
PA_AVX2 inline void storeu(void* p, __m256i v) { _mm256_storeu_si256(static_cast<__m256i*>(p), v); }

// Inputs of 16 pixel pairs, as two vectors (A: pairs 0-3, 8-11; B: pairs 4-7, 12-15) of 32-bit
// lanes: max(Y - 16, 0) of the even and odd pixel, raw U and V of each pair (u, v) or, for per-pixel
// chroma, of the even (u, v) and the odd (uo, vo) pixel.
struct Pairs {
    __m256i ye[2], yo[2], u[2], v[2], uo[2], vo[2];
};

// One channel of 32 pixels as bytes, per 128-bit lane [8 even pixels, 8 odd pixels] (lane 0:
// pixels 0-15, lane 1: 16-31); ce / co = the chroma term of the even / odd pixels.
PA_AVX2 inline __m256i channel(const __m256i ye[2], const __m256i yo[2], const __m256i ce[2], const __m256i co[2]) {
    const __m256i e0 = _mm256_srai_epi32(_mm256_add_epi32(ye[0], ce[0]), 20);
    const __m256i e1 = _mm256_srai_epi32(_mm256_add_epi32(ye[1], ce[1]), 20);
    const __m256i o0 = _mm256_srai_epi32(_mm256_add_epi32(yo[0], co[0]), 20);
    const __m256i o1 = _mm256_srai_epi32(_mm256_add_epi32(yo[1], co[1]), 20);
    // int32 -> int16 (saturating) -> uint8 (saturating): the clamp to 0..255
    return _mm256_packus_epi16(_mm256_packs_epi32(e0, e1), _mm256_packs_epi32(o0, o1));
}

// The chroma terms of R, G, B for raw U, V.
struct Chroma {
    __m256i r[2], g[2], b[2];
};
PA_AVX2 inline Chroma chroma(const __m256i u[2], const __m256i v[2]) {
    Chroma c;
    for (int i = 0; i < 2; ++i) {
        c.r[i] = _mm256_add_epi32(_mm256_set1_epi32(kR0), _mm256_mullo_epi32(v[i], _mm256_set1_epi32(kCVR)));
        c.g[i] = _mm256_add_epi32(_mm256_add_epi32(_mm256_set1_epi32(kG0), _mm256_mullo_epi32(v[i], _mm256_set1_epi32(kCVG))),
                                  _mm256_mullo_epi32(u[i], _mm256_set1_epi32(kCUG)));
        c.b[i] = _mm256_add_epi32(_mm256_set1_epi32(kB0), _mm256_mullo_epi32(u[i], _mm256_set1_epi32(kCUB)));
    }
    return c;
}

// The 3-way interleave shuffles (csc_kernels.hpp) in both lanes.
struct Masks {
    __m256i m[3][3];  // [chunk][output channel]
};

PA_AVX2 inline Masks make_masks() {
    Masks r;
    for (int k = 0; k < 3; ++k)
        for (int ch = 0; ch < 3; ++ch)
            r.m[k][ch] = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kInterleave3.m[k][ch])));
    return r;
}

PA_AVX2 inline void store3(uint8_t* out, __m256i p0, __m256i p1, __m256i p2, const Masks& m) {
    __m256i o[3];
    for (int k = 0; k < 3; ++k)
        o[k] = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(p0, m.m[k][0]), _mm256_shuffle_epi8(p1, m.m[k][1])),
                               _mm256_shuffle_epi8(p2, m.m[k][2]));
    storeu(out, _mm256_permute2x128_si256(o[0], o[1], 0x20));
    storeu(out + 32, _mm256_permute2x128_si256(o[2], o[0], 0x30));
    storeu(out + 64, _mm256_permute2x128_si256(o[1], o[2], 0x31));
}

template <bool kRgb, bool kShared>
PA_AVX2 inline void convert32(const Pairs& in, uint8_t* out, const Masks& m) {
    const __m256i cy = _mm256_set1_epi32(kCY);
    __m256i ye[2], yo[2];
    for (int i = 0; i < 2; ++i) {
        ye[i] = _mm256_mullo_epi32(in.ye[i], cy);
        yo[i] = _mm256_mullo_epi32(in.yo[i], cy);
    }
    const Chroma ce = chroma(in.u, in.v);
    const Chroma co = kShared ? ce : chroma(in.uo, in.vo);
    const __m256i r = channel(ye, yo, ce.r, co.r), g = channel(ye, yo, ce.g, co.g), b = channel(ye, yo, ce.b, co.b);
    if (kRgb)
        store3(out, r, g, b, m);
    else
        store3(out, b, g, r, m);
}

// 16-bit words (low byte, high byte) of 16 pairs -> the A/B vectors of 32-bit lanes: the in-lane
// unpacks give exactly pairs 0-3, 8-11 and 4-7, 12-15.
PA_AVX2 inline void split_words(__m256i w, __m256i out[2]) {
    out[0] = _mm256_unpacklo_epi16(w, _mm256_setzero_si256());
    out[1] = _mm256_unpackhi_epi16(w, _mm256_setzero_si256());
}

template <bool kVU, bool kRgb>
PA_AVX2 int yuv420(const uint8_t* y, const uint8_t* uv, uint8_t* out, int n) {
    const Masks m = make_masks();
    const __m256i low = _mm256_set1_epi32(0xFF), k16 = _mm256_set1_epi8(16);
    if (n < 32) return 0;
    for (int x = 0;; x += 32) {
        if (x > n - 32) x = n - 32;  // the last block overlaps the previous one (n even: whole pairs)
        Pairs p;
        __m256i yw[2], cw[2];
        split_words(_mm256_subs_epu8(loadu(y + x), k16), yw);
        split_words(loadu(uv + x), cw);
        for (int i = 0; i < 2; ++i) {
            p.ye[i] = _mm256_and_si256(yw[i], low);
            p.yo[i] = _mm256_srli_epi32(yw[i], 8);
            const __m256i first = _mm256_and_si256(cw[i], low), second = _mm256_srli_epi32(cw[i], 8);
            p.u[i] = kVU ? second : first;
            p.v[i] = kVU ? first : second;
        }
        convert32<kRgb, true>(p, out + 3 * x, m);
        if (x == n - 32) return n;
    }
}

template <bool kUyvy, bool kRgb>
PA_AVX2 int yuv422(const uint8_t* src, uint8_t* out, int n) {
    const Masks m = make_masks();
    const __m256i low = _mm256_set1_epi32(0xFF);
    // subtract 16 (saturating) from the luma bytes only
    const __m256i k16 = _mm256_set1_epi32(kUyvy ? 0x10001000 : 0x00100010);
    if (n < 32) return 0;
    for (int x = 0;; x += 32) {
        if (x > n - 32) x = n - 32;  // the last block overlaps the previous one (n even: whole pairs)
        const __m256i w0 = _mm256_subs_epu8(loadu(src + 2 * x), k16);
        const __m256i w1 = _mm256_subs_epu8(loadu(src + 2 * x + 32), k16);
        const __m256i d[2] = {_mm256_permute2x128_si256(w0, w1, 0x20), _mm256_permute2x128_si256(w0, w1, 0x31)};
        Pairs p;
        for (int i = 0; i < 2; ++i) {
            const __m256i b0 = _mm256_and_si256(d[i], low);
            const __m256i b1 = _mm256_and_si256(_mm256_srli_epi32(d[i], 8), low);
            const __m256i b2 = _mm256_and_si256(_mm256_srli_epi32(d[i], 16), low);
            const __m256i b3 = _mm256_srli_epi32(d[i], 24);
            p.ye[i] = kUyvy ? b1 : b0;  // YUYV: Y0 U Y1 V; UYVY: U Y0 V Y1
            p.u[i] = kUyvy ? b0 : b1;
            p.yo[i] = kUyvy ? b3 : b2;
            p.v[i] = kUyvy ? b2 : b3;
        }
        convert32<kRgb, true>(p, out + 3 * x, m);
        if (x == n - 32) return n;
    }
}

// Per-pixel chroma: y = luma bytes, uv = the chroma bytes of each pixel (2 per pixel, in the
// frame's order: U,V or, kVU, V,U).
template <bool kVU, bool kRgb>
PA_AVX2 int yuv_px(const uint8_t* y, const uint8_t* uv, uint8_t* out, int n) {
    const Masks m = make_masks();
    const __m256i low = _mm256_set1_epi32(0xFF), k16 = _mm256_set1_epi8(16);
    if (n < 32) return 0;
    for (int x = 0;; x += 32) {
        if (x > n - 32) x = n - 32;  // the last block overlaps the previous one (same values)
        Pairs p;
        __m256i yw[2];
        split_words(_mm256_subs_epu8(loadu(y + x), k16), yw);
        const __m256i c0 = loadu(uv + 2 * x), c1 = loadu(uv + 2 * x + 32);  // dword: first, second of 2 pixels
        const __m256i d[2] = {_mm256_permute2x128_si256(c0, c1, 0x20), _mm256_permute2x128_si256(c0, c1, 0x31)};
        for (int i = 0; i < 2; ++i) {
            p.ye[i] = _mm256_and_si256(yw[i], low);
            p.yo[i] = _mm256_srli_epi32(yw[i], 8);
            const __m256i b0 = _mm256_and_si256(d[i], low);
            const __m256i b1 = _mm256_and_si256(_mm256_srli_epi32(d[i], 8), low);
            const __m256i b2 = _mm256_and_si256(_mm256_srli_epi32(d[i], 16), low);
            const __m256i b3 = _mm256_srli_epi32(d[i], 24);
            p.u[i] = kVU ? b1 : b0;
            p.v[i] = kVU ? b0 : b1;
            p.uo[i] = kVU ? b3 : b2;
            p.vo[i] = kVU ? b2 : b3;
        }
        convert32<kRgb, false>(p, out + 3 * x, m);
        if (x == n - 32) return n;
    }
}

// Exact 2x downscale of 4:2:0, 16 output pixels per step: the four pixels of each 2x2 block
// (even / odd of both rows) share the block's chroma terms; each converted value is clamped to
// 0..255 in int16, then the four are summed and rounded: (a + b + c + d + 2) >> 2.
template <bool kVU, bool kRgb>
PA_AVX2 int yuv420_area2(const uint8_t* y0, const uint8_t* y1, const uint8_t* uv, uint8_t* out, int n) {
    const __m256i low = _mm256_set1_epi32(0xFF), k16 = _mm256_set1_epi8(16), cy = _mm256_set1_epi32(kCY);
    const __m256i zero = _mm256_setzero_si256(), max8 = _mm256_set1_epi16(255), two = _mm256_set1_epi16(2);
    if (n < 16) return 0;
    for (int x = 0;; x += 16) {
        if (x > n - 16) x = n - 16;  // the last block overlaps the previous one (same values)
        // the luma terms of the 4 pixels of each block, as A/B vectors (blocks 0-3, 8-11 / 4-7, 12-15)
        __m256i term[4][2];
        for (int r = 0; r < 2; ++r) {
            __m256i w[2];
            split_words(_mm256_subs_epu8(loadu((r == 0 ? y0 : y1) + 2 * x), k16), w);
            for (int i = 0; i < 2; ++i) {
                term[2 * r][i] = _mm256_mullo_epi32(_mm256_and_si256(w[i], low), cy);
                term[2 * r + 1][i] = _mm256_mullo_epi32(_mm256_srli_epi32(w[i], 8), cy);
            }
        }
        __m256i cw[2], u[2], v[2];
        split_words(loadu(uv + 2 * x), cw);
        for (int i = 0; i < 2; ++i) {
            const __m256i first = _mm256_and_si256(cw[i], low), second = _mm256_srli_epi32(cw[i], 8);
            u[i] = kVU ? second : first;
            v[i] = kVU ? first : second;
        }
        const Chroma c = chroma(u, v);
        const __m256i* terms[3] = {c.r, c.g, c.b};
        __m256i mean[3];  // R, G, B of the 16 blocks as int16, in block order
        for (int ch = 0; ch < 3; ++ch) {
            __m256i sum = two;
            for (int t = 0; t < 4; ++t) {
                const __m256i a = _mm256_srai_epi32(_mm256_add_epi32(term[t][0], terms[ch][0]), 20);
                const __m256i b = _mm256_srai_epi32(_mm256_add_epi32(term[t][1], terms[ch][1]), 20);
                const __m256i v16 = _mm256_min_epi16(_mm256_max_epi16(_mm256_packs_epi32(a, b), zero), max8);
                sum = _mm256_add_epi16(sum, v16);
            }
            mean[ch] = _mm256_srli_epi16(sum, 2);
        }
        // to bytes: qwords [c0 0-7, c1 0-7, c0 8-15, c1 8-15] -> [c0 0-15 | c1 0-15]
        const __m256i rg = _mm256_permute4x64_epi64(_mm256_packus_epi16(mean[kRgb ? 0 : 2], mean[1]), 0xD8);
        const __m256i bb = _mm256_permute4x64_epi64(_mm256_packus_epi16(mean[kRgb ? 2 : 0], mean[kRgb ? 2 : 0]), 0xD8);
        const __m128i p0 = _mm256_castsi256_si128(rg), p1 = _mm256_extracti128_si256(rg, 1), p2 = _mm256_castsi256_si128(bb);
        uint8_t* o = out + 3 * x;
        for (int k = 0; k < 3; ++k) {
            const auto& m = kInterleave3Natural.m[k];
            const __m128i a = _mm_shuffle_epi8(p0, _mm_loadu_si128(reinterpret_cast<const __m128i*>(m[0])));
            const __m128i b = _mm_shuffle_epi8(p1, _mm_loadu_si128(reinterpret_cast<const __m128i*>(m[1])));
            const __m128i d = _mm_shuffle_epi8(p2, _mm_loadu_si128(reinterpret_cast<const __m128i*>(m[2])));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 16 * k), _mm_or_si128(_mm_or_si128(a, b), d));
        }
        if (x == n - 16) return n;
    }
}

#undef PA_AVX2

}  // namespace

const CscKernels kCscAVX2 = {
    {{yuv420<false, false>, yuv420<false, true>}, {yuv420<true, false>, yuv420<true, true>}},
    {{yuv422<false, false>, yuv422<false, true>}, {yuv422<true, false>, yuv422<true, true>}},
    {{yuv_px<false, false>, yuv_px<false, true>}, {yuv_px<true, false>, yuv_px<true, true>}},
    {{yuv420_area2<false, false>, yuv420_area2<false, true>}, {yuv420_area2<true, false>, yuv420_area2<true, true>}},
};

}  // namespace detail
}  // namespace pyalign

#endif  // PYALIGN_SIMD_X86

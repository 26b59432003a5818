// SSE4.1 kernels of the OpenCV-mode YUV -> BGR/RGB conversion (see csc_kernels.hpp), 16 pixels per
// step: 8 pixel pairs in two vectors of 4 int32 lanes, even and odd pixels apart, chroma once per pair.
#include "csc_kernels.hpp"

#if defined(PYALIGN_SIMD_X86)

#include <immintrin.h>

namespace pyalign {
namespace detail {
namespace {

using namespace csc_const;

#define PA_SSE41 PYALIGN_TARGET_SSE41

PA_SSE41 inline __m128i loadu(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
PA_SSE41 inline void storeu(void* p, __m128i v) { _mm_storeu_si128(static_cast<__m128i*>(p), v); }

// Inputs of 8 pixel pairs, as two vectors (pairs 0-3, 4-7) of 32-bit lanes: max(Y - 16, 0) of the
// even and odd pixel, raw U and V of each pair (u, v) or, for per-pixel chroma, of the even (u, v)
// and the odd (uo, vo) pixel.
struct Pairs {
    __m128i ye[2], yo[2], u[2], v[2], uo[2], vo[2];
};

// One channel of 16 pixels as bytes [8 even pixels, 8 odd pixels]; ce / co = the chroma term of the
// even / odd pixels.
PA_SSE41 inline __m128i channel(const __m128i ye[2], const __m128i yo[2], const __m128i ce[2], const __m128i co[2]) {
    const __m128i e0 = _mm_srai_epi32(_mm_add_epi32(ye[0], ce[0]), 20);
    const __m128i e1 = _mm_srai_epi32(_mm_add_epi32(ye[1], ce[1]), 20);
    const __m128i o0 = _mm_srai_epi32(_mm_add_epi32(yo[0], co[0]), 20);
    const __m128i o1 = _mm_srai_epi32(_mm_add_epi32(yo[1], co[1]), 20);
    return _mm_packus_epi16(_mm_packs_epi32(e0, e1), _mm_packs_epi32(o0, o1));  // clamp to 0..255
}

// The chroma terms of R, G, B for raw U, V.
struct Chroma {
    __m128i r[2], g[2], b[2];
};
PA_SSE41 inline Chroma chroma(const __m128i u[2], const __m128i v[2]) {
    Chroma c;
    for (int i = 0; i < 2; ++i) {
        c.r[i] = _mm_add_epi32(_mm_set1_epi32(kR0), _mm_mullo_epi32(v[i], _mm_set1_epi32(kCVR)));
        c.g[i] = _mm_add_epi32(_mm_add_epi32(_mm_set1_epi32(kG0), _mm_mullo_epi32(v[i], _mm_set1_epi32(kCVG))),
                               _mm_mullo_epi32(u[i], _mm_set1_epi32(kCUG)));
        c.b[i] = _mm_add_epi32(_mm_set1_epi32(kB0), _mm_mullo_epi32(u[i], _mm_set1_epi32(kCUB)));
    }
    return c;
}

PA_SSE41 inline void store3(uint8_t* out, __m128i p0, __m128i p1, __m128i p2) {
    for (int k = 0; k < 3; ++k) {
        const auto& m = kInterleave3.m[k];
        const __m128i a = _mm_shuffle_epi8(p0, loadu(m[0]));
        const __m128i b = _mm_shuffle_epi8(p1, loadu(m[1]));
        const __m128i c = _mm_shuffle_epi8(p2, loadu(m[2]));
        storeu(out + 16 * k, _mm_or_si128(_mm_or_si128(a, b), c));
    }
}

template <bool kRgb, bool kShared>
PA_SSE41 inline void convert16(const Pairs& in, uint8_t* out) {
    const __m128i cy = _mm_set1_epi32(kCY);
    __m128i ye[2], yo[2];
    for (int i = 0; i < 2; ++i) {
        ye[i] = _mm_mullo_epi32(in.ye[i], cy);
        yo[i] = _mm_mullo_epi32(in.yo[i], cy);
    }
    const Chroma ce = chroma(in.u, in.v);
    const Chroma co = kShared ? ce : chroma(in.uo, in.vo);
    const __m128i r = channel(ye, yo, ce.r, co.r), g = channel(ye, yo, ce.g, co.g), b = channel(ye, yo, ce.b, co.b);
    if (kRgb)
        store3(out, r, g, b);
    else
        store3(out, b, g, r);
}

template <bool kVU, bool kRgb>
PA_SSE41 int yuv420(const uint8_t* y, const uint8_t* uv, uint8_t* out, int n) {
    const __m128i low = _mm_set1_epi32(0xFF), k16 = _mm_set1_epi8(16);
    if (n < 16) return 0;
    for (int x = 0;; x += 16) {
        if (x > n - 16) x = n - 16;  // the last block overlaps the previous one (n even: whole pairs)
        const __m128i yw = _mm_subs_epu8(loadu(y + x), k16);
        const __m128i cw = loadu(uv + x);
        const __m128i yd[2] = {_mm_cvtepu16_epi32(yw), _mm_cvtepu16_epi32(_mm_srli_si128(yw, 8))};
        const __m128i cd[2] = {_mm_cvtepu16_epi32(cw), _mm_cvtepu16_epi32(_mm_srli_si128(cw, 8))};
        Pairs p;
        for (int i = 0; i < 2; ++i) {
            p.ye[i] = _mm_and_si128(yd[i], low);
            p.yo[i] = _mm_srli_epi32(yd[i], 8);
            const __m128i first = _mm_and_si128(cd[i], low), second = _mm_srli_epi32(cd[i], 8);
            p.u[i] = kVU ? second : first;
            p.v[i] = kVU ? first : second;
        }
        convert16<kRgb, true>(p, out + 3 * x);
        if (x == n - 16) return n;
    }
}

template <bool kUyvy, bool kRgb>
PA_SSE41 int yuv422(const uint8_t* src, uint8_t* out, int n) {
    const __m128i low = _mm_set1_epi32(0xFF);
    const __m128i k16 = _mm_set1_epi32(kUyvy ? 0x10001000 : 0x00100010);  // luma bytes only
    if (n < 16) return 0;
    for (int x = 0;; x += 16) {
        if (x > n - 16) x = n - 16;  // the last block overlaps the previous one (n even: whole pairs)
        const __m128i d[2] = {_mm_subs_epu8(loadu(src + 2 * x), k16), _mm_subs_epu8(loadu(src + 2 * x + 16), k16)};
        Pairs p;
        for (int i = 0; i < 2; ++i) {
            const __m128i b0 = _mm_and_si128(d[i], low);
            const __m128i b1 = _mm_and_si128(_mm_srli_epi32(d[i], 8), low);
            const __m128i b2 = _mm_and_si128(_mm_srli_epi32(d[i], 16), low);
            const __m128i b3 = _mm_srli_epi32(d[i], 24);
            p.ye[i] = kUyvy ? b1 : b0;  // YUYV: Y0 U Y1 V; UYVY: U Y0 V Y1
            p.u[i] = kUyvy ? b0 : b1;
            p.yo[i] = kUyvy ? b3 : b2;
            p.v[i] = kUyvy ? b2 : b3;
        }
        convert16<kRgb, true>(p, out + 3 * x);
        if (x == n - 16) return n;
    }
}

// Per-pixel chroma: y = luma bytes, uv = the chroma bytes of each pixel (2 per pixel, in the
// frame's order: U,V or, kVU, V,U).
template <bool kVU, bool kRgb>
PA_SSE41 int yuv_px(const uint8_t* y, const uint8_t* uv, uint8_t* out, int n) {
    const __m128i low = _mm_set1_epi32(0xFF), k16 = _mm_set1_epi8(16);
    if (n < 16) return 0;
    for (int x = 0;; x += 16) {
        if (x > n - 16) x = n - 16;  // the last block overlaps the previous one (same values)
        const __m128i yw = _mm_subs_epu8(loadu(y + x), k16);
        const __m128i yd[2] = {_mm_cvtepu16_epi32(yw), _mm_cvtepu16_epi32(_mm_srli_si128(yw, 8))};
        const __m128i d[2] = {loadu(uv + 2 * x), loadu(uv + 2 * x + 16)};  // dword: the chroma of 2 pixels
        Pairs p;
        for (int i = 0; i < 2; ++i) {
            p.ye[i] = _mm_and_si128(yd[i], low);
            p.yo[i] = _mm_srli_epi32(yd[i], 8);
            const __m128i b0 = _mm_and_si128(d[i], low);
            const __m128i b1 = _mm_and_si128(_mm_srli_epi32(d[i], 8), low);
            const __m128i b2 = _mm_and_si128(_mm_srli_epi32(d[i], 16), low);
            const __m128i b3 = _mm_srli_epi32(d[i], 24);
            p.u[i] = kVU ? b1 : b0;
            p.v[i] = kVU ? b0 : b1;
            p.uo[i] = kVU ? b3 : b2;
            p.vo[i] = kVU ? b2 : b3;
        }
        convert16<kRgb, false>(p, out + 3 * x);
        if (x == n - 16) return n;
    }
}

// Exact 2x downscale of 4:2:0, 16 output pixels per step (two halves of 8): the four pixels of each
// 2x2 block share the block's chroma terms; each converted value is clamped to 0..255 in int16, then
// the four are summed and rounded: (a + b + c + d + 2) >> 2.
template <bool kVU>
PA_SSE41 inline void area2_half(const uint8_t* y0, const uint8_t* y1, const uint8_t* uv, __m128i mean[3]) {
    const __m128i low = _mm_set1_epi32(0xFF), k16 = _mm_set1_epi8(16), cy = _mm_set1_epi32(kCY);
    const __m128i zero = _mm_setzero_si128(), max8 = _mm_set1_epi16(255);
    __m128i term[4][2];
    for (int r = 0; r < 2; ++r) {
        const __m128i w = _mm_subs_epu8(loadu(r == 0 ? y0 : y1), k16);
        const __m128i d[2] = {_mm_cvtepu16_epi32(w), _mm_cvtepu16_epi32(_mm_srli_si128(w, 8))};
        for (int i = 0; i < 2; ++i) {
            term[2 * r][i] = _mm_mullo_epi32(_mm_and_si128(d[i], low), cy);
            term[2 * r + 1][i] = _mm_mullo_epi32(_mm_srli_epi32(d[i], 8), cy);
        }
    }
    const __m128i cw = loadu(uv);
    const __m128i cd[2] = {_mm_cvtepu16_epi32(cw), _mm_cvtepu16_epi32(_mm_srli_si128(cw, 8))};
    __m128i u[2], v[2];
    for (int i = 0; i < 2; ++i) {
        const __m128i first = _mm_and_si128(cd[i], low), second = _mm_srli_epi32(cd[i], 8);
        u[i] = kVU ? second : first;
        v[i] = kVU ? first : second;
    }
    const Chroma c = chroma(u, v);
    const __m128i* terms[3] = {c.r, c.g, c.b};
    for (int ch = 0; ch < 3; ++ch) {
        __m128i sum = _mm_set1_epi16(2);
        for (int t = 0; t < 4; ++t) {
            const __m128i a = _mm_srai_epi32(_mm_add_epi32(term[t][0], terms[ch][0]), 20);
            const __m128i b = _mm_srai_epi32(_mm_add_epi32(term[t][1], terms[ch][1]), 20);
            sum = _mm_add_epi16(sum, _mm_min_epi16(_mm_max_epi16(_mm_packs_epi32(a, b), zero), max8));
        }
        mean[ch] = _mm_srli_epi16(sum, 2);
    }
}

template <bool kVU, bool kRgb>
PA_SSE41 int yuv420_area2(const uint8_t* y0, const uint8_t* y1, const uint8_t* uv, uint8_t* out, int n) {
    if (n < 16) return 0;
    for (int x = 0;; x += 16) {
        if (x > n - 16) x = n - 16;  // the last block overlaps the previous one (same values)
        __m128i lo[3], hi[3];
        area2_half<kVU>(y0 + 2 * x, y1 + 2 * x, uv + 2 * x, lo);
        area2_half<kVU>(y0 + 2 * x + 16, y1 + 2 * x + 16, uv + 2 * x + 16, hi);
        __m128i p[3];  // R, G, B of the 16 blocks as bytes, in block order
        for (int ch = 0; ch < 3; ++ch) p[ch] = _mm_packus_epi16(lo[ch], hi[ch]);
        uint8_t* o = out + 3 * x;
        const __m128i first = p[kRgb ? 0 : 2], last = p[kRgb ? 2 : 0];
        for (int k = 0; k < 3; ++k) {
            const auto& m = kInterleave3Natural.m[k];
            const __m128i a = _mm_shuffle_epi8(first, loadu(m[0]));
            const __m128i b = _mm_shuffle_epi8(p[1], loadu(m[1]));
            const __m128i d = _mm_shuffle_epi8(last, loadu(m[2]));
            storeu(o + 16 * k, _mm_or_si128(_mm_or_si128(a, b), d));
        }
        if (x == n - 16) return n;
    }
}

#undef PA_SSE41

}  // namespace

const CscKernels kCscSSE41 = {
    {{yuv420<false, false>, yuv420<false, true>}, {yuv420<true, false>, yuv420<true, true>}},
    {{yuv422<false, false>, yuv422<false, true>}, {yuv422<true, false>, yuv422<true, true>}},
    {{yuv_px<false, false>, yuv_px<false, true>}, {yuv_px<true, false>, yuv_px<true, true>}},
    {{yuv420_area2<false, false>, yuv420_area2<false, true>}, {yuv420_area2<true, false>, yuv420_area2<true, true>}},
};

}  // namespace detail
}  // namespace pyalign

#endif  // PYALIGN_SIMD_X86

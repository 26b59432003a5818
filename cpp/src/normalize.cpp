// pyalign — channel swap, normalisation and layout (see normalize.hpp).
#include "pyalign/normalize.hpp"

#include "enum_names.hpp"

#include <cmath>
#include <cstring>
#include <vector>

#include "dispatch.hpp"  // PYALIGN_HOT_KERNEL: AVX2 / AVX-512 clones on x86-64, same bits
#include "normalize_kernels.hpp"

namespace pyalign {

namespace {

constexpr int kMaxSide = 1 << 20;
constexpr int kTile = 1020;  // interleaved elements per kernel call: a multiple of 1, 2, 3 and 4

// All C channels of an interleaved uint8 row at once into C float planes: plane k receives source
// channel k as (float(v) - m[k]) / s[k]. Reading whole pixels (not one channel with a stride) lets
// the vectorised loop run to the end of the row: a strided read of one channel would stop short
// of the last pixel's later channels and leave the last vector's worth of pixels to scalar code.
template <int C>
PYALIGN_HOT_KERNEL void planes_f32(const uint8_t* __restrict src, int n, const float* m, const float* s, bool norm,
                                   float* const* planes) {
    float* __restrict d0 = planes[0];
    float* __restrict d1 = planes[C > 1 ? 1 : 0];
    float* __restrict d2 = planes[C > 2 ? 2 : 0];
    float* __restrict d3 = planes[C > 3 ? 3 : 0];
    const float m0 = m[0], m1 = m[C > 1 ? 1 : 0], m2 = m[C > 2 ? 2 : 0], m3 = m[C > 3 ? 3 : 0];
    const float s0 = s[0], s1 = s[C > 1 ? 1 : 0], s2 = s[C > 2 ? 2 : 0], s3 = s[C > 3 ? 3 : 0];
    const std::size_t w = static_cast<std::size_t>(n);
    if (norm) {
        for (std::size_t x = 0; x < w; ++x) {
            d0[x] = (static_cast<float>(src[C * x]) - m0) / s0;
            if (C > 1) d1[x] = (static_cast<float>(src[C * x + 1]) - m1) / s1;
            if (C > 2) d2[x] = (static_cast<float>(src[C * x + 2]) - m2) / s2;
            if (C > 3) d3[x] = (static_cast<float>(src[C * x + 3]) - m3) / s3;
        }
    } else {
        for (std::size_t x = 0; x < w; ++x) {
            d0[x] = static_cast<float>(src[C * x]);
            if (C > 1) d1[x] = static_cast<float>(src[C * x + 1]);
            if (C > 2) d2[x] = static_cast<float>(src[C * x + 2]);
            if (C > 3) d3[x] = static_cast<float>(src[C * x + 3]);
        }
    }
}

// The same for a uint8 tensor (no arithmetic).
template <int C>
void planes_u8(const uint8_t* __restrict src, int n, uint8_t* const* planes) {
    uint8_t* __restrict d0 = planes[0];
    uint8_t* __restrict d1 = planes[C > 1 ? 1 : 0];
    uint8_t* __restrict d2 = planes[C > 2 ? 2 : 0];
    uint8_t* __restrict d3 = planes[C > 3 ? 3 : 0];
    for (std::size_t x = 0; x < static_cast<std::size_t>(n); ++x) {
        d0[x] = src[C * x];
        if (C > 1) d1[x] = src[C * x + 1];
        if (C > 2) d2[x] = src[C * x + 2];
        if (C > 3) d3[x] = src[C * x + 3];
    }
}

// Interleaved: dst[i] = (float(src[i]) - mrow[i]) / srow[i] over n = W*C elements.
PYALIGN_HOT_KERNEL
void interleaved_f32(const uint8_t* src, int n, const float* mrow, const float* srow, bool norm, float* dst) {
    if (norm) {
        for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) dst[i] = (static_cast<float>(src[i]) - mrow[i]) / srow[i];
    } else {
        for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) dst[i] = static_cast<float>(src[i]);
    }
}

void planes_f32_any(int C, const uint8_t* src, int n, const float* m, const float* s, bool norm, float* const* planes) {
    switch (C) {
        case 1: planes_f32<1>(src, n, m, s, norm, planes); break;
        case 2: planes_f32<2>(src, n, m, s, norm, planes); break;
        case 3: planes_f32<3>(src, n, m, s, norm, planes); break;
        default: planes_f32<4>(src, n, m, s, norm, planes); break;
    }
}

// True when the SIMD kernels' corrected reciprocal (normalize_kernels.hpp) gives the bits of
// (float(x) - m) / s for every uint8 x.
bool reciprocal_exact(float m, float s) {
    const float r = 1.0f / s;
    for (int x = 0; x < 256; ++x) {
        const float a = static_cast<float>(x) - m;
        const float q = a / s;
        const float q0 = a * r;
        const float e = std::fma(-q0, s, a);
        const float q1 = std::fma(e, r, q0);
        if (std::memcmp(&q, &q1, sizeof q) != 0) return false;
    }
    return true;
}

// n copies of v (the padding of a float tensor: memory bound, wide stores help).
PYALIGN_HOT_KERNEL void fill_f32(float* __restrict d, std::size_t n, float v) {
    for (std::size_t i = 0; i < n; ++i) d[i] = v;
}

void planes_u8_any(int C, const uint8_t* src, int n, uint8_t* const* planes) {
    switch (C) {
        case 1: planes_u8<1>(src, n, planes); break;
        case 2: planes_u8<2>(src, n, planes); break;
        case 3: planes_u8<3>(src, n, planes); break;
        default: planes_u8<4>(src, n, planes); break;
    }
}

}  // namespace

namespace {
const detail::EnumName<Layout> kLayoutNames[] = {
    {"HW", Layout::HW, false},     {"HWC", Layout::HWC, false},   {"CHW", Layout::CHW, false},
    {"NHWC", Layout::NHWC, false}, {"NCHW", Layout::NCHW, false},
};

void check_image_size(int height, int width) {
    if (height <= 0 || width <= 0 || height > kMaxSide || width > kMaxSide)
        throw Error("normalize: bad image size " + std::to_string(width) + "x" + std::to_string(height));
}
}  // namespace

Layout parse_layout(const std::string& name) { return detail::parse_enum(kLayoutNames, name, "layout"); }

const char* layout_name(Layout l) { return detail::enum_name(kLayoutNames, l); }

void validate_normalize(const NormalizeSpec& spec) {
    if (spec.channels < 1 || spec.channels > 4)
        throw Error("normalize: an image has 1 to 4 channels, got " + std::to_string(spec.channels));
    if (spec.swap_rb && spec.channels < 3)
        throw Error("normalize: swap_rb needs 3 or 4 channels, the image has " + std::to_string(spec.channels));
    if (spec.layout == Layout::HW && spec.channels != 1)
        throw Error("normalize: layout HW needs 1 channel, the image has " + std::to_string(spec.channels));
    if (spec.normalize) {
        if (!spec.to_float) throw Error("normalize: mean/std need a float32 output, not uint8");
        for (int c = 0; c < spec.channels; ++c) {
            if (!std::isfinite(spec.mean[c])) throw Error("normalize: mean[" + std::to_string(c) + "] is not finite");
            if (!std::isfinite(spec.stdv[c]) || spec.stdv[c] == 0.0f)
                throw Error("normalize: std[" + std::to_string(c) + "] must be finite and non-zero");
        }
    }
}

std::size_t normalized_elements(const NormalizeSpec& spec, int height, int width) {
    return static_cast<std::size_t>(height) * static_cast<std::size_t>(width) *
           static_cast<std::size_t>(spec.channels);
}

RowWriter::RowWriter(const NormalizeSpec& spec, int height, int width) : spec_(spec), h_(height), w_(width) {
    validate_normalize(spec);
    check_image_size(height, width);
    for (int c = 0; c < 4; ++c) src_ch_[c] = (spec.swap_rb && c <= 2) ? 2 - c : c;
    mrow_.resize(kTile);
    srow_.resize(kTile);
    rrow_.resize(kTile);
    fast_div_ = spec.normalize;
    for (int c = 0; c < spec.channels; ++c) {
        recip_[c] = 1.0f / spec.stdv[c];
        fast_div_ = fast_div_ && reciprocal_exact(spec.mean[c], spec.stdv[c]);
    }
    for (int i = 0; i < kTile; ++i) {
        mrow_[static_cast<std::size_t>(i)] = spec.mean[i % spec.channels];
        srow_[static_cast<std::size_t>(i)] = spec.stdv[i % spec.channels];
        rrow_[static_cast<std::size_t>(i)] = recip_[i % spec.channels];
    }
}

void RowWriter::write_row(int y, const uint8_t* row, void* dst) const {
    const int C = spec_.channels, W = w_;
    const std::size_t plane = static_cast<std::size_t>(h_) * static_cast<std::size_t>(W);
    const std::size_t rowoff = static_cast<std::size_t>(y) * static_cast<std::size_t>(W);
    if (layout_is_planar(spec_.layout)) {
        // By source channel k: output channel c with src_ch_[c] == k (the swap is its own inverse).
        float* fplanes[4];
        uint8_t* uplanes[4];
        float m[4], sd[4], r[4];
        for (int k = 0; k < C; ++k) {
            const int c = src_ch_[k];
            fplanes[k] = static_cast<float*>(dst) + static_cast<std::size_t>(c) * plane + rowoff;
            uplanes[k] = static_cast<uint8_t*>(dst) + static_cast<std::size_t>(c) * plane + rowoff;
            m[k] = spec_.mean[c];
            sd[k] = spec_.stdv[c];
            r[k] = recip_[c];
        }
        if (!spec_.to_float) {
            planes_u8_any(C, row, W, uplanes);
            return;
        }
        const detail::NormalizeKernels* k = fast_div_ ? detail::normalize_kernels(detail::active_simd_level()) : nullptr;
        const int done = (k != nullptr && k->planes[C] != nullptr) ? k->planes[C](row, W, m, sd, r, fplanes) : 0;
        if (done < W) {
            for (int i = 0; i < C; ++i) fplanes[i] += done;
            planes_f32_any(C, row + static_cast<std::size_t>(done) * C, W - done, m, sd, spec_.normalize, fplanes);
        }
        return;
    }
    // interleaved: the row is contiguous in the output
    const std::size_t n = static_cast<std::size_t>(W) * static_cast<std::size_t>(C);
    const std::size_t off = rowoff * static_cast<std::size_t>(C);
    uint8_t sw[kTile];
    const float* mrow = mrow_.data();
    const float* srow = srow_.data();
    const int tile = kTile;
    const detail::NormalizeKernels* k = fast_div_ ? detail::normalize_kernels(detail::active_simd_level()) : nullptr;
    for (std::size_t i0 = 0; i0 < n; i0 += static_cast<std::size_t>(tile)) {
        const int m = static_cast<int>(n - i0 < static_cast<std::size_t>(tile) ? n - i0 : static_cast<std::size_t>(tile));
        const uint8_t* s = row + i0;
        if (spec_.swap_rb) {
            for (std::size_t i = 0; i < static_cast<std::size_t>(m); i += static_cast<std::size_t>(C)) {
                sw[i] = s[i + 2];
                sw[i + 1] = s[i + 1];
                sw[i + 2] = s[i];
                if (C == 4) sw[i + 3] = s[i + 3];
            }
            s = sw;
        }
        if (spec_.to_float) {
            float* d = static_cast<float*>(dst) + off + i0;
            const int done = k != nullptr ? k->interleaved(s, m, mrow, srow, rrow_.data(), d) : 0;
            if (done < m) interleaved_f32(s + done, m - done, mrow + done, srow + done, spec_.normalize, d + done);
        } else {
            std::memcpy(static_cast<uint8_t*>(dst) + off + i0, s, static_cast<std::size_t>(m));
        }
    }
}

void RowWriter::fill_pixels(int y, int x0, int n, const uint8_t* pixel, void* dst) const {
    if (n <= 0) return;
    const int C = spec_.channels;
    float fv[4];
    uint8_t uv[4];
    for (int c = 0; c < C; ++c) {
        const uint8_t v = pixel[src_ch_[c]];
        uv[c] = v;
        fv[c] = spec_.normalize ? (static_cast<float>(v) - spec_.mean[c]) / spec_.stdv[c] : static_cast<float>(v);
    }
    const std::size_t W = static_cast<std::size_t>(w_);
    const std::size_t plane = static_cast<std::size_t>(h_) * W;
    const std::size_t start = static_cast<std::size_t>(y) * W + static_cast<std::size_t>(x0);
    if (layout_is_planar(spec_.layout)) {
        for (int c = 0; c < C; ++c) {
            if (spec_.to_float) {
                fill_f32(static_cast<float*>(dst) + static_cast<std::size_t>(c) * plane + start, static_cast<std::size_t>(n),
                         fv[c]);
            } else {
                uint8_t* d = static_cast<uint8_t*>(dst) + static_cast<std::size_t>(c) * plane + start;
                std::memset(d, uv[c], static_cast<std::size_t>(n));
            }
        }
        return;
    }
    if (spec_.to_float) {
        float* d = static_cast<float*>(dst) + start * static_cast<std::size_t>(C);
        for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i)
            for (int c = 0; c < C; ++c) d[static_cast<std::size_t>(i) * C + c] = fv[c];
    } else {
        uint8_t* d = static_cast<uint8_t*>(dst) + start * static_cast<std::size_t>(C);
        for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i)
            for (int c = 0; c < C; ++c) d[static_cast<std::size_t>(i) * C + c] = uv[c];
    }
}

void normalize_u8(const uint8_t* src, int height, int width, const NormalizeSpec& spec, void* dst) {
    RowWriter w(spec, height, width);
    const std::size_t stride = static_cast<std::size_t>(width) * static_cast<std::size_t>(spec.channels);
    for (int y = 0; y < height; ++y) w.write_row(y, src + static_cast<std::size_t>(y) * stride, dst);
}

void normalize_f32(const float* src, int height, int width, const NormalizeSpec& spec, float* dst) {
    validate_normalize(spec);
    if (!spec.to_float) throw Error("normalize: a float32 image gives a float32 tensor");
    check_image_size(height, width);
    const int C = spec.channels;
    int sc[4];
    for (int c = 0; c < 4; ++c) sc[c] = (spec.swap_rb && c <= 2) ? 2 - c : c;
    const std::size_t HW = static_cast<std::size_t>(height) * static_cast<std::size_t>(width);
    const bool planar = layout_is_planar(spec.layout);
    for (std::size_t p = 0; p < HW; ++p) {
        for (int c = 0; c < C; ++c) {
            float v = src[p * static_cast<std::size_t>(C) + static_cast<std::size_t>(sc[c])];
            if (spec.normalize) v = (v - spec.mean[c]) / spec.stdv[c];
            if (planar)
                dst[static_cast<std::size_t>(c) * HW + p] = v;
            else
                dst[p * static_cast<std::size_t>(C) + static_cast<std::size_t>(c)] = v;
        }
    }
}

}  // namespace pyalign

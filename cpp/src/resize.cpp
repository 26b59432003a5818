// pyalign — OpenCV-exact resize (INTER_LINEAR uint8/float32, INTER_NEAREST) and letterbox.
// Written from the documented rules in resize.hpp; plain C++ loops the compiler vectorises.
#include "pyalign/resize.hpp"

#include "enum_names.hpp"
#include "parallel.hpp"
#include "resize_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

// The integer row kernels are also compiled for AVX2 on x86-64 (GCC/Clang function multi-versioning,
// chosen at load time). Same C++ source, integer arithmetic only: the results are identical on
// every target; define PYALIGN_NO_CLONES to build the portable version only.
#if defined(__x86_64__) && defined(__ELF__) && !defined(PYALIGN_NO_CLONES) && \
    ((defined(__clang__) && __clang_major__ >= 14) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 8))
#define PYALIGN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define PYALIGN_CLONES
#endif

namespace pyalign {
namespace {

constexpr int kCoefBits = 11;
constexpr int kCoefScale = 1 << kCoefBits;  // 2048

int16_t sat_short(float v) {
    // saturate_cast<short>(float): round half to even, then clamp.
    const long r = std::lrint(v);
    return static_cast<int16_t>(std::min<long>(std::max<long>(r, std::numeric_limits<int16_t>::min()),
                                               std::numeric_limits<int16_t>::max()));
}

std::string dims(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }

void check_size(const char* what, int w, int h) {
    if (w <= 0 || h <= 0) {
        throw Error(std::string(what) + " size must be positive, got " + dims(w, h));
    }
    if (w > kMaxResizeSide || h > kMaxResizeSide) {
        throw Error(std::string(what) + " size " + dims(w, h) + " is too large (max " +
                    std::to_string(kMaxResizeSide) + " per side)");
    }
}

void check_channels(int cn) {
    if (cn < 1 || cn > 4) throw Error("channels must be 1..4, got " + std::to_string(cn));
}

template <typename T>
void check_view(const char* what, const ImageView<T>& v) {
    if (v.data == nullptr) throw Error(std::string(what) + " has no data");
    check_size(what, v.width, v.height);
    check_channels(v.channels);
    const std::ptrdiff_t row_bytes =
        static_cast<std::ptrdiff_t>(v.width) * v.channels * static_cast<std::ptrdiff_t>(sizeof(*v.data));
    if (v.stride < row_bytes) {
        throw Error(std::string(what) + " row stride " + std::to_string(v.stride) + " is smaller than a row (" +
                    std::to_string(row_bytes) + " bytes)");
    }
}

template <typename S, typename D>
void check_pair(const ImageView<S>& src, const ImageView<D>& dst) {
    check_view("source", src);
    check_view("destination", dst);
    if (src.channels != dst.channels) {
        throw Error("source has " + std::to_string(src.channels) + " channels but destination has " +
                    std::to_string(dst.channels));
    }
}

// OpenCV's INTER_LINEAR source coordinate of output index d: returns the floor index and the
// fractional part (both as OpenCV computes them: the position in double, rounded to float).
struct Tap {
    int s;
    float f;
};

Tap linear_tap(int d, double scale) {
    float fx = static_cast<float>((d + 0.5) * scale - 0.5);
    const int sx = static_cast<int>(std::floor(fx));
    fx -= static_cast<float>(sx);
    return {sx, fx};
}

// Per-axis tables shared by the uint8 and float linear resizers.
struct Axis {
    std::vector<int32_t> i0, i1;  // clamped tap indices
    std::vector<float> w0, w1;    // float weights (1 - f, f)
    int right = 0;                // columns only: first output clamped to the right edge pixel
};

// One axis of OpenCV's INTER_LINEAR. Columns (clamp_weights): a tap outside the image is moved
// onto the edge pixel with weights (1, 0) at both edges. Rows: the weights are kept and only the
// indices are clamped.
Axis linear_axis(int src, int dst, bool clamp_weights) {
    const double scale = 1.0 / (static_cast<double>(dst) / src);
    Axis a;
    a.i0.resize(dst);
    a.i1.resize(dst);
    a.w0.resize(dst);
    a.w1.resize(dst);
    a.right = dst;
    for (int d = 0; d < dst; ++d) {
        Tap t = linear_tap(d, scale);
        if (clamp_weights) {
            if (t.s < 0) t = {0, 0.f};
            if (t.s >= src - 1) {
                t = {src - 1, 0.f};
                a.right = std::min(a.right, d);
            }
        }
        a.i0[d] = std::min(std::max(t.s, 0), src - 1);
        a.i1[d] = std::min(std::max(t.s + 1, 0), src - 1);
        a.w0[d] = 1.f - t.f;
        a.w1[d] = t.f;
    }
    return a;
}

Axis column_axis(int src, int dst) { return linear_axis(src, dst, true); }
Axis row_axis(int src, int dst) { return linear_axis(src, dst, false); }

void copy_rows(const unsigned char* src, std::ptrdiff_t sstride, unsigned char* dst, std::ptrdiff_t dstride,
               std::size_t row_bytes, int rows) {
    for (int y = 0; y < rows; ++y) {
        std::memmove(dst + y * dstride, src + y * sstride, row_bytes);
    }
}

// Horizontal pass in two steps: gather the two taps of every destination pixel into two contiguous
// planes g0, g1 (fixed-size copies), then one multiply-add loop over contiguous arrays that the
// compiler vectorises. For 3 channels the copies are 4 bytes wide (the 4th byte is overwritten by
// the next pixel) while the source row has room; the last pixels copy exactly 3 bytes.
template <int CN>
void gather_cn(const uint8_t* src, int dst_w, const int32_t* x0, const int32_t* x1, int wide_w,
               uint8_t* __restrict g0, uint8_t* __restrict g1) {
    std::size_t dx = 0;
    if (CN == 3) {
        for (; dx < static_cast<std::size_t>(wide_w); ++dx) {
            std::memcpy(g0 + 3 * dx, src + x0[dx], 4);
            std::memcpy(g1 + 3 * dx, src + x1[dx], 4);
        }
    }
    for (; dx < static_cast<std::size_t>(dst_w); ++dx) {
        std::memcpy(g0 + CN * dx, src + x0[dx], CN);
        std::memcpy(g1 + CN * dx, src + x1[dx], CN);
    }
}

// Exact 2x downscale: sums of horizontal pixel pairs.
template <int CN>
void area2_pairs(const uint8_t* __restrict src, int16_t* __restrict out, int dst_w) {
    const std::size_t w = static_cast<std::size_t>(dst_w);
    for (std::size_t dx = 0; dx < w; ++dx)
        for (std::size_t c = 0; c < CN; ++c)
            out[dx * CN + c] = static_cast<int16_t>(src[2 * dx * CN + c] + src[2 * dx * CN + CN + c]);
}

// ---- float linear -------------------------------------------------------------------------------

// Float column tables: per pixel tap offsets (elements), per element weights.
struct FloatColumns {
    int dst_w = 0, cn = 0, right = 0;
    std::vector<int32_t> x0, x1;
    std::vector<float> a0, a1;
};

FloatColumns float_columns(int src_w, int dst_w, int cn) {
    const Axis ax = column_axis(src_w, dst_w);
    FloatColumns t;
    t.dst_w = dst_w;
    t.cn = cn;
    t.right = ax.right;
    t.x0.resize(dst_w);
    t.x1.resize(dst_w);
    t.a0.resize(static_cast<std::size_t>(dst_w) * cn);
    t.a1.resize(static_cast<std::size_t>(dst_w) * cn);
    for (int dx = 0; dx < dst_w; ++dx) {
        t.x0[dx] = ax.i0[dx] * cn;
        t.x1[dx] = ax.i1[dx] * cn;
        for (int c = 0; c < cn; ++c) {
            t.a0[static_cast<std::size_t>(dx) * cn + c] = ax.w0[dx];
            t.a1[static_cast<std::size_t>(dx) * cn + c] = ax.w1[dx];
        }
    }
    return t;
}

template <int CN>
void gather_f32(const float* src, const FloatColumns& t, float* __restrict g0, float* __restrict g1) {
    for (std::size_t dx = 0; dx < static_cast<std::size_t>(t.dst_w); ++dx) {
        std::memcpy(g0 + CN * dx, src + t.x0[dx], CN * sizeof(float));
        std::memcpy(g1 + CN * dx, src + t.x1[dx], CN * sizeof(float));
    }
}

// OpenCV's float horizontal pass: S[x0]*a0 + S[x1]*a1, except the columns clamped to the right
// edge, which copy the edge pixel. Gather into planes, then one vectorisable loop.
void hpass_f32(const float* src, float* out, const FloatColumns& t, float* g0, float* g1) {
    switch (t.cn) {
        case 1: gather_f32<1>(src, t, g0, g1); break;
        case 2: gather_f32<2>(src, t, g0, g1); break;
        case 3: gather_f32<3>(src, t, g0, g1); break;
        default: gather_f32<4>(src, t, g0, g1); break;
    }
    const int n = t.dst_w * t.cn;
    const float* __restrict s0 = g0;
    const float* __restrict s1 = g1;
    const float* __restrict a0 = t.a0.data();
    const float* __restrict a1 = t.a1.data();
    float* __restrict o = out;
    for (int i = 0; i < n; ++i) o[i] = s0[i] * a0[i] + s1[i] * a1[i];
    for (int i = t.right * t.cn; i < n; ++i) o[i] = s0[i];
}

// One output row of the float exact-2x path; size_t indices (vectorises also under -fwrapv).
template <std::size_t CN>
void area2_row_f32_cn(const float* __restrict s0, const float* __restrict s1, float* __restrict d, std::size_t dst_w,
                      std::size_t pair_end) {
    for (std::size_t dx = 0; dx < pair_end; ++dx)
        for (std::size_t c = 0; c < CN; ++c) {
            const std::size_t i = 2 * dx * CN + c;
            d[dx * CN + c] = ((s0[i] + s0[i + CN]) + (s1[i] + s1[i + CN])) * 0.25f;
        }
    for (std::size_t dx = pair_end; dx < dst_w; ++dx)
        for (std::size_t c = 0; c < CN; ++c) {
            const std::size_t i = 2 * dx * CN + c;
            d[dx * CN + c] = (((s0[i] + s0[i + CN]) + s1[i]) + s1[i + CN]) * 0.25f;
        }
}

void area2_row_f32(const float* s0, const float* s1, float* d, int dst_w, int cn, int pair_end) {
    const std::size_t w = static_cast<std::size_t>(dst_w), p = static_cast<std::size_t>(pair_end);
    switch (cn) {
        case 1: area2_row_f32_cn<1>(s0, s1, d, w, p); break;
        case 2: area2_row_f32_cn<2>(s0, s1, d, w, p); break;
        case 3: area2_row_f32_cn<3>(s0, s1, d, w, p); break;
        default: area2_row_f32_cn<4>(s0, s1, d, w, p); break;
    }
}

void vpass_f32(const float* h0, const float* h1, float b0, float b1, float* dst, int n) {
    for (int i = 0; i < n; ++i) dst[i] = h0[i] * b0 + h1[i] * b1;
}

}  // namespace

namespace detail {

PYALIGN_CLONES void linear_u8_hpass(const uint8_t* src, int16_t* out, const LinearTablesU8& t, uint8_t* g0, uint8_t* g1) {
    if (t.channels == 1) {
        // One channel: gather both taps of a pixel with one 2-byte copy into an interleaved buffer
        // (where the right edge is clamped, a1 = 0 and the second byte does not matter).
        // Indices are size_t: the build may use -fwrapv (Python's CFLAGS), under which int index
        // arithmetic like 2 * i blocks vectorisation.
        const std::size_t w = static_cast<std::size_t>(t.dst_w);
        std::size_t dx = 0;
        for (; dx < static_cast<std::size_t>(t.wide_w); ++dx) std::memcpy(g0 + 2 * dx, src + t.xofs0[dx], 2);
        for (; dx < w; ++dx) {
            g0[2 * dx] = src[t.xofs0[dx]];
            g0[2 * dx + 1] = src[t.xofs1[dx]];
        }
        const uint8_t* __restrict g = g0;
        const int16_t* __restrict a0 = t.alpha0;
        const int16_t* __restrict a1 = t.alpha1;
        int16_t* __restrict o = out;
        for (std::size_t i = 0; i < w; ++i)
            o[i] = static_cast<int16_t>((g[2 * i] * a0[i] + g[2 * i + 1] * a1[i]) >> 4);
        return;
    }
    switch (t.channels) {
        case 2: gather_cn<2>(src, t.dst_w, t.xofs0, t.xofs1, t.wide_w, g0, g1); break;
        case 3: gather_cn<3>(src, t.dst_w, t.xofs0, t.xofs1, t.wide_w, g0, g1); break;
        default: gather_cn<4>(src, t.dst_w, t.xofs0, t.xofs1, t.wide_w, g0, g1); break;
    }
    const int n = t.dst_w * t.channels;
    const int16_t* __restrict a0 = t.alpha0;
    const int16_t* __restrict a1 = t.alpha1;
    const uint8_t* __restrict s0 = g0;
    const uint8_t* __restrict s1 = g1;
    int16_t* __restrict o = out;
    for (int i = 0; i < n; ++i) o[i] = static_cast<int16_t>((s0[i] * a0[i] + s1[i] * a1[i]) >> 4);
}

PYALIGN_CLONES void linear_u8_hpass_area2(const uint8_t* src, int16_t* out, int dst_w, int channels) {
    switch (channels) {
        case 1: area2_pairs<1>(src, out, dst_w); break;
        case 2: area2_pairs<2>(src, out, dst_w); break;
        case 3: area2_pairs<3>(src, out, dst_w); break;
        default: area2_pairs<4>(src, out, dst_w); break;
    }
}

PYALIGN_CLONES void linear_u8_vpass_area2(const int16_t* h0, const int16_t* h1, uint8_t* dst, int n,
                                          bool half_even) {
    // h = a + b (horizontal pair sums). The bilinear formula at an exact 2x gives (a+b+c+d+2) >> 2;
    // OpenCV's INTER_AREA path used for 2 channels rounds the mean half to even instead.
    if (half_even) {
        for (int i = 0; i < n; ++i) {
            const int tot = h0[i] + h1[i];
            const int q = tot >> 2, r = tot & 3;
            dst[i] = static_cast<uint8_t>(q + ((r > 2) | ((r == 2) & (q & 1))));
        }
    } else {
        for (int i = 0; i < n; ++i) dst[i] = static_cast<uint8_t>((h0[i] + h1[i] + 2) >> 2);
    }
}

PYALIGN_CLONES void linear_u8_vpass(const int16_t* h0, const int16_t* h1, int16_t b0, int16_t b1, uint8_t* dst, int n) {
    // (b * h) >> 16 with both in int16 is a high-half multiply (vectorised as such).
    for (int i = 0; i < n; ++i) {
        const int r0 = (static_cast<int>(b0) * h0[i]) >> 16;
        const int r1 = (static_cast<int>(b1) * h1[i]) >> 16;
        int v = (r0 + r1 + 2) >> 2;
        v = v < 0 ? 0 : (v > 255 ? 255 : v);
        dst[i] = static_cast<uint8_t>(v);
    }
}

void linear_u8_select(const uint8_t* src, uint8_t* dst, const int32_t* xofs0, int dst_w, int channels, int wide_w) {
    const std::size_t w = static_cast<std::size_t>(dst_w);
    switch (channels) {
        case 1:
            for (std::size_t dx = 0; dx < w; ++dx) dst[dx] = src[xofs0[dx]];
            break;
        case 2:
            for (std::size_t dx = 0; dx < w; ++dx) std::memcpy(dst + 2 * dx, src + xofs0[dx], 2);
            break;
        case 3: {
            // 4-byte copies (the 4th byte is overwritten by the next pixel) where the source row has
            // room, never for the last destination pixel
            std::size_t dx = 0;
            const std::size_t wide = std::min(static_cast<std::size_t>(wide_w < 0 ? 0 : wide_w), w == 0 ? 0 : w - 1);
            for (; dx < wide; ++dx) std::memcpy(dst + 3 * dx, src + xofs0[dx], 4);
            for (; dx < w; ++dx) std::memcpy(dst + 3 * dx, src + xofs0[dx], 3);
            break;
        }
        default:
            for (std::size_t dx = 0; dx < w; ++dx) std::memcpy(dst + 4 * dx, src + xofs0[dx], 4);
            break;
    }
}

PYALIGN_CLONES void linear_u8_hpass_identity(const uint8_t* src, int16_t* out, int n) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) out[i] = static_cast<int16_t>(src[i] << 7);
}

}  // namespace detail

// ---- LinearResizeU8 -------------------------------------------------------------------------------

LinearResizeU8::LinearResizeU8(int src_w, int src_h, int dst_w, int dst_h, int channels)
    : src_w_(src_w), src_h_(src_h), dst_w_(dst_w), dst_h_(dst_h), cn_(channels) {
    check_size("source", src_w, src_h);
    check_size("destination", dst_w, dst_h);
    check_channels(channels);
    const Axis cx = column_axis(src_w, dst_w);
    const std::size_t n = static_cast<std::size_t>(dst_w) * static_cast<std::size_t>(channels);
    xofs0_.resize(dst_w);
    xofs1_.resize(dst_w);
    alpha0_.resize(n);
    alpha1_.resize(n);
    for (int dx = 0; dx < dst_w; ++dx) {
        xofs0_[dx] = cx.i0[dx] * channels;
        xofs1_[dx] = cx.i1[dx] * channels;
        const int16_t a0 = sat_short(cx.w0[dx] * kCoefScale);
        const int16_t a1 = sat_short(cx.w1[dx] * kCoefScale);
        for (int c = 0; c < channels; ++c) {
            alpha0_[static_cast<std::size_t>(dx) * channels + c] = a0;
            alpha1_[static_cast<std::size_t>(dx) * channels + c] = a1;
        }
    }
    const Axis ry = row_axis(src_h, dst_h);
    yofs0_ = ry.i0;
    yofs1_ = ry.i1;
    beta_.resize(2 * static_cast<std::size_t>(dst_h));
    for (int dy = 0; dy < dst_h; ++dy) {
        beta_[2 * dy] = sat_short(ry.w0[dy] * kCoefScale);
        beta_[2 * dy + 1] = sat_short(ry.w1[dy] * kCoefScale);
    }
    area2_ = src_w == 2 * dst_w && src_h == 2 * dst_h;
    src_row_px_ = src_w;
    update_fast_paths();
}

void LinearResizeU8::update_fast_paths() {
    const std::size_t w = static_cast<std::size_t>(dst_w_), C = static_cast<std::size_t>(cn_);
    const long long row_bytes = static_cast<long long>(src_row_px_) * cn_;
    // Wide copies (4 bytes per tap for 3 channels, 2 bytes for both taps of 1 channel) stay inside
    // the source row for this prefix of pixels.
    wide_w_ = 0;
    for (std::size_t dx = 0; dx < w; ++dx) {
        const bool fits = cn_ == 1 ? xofs0_[dx] + 2 <= row_bytes : (xofs0_[dx] + 4 <= row_bytes && xofs1_[dx] + 4 <= row_bytes);
        if (!fits) break;
        wide_w_ = static_cast<int>(dx) + 1;
    }
    unit_cols_ = !area2_;
    identity_cols_ = !area2_;
    for (std::size_t dx = 0; dx < w && unit_cols_; ++dx) {
        unit_cols_ = alpha0_[dx * C] == kCoefScale && alpha1_[dx * C] == 0;
        identity_cols_ = identity_cols_ && xofs0_[dx] == static_cast<int32_t>(dx * C);
    }
    identity_cols_ = identity_cols_ && unit_cols_;
    select_rows_ = !area2_;
    for (std::size_t dy = 0; dy < static_cast<std::size_t>(dst_h_) && select_rows_; ++dy) {
        select_rows_ = beta_[2 * dy] == kCoefScale && beta_[2 * dy + 1] == 0 && (dy == 0 || yofs0_[dy] > yofs0_[dy - 1]);
    }
    update_simd_tables();
}

// Tables of the SIMD horizontal kernels (resize_kernels.hpp): the prefix of pixels they may compute
// (second tap at xofs0 + cn or weight 0, kHpassRead bytes readable at the first tap, weights in
// [0, 2048]) and the weights split as 64 * hi + lo, as byte pairs in the kernels' layout.
void LinearResizeU8::update_simd_tables() {
    simd_w_ = 0;
    whi_.clear();
    wlo_.clear();
    if (area2_ || identity_cols_ || cn_ == 2) return;  // paths without a general horizontal pass
    const std::size_t w = static_cast<std::size_t>(dst_w_), C = static_cast<std::size_t>(cn_);
    const long long row_bytes = static_cast<long long>(src_row_px_) * cn_;
    for (std::size_t dx = 0; dx < w; ++dx) {
        const int a0 = alpha0_[dx * C], a1 = alpha1_[dx * C];
        const bool ok = a0 >= 0 && a0 <= kCoefScale && a1 >= 0 && a1 <= kCoefScale &&
                        static_cast<long long>(xofs0_[dx]) + detail::kHpassRead <= row_bytes &&
                        (xofs1_[dx] == xofs0_[dx] + cn_ || a1 == 0);
        if (!ok) break;
        simd_w_ = static_cast<int>(dx) + 1;
    }
    const std::size_t bytes = (cn_ == 3 ? 8 * (w + 1) : 2 * w * C) + 64;
    whi_.assign(bytes, 0);
    wlo_.assign(bytes, 0);
    for (std::size_t dx = 0; dx < static_cast<std::size_t>(simd_w_); ++dx) {
        // 3 channels: 16 bytes per pair of pixels (6 + 6 + 4 zero); otherwise 2 bytes per element
        const std::size_t at = cn_ == 3 ? 16 * (dx / 2) + 6 * (dx % 2) : 2 * C * dx;
        const int a0 = alpha0_[dx * C], a1 = alpha1_[dx * C];
        for (std::size_t c = 0; c < C; ++c) {
            whi_[at + 2 * c] = static_cast<uint8_t>(a0 >> 6);
            whi_[at + 2 * c + 1] = static_cast<uint8_t>(a1 >> 6);
            wlo_[at + 2 * c] = static_cast<uint8_t>(a0 & 63);
            wlo_[at + 2 * c + 1] = static_cast<uint8_t>(a1 & 63);
        }
    }
}

LinearResizeU8::Scratch LinearResizeU8::make_scratch() const {
    Scratch s;
    const std::size_t n = static_cast<std::size_t>(dst_w_) * static_cast<std::size_t>(cn_);
    s.slot = n + detail::kHpassSlack;
    s.hbuf.assign(2 * s.slot, 0);
    s.gbuf.assign(2 * (n + 4), 0);  // two planes, or one interleaved buffer of 2n for 1 channel
    s.obuf.assign(n, 0);
    s.kernels = detail::resize_kernels(detail::active_simd_level());
    return s;
}

void LinearResizeU8::hpass(const uint8_t* src, int16_t* out, Scratch& s) const {
    if (identity_cols_) {
        detail::linear_u8_hpass_identity(src, out, dst_w_ * cn_);
        return;
    }
    const auto* k = static_cast<const detail::ResizeKernels*>(s.kernels);
    if (area2_) {
        const int done = (k != nullptr && k->area2_hpass[cn_] != nullptr) ? k->area2_hpass[cn_](src, out, dst_w_) : 0;
        const std::size_t at = static_cast<std::size_t>(done) * static_cast<std::size_t>(cn_);
        detail::linear_u8_hpass_area2(src + 2 * at, out + at, dst_w_ - done, cn_);
        return;
    }
    const int done = (k != nullptr && simd_w_ > 0 && k->hpass[cn_] != nullptr)
                         ? k->hpass[cn_](src, out, xofs0_.data(), whi_.data(), wlo_.data(), simd_w_)
                         : 0;
    if (done == 0) {
        const detail::LinearTablesU8 t{dst_w_, cn_, wide_w_, xofs0_.data(), xofs1_.data(), alpha0_.data(), alpha1_.data()};
        const std::size_t g = static_cast<std::size_t>(dst_w_) * static_cast<std::size_t>(cn_) + 4;
        detail::linear_u8_hpass(src, out, t, s.gbuf.data(), s.gbuf.data() + g);
        return;
    }
    const std::size_t C = static_cast<std::size_t>(cn_);
    for (std::size_t dx = static_cast<std::size_t>(done); dx < static_cast<std::size_t>(dst_w_); ++dx) {
        const uint8_t* s0 = src + xofs0_[dx];
        const uint8_t* s1 = src + xofs1_[dx];
        for (std::size_t c = 0; c < C; ++c) {
            const std::size_t i = dx * C + c;
            out[i] = static_cast<int16_t>((s0[c] * alpha0_[i] + s1[c] * alpha1_[i]) >> 4);
        }
    }
}

void LinearResizeU8::vpass(const int16_t* h0, const int16_t* h1, int dy, uint8_t* out, const Scratch& s) const {
    const int n = dst_w_ * cn_;
    const auto* k = static_cast<const detail::ResizeKernels*>(s.kernels);
    if (area2_) {
        const int done = (k != nullptr && cn_ != 2) ? k->area2_vpass(h0, h1, out, n) : 0;
        if (done < n) detail::linear_u8_vpass_area2(h0 + done, h1 + done, out + done, n - done, cn_ == 2);
        return;
    }
    const int16_t b0 = beta_[2 * static_cast<std::size_t>(dy)], b1 = beta_[2 * static_cast<std::size_t>(dy) + 1];
    const int done = k != nullptr ? k->vpass(h0, h1, b0, b1, out, n) : 0;
    if (done < n) detail::linear_u8_vpass(h0 + done, h1 + done, b0, b1, out + done, n - done);
}

std::vector<int32_t> LinearResizeU8::compact_columns(int max_columns) {
    if (area2_ || src_row_px_ != src_w_) return {};
    const std::size_t w = static_cast<std::size_t>(dst_w_), C = static_cast<std::size_t>(cn_);
    // A column is read when it is a first tap, or a second tap with a non-zero weight.
    std::vector<int32_t> map(static_cast<std::size_t>(src_w_), -1);
    for (std::size_t dx = 0; dx < w; ++dx) {
        map[static_cast<std::size_t>(xofs0_[dx]) / C] = 0;
        if (alpha1_[dx * C] != 0) map[static_cast<std::size_t>(xofs1_[dx]) / C] = 0;
    }
    std::vector<int32_t> cols;
    for (int x = 0; x < src_w_; ++x) {
        if (map[static_cast<std::size_t>(x)] < 0) continue;
        map[static_cast<std::size_t>(x)] = static_cast<int32_t>(cols.size());
        cols.push_back(x);
    }
    if (cols.size() == static_cast<std::size_t>(src_w_) || cols.size() > static_cast<std::size_t>(max_columns < 0 ? 0 : max_columns))
        return {};
    // Remap the taps into the compact row. A weight-0 second tap reads the first tap's pixel; when
    // the second tap has a weight it is the column after the first, so both stay adjacent (as the
    // 1-channel 2-byte copies need).
    for (std::size_t dx = 0; dx < w; ++dx) {
        const int32_t c0 = map[static_cast<std::size_t>(xofs0_[dx]) / C];
        const int32_t c1 = alpha1_[dx * C] != 0 ? map[static_cast<std::size_t>(xofs1_[dx]) / C] : c0;
        xofs0_[dx] = c0 * cn_;
        xofs1_[dx] = c1 * cn_;
    }
    src_row_px_ = static_cast<int>(cols.size());
    update_fast_paths();
    return cols;
}

// ---- whole-image entry points ---------------------------------------------------------------------

void resize_linear(const ImageView<const uint8_t>& src, const ImageView<uint8_t>& dst, int threads) {
    check_pair(src, dst);
    detail::resolve_threads(threads);
    const std::size_t row_bytes = static_cast<std::size_t>(dst.width) * dst.channels;
    if (src.width == dst.width && src.height == dst.height) {
        detail::parallel_rows(threads, src.height, [&](int y0, int y1) {
            copy_rows(src.row(y0), src.stride, dst.row(y0), dst.stride, row_bytes, y1 - y0);
        });
        return;
    }
    const LinearResizeU8 r(src.width, src.height, dst.width, dst.height, src.channels);
    detail::parallel_rows(threads, dst.height, [&](int d0, int d1) {
        r.run_rows_into(d0, d1, [&](int y) { return src.row(y); }, [&](int dy) { return dst.row(dy); });
    });
}

void resize_linear(const ImageView<const float>& src, const ImageView<float>& dst, int threads) {
    check_pair(src, dst);
    detail::resolve_threads(threads);
    const int cn = src.channels;
    const std::size_t n = static_cast<std::size_t>(dst.width) * cn;
    if (src.width == dst.width && src.height == dst.height) {
        detail::parallel_rows(threads, src.height, [&](int y0, int y1) {
            copy_rows(reinterpret_cast<const unsigned char*>(src.row(y0)), src.stride,
                      reinterpret_cast<unsigned char*>(dst.row(y0)), dst.stride, n * sizeof(float), y1 - y0);
        });
        return;
    }
    // Exact 2x downscale in both axes: OpenCV takes its INTER_AREA path, which sums the four pixels
    // in an order that depends on the channel count (measured against opencv-python 5.0, IPP off):
    // 4 channels and the first (w & ~3) outputs of 1 channel (4-lane vector code) sum
    // (a + b) + (c + d); 2, 3 channels and the 1-channel tail sum ((a + b) + c) + d; times 0.25.
    if (src.width == 2 * dst.width && src.height == 2 * dst.height) {
        const int pair_end = cn == 4 ? dst.width : (cn == 1 ? (dst.width & ~3) : 0);
        detail::parallel_rows(threads, dst.height, [&](int d0, int d1) {
            for (int dy = d0; dy < d1; ++dy)
                area2_row_f32(src.row(2 * dy), src.row(2 * dy + 1), dst.row(dy), dst.width, cn, pair_end);
        });
        return;
    }
    const FloatColumns cx = float_columns(src.width, dst.width, cn);
    const Axis ry = row_axis(src.height, dst.height);
    detail::parallel_rows(threads, dst.height, [&](int d0, int d1) {
        std::vector<float> buf(4 * n);
        float* slot[2] = {buf.data(), buf.data() + n};
        float* g0 = buf.data() + 2 * n;
        float* g1 = buf.data() + 3 * n;
        int held[2] = {-1, -1};
        int newest = 0, last = -1;
        for (int dy = d0; dy < d1; ++dy) {
            const int y0 = ry.i0[dy], y1 = ry.i1[dy];
            for (int y : {y0, y1}) {
                if (y > last) {
                    newest ^= 1;
                    hpass_f32(src.row(y), slot[newest], cx, g0, g1);
                    held[newest] = y;
                    last = y;
                }
            }
            const float* h0 = held[newest] == y0 ? slot[newest] : slot[newest ^ 1];
            const float* h1 = held[newest] == y1 ? slot[newest] : slot[newest ^ 1];
            vpass_f32(h0, h1, ry.w0[dy], ry.w1[dy], dst.row(dy), static_cast<int>(n));
        }
    });
}

namespace {

std::vector<int32_t> nearest_table(int src, int dst) {
    const double inv = static_cast<double>(dst) / src;
    const double ifx = 1.0 / inv;
    std::vector<int32_t> t(dst);
    for (int d = 0; d < dst; ++d) {
        t[d] = std::min(static_cast<int>(std::floor(d * ifx)), src - 1);
    }
    return t;
}

template <typename T, int CN>
void nearest_row(const T* __restrict s, T* __restrict d, const std::vector<int32_t>& xs) {
    const std::size_t w = xs.size();
    for (std::size_t dx = 0; dx < w; ++dx) {
        std::memcpy(d + dx * CN, s + static_cast<std::size_t>(xs[dx]) * CN, CN * sizeof(T));
    }
}

template <typename T>
void nearest_rows(const ImageView<const T>& src, const ImageView<T>& dst, const std::vector<int32_t>& xs,
                  const std::vector<int32_t>& ys, int d0, int d1) {
    const int cn = src.channels;
    const std::size_t row_bytes = static_cast<std::size_t>(dst.width) * cn * sizeof(T);
    for (int dy = d0; dy < d1; ++dy) {
        if (dy > d0 && ys[dy] == ys[dy - 1]) {  // same source row: copy the previous output row
            std::memcpy(dst.row(dy), dst.row(dy - 1), row_bytes);
            continue;
        }
        switch (cn) {
            case 1: nearest_row<T, 1>(src.row(ys[dy]), dst.row(dy), xs); break;
            case 2: nearest_row<T, 2>(src.row(ys[dy]), dst.row(dy), xs); break;
            case 3: nearest_row<T, 3>(src.row(ys[dy]), dst.row(dy), xs); break;
            default: nearest_row<T, 4>(src.row(ys[dy]), dst.row(dy), xs); break;
        }
    }
}

template <typename T>
void nearest_impl(const ImageView<const T>& src, const ImageView<T>& dst, int threads) {
    check_pair(src, dst);
    detail::resolve_threads(threads);
    const std::vector<int32_t> xs = nearest_table(src.width, dst.width);
    const std::vector<int32_t> ys = nearest_table(src.height, dst.height);
    detail::parallel_rows(threads, dst.height, [&](int d0, int d1) { nearest_rows(src, dst, xs, ys, d0, d1); });
}

}  // namespace

void resize_nearest(const ImageView<const uint8_t>& src, const ImageView<uint8_t>& dst, int threads) {
    nearest_impl(src, dst, threads);
}
void resize_nearest(const ImageView<const float>& src, const ImageView<float>& dst, int threads) {
    nearest_impl(src, dst, threads);
}

// ---- letterbox ------------------------------------------------------------------------------------

namespace {
const detail::EnumName<LetterboxStyle> kStyleNames[] = {
    {"ultralytics", LetterboxStyle::Ultralytics, false},
    {"center", LetterboxStyle::Center, false},
};
}  // namespace

LetterboxStyle parse_letterbox_style(const std::string& name) {
    return detail::parse_enum(kStyleNames, name, "letterbox style");
}

LetterboxGeometry letterbox_geometry(int src_w, int src_h, int dst_w, int dst_h, LetterboxStyle style) {
    check_size("source", src_w, src_h);
    check_size("destination", dst_w, dst_h);
    LetterboxGeometry g;
    g.src_width = src_w;
    g.src_height = src_h;
    g.dst_width = dst_w;
    g.dst_height = dst_h;
    const double r = std::min(static_cast<double>(dst_h) / src_h, static_cast<double>(dst_w) / src_w);
    g.scale_x = g.scale_y = r;
    if (style == LetterboxStyle::Ultralytics) {
        // As ultralytics' LetterBox (Python floats): round() is half-to-even like nearbyint.
        g.resized_width = static_cast<int>(std::nearbyint(src_w * r));
        g.resized_height = static_cast<int>(std::nearbyint(src_h * r));
        const double dw = (dst_w - g.resized_width) / 2.0;
        const double dh = (dst_h - g.resized_height) / 2.0;
        g.pad_top = static_cast<int>(std::nearbyint(dh - 0.1));
        g.pad_bottom = static_cast<int>(std::nearbyint(dh + 0.1));
        g.pad_left = static_cast<int>(std::nearbyint(dw - 0.1));
        g.pad_right = static_cast<int>(std::nearbyint(dw + 0.1));
    } else {
        // Center: Axera ax-samples' get_input_data_letterbox, operation for operation: the ratio is
        // chosen in double (the column ratio on ties), stored in a float, and each size is
        // int(float_ratio * side) evaluated in float32 -- so a limiting side can come out one pixel
        // short (100x1101 into 640x640 gives 58x639).
        const double rr = dst_h * 1.0 / src_h, rc = dst_w * 1.0 / src_w;
        const float fr = static_cast<float>(rr < rc ? rr : rc);
        const float fw = fr * static_cast<float>(src_w);
        const float fh = fr * static_cast<float>(src_h);
        g.resized_width = fw < 1.f ? 0 : static_cast<int>(fw);
        g.resized_height = fh < 1.f ? 0 : static_cast<int>(fh);
        const int dw = dst_w - g.resized_width, dh = dst_h - g.resized_height;
        g.pad_left = dw / 2;
        g.pad_right = dw - g.pad_left;
        g.pad_top = dh / 2;
        g.pad_bottom = dh - g.pad_top;
    }
    // Guard against a degenerate resized size (e.g. a 1x1000 image into 640x640 rounds to 0 columns).
    if (g.resized_width < 1 || g.resized_height < 1) {
        throw Error("letterbox of " + dims(src_w, src_h) + " into " + dims(dst_w, dst_h) +
                    " leaves an empty image (" + dims(g.resized_width, g.resized_height) + ")");
    }
    if (g.pad_left < 0 || g.pad_top < 0 || g.pad_right < 0 || g.pad_bottom < 0 ||
        g.pad_left + g.resized_width + g.pad_right != dst_w || g.pad_top + g.resized_height + g.pad_bottom != dst_h) {
        throw Error("letterbox geometry of " + dims(src_w, src_h) + " into " + dims(dst_w, dst_h) +
                    " is inconsistent");
    }
    return g;
}

void letterbox(const ImageView<const uint8_t>& src, const ImageView<uint8_t>& dst, const uint8_t* pad,
               LetterboxStyle style, LetterboxGeometry* out, int threads) {
    check_pair(src, dst);
    if (pad == nullptr) throw Error("letterbox: pad values are missing");
    detail::resolve_threads(threads);
    const LetterboxGeometry g = letterbox_geometry(src.width, src.height, dst.width, dst.height, style);
    const int cn = src.channels;
    const std::size_t row_bytes = static_cast<std::size_t>(dst.width) * cn;
    // One padded row, reused for the top and bottom borders and as the template of the side borders.
    std::vector<uint8_t> pad_row(row_bytes);
    for (int x = 0; x < dst.width; ++x)
        for (int c = 0; c < cn; ++c) pad_row[static_cast<std::size_t>(x) * cn + c] = pad[c];
    for (int y = 0; y < g.pad_top; ++y) std::memcpy(dst.row(y), pad_row.data(), row_bytes);
    for (int y = g.pad_top + g.resized_height; y < dst.height; ++y) std::memcpy(dst.row(y), pad_row.data(), row_bytes);
    const std::size_t left_bytes = static_cast<std::size_t>(g.pad_left) * cn;
    const std::size_t mid_bytes = static_cast<std::size_t>(g.resized_width) * cn;
    const std::size_t right_bytes = static_cast<std::size_t>(g.pad_right) * cn;
    for (int ry = 0; ry < g.resized_height; ++ry) {
        uint8_t* d = dst.row(g.pad_top + ry);
        std::memcpy(d, pad_row.data(), left_bytes);
        std::memcpy(d + left_bytes + mid_bytes, pad_row.data(), right_bytes);
    }
    auto inner = [&](int ry) { return dst.row(g.pad_top + ry) + left_bytes; };
    if (g.resized_width == src.width && g.resized_height == src.height) {
        detail::parallel_rows(threads, src.height, [&](int y0, int y1) {
            for (int y = y0; y < y1; ++y) std::memcpy(inner(y), src.row(y), mid_bytes);
        });
    } else {
        const LinearResizeU8 r(src.width, src.height, g.resized_width, g.resized_height, cn);
        detail::parallel_rows(threads, g.resized_height, [&](int d0, int d1) {
            r.run_rows_into(d0, d1, [&](int y) { return src.row(y); }, inner);
        });
    }
    if (out != nullptr) *out = g;
}

}  // namespace pyalign

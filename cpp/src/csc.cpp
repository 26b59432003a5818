// pyalign — colour-space conversion (see csc.hpp for the exact definitions).
//
// The kernels are plain loops over small contiguous scratch arrays so that the compiler vectorises
// them; the integer kernels give the same bytes whatever the instruction set. On x86-64 with GCC
// the hot kernels are additionally compiled for AVX2 and x86-64-v4 (AVX-512) and picked at run time
// (target_clones): same source, same integer / IEEE float64 operations, same results.
#include "pyalign/csc.hpp"

#include "enum_names.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <cstring>
#include <limits>

#include "csc_kernels.hpp"
#include "dispatch.hpp"  // PYALIGN_HOT_KERNEL: AVX2 / AVX-512 clones on x86-64, same bits
#include "parallel.hpp"

namespace pyalign {

namespace {

constexpr int kShift = 20;
constexpr int32_t kCY = 1220542, kCUB = 2116026, kCUG = -409993, kCVG = -852492, kCVR = 1673527;
constexpr int32_t kHalf = 1 << (kShift - 1);
constexpr int kChunk = 512;  // pixels per kernel call (even); scratch stays under 20 KB of stack
constexpr int kMaxSide = 1 << 20;

inline uint8_t sat_u8(int32_t x) { return static_cast<uint8_t>(x < 0 ? 0 : (x > 255 ? 255 : x)); }

// Chroma of n pixels into per-pixel scratch: shared (one U, V per pixel pair: U/V hold n/2 bytes,
// n even) or per pixel (U/V hold n bytes, e.g. for a selection of columns). set(U, V, i) computes
// pixel i's terms; dup(i) copies pixel i's terms to pixel i + 1. Every pixel gets the value of the
// same expression either way.
template <bool kPerPixel, class Set, class Dup>
inline void spread_chroma(const uint8_t* U, const uint8_t* V, int n, Set set, Dup dup) {
    if (kPerPixel) {
        for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) set(U[i], V[i], i);
    } else {
        for (std::size_t k = 0; k < static_cast<std::size_t>(n / 2); ++k) {
            set(U[k], V[k], 2 * k);
            dup(2 * k);
        }
    }
}

// n pixels (n <= kChunk). Y: n luma bytes, U/V: chroma (see spread_chroma). Writes n*3 bytes
// interleaved B,G,R (or R,G,B when rgb).
template <bool kPerPixel>
PYALIGN_HOT_KERNEL void opencv_chunk(const uint8_t* Y, const uint8_t* U, const uint8_t* V, int n, uint8_t* out,
                                     bool rgb) {
    int32_t ruv[kChunk], guv[kChunk], buv[kChunk];
    uint8_t r[kChunk], g[kChunk], b[kChunk];
    spread_chroma<kPerPixel>(
        U, V, n,
        [&](uint8_t U8, uint8_t V8, std::size_t i) {
            const int32_t u = static_cast<int32_t>(U8) - 128;
            const int32_t v = static_cast<int32_t>(V8) - 128;
            ruv[i] = kHalf + kCVR * v;
            guv[i] = kHalf + kCVG * v + kCUG * u;
            buv[i] = kHalf + kCUB * u;
        },
        [&](std::size_t i) {
            ruv[i + 1] = ruv[i];
            guv[i + 1] = guv[i];
            buv[i + 1] = buv[i];
        });
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
        int32_t yy = static_cast<int32_t>(Y[i]) - 16;
        yy = (yy < 0 ? 0 : yy) * kCY;
        int32_t R = (yy + ruv[i]) >> kShift;
        int32_t G = (yy + guv[i]) >> kShift;
        int32_t B = (yy + buv[i]) >> kShift;
        R = R < 0 ? 0 : (R > 255 ? 255 : R);
        G = G < 0 ? 0 : (G > 255 ? 255 : G);
        B = B < 0 ? 0 : (B > 255 ? 255 : B);
        r[i] = static_cast<uint8_t>(R);
        g[i] = static_cast<uint8_t>(G);
        b[i] = static_cast<uint8_t>(B);
    }
    const uint8_t* c0 = rgb ? r : b;
    const uint8_t* c2 = rgb ? b : r;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
        out[3 * i] = c0[i];
        out[3 * i + 1] = g[i];
        out[3 * i + 2] = c2[i];
    }
}

template <bool kPerPixel>
PYALIGN_HOT_KERNEL void matrix_chunk(const uint8_t* Y, const uint8_t* U, const uint8_t* V, int n, uint8_t* out,
                                     bool rgb, const CscMatrix& mat) {
    double ud[kChunk], vd[kChunk];
    uint8_t ch[3][kChunk];
    spread_chroma<kPerPixel>(
        U, V, n,
        [&](uint8_t U8, uint8_t V8, std::size_t i) {
            ud[i] = static_cast<double>(U8);
            vd[i] = static_cast<double>(V8);
        },
        [&](std::size_t i) {
            ud[i + 1] = ud[i];
            vd[i + 1] = vd[i];
        });
    for (int k = 0; k < 3; ++k) {
        const double c0 = mat.m[k][0], c1 = mat.m[k][1], c2 = mat.m[k][2], c3 = mat.m[k][3] * 256.0;
        uint8_t* dst = ch[k];
        for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
            const double x = ((c0 * static_cast<double>(Y[i]) + c1 * ud[i]) + c2 * vd[i]) + c3;
            // |x| < 2^21 (bounded entries): trunc(x + 0.5) == floor(x + 0.5) for x + 0.5 >= 0, and
            // anything negative saturates to 0 anyway.
            int32_t r = static_cast<int32_t>(x + 0.5);
            r = r < 0 ? 0 : (r > 255 ? 255 : r);
            dst[i] = static_cast<uint8_t>(r);
        }
    }
    // ch[0] = R, ch[1] = G, ch[2] = B
    const uint8_t* a = rgb ? ch[0] : ch[2];
    const uint8_t* c = rgb ? ch[2] : ch[0];
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
        out[3 * i] = a[i];
        out[3 * i + 1] = ch[1][i];
        out[3 * i + 2] = c[i];
    }
}

// The layouts the kernels below handle: semi-planar 4:2:0 and packed 4:2:2 (offsets from the table).
bool is_420(PixelFormat f) {
    const PixelFormatInfo& i = pixel_format_info(f);
    return i.family == PixelFamily::SemiPlanarYuv && i.sub_x == 2 && i.sub_y == 2;
}
bool is_422(PixelFormat f) {
    const PixelFormatInfo& i = pixel_format_info(f);
    return i.family == PixelFamily::PackedYuv && i.sub_x == 2 && i.sub_y == 1;
}

}  // namespace

namespace {
constexpr bool table_in_enum_order() {
    int k = 0;
    for (const PixelFormatInfo& i : kPixelFormats)
        if (static_cast<int>(i.format) != k++) return false;
    return true;
}
static_assert(table_in_enum_order(), "kPixelFormats: one row per PixelFormat, in enum order");

const detail::EnumName<CscMode> kModeNames[] = {
    {"opencv", CscMode::OpenCV, false},
    {"full_range", CscMode::FullRange, false},
    {"limited_range", CscMode::LimitedRange, false},
    {"matrix", CscMode::Matrix, false},
};
}  // namespace

const PixelFormatInfo& pixel_format_info(PixelFormat f) {
    const auto k = static_cast<std::size_t>(f);
    if (k >= std::size(kPixelFormats)) throw Error("unknown pixel format value " + std::to_string(k));
    return kPixelFormats[k];
}

PixelFormat parse_pixel_format(const std::string& name) {
    for (const PixelFormatInfo& i : kPixelFormats)
        if (name == i.name || (*i.alias != '\0' && name == i.alias)) return i.format;
    std::string expected;
    const std::size_t n = std::size(kPixelFormats);
    for (std::size_t k = 0; k < n; ++k)
        expected += (k == 0 ? "" : k + 1 == n ? " or " : ", ") + std::string(kPixelFormats[k].name);
    throw Error("unknown pixel format '" + name + "' (expected " + expected + ")");
}

const char* pixel_format_name(PixelFormat f) { return pixel_format_info(f).name; }

std::vector<std::string> pixel_format_names() {
    std::vector<std::string> out;
    for (const PixelFormatInfo& i : kPixelFormats) out.emplace_back(i.name);
    return out;
}

bool is_yuv(PixelFormat f) {
    const PixelFamily family = pixel_format_info(f).family;
    return family == PixelFamily::SemiPlanarYuv || family == PixelFamily::PackedYuv;
}

int decoded_channels(PixelFormat f) { return pixel_format_info(f).channels; }

void check_frame_size(PixelFormat f, int width, int height) {
    if (width <= 0 || height <= 0)
        throw Error(std::string(pixel_format_name(f)) + " image must have a positive size, got " +
                    std::to_string(width) + "x" + std::to_string(height));
    if (width > kMaxSide || height > kMaxSide)
        throw Error(std::string(pixel_format_name(f)) + " image too large: " + std::to_string(width) + "x" +
                    std::to_string(height) + " (at most " + std::to_string(kMaxSide) + " per side)");
    const PixelFormatInfo& i = pixel_format_info(f);
    auto multiple = [](int n, const char* side) {
        return n == 2 ? std::string("an even ") + side
                      : std::string("a ") + side + " divisible by " + std::to_string(n);
    };
    if (width % i.sub_x != 0)
        throw Error(std::string(i.name) + " needs " + multiple(i.sub_x, "width") + ", got " + std::to_string(width));
    if (height % i.sub_y != 0)
        throw Error(std::string(i.name) + " needs " + multiple(i.sub_y, "height") + ", got " + std::to_string(height));
}

std::size_t frame_bytes(PixelFormat f, int width, int height) {
    const std::size_t w = static_cast<std::size_t>(width), h = static_cast<std::size_t>(height);
    return w * h * static_cast<std::size_t>(pixel_format_info(f).bits_per_pixel) / 8;
}

std::vector<std::size_t> frame_shape(PixelFormat f, int width, int height) {
    const PixelFormatInfo& i = pixel_format_info(f);
    const std::size_t w = static_cast<std::size_t>(width), h = static_cast<std::size_t>(height);
    const std::size_t bpp = static_cast<std::size_t>(i.bits_per_pixel);
    if (i.family == PixelFamily::SemiPlanarYuv) return {h * bpp / 8, w};  // Y rows, then the chroma rows
    if (bpp == 8) return {h, w};
    return {h, w, bpp / 8};
}

CscMode parse_csc_mode(const std::string& name) { return detail::parse_enum(kModeNames, name, "csc mode"); }

const char* csc_mode_name(CscMode m) { return detail::enum_name(kModeNames, m); }

CscMatrix csc_matrix(CscMode mode, const double* matrix) {
    // The bias column is in units of 256; the expressions below are evaluated in double exactly as
    // written (same constants as the Python reference).
    switch (mode) {
        case CscMode::FullRange:  // BT.601 full range (JFIF)
            return CscMatrix{{{1.0, 0.0, 1.402, -1.402 * 128 / 256},
                              {1.0, -0.344136, -0.714136, (0.344136 + 0.714136) * 128 / 256},
                              {1.0, 1.772, 0.0, -1.772 * 128 / 256}}};
        case CscMode::LimitedRange:  // BT.601 limited range, Pulsar2's documented coefficients
            return CscMatrix{{{1.164, 0.0, 1.596, -(1.164 * 16 + 1.596 * 128) / 256},
                              {1.164, -0.392, -0.813, (-1.164 * 16 + 0.392 * 128 + 0.813 * 128) / 256},
                              {1.164, 2.017, 0.0, -(1.164 * 16 + 2.017 * 128) / 256}}};
        case CscMode::Matrix: {
            if (matrix == nullptr) throw Error("csc mode 'matrix' needs a 3x4 matrix (12 numbers)");
            CscMatrix out{};
            for (int i = 0; i < 12; ++i) {
                const double m = matrix[i];
                if (!std::isfinite(m) || std::fabs(m) > 1000.0)
                    throw Error("csc matrix entry " + std::to_string(i) + " must be finite and within +-1000, got " +
                                std::to_string(m));
                out.m[i / 4][i % 4] = m;
            }
            return out;
        }
        case CscMode::OpenCV: break;
    }
    throw Error("csc mode 'opencv' is integer, it has no matrix");
}

YuvRowConverter::YuvRowConverter(PixelFormat src, int width, int height, bool to_rgb, CscMode mode,
                                 const double* matrix)
    : src_(src), width_(width), height_(height), to_rgb_(to_rgb), mode_(mode) {
    if (!is_yuv(src))
        throw Error(std::string("csc: source format must be a YUV format, got ") + pixel_format_name(src));
    if (!is_420(src) && !is_422(src)) throw Error(std::string("csc: no conversion from ") + pixel_format_name(src));
    check_frame_size(src, width, height);
    if (mode != CscMode::OpenCV) {
        mat_ = csc_matrix(mode, matrix);
    } else if (matrix != nullptr) {
        throw Error("csc: a matrix is only allowed with mode 'matrix'");
    }
}

void YuvRowConverter::convert_row(const uint8_t* frame, int y, uint8_t* out) const {
    convert_row_using(frame, y, out, detail::csc_kernels(detail::active_simd_level()));
}

void YuvRowConverter::convert_row_using(const uint8_t* frame, int y, uint8_t* out, const void* kernels) const {
    if (y < 0 || y >= height_) throw Error("csc: row " + std::to_string(y) + " out of range");
    const std::size_t w = static_cast<std::size_t>(width_);
    const auto* k = mode_ != CscMode::OpenCV ? nullptr : static_cast<const detail::CscKernels*>(kernels);
    // the SIMD kernel converts the row (or nothing when it is shorter than its block)
    int done = 0;
    if (k != nullptr && is_420(src_)) {
        const uint8_t* yrow = frame + static_cast<std::size_t>(y) * w;
        const uint8_t* uvrow = frame + static_cast<std::size_t>(height_) * w + static_cast<std::size_t>(y / 2) * w;
        done = k->yuv420[pixel_format_info(src_).u_offset][to_rgb_ ? 1 : 0](yrow, uvrow, out, width_);
    } else if (k != nullptr) {
        const uint8_t* row = frame + static_cast<std::size_t>(y) * w * 2;
        done = k->yuv422[pixel_format_info(src_).y_offset][to_rgb_ ? 1 : 0](row, out, width_);
    }
    if (done < width_) convert_span(frame, y, done, width_ - done, out + 3 * static_cast<std::size_t>(done));
}

void YuvRowConverter::convert_span(const uint8_t* frame, int y, int x, int n, uint8_t* out) const {
    const std::size_t w = static_cast<std::size_t>(width_);
    uint8_t ybuf[kChunk], ubuf[kChunk / 2], vbuf[kChunk / 2];
    const bool fl = mode_ != CscMode::OpenCV;  // matrix modes
    const bool s420 = is_420(src_);
    const uint8_t* yrow = frame + static_cast<std::size_t>(y) * w * (s420 ? 1 : 2);
    const uint8_t* uvrow = frame + static_cast<std::size_t>(height_) * w + static_cast<std::size_t>(y / 2) * w;
    const int uo = pixel_format_info(src_).u_offset;  // the format table says where U and Y are
    const int yo = pixel_format_info(src_).y_offset;
    for (int x0 = x; x0 < x + n; x0 += kChunk) {
        const int m = std::min(kChunk, x + n - x0);
        const uint8_t* ys = yrow + x0;
        if (s420) {
            const uint8_t* uv = uvrow + x0;
            for (int i = 0; i < m / 2; ++i) {
                ubuf[i] = uv[2 * i + uo];
                vbuf[i] = uv[2 * i + 1 - uo];
            }
        } else {
            const uint8_t* p = yrow + 2 * static_cast<std::size_t>(x0);
            for (std::size_t i = 0; i < static_cast<std::size_t>(m); ++i) ybuf[i] = p[2 * i + static_cast<std::size_t>(yo)];
            for (int i = 0; i < m / 2; ++i) {
                ubuf[i] = p[4 * i + uo];
                vbuf[i] = p[4 * i + uo + 2];
            }
            ys = ybuf;
        }
        uint8_t* o = out + 3 * static_cast<std::size_t>(x0 - x);
        if (fl)
            matrix_chunk<false>(ys, ubuf, vbuf, m, o, to_rgb_, mat_);
        else
            opencv_chunk<false>(ys, ubuf, vbuf, m, o, to_rgb_);
    }
}

void YuvRowConverter::convert_area2_row(const uint8_t* frame, int dy, uint8_t* out) const {
    if (dy < 0 || dy >= height_ / 2) throw Error("csc: area row " + std::to_string(dy) + " out of range");
    const std::size_t w = static_cast<std::size_t>(width_);
    const int n = width_ / 2;  // output pixels (the width is even)
    const auto* k = mode_ != CscMode::OpenCV ? nullptr : detail::csc_kernels(detail::active_simd_level());
    int done = 0;
    if (k != nullptr && is_420(src_)) {
        const uint8_t* y0 = frame + static_cast<std::size_t>(2 * dy) * w;
        const uint8_t* uv = frame + static_cast<std::size_t>(height_) * w + static_cast<std::size_t>(dy) * w;
        done = k->yuv420_area2[pixel_format_info(src_).u_offset][to_rgb_ ? 1 : 0](y0, y0 + w, uv, out, n);
    }
    // The rest: both rows converted in chunks, then (a + b + c + d + 2) >> 2 per channel.
    uint8_t r0[3 * kChunk], r1[3 * kChunk];
    for (int x0 = 2 * done; x0 < width_; x0 += kChunk) {
        const int m = std::min(kChunk, width_ - x0);  // even
        convert_span(frame, 2 * dy, x0, m, r0);
        convert_span(frame, 2 * dy + 1, x0, m, r1);
        uint8_t* o = out + 3 * static_cast<std::size_t>(x0 / 2);
        for (std::size_t i = 0; i < static_cast<std::size_t>(m / 2); ++i)
            for (std::size_t c = 0; c < 3; ++c) {
                const int s = r0[6 * i + c] + r0[6 * i + 3 + c] + r1[6 * i + c] + r1[6 * i + 3 + c];
                o[3 * i + c] = static_cast<uint8_t>((s + 2) >> 2);
            }
    }
}

void YuvRowConverter::convert_columns(const uint8_t* frame, int y, const int32_t* cols, int n, uint8_t* out) const {
    if (y < 0 || y >= height_) throw Error("csc: row " + std::to_string(y) + " out of range");
    const std::size_t w = static_cast<std::size_t>(width_);
    // one vectorisable pass (negative columns wrap to large unsigned values)
    uint32_t outside = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n < 0 ? 0 : n); ++i)
        outside |= static_cast<uint32_t>(static_cast<uint32_t>(cols[i]) >= static_cast<uint32_t>(width_));
    if (outside != 0) throw Error("csc: a column is out of range [0, " + std::to_string(width_) + ")");
    uint8_t ybuf[kChunk], uvbuf[2 * kChunk], ubuf[kChunk], vbuf[kChunk];
    const bool fl = mode_ != CscMode::OpenCV;  // matrix modes
    const auto* k = fl ? nullptr : detail::csc_kernels(detail::active_simd_level());
    const bool s420 = is_420(src_);
    const uint8_t* yrow = frame + static_cast<std::size_t>(y) * w * (s420 ? 1 : 2);
    const uint8_t* uvrow = frame + static_cast<std::size_t>(height_) * w + static_cast<std::size_t>(y / 2) * w;
    // Gathered as Y and the 2 chroma bytes of each pixel: 4:2:0 in the frame's order (the pair at
    // x & ~1 of the UV row: U,V for NV12, V,U for NV21), 4:2:2 as U,V (YUYV = Y0 U Y1 V, UYVY = U Y0 V Y1).
    const PixelFormatInfo& fi = pixel_format_info(src_);
    const int vu = s420 ? fi.u_offset : 0;  // 1: the chroma bytes are V,U
    const int uo = s420 ? 0 : fi.u_offset;
    const int yo = fi.y_offset;
    for (int x0 = 0; x0 < n; x0 += kChunk) {
        const int m = std::min(kChunk, n - x0);
        const int32_t* c = cols + x0;
        if (s420) {
            for (std::size_t i = 0; i < static_cast<std::size_t>(m); ++i) {
                const std::size_t x = static_cast<std::size_t>(c[i]);
                ybuf[i] = yrow[x];
                std::memcpy(uvbuf + 2 * i, uvrow + (x & ~static_cast<std::size_t>(1)), 2);
            }
        } else {
            for (std::size_t i = 0; i < static_cast<std::size_t>(m); ++i) {
                const std::size_t x = static_cast<std::size_t>(c[i]);
                const uint8_t* pair = yrow + 2 * (x & ~static_cast<std::size_t>(1));
                ybuf[i] = yrow[2 * x + static_cast<std::size_t>(yo)];
                uvbuf[2 * i] = pair[uo];
                uvbuf[2 * i + 1] = pair[uo + 2];
            }
        }
        uint8_t* o = out + 3 * static_cast<std::size_t>(x0);
        if (k != nullptr && k->yuv_px[vu][to_rgb_ ? 1 : 0](ybuf, uvbuf, o, m) == m) continue;
        for (std::size_t i = 0; i < static_cast<std::size_t>(m); ++i) {
            ubuf[i] = uvbuf[2 * i + static_cast<std::size_t>(vu)];
            vbuf[i] = uvbuf[2 * i + 1 - static_cast<std::size_t>(vu)];
        }
        if (fl)
            matrix_chunk<true>(ybuf, ubuf, vbuf, m, o, to_rgb_, mat_);
        else
            opencv_chunk<true>(ybuf, ubuf, vbuf, m, o, to_rgb_);
    }
}

void YuvRowConverter::convert(const uint8_t* frame, uint8_t* dst, std::ptrdiff_t dst_stride, int threads) const {
    const void* kernels = detail::csc_kernels(detail::active_simd_level());
    detail::parallel_rows(threads, height_, [&](int y0, int y1) {
        for (int y = y0; y < y1; ++y)
            convert_row_using(frame, y, dst + static_cast<std::ptrdiff_t>(y) * dst_stride, kernels);
    });
}

void yuv_to_rgb(const uint8_t* frame, PixelFormat src, int width, int height, uint8_t* dst, bool to_rgb,
                CscMode mode, const double* matrix, int threads) {
    YuvRowConverter conv(src, width, height, to_rgb, mode, matrix);
    conv.convert(frame, dst, static_cast<std::ptrdiff_t>(width) * 3, threads);
}

void rgb_to_yuv(const uint8_t* src, int width, int height, bool src_is_rgb, PixelFormat dst_fmt, uint8_t* dst,
                int threads) {
    if (!is_yuv(dst_fmt))
        throw Error(std::string("csc: destination format must be a YUV format, got ") + pixel_format_name(dst_fmt));
    if (!is_420(dst_fmt) && !is_422(dst_fmt))
        throw Error(std::string("csc: no conversion to ") + pixel_format_name(dst_fmt));
    check_frame_size(dst_fmt, width, height);
    detail::resolve_threads(threads);
    const std::size_t w = static_cast<std::size_t>(width);
    const int ri = src_is_rgb ? 0 : 2, bi = src_is_rgb ? 2 : 0;
    if (is_420(dst_fmt)) {
        uint8_t* uvplane = dst + static_cast<std::size_t>(height) * w;
        const int uo = pixel_format_info(dst_fmt).u_offset;
        // rows split in pairs: a pair's even row also writes its chroma row
        detail::parallel_rows(threads, height / 2, [&](int p0, int p1) {
            for (int y = 2 * p0; y < 2 * p1; ++y) {
                const uint8_t* s = src + static_cast<std::size_t>(y) * w * 3;
                uint8_t* yrow = dst + static_cast<std::size_t>(y) * w;
                for (int x = 0; x < width; ++x) {
                    const int32_t R = s[3 * x + ri], G = s[3 * x + 1], B = s[3 * x + bi];
                    yrow[x] = sat_u8((269484 * R + 528482 * G + 102760 * B + kHalf + (16 << kShift)) >> kShift);
                }
                if (y % 2 == 0) {
                    uint8_t* uv = uvplane + static_cast<std::size_t>(y / 2) * w;
                    for (int x = 0; x < width; x += 2) {
                        const int32_t R = s[3 * x + ri], G = s[3 * x + 1], B = s[3 * x + bi];
                        const int32_t U = (-155188 * R - 305135 * G + 460324 * B + kHalf + (128 << kShift)) >> kShift;
                        const int32_t V = (460324 * R - 385875 * G - 74448 * B + kHalf + (128 << kShift)) >> kShift;
                        uv[x + uo] = sat_u8(U);
                        uv[x + 1 - uo] = sat_u8(V);
                    }
                }
            }
        });
    } else {
        const int yo = pixel_format_info(dst_fmt).y_offset;
        const int uo = pixel_format_info(dst_fmt).u_offset;
        constexpr int s14 = 14;
        detail::parallel_rows(threads, height, [&](int y0, int y1) {
            for (int y = y0; y < y1; ++y) {
                const uint8_t* s = src + static_cast<std::size_t>(y) * w * 3;
                uint8_t* row = dst + static_cast<std::size_t>(y) * w * 2;
                for (int x = 0; x < width; x += 2) {
                    const int32_t R1 = s[3 * x + ri], G1 = s[3 * x + 1], B1 = s[3 * x + bi];
                    const int32_t R2 = s[3 * x + 3 + ri], G2 = s[3 * x + 4], B2 = s[3 * x + 3 + bi];
                    const int32_t Y1 = (4211 * R1 + 8258 * G1 + 1606 * B1 + (16 << s14) + (1 << (s14 - 1))) >> s14;
                    const int32_t Y2 = (4211 * R2 + 8258 * G2 + 1606 * B2 + (16 << s14) + (1 << (s14 - 1))) >> s14;
                    const int32_t sr = R1 + R2, sg = G1 + G2, sb = B1 + B2;
                    const int32_t U =
                        ((1 << (s14 - 1)) + (-1212 * sr - 2384 * sg + 3596 * sb + (1 << (s14 - 1)) * 256)) >> s14;
                    const int32_t V =
                        ((1 << (s14 - 1)) + (3596 * sr - 3015 * sg - 582 * sb + (1 << (s14 - 1)) * 256)) >> s14;
                    uint8_t* q = row + 2 * static_cast<std::size_t>(x);
                    q[yo] = sat_u8(Y1);
                    q[yo + 2] = sat_u8(Y2);
                    q[uo] = sat_u8(U);
                    q[uo + 2] = sat_u8(V);
                }
            }
        });
    }
}

}  // namespace pyalign

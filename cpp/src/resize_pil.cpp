// pyalign — Pillow-exact resize (PIL.Image.resize), see resize_pil.hpp for the rules.
// Written from the behaviour of Pillow's Image.resize / libImaging resampling as documented in
// docs/preprocessing-resize.md; the coefficient tables are computed in double exactly as Pillow does,
// everything after them is integer arithmetic (identical on every target).
#include "pyalign/resize_pil.hpp"

#include "dispatch.hpp"  // PYALIGN_HOT_KERNEL: AVX2 / AVX-512 clones on x86-64, same bits
#include "enum_names.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>

namespace pyalign {
namespace {

constexpr detail::EnumName<PilFilter> kPilFilterNames[] = {
    {"nearest", PilFilter::Nearest, false}, {"box", PilFilter::Box, false},
    {"linear", PilFilter::Bilinear, false}, {"hamming", PilFilter::Hamming, false},
    {"cubic", PilFilter::Bicubic, false},   {"lanczos", PilFilter::Lanczos, false},
};

constexpr int kMaxSide = 1 << 20;            // as kMaxResizeSide in resize.hpp
constexpr double kPi = 3.14159265358979323846;  // M_PI
constexpr uint32_t kHalf = 1u << (detail::kPilPrecisionBits - 1);

// ---- the filters, evaluated with Pillow's operations and constants ------------------------------

double box_filter(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }

double bilinear_filter(double x) {
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

double hamming_filter(double x) {
    if (x < 0.0) x = -x;
    if (x == 0.0) return 1.0;
    if (x >= 1.0) return 0.0;
    x = x * kPi;
    // The window constants are single-precision literals in Pillow (0.54f, 0.46f), widened to double.
    return std::sin(x) / x * (static_cast<double>(0.54f) + static_cast<double>(0.46f) * std::cos(x));
}

double bicubic_filter(double x) {
    constexpr double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

double sinc(double x) {
    if (x == 0.0) return 1.0;
    x = x * kPi;
    return std::sin(x) / x;
}

double lanczos_filter(double x) {
    // three lobes, the window is not symmetric at the ends: [-3, 3)
    return (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3) : 0.0;
}

// ---- argument checks ----------------------------------------------------------------------------

std::string dims(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }

template <typename T>
void check_view(const char* what, const ImageView<T>& v) {
    if (v.data == nullptr) throw Error(std::string(what) + " has no data");
    if (v.width <= 0 || v.height <= 0) {
        throw Error(std::string(what) + " size must be positive, got " + dims(v.width, v.height));
    }
    if (v.width > kMaxSide || v.height > kMaxSide) {
        throw Error(std::string(what) + " size " + dims(v.width, v.height) + " is too large (max " +
                    std::to_string(kMaxSide) + " per side)");
    }
    if (v.channels != 1 && v.channels != 3 && v.channels != 4) {
        throw Error("Pillow resize takes 1 (L), 3 (RGB) or 4 (RGBA) channels, got " + std::to_string(v.channels));
    }
    const std::ptrdiff_t row_bytes = static_cast<std::ptrdiff_t>(v.width) * v.channels;
    if (v.stride < row_bytes) {
        throw Error(std::string(what) + " row stride " + std::to_string(v.stride) + " is smaller than a row (" +
                    std::to_string(row_bytes) + " bytes)");
    }
}

// ---- integer kernels ----------------------------------------------------------------------------

// (acc >> 22) of the int32 sum held in acc (two's complement, summed modulo 2^32 as Pillow's int
// sum wraps), clamped to 0..255. Written without signed shifts or conversions.
inline uint8_t clip8(uint32_t acc) {
    const int32_t q = static_cast<int32_t>(acc >> detail::kPilPrecisionBits) -
                      static_cast<int32_t>((acc >> 31) << (32 - detail::kPilPrecisionBits));
    return static_cast<uint8_t>(std::min(std::max(q, 0), 255));
}

// Horizontal pass of up to R rows at once. The rows are first transposed into a tile (source
// pixel i of row r at tile[(i * R + r) * CN]), so that the taps of one output pixel for all R rows
// are R*CN contiguous bytes: out pixel x of row r = clip8(2^21 + sum_k src_r[start[x] + k] * coef[x][k])
// becomes a multiply-add over contiguous lanes that the compiler vectorises; the results go to an
// output tile of the same layout, transposed back at the end. With PRE the source (RGBA) is
// premultiplied while it is transposed. Rows n..R-1 of the tile repeat row 0 (results unused).
template <int CN, int R, bool PRE>
PYALIGN_HOT_KERNEL void hpass_tile(const uint8_t* const* in, uint8_t* const* out, int n, std::size_t in_w,
                                   const int32_t* start, const uint32_t* coef, std::size_t taps, std::size_t out_w,
                                   uint8_t* __restrict tile, uint8_t* __restrict otile) {
    constexpr std::size_t L = static_cast<std::size_t>(R) * CN;  // lanes of one tile column
    const std::size_t rows = static_cast<std::size_t>(n);
    const uint8_t* src[R];
    for (std::size_t r = 0; r < static_cast<std::size_t>(R); ++r) src[r] = in[r < rows ? r : 0];
    // 3 channels: 4-byte copies (the 4th byte lands in the next row's slot, written after it) except
    // for the last row of the tile and the last pixel of the source rows.
    const std::size_t wide = CN == 3 && in_w > 0 ? in_w - 1 : 0;
    for (std::size_t i = 0; i < wide; ++i) {
        uint8_t* __restrict t = tile + i * L;
        for (std::size_t r = 0; r + 1 < static_cast<std::size_t>(R); ++r) std::memcpy(t + r * CN, src[r] + i * CN, 4);
        std::memcpy(t + (R - 1) * CN, src[R - 1] + i * CN, CN);
    }
    for (std::size_t i = wide; i < in_w; ++i) {
        uint8_t* __restrict t = tile + i * L;
        for (std::size_t r = 0; r < static_cast<std::size_t>(R); ++r) {
            const uint8_t* s = src[r] + i * CN;
            if (PRE) {
                const uint32_t a = s[3];
                for (std::size_t c = 0; c < 3; ++c) {
                    const uint32_t m = s[c] * a + 128;  // c * a / 255 rounded as Pillow does
                    t[r * CN + c] = static_cast<uint8_t>(((m >> 8) + m) >> 8);
                }
                t[r * CN + 3] = static_cast<uint8_t>(a);
            } else {
                std::memcpy(t + r * CN, s, CN);
            }
        }
    }
    for (std::size_t x = 0; x < out_w; ++x) {
        const uint8_t* col = tile + static_cast<std::size_t>(start[x]) * L;
        const uint32_t* c = coef + x * taps;
        uint32_t acc[L];
        for (std::size_t j = 0; j < L; ++j) acc[j] = kHalf;
        for (std::size_t k = 0; k < taps; ++k, col += L) {
            const uint32_t w = c[k];
            for (std::size_t j = 0; j < L; ++j) acc[j] += static_cast<uint32_t>(col[j]) * w;
        }
        uint8_t* __restrict o = otile + x * L;
        for (std::size_t j = 0; j < L; ++j) o[j] = clip8(acc[j]);
    }
    for (std::size_t r = 0; r < rows; ++r) {
        uint8_t* __restrict d = out[r];
        const uint8_t* o = otile + r * CN;
        for (std::size_t x = 0; x < out_w; ++x) std::memcpy(d + x * CN, o + x * L, CN);
    }
}

// Vertical pass of one row: dst[i] = clip8(2^21 + sum_k rows[k][i] * coef[k]), i < n.
PYALIGN_HOT_KERNEL void vpass(const uint8_t* const* rows, const uint32_t* coef, std::size_t taps, uint8_t* dst,
                              std::size_t n) {
    constexpr std::size_t kBlock = 512;
    uint32_t acc[kBlock];
    for (std::size_t i0 = 0; i0 < n; i0 += kBlock) {
        const std::size_t m = std::min(kBlock, n - i0);
        for (std::size_t i = 0; i < m; ++i) acc[i] = kHalf;
        std::size_t k = 0;
        for (; k + 1 < taps; k += 2) {
            const uint8_t* __restrict r0 = rows[k] + i0;
            const uint8_t* __restrict r1 = rows[k + 1] + i0;
            const uint32_t w0 = coef[k], w1 = coef[k + 1];
            for (std::size_t i = 0; i < m; ++i) acc[i] += static_cast<uint32_t>(r0[i]) * w0 + static_cast<uint32_t>(r1[i]) * w1;
        }
        if (k < taps) {
            const uint8_t* __restrict r0 = rows[k] + i0;
            const uint32_t w0 = coef[k];
            for (std::size_t i = 0; i < m; ++i) acc[i] += static_cast<uint32_t>(r0[i]) * w0;
        }
        uint8_t* __restrict d = dst + i0;
        for (std::size_t i = 0; i < m; ++i) d[i] = clip8(acc[i]);
    }
}

// RGBA -> RGBa: c * a / 255 with Pillow's rounding t = c * a + 128, ((t >> 8) + t) >> 8.
void premultiply(const uint8_t* __restrict src, uint8_t* __restrict dst, std::size_t w) {
    for (std::size_t x = 0; x < w; ++x) {
        const uint32_t a = src[4 * x + 3];
        for (std::size_t c = 0; c < 3; ++c) {
            const uint32_t t = src[4 * x + c] * a + 128;
            dst[4 * x + c] = static_cast<uint8_t>(((t >> 8) + t) >> 8);
        }
        dst[4 * x + 3] = static_cast<uint8_t>(a);
    }
}

// RGBa -> RGBA in place: alpha 0 and 255 keep the colour, else min(255 * c / a, 255) (truncated).
void unpremultiply(uint8_t* p, std::size_t w) {
    for (std::size_t x = 0; x < w; ++x) {
        const uint32_t a = p[4 * x + 3];
        if (a == 0 || a == 255) continue;
        for (std::size_t c = 0; c < 3; ++c) {
            p[4 * x + c] = static_cast<uint8_t>(std::min<uint32_t>(255u * p[4 * x + c] / a, 255u));
        }
    }
}

// ---- the two passes -----------------------------------------------------------------------------

struct Kernel {
    std::vector<int32_t> start;
    std::vector<uint32_t> coef;  // the int32 weights as their two's complement bits
    std::size_t taps = 0;
};

Kernel kernel_of(const detail::PilTaps& t) {
    Kernel k;
    k.start = t.start;
    k.coef.resize(t.coef.size());
    for (std::size_t i = 0; i < t.coef.size(); ++i) k.coef[i] = static_cast<uint32_t>(t.coef[i]);
    k.taps = static_cast<std::size_t>(t.taps);
    return k;
}

// The horizontal pass of one resize, applied to batches of up to rows() rows.
class HorizontalPass {
public:
    HorizontalPass(const detail::PilTaps& t, int channels)
        : k_(kernel_of(t)), cn_(channels), in_w_(static_cast<std::size_t>(t.in_size)),
          out_w_(static_cast<std::size_t>(t.out_size)),
          tile_(in_w_ * static_cast<std::size_t>(rows()) * static_cast<std::size_t>(channels)),
          otile_(out_w_ * static_cast<std::size_t>(rows()) * static_cast<std::size_t>(channels)) {}

    int rows() const { return cn_ == 1 ? 32 : 16; }

    // out[r] = the horizontal pass of in[r] (premultiplied first when `premultiply`), r < n <= rows().
    void run(const uint8_t* const* in, uint8_t* const* out, int n, bool premultiply) {
        const int32_t* s = k_.start.data();
        const uint32_t* c = k_.coef.data();
        uint8_t* t = tile_.data();
        uint8_t* o = otile_.data();
        switch (cn_) {
            case 1: hpass_tile<1, 32, false>(in, out, n, in_w_, s, c, k_.taps, out_w_, t, o); break;
            case 3: hpass_tile<3, 16, false>(in, out, n, in_w_, s, c, k_.taps, out_w_, t, o); break;
            default:
                if (premultiply) {
                    hpass_tile<4, 16, true>(in, out, n, in_w_, s, c, k_.taps, out_w_, t, o);
                } else {
                    hpass_tile<4, 16, false>(in, out, n, in_w_, s, c, k_.taps, out_w_, t, o);
                }
                break;
        }
    }

private:
    Kernel k_;
    int cn_;
    std::size_t in_w_, out_w_;
    std::vector<uint8_t> tile_, otile_;  // transposed input and output rows
};

void copy_image(const ImageView<const uint8_t>& src, const ImageView<uint8_t>& dst) {
    const std::size_t n = static_cast<std::size_t>(src.width) * static_cast<std::size_t>(src.channels);
    for (int y = 0; y < src.height; ++y) std::memcpy(dst.row(y), src.row(y), n);
}

// One destination row of nearest: pixels [x0, x1) from the source offsets `off`, the rest 0.
template <int CN>
void nearest_row(const uint8_t* __restrict in, uint8_t* __restrict out, const std::size_t* off, std::size_t x0,
                 std::size_t x1, std::size_t w) {
    std::memset(out, 0, x0 * CN);
    for (std::size_t x = x0; x < x1; ++x) std::memcpy(out + x * CN, in + off[x], CN);
    std::memset(out + x1 * CN, 0, (w - x1) * CN);
}

void resize_nearest_pil(const ImageView<const uint8_t>& src, const ImageView<uint8_t>& dst) {
    const std::size_t cn = static_cast<std::size_t>(src.channels);
    const std::size_t w = static_cast<std::size_t>(dst.width);
    const std::vector<int32_t> xs = detail::pil_nearest_index(src.width, dst.width);
    const std::vector<int32_t> ys = detail::pil_nearest_index(src.height, dst.height);
    // Columns: Pillow tabulates the valid ones and copies the range between the first and the last
    // of them from a zero-initialised table (so a gap would read column 0); outside it stays 0.
    std::size_t x0 = w, x1 = 0;
    std::vector<std::size_t> off(w, 0);
    for (std::size_t x = 0; x < w; ++x) {
        if (xs[x] >= 0) {
            x0 = std::min(x0, x);
            x1 = x + 1;
            off[x] = static_cast<std::size_t>(xs[x]) * cn;
        }
    }
    x0 = std::min(x0, x1);
    const std::size_t row_bytes = w * cn;
    for (int dy = 0; dy < dst.height; ++dy) {
        uint8_t* out = dst.row(dy);
        const int sy = ys[static_cast<std::size_t>(dy)];
        if (sy < 0) {
            std::memset(out, 0, row_bytes);
        } else if (dy > 0 && ys[static_cast<std::size_t>(dy) - 1] == sy) {  // same source row: same output row
            std::memcpy(out, dst.row(dy - 1), row_bytes);
        } else if (cn == 1) {
            nearest_row<1>(src.row(sy), out, off.data(), x0, x1, w);
        } else if (cn == 3) {
            nearest_row<3>(src.row(sy), out, off.data(), x0, x1, w);
        } else {
            nearest_row<4>(src.row(sy), out, off.data(), x0, x1, w);
        }
    }
}

}  // namespace

PilFilter parse_pil_filter(const std::string& name) {
    return detail::parse_enum(kPilFilterNames, name, "Pillow interpolation");
}

const char* pil_filter_name(PilFilter filter) { return detail::enum_name(kPilFilterNames, filter); }

namespace detail {

double pil_filter_weight(PilFilter filter, double x) {
    switch (filter) {
        case PilFilter::Box: return box_filter(x);
        case PilFilter::Bilinear: return bilinear_filter(x);
        case PilFilter::Hamming: return hamming_filter(x);
        case PilFilter::Bicubic: return bicubic_filter(x);
        case PilFilter::Lanczos: return lanczos_filter(x);
        case PilFilter::Nearest: break;
    }
    return 0.0;
}

double pil_filter_support(PilFilter filter) {
    switch (filter) {
        case PilFilter::Box: return 0.5;
        case PilFilter::Bilinear: return 1.0;
        case PilFilter::Hamming: return 1.0;
        case PilFilter::Bicubic: return 2.0;
        case PilFilter::Lanczos: return 3.0;
        case PilFilter::Nearest: break;
    }
    return 0.0;
}

PilTaps pil_taps(int in_size, int out_size, PilFilter filter) {
    if (in_size <= 0 || out_size <= 0 || in_size > kMaxSide || out_size > kMaxSide) {
        throw Error("Pillow resize: sizes must be in 1.." + std::to_string(kMaxSide) + ", got " +
                    std::to_string(in_size) + " -> " + std::to_string(out_size));
    }
    if (filter == PilFilter::Nearest) throw Error("Pillow resize: nearest has no filter taps");
    PilTaps t;
    t.in_size = in_size;
    t.out_size = out_size;
    const std::size_t n = static_cast<std::size_t>(out_size);
    t.first.resize(n);
    t.count.resize(n);
    t.start.resize(n);
    // The source range [in0, in1) is the whole axis; Pillow holds its ends in float.
    const float in0 = 0.0f, in1 = static_cast<float>(in_size);
    const double scale = static_cast<double>(in1 - in0) / out_size;
    const double filterscale = scale < 1.0 ? 1.0 : scale;
    const double support = pil_filter_support(filter) * filterscale;
    const double inv_filterscale = 1.0 / filterscale;
    std::vector<double> w;
    std::vector<int32_t> fixed;  // per output, its count weights, concatenated
    fixed.reserve(n * (static_cast<std::size_t>(std::ceil(support)) * 2 + 1));
    int taps = 1;
    for (int xx = 0; xx < out_size; ++xx) {
        const double center = in0 + (xx + 0.5) * scale;
        const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
        const int xmax = std::min(static_cast<int>(center + support + 0.5), in_size);
        const int count = std::max(xmax - xmin, 0);
        w.assign(static_cast<std::size_t>(count), 0.0);
        double ww = 0.0;
        for (int x = 0; x < count; ++x) {
            const double v = pil_filter_weight(filter, (x + xmin - center + 0.5) * inv_filterscale);
            w[static_cast<std::size_t>(x)] = v;
            ww += v;
        }
        if (ww != 0.0) {
            for (double& v : w) v /= ww;
        }
        for (double v : w) {
            const double s = v * (1 << kPilPrecisionBits);
            fixed.push_back(static_cast<int32_t>(v < 0 ? -0.5 + s : 0.5 + s));
        }
        t.first[static_cast<std::size_t>(xx)] = xmin;
        t.count[static_cast<std::size_t>(xx)] = count;
        taps = std::max(taps, count);
    }
    // Uniform layout: `taps` weights per output from start = min(first, in_size - taps).
    t.taps = taps;
    t.coef.assign(n * static_cast<std::size_t>(taps), 0);
    std::size_t pos = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const int32_t s = std::min(t.first[i], in_size - taps);
        t.start[i] = s;
        int32_t* row = &t.coef[i * static_cast<std::size_t>(taps)] + (t.first[i] - s);
        for (int32_t k = 0; k < t.count[i]; ++k) row[k] = fixed[pos++];
    }
    return t;
}

std::vector<int32_t> pil_nearest_index(int in_size, int out_size) {
    if (in_size <= 0 || out_size <= 0 || in_size > kMaxSide || out_size > kMaxSide) {
        throw Error("Pillow resize: sizes must be in 1.." + std::to_string(kMaxSide) + ", got " +
                    std::to_string(in_size) + " -> " + std::to_string(out_size));
    }
    // Affine scale: step = (in1 - in0) / out with the range ends in float; the position starts at
    // in0 + step / 2 and is advanced by adding step (not by multiplying), truncated to an index.
    const float in0 = 0.0f, in1 = static_cast<float>(in_size);
    const double step = static_cast<double>(in1 - in0) / out_size;
    double pos = static_cast<double>(in0) + step * 0.5;
    std::vector<int32_t> idx(static_cast<std::size_t>(out_size), -1);
    for (std::size_t i = 0; i < idx.size(); ++i) {
        const int s = pos < 0.0 ? -1 : static_cast<int>(pos);
        if (s >= 0 && s < in_size) idx[i] = s;
        pos += step;
    }
    return idx;
}

}  // namespace detail

void detail::resize_pil_ordered(const ImageView<const uint8_t>& src, const ImageView<uint8_t>& dst, PilFilter filter,
                                bool vertical_first) {
    check_view("source", src);
    check_view("destination", dst);
    if (src.channels != dst.channels) {
        throw Error("source has " + std::to_string(src.channels) + " channels but destination has " +
                    std::to_string(dst.channels));
    }
    if (src.width == dst.width && src.height == dst.height) {  // Image.resize returns a copy
        copy_image(src, dst);
        return;
    }
    if (filter == PilFilter::Nearest) {  // RGBA included: Pillow does not premultiply for NEAREST
        resize_nearest_pil(src, dst);
        return;
    }
    const int cn = src.channels;
    const bool rgba = cn == 4;
    const bool need_h = src.width != dst.width;
    const bool need_v = src.height != dst.height;
    const std::size_t src_w = static_cast<std::size_t>(src.width);
    const std::size_t out_w = static_cast<std::size_t>(dst.width);
    const std::size_t cnz = static_cast<std::size_t>(cn);
    auto finish = [&](int y) {  // RGBa -> RGBA of a finished destination row
        if (rgba) unpremultiply(dst.row(y), out_w);
    };

    std::unique_ptr<HorizontalPass> hp;
    if (need_h) hp = std::make_unique<HorizontalPass>(detail::pil_taps(src.width, dst.width, filter), cn);
    std::vector<const uint8_t*> hin;
    std::vector<uint8_t*> hout;
    if (need_h) {
        hin.resize(static_cast<std::size_t>(hp->rows()));
        hout.resize(static_cast<std::size_t>(hp->rows()));
    }
    if (!need_v) {
        for (int y0 = 0; y0 < dst.height; y0 += hp->rows()) {
            const int n = std::min(hp->rows(), dst.height - y0);
            for (int r = 0; r < n; ++r) {
                hin[static_cast<std::size_t>(r)] = src.row(y0 + r);
                hout[static_cast<std::size_t>(r)] = dst.row(y0 + r);
            }
            hp->run(hin.data(), hout.data(), n, rgba);
            for (int r = 0; r < n; ++r) finish(y0 + r);
        }
        return;
    }

    const Kernel kv = kernel_of(detail::pil_taps(src.height, dst.height, filter));
    const std::size_t taps = kv.taps;
    std::vector<const uint8_t*> rows(taps);
    // The vertical pass reads rows start..start+taps-1 (start non-decreasing) of an intermediate
    // image, each produced once into a ring of slots: the horizontally resampled rows when the
    // horizontal pass runs first (in batches, so the ring has taps + batch slots), else the
    // premultiplied source rows for RGBA, else the source rows themselves.
    const bool h_first = need_h && !vertical_first;
    const std::size_t mid_n = (h_first ? out_w : src_w) * cnz;
    const bool direct = !h_first && !rgba;
    const std::size_t slots = direct ? 0 : taps + (h_first ? static_cast<std::size_t>(hp->rows()) : 0);
    std::vector<uint8_t> ring(slots * mid_n);
    auto slot = [&](int y) { return ring.data() + static_cast<std::size_t>(y) % slots * mid_n; };
    const int last_row = kv.start.back() + static_cast<int>(taps);  // end of the rows ever read
    int next = 0;  // first intermediate row not produced yet
    auto vertical_row = [&](int dy, uint8_t* out) {
        const int s = kv.start[static_cast<std::size_t>(dy)];
        const int end = s + static_cast<int>(taps);
        next = std::max(next, s);
        while (next < end) {
            if (h_first) {
                const int n = std::min(hp->rows(), last_row - next);
                for (int r = 0; r < n; ++r) {
                    hin[static_cast<std::size_t>(r)] = src.row(next + r);
                    hout[static_cast<std::size_t>(r)] = slot(next + r);
                }
                hp->run(hin.data(), hout.data(), n, rgba);
                next += n;
            } else {
                if (rgba) premultiply(src.row(next), slot(next), src_w);
                ++next;
            }
        }
        for (std::size_t k = 0; k < taps; ++k) {
            const int y = s + static_cast<int>(k);
            rows[k] = direct ? src.row(y) : slot(y);
        }
        vpass(rows.data(), kv.coef.data() + static_cast<std::size_t>(dy) * taps, taps, out, mid_n);
    };

    if (!need_h || h_first) {
        for (int dy = 0; dy < dst.height; ++dy) {
            vertical_row(dy, dst.row(dy));
            finish(dy);
        }
        return;
    }
    // Vertical pass first: batches of vertically resampled rows, then their horizontal pass.
    std::vector<uint8_t> vbuf(static_cast<std::size_t>(hp->rows()) * mid_n);
    for (int y0 = 0; y0 < dst.height; y0 += hp->rows()) {
        const int n = std::min(hp->rows(), dst.height - y0);
        for (int r = 0; r < n; ++r) {
            uint8_t* v = vbuf.data() + static_cast<std::size_t>(r) * mid_n;
            vertical_row(y0 + r, v);
            hin[static_cast<std::size_t>(r)] = v;
            hout[static_cast<std::size_t>(r)] = dst.row(y0 + r);
        }
        hp->run(hin.data(), hout.data(), n, false);
        for (int r = 0; r < n; ++r) finish(y0 + r);
    }
}

PilPassOrder pil_pass_order(int major, int minor) {
    if (major < 9 || minor < 0) {
        throw Error("Pillow " + std::to_string(major) + "." + std::to_string(minor) +
                    " is not supported (9.0 or later)");
    }
    if (major >= 13) return PilPassOrder::Pillow13;
    if (major == 12 && minor >= 2) return PilPassOrder::Pillow12_2;
    return PilPassOrder::Pillow9;
}

bool pil_vertical_first(int src_w, int src_h, int dst_w, int dst_h, PilPassOrder order) {
    const long long sw = src_w, sh = src_h, dw = dst_w, dh = dst_h;
    switch (order) {
        case PilPassOrder::Pillow13: return dh < sh && 2 * (sw - dw) < sh - dh;
        case PilPassOrder::Pillow12_2: return sh > 100 * sw && dh < sh;
        case PilPassOrder::Pillow9: break;
    }
    return false;
}

void resize_pil(const ImageView<const uint8_t>& src, const ImageView<uint8_t>& dst, PilFilter filter,
                PilPassOrder order) {
    detail::resize_pil_ordered(src, dst, filter,
                               pil_vertical_first(src.width, src.height, dst.width, dst.height, order));
}

}  // namespace pyalign

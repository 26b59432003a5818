// Every SIMD level of the uint8 resize and YUV -> BGR/RGB kernels against the portable level, bit
// for bit, on random sizes, channel counts and scales (sizes chosen so that row lengths cross the
// kernels' block sizes and edges); thread counts against one thread; the level selection API.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "check.hpp"
#include "pyalign/csc.hpp"
#include "pyalign/normalize.hpp"
#include "pyalign/pipeline.hpp"
#include "pyalign/resize.hpp"
#include "pyalign/simd.hpp"
#include "resize_model.hpp"

namespace {

uint32_t g_seed = 77;
uint32_t rnd() {
    g_seed = g_seed * 1664525u + 1013904223u;
    return g_seed >> 8;
}
int rnd_in(int lo, int hi) { return lo + static_cast<int>(rnd() % static_cast<uint32_t>(hi - lo + 1)); }

std::vector<uint8_t> random_bytes(std::size_t n) {
    std::vector<uint8_t> v(n);
    for (auto& b : v) b = static_cast<uint8_t>(rnd());
    return v;
}

// Runs fn once per SIMD level and requires every result to equal the portable one.
template <class F>
void each_level_equal(F fn, const std::string& what) {
    const pyalign::SimdLevel saved = pyalign::simd_level();
    std::vector<uint8_t> ref;
    for (pyalign::SimdLevel level : pyalign::simd_levels()) {
        pyalign::set_simd_level(level);
        std::vector<uint8_t> got = fn();
        if (level == pyalign::SimdLevel::Portable) {
            ref = got;
        } else if (got != ref) {
            pyalign_test::fail(__FILE__, __LINE__, what + ": level " + pyalign::simd_level_name(level) +
                                                       " differs from portable");
        }
    }
    pyalign::set_simd_level(saved);
}

std::vector<uint8_t> resize_u8(const std::vector<uint8_t>& src, int sw, int sh, int dw, int dh, int cn, int threads,
                               int pad = 0) {
    std::vector<uint8_t> dst(static_cast<std::size_t>(dw) * dh * cn);
    pyalign::ImageView<const uint8_t> s{src.data(), sh, sw, cn, static_cast<std::ptrdiff_t>(sw) * cn + pad};
    pyalign::ImageView<uint8_t> d{dst.data(), dh, dw, cn, static_cast<std::ptrdiff_t>(dw) * cn};
    pyalign::resize_linear(s, d, threads);
    return dst;
}

}  // namespace

PA_TEST(levels_api) {
    const auto levels = pyalign::simd_levels();
    PA_CHECK(!levels.empty());
    PA_CHECK(levels.front() == pyalign::SimdLevel::Portable);
    for (auto l : levels) PA_CHECK(pyalign::parse_simd_level(pyalign::simd_level_name(l)) == l);
    PA_CHECK_THROWS(pyalign::parse_simd_level("mmx"));
    const auto saved = pyalign::simd_level();
    pyalign::set_simd_level(pyalign::SimdLevel::Portable);
    PA_CHECK(pyalign::simd_level() == pyalign::SimdLevel::Portable);
    pyalign::set_simd_level(saved);
#if defined(__x86_64__)
    PA_CHECK_THROWS(pyalign::set_simd_level(pyalign::SimdLevel::NEON));
#elif defined(__aarch64__)
    PA_CHECK_THROWS(pyalign::set_simd_level(pyalign::SimdLevel::AVX2));
#endif
}

PA_TEST(resize_levels_equal_portable_random) {
    for (int it = 0; it < 360; ++it) {
        const int cn = 1 + it % 4;
        int sw = rnd_in(1, 300), sh = rnd_in(1, 24), dw = rnd_in(1, 200), dh = rnd_in(1, 24);
        if (it % 6 == 1) dw = rnd_in(sw, 3 * sw);          // upscale
        if (it % 6 == 2) { dw = rnd_in(1, 40); sw = dw * rnd_in(2, 5) + rnd_in(0, 3); }  // downscale
        if (it % 6 == 3) { sw = 2 * dw; sh = 2 * dh; }  // exact 2x: the area path
        const int pad = it % 3;  // padded rows
        const auto src = random_bytes((static_cast<std::size_t>(sw) * cn + pad) * sh);
        const std::string what = "resize " + std::to_string(sw) + "x" + std::to_string(sh) + "->" +
                                 std::to_string(dw) + "x" + std::to_string(dh) + "c" + std::to_string(cn);
        each_level_equal([&] { return resize_u8(src, sw, sh, dw, dh, cn, 1, pad); }, what);
        if (pad == 0) {
            pyalign::set_simd_level(pyalign::simd_levels().back());
            PA_CHECK_EQ(resize_model::mismatches(src, resize_u8(src, sw, sh, dw, dh, cn, 1), sw, sh, dw, dh, cn), 0);
        }
    }
}

PA_TEST(resize_levels_equal_portable_large) {
    const int sizes[][4] = {{1920, 1080, 640, 640}, {1280, 720, 640, 640}, {1000, 1000, 333, 333},
                            {1920, 1080, 224, 224}, {640, 480, 1280, 960}, {1921, 7, 1283, 5},
                            {1280, 720, 640, 360},  {1922, 4, 961, 2}};
    for (const auto& z : sizes)
        for (int cn = 1; cn <= 4; ++cn) {
            const auto src = random_bytes(static_cast<std::size_t>(z[0]) * z[1] * cn);
            each_level_equal([&] { return resize_u8(src, z[0], z[1], z[2], z[3], cn, 1); },
                             "resize " + std::to_string(z[0]) + "c" + std::to_string(cn));
        }
}

PA_TEST(compacted_resize_levels_equal_portable) {
    // Column compaction (the fused pipeline's YUV path) hands the kernels remapped taps.
    for (int it = 0; it < 120; ++it) {
        const int cn = 1 + it % 4;
        const int dw = rnd_in(1, 90), sw = dw * rnd_in(3, 6) + rnd_in(0, 5), sh = rnd_in(1, 20), dh = rnd_in(1, 20);
        const auto src = random_bytes(static_cast<std::size_t>(sw) * sh * cn);
        each_level_equal(
            [&] {
                pyalign::LinearResizeU8 rz(sw, sh, dw, dh, cn);
                const auto cols = rz.compact_columns();
                std::vector<uint8_t> row, dst(static_cast<std::size_t>(dw) * dh * cn);
                rz.run(
                    [&](int y) -> const uint8_t* {
                        const uint8_t* s = src.data() + static_cast<std::size_t>(y) * sw * cn;
                        row.assign(s, s + static_cast<std::size_t>(sw) * cn);
                        if (!cols.empty()) {
                            row.clear();
                            for (int32_t x : cols) row.insert(row.end(), s + x * cn, s + (x + 1) * cn);
                        }
                        return row.data();
                    },
                    [&](int dy, const uint8_t* r) { std::memcpy(dst.data() + static_cast<std::size_t>(dy) * dw * cn, r, static_cast<std::size_t>(dw) * cn); });
                return dst;
            },
            "compacted resize");
    }
}

PA_TEST(resize_threads_equal_one_thread) {
    for (int it = 0; it < 40; ++it) {
        const int cn = 1 + it % 4;
        const int sw = rnd_in(1, 400), sh = rnd_in(1, 300), dw = rnd_in(1, 300), dh = rnd_in(1, 300);
        const auto src = random_bytes(static_cast<std::size_t>(sw) * sh * cn);
        const auto one = resize_u8(src, sw, sh, dw, dh, cn, 1);
        for (int t : {2, 3, 7, 0}) PA_CHECK(resize_u8(src, sw, sh, dw, dh, cn, t) == one);
    }
    std::vector<uint8_t> src(12), dst(12);
    pyalign::ImageView<const uint8_t> s{src.data(), 2, 2, 3, 6};
    pyalign::ImageView<uint8_t> d{dst.data(), 2, 2, 3, 6};
    PA_CHECK_THROWS(pyalign::resize_linear(s, d, -1));
    PA_CHECK_THROWS(pyalign::resize_nearest(s, d, 100000));
}

PA_TEST(csc_levels_equal_portable) {
    using pyalign::PixelFormat;
    const PixelFormat fmts[] = {PixelFormat::YUV420SP, PixelFormat::YVU420SP, PixelFormat::YUYV422, PixelFormat::UYVY422};
    for (int it = 0; it < 200; ++it) {
        const PixelFormat f = fmts[it % 4];
        const bool rgb = (it / 4) % 2 == 1;
        const int w = it < 16 ? 2 * rnd_in(900, 1000) : 2 * rnd_in(1, 90), h = 2 * rnd_in(1, it < 16 ? 8 : 4);
        const auto frame = random_bytes(pyalign::frame_bytes(f, w, h));
        each_level_equal(
            [&] {
                std::vector<uint8_t> out(static_cast<std::size_t>(w) * h * 3);
                pyalign::yuv_to_rgb(frame.data(), f, w, h, out.data(), rgb);
                return out;
            },
            std::string("csc ") + pyalign::pixel_format_name(f) + " " + std::to_string(w) + "x" + std::to_string(h));
    }
}

PA_TEST(csc_columns_levels_equal_portable) {
    // convert_columns (the fused pipeline's compacted rows): any columns, any order, repeats.
    using pyalign::PixelFormat;
    const PixelFormat fmts[] = {PixelFormat::YUV420SP, PixelFormat::YVU420SP, PixelFormat::YUYV422, PixelFormat::UYVY422};
    for (int it = 0; it < 80; ++it) {
        const PixelFormat f = fmts[it % 4];
        const int w = 2 * rnd_in(1, 600), h = 2 * rnd_in(1, 3), n = rnd_in(1, 1200);
        const auto frame = random_bytes(pyalign::frame_bytes(f, w, h));
        std::vector<int32_t> cols(static_cast<std::size_t>(n));
        for (auto& c : cols) c = rnd_in(0, w - 1);
        if (it % 3 == 0) std::sort(cols.begin(), cols.end());
        const pyalign::YuvRowConverter conv(f, w, h, (it / 4) % 2 == 1);
        const int y = rnd_in(0, h - 1);
        each_level_equal(
            [&] {
                std::vector<uint8_t> out(static_cast<std::size_t>(n) * 3);
                conv.convert_columns(frame.data(), y, cols.data(), n, out.data());
                return out;
            },
            std::string("columns ") + pyalign::pixel_format_name(f));
    }
}

PA_TEST(csc_area2_rows_equal_model_and_portable) {
    // convert_area2_row (the fused pipeline's exact-2x path) is the 2x2 mean of convert_row's pixels.
    using pyalign::PixelFormat;
    const PixelFormat fmts[] = {PixelFormat::YUV420SP, PixelFormat::YVU420SP, PixelFormat::YUYV422, PixelFormat::UYVY422};
    for (int it = 0; it < 48; ++it) {
        const PixelFormat f = fmts[it % 4];
        const int w = 2 * rnd_in(1, it < 8 ? 900 : 80), h = 2 * rnd_in(1, 4);
        const pyalign::CscMode mode = it % 5 == 4 ? pyalign::CscMode::FullRange : pyalign::CscMode::OpenCV;
        const auto frame = random_bytes(pyalign::frame_bytes(f, w, h));
        const pyalign::YuvRowConverter conv(f, w, h, (it / 4) % 2 == 1, mode);
        std::vector<uint8_t> r0(static_cast<std::size_t>(w) * 3), r1(r0.size()), want(r0.size() / 2);
        for (int dy = 0; dy < h / 2; ++dy) {
            conv.convert_row(frame.data(), 2 * dy, r0.data());
            conv.convert_row(frame.data(), 2 * dy + 1, r1.data());
            for (std::size_t i = 0; i < want.size(); ++i) {
                const std::size_t p = i / 3, c = i % 3;
                want[i] = static_cast<uint8_t>((r0[6 * p + c] + r0[6 * p + 3 + c] + r1[6 * p + c] + r1[6 * p + 3 + c] + 2) >> 2);
            }
            each_level_equal(
                [&] {
                    std::vector<uint8_t> out(want.size());
                    conv.convert_area2_row(frame.data(), dy, out.data());
                    if (out != want) pyalign_test::fail(__FILE__, __LINE__, "area2 row differs from the 2x2 mean");
                    return out;
                },
                std::string("area2 ") + pyalign::pixel_format_name(f));
        }
        PA_CHECK_THROWS(conv.convert_area2_row(frame.data(), h / 2, r0.data()));
    }
}

PA_TEST(csc_every_yuv_triple_equal_portable) {
    // A YUYV frame holding every (Y, U, V) triple: pair t has U = bits 7-14, V = bits 15-22 and
    // the luma values 2 (t mod 128) and 2 (t mod 128) + 1. Each level must give the portable bytes.
    const int w = 512, h = 32768;  // 2^23 pairs
    std::vector<uint8_t> yuyv(static_cast<std::size_t>(w) * h * 2);
    for (std::size_t t = 0; t < yuyv.size() / 4; ++t) {
        yuyv[4 * t] = static_cast<uint8_t>(2 * (t & 127));
        yuyv[4 * t + 1] = static_cast<uint8_t>(t >> 7);
        yuyv[4 * t + 2] = static_cast<uint8_t>(2 * (t & 127) + 1);
        yuyv[4 * t + 3] = static_cast<uint8_t>(t >> 15);
    }
    for (bool rgb : {false, true}) {
        each_level_equal(
            [&] {
                std::vector<uint8_t> out(static_cast<std::size_t>(w) * h * 3);
                pyalign::yuv_to_rgb(yuyv.data(), pyalign::PixelFormat::YUYV422, w, h, out.data(), rgb);
                return out;
            },
            "csc every YUYV triple");
    }
}

PA_TEST(csc_threads_equal_one_thread) {
    using pyalign::PixelFormat;
    const PixelFormat fmts[] = {PixelFormat::YUV420SP, PixelFormat::YVU420SP, PixelFormat::YUYV422, PixelFormat::UYVY422};
    for (int it = 0; it < 24; ++it) {
        const PixelFormat f = fmts[it % 4];
        const int w = 2 * rnd_in(1, 200), h = 2 * rnd_in(1, 60);
        const auto frame = random_bytes(pyalign::frame_bytes(f, w, h));
        const pyalign::CscMode mode = it % 3 == 0 ? pyalign::CscMode::LimitedRange : pyalign::CscMode::OpenCV;
        std::vector<uint8_t> one(static_cast<std::size_t>(w) * h * 3), many(one.size());
        pyalign::yuv_to_rgb(frame.data(), f, w, h, one.data(), it % 2 == 0, mode, nullptr, 1);
        for (int t : {2, 5, 0}) {
            pyalign::yuv_to_rgb(frame.data(), f, w, h, many.data(), it % 2 == 0, mode, nullptr, t);
            PA_CHECK(many == one);
        }
        const auto img = random_bytes(static_cast<std::size_t>(w) * h * 3);
        std::vector<uint8_t> yuv1(pyalign::frame_bytes(f, w, h)), yuvn(yuv1.size());
        pyalign::rgb_to_yuv(img.data(), w, h, it % 2 == 0, f, yuv1.data(), 1);
        pyalign::rgb_to_yuv(img.data(), w, h, it % 2 == 0, f, yuvn.data(), 3);
        PA_CHECK(yuv1 == yuvn);
    }
}

PA_TEST(pipeline_levels_and_threads_equal) {
    using pyalign::PixelFormat;
    const PixelFormat fmts[] = {PixelFormat::YUV420SP, PixelFormat::YVU420SP, PixelFormat::YUYV422,
                                PixelFormat::UYVY422,  PixelFormat::BGR,      PixelFormat::GRAY};
    const pyalign::GeometryOp geos[] = {pyalign::GeometryOp::Letterbox, pyalign::GeometryOp::Resize,
                                        pyalign::GeometryOp::None};
    for (int it = 0; it < 72; ++it) {
        pyalign::PipelineSpec s;
        s.input_format = fmts[it % 6];
        s.width = 2 * rnd_in(1, it < 6 ? 700 : 120);
        s.height = 2 * rnd_in(1, it < 6 ? 400 : 60);
        s.csc = pyalign::is_yuv(s.input_format);
        s.csc_to_rgb = it % 2 == 0;
        s.csc_mode = it % 7 == 3 ? pyalign::CscMode::LimitedRange : pyalign::CscMode::OpenCV;
        s.geometry = geos[(it / 6) % 3];
        s.dst_width = rnd_in(1, it < 6 ? 640 : 90);
        s.dst_height = rnd_in(1, it < 6 ? 640 : 90);
        s.interpolation = it % 5 == 4 ? pyalign::Interpolation::Nearest : pyalign::Interpolation::Linear;
        s.normalize = it % 3 != 0;
        for (int c = 0; c < 4; ++c) {
            s.mean[c] = static_cast<float>(rnd_in(0, 200));
            s.stdv[c] = static_cast<float>(rnd_in(1, 90));
        }
        s.swap_rb = s.input_format != PixelFormat::GRAY && it % 4 == 1;
        s.has_layout = it % 2 == 1;
        s.layout = s.input_format == PixelFormat::GRAY ? pyalign::Layout::HW : pyalign::Layout::NCHW;
        std::unique_ptr<pyalign::Pipeline> made;
        try {
            made.reset(new pyalign::Pipeline(s));
        } catch (const pyalign::Error&) {  // e.g. a letterbox whose content rounds to 0 pixels
            continue;
        }
        const pyalign::Pipeline& pipe = *made;
        const auto raw = random_bytes(pipe.input_bytes());
        auto run = [&](int threads) {
            std::vector<uint8_t> out(pipe.output_bytes());
            pipe.run(raw.data(), out.data(), threads);
            return out;
        };
        each_level_equal([&] { return run(1); }, "pipeline case " + std::to_string(it));
        const auto one = run(1);
        for (int t : {2, 3, 8}) PA_CHECK(run(t) == one);
    }
}

PA_TEST(normalize_levels_equal_portable) {
    // Planar and interleaved float outputs of 1..4 channels with /255, ImageNet and random mean/std
    // (some of which the reciprocal kernels must refuse, e.g. a huge mean with a tiny std).
    const float means[][4] = {{0, 0, 0, 0}, {123.675f, 116.28f, 103.53f, 0.5f}, {3e38f, -3e38f, 1e-30f, 7}};
    const float stds[][4] = {{255, 255, 255, 255}, {58.395f, 57.12f, 57.375f, 3}, {1e-10f, 1e-10f, 1e30f, -0.3f}};
    const pyalign::Layout layouts[] = {pyalign::Layout::HWC, pyalign::Layout::CHW, pyalign::Layout::NCHW};
    for (int it = 0; it < 96; ++it) {
        pyalign::NormalizeSpec s;
        s.channels = 1 + it % 4;
        s.layout = layouts[(it / 4) % 3];
        s.normalize = true;
        s.to_float = true;
        s.swap_rb = s.channels >= 3 && it % 2 == 1;
        const int v = (it / 12) % 4;
        for (int c = 0; c < 4; ++c) {
            s.mean[c] = v < 3 ? means[v][c] : static_cast<float>(rnd_in(-3000, 3000)) / 7.f;
            s.stdv[c] = v < 3 ? stds[v][c] : static_cast<float>(rnd_in(1, 3000)) / 13.f;
        }
        const int w = rnd_in(1, 700), h = rnd_in(1, 5);
        const auto img = random_bytes(static_cast<std::size_t>(w) * h * s.channels);
        each_level_equal(
            [&] {
                std::vector<uint8_t> out(static_cast<std::size_t>(w) * h * s.channels * 4);
                pyalign::normalize_u8(img.data(), h, w, s, out.data());
                return out;
            },
            "normalize case " + std::to_string(it));
    }
}

int main() { return pyalign_test::run_all(); }

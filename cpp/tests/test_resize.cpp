// Unit tests of the resize family: hand-computed small cases, the streaming contract, letterbox
// geometry and argument errors. (Bit-exactness against cv2 is proven in tests/test_resize.py.)
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "check.hpp"
#include "pyalign/resize.hpp"
#include "resize_model.hpp"

using pyalign::LetterboxStyle;
using resize_model::view;

namespace {

std::vector<uint8_t> resize_u8(std::vector<uint8_t> src, int sw, int sh, int dw, int dh, int cn) {
    std::vector<uint8_t> dst(static_cast<std::size_t>(dw) * dh * cn, 0);
    pyalign::resize_linear(view<const uint8_t>(src, sw, sh, cn), view<uint8_t>(dst, dw, dh, cn));
    return dst;
}

}  // namespace

PA_TEST(copy_when_same_size) {
    std::vector<uint8_t> src = {1, 2, 3, 4, 5, 6};
    PA_CHECK(resize_u8(src, 3, 2, 3, 2, 1) == src);
}

PA_TEST(one_pixel_upscale_replicates) {
    std::vector<uint8_t> src = {10, 20, 30};
    const auto dst = resize_u8(src, 1, 1, 5, 4, 3);
    for (int i = 0; i < 20; ++i) {
        PA_CHECK_EQ(dst[i * 3 + 0], 10);
        PA_CHECK_EQ(dst[i * 3 + 1], 20);
        PA_CHECK_EQ(dst[i * 3 + 2], 30);
    }
}

PA_TEST(exact_2x_down_is_rounded_mean) {
    // 4x2 -> 2x1: ((a+b+c+d+2) >> 2) per output pixel.
    std::vector<uint8_t> src = {0, 1, 10, 11, 2, 2, 13, 13};
    const auto dst = resize_u8(src, 4, 2, 2, 1, 1);
    PA_CHECK_EQ(dst[0], (0 + 1 + 2 + 2 + 2) >> 2);
    PA_CHECK_EQ(dst[1], (10 + 11 + 13 + 13 + 2) >> 2);
}

PA_TEST(exact_2x_down_two_channels_rounds_half_even) {
    // Sums 2 (mean 0.5 -> 0) and 6 (mean 1.5 -> 2), as OpenCV's area path gives for 2 channels.
    std::vector<uint8_t> src = {0, 1, 1, 1, 0, 2, 1, 2};  // 2x2, 2 channels
    const auto dst = resize_u8(src, 2, 2, 1, 1, 2);
    PA_CHECK_EQ(dst[0], 0);
    PA_CHECK_EQ(dst[1], 2);
}

PA_TEST(upscale_2x_hand_computed) {
    // 2x1 -> 4x1: fx = 0.25 * ... columns: dx=0 -> fx=-0.25 -> clamp (a,0); dx=1 -> sx=0,f=0.25;
    // dx=2 -> sx=0,f=0.75; dx=3 -> sx=1 >= src-1 -> edge.
    std::vector<uint8_t> src = {0, 200};
    const auto dst = resize_u8(src, 2, 1, 4, 1, 1);
    PA_CHECK_EQ(dst[0], 0);
    PA_CHECK_EQ(dst[1], 50);
    PA_CHECK_EQ(dst[2], 150);
    PA_CHECK_EQ(dst[3], 200);
}

PA_TEST(matches_independent_model_random) {
    // Random sizes (incl. 1-pixel, exact 2x, same size), 1..4 channels; each source image is an
    // exactly-sized heap buffer so the sanitizer build catches any read past a row.
    uint32_t seed = 12345;
    auto rnd = [&]() { seed = seed * 1664525u + 1013904223u; return seed >> 8; };
    for (int it = 0; it < 400; ++it) {
        int sw = 1 + rnd() % 23, sh = 1 + rnd() % 23, dw = 1 + rnd() % 40, dh = 1 + rnd() % 40;
        const int cn = 1 + it % 4;
        if (it % 7 == 0) { sw = 2 * dw; sh = 2 * dh; }
        if (it % 11 == 0) { dw = sw; dh = sh; }
        std::vector<uint8_t> src(static_cast<std::size_t>(sw) * sh * cn);
        for (auto& v : src) v = static_cast<uint8_t>(rnd());
        const auto dst = resize_u8(src, sw, sh, dw, dh, cn);
        PA_CHECK_EQ(resize_model::mismatches(src, dst, sw, sh, dw, dh, cn), 0);
    }
}

PA_TEST(nearest_and_float_random_sizes_in_bounds) {
    // Random sizes and 1..4 channels on exactly-sized buffers (the sanitizer build checks bounds);
    // nearest against its rule, float linear against a uint8-valued image's float formula bounds.
    uint32_t seed = 777;
    auto rnd = [&]() { seed = seed * 1664525u + 1013904223u; return seed >> 8; };
    for (int it = 0; it < 300; ++it) {
        int sw = 1 + rnd() % 19, sh = 1 + rnd() % 19, dw = 1 + rnd() % 37, dh = 1 + rnd() % 37;
        const int cn = 1 + it % 4;
        if (it % 5 == 0) { sw = 2 * dw; sh = 2 * dh; }
        std::vector<uint8_t> src(static_cast<std::size_t>(sw) * sh * cn);
        std::vector<float> srcf(src.size());
        for (std::size_t i = 0; i < src.size(); ++i) srcf[i] = src[i] = static_cast<uint8_t>(rnd());
        std::vector<uint8_t> dst(static_cast<std::size_t>(dw) * dh * cn);
        pyalign::resize_nearest(view<const uint8_t>(src, sw, sh, cn), view<uint8_t>(dst, dw, dh, cn));
        int bad = 0;
        for (int y = 0; y < dh; ++y)
            for (int x = 0; x < dw; ++x) {
                const int sx = std::min(static_cast<int>(std::floor(x * (1.0 / (static_cast<double>(dw) / sw)))), sw - 1);
                const int sy = std::min(static_cast<int>(std::floor(y * (1.0 / (static_cast<double>(dh) / sh)))), sh - 1);
                for (int c = 0; c < cn; ++c)
                    bad += dst[(static_cast<std::size_t>(y) * dw + x) * cn + c] !=
                           src[(static_cast<std::size_t>(sy) * sw + sx) * cn + c];
            }
        PA_CHECK_EQ(bad, 0);
        // Float linear: a convex combination, so every output lies within the source range and
        // rounds to within 1 of the uint8 result.
        std::vector<float> dstf(dst.size());
        pyalign::resize_linear(view<const float>(srcf, sw, sh, cn), view<float>(dstf, dw, dh, cn));
        const auto dst8 = resize_u8(src, sw, sh, dw, dh, cn);
        int far = 0;
        for (std::size_t i = 0; i < dstf.size(); ++i) far += std::fabs(dstf[i] - dst8[i]) > 1.0f;
        PA_CHECK_EQ(far, 0);
    }
}

PA_TEST(channels_are_independent) {
    // A 3-channel resize equals three 1-channel resizes of the planes.
    const int sw = 17, sh = 9, dw = 6, dh = 13;
    std::vector<uint8_t> src(sw * sh * 3);
    for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>((i * 37 + 11) % 251);
    const auto dst = resize_u8(src, sw, sh, dw, dh, 3);
    for (int c = 0; c < 3; ++c) {
        std::vector<uint8_t> plane(sw * sh);
        for (int i = 0; i < sw * sh; ++i) plane[i] = src[i * 3 + c];
        const auto out = resize_u8(plane, sw, sh, dw, dh, 1);
        for (int i = 0; i < dw * dh; ++i) PA_CHECK_EQ(dst[i * 3 + c], out[i]);
    }
}

PA_TEST(streaming_contract_rows_in_order) {
    const int sw = 31, sh = 47, dw = 10, dh = 11, cn = 3;
    std::vector<uint8_t> src(sw * sh * cn);
    for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 7);
    pyalign::LinearResizeU8 r(sw, sh, dw, dh, cn);
    std::vector<uint8_t> out(dw * dh * cn);
    int last_y = -1, next_dy = 0;
    bool ordered = true;
    std::vector<uint8_t> ring(sw * cn);  // the caller keeps only one row
    r.run(
        [&](int y) {
            ordered = ordered && y > last_y && y >= 0 && y < sh;
            last_y = y;
            std::memcpy(ring.data(), src.data() + y * sw * cn, ring.size());
            return static_cast<const uint8_t*>(ring.data());
        },
        [&](int dy, const uint8_t* row) {
            ordered = ordered && dy == next_dy;
            ++next_dy;
            std::memcpy(out.data() + dy * dw * cn, row, dw * cn);
        });
    PA_CHECK(ordered);
    PA_CHECK_EQ(next_dy, dh);
    PA_CHECK(out == resize_u8(src, sw, sh, dw, dh, cn));
    // A second run gives the same image.
    std::vector<uint8_t> out2(dw * dh * cn);
    r.run_into([&](int y) { return static_cast<const uint8_t*>(src.data() + y * sw * cn); },
               [&](int dy) { return out2.data() + dy * dw * cn; });
    PA_CHECK(out2 == out);
}

PA_TEST(float_linear_hand_computed) {
    std::vector<float> src = {0.f, 1.f, 2.f, 3.f};  // 4x1 -> 2x1 is a 2x down in x only (h 1 -> 1)
    std::vector<float> dst(2);
    pyalign::resize_linear(view<const float>(src, 4, 1, 1), view<float>(dst, 2, 1, 1));
    PA_CHECK_NEAR(dst[0], 0.5, 1e-7);
    PA_CHECK_NEAR(dst[1], 2.5, 1e-7);
    std::vector<float> src2 = {0.f, 4.f, 8.f, 12.f};  // 2x2 -> 1x1: area mean
    std::vector<float> dst2(1);
    pyalign::resize_linear(view<const float>(src2, 2, 2, 1), view<float>(dst2, 1, 1, 1));
    PA_CHECK_NEAR(dst2[0], 6.0, 1e-7);
}

PA_TEST(nearest_hand_computed) {
    std::vector<uint8_t> src = {1, 2, 3, 4, 5};
    std::vector<uint8_t> dst(3);
    pyalign::resize_nearest(view<const uint8_t>(src, 5, 1, 1), view<uint8_t>(dst, 3, 1, 1));
    // sx = floor(dx * 5/3): 0, 1, 3
    PA_CHECK_EQ(dst[0], 1);
    PA_CHECK_EQ(dst[1], 2);
    PA_CHECK_EQ(dst[2], 4);
    std::vector<uint8_t> up(10);
    pyalign::resize_nearest(view<const uint8_t>(src, 5, 1, 1), view<uint8_t>(up, 10, 1, 1));
    for (int i = 0; i < 10; ++i) PA_CHECK_EQ(up[i], src[i / 2]);
}

PA_TEST(letterbox_geometry_ultralytics) {
    const auto g = pyalign::letterbox_geometry(1920, 1080, 640, 640, LetterboxStyle::Ultralytics);
    PA_CHECK_EQ(g.resized_width, 640);
    PA_CHECK_EQ(g.resized_height, 360);
    PA_CHECK_EQ(g.pad_top, 140);
    PA_CHECK_EQ(g.pad_bottom, 140);
    PA_CHECK_EQ(g.pad_left, 0);
    PA_CHECK_EQ(g.pad_right, 0);
    PA_CHECK_NEAR(g.scale_x, 1.0 / 3.0, 1e-15);
    // Odd padding: 100x51 -> 64x64: r = 0.64, resized 64x33 (32.64 -> 33), dh = 15.5:
    // top = round(15.4) = 15, bottom = round(15.6) = 16.
    const auto h = pyalign::letterbox_geometry(100, 51, 64, 64, LetterboxStyle::Ultralytics);
    PA_CHECK_EQ(h.resized_height, 33);
    PA_CHECK_EQ(h.pad_top, 15);
    PA_CHECK_EQ(h.pad_bottom, 16);
    // Even padding split: 3x5 -> 5x5, r = 1, 2 columns of padding -> 1 + 1.
    const auto k = pyalign::letterbox_geometry(3, 5, 5, 5, LetterboxStyle::Ultralytics);  // 3 * 1.0 = 3
    PA_CHECK_EQ(k.resized_width, 3);
    PA_CHECK_EQ(k.pad_left, 1);
    PA_CHECK_EQ(k.pad_right, 1);
    // Content size: Python round() (half to even). 5x9 -> 3x3: r = 1/3, width round(1.67) = 2;
    // 10x1 -> 5x5: r = 0.5, height round(0.5) = 0 -> error (empty image, cv2.resize would fail).
    PA_CHECK_EQ(pyalign::letterbox_geometry(5, 9, 3, 3, LetterboxStyle::Ultralytics).resized_width, 2);
    PA_CHECK_THROWS(pyalign::letterbox_geometry(10, 1, 5, 5, LetterboxStyle::Ultralytics));
    // 6x3 -> 3x3 (r = 0.5): height round(1.5) = 2 (half to even), pads 0 / 1.
    const auto t = pyalign::letterbox_geometry(6, 3, 3, 3, LetterboxStyle::Ultralytics);
    PA_CHECK_EQ(t.resized_height, 2);
    PA_CHECK_EQ(t.pad_top, 0);
    PA_CHECK_EQ(t.pad_bottom, 1);
    // 10x5 -> 5x5 (r = 0.5): height round(2.5) = 2 (half to even, not 3).
    PA_CHECK_EQ(pyalign::letterbox_geometry(10, 5, 5, 5, LetterboxStyle::Ultralytics).resized_height, 2);
}

PA_TEST(letterbox_geometry_center) {
    // 1000x333 -> 640x640: r = 0.64, height int(213.12) = 213, pad 427 -> top 213, bottom 214.
    const auto g = pyalign::letterbox_geometry(1000, 333, 640, 640, LetterboxStyle::Center);
    PA_CHECK_EQ(g.resized_width, 640);
    PA_CHECK_EQ(g.resized_height, 213);
    PA_CHECK_EQ(g.pad_top, 213);
    PA_CHECK_EQ(g.pad_bottom, 214);
    // 1920x1080 -> 640x640: float32(1/3) * 1080 = 360 exactly after rounding.
    const auto h = pyalign::letterbox_geometry(1920, 1080, 640, 640, LetterboxStyle::Center);
    PA_CHECK_EQ(h.resized_height, 360);
    PA_CHECK_EQ(h.pad_top, 140);
    // ax-samples' float32 arithmetic: 100x1101 -> 640x640 gives 58x639 (the limiting side is one
    // pixel short: float(640/1101) * 1101 = 639.99994f), padding 1 row at the bottom.
    const auto k = pyalign::letterbox_geometry(100, 1101, 640, 640, LetterboxStyle::Center);
    PA_CHECK_EQ(k.resized_width, 58);
    PA_CHECK_EQ(k.resized_height, 639);
    PA_CHECK_EQ(k.pad_top, 0);
    PA_CHECK_EQ(k.pad_bottom, 1);
}

PA_TEST(letterbox_image_pads_and_places) {
    const int sw = 4, sh = 2, cn = 3;
    std::vector<uint8_t> src(sw * sh * cn, 200);
    std::vector<uint8_t> dst(8 * 8 * cn, 0);
    const uint8_t pad[3] = {114, 115, 116};
    pyalign::LetterboxGeometry g;
    pyalign::letterbox(view<const uint8_t>(src, sw, sh, cn), view<uint8_t>(dst, 8, 8, cn), pad,
                       LetterboxStyle::Ultralytics, &g);
    PA_CHECK_EQ(g.resized_width, 8);
    PA_CHECK_EQ(g.resized_height, 4);
    PA_CHECK_EQ(g.pad_top, 2);
    for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x)
            for (int c = 0; c < cn; ++c) {
                const int expect = (y >= 2 && y < 6) ? 200 : pad[c];
                PA_CHECK_EQ(dst[(y * 8 + x) * cn + c], expect);
            }
}

PA_TEST(errors_are_thrown) {
    std::vector<uint8_t> a(12), b(12);
    PA_CHECK_THROWS(pyalign::LinearResizeU8(0, 1, 1, 1, 1));
    PA_CHECK_THROWS(pyalign::LinearResizeU8(1, 1, 1, -3, 1));
    PA_CHECK_THROWS(pyalign::LinearResizeU8(1, 1, 1, 1, 5));
    PA_CHECK_THROWS(pyalign::LinearResizeU8(pyalign::kMaxResizeSide + 1, 1, 1, 1, 1));
    auto s = view<const uint8_t>(a, 2, 2, 3);
    auto d = view<uint8_t>(b, 2, 2, 3);
    d.channels = 1;
    PA_CHECK_THROWS(pyalign::resize_linear(s, d));  // channel mismatch
    d = view<uint8_t>(b, 2, 2, 3);
    d.stride = 3;
    PA_CHECK_THROWS(pyalign::resize_linear(s, d));  // stride smaller than a row
    s.data = nullptr;
    PA_CHECK_THROWS(pyalign::resize_nearest(s, view<uint8_t>(b, 2, 2, 3)));
    PA_CHECK_THROWS(pyalign::letterbox_geometry(0, 5, 5, 5, LetterboxStyle::Center));
    PA_CHECK_THROWS(pyalign::letterbox_geometry(1, 2000, 640, 640, LetterboxStyle::Ultralytics));  // round(0.32) = 0 columns
    PA_CHECK_THROWS(pyalign::letterbox(view<const uint8_t>(a, 2, 2, 3), view<uint8_t>(b, 2, 2, 3), nullptr,
                                       LetterboxStyle::Center));
}

PA_TEST(letterbox_style_names) {
    PA_CHECK(pyalign::parse_letterbox_style("ultralytics") == LetterboxStyle::Ultralytics);
    PA_CHECK(pyalign::parse_letterbox_style("center") == LetterboxStyle::Center);
    std::string what;
    try {
        pyalign::parse_letterbox_style("Center");
    } catch (const pyalign::Error& e) {
        what = e.what();
    }
    PA_CHECK(what == "unknown letterbox style 'Center' (expected ultralytics or center)");
}

int main() { return pyalign_test::run_all(); }

// Unit tests of the CSC family: OpenCV's integer formulas written out per pixel, float modes,
// hand values and every error.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "check.hpp"
#include "pyalign/csc.hpp"

using namespace pyalign;

namespace {

uint32_t lcg(uint32_t& s) {
    s = s * 1664525u + 1013904223u;
    return s >> 24;
}

std::vector<uint8_t> random_bytes(std::size_t n, uint32_t seed) {
    std::vector<uint8_t> v(n);
    for (auto& b : v) b = static_cast<uint8_t>(lcg(seed));
    return v;
}

int sat(int v) { return v < 0 ? 0 : (v > 255 ? 255 : v); }

// REFERENCE.md's cv2.cvtColor formula, one pixel at a time.
void ref_pixel(int Y, int U, int V, int rgb[3]) {
    const int y = std::max(0, Y - 16) * 1220542, u = U - 128, v = V - 128;
    rgb[0] = sat((y + (1 << 19) + 1673527 * v) >> 20);
    rgb[1] = sat((y + (1 << 19) - 852492 * v - 409993 * u) >> 20);
    rgb[2] = sat((y + (1 << 19) + 2116026 * u) >> 20);
}

void yuv_at(const std::vector<uint8_t>& f, PixelFormat fmt, int w, int h, int x, int y, int& Y, int& U, int& V) {
    if (fmt == PixelFormat::YUV420SP || fmt == PixelFormat::YVU420SP) {
        Y = f[static_cast<std::size_t>(y) * w + x];
        const std::size_t c = static_cast<std::size_t>(h) * w + static_cast<std::size_t>(y / 2) * w + (x / 2) * 2;
        U = f[c + (fmt == PixelFormat::YUV420SP ? 0 : 1)];
        V = f[c + (fmt == PixelFormat::YUV420SP ? 1 : 0)];
    } else {
        const std::size_t p = static_cast<std::size_t>(y) * w * 2 + (x / 2) * 4;
        const bool yuyv = fmt == PixelFormat::YUYV422;
        Y = f[p + (yuyv ? 0 : 1) + 2 * (x % 2)];
        U = f[p + (yuyv ? 1 : 0)];
        V = f[p + (yuyv ? 3 : 2)];
    }
}

const PixelFormat kYuv[] = {PixelFormat::YUV420SP, PixelFormat::YVU420SP, PixelFormat::YUYV422, PixelFormat::UYVY422};

}  // namespace

PA_TEST(opencv_mode_matches_per_pixel_formula) {
    const int sizes[][2] = {{2, 2}, {6, 4}, {258, 6}, {514, 2}, {30, 10}};
    for (PixelFormat fmt : kYuv) {
        for (const auto& s : sizes) {
            const int w = s[0], h = s[1];
            const auto frame = random_bytes(frame_bytes(fmt, w, h), static_cast<uint32_t>(w * 31 + h));
            for (bool to_rgb : {false, true}) {
                std::vector<uint8_t> out(static_cast<std::size_t>(w) * h * 3);
                yuv_to_rgb(frame.data(), fmt, w, h, out.data(), to_rgb);
                int bad = 0;
                for (int y = 0; y < h; ++y)
                    for (int x = 0; x < w; ++x) {
                        int Y, U, V, rgb[3];
                        yuv_at(frame, fmt, w, h, x, y, Y, U, V);
                        ref_pixel(Y, U, V, rgb);
                        const uint8_t* p = &out[(static_cast<std::size_t>(y) * w + x) * 3];
                        for (int c = 0; c < 3; ++c) bad += p[c] != rgb[to_rgb ? c : 2 - c];
                    }
                PA_CHECK_EQ(bad, 0);
            }
        }
    }
}

PA_TEST(opencv_mode_black_and_white) {
    // NV12 2x2: Y = 16 / 235, U = V = 128 -> black / white.
    const uint8_t f[] = {16, 235, 16, 235, 128, 128};
    uint8_t out[12];
    yuv_to_rgb(f, PixelFormat::YUV420SP, 2, 2, out, false);
    PA_CHECK_EQ(out[0], 0);
    PA_CHECK_EQ(out[3], 255);
    PA_CHECK_EQ(out[5], 255);
    // Y < 16 is clamped to 16 before scaling
    const uint8_t g[] = {0, 5, 0, 5, 128, 128};
    yuv_to_rgb(g, PixelFormat::YUV420SP, 2, 2, out, false);
    for (int i = 0; i < 12; ++i) PA_CHECK_EQ(out[i], 0);
}

PA_TEST(row_converter_equals_whole_frame) {
    const int w = 40, h = 6;
    const auto frame = random_bytes(frame_bytes(PixelFormat::UYVY422, w, h), 9);
    std::vector<uint8_t> all(w * h * 3), row(w * 3);
    yuv_to_rgb(frame.data(), PixelFormat::UYVY422, w, h, all.data(), true);
    YuvRowConverter conv(PixelFormat::UYVY422, w, h, true);
    for (int y = h - 1; y >= 0; --y) {  // any order
        conv.convert_row(frame.data(), y, row.data());
        PA_CHECK(std::equal(row.begin(), row.end(), all.begin() + static_cast<std::ptrdiff_t>(y) * w * 3));
    }
    PA_CHECK_THROWS(conv.convert_row(frame.data(), h, row.data()));
    PA_CHECK_THROWS(conv.convert_row(frame.data(), -1, row.data()));
}

PA_TEST(matrix_mode_definition) {
    // R = Y/2 (ties round up), G = U + 0.25*256 bias, B = saturating 2*V - 256*0.5
    const double m[12] = {0.5, 0, 0, 0, 0, 1, 0, 0.25, 0, 0, 2, -0.5};
    const uint8_t f[] = {3, 5, 1, 7, 10, 200};  // NV12 2x2: U = 10, V = 200
    uint8_t out[12];
    yuv_to_rgb(f, PixelFormat::YUV420SP, 2, 2, out, true, CscMode::Matrix, m);
    PA_CHECK_EQ(out[0], 2);    // 1.5 -> 2
    PA_CHECK_EQ(out[3], 3);    // 2.5 -> 3
    PA_CHECK_EQ(out[6], 1);    // 0.5 -> 1
    PA_CHECK_EQ(out[1], 74);   // 10 + 64
    PA_CHECK_EQ(out[2], 255);  // 2*200 - 128 = 272 saturates
}

PA_TEST(limited_and_full_range_values) {
    const CscMatrix lim = csc_matrix(CscMode::LimitedRange);
    PA_CHECK_NEAR(lim.m[0][3] * 256, -(1.164 * 16 + 1.596 * 128), 1e-9);
    PA_CHECK_NEAR(lim.m[0][3], -0.871, 0.001);  // Pulsar2's documented example
    PA_CHECK_NEAR(lim.m[1][3], 0.529, 0.001);
    PA_CHECK_NEAR(lim.m[2][3], -1.082, 0.001);
    const uint8_t gray[] = {128, 128, 128, 128, 128, 128};
    uint8_t out[12];
    yuv_to_rgb(gray, PixelFormat::YUV420SP, 2, 2, out, false, CscMode::FullRange);
    for (int i = 0; i < 12; ++i) PA_CHECK_EQ(out[i], 128);
}

PA_TEST(bgr_to_yuv_rules) {
    // one 2x2 BGR block: I420 rules, U,V from the top-left pixel
    const uint8_t bgr[] = {0, 0, 255, 255, 255, 255, 0, 255, 0, 255, 0, 0};
    uint8_t nv12[6], nv21[6];
    rgb_to_yuv(bgr, 2, 2, false, PixelFormat::YUV420SP, nv12);
    rgb_to_yuv(bgr, 2, 2, false, PixelFormat::YVU420SP, nv21);
    auto Y = [](int r, int g, int b) { return (269484 * r + 528482 * g + 102760 * b + (1 << 19) + (16 << 20)) >> 20; };
    PA_CHECK_EQ(nv12[0], Y(255, 0, 0));
    PA_CHECK_EQ(nv12[1], Y(255, 255, 255));
    PA_CHECK_EQ(nv12[2], Y(0, 255, 0));
    PA_CHECK_EQ(nv12[3], Y(0, 0, 255));
    const int U = (-155188 * 255 + (1 << 19) + (128 << 20)) >> 20, V = (460324 * 255 + (1 << 19) + (128 << 20)) >> 20;
    PA_CHECK_EQ(nv12[4], U);
    PA_CHECK_EQ(nv12[5], sat(V));
    PA_CHECK_EQ(nv21[4], nv12[5]);
    PA_CHECK_EQ(nv21[5], nv12[4]);
    // 4:2:2: pair average with 14-bit coefficients
    uint8_t yuyv[8], uyvy[8];
    rgb_to_yuv(bgr, 2, 2, false, PixelFormat::YUYV422, yuyv);
    rgb_to_yuv(bgr, 2, 2, false, PixelFormat::UYVY422, uyvy);
    PA_CHECK_EQ(yuyv[0], (4211 * 255 + (16 << 14) + (1 << 13)) >> 14);
    const int u2 = ((1 << 13) + (-1212 * 510 - 2384 * 255 + 3596 * 255 + (1 << 13) * 256)) >> 14;
    PA_CHECK_EQ(yuyv[1], u2);
    PA_CHECK_EQ(uyvy[0], yuyv[1]);
    PA_CHECK_EQ(uyvy[1], yuyv[0]);
    PA_CHECK_EQ(uyvy[3], yuyv[2]);
}

PA_TEST(errors) {
    PA_CHECK_THROWS(parse_pixel_format("I420"));
    PA_CHECK_THROWS(parse_csc_mode("bt709"));
    PA_CHECK(parse_pixel_format("NV21") == PixelFormat::YVU420SP);
    PA_CHECK_THROWS(check_frame_size(PixelFormat::YUV420SP, 3, 2));
    PA_CHECK_THROWS(check_frame_size(PixelFormat::YUV420SP, 2, 3));
    PA_CHECK_THROWS(check_frame_size(PixelFormat::YUYV422, 3, 2));
    check_frame_size(PixelFormat::YUYV422, 2, 3);  // 4:2:2 allows an odd height
    PA_CHECK_THROWS(check_frame_size(PixelFormat::BGR, 0, 2));
    PA_CHECK_THROWS(check_frame_size(PixelFormat::BGR, 2, -1));
    PA_CHECK_THROWS(check_frame_size(PixelFormat::BGR, 1 << 21, 2));
    PA_CHECK_THROWS(YuvRowConverter(PixelFormat::BGR, 2, 2, false));
    PA_CHECK_THROWS(YuvRowConverter(PixelFormat::YUV420SP, 2, 2, false, CscMode::Matrix));
    const double m[12] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
    PA_CHECK_THROWS(YuvRowConverter(PixelFormat::YUV420SP, 2, 2, false, CscMode::OpenCV, m));
    double bad[12] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
    bad[5] = std::nan("");
    PA_CHECK_THROWS(csc_matrix(CscMode::Matrix, bad));
    bad[5] = 1e4;
    PA_CHECK_THROWS(csc_matrix(CscMode::Matrix, bad));
    PA_CHECK_THROWS(csc_matrix(CscMode::OpenCV));
    uint8_t buf[16] = {};
    PA_CHECK_THROWS(rgb_to_yuv(buf, 2, 2, false, PixelFormat::BGR, buf));
}

// The format table: one row per enum value, names and aliases round-trip, sizes follow the row.
PA_TEST(format_table) {
    int k = 0;
    for (const PixelFormatInfo& i : kPixelFormats) {
        PA_CHECK(static_cast<int>(i.format) == k++);
        PA_CHECK(parse_pixel_format(i.name) == i.format);
        if (*i.alias) PA_CHECK(parse_pixel_format(i.alias) == i.format);
        PA_CHECK(std::string(pixel_format_name(i.format)) == i.name);
        PA_CHECK_EQ(decoded_channels(i.format), i.channels);
        PA_CHECK(is_yuv(i.format) == (i.y_offset >= 0));
        const int w = 4 * i.sub_x, h = 2 * i.sub_y;
        check_frame_size(i.format, w, h);
        std::size_t n = 1;
        for (std::size_t d : frame_shape(i.format, w, h)) n *= d;
        PA_CHECK_EQ(n, frame_bytes(i.format, w, h));
        PA_CHECK_EQ(frame_bytes(i.format, w, h), static_cast<std::size_t>(w * h * i.bits_per_pixel / 8));
        if (i.sub_x > 1) PA_CHECK_THROWS(check_frame_size(i.format, w + 1, h));
        if (i.sub_y > 1) PA_CHECK_THROWS(check_frame_size(i.format, w, h + 1));
    }
    PA_CHECK_EQ(pixel_format_names().size(), std::size(kPixelFormats));
    PA_CHECK(frame_shape(PixelFormat::YUV420SP, 6, 4) == (std::vector<std::size_t>{6, 6}));
    PA_CHECK(frame_shape(PixelFormat::UYVY422, 6, 4) == (std::vector<std::size_t>{4, 6, 2}));
    PA_CHECK(frame_shape(PixelFormat::GRAY, 6, 4) == (std::vector<std::size_t>{4, 6}));
    PA_CHECK(frame_shape(PixelFormat::RGB, 6, 4) == (std::vector<std::size_t>{4, 6, 3}));
}

int main() { return pyalign_test::run_all(); }

// Unit tests of normalize / layout / RowWriter: hand values, layouts, swap, padding fill, errors.
#include <cstdint>
#include <cstring>
#include <vector>

#include "check.hpp"
#include "pyalign/normalize.hpp"

using namespace pyalign;

namespace {
NormalizeSpec spec3(Layout l, bool norm, bool swap) {
    NormalizeSpec s;
    s.channels = 3;
    s.layout = l;
    s.normalize = norm;
    s.to_float = true;
    s.swap_rb = swap;
    s.mean[0] = 1.f;
    s.mean[1] = 2.f;
    s.mean[2] = 3.f;
    s.stdv[0] = 2.f;
    s.stdv[1] = 4.f;
    s.stdv[2] = 0.1f;
    return s;
}
}  // namespace

PA_TEST(hwc_values_are_float32_subtract_then_divide) {
    const uint8_t img[] = {10, 20, 30, 40, 50, 60};  // 1x2x3
    float out[6];
    normalize_u8(img, 1, 2, spec3(Layout::HWC, true, false), out);
    PA_CHECK_EQ(out[0], (10.f - 1.f) / 2.f);
    PA_CHECK_EQ(out[1], (20.f - 2.f) / 4.f);
    PA_CHECK_EQ(out[2], (30.f - 3.f) / 0.1f);  // a division, not * 10
    PA_CHECK_EQ(out[5], (60.f - 3.f) / 0.1f);
}

PA_TEST(chw_with_swap_indexes_output_channels) {
    const uint8_t img[] = {10, 20, 30, 40, 50, 60};  // 1x2x3
    float out[6];
    normalize_u8(img, 1, 2, spec3(Layout::NCHW, true, true), out);
    // plane 0 = input channel 2 normalised with mean[0]/std[0]
    PA_CHECK_EQ(out[0], (30.f - 1.f) / 2.f);
    PA_CHECK_EQ(out[1], (60.f - 1.f) / 2.f);
    PA_CHECK_EQ(out[2], (20.f - 2.f) / 4.f);
    PA_CHECK_EQ(out[4], (10.f - 3.f) / 0.1f);
    PA_CHECK_EQ(out[5], (40.f - 3.f) / 0.1f);
}

PA_TEST(uint8_layouts) {
    std::vector<uint8_t> img(2 * 3 * 4);
    for (std::size_t i = 0; i < img.size(); ++i) img[i] = static_cast<uint8_t>(i);
    NormalizeSpec s;
    s.channels = 4;
    s.layout = Layout::CHW;
    s.swap_rb = true;
    std::vector<uint8_t> out(img.size());
    normalize_u8(img.data(), 2, 3, s, out.data());
    // out[c][y][x] = img[y][x][swap(c)]
    for (int c = 0; c < 4; ++c)
        for (int p = 0; p < 6; ++p) PA_CHECK_EQ(out[c * 6 + p], img[p * 4 + (c <= 2 ? 2 - c : c)]);
    s.layout = Layout::HWC;
    normalize_u8(img.data(), 2, 3, s, out.data());
    PA_CHECK_EQ(out[0], 2);
    PA_CHECK_EQ(out[2], 0);
    PA_CHECK_EQ(out[3], 3);
}

PA_TEST(long_rows_cross_tiles) {
    // > 1020 interleaved elements per row: the tiled kernel must keep the channel phase.
    const int w = 700;
    std::vector<uint8_t> img(static_cast<std::size_t>(w) * 3);
    for (int i = 0; i < w * 3; ++i) img[i] = static_cast<uint8_t>(i * 7);
    std::vector<float> out(img.size());
    normalize_u8(img.data(), 1, w, spec3(Layout::HWC, true, true), out.data());
    for (int x = 0; x < w; ++x)
        for (int c = 0; c < 3; ++c) {
            const NormalizeSpec s = spec3(Layout::HWC, true, true);
            PA_CHECK_EQ(out[x * 3 + c], (static_cast<float>(img[x * 3 + (2 - c)]) - s.mean[c]) / s.stdv[c]);
        }
}

PA_TEST(row_writer_fill) {
    NormalizeSpec s = spec3(Layout::CHW, true, false);
    RowWriter w(s, 2, 3);
    std::vector<float> out(18, -1.f);
    const uint8_t pix[] = {5, 6, 7};
    w.fill_pixels(1, 1, 2, pix, out.data());
    PA_CHECK_EQ(out[0 * 6 + 3 + 1], (5.f - 1.f) / 2.f);
    PA_CHECK_EQ(out[2 * 6 + 3 + 2], (7.f - 3.f) / 0.1f);
    PA_CHECK_EQ(out[0 * 6 + 3 + 0], -1.f);
}

PA_TEST(float_input) {
    const float img[] = {1.5f, -2.f, 3.f};
    float out[3];
    NormalizeSpec s = spec3(Layout::CHW, true, true);
    normalize_f32(img, 1, 1, s, out);
    PA_CHECK_EQ(out[0], (3.f - 1.f) / 2.f);
    PA_CHECK_EQ(out[2], (1.5f - 3.f) / 0.1f);
    s.to_float = false;
    PA_CHECK_THROWS(normalize_f32(img, 1, 1, s, out));
}

PA_TEST(errors) {
    NormalizeSpec s;
    s.channels = 5;
    PA_CHECK_THROWS(validate_normalize(s));
    s.channels = 2;
    s.swap_rb = true;
    PA_CHECK_THROWS(validate_normalize(s));
    s = NormalizeSpec{};
    s.layout = Layout::HW;
    PA_CHECK_THROWS(validate_normalize(s));
    s = spec3(Layout::HWC, true, false);
    s.stdv[1] = 0.f;
    PA_CHECK_THROWS(validate_normalize(s));
    s = spec3(Layout::HWC, true, false);
    s.to_float = false;
    PA_CHECK_THROWS(validate_normalize(s));
    PA_CHECK_THROWS(RowWriter(spec3(Layout::HWC, false, false), 0, 3));
    PA_CHECK_THROWS(parse_layout("WHC"));
    PA_CHECK(parse_layout("NCHW") == Layout::NCHW);
}

int main() { return pyalign_test::run_all(); }

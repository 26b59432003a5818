// Unit tests of the fused pipeline: equals the separate ops (csc, resize, letterbox, normalize).
#include <cstdint>
#include <cstring>
#include <vector>

#include "check.hpp"
#include "pyalign/pipeline.hpp"

using namespace pyalign;

namespace {
std::vector<uint8_t> pattern(std::size_t n, uint32_t seed) {
    std::vector<uint8_t> v(n);
    for (auto& b : v) {
        seed = seed * 1664525u + 1013904223u;
        b = static_cast<uint8_t>(seed >> 24);
    }
    return v;
}
}  // namespace

PA_TEST(csc_only_equals_yuv_to_rgb) {
    const int w = 10, h = 6;
    const auto raw = pattern(frame_bytes(PixelFormat::YUV420SP, w, h), 1);
    PipelineSpec s;
    s.input_format = PixelFormat::YUV420SP;
    s.width = w;
    s.height = h;
    s.csc = true;
    s.csc_to_rgb = true;
    Pipeline p(s);
    PA_CHECK_EQ(p.output_bytes(), static_cast<std::size_t>(w * h * 3));
    PA_CHECK(!p.output_is_float());
    std::vector<uint8_t> got(p.output_bytes()), want(p.output_bytes());
    p.run(raw.data(), got.data());
    yuv_to_rgb(raw.data(), PixelFormat::YUV420SP, w, h, want.data(), true);
    PA_CHECK(got == want);
    // no geometry op: scale 1, the destination is the input
    PA_CHECK(p.geometry().g.scale_x == 1.0 && p.geometry().g.scale_y == 1.0);
    PA_CHECK_EQ(p.geometry().g.dst_width, w);
    PA_CHECK_EQ(p.geometry().g.resized_height, h);
}

PA_TEST(letterbox_normalize_nchw_equals_separate_ops) {
    const int w = 37, h = 21, dw = 32, dh = 32;
    const auto raw = pattern(static_cast<std::size_t>(w) * h * 3, 2);
    PipelineSpec s;
    s.input_format = PixelFormat::BGR;
    s.width = w;
    s.height = h;
    s.geometry = GeometryOp::Letterbox;
    s.dst_width = dw;
    s.dst_height = dh;
    s.pad_value[0] = 1;
    s.pad_value[1] = 2;
    s.pad_value[2] = 3;
    s.swap_rb = true;
    s.normalize = true;
    s.mean[0] = 10.f;
    s.stdv[2] = 3.f;
    s.has_layout = true;
    s.layout = Layout::NCHW;
    Pipeline p(s);
    PA_CHECK(p.output_is_float());
    PA_CHECK(p.output_shape() == (std::vector<std::size_t>{1, 3, 32, 32}));
    std::vector<float> got(p.output_elements());
    p.run(raw.data(), got.data());

    // separate ops: letterbox (H2's) into uint8, then normalize
    std::vector<uint8_t> boxed(static_cast<std::size_t>(dw) * dh * 3);
    const uint8_t pad[3] = {1, 2, 3};
    LetterboxGeometry g;
    letterbox(ImageView<const uint8_t>{raw.data(), h, w, 3, w * 3}, ImageView<uint8_t>{boxed.data(), dh, dw, 3, dw * 3},
              pad, LetterboxStyle::Ultralytics, &g);
    NormalizeSpec ns;
    ns.swap_rb = true;
    ns.normalize = ns.to_float = true;
    ns.mean[0] = 10.f;
    ns.stdv[2] = 3.f;
    ns.layout = Layout::NCHW;
    std::vector<float> want(got.size());
    normalize_u8(boxed.data(), dh, dw, ns, want.data());
    PA_CHECK(std::memcmp(got.data(), want.data(), got.size() * 4) == 0);
    PA_CHECK_EQ(p.geometry().g.pad_top, g.pad_top);
    PA_CHECK_EQ(p.geometry().g.resized_height, g.resized_height);
    // top-left pixel is padding: channel 0 after the swap is pad[2]
    PA_CHECK_EQ(got[0], (3.f - 10.f) / 1.f);
}

PA_TEST(yuv_integer_downscale_skips_rows_but_equals_separate_ops) {
    // 3x downscale: every other fetched source row has weight 0 and is not converted.
    for (int k : {2, 3, 4}) {
        const int w = 24 * k, h = 12 * k, dw = 24, dh = 24;
        const auto raw = pattern(frame_bytes(PixelFormat::YVU420SP, w, h), static_cast<uint32_t>(k));
        PipelineSpec s;
        s.input_format = PixelFormat::YVU420SP;
        s.width = w;
        s.height = h;
        s.csc = true;
        s.geometry = GeometryOp::Letterbox;
        s.dst_width = dw;
        s.dst_height = dh;
        Pipeline p(s);
        std::vector<uint8_t> got(p.output_bytes());
        p.run(raw.data(), got.data());
        std::vector<uint8_t> bgr(static_cast<std::size_t>(w) * h * 3), want(got.size());
        yuv_to_rgb(raw.data(), PixelFormat::YVU420SP, w, h, bgr.data(), false);
        const uint8_t pad[3] = {114, 114, 114};
        letterbox(ImageView<const uint8_t>{bgr.data(), h, w, 3, w * 3}, ImageView<uint8_t>{want.data(), dh, dw, 3, dw * 3},
                  pad, LetterboxStyle::Ultralytics);
        PA_CHECK(got == want);
    }
}

PA_TEST(nearest_resize_doubles_pixels) {
    const uint8_t raw[] = {1, 2, 3, 4};  // GRAY 2x2
    PipelineSpec s;
    s.input_format = PixelFormat::GRAY;
    s.width = 2;
    s.height = 2;
    s.geometry = GeometryOp::Resize;
    s.interpolation = Interpolation::Nearest;
    s.dst_width = 4;
    s.dst_height = 4;
    Pipeline p(s);
    PA_CHECK(p.output_shape() == (std::vector<std::size_t>{4, 4}));
    uint8_t out[16];
    p.run(raw, out);
    const uint8_t want[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    PA_CHECK(std::memcmp(out, want, 16) == 0);
}

PA_TEST(linear_resize_equals_resize_linear) {
    const int w = 50, h = 30, dw = 17, dh = 41;
    const auto raw = pattern(static_cast<std::size_t>(w) * h * 3, 3);
    PipelineSpec s;
    s.width = w;
    s.height = h;
    s.geometry = GeometryOp::Resize;
    s.dst_width = dw;
    s.dst_height = dh;
    Pipeline p(s);
    std::vector<uint8_t> got(p.output_bytes()), want(p.output_bytes());
    p.run(raw.data(), got.data());
    resize_linear(ImageView<const uint8_t>{raw.data(), h, w, 3, w * 3}, ImageView<uint8_t>{want.data(), dh, dw, 3, dw * 3});
    PA_CHECK(got == want);
}

PA_TEST(interpolation_names) {
    PA_CHECK(parse_interpolation("linear") == Interpolation::Linear);
    PA_CHECK(parse_interpolation("nearest") == Interpolation::Nearest);
    PA_CHECK_THROWS(parse_interpolation("cubic"));
}

PA_TEST(errors) {
    PipelineSpec s;
    s.width = 4;
    s.height = 4;
    s.input_format = PixelFormat::YUV420SP;
    PA_CHECK_THROWS(Pipeline{s});  // YUV needs csc
    s.csc = true;
    s.height = 3;
    PA_CHECK_THROWS(Pipeline{s});  // odd height
    s = PipelineSpec{};
    s.width = 4;
    s.height = 4;
    s.csc = true;
    PA_CHECK_THROWS(Pipeline{s});  // csc on BGR
    s.csc = false;
    s.geometry = GeometryOp::Resize;
    PA_CHECK_THROWS(Pipeline{s});  // no size
    s.geometry = GeometryOp::Letterbox;
    s.dst_width = s.dst_height = 8;
    s.pad_value[1] = 300;
    PA_CHECK_THROWS(Pipeline{s});
    s = PipelineSpec{};
    s.width = 4;
    s.height = 4;
    s.normalize = true;
    s.stdv[0] = 0.f;
    PA_CHECK_THROWS(Pipeline{s});
    s = PipelineSpec{};
    s.width = 0;
    PA_CHECK_THROWS(Pipeline{s});
    s = PipelineSpec{};
    s.width = s.height = 4;
    s.has_layout = true;
    s.layout = Layout::HW;
    PA_CHECK_THROWS(Pipeline{s});
}

int main() { return pyalign_test::run_all(); }

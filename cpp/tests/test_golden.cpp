// Golden cross-architecture check of the C++ core.
//
// Runs every public computation of the core (resize, Pillow-exact resize, letterbox, CSC, normalize/layout, the fused
// pipeline, the YOLO decoders + NMS + box mapping, classification, segmentation, the compare
// accumulator, manifest parsing) on deterministic pseudo-random inputs and records the SHA-256 of
// every output. The inputs come from splitmix64 and exact integer-to-float conversions only (never
// std::*_distribution, whose output is implementation-defined), so they are the same bytes on
// every platform; the outputs must then be the same bytes too.
//
//   test_golden            self-test (ctest): known SHA-256 / splitmix64 vectors, the suite is
//                          deterministic and non-trivial
//   test_golden --print    one line per output: "<sha256> <bytes> <name>", then "<sha256> ALL"
//                          (PYALIGN_SIMD selects the SIMD level of the kernels, see pyalign/simd.hpp)
//   test_golden --levels   the SIMD levels this build and CPU can run, one per line
//
// scripts/test-aarch64.sh builds this program natively and for aarch64 (run under qemu) and
// requires the two --print outputs to be identical; see docs/portability.md.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "check.hpp"
#include "pyalign/compare.hpp"
#include "pyalign/csc.hpp"
#include "pyalign/normalize.hpp"
#include "pyalign/pipeline.hpp"
#include "pyalign/postprocess.hpp"
#include "pyalign/resize.hpp"
#include "pyalign/simd.hpp"
#include "pyalign/tensor_io.hpp"

namespace {

using namespace pyalign;

#include "golden.hpp"         // Rng, bytes(), floats(), image(), Bytes, Golden, view(), dims(), put_geometry()
#include "golden_kernels.hpp"  // golden_kernels(): the SIMD kernels' paths

// ------------------------------------------------------------------------------ resize / letterbox

void golden_resize(Golden& g) {
    Rng r(1);
    const int sizes[][4] = {{37, 23, 64, 48},  {320, 240, 160, 120}, {300, 200, 416, 416}, {1, 1, 7, 5},
                            {97, 61, 13, 11},  {5, 3, 5, 3},         {640, 360, 320, 320}, {33, 1, 9, 1},
                            {1, 40, 1, 17},    {112, 112, 320, 320}, {321, 239, 160, 160}, {16, 16, 8, 8}};
    for (int cn = 1; cn <= 4; ++cn) {
        for (const auto& s : sizes) {
            const int sw = s[0], sh = s[1], dw = s[2], dh = s[3];
            // uint8 linear and nearest, rows padded by a few bytes (strided views)
            std::vector<std::uint8_t> src = bytes(r, static_cast<std::size_t>(sw * cn + 3) * sh);
            std::vector<std::uint8_t> dst(static_cast<std::size_t>(dw) * dh * cn);
            resize_linear(view<const std::uint8_t>(src, sw, sh, cn, 3), view<std::uint8_t>(dst, dw, dh, cn));
            g.add("resize.u8.linear." + dims(sw, sh, dw, dh, cn), dst);
            resize_nearest(view<const std::uint8_t>(src, sw, sh, cn, 3), view<std::uint8_t>(dst, dw, dh, cn));
            g.add("resize.u8.nearest." + dims(sw, sh, dw, dh, cn), dst);
            if (sw * sh > 100000) continue;  // float32: keep the emulated run short
            std::vector<float> fsrc = floats(r, static_cast<std::size_t>(sw) * sh * cn, -300.0f, 300.0f);
            std::vector<float> fdst(static_cast<std::size_t>(dw) * dh * cn);
            resize_linear(view<const float>(fsrc, sw, sh, cn), view<float>(fdst, dw, dh, cn));
            g.add("resize.f32.linear." + dims(sw, sh, dw, dh, cn), fdst);
            resize_nearest(view<const float>(fsrc, sw, sh, cn), view<float>(fdst, dw, dh, cn));
            g.add("resize.f32.nearest." + dims(sw, sh, dw, dh, cn), fdst);
        }
        // many random sizes per channel count, one digest
        Bytes all;
        for (int it = 0; it < 120; ++it) {
            int sw = r.range(1, 90), sh = r.range(1, 70), dw = r.range(1, 110), dh = r.range(1, 80);
            if (it % 9 == 0) sw = 2 * dw, sh = 2 * dh;  // exact 2x: the INTER_AREA path
            const std::vector<std::uint8_t> src = image(r, sw, sh, cn);
            std::vector<std::uint8_t> dst(static_cast<std::size_t>(dw) * dh * cn);
            std::vector<std::uint8_t> s2 = src;
            resize_linear(view<const std::uint8_t>(s2, sw, sh, cn), view<std::uint8_t>(dst, dw, dh, cn));
            all.put_all(dst);
            std::vector<float> fsrc(src.begin(), src.end()), fdst(dst.size());
            resize_linear(view<const float>(fsrc, sw, sh, cn), view<float>(fdst, dw, dh, cn));
            all.put_all(fdst);
        }
        g.add("resize.random.c" + std::to_string(cn), all);
    }
}

// ------------------------------------------------------------------------------ Pillow-exact resize

// Sizes on which every supported Pillow release runs the horizontal pass first (or one pass only),
// so the Python oracle holds for any installed Pillow >= 9.
const int kPilSizes[][4] = {{37, 23, 64, 48}, {320, 240, 160, 120}, {97, 61, 13, 11}, {1, 1, 7, 5},
                            {33, 1, 9, 1},    {1, 40, 5, 40},       {200, 150, 455, 256}, {64, 64, 63, 65}};
// Sizes on which Pillow 13 runs the vertical pass first.
const int kPilVerticalFirst[][4] = {{90, 300, 80, 60}, {40, 120, 100, 33}};

void golden_resize_pil(Golden& g) {
    Rng r(9);
    const PilFilter filters[] = {PilFilter::Nearest, PilFilter::Box,     PilFilter::Bilinear,
                                 PilFilter::Hamming, PilFilter::Bicubic, PilFilter::Lanczos};
    for (int cn : {1, 3, 4}) {
        for (const auto& s : kPilSizes) {
            const int sw = s[0], sh = s[1], dw = s[2], dh = s[3];
            std::vector<std::uint8_t> src = bytes(r, static_cast<std::size_t>(sw) * sh * cn);
            std::vector<std::uint8_t> dst(static_cast<std::size_t>(dw) * dh * cn);
            for (PilFilter f : filters) {
                resize_pil(view<const std::uint8_t>(src, sw, sh, cn), view<std::uint8_t>(dst, dw, dh, cn), f);
                g.add(std::string("resize_pil.") + pil_filter_name(f) + "." + dims(sw, sh, dw, dh, cn), dst);
            }
        }
        for (const auto& s : kPilVerticalFirst) {
            const int sw = s[0], sh = s[1], dw = s[2], dh = s[3];
            std::vector<std::uint8_t> src = bytes(r, static_cast<std::size_t>(sw) * sh * cn);
            std::vector<std::uint8_t> dst(static_cast<std::size_t>(dw) * dh * cn);
            for (PilFilter f : {PilFilter::Bicubic, PilFilter::Lanczos}) {
                resize_pil(view<const std::uint8_t>(src, sw, sh, cn), view<std::uint8_t>(dst, dw, dh, cn), f,
                           PilPassOrder::Pillow13);
                g.add(std::string("resize_pil13.") + pil_filter_name(f) + "." + dims(sw, sh, dw, dh, cn), dst);
            }
        }
    }
    // The tap tables of the filters that call sin and cos (the C library's), many scales.
    Bytes taps;
    for (PilFilter f : {PilFilter::Hamming, PilFilter::Lanczos}) {
        for (int it = 0; it < 60; ++it) {
            const int in = r.range(1, 900);
            const int out = r.range(1, 900);  // (two statements: argument order is unspecified)
            const pyalign::detail::PilTaps t = pyalign::detail::pil_taps(in, out, f);
            taps.put_all(t.start).put_all(t.coef);
        }
    }
    g.add("resize_pil.taps", taps);
}

void golden_letterbox(Golden& g) {
    Rng r(2);
    const int sizes[][4] = {{320, 240, 320, 320}, {480, 640, 320, 320}, {960, 540, 320, 192}, {333, 517, 320, 320},
                            {100, 100, 100, 100}, {7, 300, 64, 64},     {1000, 5, 320, 320},    {641, 481, 416, 256}};
    for (LetterboxStyle style : {LetterboxStyle::Ultralytics, LetterboxStyle::Center}) {
        const std::string sname = style == LetterboxStyle::Ultralytics ? "ultralytics" : "center";
        Bytes geoms;
        for (int it = 0; it < 400; ++it) {
            const int sw = r.range(1, 4000), sh = r.range(1, 4000), dw = r.range(8, 1280), dh = r.range(8, 1280);
            try {
                put_geometry(geoms, letterbox_geometry(sw, sh, dw, dh, style));
            } catch (const Error&) {
                geoms.put(std::int32_t{-1});  // degenerate content size: an error on every platform
            }
        }
        g.add("letterbox.geometry.random." + sname, geoms);
        for (int cn : {1, 3, 4}) {
            for (const auto& s : sizes) {
                const int sw = s[0], sh = s[1], dw = s[2], dh = s[3];
                const std::vector<std::uint8_t> src0 = image(r, sw, sh, cn);
                std::vector<std::uint8_t> src = src0;
                std::vector<std::uint8_t> dst(static_cast<std::size_t>(dw) * dh * cn);
                const std::uint8_t pad[4] = {114, 0, 255, 7};
                LetterboxGeometry geo;
                letterbox(view<const std::uint8_t>(src, sw, sh, cn), view<std::uint8_t>(dst, dw, dh, cn), pad, style, &geo);
                Bytes b;
                put_geometry(b, geo).put_all(dst);
                g.add("letterbox." + sname + "." + dims(sw, sh, dw, dh, cn), b);
            }
        }
    }
}

// ------------------------------------------------------------------------------ CSC

void golden_csc(Golden& g) {
    Rng r(3);
    const PixelFormat yuv[] = {PixelFormat::YUV420SP, PixelFormat::YVU420SP, PixelFormat::YUYV422, PixelFormat::UYVY422};
    const double pulsar2[12] = {1.164, 0, 1.596, -0.871, 1.164, -0.392, -0.813, 0.529, 1.164, 2.017, 0, -1.082};
    double random_m[12];
    for (double& v : random_m) v = r.uniform_d(-2.5, 2.5);
    const int sizes[][2] = {{64, 48}, {2, 2}, {318, 202}, {320, 180}};
    for (PixelFormat f : yuv) {
        for (const auto& s : sizes) {
            const int w = s[0], h = s[1];
            const std::vector<std::uint8_t> frame = bytes(r, frame_bytes(f, w, h));
            const std::string base = std::string("csc.") + pixel_format_name(f) + "." + std::to_string(w) + "x" +
                                     std::to_string(h) + ".";
            for (bool to_rgb : {false, true}) {
                const std::string to = to_rgb ? "RGB." : "BGR.";
                struct Mode {
                    CscMode mode;
                    const double* m;
                    const char* name;
                };
                const Mode modes[] = {{CscMode::OpenCV, nullptr, "opencv"},
                                      {CscMode::FullRange, nullptr, "full_range"},
                                      {CscMode::LimitedRange, nullptr, "limited_range"},
                                      {CscMode::Matrix, pulsar2, "matrix_pulsar2"},
                                      {CscMode::Matrix, random_m, "matrix_random"}};
                for (const Mode& m : modes) {
                    std::vector<std::uint8_t> out(static_cast<std::size_t>(w) * h * 3);
                    yuv_to_rgb(frame.data(), f, w, h, out.data(), to_rgb, m.mode, m.m);
                    g.add(base + to + m.name, out);
                }
            }
        }
    }
    // BGR/RGB -> YUV (OpenCV rules), then back
    for (PixelFormat f : yuv) {
        for (const auto& s : sizes) {
            const int w = s[0], h = s[1];
            const std::vector<std::uint8_t> img = image(r, w, h, 3);
            for (bool src_rgb : {false, true}) {
                std::vector<std::uint8_t> frame(frame_bytes(f, w, h));
                rgb_to_yuv(img.data(), w, h, src_rgb, f, frame.data());
                g.add(std::string("csc.from_") + (src_rgb ? "RGB." : "BGR.") + pixel_format_name(f) + "." +
                          std::to_string(w) + "x" + std::to_string(h),
                      frame);
            }
        }
    }
    // the matrices themselves (float64 constants folded by csc_matrix)
    Bytes mats;
    for (CscMode m : {CscMode::FullRange, CscMode::LimitedRange}) mats.put(csc_matrix(m));
    mats.put(csc_matrix(CscMode::Matrix, random_m));
    g.add("csc.matrices", mats);
}

// ------------------------------------------------------------------------------ normalize / layout

void golden_normalize(Golden& g) {
    Rng r(4);
    const int w = 61, h = 37;
    for (int cn : {1, 3, 4}) {
        const std::vector<std::uint8_t> img = image(r, w, h, cn);
        const std::vector<float> fimg = floats(r, static_cast<std::size_t>(w) * h * cn, -10.0f, 300.0f);
        for (Layout layout : {Layout::HW, Layout::HWC, Layout::CHW, Layout::NHWC, Layout::NCHW}) {
            if (layout == Layout::HW && cn != 1) continue;
            for (int variant = 0; variant < 4; ++variant) {
                NormalizeSpec s;
                s.channels = cn;
                s.layout = layout;
                s.swap_rb = cn >= 3 && (variant & 1);
                s.normalize = variant >= 2;
                s.to_float = variant >= 1;
                if (s.normalize) {
                    for (int c = 0; c < cn; ++c) {
                        s.mean[c] = r.uniform_f(0.0f, 255.0f);
                        s.stdv[c] = r.uniform_f(0.25f, 80.0f);
                    }
                    if (variant == 3) {  // the common ImageNet constants in 0..255 units
                        const float m[4] = {123.675f, 116.28f, 103.53f, 0.5f}, sd[4] = {58.395f, 57.12f, 57.375f, 3.0f};
                        for (int c = 0; c < cn; ++c) s.mean[c] = m[c], s.stdv[c] = sd[c];
                    }
                }
                const std::string name = std::string("normalize.c") + std::to_string(cn) + "." + layout_name(layout) +
                                         ".v" + std::to_string(variant);
                const std::size_t n = normalized_elements(s, h, w);
                if (s.to_float) {
                    std::vector<float> out(n);
                    normalize_u8(img.data(), h, w, s, out.data());
                    g.add(name + ".u8", out);
                    normalize_f32(fimg.data(), h, w, s, out.data());
                    g.add(name + ".f32", out);
                } else {
                    std::vector<std::uint8_t> out(n);
                    normalize_u8(img.data(), h, w, s, out.data());
                    g.add(name + ".u8", out);
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------ fused pipeline

void golden_pipeline(Golden& g) {
    Rng r(5);
    double random_m[12];
    for (double& v : random_m) v = r.uniform_d(-1.5, 1.5);
    struct Case {
        const char* name;
        PipelineSpec s;
    };
    std::vector<Case> cases;
    {
        PipelineSpec s;  // NV12 camera frame -> letterbox -> /255 -> NCHW (a YOLOv8 board input)
        s.input_format = PixelFormat::YUV420SP, s.width = 1280, s.height = 720;
        s.csc = true, s.csc_to_rgb = true;
        s.geometry = GeometryOp::Letterbox, s.dst_width = 640, s.dst_height = 640;
        s.normalize = true;
        for (float& v : s.stdv) v = 255.0f;
        s.has_layout = true, s.layout = Layout::NCHW;
        cases.push_back({"nv12_letterbox_norm_nchw", s});
    }
    {
        PipelineSpec s;  // YUYV -> matrix CSC -> linear resize -> HWC uint8
        s.input_format = PixelFormat::YUYV422, s.width = 640, s.height = 480;
        s.csc = true, s.csc_mode = CscMode::Matrix;
        std::memcpy(s.csc_matrix, random_m, sizeof random_m);
        s.geometry = GeometryOp::Resize, s.dst_width = 320, s.dst_height = 256;
        cases.push_back({"yuyv_matrix_resize_hwc", s});
    }
    {
        PipelineSpec s;  // BGR -> nearest -> swap -> ImageNet normalize -> NCHW
        s.input_format = PixelFormat::BGR, s.width = 500, s.height = 375;
        s.geometry = GeometryOp::Resize, s.dst_width = 224, s.dst_height = 224, s.interpolation = Interpolation::Nearest;
        s.swap_rb = true, s.normalize = true;
        const float m[3] = {123.675f, 116.28f, 103.53f}, sd[3] = {58.395f, 57.12f, 57.375f};
        for (int c = 0; c < 3; ++c) s.mean[c] = m[c], s.stdv[c] = sd[c];
        s.has_layout = true, s.layout = Layout::NCHW;
        cases.push_back({"bgr_nearest_swap_norm_nchw", s});
    }
    {
        PipelineSpec s;  // BGR -> center letterbox, per-channel pad -> NHWC uint8
        s.input_format = PixelFormat::BGR, s.width = 333, s.height = 517;
        s.geometry = GeometryOp::Letterbox, s.dst_width = 320, s.dst_height = 320;
        s.letterbox_style = LetterboxStyle::Center;
        s.pad_value[0] = 1.4, s.pad_value[1] = 2.5, s.pad_value[2] = 254.6;
        s.has_layout = true, s.layout = Layout::NHWC;
        cases.push_back({"bgr_center_letterbox_nhwc", s});
    }
    {
        PipelineSpec s;  // NV21 -> full range -> exact 2x downscale -> normalize -> NHWC
        s.input_format = PixelFormat::YVU420SP, s.width = 640, s.height = 480;
        s.csc = true, s.csc_mode = CscMode::FullRange;
        s.geometry = GeometryOp::Resize, s.dst_width = 320, s.dst_height = 240;
        s.normalize = true, s.mean[0] = 0.5f, s.mean[1] = 1.5f, s.mean[2] = 127.5f;
        s.stdv[0] = 3.0f, s.stdv[1] = 128.0f, s.stdv[2] = 0.1f;
        s.has_layout = true, s.layout = Layout::NHWC;
        cases.push_back({"nv21_fullrange_area2_norm_nhwc", s});
    }
    {
        PipelineSpec s;  // UYVY -> limited range -> center letterbox -> CHW float
        s.input_format = PixelFormat::UYVY422, s.width = 322, s.height = 180;
        s.csc = true, s.csc_to_rgb = true, s.csc_mode = CscMode::LimitedRange;
        s.geometry = GeometryOp::Letterbox, s.dst_width = 256, s.dst_height = 256;
        s.letterbox_style = LetterboxStyle::Center;
        s.normalize = true, s.mean[1] = 100.0f, s.stdv[2] = 7.0f;
        s.has_layout = true, s.layout = Layout::CHW;
        cases.push_back({"uyvy_limited_center_chw", s});
    }
    {
        PipelineSpec s;  // GRAY -> letterbox -> normalize -> NCHW
        s.input_format = PixelFormat::GRAY, s.width = 97, s.height = 61;
        s.geometry = GeometryOp::Letterbox, s.dst_width = 64, s.dst_height = 64;
        s.normalize = true, s.mean[0] = 33.0f, s.stdv[0] = 0.7f;
        s.has_layout = true, s.layout = Layout::NCHW;
        cases.push_back({"gray_letterbox_norm_nchw", s});
    }
    {
        PipelineSpec s;  // RGB, no geometry -> swap -> HWC uint8
        s.input_format = PixelFormat::RGB, s.width = 64, s.height = 48;
        s.swap_rb = true;
        cases.push_back({"rgb_swap_hwc", s});
    }
    {
        PipelineSpec s;  // NV12 -> opencv BGR -> upscale -> HWC uint8
        s.input_format = PixelFormat::YUV420SP, s.width = 100, s.height = 62;
        s.csc = true;
        s.geometry = GeometryOp::Resize, s.dst_width = 333, s.dst_height = 177;
        cases.push_back({"nv12_upscale_hwc", s});
    }
    for (const Case& c : cases) {
        const Pipeline p(c.s);
        std::vector<std::uint8_t> raw = bytes(r, p.input_bytes());
        if (!is_yuv(c.s.input_format)) raw = image(r, c.s.width, c.s.height, decoded_channels(c.s.input_format));
        std::vector<std::uint8_t> out(p.output_bytes());
        p.run(raw.data(), out.data());
        Bytes b;
        put_geometry(b, p.geometry().g).put(static_cast<int>(p.geometry().op));
        for (std::size_t d : p.output_shape()) b.put(static_cast<std::uint64_t>(d));
        g.add(std::string("pipeline.") + c.name + ".geometry", b);
        g.add(std::string("pipeline.") + c.name + ".tensor", out);
    }
}

// ------------------------------------------------------------------------------ postprocess

FloatTensor tensor(const std::vector<float>& data, std::vector<std::int64_t> shape) {
    FloatTensor t;
    t.data = data.data();
    t.shape = std::move(shape);
    return t;
}

void add_candidates(Golden& g, const std::string& name, const Candidates& c, const BoxMapping& map) {
    Bytes b;
    b.put_all(c.boxes).put_all(c.scores).put_all(c.classes);
    b.put(c.stats.anchors).put(c.stats.nonfinite_scores).put(c.stats.nonfinite_boxes);
    b.put(c.stats.candidates).put(c.stats.after_topk);
    g.add(name + ".candidates", b);
    g.add(name + ".detections.aware", detections(c, 0.45, false, 300, &map));
    g.add(name + ".detections.agnostic", detections(c, 0.6, true, 100, &map));
    g.add(name + ".detections.unmapped", detections(c, 0.3, false, -1, nullptr));
}

void golden_postprocess(Golden& g) {
    Rng r(6);
    const int in_w = 320, in_h = 256;
    const std::vector<int> strides = {8, 16, 32};
    std::int64_t A = 0;
    std::vector<std::pair<int, int>> grids;
    for (int s : strides) {
        grids.push_back({in_h / s, in_w / s});
        A += static_cast<std::int64_t>(in_h / s) * (in_w / s);
    }
    const LetterboxGeometry geo = letterbox_geometry(1280, 720, in_w, in_h, LetterboxStyle::Ultralytics);
    BoxMapping map;
    map.scale_x = geo.scale_x, map.scale_y = geo.scale_y;
    map.pad_left = geo.pad_left, map.pad_top = geo.pad_top;
    map.src_width = geo.src_width, map.src_height = geo.src_height;
    DecodeOptions o;
    o.conf_threshold = 0.25;
    o.input_width = in_w, o.input_height = in_h;
    const int nc = 80;

    {  // YOLOv8 DFL, one concatenated [1, 64+nc, A] output of logits
        const std::int64_t C = 4 * 16 + nc;
        std::vector<float> out(static_cast<std::size_t>(C * A));
        for (std::int64_t ch = 0; ch < C; ++ch)
            for (std::int64_t a = 0; a < A; ++a)
                out[static_cast<std::size_t>(ch * A + a)] = ch < 64 ? r.uniform_f(-6.0f, 6.0f) : r.uniform_f(-12.0f, 0.5f);
        add_candidates(g, "yolov8.dfl.concat",
                       decode_yolov8({tensor(out, {1, C, A})}, nc, 16, strides, o, Activation::Logits), map);
        DecodeOptions top = o;
        top.pre_nms_topk = 100;
        add_candidates(g, "yolov8.dfl.concat.topk",
                       decode_yolov8({tensor(out, {1, C, A})}, nc, 16, strides, top, Activation::Logits), map);
    }
    {  // YOLOv8 DFL, per-stride [1, H, W, 64+nc] logits (NHWC heads)
        std::vector<std::vector<float>> heads;
        std::vector<FloatTensor> ts;
        for (const auto& gr : grids) {
            heads.push_back(floats(r, static_cast<std::size_t>(gr.first) * gr.second * (64 + nc), -7.0f, 2.0f));
        }
        for (std::size_t l = 0; l < grids.size(); ++l)
            ts.push_back(tensor(heads[l], {1, grids[l].first, grids[l].second, 64 + nc}));
        add_candidates(g, "yolov8.dfl.heads", decode_yolov8(ts, nc, 16, strides, o), map);
    }
    {  // YOLOv8 reg_max 0: [1, A, 4+nc] (transposed) boxes in pixels, probabilities
        const std::int64_t C = 4 + nc;
        std::vector<float> out(static_cast<std::size_t>(C * A));
        for (std::int64_t a = 0; a < A; ++a)
            for (std::int64_t ch = 0; ch < C; ++ch) {
                float v;
                if (ch < 2) v = r.uniform_f(0.0f, static_cast<float>(ch == 0 ? in_w : in_h));
                else if (ch < 4) v = r.uniform_f(2.0f, 200.0f);
                else {
                    const float p = r.unit_f();
                    v = p * r.unit_f();
                }
                out[static_cast<std::size_t>(a * C + ch)] = v;
            }
        add_candidates(g, "yolov8.nodfl.transposed",
                       decode_yolov8({tensor(out, {1, A, C})}, nc, 0, strides, o, Activation::Probabilities), map);
    }
    const std::vector<std::vector<double>> anchors = {{10, 13, 16, 30, 33, 23}, {30, 61, 62, 45, 59, 119},
                                                      {116, 90, 156, 198, 373, 326}};
    {  // YOLOv5 per-stride [1, 3*(5+nc), H, W] logits
        std::vector<std::vector<float>> heads;
        std::vector<FloatTensor> ts;
        for (const auto& gr : grids) {
            std::vector<float> h(static_cast<std::size_t>(3 * (5 + nc)) * gr.first * gr.second);
            for (std::size_t i = 0; i < h.size(); ++i) h[i] = r.uniform_f(-6.0f, 3.0f);
            heads.push_back(std::move(h));
        }
        for (std::size_t l = 0; l < grids.size(); ++l)
            ts.push_back(tensor(heads[l], {1, 3 * (5 + nc), grids[l].first, grids[l].second}));
        add_candidates(g, "yolov5.logits", decode_yolov5(ts, nc, anchors, strides, false, o), map);
        // the same data as activated 5-D heads [1, 3, H, W, 5+nc] (values reinterpreted)
        std::vector<std::vector<float>> act;
        ts.clear();
        for (const auto& h : heads) {
            std::vector<float> a(h.size());
            for (std::size_t i = 0; i < h.size(); ++i) a[i] = (h[i] + 6.0f) / 9.0f;
            act.push_back(std::move(a));
        }
        for (std::size_t l = 0; l < grids.size(); ++l)
            ts.push_back(tensor(act[l], {1, 3, grids[l].first, grids[l].second, 5 + nc}));
        add_candidates(g, "yolov5.activated.5d", decode_yolov5(ts, nc, anchors, strides, true, o), map);
    }
    {  // YOLOX [1, A, 5+nc]: raw regression, activated obj/cls
        const std::int64_t C = 5 + nc;
        std::vector<float> out(static_cast<std::size_t>(C * A));
        for (std::int64_t a = 0; a < A; ++a)
            for (std::int64_t ch = 0; ch < C; ++ch)
                out[static_cast<std::size_t>(a * C + ch)] =
                    ch < 2 ? r.uniform_f(-1.0f, 2.0f) : ch < 4 ? r.uniform_f(-2.0f, 3.0f) : r.unit_f();
        add_candidates(g, "yolox", decode_yolox({tensor(out, {1, A, C})}, nc, strides, o), map);
    }
    {  // NMS directly: clustered boxes, tied scores, 3 classes
        const int n = 600;
        std::vector<float> boxes(4 * n), scores(n);
        std::vector<std::int64_t> classes(n);
        for (int i = 0; i < n; ++i) {
            // one draw per statement: the order of evaluation of a + b's operands is unspecified
            const float gx = 20.0f * static_cast<float>(r.below(12));
            const float cx = gx + r.uniform_f(-6.0f, 6.0f);
            const float gy = 20.0f * static_cast<float>(r.below(8));
            const float cy = gy + r.uniform_f(-6.0f, 6.0f);
            const float w = r.uniform_f(4.0f, 40.0f), h = r.uniform_f(4.0f, 40.0f);
            boxes[4 * i] = cx - w / 2, boxes[4 * i + 1] = cy - h / 2, boxes[4 * i + 2] = cx + w / 2, boxes[4 * i + 3] = cy + h / 2;
            scores[i] = static_cast<float>(r.below(64)) / 64.0f;
            classes[i] = r.below(3);
        }
        Bytes b;
        for (double thr : {0.3, 0.5, 0.7}) {
            b.put_all(nms(boxes.data(), scores.data(), n, thr, classes.data(), -1));
            b.put_all(nms(boxes.data(), scores.data(), n, thr, nullptr, 50));
        }
        g.add("nms.direct", b);
        std::vector<float> mapped = boxes;
        map_boxes(mapped.data(), n, map);
        g.add("map_boxes", mapped);
        Bytes gs;
        for (const auto& p : grid_shapes(A, strides, in_w, in_h)) gs.put(p.first).put(p.second);
        for (const auto& p : grid_shapes(8400, strides)) gs.put(p.first).put(p.second);
        g.add("grid_shapes", gs);
    }
    {  // classification, softmax, topk
        std::vector<float> logits = floats(r, 1000, -20.0f, 20.0f);
        logits[17] = std::numeric_limits<float>::quiet_NaN();
        logits[500] = logits[501];  // a tie
        std::int64_t nonfinite = 0;
        g.add("classify.softmax", classify(logits.data(), 1000, 5, true, &nonfinite));
        g.add("classify.raw", classify(logits.data(), 1000, 10, false));
        std::vector<float> probs(logits.size());
        softmax(logits.data(), 1000, probs.data());
        g.add("softmax", probs);
        std::vector<float> q(256);
        for (float& v : q) v = static_cast<float>(r.below(16));
        g.add("topk.ties", topk(q.data(), 256, 40));
        g.add("classify.nonfinite", &nonfinite, sizeof nonfinite);
    }
    {  // segmentation argmax, both layouts, a few NaN
        const int C = 21, H = 60, W = 80;
        std::vector<float> logits = floats(r, static_cast<std::size_t>(C) * H * W, -5.0f, 5.0f);
        for (int i = 0; i < 50; ++i) logits[static_cast<std::size_t>(r.below(C * H * W))] = std::numeric_limits<float>::quiet_NaN();
        for (bool nhwc : {false, true}) {
            std::vector<std::int32_t> mask(static_cast<std::size_t>(H) * W);
            const std::int64_t nan_px = segment_argmax(logits.data(), C, H, W, nhwc, mask.data());
            Bytes b;
            b.put(nan_px).put_all(mask);
            g.add(nhwc ? "segment.nhwc" : "segment.nchw", b);
        }
    }
}

// ------------------------------------------------------------------------------ compare accumulator

void put_stats(Bytes& b, const CompareAccumulator& acc) {
    const CompareStats& s = acc.stats();
    b.put(s.count).put(s.violations).put(s.finite_pairs).put(s.sum_abs_diff).put(s.sum_sq_diff);
    b.put(s.sum_expected_sq).put(s.sum_actual_sq).put(s.sum_product).put(static_cast<int>(s.has_max));
    b.put(s.max_abs_diff).put(s.max_index).put(s.expected_at_max).put(s.actual_at_max);
    b.put(s.max_rel_num).put(s.max_rel_den).put(s.nan_expected).put(s.nan_actual).put(s.inf_expected);
    b.put(s.inf_actual).put(s.nonfinite_equal).put(s.nonfinite_mismatch).put(s.histogram);
    for (const Violation& v : s.first_violations) b.put(v.index).put(v.expected).put(v.actual).put(v.diff);
    const CompareSummary m = acc.summary();
    b.put(m.mean_abs_diff).put(m.rmse).put(m.max_rel_diff).put(m.cosine).put(m.snr_db);
    b.put(m.min_atol_to_pass).put(m.violation_pct);
}

template <typename T>
void feed(Golden& g, const std::string& name, DType dt, const std::vector<T>& e, const std::vector<T>& a) {
    const CompareOptions rules[] = {{RuleKind::exact, 0, 0, 10}, {RuleKind::atol, 1e-3, 1e-2, 5}, {RuleKind::none, 0, 0, 0}};
    Bytes b;
    for (const CompareOptions& o : rules) {
        CompareAccumulator one(dt, o);
        one.update(e.data(), a.data(), e.size());
        put_stats(b, one);
        // chunks of whole blocks, then the rest: the same bits as one call
        CompareAccumulator chunked(dt, o);
        std::size_t i = 0;
        while (i < e.size()) {
            const std::size_t n = std::min(e.size() - i, 3 * kCompareBlock);
            chunked.update(e.data() + i, a.data() + i, n);
            i += n;
        }
        put_stats(b, chunked);
    }
    g.add("compare." + name, b);
}

void golden_compare(Golden& g) {
    Rng r(7);
    const std::size_t n = 20000;
    {
        std::vector<float> e = floats(r, n, -5.0f, 5.0f), a(n);
        for (std::size_t i = 0; i < n; ++i) {
            const int k = r.below(10);
            a[i] = k < 5 ? e[i] : e[i] + r.uniform_f(-0.02f, 0.02f);
        }
        const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
        feed(g, "f32.finite", DType::f32, e, a);
        e[100] = nan, a[100] = nan, e[5000] = inf, a[5000] = inf, a[7000] = nan, e[9000] = -inf, a[12000] = inf;
        e[15000] = 0.0f, a[15000] = 1e-30f;
        feed(g, "f32.nonfinite", DType::f32, e, a);
    }
    {
        std::vector<std::uint8_t> e = bytes(r, n), a = e;
        for (int i = 0; i < 300; ++i) a[static_cast<std::size_t>(r.below(static_cast<int>(n)))] ^= 1;
        feed(g, "u8", DType::u8, e, a);
    }
    {
        std::vector<std::int64_t> e(n), a(n);
        for (std::size_t i = 0; i < n; ++i) {
            e[i] = static_cast<std::int64_t>(r.next());
            a[i] = r.below(4) == 0 ? static_cast<std::int64_t>(r.next()) : e[i];
        }
        feed(g, "i64", DType::i64, e, a);
    }
    {
        std::vector<std::uint16_t> e(n), a(n);
        for (std::size_t i = 0; i < n; ++i) {
            e[i] = static_cast<std::uint16_t>(r.next() >> 48);
            a[i] = r.below(3) == 0 ? static_cast<std::uint16_t>(e[i] ^ 1u) : e[i];
        }
        feed(g, "f16", DType::f16, e, a);
        Bytes h;
        for (std::uint32_t bits = 0; bits < 65536; ++bits) h.put(half_to_double(static_cast<std::uint16_t>(bits)));
        g.add("half_to_double.all", h);
    }
    {
        std::vector<double> e(n), a(n);
        for (std::size_t i = 0; i < n; ++i) {
            e[i] = r.uniform_d(-1e6, 1e6);
            a[i] = e[i] * (1.0 + r.uniform_d(-1e-6, 1e-6));
        }
        feed(g, "f64", DType::f64, e, a);
    }
}

// ------------------------------------------------------------------------------ manifest parsing

void golden_manifest(Golden& g) {
    // Non-ASCII and escaped names, exponents: exercises the JSON reader's char handling (char is
    // signed on x86-64 and unsigned on aarch64).
    const std::string json =
        "{\"format\": \"pyalign.capture\", \"version\": 1, \"case\": \"caf\\u00e9 \xe2\x9c\x93 \\ud83d\\ude00\",\n"
        " \"tensors\": [\n"
        "  {\"stage\": \"raw_input\", \"name\": \"image\\t\xc3\xa9\", \"file\": \"raw_input.bin\", \"dtype\": \"uint8\",\n"
        "   \"shape\": [480, 640, 3], \"layout\": \"HWC\", \"color\": \"BGR\", \"extra\": [1.5e3, -2E-2, true, null]},\n"
        "  {\"stage\": \"model_output\", \"name\": \"out0\", \"file\": \"model_output.bin\", \"dtype\": \"float16\",\n"
        "   \"shape\": [1, 84, 8400], \"sha256\": \"" + std::string(64, 'a') + "\"}]}";
    const Manifest m = parse_manifest(json, "/tmp/golden-case");
    Bytes b;
    b.put_str(m.case_name).put(m.version);
    for (const TensorInfo& t : m.tensors) {
        b.put_str(t.stage).put_str(t.name).put_str(t.file).put(static_cast<int>(t.dtype)).put_all(t.shape);
        b.put_str(t.layout).put_str(t.color).put_str(t.kind).put_str(t.sha256).put(static_cast<std::uint64_t>(t.nbytes()));
    }
    g.add("manifest.parse", b);
}

Golden run_suite() {
    Golden g;
    golden_resize(g);
    golden_resize_pil(g);
    golden_letterbox(g);
    golden_csc(g);
    golden_normalize(g);
    golden_pipeline(g);
    golden_postprocess(g);
    golden_compare(g);
    golden_manifest(g);
    golden_kernels(g);
    return g;
}

// ------------------------------------------------------------------------------ self-test

PA_TEST(sha256_and_splitmix64_known_vectors) {
    PA_CHECK(sha256_hex("abc", 3) == std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    PA_CHECK(sha256_hex("", 0) == std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    Rng r(0);
    PA_CHECK_EQ(r.next(), 0xE220A8397B1DCDAFull);
    PA_CHECK_EQ(r.next(), 0x6E789E6AA1B965F4ull);
    PA_CHECK_EQ(r.next(), 0x06C45D188009454Full);
    Rng u(42);
    for (int i = 0; i < 1000; ++i) {
        const float f = u.unit_f();
        PA_CHECK(f >= 0.0f && f < 1.0f);
        const int k = u.range(-3, 3);
        PA_CHECK(k >= -3 && k <= 3);
    }
}

PA_TEST(suite_is_deterministic_and_non_trivial) {
    const Golden a = run_suite();
    // the floating-point heavy parts once more: the same bits within one process
    Golden b1, b2;
    golden_postprocess(b1);
    golden_compare(b1);
    golden_postprocess(b2);
    golden_compare(b2);
    PA_CHECK(b1.overall() == b2.overall());
    PA_CHECK(a.entries().size() > 400);
    std::set<std::string> names;
    const std::string empty = sha256_hex("", 0);
    for (const Entry& e : a.entries()) {
        PA_CHECK(names.insert(e.name).second);  // unique names
        if (e.size == 0 || e.sha == empty) pyalign_test::fail(__FILE__, __LINE__, "empty output: " + e.name);
    }
    // The postprocessing cases must produce real detections, not vacuous empty lists.
    for (const Entry& e : a.entries())
        if (e.name.find(".detections.") != std::string::npos) PA_CHECK(e.size >= 6 * sizeof(float) * 5);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "--print") == 0) {
        Golden g;
        try {
            g = run_suite();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "test_golden: %s\n", e.what());
            return 1;
        }
        for (const Entry& e : g.entries()) std::printf("%s %zu %s\n", e.sha.c_str(), e.size, e.name.c_str());
        std::printf("%s ALL\n", g.overall().c_str());
        return 0;
    }
    if (argc == 2 && std::strcmp(argv[1], "--levels") == 0) {  // the SIMD levels this build and CPU can run
        for (SimdLevel l : simd_levels()) std::printf("%s\n", simd_level_name(l));
        return 0;
    }
    if (argc != 1) {
        std::fprintf(stderr, "usage: %s [--print | --levels]\n", argv[0]);
        return 2;
    }
    return pyalign_test::run_all();
}

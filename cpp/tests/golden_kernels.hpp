// Golden outputs of the paths the SIMD kernels take (test_golden.cpp): rows long enough for every
// kernel block, exact-2x and compacted resizes, per-pixel chroma, the normalisation kernels and the
// fused pipeline at camera-like sizes. Included inside test_golden.cpp's anonymous namespace after
// golden.hpp. scripts/test-aarch64.sh compares these digests across builds, SIMD levels and aarch64;
// tests/test_aarch64.py ties them to cv2 / numpy.
#pragma once

void golden_kernels(Golden& g) {
    Rng r(7);
    const int resize_sizes[][4] = {{1921, 31, 641, 23}, {1282, 40, 641, 20}, {640, 30, 1283, 61}, {1000, 30, 333, 10}};
    for (int cn = 1; cn <= 4; ++cn) {
        for (const auto& s : resize_sizes) {
            std::vector<std::uint8_t> src = bytes(r, static_cast<std::size_t>(s[0]) * s[1] * cn);
            std::vector<std::uint8_t> dst(static_cast<std::size_t>(s[2]) * s[3] * cn);
            resize_linear(view<const std::uint8_t>(src, s[0], s[1], cn), view<std::uint8_t>(dst, s[2], s[3], cn));
            g.add("kernels.resize." + dims(s[0], s[1], s[2], s[3], cn), dst);
        }
    }
    const PixelFormat yuv[] = {PixelFormat::YUV420SP, PixelFormat::YVU420SP, PixelFormat::YUYV422, PixelFormat::UYVY422};
    for (PixelFormat f : yuv) {
        const int w = 1282, h = 6;
        const std::vector<std::uint8_t> frame = bytes(r, frame_bytes(f, w, h));
        for (bool to_rgb : {false, true}) {
            std::vector<std::uint8_t> out(static_cast<std::size_t>(w) * h * 3);
            yuv_to_rgb(frame.data(), f, w, h, out.data(), to_rgb);
            g.add(std::string("kernels.csc.") + pixel_format_name(f) + ".1282x6." + (to_rgb ? "RGB" : "BGR"), out);
        }
        // the fused pipeline's compacted rows: any columns of one row (here row 3 of 1282x4)
        const std::vector<std::uint8_t> small = bytes(r, frame_bytes(f, w, 4));
        std::vector<std::int32_t> cols(700);
        for (auto& c : cols) c = r.below(w);
        std::vector<std::uint8_t> out(cols.size() * 3);
        YuvRowConverter(f, w, 4, false).convert_columns(small.data(), 3, cols.data(), static_cast<int>(cols.size()), out.data());
        g.add(std::string("kernels.csc_columns.") + pixel_format_name(f), out);
    }
    {
        struct Norm {
            const char* name;
            int cn;
            Layout layout;
            bool swap;
            float mean[4], stdv[4];
        };
        const Norm cases[] = {
            {"c3.NCHW.imagenet", 3, Layout::NCHW, true, {123.675f, 116.28f, 103.53f, 0}, {58.395f, 57.12f, 57.375f, 1}},
            {"c3.NCHW.div255", 3, Layout::NCHW, false, {0, 0, 0, 0}, {255, 255, 255, 1}},
            {"c1.HW.gray", 1, Layout::HW, false, {33, 0, 0, 0}, {0.7f, 1, 1, 1}},
            {"c4.HWC.mixed", 4, Layout::HWC, true, {1.5f, -7, 200, 0.25f}, {3, 0.1f, 1e-3f, 77}},
            {"c3.HWC.refused", 3, Layout::HWC, false, {3e38f, -3e38f, 0, 0}, {1e-10f, 1e-10f, 1e30f, 1}},
        };
        for (const Norm& c : cases) {
            const int w = 701, h = 3;
            const std::vector<std::uint8_t> img = image(r, w, h, c.cn);
            NormalizeSpec s;
            s.channels = c.cn, s.layout = c.layout, s.swap_rb = c.swap, s.normalize = true, s.to_float = true;
            for (int k = 0; k < 4; ++k) s.mean[k] = c.mean[k], s.stdv[k] = c.stdv[k];
            std::vector<float> out(static_cast<std::size_t>(w) * h * c.cn);
            normalize_u8(img.data(), h, w, s, out.data());
            g.add(std::string("kernels.normalize.") + c.name, out);
        }
    }
    struct Case {
        const char* name;
        PixelFormat f;
        int w, h;
        GeometryOp op;
        int dw, dh;
        bool imagenet;
    };
    const Case cases[] = {
        {"nv12_960x540_letterbox_320", PixelFormat::YUV420SP, 960, 540, GeometryOp::Letterbox, 320, 320, false},
        {"nv12_960x540_resize_224", PixelFormat::YUV420SP, 960, 540, GeometryOp::Resize, 224, 224, true},
        {"nv21_640x360_letterbox_320", PixelFormat::YVU420SP, 640, 360, GeometryOp::Letterbox, 320, 320, false},
        {"yuyv_962x540_resize_320", PixelFormat::YUYV422, 962, 540, GeometryOp::Resize, 320, 320, true},
        {"bgr_960x540_resize_224", PixelFormat::BGR, 960, 540, GeometryOp::Resize, 224, 224, true},
        {"bgr_640x360_letterbox_320", PixelFormat::BGR, 640, 360, GeometryOp::Letterbox, 320, 320, false},
    };
    for (const Case& c : cases) {
        PipelineSpec s;
        s.input_format = c.f, s.width = c.w, s.height = c.h;
        s.csc = is_yuv(c.f), s.csc_to_rgb = is_yuv(c.f);
        s.swap_rb = !is_yuv(c.f);
        s.geometry = c.op, s.dst_width = c.dw, s.dst_height = c.dh;
        s.normalize = true;
        const float m[3] = {123.675f, 116.28f, 103.53f}, sd[3] = {58.395f, 57.12f, 57.375f};
        for (int k = 0; k < 3; ++k) s.mean[k] = c.imagenet ? m[k] : 0.0f, s.stdv[k] = c.imagenet ? sd[k] : 255.0f;
        s.has_layout = true, s.layout = Layout::NCHW;
        const Pipeline p(s);
        const std::vector<std::uint8_t> raw = bytes(r, p.input_bytes());
        std::vector<float> out(p.output_elements());
        p.run(raw.data(), out.data());
        g.add(std::string("kernels.pipeline.") + c.name, out);
    }
}

// Speed paths of the streaming resize and the CSC, against independent models: column compaction
// (LinearResizeU8::compact_columns), the identity-column / pure-selection paths, and
// YuvRowConverter::convert_columns. Every source row is an exactly-sized heap buffer so the
// sanitizer build catches a read past the compact row.
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "check.hpp"
#include "pyalign/csc.hpp"
#include "pyalign/resize.hpp"
#include "resize_model.hpp"

namespace {

uint32_t g_seed = 2024;
uint32_t rnd() {
    g_seed = g_seed * 1664525u + 1013904223u;
    return g_seed >> 8;
}

// Resize src through LinearResizeU8, compacting the columns first (when it does), each source row
// handed over as a fresh exactly-sized compact buffer. Returns the destination image; `compacted`
// receives the number of columns kept (0 = no compaction).
std::vector<uint8_t> compact_resize(const std::vector<uint8_t>& src, int sw, int sh, int dw, int dh, int cn,
                                    std::size_t* compacted, std::vector<int>* fetched) {
    pyalign::LinearResizeU8 rz(sw, sh, dw, dh, cn);
    const std::vector<int32_t> cols = rz.compact_columns();
    *compacted = cols.size();
    std::vector<uint8_t> row;
    std::unique_ptr<uint8_t[]> exact;  // a fresh, exactly-sized copy of each row (for ASan)
    std::vector<uint8_t> dst(static_cast<std::size_t>(dw) * dh * cn);
    auto get = [&](int y) -> const uint8_t* {
        fetched->push_back(y);
        const uint8_t* s = src.data() + static_cast<std::size_t>(y) * sw * cn;
        row.clear();
        if (cols.empty()) {
            row.assign(s, s + static_cast<std::size_t>(sw) * cn);
        } else {
            for (int32_t x : cols) row.insert(row.end(), s + static_cast<std::size_t>(x) * cn, s + (x + 1) * cn);
        }
        PA_CHECK_EQ(row.size(), rz.source_row_bytes());
        exact.reset(new uint8_t[row.size()]);
        std::memcpy(exact.get(), row.data(), row.size());
        return exact.get();
    };
    rz.run(get, [&](int dy, const uint8_t* r) {
        std::memcpy(dst.data() + static_cast<std::size_t>(dy) * dw * cn, r, static_cast<std::size_t>(dw) * cn);
    });
    return dst;
}

}  // namespace

PA_TEST(compact_columns_random_downscales_match_model) {
    int compacted_cases = 0;
    for (int it = 0; it < 500; ++it) {
        const int cn = 1 + it % 4;
        int sw = 2 + static_cast<int>(rnd() % 60), sh = 1 + static_cast<int>(rnd() % 30);
        int dw = 1 + static_cast<int>(rnd() % sw), dh = 1 + static_cast<int>(rnd() % 40);
        if (it % 5 == 0) {  // odd integer ratios: every weight (2048, 0), the pure-selection path
            const int k = 1 + 2 * static_cast<int>(1 + rnd() % 3);
            dw = 1 + static_cast<int>(rnd() % 12);
            dh = 1 + static_cast<int>(rnd() % 12);
            sw = dw * k;
            sh = dh * (it % 10 == 0 ? k : 1 + static_cast<int>(rnd() % 3));
        }
        if (sw == 2 * dw && sh == 2 * dh) continue;  // exact 2x never compacts (its own test)
        if (sw == dw && sh == dh) continue;          // no resize
        std::vector<uint8_t> src(static_cast<std::size_t>(sw) * sh * cn);
        for (auto& v : src) v = static_cast<uint8_t>(rnd());
        std::size_t kept = 0;
        std::vector<int> fetched;
        const auto dst = compact_resize(src, sw, sh, dw, dh, cn, &kept, &fetched);
        PA_CHECK_EQ(resize_model::mismatches(src, dst, sw, sh, dw, dh, cn), 0);
        for (std::size_t i = 1; i < fetched.size(); ++i) PA_CHECK(fetched[i] > fetched[i - 1]);
        compacted_cases += kept > 0;
    }
    PA_CHECK(compacted_cases > 200);
}

PA_TEST(compaction_keeps_exactly_the_weighted_columns) {
    // 1920 -> 640 (ratio 3): columns 3k+1 only; 1920 -> 512 (3.75): two taps per pixel.
    pyalign::LinearResizeU8 a(1920, 4, 640, 4, 3);
    const auto ca = a.compact_columns();
    PA_CHECK_EQ(ca.size(), static_cast<std::size_t>(640));
    for (std::size_t i = 0; i < ca.size(); ++i) PA_CHECK_EQ(ca[i], static_cast<int32_t>(3 * i + 1));
    PA_CHECK_EQ(a.source_row_bytes(), static_cast<std::size_t>(640 * 3));
    PA_CHECK(a.compact_columns().empty());  // a second call changes nothing
    pyalign::LinearResizeU8 b(1920, 4, 512, 4, 1);
    const auto cb = b.compact_columns();
    PA_CHECK(cb.size() > 512 && cb.size() <= 1024);
    // upscales and exact 2x read every column
    pyalign::LinearResizeU8 c(100, 10, 300, 30, 3);
    PA_CHECK(c.compact_columns().empty());
    pyalign::LinearResizeU8 d(100, 10, 50, 5, 3);
    PA_CHECK(d.compact_columns().empty());
}

PA_TEST(identity_columns_without_compaction_match_model) {
    // Same width, other height: the horizontal pass is the identity (weights (2048, 0)).
    for (int it = 0; it < 120; ++it) {
        const int cn = 1 + it % 4;
        const int w = 1 + static_cast<int>(rnd() % 40), sh = 1 + static_cast<int>(rnd() % 40);
        const int dh = it % 3 == 0 ? (sh % 3 == 0 ? sh / 3 : 1 + static_cast<int>(rnd() % 40))
                                   : 1 + static_cast<int>(rnd() % 40);
        if (dh == sh) continue;
        std::vector<uint8_t> src(static_cast<std::size_t>(w) * sh * cn);
        for (auto& v : src) v = static_cast<uint8_t>(rnd());
        std::vector<uint8_t> dst(static_cast<std::size_t>(w) * dh * cn);
        pyalign::resize_linear(pyalign::ImageView<const uint8_t>{src.data(), sh, w, cn, static_cast<std::ptrdiff_t>(w) * cn},
                               pyalign::ImageView<uint8_t>{dst.data(), dh, w, cn, static_cast<std::ptrdiff_t>(w) * cn});
        PA_CHECK_EQ(resize_model::mismatches(src, dst, w, sh, w, dh, cn), 0);
    }
}

PA_TEST(unit_column_selection_without_compaction_matches_model) {
    // resize_linear (no compaction): odd integer ratios on both axes are a pure pixel selection,
    // odd integer columns with other rows a gather plus the vertical pass.
    for (int it = 0; it < 160; ++it) {
        const int cn = 1 + it % 4;
        const int k = 3 + 2 * static_cast<int>(rnd() % 3);
        const int dw = 1 + static_cast<int>(rnd() % 30), dh = 1 + static_cast<int>(rnd() % 20);
        const int sw = dw * k, sh = it % 2 == 0 ? dh * k : 1 + static_cast<int>(rnd() % 50);
        std::vector<uint8_t> src(static_cast<std::size_t>(sw) * sh * cn);
        for (auto& v : src) v = static_cast<uint8_t>(rnd());
        std::vector<uint8_t> dst(static_cast<std::size_t>(dw) * dh * cn);
        pyalign::resize_linear(
            pyalign::ImageView<const uint8_t>{src.data(), sh, sw, cn, static_cast<std::ptrdiff_t>(sw) * cn},
            pyalign::ImageView<uint8_t>{dst.data(), dh, dw, cn, static_cast<std::ptrdiff_t>(dw) * cn});
        PA_CHECK_EQ(resize_model::mismatches(src, dst, sw, sh, dw, dh, cn), 0);
    }
}

PA_TEST(convert_columns_equals_convert_row) {
    using pyalign::PixelFormat;
    const PixelFormat fmts[] = {PixelFormat::YUV420SP, PixelFormat::YVU420SP, PixelFormat::YUYV422, PixelFormat::UYVY422};
    const pyalign::CscMode modes[] = {pyalign::CscMode::OpenCV, pyalign::CscMode::FullRange,
                                      pyalign::CscMode::LimitedRange, pyalign::CscMode::Matrix};
    double mat[12];
    for (int it = 0; it < 64; ++it) {
        const PixelFormat f = fmts[it % 4];
        const pyalign::CscMode mode = modes[(it / 4) % 4];
        for (double& m : mat) m = (static_cast<int>(rnd() % 4001) - 2000) / 1000.0;
        const int w = 2 * (1 + static_cast<int>(rnd() % (it < 8 ? 700 : 40))), h = 2 * (1 + static_cast<int>(rnd() % 6));
        std::vector<uint8_t> frame(pyalign::frame_bytes(f, w, h));
        for (auto& v : frame) v = static_cast<uint8_t>(rnd());
        pyalign::YuvRowConverter conv(f, w, h, it % 2 == 0, mode, mode == pyalign::CscMode::Matrix ? mat : nullptr);
        std::vector<uint8_t> full(static_cast<std::size_t>(w) * 3);
        for (int y = 0; y < h; ++y) {
            conv.convert_row(frame.data(), y, full.data());
            // any columns, any order, repeats allowed; more than one chunk for wide rows
            std::vector<int32_t> cols(1 + rnd() % (2 * static_cast<uint32_t>(w)));
            for (auto& c : cols) c = static_cast<int32_t>(rnd() % static_cast<uint32_t>(w));
            std::vector<uint8_t> got(cols.size() * 3);
            conv.convert_columns(frame.data(), y, cols.data(), static_cast<int>(cols.size()), got.data());
            int bad = 0;
            for (std::size_t i = 0; i < cols.size(); ++i)
                for (int c = 0; c < 3; ++c) bad += got[3 * i + c] != full[3 * static_cast<std::size_t>(cols[i]) + c];
            PA_CHECK_EQ(bad, 0);
        }
        const int32_t outside[] = {0, w};
        uint8_t sink[6];
        PA_CHECK_THROWS(conv.convert_columns(frame.data(), 0, outside, 2, sink));
        PA_CHECK_THROWS(conv.convert_columns(frame.data(), h, outside, 1, sink));
    }
}

int main() { return pyalign_test::run_all(); }

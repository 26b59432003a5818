// The portable build of the resize kernels (no AVX2 clones), checked against the same independent
// model as test_resize.cpp. On x86-64 the library picks the AVX2 clones at load time, so without
// this test the plain-C++ path that runs on other CPUs and on aarch64 would go untested here.
// resize.cpp is compiled into this test directly with PYALIGN_NO_CLONES; the library's own
// resize.o is then not linked in (every symbol it would provide is already defined).
#define PYALIGN_NO_CLONES 1
#include "../src/resize.cpp"

#include <cstring>

#include "check.hpp"
#include "resize_model.hpp"

using resize_model::view;

PA_TEST(portable_uint8_linear_matches_model) {
    uint32_t seed = 4242;
    auto rnd = [&]() { seed = seed * 1664525u + 1013904223u; return seed >> 8; };
    for (int it = 0; it < 500; ++it) {
        int sw = 1 + rnd() % 41, sh = 1 + rnd() % 29, dw = 1 + rnd() % 53, dh = 1 + rnd() % 31;
        const int cn = 1 + it % 4;
        if (it % 7 == 0) { sw = 2 * dw; sh = 2 * dh; }
        std::vector<uint8_t> src(static_cast<std::size_t>(sw) * sh * cn);
        for (auto& v : src) v = static_cast<uint8_t>(rnd());
        std::vector<uint8_t> dst(static_cast<std::size_t>(dw) * dh * cn);
        pyalign::resize_linear(view<const uint8_t>(src, sw, sh, cn), view<uint8_t>(dst, dw, dh, cn));
        PA_CHECK_EQ(resize_model::mismatches(src, dst, sw, sh, dw, dh, cn), 0);
    }
}

PA_TEST(portable_large_three_channel_matches_model_on_sampled_pixels) {
    // 1920x1080 -> 640x640 (the benchmark case): long rows exercise the wide-copy prefix and tail.
    const int sw = 1920, sh = 1080, dw = 640, dh = 640, cn = 3;
    std::vector<uint8_t> src(static_cast<std::size_t>(sw) * sh * cn);
    for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
    std::vector<uint8_t> dst(static_cast<std::size_t>(dw) * dh * cn);
    pyalign::resize_linear(view<const uint8_t>(src, sw, sh, cn), view<uint8_t>(dst, dw, dh, cn));
    int bad = 0;
    for (int y = 0; y < dh; y += 7)
        for (int x = 0; x < dw; ++x)
            for (int c = 0; c < cn; ++c)
                bad += dst[(static_cast<std::size_t>(y) * dw + x) * cn + c] !=
                       resize_model::pixel(src, sw, sh, dw, dh, cn, x, y, c);
    for (int y = dh - 3; y < dh; ++y)  // last rows and the right edge
        for (int x = dw - 5; x < dw; ++x)
            for (int c = 0; c < cn; ++c)
                bad += dst[(static_cast<std::size_t>(y) * dw + x) * cn + c] !=
                       resize_model::pixel(src, sw, sh, dw, dh, cn, x, y, c);
    PA_CHECK_EQ(bad, 0);
}

int main() { return pyalign_test::run_all(); }

// Unit tests of the Pillow-exact resize: hand-computed values, filter values at known points,
// Pillow's RGBA premultiplication round trip, nearest's index rule, the pass order per release,
// a direct model (one pass at a time over whole images, Pillow's own tap table) against the tiled
// and streamed implementation over random and edge sizes with padded strides, and the errors.
// (Byte-identity with Pillow itself is proven in tests/test_resize_pil.py.)
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "check.hpp"
#include "pyalign/resize.hpp"

using pyalign::PilFilter;
using pyalign::PilPassOrder;

namespace {

constexpr PilFilter kFilters[] = {PilFilter::Nearest, PilFilter::Box,     PilFilter::Bilinear,
                                  PilFilter::Hamming, PilFilter::Bicubic, PilFilter::Lanczos};

template <typename T>
pyalign::ImageView<T> view(T* data, int w, int h, int cn, std::ptrdiff_t stride = 0) {
    pyalign::ImageView<T> v;
    v.data = data;
    v.width = w;
    v.height = h;
    v.channels = cn;
    v.stride = stride ? stride : static_cast<std::ptrdiff_t>(w) * cn;
    return v;
}

std::vector<uint8_t> resize(const std::vector<uint8_t>& src, int sw, int sh, int dw, int dh, int cn, PilFilter f,
                            PilPassOrder order = PilPassOrder::Pillow13) {
    std::vector<uint8_t> dst(static_cast<std::size_t>(dw) * dh * cn, 0xAB);
    pyalign::resize_pil(view(src.data(), sw, sh, cn), view(dst.data(), dw, dh, cn), f, order);
    return dst;
}

uint8_t model_clip8(long long acc) {
    const long long q = acc >> 22;  // acc never leaves int32 here; >> of a negative long long is floor
    return static_cast<uint8_t>(q < 0 ? 0 : q > 255 ? 255 : q);
}

// One pass over a whole w x h x cn image along one axis with Pillow's table (first, count, weights).
std::vector<uint8_t> model_pass(const std::vector<uint8_t>& in, int w, int h, int cn, bool horizontal, int out_size,
                                PilFilter f) {
    const int in_size = horizontal ? w : h;
    const pyalign::detail::PilTaps t = pyalign::detail::pil_taps(in_size, out_size, f);
    const int ow = horizontal ? out_size : w, oh = horizontal ? h : out_size;
    std::vector<uint8_t> out(static_cast<std::size_t>(ow) * oh * cn);
    for (int y = 0; y < oh; ++y) {
        for (int x = 0; x < ow; ++x) {
            const int o = horizontal ? x : y;
            const std::size_t i = static_cast<std::size_t>(o);
            const int32_t* k = &t.coef[i * static_cast<std::size_t>(t.taps)] + (t.first[i] - t.start[i]);
            for (int c = 0; c < cn; ++c) {
                long long acc = 1 << 21;
                for (int j = 0; j < t.count[i]; ++j) {
                    const int sx = horizontal ? t.first[i] + j : x, sy = horizontal ? y : t.first[i] + j;
                    acc += static_cast<long long>(in[(static_cast<std::size_t>(sy) * w + sx) * cn + c]) * k[j];
                }
                out[(static_cast<std::size_t>(y) * ow + x) * cn + c] = model_clip8(acc);
            }
        }
    }
    return out;
}

// Image.resize as a sequence of whole-image steps (premultiply, passes, unpremultiply).
std::vector<uint8_t> model(std::vector<uint8_t> img, int sw, int sh, int dw, int dh, int cn, PilFilter f,
                           bool vertical_first) {
    if (sw == dw && sh == dh) return img;
    if (f == PilFilter::Nearest) {
        const std::vector<int32_t> xs = pyalign::detail::pil_nearest_index(sw, dw);
        const std::vector<int32_t> ys = pyalign::detail::pil_nearest_index(sh, dh);
        std::vector<uint8_t> out(static_cast<std::size_t>(dw) * dh * cn);
        for (int y = 0; y < dh; ++y)
            for (int x = 0; x < dw; ++x)
                for (int c = 0; c < cn; ++c)
                    out[(static_cast<std::size_t>(y) * dw + x) * cn + c] =
                        img[(static_cast<std::size_t>(ys[static_cast<std::size_t>(y)]) * sw + xs[static_cast<std::size_t>(x)]) * cn + c];
        return out;
    }
    if (cn == 4) {
        for (std::size_t p = 0; p < img.size(); p += 4)
            for (int c = 0; c < 3; ++c) img[p + c] = static_cast<uint8_t>((img[p + c] * img[p + 3] + 127) / 255);
    }
    int w = sw, h = sh;
    for (int step = 0; step < 2; ++step) {
        const bool horizontal = (step == 0) != vertical_first;
        if (horizontal && w != dw) {
            img = model_pass(img, w, h, cn, true, dw, f);
            w = dw;
        } else if (!horizontal && h != dh) {
            img = model_pass(img, w, h, cn, false, dh, f);
            h = dh;
        }
    }
    if (cn == 4) {
        for (std::size_t p = 0; p < img.size(); p += 4) {
            const int a = img[p + 3];
            if (a == 0 || a == 255) continue;
            for (int c = 0; c < 3; ++c) img[p + c] = static_cast<uint8_t>(std::min(255 * img[p + c] / a, 255));
        }
    }
    return img;
}

std::vector<uint8_t> random_image(std::mt19937& rng, int w, int h, int cn) {
    std::vector<uint8_t> v(static_cast<std::size_t>(w) * h * cn);
    std::uniform_int_distribution<int> d(0, 255), pick(0, 3);
    for (auto& b : v) b = static_cast<uint8_t>(d(rng));
    if (cn == 4) {  // alpha extremes are frequent
        for (std::size_t p = 3; p < v.size(); p += 4) {
            const int k = pick(rng);
            if (k == 0) v[p] = 0;
            if (k == 1) v[p] = 255;
        }
    }
    return v;
}

}  // namespace

PA_TEST(premultiply_rounding_is_pillows) {
    // (t = c * a + 128, ((t >> 8) + t) >> 8) is c * a / 255 rounded to nearest for all c, a.
    for (int c = 0; c < 256; ++c) {
        for (int a = 0; a < 256; ++a) {
            const int t = c * a + 128;
            PA_CHECK_EQ(((t >> 8) + t) >> 8, (c * a + 127) / 255);
        }
    }
}

PA_TEST(copy_when_same_size) {
    const std::vector<uint8_t> src = {1, 2, 3, 4, 5, 6, 7, 8};
    for (PilFilter f : kFilters) PA_CHECK(resize(src, 2, 1, 2, 1, 4, f) == src);  // RGBA unchanged too
}

PA_TEST(bilinear_halving_is_rounded_mean) {
    // 2 -> 1: scale 2, support 2, centre 1: weights (0.75, 0.75) normalised to 2^21 each, so the
    // pixel is (2^21 + (a + b) * 2^21) >> 22 = (a + b + 1) >> 1.
    PA_CHECK(resize({10, 21}, 2, 1, 1, 1, 1, PilFilter::Bilinear) == std::vector<uint8_t>({16}));
    PA_CHECK(resize({0, 255}, 1, 2, 1, 1, 1, PilFilter::Bilinear) == std::vector<uint8_t>({128}));
    PA_CHECK(resize({0, 1, 10, 11}, 4, 1, 2, 1, 1, PilFilter::Box) == std::vector<uint8_t>({1, 11}));
}

PA_TEST(box_thirds_hand_computed) {
    // 3 -> 1 box: three weights round(2^22 / 3) = 1398101 (sum 2^22 - 1).
    const pyalign::detail::PilTaps t = pyalign::detail::pil_taps(3, 1, PilFilter::Box);
    PA_CHECK_EQ(t.taps, 3);
    for (int k = 0; k < 3; ++k) PA_CHECK_EQ(t.coef[static_cast<std::size_t>(k)], 1398101);
    // (2^21 + 255 * 4194303) >> 22 = 255 and (2^21 + 6 * 1398101) >> 22 = 2.
    PA_CHECK(resize({255, 255, 255}, 3, 1, 1, 1, 1, PilFilter::Box) == std::vector<uint8_t>({255}));
    PA_CHECK(resize({1, 2, 3}, 1, 3, 1, 1, 1, PilFilter::Box) == std::vector<uint8_t>({2}));
}

PA_TEST(filter_values_at_known_points) {
    using pyalign::detail::pil_filter_weight;
    PA_CHECK_EQ(pil_filter_weight(PilFilter::Box, 0.5), 1.0);
    PA_CHECK_EQ(pil_filter_weight(PilFilter::Box, -0.5), 0.0);  // (-0.5, 0.5]
    PA_CHECK_EQ(pil_filter_weight(PilFilter::Bilinear, -0.25), 0.75);
    PA_CHECK_EQ(pil_filter_weight(PilFilter::Bicubic, 0.5), 0.5625);
    PA_CHECK_EQ(pil_filter_weight(PilFilter::Bicubic, 1.5), -0.0625);
    PA_CHECK_EQ(pil_filter_weight(PilFilter::Bicubic, 2.0), 0.0);
    PA_CHECK_EQ(pil_filter_weight(PilFilter::Hamming, 0.0), 1.0);
    // sin(pi/2) / (pi/2) * (0.54f + 0.46f * cos(pi/2)) with the single-precision constants
    PA_CHECK_NEAR(pil_filter_weight(PilFilter::Hamming, 0.5), 0.63661977236758 * 0.5400000214576721, 1e-12);
    PA_CHECK_EQ(pil_filter_weight(PilFilter::Lanczos, 0.0), 1.0);
    PA_CHECK_EQ(pil_filter_weight(PilFilter::Lanczos, 3.0), 0.0);  // [-3, 3)
    PA_CHECK_NEAR(pil_filter_weight(PilFilter::Lanczos, -3.0), 0.0, 1e-15);
    PA_CHECK_NEAR(pil_filter_weight(PilFilter::Lanczos, 1.5), -0.1350949, 1e-6);
}

PA_TEST(one_pixel_to_any_size_replicates) {
    for (PilFilter f : kFilters) {
        const auto d = resize({7, 130, 250}, 1, 1, 5, 3, 3, f);
        for (std::size_t p = 0; p < d.size(); p += 3) {
            PA_CHECK_EQ(d[p], 7);
            PA_CHECK_EQ(d[p + 1], 130);
            PA_CHECK_EQ(d[p + 2], 250);
        }
    }
}

PA_TEST(constant_image_stays_constant) {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> side(1, 40), val(0, 255);
    for (int i = 0; i < 60; ++i) {
        const int sw = side(rng), sh = side(rng), dw = side(rng), dh = side(rng);
        const uint8_t v = static_cast<uint8_t>(val(rng));
        const std::vector<uint8_t> src(static_cast<std::size_t>(sw) * sh, v);
        for (PilFilter f : kFilters) {
            const auto d = resize(src, sw, sh, dw, dh, 1, f);
            for (uint8_t b : d) PA_CHECK_EQ(b, v);
        }
    }
}

PA_TEST(rgba_premultiplied_round_trip) {
    // (200, 100, 50, 128) premultiplies to (100, 50, 25), which divides back to
    // (25500 / 128, 12750 / 128, 6375 / 128) = (199, 99, 49); alpha 0 loses the colour.
    const std::vector<uint8_t> half = {200, 100, 50, 128, 200, 100, 50, 128};
    const std::vector<uint8_t> clear = {200, 100, 50, 0, 200, 100, 50, 0};
    for (PilFilter f : kFilters) {
        const auto a = resize(half, 2, 1, 3, 2, 4, f);
        const auto b = resize(clear, 1, 2, 3, 1, 4, f);
        const bool nearest = f == PilFilter::Nearest;  // Pillow resizes RGBA as it is for NEAREST
        for (std::size_t p = 0; p < a.size(); p += 4) {
            PA_CHECK_EQ(a[p], nearest ? 200 : 199);
            PA_CHECK_EQ(a[p + 1], nearest ? 100 : 99);
            PA_CHECK_EQ(a[p + 2], nearest ? 50 : 49);
            PA_CHECK_EQ(a[p + 3], 128);
        }
        for (std::size_t p = 0; p < b.size(); p += 4) {
            PA_CHECK_EQ(b[p], nearest ? 200 : 0);
            PA_CHECK_EQ(b[p + 3], 0);
        }
    }
}

PA_TEST(nearest_index_rule) {
    using pyalign::detail::pil_nearest_index;
    PA_CHECK(pil_nearest_index(3, 2) == std::vector<int32_t>({0, 2}));        // 0.75, 2.25
    PA_CHECK(pil_nearest_index(4, 3) == std::vector<int32_t>({0, 2, 3}));     // 0.67, 2.0, 3.33
    PA_CHECK(pil_nearest_index(2, 4) == std::vector<int32_t>({0, 0, 1, 1}));  // 0.25 .. 1.75
    PA_CHECK(pil_nearest_index(1, 3) == std::vector<int32_t>({0, 0, 0}));
    const auto d = resize({1, 2, 3, 4, 5, 6}, 3, 2, 2, 1, 1, PilFilter::Nearest);  // row 1, columns 0, 2
    PA_CHECK(d == std::vector<uint8_t>({4, 6}));
}

PA_TEST(pass_order_per_release) {
    using pyalign::pil_pass_order;
    using pyalign::pil_vertical_first;
    PA_CHECK(pil_pass_order(9, 0) == PilPassOrder::Pillow9);
    PA_CHECK(pil_pass_order(12, 1) == PilPassOrder::Pillow9);
    PA_CHECK(pil_pass_order(12, 2) == PilPassOrder::Pillow12_2);
    PA_CHECK(pil_pass_order(12, 3) == PilPassOrder::Pillow12_2);
    PA_CHECK(pil_pass_order(13, 0) == PilPassOrder::Pillow13);
    PA_CHECK(pil_pass_order(14, 2) == PilPassOrder::Pillow13);
    PA_CHECK_THROWS(pil_pass_order(8, 4));
    // 13: the height shrinks by more than twice as many pixels as the width
    PA_CHECK(pil_vertical_first(100, 100, 60, 10, PilPassOrder::Pillow13));    // 80 < 90
    PA_CHECK(!pil_vertical_first(100, 100, 55, 10, PilPassOrder::Pillow13));   // 90 == 90
    PA_CHECK(pil_vertical_first(10, 100, 300, 99, PilPassOrder::Pillow13));    // width grows
    PA_CHECK(!pil_vertical_first(100, 100, 99, 120, PilPassOrder::Pillow13));  // height grows
    // 12.2 / 12.3: more than 100 times taller than wide, height shrinks
    PA_CHECK(pil_vertical_first(2, 201, 5, 200, PilPassOrder::Pillow12_2));
    PA_CHECK(!pil_vertical_first(2, 200, 5, 100, PilPassOrder::Pillow12_2));
    PA_CHECK(!pil_vertical_first(2, 201, 5, 300, PilPassOrder::Pillow12_2));
    PA_CHECK(!pil_vertical_first(1, 1000, 1, 10, PilPassOrder::Pillow9));
}

PA_TEST(matches_direct_model_random_sizes) {
    std::mt19937 rng(20261125);
    std::uniform_int_distribution<int> side(1, 70), small(1, 4);
    const int channels[] = {1, 3, 4};
    int cases = 0;
    for (int i = 0; i < 240; ++i) {
        int sw = side(rng), sh = side(rng), dw = side(rng), dh = side(rng);
        switch (i % 6) {  // edge families: 1 px sides, single rows / columns, tall images
            case 0: sw = small(rng); break;
            case 1: dh = small(rng); break;
            case 2: sh = 1; break;
            case 3: sw = 1, sh = 250; break;
            default: break;
        }
        const int cn = channels[i % 3];
        const PilFilter f = kFilters[i % 6];
        const auto src = random_image(rng, sw, sh, cn);
        for (PilPassOrder order : {PilPassOrder::Pillow13, PilPassOrder::Pillow12_2, PilPassOrder::Pillow9}) {
            const bool vf = pyalign::pil_vertical_first(sw, sh, dw, dh, order);
            const auto expected = model(src, sw, sh, dw, dh, cn, f, vf);
            const auto got = resize(src, sw, sh, dw, dh, cn, f, order);
            if (got != expected) {
                pyalign_test::fail(__FILE__, __LINE__,
                                   "mismatch " + std::to_string(sw) + "x" + std::to_string(sh) + " -> " +
                                       std::to_string(dw) + "x" + std::to_string(dh) + " cn " + std::to_string(cn) +
                                       " filter " + pyalign::pil_filter_name(f));
            }
            ++cases;
        }
    }
    PA_CHECK_EQ(cases, 720);
}

PA_TEST(both_orders_and_large_downscale_match_model) {
    // Sizes where the two orders differ, taps spanning many tile rows, and a downscale to 1 px.
    std::mt19937 rng(5);
    const int sizes[][4] = {{97, 131, 45, 20}, {40, 300, 37, 7}, {300, 40, 7, 37}, {257, 3, 1, 1}, {3, 257, 1, 1},
                            {1, 1, 300, 2}, {64, 64, 130, 130}};
    for (const auto& s : sizes) {
        for (int cn : {1, 3, 4}) {
            const auto src = random_image(rng, s[0], s[1], cn);
            for (PilFilter f : {PilFilter::Bilinear, PilFilter::Lanczos}) {
                for (bool vf : {false, true}) {
                    std::vector<uint8_t> got(static_cast<std::size_t>(s[2]) * s[3] * cn);
                    pyalign::detail::resize_pil_ordered(view(src.data(), s[0], s[1], cn), view(got.data(), s[2], s[3], cn),
                                                        f, vf);
                    PA_CHECK(got == model(src, s[0], s[1], s[2], s[3], cn, f, vf));
                }
            }
        }
    }
}

PA_TEST(padded_strides_give_the_same_bytes_and_keep_the_padding) {
    std::mt19937 rng(3);
    const int sw = 37, sh = 23, dw = 19, dh = 41, cn = 3;
    const auto tight = random_image(rng, sw, sh, cn);
    const std::ptrdiff_t ss = sw * cn + 5, ds = dw * cn + 7;
    std::vector<uint8_t> padded(static_cast<std::size_t>(ss) * sh, 0);
    for (int y = 0; y < sh; ++y) std::memcpy(&padded[static_cast<std::size_t>(y * ss)], &tight[static_cast<std::size_t>(y * sw * cn)], sw * cn);
    for (PilFilter f : kFilters) {
        std::vector<uint8_t> out(static_cast<std::size_t>(ds) * dh, 0xEE);
        pyalign::resize_pil(view<const uint8_t>(padded.data(), sw, sh, cn, ss), view(out.data(), dw, dh, cn, ds), f);
        const auto expected = resize(tight, sw, sh, dw, dh, cn, f);
        for (int y = 0; y < dh; ++y) {
            PA_CHECK(std::memcmp(&out[static_cast<std::size_t>(y * ds)], &expected[static_cast<std::size_t>(y * dw * cn)], dw * cn) == 0);
            for (std::ptrdiff_t p = dw * cn; p < ds; ++p) PA_CHECK_EQ(out[static_cast<std::size_t>(y * ds + p)], 0xEE);
        }
    }
}

PA_TEST(filter_names) {
    for (PilFilter f : kFilters) PA_CHECK(pyalign::parse_pil_filter(pyalign::pil_filter_name(f)) == f);
    std::string what;
    try {
        pyalign::parse_pil_filter("bicubic");
    } catch (const pyalign::Error& e) {
        what = e.what();
    }
    PA_CHECK(what ==
             "unknown Pillow interpolation 'bicubic' (expected nearest, box, linear, hamming, cubic or lanczos)");
}

PA_TEST(errors_are_thrown) {
    std::vector<uint8_t> a(64, 0), b(64, 0);
    auto run = [&](int sw, int sh, int scn, int dw, int dh, int dcn) {
        pyalign::resize_pil(view<const uint8_t>(a.data(), sw, sh, scn), view(b.data(), dw, dh, dcn), PilFilter::Bicubic);
    };
    PA_CHECK_THROWS(run(2, 2, 2, 3, 3, 2));  // LA is not supported
    PA_CHECK_THROWS(run(2, 2, 3, 2, 2, 4));  // channel counts differ
    PA_CHECK_THROWS(run(0, 2, 1, 2, 2, 1));
    PA_CHECK_THROWS(run(2, 2, 1, 2, -1, 1));
    PA_CHECK_THROWS(run(1 << 21, 1, 1, 2, 2, 1));
    auto no_data = view<const uint8_t>(nullptr, 2, 2, 1);
    PA_CHECK_THROWS(pyalign::resize_pil(no_data, view(b.data(), 2, 2, 1), PilFilter::Box));
    PA_CHECK_THROWS(pyalign::resize_pil(view<const uint8_t>(a.data(), 4, 2, 1, 3), view(b.data(), 2, 2, 1), PilFilter::Box));
    PA_CHECK_THROWS(pyalign::detail::pil_taps(0, 3, PilFilter::Box));
    PA_CHECK_THROWS(pyalign::detail::pil_taps(3, 3, PilFilter::Nearest));
}

int main() { return pyalign_test::run_all(); }

// An independent model of OpenCV's INTER_LINEAR uint8 rules (docs/preprocessing-resize.md), one
// element at a time, shared by the resize unit tests. Written from the rules, not from resize.cpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "pyalign/common.hpp"

namespace resize_model {

/// A packed (unpadded) w x h x cn view of buf.
template <typename T>
pyalign::ImageView<T> view(std::vector<std::remove_const_t<T>>& buf, int w, int h, int cn) {
    pyalign::ImageView<T> v;
    v.data = buf.data();
    v.width = w;
    v.height = h;
    v.channels = cn;
    v.stride = static_cast<std::ptrdiff_t>(w) * cn * static_cast<std::ptrdiff_t>(sizeof(buf[0]));
    return v;
}

// Model of the documented INTER_LINEAR rules, written independently of resize.cpp (one element).
inline int pixel(const std::vector<uint8_t>& s, int sw, int sh, int dw, int dh, int cn, int dx, int dy, int c) {
    if (sw == 2 * dw && sh == 2 * dh) {  // exact 2x: mean of the 2x2 block
        auto at = [&](int x, int y) { return s[(static_cast<std::size_t>(y) * sw + x) * cn + c]; };
        const int tot = at(2 * dx, 2 * dy) + at(2 * dx + 1, 2 * dy) + at(2 * dx, 2 * dy + 1) + at(2 * dx + 1, 2 * dy + 1);
        if (cn == 2) return static_cast<int>(std::nearbyint(tot / 4.0));  // half to even
        return (tot + 2) >> 2;
    }
    auto tap = [](int d, int src, int dst, bool clamp_weights, int* i0, int* i1, int* w0, int* w1) {
        const double scale = 1.0 / (static_cast<double>(dst) / src);
        float f = static_cast<float>((d + 0.5) * scale - 0.5);
        int i = static_cast<int>(std::floor(f));
        f -= static_cast<float>(i);
        if (clamp_weights) {
            if (i < 0) { i = 0; f = 0.f; }
            if (i >= src - 1) { i = src - 1; f = 0.f; }
        }
        *i0 = std::min(std::max(i, 0), src - 1);
        *i1 = std::min(std::max(i + 1, 0), src - 1);
        *w0 = static_cast<int>(std::lrint((1.f - f) * 2048));
        *w1 = static_cast<int>(std::lrint(f * 2048));
    };
    int x0, x1, a0, a1, y0, y1, b0, b1;
    tap(dx, sw, dw, true, &x0, &x1, &a0, &a1);
    tap(dy, sh, dh, false, &y0, &y1, &b0, &b1);
    auto h = [&](int y) {
        const std::size_t row = static_cast<std::size_t>(y) * sw;
        return s[(row + x0) * cn + c] * a0 + s[(row + x1) * cn + c] * a1;
    };
    const int r = (((b0 * (h(y0) >> 4)) >> 16) + ((b1 * (h(y1) >> 4)) >> 16) + 2) >> 2;
    return std::min(std::max(r, 0), 255);
}

/// Number of elements of the packed dw x dh x cn image dst that differ from the model's resize of
/// src (sw x sh x cn). At the same size the model's weights are (2048, 0): a plain copy.
inline int mismatches(const std::vector<uint8_t>& src, const std::vector<uint8_t>& dst, int sw, int sh, int dw, int dh,
                      int cn) {
    int bad = 0;
    for (int y = 0; y < dh; ++y)
        for (int x = 0; x < dw; ++x)
            for (int c = 0; c < cn; ++c)
                bad += dst[(static_cast<std::size_t>(y) * dw + x) * cn + c] != pixel(src, sw, sh, dw, dh, cn, x, y, c);
    return bad;
}

}  // namespace resize_model

// pyalign — postprocessing: softmax, top-k classification and segmentation argmax (see postprocess.hpp).
#include "pyalign/postprocess.hpp"

#include "postprocess_util.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace pyalign {

using detail::finite;

void softmax(const float* logits, int64_t n, float* out) {
    if (n < 0) throw Error("softmax: negative length");
    if (n > 0 && (logits == nullptr || out == nullptr)) throw Error("softmax: null data");
    bool any = false;
    double m = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        if (!finite(logits[i])) continue;
        const double v = logits[i];
        if (!any || v > m) m = v;
        any = true;
    }
    if (!any) {
        std::fill(out, out + n, 0.0f);
        return;
    }
    std::vector<double> e(static_cast<std::size_t>(n), 0.0);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        if (!finite(logits[i])) continue;
        e[i] = std::exp(static_cast<double>(logits[i]) - m);
        sum += e[i];
    }
    for (int64_t i = 0; i < n; ++i) out[i] = finite(logits[i]) ? static_cast<float>(e[i] / sum) : 0.0f;
}

std::vector<int64_t> topk(const float* scores, int64_t n, int64_t k) {
    if (n < 0) throw Error("topk: negative length");
    if (k < 1) throw Error("k must be >= 1, got " + std::to_string(k));
    if (n > 0 && scores == nullptr) throw Error("topk: null data");
    std::vector<int64_t> idx;
    idx.reserve(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        if (finite(scores[i])) idx.push_back(i);
    const std::size_t m = std::min<std::size_t>(idx.size(), static_cast<std::size_t>(k));
    auto cmp = [scores](int64_t a, int64_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); };
    std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(m), idx.end(), cmp);
    idx.resize(m);
    return idx;
}

std::vector<float> classify(const float* logits, int64_t n, int64_t k, bool apply_softmax, int64_t* nonfinite) {
    if (n < 1) throw Error("logits: expected at least one class");
    if (k < 1) throw Error("topk must be >= 1, got " + std::to_string(k));
    if (logits == nullptr) throw Error("classify: null data");
    std::vector<float> probs(logits, logits + n);
    if (apply_softmax) softmax(logits, n, probs.data());
    std::vector<float> masked(probs);
    int64_t bad = 0;
    for (int64_t i = 0; i < n; ++i) {
        if (!finite(logits[i])) {
            masked[i] = std::numeric_limits<float>::quiet_NaN();
            ++bad;
        }
    }
    if (nonfinite) *nonfinite = bad;
    const std::vector<int64_t> keep = topk(masked.data(), n, k);
    std::vector<float> out(2 * keep.size());
    for (std::size_t i = 0; i < keep.size(); ++i) {
        out[2 * i] = static_cast<float>(keep[i]);
        out[2 * i + 1] = probs[keep[i]];
    }
    return out;
}

int64_t segment_argmax(const float* logits, int64_t classes, int64_t height, int64_t width, bool nhwc, int32_t* out) {
    if (classes < 1) throw Error("segmentation logits: expected at least one class");
    if (height < 0 || width < 0) throw Error("segmentation logits: negative size");
    if (classes > std::numeric_limits<int32_t>::max()) throw Error("segmentation logits: too many classes");
    const int64_t hw = height * width;
    if (hw == 0) return 0;
    if (logits == nullptr || out == nullptr) throw Error("segment_argmax: null data");
    const int64_t ch_stride = nhwc ? 1 : hw;
    const int64_t px_stride = nhwc ? classes : 1;
    const float ninf = -std::numeric_limits<float>::infinity();
    std::vector<float> best(static_cast<std::size_t>(hw));
    std::vector<unsigned char> all_nan(static_cast<std::size_t>(hw));
    for (int64_t p = 0; p < hw; ++p) {
        const float v = logits[p * px_stride];
        const bool nan = std::isnan(v);
        best[p] = nan ? ninf : v;
        all_nan[p] = nan ? 1 : 0;
        out[p] = 0;
    }
    for (int64_t c = 1; c < classes; ++c) {
        const float* row = logits + c * ch_stride;
        const int32_t ci = static_cast<int32_t>(c);
        for (int64_t p = 0; p < hw; ++p) {
            const float raw = row[p * px_stride];
            const bool nan = std::isnan(raw);
            const float v = nan ? ninf : raw;
            all_nan[p] &= nan ? 1 : 0;
            if (v > best[p]) {
                best[p] = v;
                out[p] = ci;
            }
        }
    }
    int64_t count = 0;
    for (int64_t p = 0; p < hw; ++p) {
        if (all_nan[p]) {
            out[p] = -1;
            ++count;
        }
    }
    return count;
}

}  // namespace pyalign

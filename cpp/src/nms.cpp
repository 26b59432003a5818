// pyalign — postprocessing: NMS (torchvision semantics), box mapping and the detections rows
// (see postprocess.hpp).
#include "pyalign/postprocess.hpp"

#include "postprocess_util.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <vector>

namespace pyalign {

using detail::check_threshold;
using detail::finite;
using detail::narrow;

std::vector<int64_t> nms(const float* boxes, const float* scores, int64_t n, double iou_threshold,
                         const int64_t* classes, int64_t max_det) {
    check_threshold("iou_threshold", iou_threshold);
    if (n < 0) throw Error("nms: negative number of boxes");
    if (n > 0 && (boxes == nullptr || scores == nullptr)) throw Error("nms: null data");
    std::vector<int64_t> order;
    order.reserve(static_cast<std::size_t>(n));
    std::vector<float> areas(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        const float* b = boxes + 4 * i;
        areas[i] = (b[2] - b[0]) * (b[3] - b[1]);
        if (finite(scores[i]) && finite(b[0]) && finite(b[1]) && finite(b[2]) && finite(b[3])) order.push_back(i);
    }
    // score descending, ties by the lower index (a total order: plain sort is stable here);
    // decoder candidates arrive in this order already
    auto before = [scores](int64_t a, int64_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); };
    if (!std::is_sorted(order.begin(), order.end(), before)) std::sort(order.begin(), order.end(), before);
    const std::size_t limit = max_det < 0 ? static_cast<std::size_t>(n) : static_cast<std::size_t>(max_det);
    std::vector<int64_t> keep;
    // The kept boxes of each class, as linked lists through next_kept; heads in a flat array
    // when the class ids span a small range (the agnostic case is one class), else in a map.
    std::vector<int64_t> next_kept(static_cast<std::size_t>(n), -1);
    int64_t lo = 0, hi = 0;
    if (classes && !order.empty()) {
        lo = hi = classes[order[0]];
        for (int64_t i : order) {
            lo = std::min(lo, classes[i]);
            hi = std::max(hi, classes[i]);
        }
    }
    const bool flat = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) < (uint64_t{1} << 20);
    std::vector<int64_t> head_flat(flat ? static_cast<std::size_t>(hi - lo) + 1 : 0, -1);
    std::unordered_map<int64_t, int64_t> head_map;
    for (int64_t i : order) {
        if (keep.size() >= limit) break;
        int64_t& head = !classes ? head_flat[0]
                        : flat   ? head_flat[static_cast<std::size_t>(classes[i] - lo)]
                                 : head_map.emplace(classes[i], -1).first->second;
        const float* bi = boxes + 4 * i;
        bool suppressed = false;
        for (int64_t k = head; k >= 0; k = next_kept[k]) {
            const float* bk = boxes + 4 * k;
            const float xx1 = std::max(bk[0], bi[0]);
            const float yy1 = std::max(bk[1], bi[1]);
            const float xx2 = std::min(bk[2], bi[2]);
            const float yy2 = std::min(bk[3], bi[3]);
            const float w = std::max(0.0f, xx2 - xx1);
            const float h = std::max(0.0f, yy2 - yy1);
            const float inter = w * h;
            const float uni = areas[k] + areas[i] - inter;
            // inter / uni > thr, with x / 0 = +inf (x > 0) or NaN (x == 0) spelled out.
            const bool over = uni == 0.0f ? inter > 0.0f : static_cast<double>(inter / uni) > iou_threshold;
            if (over) {
                suppressed = true;
                break;
            }
        }
        if (!suppressed) {
            keep.push_back(i);
            next_kept[i] = head;
            head = i;
        }
    }
    return keep;
}

void map_boxes(float* boxes, int64_t n, const BoxMapping& m) {
    if (n < 0) throw Error("map_boxes: negative number of boxes");
    if (!(std::isfinite(m.scale_x) && std::isfinite(m.scale_y) && m.scale_x > 0 && m.scale_y > 0))
        throw Error("info scale_x/scale_y must be finite and > 0");
    if (!(std::isfinite(m.pad_left) && std::isfinite(m.pad_top))) throw Error("info pad_left/pad_top must be finite");
    if (!(std::isfinite(m.src_width) && std::isfinite(m.src_height) && m.src_width >= 0 && m.src_height >= 0))
        throw Error("info src_width/src_height must be finite and >= 0");
    if (n > 0 && boxes == nullptr) throw Error("map_boxes: null data");
    const float w = narrow(m.src_width), h = narrow(m.src_height);
    for (int64_t i = 0; i < n; ++i) {
        float* b = boxes + 4 * i;
        for (int k = 0; k < 4; k += 2) {
            const float x = narrow((static_cast<double>(b[k]) - m.pad_left) / m.scale_x);
            const float y = narrow((static_cast<double>(b[k + 1]) - m.pad_top) / m.scale_y);
            b[k] = std::min(std::max(x, 0.0f), w);
            b[k + 1] = std::min(std::max(y, 0.0f), h);
        }
    }
}

std::vector<float> detections(const Candidates& c, double iou_threshold, bool class_agnostic, int64_t max_det,
                              const BoxMapping* mapping) {
    const int64_t n = static_cast<int64_t>(c.size());
    if (c.boxes.size() != 4 * c.size() || c.classes.size() != c.size())
        throw Error("candidates: boxes, scores and classes have mismatched lengths");
    const std::vector<int64_t> keep =
        nms(c.boxes.data(), c.scores.data(), n, iou_threshold, class_agnostic ? nullptr : c.classes.data(), max_det);
    std::vector<float> boxes(4 * keep.size());
    for (std::size_t i = 0; i < keep.size(); ++i)
        std::copy(c.boxes.begin() + 4 * keep[i], c.boxes.begin() + 4 * keep[i] + 4, boxes.begin() + 4 * i);
    if (mapping) map_boxes(boxes.data(), static_cast<int64_t>(keep.size()), *mapping);
    std::vector<float> out(6 * keep.size());
    for (std::size_t i = 0; i < keep.size(); ++i) {
        std::copy(boxes.begin() + 4 * i, boxes.begin() + 4 * i + 4, out.begin() + 6 * i);
        out[6 * i + 4] = c.scores[keep[i]];
        out[6 * i + 5] = static_cast<float>(c.classes[keep[i]]);
    }
    return out;
}

}  // namespace pyalign

// Unit tests of the postprocessing core: hand-computed results, NMS against a brute-force
// loop, errors, and a fuzz pass over garbage inputs (run under ASan + UBSan in CI).
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "check.hpp"
#include "pyalign/postprocess.hpp"

using namespace pyalign;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

FloatTensor tensor(const std::vector<float>& data, std::vector<int64_t> shape) {
    FloatTensor t;
    t.data = data.data();
    t.shape = std::move(shape);
    return t;
}

/// Textbook greedy NMS (suppression flags), torchvision semantics.
std::vector<int64_t> brute_nms(const std::vector<float>& b, const std::vector<float>& s, double thr,
                               const std::vector<int64_t>* cls) {
    const int64_t n = static_cast<int64_t>(s.size());
    std::vector<int64_t> order;
    for (int64_t i = 0; i < n; ++i) order.push_back(i);
    // insertion sort: score descending, ties by the lower index
    for (std::size_t i = 1; i < order.size(); ++i)
        for (std::size_t j = i; j > 0 && s[order[j]] > s[order[j - 1]]; --j) std::swap(order[j], order[j - 1]);
    std::vector<bool> sup(n, false);
    std::vector<int64_t> keep;
    for (std::size_t a = 0; a < order.size(); ++a) {
        const int64_t i = order[a];
        if (sup[i]) continue;
        keep.push_back(i);
        for (std::size_t c = a + 1; c < order.size(); ++c) {
            const int64_t j = order[c];
            if (cls && (*cls)[j] != (*cls)[i]) continue;
            const float ai = (b[4 * i + 2] - b[4 * i]) * (b[4 * i + 3] - b[4 * i + 1]);
            const float aj = (b[4 * j + 2] - b[4 * j]) * (b[4 * j + 3] - b[4 * j + 1]);
            const float w = std::max(0.0f, std::min(b[4 * i + 2], b[4 * j + 2]) - std::max(b[4 * i], b[4 * j]));
            const float h = std::max(0.0f, std::min(b[4 * i + 3], b[4 * j + 3]) - std::max(b[4 * i + 1], b[4 * j + 1]));
            const float inter = w * h;
            const float uni = ai + aj - inter;
            if (uni > 0.0f && static_cast<double>(inter / uni) > thr) sup[j] = true;
        }
    }
    return keep;
}

void set_bins(std::vector<float>& rows, int64_t anchors, int64_t anchor, int side, double d) {
    // channel-first [66, anchors]: DFL bins of `side` peaked at d (integer or k + 0.5)
    for (int i = 0; i < 16; ++i) rows[(side * 16 + i) * anchors + anchor] = 0.0f;
    const int k = static_cast<int>(d);
    rows[(side * 16 + k) * anchors + anchor] = 100.0f;
    if (d != k) rows[(side * 16 + k + 1) * anchors + anchor] = 100.0f;
}

}  // namespace

PA_TEST(softmax_and_topk) {
    const float x[4] = {1.0f, 2.0f, 3.0f, 3.0f};
    float p[4];
    softmax(x, 4, p);
    const double z = std::exp(-2.0) + std::exp(-1.0) + 2.0;
    PA_CHECK_NEAR(p[0], std::exp(-2.0) / z, 1e-7);
    PA_CHECK_NEAR(p[2], 1.0 / z, 1e-7);
    PA_CHECK_EQ(p[2], p[3]);
    const std::vector<int64_t> k = topk(p, 4, 3);
    PA_CHECK_EQ(k.size(), std::size_t{3});
    PA_CHECK_EQ(k[0], 2);
    PA_CHECK_EQ(k[1], 3);
    PA_CHECK_EQ(k[2], 1);
    const float bad[3] = {kNaN, 1.0f, kInf};
    softmax(bad, 3, p);
    PA_CHECK_EQ(p[0], 0.0f);
    PA_CHECK_EQ(p[1], 1.0f);
    PA_CHECK_EQ(p[2], 0.0f);
    PA_CHECK_EQ(topk(bad, 3, 5).size(), std::size_t{1});
    PA_CHECK_THROWS(topk(x, 4, 0));
}

PA_TEST(classify_rows) {
    const float x[5] = {kNaN, 1.0f, kInf, 0.0f, -kInf};
    int64_t nonfinite = 0;
    const std::vector<float> rows = classify(x, 5, 5, true, &nonfinite);
    PA_CHECK_EQ(nonfinite, 3);
    PA_CHECK_EQ(rows.size(), std::size_t{4});
    PA_CHECK_EQ(rows[0], 1.0f);
    PA_CHECK_NEAR(rows[1], std::exp(1.0) / (1.0 + std::exp(1.0)), 1e-7);
    PA_CHECK_EQ(rows[2], 3.0f);
    PA_CHECK_THROWS(classify(x, 0, 5, true));
    PA_CHECK_THROWS(classify(x, 5, 0, true));
}

PA_TEST(segment_argmax_layouts) {
    // C=3, H=1, W=4 NCHW; NaN counts as -Inf, all-NaN -> -1
    const std::vector<float> nchw = {kNaN, 1.0f, kNaN, kNaN, kNaN, kNaN, -kInf, kNaN, kNaN, 0.5f, kNaN, 0.5f};
    int32_t out[4];
    PA_CHECK_EQ(segment_argmax(nchw.data(), 3, 1, 4, false, out), 1);
    PA_CHECK_EQ(out[0], -1);
    PA_CHECK_EQ(out[1], 0);
    PA_CHECK_EQ(out[2], 0);
    PA_CHECK_EQ(out[3], 2);
    // the same logits as NHWC
    std::vector<float> nhwc(12);
    for (int c = 0; c < 3; ++c)
        for (int p = 0; p < 4; ++p) nhwc[p * 3 + c] = nchw[c * 4 + p];
    int32_t out2[4];
    PA_CHECK_EQ(segment_argmax(nhwc.data(), 3, 1, 4, true, out2), 1);
    for (int p = 0; p < 4; ++p) PA_CHECK_EQ(out2[p], out[p]);
    PA_CHECK_THROWS(segment_argmax(nchw.data(), 0, 1, 4, false, out));
}

PA_TEST(grids) {
    const auto g = grid_shapes(8400, {8, 16, 32});
    PA_CHECK_EQ(g.size(), std::size_t{3});
    PA_CHECK_EQ(g[0].first, 80);
    PA_CHECK_EQ(g[2].second, 20);
    const auto r = grid_shapes(80 * 60 + 40 * 30 + 20 * 15, {8, 16, 32}, 640, 480);
    PA_CHECK_EQ(r[0].first, 60);
    PA_CHECK_EQ(r[0].second, 80);
    PA_CHECK_THROWS(grid_shapes(8401, {8, 16, 32}));
    PA_CHECK_THROWS(grid_shapes(8400, {8, 16, 32}, 640, 320));
    PA_CHECK_THROWS(grid_shapes(8400, {}));
    const int big = std::numeric_limits<int>::max();
    PA_CHECK_THROWS(grid_shapes(8400, {big}, big, big));  // no int overflow in ceil(size / stride)
    PA_CHECK_EQ(grid_shapes(1, {big}, big, big)[0].first, 1);
    PA_CHECK_THROWS(grid_shapes(8400, {0}));
}

PA_TEST(nms_semantics) {
    // IoU exactly 0.5 is kept at threshold 0.5
    std::vector<float> b = {0, 0, 2, 1, 0, 0, 1, 1};
    std::vector<float> s = {0.9f, 0.8f};
    PA_CHECK_EQ(nms(b.data(), s.data(), 2, 0.5).size(), std::size_t{2});
    PA_CHECK_EQ(nms(b.data(), s.data(), 2, 0.4999).size(), std::size_t{1});
    // no +1: IoU 1/3
    b = {0, 0, 10, 10, 5, 0, 15, 10};
    PA_CHECK_EQ(nms(b.data(), s.data(), 2, 0.34).size(), std::size_t{2});
    PA_CHECK_EQ(nms(b.data(), s.data(), 2, 0.33).size(), std::size_t{1});
    // ties by the lower index, class-aware, max_det
    b = {0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10, 50, 50, 60, 60};
    s = {0.5f, 0.7f, 0.7f, 0.9f};
    std::vector<int64_t> k = nms(b.data(), s.data(), 4, 0.5);
    PA_CHECK_EQ(k.size(), std::size_t{2});
    PA_CHECK_EQ(k[0], 3);
    PA_CHECK_EQ(k[1], 1);
    const int64_t cls[4] = {0, 0, 1, 0};
    k = nms(b.data(), s.data(), 4, 0.5, cls);
    PA_CHECK_EQ(k.size(), std::size_t{3});
    PA_CHECK_EQ(k[2], 2);
    PA_CHECK_EQ(nms(b.data(), s.data(), 4, 0.5, cls, 1).size(), std::size_t{1});
    PA_CHECK_EQ(nms(b.data(), s.data(), 4, 0.5, cls, 0).size(), std::size_t{0});
    // non-finite never kept; zero-area boxes never suppress
    s = {kNaN, kInf, 0.5f, 0.4f};
    b[8] = kNaN;
    k = nms(b.data(), s.data(), 4, 0.5);
    PA_CHECK_EQ(k.size(), std::size_t{1});
    PA_CHECK_EQ(k[0], 3);
    b = {5, 5, 5, 5, 5, 5, 5, 5};
    s = {0.9f, 0.8f};
    PA_CHECK_EQ(nms(b.data(), s.data(), 2, 0.0).size(), std::size_t{2});
    PA_CHECK_EQ(nms(nullptr, nullptr, 0, 0.5).size(), std::size_t{0});
    PA_CHECK_THROWS(nms(b.data(), s.data(), 2, -0.1));
    PA_CHECK_THROWS(nms(b.data(), s.data(), 2, std::nan("")));
    PA_CHECK_THROWS(nms(nullptr, nullptr, 2, 0.5));
}

PA_TEST(nms_vs_brute_force) {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> pos(0.0f, 100.0f), size(1.0f, 40.0f), score(0.0f, 1.0f);
    std::uniform_int_distribution<int> count(0, 80), klass(0, 3);
    const double thresholds[5] = {0.0, 0.3, 0.45, 0.5, 0.9};
    for (int trial = 0; trial < 400; ++trial) {
        const int n = count(rng);
        std::vector<float> b(4 * n), s(n);
        std::vector<int64_t> c(n);
        for (int i = 0; i < n; ++i) {
            float x = pos(rng), y = pos(rng), w = size(rng), h = size(rng);
            if (trial % 2) {  // quantised: exact ties of IoU and scores
                x = std::round(x / 10) * 10;
                y = std::round(y / 10) * 10;
                w = std::round(w / 10) * 10 + 10;
                h = std::round(h / 10) * 10 + 10;
            }
            b[4 * i] = x;
            b[4 * i + 1] = y;
            b[4 * i + 2] = x + w;
            b[4 * i + 3] = y + h;
            s[i] = trial % 2 ? std::round(score(rng) * 4) / 4 : score(rng);
            c[i] = klass(rng);
        }
        const double thr = thresholds[trial % 5];
        const bool aware = trial % 3 == 0;
        const std::vector<int64_t> got = nms(b.data(), s.data(), n, thr, aware ? c.data() : nullptr);
        const std::vector<int64_t> want = brute_nms(b, s, thr, aware ? &c : nullptr);
        PA_CHECK(got == want);
    }
}

PA_TEST(yolov8_worked_example) {
    // 64x64 input, strides 8/16/32: 84 anchors, 2 classes, reg_max 16, channel-first [1, 66, 84]
    const int64_t A = 84;
    std::vector<float> rows(66 * A, 0.0f);
    for (int64_t a = 0; a < A; ++a) {
        for (int s = 0; s < 4; ++s) set_bins(rows, A, a, s, 1);
        rows[64 * A + a] = rows[65 * A + a] = 0.01f;
    }
    auto put = [&](int64_t a, double l, double t, double r, double b, int cls, float p) {
        set_bins(rows, A, a, 0, l);
        set_bins(rows, A, a, 1, t);
        set_bins(rows, A, a, 2, r);
        set_bins(rows, A, a, 3, b);
        rows[(64 + cls) * A + a] = p;
    };
    put(19, 2, 1, 3, 4, 1, 0.9f);          // (12, 12, 52, 52)
    put(69, 1, 1, 1, 1, 1, 0.8f);          // (8, 8, 40, 40)
    put(20, 3, 1, 2, 4, 1, 0.7f);          // (12, 12, 52, 52), suppressed
    put(27, 2, 2, 3, 3, 0, 0.6f);          // (12, 12, 52, 52), other class
    put(80, 0.5, 0.5, 0.5, 0.5, 0, 0.3f);  // (0, 0, 32, 32)
    put(83, 1, 1, 1, 1, 0, 0.25f);         // at the threshold: dropped
    DecodeOptions o;
    o.conf_threshold = 0.25;
    const Candidates c = decode_yolov8({tensor(rows, {1, 66, A})}, 2, 16, {8, 16, 32}, o);
    PA_CHECK_EQ(c.size(), std::size_t{5});
    PA_CHECK_EQ(c.stats.anchors, 84);
    PA_CHECK_EQ(c.stats.candidates, 5);
    const std::vector<float> det = detections(c, 0.45, false, 300);
    const float want[4][6] = {{12, 12, 52, 52, 0.9f, 1}, {8, 8, 40, 40, 0.8f, 1}, {12, 12, 52, 52, 0.6f, 0}, {0, 0, 32, 32, 0.3f, 0}};
    PA_CHECK_EQ(det.size(), std::size_t{24});
    for (int i = 0; i < 4 && det.size() == 24; ++i)
        for (int k = 0; k < 6; ++k) PA_CHECK_NEAR(det[6 * i + k], want[i][k], 1e-5);
    PA_CHECK_EQ(detections(c, 0.45, true, 300).size(), std::size_t{18});
    BoxMapping m;
    m.scale_x = m.scale_y = 0.5;
    m.pad_top = 8;
    m.src_width = 128;
    m.src_height = 96;
    const std::vector<float> mapped = detections(c, 0.45, false, 300, &m);
    PA_CHECK_NEAR(mapped[0], 24, 1e-5);
    PA_CHECK_NEAR(mapped[1], 8, 1e-5);
    PA_CHECK_NEAR(mapped[3], 88, 1e-5);
    PA_CHECK_NEAR(mapped[6 + 1], 0, 1e-5);  // (8 - 8) / 0.5
    PA_CHECK_NEAR(mapped[18 + 1], 0, 1e-5);  // clipped from -16

    // the same output as three NHWC heads [1, H, W, 66]
    std::vector<std::vector<float>> heads;
    const int sizes[3] = {8, 4, 2};
    int64_t off = 0;
    for (int l = 0; l < 3; ++l) {
        const int g = sizes[l];
        std::vector<float> h(static_cast<std::size_t>(g * g * 66));
        for (int cell = 0; cell < g * g; ++cell)
            for (int ch = 0; ch < 66; ++ch) {
                float v = rows[ch * A + off + cell];
                if (ch >= 64) v = static_cast<float>(std::log(v) - std::log1p(-static_cast<double>(v)));  // logits
                h[cell * 66 + ch] = v;
            }
        heads.push_back(h);
        off += g * g;
    }
    const Candidates ch = decode_yolov8({tensor(heads[0], {1, 8, 8, 66}), tensor(heads[1], {1, 4, 4, 66}),
                                         tensor(heads[2], {1, 2, 2, 66})},
                                        2, 16, {8, 16, 32}, o);
    PA_CHECK_EQ(ch.size(), c.size());
    for (std::size_t i = 0; i < ch.size() && ch.size() == c.size(); ++i) {
        PA_CHECK_EQ(ch.classes[i], c.classes[i]);
        PA_CHECK_NEAR(ch.scores[i], c.scores[i], 1e-6);
        for (int k = 0; k < 4; ++k) PA_CHECK_NEAR(ch.boxes[4 * i + k], c.boxes[4 * i + k], 1e-5);
    }
}

PA_TEST(yolov5_and_yolox_worked_examples) {
    // YOLOv5: one head [1, 6, 2, 2], stride 8, anchor 10x13, cell (x1, y0) confident
    std::vector<float> head(6 * 4, -10.0f);
    for (int k = 0; k < 4; ++k) head[k * 4 + 1] = 0.0f;
    head[4 * 4 + 1] = 10.0f;
    head[5 * 4 + 1] = 10.0f;
    DecodeOptions o;
    const Candidates c5 = decode_yolov5({tensor(head, {1, 6, 2, 2})}, 1, {{10, 13}}, {8}, false, o);
    PA_CHECK_EQ(c5.size(), std::size_t{1});
    const double s = 1.0 / (1.0 + std::exp(-10.0));
    PA_CHECK_NEAR(c5.scores[0], s * s, 1e-6);
    const float want5[4] = {7.0f, -2.5f, 17.0f, 10.5f};
    for (int k = 0; k < 4 && c5.size() == 1; ++k) PA_CHECK_NEAR(c5.boxes[k], want5[k], 1e-5);
    // YOLOX: [1, 4, 6], 16x16 input, stride 8, cell (x1, y1)
    std::vector<float> x(4 * 6, 0.0f);
    const float r[6] = {0.5f, 0.25f, 0.0f, static_cast<float>(std::log(2.0)), 0.8f, 0.5f};
    for (int k = 0; k < 6; ++k) x[3 * 6 + k] = r[k];
    o.input_width = o.input_height = 16;
    const Candidates cx = decode_yolox({tensor(x, {1, 4, 6})}, 1, {8}, o);
    PA_CHECK_EQ(cx.size(), std::size_t{1});
    const float wantx[4] = {8, 2, 16, 18};
    for (int k = 0; k < 4 && cx.size() == 1; ++k) PA_CHECK_NEAR(cx.boxes[k], wantx[k], 1e-5);
    PA_CHECK_NEAR(cx.scores[0], 0.4, 1e-6);
}

PA_TEST(non_finite_dropped_and_counted) {
    // [1, 4 + 2, 3] decoded boxes: anchor 0 NaN score, anchor 1 inf box, anchor 2 fine
    std::vector<float> rows = {10, 10, 10, 10, 10, 10, 4, kInf, 4, 4, 4, 4, kNaN, 0.9f, 0.9f, 0.1f, 0.1f, 0.1f};
    DecodeOptions o;
    const Candidates c = decode_yolov8({tensor(rows, {1, 6, 3})}, 2, 0, {8}, o);
    PA_CHECK_EQ(c.stats.nonfinite_scores, 1);
    PA_CHECK_EQ(c.stats.nonfinite_boxes, 1);
    PA_CHECK_EQ(c.size(), std::size_t{1});
}

PA_TEST(errors) {
    std::vector<float> d(84 * 10, 0.0f);
    DecodeOptions o;
    PA_CHECK_THROWS(decode_yolov8({tensor(d, {1, 83, 10})}, 80, 0, {8, 16, 32}, o));
    PA_CHECK_THROWS(decode_yolov8({tensor(d, {2, 84, 5})}, 80, 0, {8, 16, 32}, o));
    PA_CHECK_THROWS(decode_yolov8({tensor(d, {1, 84, 10, 1})}, 80, 0, {8, 16, 32}, o));
    PA_CHECK_THROWS(decode_yolov8({}, 80, 0, {8, 16, 32}, o));
    PA_CHECK_THROWS(decode_yolov8({tensor(d, {1, 84, 10})}, 0, 0, {8, 16, 32}, o));
    PA_CHECK_THROWS(decode_yolov8({tensor(d, {1, 84, 10})}, 80, -1, {8, 16, 32}, o));
    PA_CHECK_THROWS(decode_yolov8({tensor(d, {1, 84, 10})}, 80, 16, {8, 16, 32}, o));
    PA_CHECK_THROWS(decode_yolov5({tensor(d, {1, 84, 10})}, 80, {{10, 13}}, {8, 16, 32}, false, o));
    PA_CHECK_THROWS(decode_yolov5({tensor(d, {1, 10, 84})}, 80, {{1, 1}, {1, 1}, {1, 1}}, {8, 16, 32}, false, o));
    PA_CHECK_THROWS(decode_yolox({tensor(d, {1, 10, 84})}, 80, {8, 16, 32}, o));
    o.conf_threshold = -0.5;
    PA_CHECK_THROWS(decode_yolov8({tensor(d, {1, 84, 10})}, 80, 0, {8, 16, 32}, o));
    o.conf_threshold = std::nan("");
    PA_CHECK_THROWS(decode_yolox({tensor(d, {1, 10, 85})}, 80, {8}, o));
    BoxMapping m;
    m.scale_x = 0;
    float box[4] = {0, 0, 1, 1};
    PA_CHECK_THROWS(map_boxes(box, 1, m));
    Candidates broken;
    broken.scores = {0.5f};
    PA_CHECK_THROWS(detections(broken, 0.5, false, -1));
}

PA_TEST(fuzz_garbage_never_crashes) {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> pick(0, 9);
    std::normal_distribution<float> normal(0.0f, 30.0f);
    auto value = [&]() {
        switch (pick(rng)) {
            case 0: return kNaN;
            case 1: return kInf;
            case 2: return -kInf;
            case 3: return 3e38f;
            default: return normal(rng);
        }
    };
    for (int trial = 0; trial < 60; ++trial) {
        const int nc = 1 + trial % 4;
        std::vector<float> single((4 * 16 + nc) * 84);
        for (float& v : single) v = value();
        std::vector<float> heads[3];
        const int g[3] = {8, 4, 2};
        for (int l = 0; l < 3; ++l) {
            heads[l].resize(static_cast<std::size_t>(3 * (5 + nc) * g[l] * g[l]));
            for (float& v : heads[l]) v = value();
        }
        DecodeOptions o;
        o.conf_threshold = trial % 2 ? 0.0 : 0.25;
        o.pre_nms_topk = trial % 3;
        BoxMapping m;
        m.scale_x = 0.5;
        m.scale_y = 0.25;
        m.src_width = 100;
        m.src_height = 50;
        const Candidates a = decode_yolov8({tensor(single, {1, 4 * 16 + nc, 84})}, nc, 16, {8, 16, 32}, o);
        const std::vector<float> da = detections(a, 0.5, trial % 2 == 0, 50, &m);
        for (float v : da) PA_CHECK(std::isfinite(v));
        const Candidates t = decode_yolov8({tensor(single, {1, 84, 4 * 16 + nc})}, nc, 16, {8, 16, 32}, o);
        PA_CHECK(t.stats.anchors == 84);
        const std::vector<double> anc = {10, 13, 16, 30, 33, 23};
        const Candidates b = decode_yolov5({tensor(heads[0], {1, 3 * (5 + nc), 8, 8}), tensor(heads[1], {1, 3, 4, 4, 5 + nc}),
                                            tensor(heads[2], {1, 3 * (5 + nc), 2, 2})},
                                           nc, {anc, anc, anc}, {8, 16, 32}, trial % 2 == 0, o);
        const std::vector<float> db = detections(b, 0.45, false, -1, &m);
        for (float v : db) PA_CHECK(std::isfinite(v));
        std::vector<float> xr(84 * (5 + nc));
        for (float& v : xr) v = value();
        const Candidates x = decode_yolox({tensor(xr, {1, 84, 5 + nc})}, nc, {8, 16, 32}, o);
        PA_CHECK(x.stats.anchors == 84);
        std::vector<int32_t> mask(8 * 8);
        segment_argmax(heads[0].data(), 3 * (5 + nc), 8, 8, trial % 2 == 0, mask.data());
        std::vector<float> probs(single.size());
        softmax(single.data(), static_cast<int64_t>(single.size()), probs.data());
        for (float p : probs) PA_CHECK(p >= 0.0f && p <= 1.0f);
    }
}

int main() { return pyalign_test::run_all(); }

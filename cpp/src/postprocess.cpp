// pyalign — postprocessing: the detection decoders (see include/pyalign/postprocess.hpp for the
// conventions). Classification and segmentation are in classify.cpp, NMS and box mapping in nms.cpp.
#include "pyalign/postprocess.hpp"

#include "postprocess_util.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>

namespace pyalign {

using detail::check_threshold;
using detail::finite;
using detail::narrow;

namespace {

std::string shape_str(const std::vector<int64_t>& shape) {
    std::ostringstream os;
    os << '[';
    for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
    os << ']';
    return os.str();
}

std::string output_name(std::size_t i) { return "outputs[" + std::to_string(i) + "]"; }

void check_tensor(const FloatTensor& t, const std::string& name) {
    for (int64_t d : t.shape)
        if (d < 0) throw Error(name + ": negative dimension in shape " + shape_str(t.shape));
    if (t.data == nullptr && t.numel() > 0) throw Error(name + ": null data");
}

void check_strides(const std::vector<int>& strides) {
    if (strides.empty()) throw Error("strides must be a non-empty list of positive integers");
    for (int s : strides)
        if (s < 1) throw Error("strides must be positive integers, got " + std::to_string(s));
}

void check_common(int num_classes, const DecodeOptions& o) {
    if (num_classes < 1 || num_classes > (1 << 24))
        throw Error("num_classes must be in [1, 16777216], got " + std::to_string(num_classes));
    check_threshold("conf_threshold", o.conf_threshold);
    if (o.pre_nms_topk < 0) throw Error("pre_nms_topk must be >= 1 (or 0 for no limit)");
    if (o.input_width < 0 || o.input_height < 0) throw Error("input size must be positive");
}

/// The shape without a leading batch of 1: accepts ndim+1 dims with batch 1, or ndim dims.
std::vector<int64_t> drop_batch(const FloatTensor& t, std::size_t ndim, const std::string& name) {
    if (t.shape.size() == ndim + 1) {
        if (t.shape[0] != 1)
            throw Error(name + ": batch size " + std::to_string(t.shape[0]) + " is not supported (expected 1), shape " +
                        shape_str(t.shape));
        return std::vector<int64_t>(t.shape.begin() + 1, t.shape.end());
    }
    if (t.shape.size() == ndim) return t.shape;
    throw Error(name + ": expected " + std::to_string(ndim + 1) + " dimensions [1, ...], got shape " + shape_str(t.shape));
}

inline float sigmoid(float x) { return narrow(1.0 / (1.0 + std::exp(-static_cast<double>(x)))); }

/// One block of cells of a level: anchor points with their channels at base + c * ch_stride
/// + cell * cell_stride.
struct Block {
    const float* base;
    int64_t ch_stride;
    int64_t cell_stride;
};

constexpr int64_t kBlock = 2048;

/// Scans channels [first, first + count) of cells [cell0, cell0 + n): best[j] receives the
/// maximum, from[j] a channel at or before its first occurrence (relative to first; the
/// first occurrence is at most 3 channels later), bad[j] whether any value is NaN or +-Inf.
/// Branch-free so that it vectorises: a non-finite v makes v * 0 NaN, which sticks in the
/// accumulator. The exact argmax is found afterwards for the few candidates (first_index);
/// tracking it here, row by row, would double the cost of the scan.
void scan_channels(const Block& b, int64_t cell0, int64_t n, int first, int count, float* __restrict best,
                   int32_t* __restrict from, unsigned char* __restrict bad) {
    const float* p0 = b.base + first * b.ch_stride + cell0 * b.cell_stride;
    float acc[kBlock];
    if (b.cell_stride == 1) {
        for (int64_t j = 0; j < n; ++j) {
            const float v = p0[j];
            best[j] = v;
            from[j] = 0;
            acc[j] = v * 0.0f;
        }
        // Four rows per pass: best and acc go through the registers once per four rows, and
        // from[j] records the group of four in which the maximum last grew.
        int32_t c = 1;
        for (; c + 3 < count; c += 4) {
            const float* __restrict p = p0 + c * b.ch_stride;
            const float* __restrict q = p + b.ch_stride;
            const float* __restrict r = q + b.ch_stride;
            const float* __restrict t = r + b.ch_stride;
            for (int64_t j = 0; j < n; ++j) {
                const float v0 = p[j], v1 = q[j], v2 = r[j], v3 = t[j];
                acc[j] += ((v0 * 0.0f + v1 * 0.0f) + (v2 * 0.0f + v3 * 0.0f));
                const float old = best[j];
                float m = old;
                m = v0 > m ? v0 : m;
                m = v1 > m ? v1 : m;
                m = v2 > m ? v2 : m;
                m = v3 > m ? v3 : m;
                best[j] = m;
                const int32_t grew = -static_cast<int32_t>(m > old);
                from[j] = (from[j] & ~grew) | (c & grew);
            }
        }
        for (; c < count; ++c) {
            const float* __restrict p = p0 + c * b.ch_stride;
            for (int64_t j = 0; j < n; ++j) {
                const float v = p[j];
                const float old = best[j];
                acc[j] += v * 0.0f;
                best[j] = v > old ? v : old;
                const int32_t grew = -static_cast<int32_t>(v > old);
                from[j] = (from[j] & ~grew) | (c & grew);
            }
        }
    } else {
        for (int64_t j = 0; j < n; ++j) {
            const float* __restrict q = p0 + j * b.cell_stride;
            float m = q[0];
            float a = q[0] * 0.0f;
            int32_t k = 0;
            for (int32_t c = 1; c < count; ++c) {
                const float v = q[c * b.ch_stride];
                a += v * 0.0f;
                k = v > m ? c : k;
                m = v > m ? v : m;
            }
            best[j] = m;
            from[j] = k;
            acc[j] = a;
        }
    }
    for (int64_t j = 0; j < n; ++j) bad[j] = acc[j] == 0.0f ? 0 : 1;
}

/// For the cells cells[0..m) of a block (indices relative to cell0), the first channel in
/// [first, first + count) whose value equals best[cells[k]] (numpy's argmax when best is the
/// maximum), searching from from[cells[k]].
void first_index(const Block& b, int64_t cell0, int first, int count, const int32_t* cells, int64_t m,
                 const float* best, const int32_t* from, int32_t* out) {
    for (int64_t k = 0; k < m; ++k) {
        const float* p = b.base + first * b.ch_stride + (cell0 + cells[k]) * b.cell_stride;
        const float v = best[cells[k]];
        int32_t c = from[cells[k]];
        while (c + 1 < count && !(p[c * b.ch_stride] == v)) ++c;
        out[k] = c;
    }
}

/// Accumulates candidates in anchor order, then orders and truncates them.
class Collector {
public:
    explicit Collector(const DecodeOptions& o) : options_(o) {
        out_.boxes.reserve(4 * 1024);
        out_.scores.reserve(1024);
        out_.classes.reserve(1024);
    }

    bool passes(float score) const { return static_cast<double>(score) > options_.conf_threshold; }

    void add(double x1, double y1, double x2, double y2, float score, int64_t cls) {
        if (out_.scores.size() >= static_cast<std::size_t>(UINT32_MAX)) throw Error("too many candidates");
        const float b[4] = {narrow(x1), narrow(y1), narrow(x2), narrow(y2)};
        if (!(finite(b[0]) && finite(b[1]) && finite(b[2]) && finite(b[3]))) {
            ++out_.stats.nonfinite_boxes;
            return;
        }
        out_.boxes.insert(out_.boxes.end(), b, b + 4);
        out_.scores.push_back(score);
        out_.classes.push_back(cls);
    }

    DetectStats& stats() { return out_.stats; }

    Candidates finish() {
        const std::size_t n = out_.scores.size();
        out_.stats.candidates = static_cast<int64_t>(n);
        // Score descending, ties by the lower anchor (= insertion) index. Candidate scores
        // passed score > conf_threshold >= 0, so they are positive and their bit patterns order
        // like their values: a stable LSD radix sort on the complemented bits gives the order.
        std::vector<uint32_t> order(n), tmp(n), keys(n), tmp_keys(n);
        for (std::size_t i = 0; i < n; ++i) {
            uint32_t bits;
            std::memcpy(&bits, &out_.scores[i], sizeof bits);
            keys[i] = ~bits;
            order[i] = static_cast<uint32_t>(i);
        }
        for (int shift = 0; shift < 32; shift += 8) {
            std::size_t count[257] = {0};
            for (std::size_t i = 0; i < n; ++i) ++count[((keys[i] >> shift) & 0xFFu) + 1];
            for (int d = 0; d < 256; ++d) count[d + 1] += count[d];
            for (std::size_t i = 0; i < n; ++i) {
                const std::size_t dst = count[(keys[i] >> shift) & 0xFFu]++;
                tmp[dst] = order[i];
                tmp_keys[dst] = keys[i];
            }
            order.swap(tmp);
            keys.swap(tmp_keys);
        }
        std::size_t m = n;
        if (options_.pre_nms_topk > 0 && static_cast<uint64_t>(options_.pre_nms_topk) < m)
            m = static_cast<std::size_t>(options_.pre_nms_topk);
        Candidates c;
        c.stats = out_.stats;
        c.stats.after_topk = static_cast<int64_t>(m);
        c.boxes.resize(4 * m);
        c.scores.resize(m);
        c.classes.resize(m);
        for (std::size_t i = 0; i < m; ++i) {
            const std::size_t k = order[i];
            std::copy(out_.boxes.begin() + 4 * k, out_.boxes.begin() + 4 * k + 4, c.boxes.begin() + 4 * i);
            c.scores[i] = out_.scores[k];
            c.classes[i] = out_.classes[k];
        }
        return c;
    }

private:
    DecodeOptions options_;
    Candidates out_;
};

/// Softmax-expectation of reg_max DFL bins at p[i * step] (double, sequential sums).
double dfl_distance(const float* p, int64_t step, int reg_max) {
    double m = static_cast<double>(p[0]);
    for (int i = 1; i < reg_max; ++i) m = std::max(m, static_cast<double>(p[i * step]));
    double den = std::exp(static_cast<double>(p[0]) - m);
    double num = 0.0;
    for (int i = 1; i < reg_max; ++i) {
        const double e = std::exp(static_cast<double>(p[i * step]) - m);
        den = den + e;
        num = num + static_cast<double>(i) * e;
    }
    return num / den;
}

}  // namespace

int64_t FloatTensor::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

// ----------------------------------------------------------------------------- grids

std::vector<std::pair<int64_t, int64_t>> grid_shapes(int64_t num_anchors, const std::vector<int>& strides,
                                                     int input_width, int input_height) {
    check_strides(strides);
    if (num_anchors < 0) throw Error("negative number of anchors");
    std::vector<std::pair<int64_t, int64_t>> shapes;
    auto total = [&shapes]() {
        int64_t t = 0;
        for (const auto& s : shapes) t += s.first * s.second;
        return t;
    };
    if (input_width > 0 && input_height > 0) {
        for (int s : strides) {
            const int64_t s64 = s;
            shapes.emplace_back((input_height + s64 - 1) / s64, (input_width + s64 - 1) / s64);
        }
        if (total() != num_anchors) {
            std::ostringstream os;
            os << num_anchors << " anchors do not match input size " << input_width << "x" << input_height
               << " with the given strides";
            throw Error(os.str());
        }
        return shapes;
    }
    if (input_width != 0 || input_height != 0) throw Error("input size must give both width and height");
    double density = 0.0;
    int max_stride = 1;
    for (int s : strides) {
        density += 1.0 / (static_cast<double>(s) * static_cast<double>(s));
        max_stride = std::max(max_stride, s);
    }
    const double root = num_anchors > 0 ? std::sqrt(static_cast<double>(num_anchors) / density) : 0.0;
    if (!(root < 1e12))
        throw Error("cannot infer the grids: " + std::to_string(num_anchors) + " anchors is too many; give input_size");
    const int64_t estimate = static_cast<int64_t>(std::nearbyint(root));
    const int64_t span = std::min<int64_t>(2 * static_cast<int64_t>(max_stride), 1024);
    for (int64_t side = std::max<int64_t>(1, estimate - span); side <= estimate + span; ++side) {
        shapes.clear();
        for (int s : strides) shapes.emplace_back((side + s - 1) / s, (side + s - 1) / s);
        if (total() == num_anchors) return shapes;
    }
    throw Error("cannot infer the grids: " + std::to_string(num_anchors) +
                " anchors do not match a square input with the given strides; give input_size");
}

// ----------------------------------------------------------------------------- YOLOv8

Candidates decode_yolov8(const std::vector<FloatTensor>& outputs, int num_classes, int reg_max,
                         const std::vector<int>& strides, const DecodeOptions& options, Activation activation) {
    check_common(num_classes, options);
    check_strides(strides);
    if (reg_max < 0 || reg_max > 1024) throw Error("reg_max must be in [0, 1024], got " + std::to_string(reg_max));
    if (outputs.empty()) throw Error("outputs is empty");
    for (std::size_t i = 0; i < outputs.size(); ++i) check_tensor(outputs[i], output_name(i));
    const int nbox = reg_max > 0 ? 4 * reg_max : 4;
    const int64_t channels = static_cast<int64_t>(nbox) + num_classes;

    struct Level {
        Block block;
        int64_t gh, gw;
        double stride;
    };
    std::vector<Level> levels;
    bool decoded = false;  // [cx, cy, w, h] pixels, no grid
    bool probabilities;
    if (outputs.size() == 1 && (outputs[0].shape.size() == 2 || outputs[0].shape.size() == 3)) {
        const std::vector<int64_t> s = drop_batch(outputs[0], 2, "outputs[0]");
        int64_t anchors;
        int64_t ch_stride, cell_stride;
        if (s[0] == channels) {
            anchors = s[1];
            ch_stride = anchors;
            cell_stride = 1;
        } else if (s[1] == channels) {
            anchors = s[0];
            ch_stride = 1;
            cell_stride = channels;
        } else {
            throw Error("outputs[0]: expected [1, " + std::to_string(channels) + ", anchors] (" +
                        (reg_max ? "4*" + std::to_string(reg_max) : std::string("4")) + " box + " +
                        std::to_string(num_classes) + " classes), got shape " + shape_str(outputs[0].shape));
        }
        probabilities = activation != Activation::Logits;
        if (reg_max == 0) {
            decoded = true;
            levels.push_back({{outputs[0].data, ch_stride, cell_stride}, 1, anchors, 1.0});
        } else {
            const auto shapes = grid_shapes(anchors, strides, options.input_width, options.input_height);
            int64_t offset = 0;
            for (std::size_t l = 0; l < shapes.size(); ++l) {
                levels.push_back({{outputs[0].data + offset * cell_stride, ch_stride, cell_stride}, shapes[l].first,
                                  shapes[l].second, static_cast<double>(strides[l])});
                offset += shapes[l].first * shapes[l].second;
            }
        }
    } else {
        if (outputs.size() != strides.size()) {
            std::string shapes;
            for (const FloatTensor& t : outputs) shapes += (shapes.empty() ? "" : ", ") + shape_str(t.shape);
            throw Error("expected one output [1, " + std::to_string(channels) + ", anchors] or one output per stride (" +
                        std::to_string(strides.size()) + "), got " + std::to_string(outputs.size()) +
                        " output(s) shaped " + shapes);
        }
        for (std::size_t i = 0; i < outputs.size(); ++i) {
            const std::vector<int64_t> s = drop_batch(outputs[i], 3, output_name(i));
            if (s[0] == channels) {
                levels.push_back({{outputs[i].data, s[1] * s[2], 1}, s[1], s[2], static_cast<double>(strides[i])});
            } else if (s[2] == channels) {
                levels.push_back({{outputs[i].data, 1, channels}, s[0], s[1], static_cast<double>(strides[i])});
            } else {
                throw Error(output_name(i) + ": expected [1, " + std::to_string(channels) + ", H, W] or [1, H, W, " +
                            std::to_string(channels) + "], got shape " + shape_str(outputs[i].shape));
            }
        }
        probabilities = activation == Activation::Probabilities;
    }

    Collector col(options);
    std::vector<float> best(kBlock);
    std::vector<unsigned char> bad(kBlock);
    std::vector<int32_t> cells(kBlock), idx(kBlock), from(kBlock);
    std::vector<float> scores(kBlock);
    for (const Level& lv : levels) {
        const int64_t count = lv.gh * lv.gw;
        const int64_t cs = lv.block.ch_stride;
        col.stats().anchors += count;
        for (int64_t c0 = 0; c0 < count; c0 += kBlock) {
            const int64_t n = std::min(kBlock, count - c0);
            scan_channels(lv.block, c0, n, nbox, num_classes, best.data(), from.data(), bad.data());
            int64_t m = 0;
            for (int64_t j = 0; j < n; ++j) {
                if (bad[j]) {
                    ++col.stats().nonfinite_scores;
                    continue;
                }
                // sigmoid is monotonic: the best probability is sigmoid(best logit)
                const float score = probabilities ? best[j] : sigmoid(best[j]);
                if (!col.passes(score)) continue;
                cells[m] = static_cast<int32_t>(j);
                scores[m] = score;
                ++m;
            }
            if (m == 0) continue;
            first_index(lv.block, c0, nbox, num_classes, cells.data(), m, best.data(), from.data(), idx.data());
            for (int64_t k = 0; k < m; ++k) {
                const int64_t cell_index = c0 + cells[k];
                const float* cell = lv.block.base + cell_index * lv.block.cell_stride;
                const float score = scores[k];
                int64_t cls = idx[k];
                if (!probabilities) {
                    // numpy's argmax over the rounded probabilities: an earlier class may round to
                    // the same probability as the best logit
                    for (int c = 0; c < idx[k]; ++c) {
                        if (sigmoid(cell[(nbox + c) * cs]) == score) {
                            cls = c;
                            break;
                        }
                    }
                }
                double x1, y1, x2, y2;
                if (decoded) {
                    const double cx = cell[0], cy = cell[cs], w = cell[2 * cs], h = cell[3 * cs];
                    x1 = cx - w / 2.0;
                    y1 = cy - h / 2.0;
                    x2 = cx + w / 2.0;
                    y2 = cy + h / 2.0;
                } else {
                    const double ax = static_cast<double>(cell_index % lv.gw) + 0.5;
                    const double ay = static_cast<double>(cell_index / lv.gw) + 0.5;
                    double d[4];
                    for (int s = 0; s < 4; ++s)
                        d[s] = reg_max > 0 ? dfl_distance(cell + static_cast<int64_t>(s) * reg_max * cs, cs, reg_max)
                                           : static_cast<double>(cell[s * cs]);
                    x1 = (ax - d[0]) * lv.stride;
                    y1 = (ay - d[1]) * lv.stride;
                    x2 = (ax + d[2]) * lv.stride;
                    y2 = (ay + d[3]) * lv.stride;
                }
                col.add(x1, y1, x2, y2, score, cls);
            }
        }
    }
    return col.finish();
}

// ----------------------------------------------------------------------------- YOLOv5 / YOLOX

namespace {

/// Best float32 obj * cls product over the classes at cell (first index on ties).
inline void best_product(const float* cell, int64_t cs, int num_classes, float* score, int64_t* cls) {
    const float obj = cell[4 * cs];
    float b = cell[5 * cs] * obj;
    int64_t bi = 0;
    for (int c = 1; c < num_classes; ++c) {
        const float v = cell[(5 + c) * cs] * obj;
        if (v > b) {
            b = v;
            bi = c;
        }
    }
    *score = b;
    *cls = bi;
}

/// A cell's box as centre and size, in input pixels.
struct CenterBox {
    double cx, cy, w, h;
};

/// Scans `cells` row-major cells of 5 + num_classes channels at base (box, then activated
/// objectness and class scores): a cell whose inputs are finite and whose best obj * cls
/// product passes the threshold goes to col with the box decode(cell, index) returns.
template <class Decode>
void collect_products(Collector& col, const float* base, int64_t cells, int num_classes, Decode decode) {
    const int64_t no = 5 + static_cast<int64_t>(num_classes);
    const Block b{base, 1, no};
    std::vector<float> dummy(kBlock);
    std::vector<int32_t> from(kBlock);
    std::vector<unsigned char> bad(kBlock);
    col.stats().anchors += cells;
    for (int64_t c0 = 0; c0 < cells; c0 += kBlock) {
        const int64_t n = std::min(kBlock, cells - c0);
        scan_channels(b, c0, n, 4, num_classes + 1, dummy.data(), from.data(), bad.data());
        for (int64_t j = 0; j < n; ++j) {
            if (bad[j]) {
                ++col.stats().nonfinite_scores;
                continue;
            }
            const float* cell = b.base + (c0 + j) * no;
            float score;
            int64_t cls;
            best_product(cell, 1, num_classes, &score, &cls);
            if (!finite(score)) {  // obj * cls overflowed
                ++col.stats().nonfinite_scores;
                continue;
            }
            if (!col.passes(score)) continue;
            const CenterBox r = decode(cell, c0 + j);
            col.add(r.cx - r.w / 2.0, r.cy - r.h / 2.0, r.cx + r.w / 2.0, r.cy + r.h / 2.0, score, cls);
        }
    }
}

}  // namespace

Candidates decode_yolov5(const std::vector<FloatTensor>& outputs, int num_classes,
                         const std::vector<std::vector<double>>& anchors, const std::vector<int>& strides,
                         bool activated, const DecodeOptions& options) {
    check_common(num_classes, options);
    check_strides(strides);
    if (anchors.size() != strides.size())
        throw Error("anchors must hold one list per stride (" + std::to_string(strides.size()) + "), got " +
                    std::to_string(anchors.size()));
    for (std::size_t i = 0; i < anchors.size(); ++i) {
        if (anchors[i].empty() || anchors[i].size() % 2)
            throw Error("anchors[" + std::to_string(i) + "] must be [w0, h0, w1, h1, ...]");
        for (double v : anchors[i])
            if (!(std::isfinite(v) && v > 0))
                throw Error("anchors[" + std::to_string(i) + "] must hold finite positive sizes");
    }
    if (outputs.empty()) throw Error("outputs is empty");
    for (std::size_t i = 0; i < outputs.size(); ++i) check_tensor(outputs[i], output_name(i));
    const int64_t no = 5 + static_cast<int64_t>(num_classes);
    Collector col(options);

    if (outputs.size() == 1 && (outputs[0].shape.size() == 2 || outputs[0].shape.size() == 3)) {
        const std::vector<int64_t> s = drop_batch(outputs[0], 2, "outputs[0]");
        if (s[1] != no)
            throw Error("outputs[0]: expected [1, N, " + std::to_string(no) + "] (5 + " + std::to_string(num_classes) +
                        " classes), got shape " + shape_str(outputs[0].shape));
        collect_products(col, outputs[0].data, s[0], num_classes,
                         [](const float* cell, int64_t) { return CenterBox{cell[0], cell[1], cell[2], cell[3]}; });
        return col.finish();
    }

    if (outputs.size() != strides.size())
        throw Error("expected one output per stride (" + std::to_string(strides.size()) + "), got " +
                    std::to_string(outputs.size()));
    std::vector<float> best(kBlock);
    std::vector<int32_t> from(kBlock);
    std::vector<unsigned char> bad(kBlock);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        const int64_t na = static_cast<int64_t>(anchors[i].size() / 2);
        int64_t gh, gw, ch_stride, cell_stride, slot_stride;
        if (outputs[i].shape.size() == 5) {
            const std::vector<int64_t> s = drop_batch(outputs[i], 4, output_name(i));
            if (s[0] != na || s[3] != no)
                throw Error(output_name(i) + ": expected [1, " + std::to_string(na) + ", H, W, " + std::to_string(no) +
                            "], got shape " + shape_str(outputs[i].shape));
            gh = s[1];
            gw = s[2];
            ch_stride = 1;
            cell_stride = no;
            slot_stride = gh * gw * no;
        } else {
            const std::vector<int64_t> s = drop_batch(outputs[i], 3, output_name(i));
            if (s[0] != na * no)
                throw Error(output_name(i) + ": expected [1, " + std::to_string(na * no) + ", H, W] (" +
                            std::to_string(na) + " anchors x " + std::to_string(no) + ") or [1, " + std::to_string(na) +
                            ", H, W, " + std::to_string(no) + "], got shape " + shape_str(outputs[i].shape));
            gh = s[1];
            gw = s[2];
            ch_stride = gh * gw;
            cell_stride = 1;
            slot_stride = no * gh * gw;
        }
        const double stride = strides[i];
        const int64_t cells = gh * gw;
        for (int64_t a = 0; a < na; ++a) {
            const Block b{outputs[i].data + a * slot_stride, ch_stride, cell_stride};
            const double aw = anchors[i][2 * a], ah = anchors[i][2 * a + 1];
            col.stats().anchors += cells;
            for (int64_t c0 = 0; c0 < cells; c0 += kBlock) {
                const int64_t n = std::min(kBlock, cells - c0);
                scan_channels(b, c0, n, 5, num_classes, best.data(), from.data(), bad.data());
                for (int64_t j = 0; j < n; ++j) {
                    const float* cell = b.base + (c0 + j) * cell_stride;
                    if (bad[j] || !finite(cell[4 * ch_stride])) {
                        ++col.stats().nonfinite_scores;
                        continue;
                    }
                    float score;
                    int64_t cls;
                    float p[4];
                    if (activated) {
                        best_product(cell, ch_stride, num_classes, &score, &cls);
                        if (!finite(score)) {  // obj * cls overflowed
                            ++col.stats().nonfinite_scores;
                            continue;
                        }
                        if (!col.passes(score)) continue;
                        for (int k = 0; k < 4; ++k) p[k] = cell[k * ch_stride];
                    } else {
                        const float obj = sigmoid(cell[4 * ch_stride]);
                        if (!col.passes(obj)) continue;  // obj * cls <= obj
                        score = obj * sigmoid(best[j]);
                        if (!col.passes(score)) continue;
                        // numpy's argmax over the float products: the first class whose rounded
                        // product equals the best (the best logit's class at the latest)
                        cls = 0;
                        for (int c = 0; c < num_classes; ++c) {
                            const float v = cell[(5 + c) * ch_stride];
                            if (v == best[j] || obj * sigmoid(v) == score) {
                                cls = c;
                                break;
                            }
                        }
                        for (int k = 0; k < 4; ++k) p[k] = sigmoid(cell[k * ch_stride]);
                    }
                    const int64_t ci = c0 + j;
                    const double gx = static_cast<double>(ci % gw), gy = static_cast<double>(ci / gw);
                    const double cx = (static_cast<double>(p[0]) * 2.0 - 0.5 + gx) * stride;
                    const double cy = (static_cast<double>(p[1]) * 2.0 - 0.5 + gy) * stride;
                    const double tw = static_cast<double>(p[2]) * 2.0, th = static_cast<double>(p[3]) * 2.0;
                    const double w = tw * tw * aw, h = th * th * ah;
                    col.add(cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0, score, cls);
                }
            }
        }
    }
    return col.finish();
}

Candidates decode_yolox(const std::vector<FloatTensor>& outputs, int num_classes, const std::vector<int>& strides,
                        const DecodeOptions& options) {
    check_common(num_classes, options);
    check_strides(strides);
    if (outputs.size() != 1)
        throw Error("yolox: expected one output [1, anchors, " + std::to_string(5 + num_classes) + "], got " +
                    std::to_string(outputs.size()));
    check_tensor(outputs[0], "outputs[0]");
    const int64_t no = 5 + static_cast<int64_t>(num_classes);
    const std::vector<int64_t> s = drop_batch(outputs[0], 2, "outputs[0]");
    if (s[1] != no)
        throw Error("outputs[0]: expected [1, anchors, " + std::to_string(no) + "] (5 + " + std::to_string(num_classes) +
                    " classes), got shape " + shape_str(outputs[0].shape));
    const auto shapes = grid_shapes(s[0], strides, options.input_width, options.input_height);
    Collector col(options);
    int64_t offset = 0;
    for (std::size_t l = 0; l < shapes.size(); ++l) {
        const int64_t gw = shapes[l].second;
        const int64_t cells = shapes[l].first * gw;
        const double stride = strides[l];
        const auto decode = [gw, stride](const float* cell, int64_t ci) {
            const double gx = static_cast<double>(ci % gw), gy = static_cast<double>(ci / gw);
            return CenterBox{(static_cast<double>(cell[0]) + gx) * stride, (static_cast<double>(cell[1]) + gy) * stride,
                             std::exp(static_cast<double>(cell[2])) * stride,
                             std::exp(static_cast<double>(cell[3])) * stride};
        };
        collect_products(col, outputs[0].data + offset * no, cells, num_classes, decode);
        offset += cells;
    }
    return col.finish();
}

}  // namespace pyalign

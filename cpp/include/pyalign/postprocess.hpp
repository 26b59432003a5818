// pyalign — postprocessing: classification, YOLOv5 / YOLOv8 / YOLOX decoding, NMS, box
// mapping and segmentation argmax, with the same conventions as the numpy reference
// (pyalign/reference/postprocess.py, documented in docs/postprocessing.md):
//
//  * activations (sigmoid, exp, softmax, DFL) are evaluated in double and rounded once to
//    float; obj * cls is a float product;
//  * a score passes when (double)score > conf_threshold (strictly);
//  * candidates are ordered by score descending, ties by the lower anchor index;
//  * NMS has torchvision semantics (greedy, IoU in float without +1, suppress IoU > thr
//    strictly), per class unless class-agnostic;
//  * anchors whose score inputs are NaN/Inf, or whose score overflows, are dropped and
//    counted (nonfinite_scores);
//    candidates whose decoded box is not finite are dropped and counted (nonfinite_boxes).
//
// Every function validates its arguments and throws pyalign::Error; nothing aborts.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "pyalign/common.hpp"

namespace pyalign {

/// A non-owning view of a C-contiguous float tensor (one model output).
struct FloatTensor {
    const float* data = nullptr;
    std::vector<int64_t> shape;

    /// Number of elements (product of the shape).
    int64_t numel() const;
};

/// Counts reported by the decoders.
struct DetectStats {
    int64_t anchors = 0;           ///< anchor points (or anchor boxes) examined
    int64_t nonfinite_scores = 0;  ///< anchors dropped: NaN/Inf among their score inputs
    int64_t nonfinite_boxes = 0;   ///< candidates dropped: decoded box not finite
    int64_t candidates = 0;        ///< finite candidates above the confidence threshold
    int64_t after_topk = 0;        ///< candidates left after pre_nms_topk
};

/// Decoded candidates before NMS, score-descending (ties by the lower anchor index).
struct Candidates {
    std::vector<float> boxes;      ///< 4 per candidate: x1, y1, x2, y2 in model-input pixels
    std::vector<float> scores;     ///< one per candidate
    std::vector<int64_t> classes;  ///< one per candidate
    DetectStats stats;

    std::size_t size() const { return scores.size(); }
};

/// Options shared by the decoders.
struct DecodeOptions {
    double conf_threshold = 0.25;  ///< keep score > conf_threshold; must be finite and >= 0
    int64_t pre_nms_topk = 0;      ///< keep at most this many candidates; 0 = no limit
    int input_width = 0;           ///< model input size, to lay out concatenated grids;
    int input_height = 0;          ///< 0 = assume a square input
};

/// How YOLOv8 class scores arrive.
enum class Activation {
    Auto,           ///< probabilities for one concatenated output, logits for per-stride outputs
    Logits,         ///< apply a sigmoid
    Probabilities,  ///< use as they are
};

/// Letterbox / resize geometry for mapping boxes back to the original image.
struct BoxMapping {
    double scale_x = 1.0, scale_y = 1.0;  ///< resized / original, per axis (> 0)
    double pad_left = 0.0, pad_top = 0.0;
    double src_width = 0.0, src_height = 0.0;  ///< clip range [0, W] x [0, H]
};

/// Softmax of n logits into out (may alias). Non-finite logits get 0 and are left out.
void softmax(const float* logits, int64_t n, float* out);

/// Indices of the k largest finite scores, descending, ties by the lower index.
std::vector<int64_t> topk(const float* scores, int64_t n, int64_t k);

/// Classification result: rows (class_id, probability), 2 floats each, at most k rows.
/// nonfinite (optional) receives the number of non-finite logits, which are never listed.
std::vector<float> classify(const float* logits, int64_t n, int64_t k, bool apply_softmax,
                            int64_t* nonfinite = nullptr);

/// Per-pixel argmax over `classes` (NCHW: [C, H, W]; NHWC: [H, W, C]) into out[H*W].
/// NaN counts as -Inf; an all-NaN pixel gets -1. Returns the number of all-NaN pixels.
int64_t segment_argmax(const float* logits, int64_t classes, int64_t height, int64_t width,
                       bool nhwc, int32_t* out);

/// (grid_h, grid_w) of each level of a concatenated anchor-free output: ceil(size / stride)
/// from the input size, or, with input_width/height 0, the smallest square input that fits.
std::vector<std::pair<int64_t, int64_t>> grid_shapes(int64_t num_anchors, const std::vector<int>& strides,
                                                     int input_width = 0, int input_height = 0);

/// YOLOv8 / YOLO11. Outputs: one [1, 4+nc, A] (reg_max 0: cx, cy, w, h pixels) or
/// [1, 4*reg_max+nc, A] (DFL logits), possibly transposed [1, A, C]; or one per stride
/// [1, C, H, W] / [1, H, W, C] (reg_max 0: l, t, r, b in grid units).
Candidates decode_yolov8(const std::vector<FloatTensor>& outputs, int num_classes, int reg_max,
                         const std::vector<int>& strides, const DecodeOptions& options,
                         Activation activation = Activation::Auto);

/// YOLOv5. Outputs: one per stride, [1, na*(5+nc), H, W] or [1, na, H, W, 5+nc] (logits unless
/// activated); or one decoded [1, N, 5+nc] (the ultralytics export). anchors: per stride
/// {w0, h0, w1, h1, ...} in input pixels.
Candidates decode_yolov5(const std::vector<FloatTensor>& outputs, int num_classes,
                         const std::vector<std::vector<double>>& anchors, const std::vector<int>& strides,
                         bool activated, const DecodeOptions& options);

/// YOLOX: one [1, A, 5+nc] output, raw box regression, activated obj / cls.
Candidates decode_yolox(const std::vector<FloatTensor>& outputs, int num_classes, const std::vector<int>& strides,
                        const DecodeOptions& options);

/// Greedy NMS with torchvision semantics over n boxes (x1, y1, x2, y2). classes (optional):
/// class-aware. max_det < 0: no limit. Boxes with a non-finite score or coordinate are never
/// kept. Returns kept indices, score-descending.
std::vector<int64_t> nms(const float* boxes, const float* scores, int64_t n, double iou_threshold,
                         const int64_t* classes = nullptr, int64_t max_det = -1);

/// Maps n boxes in place from model-input pixels to the original image, clipped.
void map_boxes(float* boxes, int64_t n, const BoxMapping& mapping);

/// NMS + max_det + optional mapping: detections as rows of 6 floats
/// (x1, y1, x2, y2, score, class), score-descending.
std::vector<float> detections(const Candidates& candidates, double iou_threshold, bool class_agnostic,
                              int64_t max_det, const BoxMapping* mapping = nullptr);

}  // namespace pyalign

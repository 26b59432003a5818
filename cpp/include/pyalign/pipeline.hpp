// pyalign — the fused preprocessing pipeline: raw input -> model input tensor in one pass.
//
// Executes a spec's preprocess ops (csc, resize | letterbox, swap_rb, normalize, layout; in that
// order, each at most once) without full-size intermediates: source rows are produced on demand
// (YUV rows converted by YuvRowConverter, BGR/RGB/GRAY rows read in place), streamed through the
// OpenCV-exact LinearResizeU8 (or a nearest-neighbour row mapper), padded for letterbox, and each
// destination row is written straight into the final tensor by RowWriter (swap, normalize, layout).
// YUV rows are converted only where the resize reads them with a non-zero weight: skipped rows,
// and for a downscale keeping at most 40% of the columns only those columns
// (LinearResizeU8::compact_columns + YuvRowConverter::convert_columns); a YUV frame halved in both
// axes is converted and averaged in one step (YuvRowConverter::convert_area2_row).
// The result equals running the ops one by one (cv2.cvtColor, cv2.resize, cv2.copyMakeBorder,
// numpy swap / (x - mean) / std / transpose) bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pyalign/common.hpp"
#include "pyalign/csc.hpp"
#include "pyalign/normalize.hpp"
#include "pyalign/resize.hpp"

namespace pyalign {

/// Largest output tensor a Pipeline accepts (as resize's cap): 16 GiB.
inline constexpr std::size_t kMaxPipelineOutputBytes = std::size_t(1) << 34;

enum class GeometryOp { None, Resize, Letterbox };
enum class Interpolation { Linear, Nearest };
Interpolation parse_interpolation(const std::string& name);  // "linear" | "nearest"; throws pyalign::Error

struct PipelineSpec {
    // input
    PixelFormat input_format = PixelFormat::BGR;
    int width = 0, height = 0;
    // csc (required for, and only allowed with, YUV inputs)
    bool csc = false;
    bool csc_to_rgb = false;
    CscMode csc_mode = CscMode::OpenCV;
    double csc_matrix[12] = {};  ///< used with CscMode::Matrix
    // resize / letterbox
    GeometryOp geometry = GeometryOp::None;
    int dst_width = 0, dst_height = 0;
    Interpolation interpolation = Interpolation::Linear;  ///< resize only (letterbox is always linear)
    LetterboxStyle letterbox_style = LetterboxStyle::Ultralytics;
    double pad_value[4] = {114, 114, 114, 114};  ///< per channel, saturated like cv::Scalar -> uint8 (cvRound)
    // swap_rb, normalize, layout
    bool swap_rb = false;
    bool normalize = false;
    float mean[4] = {0.f, 0.f, 0.f, 0.f};
    float stdv[4] = {1.f, 1.f, 1.f, 1.f};
    bool has_layout = false;  ///< without a layout op: HWC (HW for GRAY)
    Layout layout = Layout::HWC;
};

/// Parse a pipeline spec JSON document (docs/pipeline.md):
///   {"input": {"format": ..., "width": ..., "height": ...},
///    "preprocess": [{"op": "csc" | "resize" | "letterbox" | "swap_rb" | "normalize" | "layout", ...}],
///    "postprocess": {...}, "name": "...", "description": "..."}
/// with the defaults and the validation of pyalign.spec (pyalign/spec.py): known keys only, ops in
/// the order csc, resize|letterbox, swap_rb, normalize, layout, each at most once, sizes in
/// [1, 65536], and so on. "postprocess" is not read. Throws pyalign::Error
/// "<source>: <JSON path>: <what>", e.g. "spec.json: preprocess[1].size[0]: must be in [1, 65536], got 0".
/// The result is ready for Pipeline (whose constructor checks what depends on the sizes).
PipelineSpec parse_pipeline_spec(const std::string& json_text, const std::string& source = "spec");

/// Read a spec file (UTF-8, an optional byte-order mark) and parse it; errors start with the path.
///   const pyalign::Pipeline pipe(pyalign::read_pipeline_spec("spec.json"));
PipelineSpec read_pipeline_spec(const std::string& path);

/// The geometry of a pipeline run: LetterboxGeometry plus which op produced it.
struct PipelineGeometry {
    LetterboxGeometry g;
    GeometryOp op = GeometryOp::None;
};

class Pipeline {
public:
    explicit Pipeline(const PipelineSpec& spec);  // validates; throws pyalign::Error

    const PipelineSpec& spec() const { return spec_; }
    /// Shape of the output tensor (per the layout), element type float32 when normalize else uint8.
    const std::vector<std::size_t>& output_shape() const { return shape_; }
    bool output_is_float() const { return spec_.normalize; }
    std::size_t output_elements() const;
    std::size_t output_bytes() const { return output_elements() * (output_is_float() ? 4 : 1); }
    /// Bytes of the raw input (frame_bytes of the input format and size).
    std::size_t input_bytes() const { return frame_bytes(spec_.input_format, spec_.width, spec_.height); }
    const PipelineGeometry& geometry() const { return geom_; }

    /// raw: input_bytes() contiguous bytes; dst: output_bytes() bytes (float* or uint8_t*).
    /// Thread-safe: every run uses its own scratch. `threads` splits the output rows across that many
    /// threads (0: one per CPU); the tensor is the same for every thread count.
    void run(const uint8_t* raw, void* dst, int threads = 1) const;

private:
    PipelineSpec spec_;
    int channels_ = 3;
    int out_w_ = 0, out_h_ = 0;
    uint8_t pad_[4] = {};
    NormalizeSpec nspec_;
    std::vector<std::size_t> shape_;
    PipelineGeometry geom_;
    // Built once by the constructor, read-only afterwards (shared by copies and by run()'s threads).
    std::shared_ptr<const RowWriter> writer_;
    std::shared_ptr<const YuvRowConverter> conv_;  // YUV input
    std::shared_ptr<const LinearResizeU8> rz_;     // linear resize, or the letterbox content
    std::vector<char> needed_;                     // empty: every source row; else the rows worth converting
    std::vector<int32_t> cols_;                    // empty: every column; else the only source columns converted
    bool area2_csc_ = false;                       // YUV input halved in both axes: convert_area2_row
};

}  // namespace pyalign

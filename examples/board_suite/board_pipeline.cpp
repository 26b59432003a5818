// board_pipeline — the pre- and postprocessing of a YOLOv8 detector as a board would run it,
// built on pyalign's C++ core (cpp/). It stands in for your board program: it reads a capture
// set's raw input and model output (what the camera and the NPU would give it), runs its own
// preprocessing and postprocessing, and writes its stages as a capture set that pyalign checks
// against the Python reference (see test_board.py).
//
//   board_pipeline CASE_DIR OUT_DIR [--bug NAME]
//
// The pipeline is compiled in, as on a real board; spec.json says the same thing for the Python
// side:  BGR 320x240 -> letterbox 160x160 (ultralytics, pad 114) -> BGR to RGB -> x / 255 (float32)
// -> NCHW;  output [1, 4 + 4, 525] (DFL in the graph) -> YOLOv8 decode -> class-aware NMS
// (conf 0.25, IoU 0.45, max 300) -> boxes mapped back to the 320x240 image.
//
// Preprocessing: pyalign::Pipeline (pipeline.hpp); decoding/NMS/mapping: postprocess.hpp;
// capture sets: tensor_io.hpp.
//
// --bug NAME injects a classic misalignment, to see what a failing suite reports:
//   bgr        forget the BGR -> RGB swap
//   pad0       pad the letterbox with 0 instead of 114
//   reciprocal normalize with x * (1/255) instead of x / 255 (1-ulp differences: still aligned)
//   iou        NMS IoU threshold 0.5 instead of 0.45
//
// Exit status: 0 done, 2 usage or input error (message on stderr).
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "pyalign/common.hpp"
#include "pyalign/pipeline.hpp"
#include "pyalign/postprocess.hpp"
#include "pyalign/tensor_io.hpp"

namespace {

// ---- the board's configuration (must agree with spec.json) --------------------------------
constexpr int kInputWidth = 320;   // raw frame from the camera
constexpr int kInputHeight = 240;
constexpr int kModelWidth = 160;   // model input
constexpr int kModelHeight = 160;
constexpr double kPadValue = 114;
constexpr int kNumClasses = 4;
constexpr float kStd = 255.0f;
constexpr double kConfThreshold = 0.25;
constexpr double kIouThreshold = 0.45;
constexpr std::int64_t kMaxDet = 300;
const std::vector<int> kStrides = {8, 16, 32};

struct Options {
    std::string case_dir, out_dir, bug;
};

Options parse_args(int argc, char** argv) {
    Options o;
    std::vector<std::string> pos;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--bug" && i + 1 < argc) {
            o.bug = argv[++i];
        } else if (a.rfind("--bug=", 0) == 0) {
            o.bug = a.substr(6);
        } else if (!a.empty() && a[0] == '-') {
            throw pyalign::Error("unknown option " + a);
        } else {
            pos.push_back(a);
        }
    }
    if (pos.size() != 2) throw pyalign::Error("usage: board_pipeline CASE_DIR OUT_DIR [--bug bgr|pad0|reciprocal|iou]");
    if (!o.bug.empty() && o.bug != "bgr" && o.bug != "pad0" && o.bug != "reciprocal" && o.bug != "iou")
        throw pyalign::Error("unknown --bug " + o.bug + " (bgr, pad0, reciprocal, iou)");
    o.case_dir = pos[0];
    o.out_dir = pos[1];
    return o;
}

// The preprocessing as the board configures it: pyalign's fused pipeline (one pass from the camera
// frame to the model input, no full-size intermediates), bit-exact with OpenCV + numpy.
pyalign::PipelineSpec board_spec(const Options& o) {
    pyalign::PipelineSpec s;
    s.input_format = pyalign::PixelFormat::BGR;
    s.width = kInputWidth;
    s.height = kInputHeight;
    s.geometry = pyalign::GeometryOp::Letterbox;
    s.dst_width = kModelWidth;
    s.dst_height = kModelHeight;
    s.letterbox_style = pyalign::LetterboxStyle::Ultralytics;
    const double pad = o.bug == "pad0" ? 0.0 : kPadValue;
    for (double& p : s.pad_value) p = pad;
    s.swap_rb = o.bug != "bgr";                // BGR camera, RGB-trained model
    s.normalize = o.bug != "reciprocal";       // (x - 0) / 255 in float32
    for (int c = 0; c < 3; ++c) {
        s.mean[c] = 0.0f;
        s.stdv[c] = kStd;
    }
    s.has_layout = true;
    s.layout = pyalign::Layout::NCHW;
    return s;
}

// BGR uint8 HWC frame -> RGB float32 NCHW tensor of the model input size.
std::vector<float> preprocess(const std::vector<std::uint8_t>& frame, const Options& o,
                              pyalign::LetterboxGeometry* geometry) {
    const pyalign::Pipeline pipeline(board_spec(o));
    if (frame.size() != pipeline.input_bytes()) throw pyalign::Error("raw input has the wrong size");
    *geometry = pipeline.geometry().g;
    if (o.bug != "reciprocal") {
        std::vector<float> tensor(pipeline.output_elements());
        pipeline.run(frame.data(), tensor.data());
        return tensor;
    }
    // The classic shortcut: multiply by a reciprocal instead of dividing (1-ulp differences).
    std::vector<std::uint8_t> bytes(pipeline.output_elements());
    pipeline.run(frame.data(), bytes.data());
    std::vector<float> tensor(bytes.size());
    const float inv = 1.0f / kStd;
    for (std::size_t i = 0; i < bytes.size(); ++i) tensor[i] = static_cast<float>(bytes[i]) * inv;
    return tensor;
}

int run(const Options& o) {
    const pyalign::Manifest m = pyalign::read_manifest(o.case_dir);

    const pyalign::TensorInfo& raw = m.find("raw_input");
    const std::vector<std::int64_t> want = {kInputHeight, kInputWidth, 3};
    if (raw.shape != want)
        throw pyalign::Error(raw.path + ": raw input must be a " + std::to_string(kInputHeight) + "x" +
                             std::to_string(kInputWidth) + " BGR image");
    const std::vector<std::uint8_t> frame = pyalign::load_tensor_as<std::uint8_t>(raw);

    pyalign::LetterboxGeometry geo;
    const std::vector<float> tensor = preprocess(frame, o, &geo);

    // The NPU's output as the capture recorded it.
    const pyalign::TensorInfo& out_info = m.find("model_output");
    const std::vector<float> output = pyalign::load_tensor_as<float>(out_info);
    pyalign::FloatTensor view;
    view.data = output.data();
    view.shape = out_info.shape;

    pyalign::DecodeOptions dopt;
    dopt.conf_threshold = kConfThreshold;
    dopt.input_width = kModelWidth;
    dopt.input_height = kModelHeight;
    const pyalign::Candidates cand =
        pyalign::decode_yolov8({view}, kNumClasses, /*reg_max=*/0, kStrides, dopt, pyalign::Activation::Auto);

    pyalign::BoxMapping map;
    map.scale_x = geo.scale_x;
    map.scale_y = geo.scale_y;
    map.pad_left = geo.pad_left;
    map.pad_top = geo.pad_top;
    map.src_width = geo.src_width;
    map.src_height = geo.src_height;
    const double iou = o.bug == "iou" ? 0.5 : kIouThreshold;
    const std::vector<float> dets = pyalign::detections(cand, iou, /*class_agnostic=*/false, kMaxDet, &map);
    const std::int64_t n = static_cast<std::int64_t>(dets.size() / 6);

    pyalign::CaptureWriter w(o.out_dir, m.case_name);
    w.add("preprocessed", "images", pyalign::dtype_of<float>(), {1, 3, kModelHeight, kModelWidth}, tensor.data(),
          "NCHW", "RGB", "tensor");
    w.add("postprocessed", "detections", pyalign::dtype_of<float>(), {n, 6}, dets.data(), "", "", "detections");
    w.commit();
    std::printf("%s: %lld detections\n", m.case_name.c_str(), static_cast<long long>(n));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse_args(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 2;
    }
}

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
#include "pyalign/postprocess.hpp"
#include "pyalign/resize.hpp"
#include "pyalign/tensor_io.hpp"

namespace {

// ---- the board's configuration (must agree with spec.json) --------------------------------
constexpr int kInputWidth = 320;   // raw frame from the camera
constexpr int kInputHeight = 240;
constexpr int kModelWidth = 160;   // model input
constexpr int kModelHeight = 160;
constexpr std::uint8_t kPadValue = 114;
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

// BGR uint8 HWC frame -> RGB float32 NCHW tensor of the model input size.
std::vector<float> preprocess(const std::vector<std::uint8_t>& frame, const Options& o,
                              pyalign::LetterboxGeometry* geometry) {
    std::vector<std::uint8_t> boxed(static_cast<std::size_t>(kModelWidth) * kModelHeight * 3);
    pyalign::ImageView<const std::uint8_t> src{frame.data(), kInputHeight, kInputWidth, 3,
                                               static_cast<std::size_t>(kInputWidth) * 3};
    pyalign::ImageView<std::uint8_t> dst{boxed.data(), kModelHeight, kModelWidth, 3,
                                         static_cast<std::size_t>(kModelWidth) * 3};
    const std::uint8_t pv = o.bug == "pad0" ? 0 : kPadValue;
    const std::uint8_t pad[3] = {pv, pv, pv};
    pyalign::letterbox(src, dst, pad, pyalign::LetterboxStyle::Ultralytics, geometry);

    const std::size_t plane = static_cast<std::size_t>(kModelWidth) * kModelHeight;
    std::vector<float> tensor(plane * 3);
    const bool swap = o.bug != "bgr";
    const float inv = 1.0f / kStd;
    for (std::size_t i = 0; i < plane; ++i) {
        for (int c = 0; c < 3; ++c) {
            const int from = swap ? 2 - c : c;  // RGB channel c comes from BGR channel 2 - c
            const float x = static_cast<float>(boxed[i * 3 + static_cast<std::size_t>(from)]);
            tensor[static_cast<std::size_t>(c) * plane + i] = o.bug == "reciprocal" ? x * inv : (x - 0.0f) / kStd;
        }
    }
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
    w.add("preprocessed", "images", pyalign::DType::Float32, {1, 3, kModelHeight, kModelWidth}, tensor.data(),
          "NCHW", "RGB", "tensor");
    w.add("postprocessed", "detections", pyalign::DType::Float32, {n, 6}, dets.data(), "", "", "detections");
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

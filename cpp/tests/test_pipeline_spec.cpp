// Tests of the pipeline spec parser (parse_pipeline_spec / read_pipeline_spec): every bundled spec,
// the defaults, and invalid specs with the messages pyalign.spec gives for them (the expected texts
// are pyalign.spec.validate_spec's, prefixed with the source name).
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "check.hpp"
#include "pyalign/pipeline.hpp"

#ifndef PYALIGN_REPO_DIR
#error "PYALIGN_REPO_DIR (the repository root) must be defined by the build"
#endif

namespace fs = std::filesystem;
using pyalign::PipelineSpec;

namespace {

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const pyalign::Error& e) {
        return e.what();
    }
    return "<no error>";
}

void str_eq(const std::string& a, const std::string& b, const char* file, int line) {
    if (a != b) pyalign_test::fail(file, line, "'" + a + "' != '" + b + "'");
}
#define STR_EQ(a, b) str_eq((a), (b), __FILE__, __LINE__)

const std::string kBgr = R"("input": {"format": "BGR", "width": 8, "height": 6})";

/// Builds the pipeline and runs it on a zero input; returns the output bytes.
std::vector<std::uint8_t> run_zero(const PipelineSpec& s) {
    const pyalign::Pipeline pipe(s);
    std::vector<std::uint8_t> raw(pipe.input_bytes(), 0), out(pipe.output_bytes());
    pipe.run(raw.data(), out.data());
    return out;
}

}  // namespace

PA_TEST(bundled_specs_parse_and_run) {
    const fs::path dir = fs::path(PYALIGN_REPO_DIR) / "pyalign" / "data" / "specs";
    int count = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() != ".json") continue;
        ++count;
        const std::string path = e.path().string();
        const std::string err = error_of([&] {
            const PipelineSpec s = pyalign::read_pipeline_spec(path);
            const std::vector<std::uint8_t> out = run_zero(s);
            PA_CHECK(!out.empty());
        });
        if (err != "<no error>") pyalign_test::fail(__FILE__, __LINE__, path + ": " + err);
    }
    PA_CHECK(count >= 7);
    // one of them in detail
    const PipelineSpec s = pyalign::read_pipeline_spec((dir / "nv12_yolov8.json").string());
    PA_CHECK(s.input_format == pyalign::PixelFormat::YUV420SP);
    PA_CHECK_EQ(s.width, 640);
    PA_CHECK_EQ(s.height, 360);
    PA_CHECK(s.csc && s.csc_to_rgb && s.csc_mode == pyalign::CscMode::OpenCV);
    PA_CHECK(s.geometry == pyalign::GeometryOp::Letterbox);
    PA_CHECK_EQ(s.dst_width, 320);
    PA_CHECK_EQ(s.dst_height, 320);
    PA_CHECK(s.letterbox_style == pyalign::LetterboxStyle::Ultralytics);
    PA_CHECK(s.pad_value[0] == 114 && s.pad_value[1] == 114 && s.pad_value[2] == 114);
    PA_CHECK(!s.swap_rb && s.normalize);
    PA_CHECK(s.mean[2] == 0.0f && s.stdv[0] == 255.0f && s.stdv[2] == 255.0f);
    PA_CHECK(s.has_layout && s.layout == pyalign::Layout::NCHW);
    const pyalign::Pipeline pipe(s);
    PA_CHECK_EQ(pipe.output_shape().size(), std::size_t(4));
    PA_CHECK_EQ(pipe.output_shape()[1], std::size_t(3));
}

PA_TEST(defaults_and_equivalent_forms) {
    // csc: mode opencv, to BGR; letterbox: pad 114, ultralytics; resize: linear
    PipelineSpec s = pyalign::parse_pipeline_spec(
        R"({"input": {"format": "YUYV422", "width": 8, "height": 6}, "preprocess": [{"op": "csc"},
            {"op": "letterbox", "size": [4, 4]}]})");
    PA_CHECK(s.csc && !s.csc_to_rgb && s.csc_mode == pyalign::CscMode::OpenCV);
    PA_CHECK(s.geometry == pyalign::GeometryOp::Letterbox && s.letterbox_style == pyalign::LetterboxStyle::Ultralytics);
    PA_CHECK(s.pad_value[0] == 114 && s.pad_value[2] == 114);
    PA_CHECK(!s.normalize && !s.has_layout && !s.swap_rb);
    s = pyalign::parse_pipeline_spec("{" + kBgr + R"(, "preprocess": [{"op": "resize", "size": [4.0, 3e0]}]})");
    PA_CHECK(s.geometry == pyalign::GeometryOp::Resize && s.interpolation == pyalign::Interpolation::Linear);
    PA_CHECK(s.dst_width == 4 && s.dst_height == 3);
    // no preprocess at all, or null: the input as it is
    s = pyalign::parse_pipeline_spec("{" + kBgr + "}");
    PA_CHECK(s.geometry == pyalign::GeometryOp::None && !s.csc);
    s = pyalign::parse_pipeline_spec("{" + kBgr + R"(, "preprocess": null, "postprocess": {"op": "?", "x": []}})");
    PA_CHECK(s.width == 8 && s.height == 6);
    // one value for every channel, or one per channel
    s = pyalign::parse_pipeline_spec("{" + kBgr + R"(, "preprocess": [{"op": "letterbox", "size": [9, 9],
        "pad_value": [1, 2.5, 3]}, {"op": "swap_rb"}, {"op": "normalize", "mean": 1, "std": [2]}, {"op": "layout", "to": "CHW"}]})");
    PA_CHECK(s.pad_value[0] == 1 && s.pad_value[1] == 2.5 && s.pad_value[2] == 3);
    PA_CHECK(s.swap_rb && s.mean[0] == 1.0f && s.mean[2] == 1.0f && s.stdv[1] == 2.0f);
    PA_CHECK(s.layout == pyalign::Layout::CHW);
    // GRAY: one channel; a matrix csc
    s = pyalign::parse_pipeline_spec(R"({"input": {"format": "GRAY", "width": 8, "height": 6},
        "preprocess": [{"op": "resize", "size": [4, 3], "interpolation": "nearest"}, {"op": "normalize", "mean": [127.5], "std": 127.5}]})");
    PA_CHECK(s.interpolation == pyalign::Interpolation::Nearest && s.mean[0] == 127.5f);
    s = pyalign::parse_pipeline_spec(R"({"input": {"format": "YVU420SP", "width": 8, "height": 6},
        "preprocess": [{"op": "csc", "mode": "matrix", "to": "RGB", "matrix": [1, 0, 1.402, -0.7, 1, -0.34, -0.71, 0.53, 1, 1.77, 0, -0.88]}]})");
    PA_CHECK(s.csc_mode == pyalign::CscMode::Matrix && s.csc_matrix[2] == 1.402 && s.csc_matrix[11] == -0.88);
    PA_CHECK(!run_zero(s).empty());
}

PA_TEST(read_pipeline_spec_files) {
    const fs::path dir = fs::temp_directory_path() / ("pyalign_spec_" + std::to_string(std::random_device()()));
    fs::create_directories(dir);
    const fs::path p = dir / "spec.json";
    {
        std::ofstream f(p, std::ios::binary);
        f << "\xEF\xBB\xBF{" << kBgr << R"(, "preprocess": [{"op": "resize", "size": [0, 1]}]})";
    }
    STR_EQ(error_of([&] { pyalign::read_pipeline_spec(p.string()); }),
           p.string() + ": preprocess[0].size[0]: must be in [1, 65536], got 0");
    {
        std::ofstream f(p, std::ios::binary);
        f << "{" << kBgr << ",\n \"input\": {}}";
    }
    STR_EQ(error_of([&] { pyalign::read_pipeline_spec(p.string()); }),
           p.string() + ": not valid JSON: duplicate key \"input\" at line 2 column 2");
    STR_EQ(error_of([&] { pyalign::read_pipeline_spec((dir / "none.json").string()); }),
           (dir / "none.json").string() + ": no such file");
    STR_EQ(error_of([&] { pyalign::read_pipeline_spec(dir.string()); }), dir.string() + ": not a regular file");
    std::error_code ec;
    fs::remove_all(dir, ec);
}

PA_TEST(invalid_specs_give_pyalign_spec_messages) {
    struct Bad {
        const char* json;
        const char* message;
    };
    const Bad bad[] = {
        {R"([1, 2])",
         "a spec is a JSON object, got list"},
        {R"("x")",
         "a spec is a JSON object, got str"},
        {R"({"preprocess": []})",
         "missing key 'input'"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "x": 1})",
         "unknown key 'x' (allowed: description, input, name, postprocess, preprocess)"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "zeta": 1, "alpha": 2})",
         "unknown key 'alpha' (allowed: description, input, name, postprocess, preprocess)"},
        {R"({"input": [1]})",
         "input: expected an object, got list"},
        {R"({"input": {"format": "BGR", "width": 8}})",
         "input: missing key 'height'"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6, "depth": 3}})",
         "input: unknown key 'depth' (allowed: format, height, width)"},
        {R"({"input": {"format": "NV12", "width": 8, "height": 6}})",
         "input.format: expected one of BGR, RGB, GRAY, YUV420SP, YVU420SP, YUYV422, UYVY422, got \"NV12\""},
        {R"({"input": {"format": "BGR", "width": 8.5, "height": 6}})",
         "input.width: expected an integer, got 8.5"},
        {R"({"input": {"format": "BGR", "width": true, "height": 6}})",
         "input.width: expected an integer, got true"},
        {R"({"input": {"format": "BGR", "width": 0, "height": 6}})",
         "input.width: must be in [1, 65536], got 0"},
        {R"({"input": {"format": "BGR", "width": 70000.0, "height": 6}})",
         "input.width: must be in [1, 65536], got 70000"},
        {R"({"input": {"format": "BGR", "width": 8, "height": "6"}})",
         "input.height: expected an integer, got \"6\""},
        {R"({"input": {"format": "YUV420SP", "width": 7, "height": 6}, "preprocess": [{"op": "csc"}]})",
         "input: YUV420SP needs an even width and height, got 7x6"},
        {R"({"input": {"format": "YUYV422", "width": 7, "height": 6}, "preprocess": [{"op": "csc"}]})",
         "input: YUYV422 needs an even width, got 7"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "name": 3})",
         "name: expected a string"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": {}})",
         "preprocess: expected a list of ops, got dict"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": ["csc"]})",
         "preprocess[0]: expected an object, got str"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"to": "BGR"}]})",
         "preprocess[0]: missing key 'op'"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "crop"}]})",
         "preprocess[0].op: unknown op \"crop\" (known: csc, resize, letterbox, swap_rb, normalize, layout)"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": 3}]})",
         "preprocess[0].op: unknown op 3 (known: csc, resize, letterbox, swap_rb, normalize, layout)"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "csc"}]})",
         "preprocess[0]: csc converts a YUV input, but input.format is BGR"},
        {R"({"input": {"format": "YUV420SP", "width": 8, "height": 6}, "preprocess": []})",
         "preprocess: input.format YUV420SP needs a csc op first (to BGR or RGB)"},
        {R"({"input": {"format": "YUV420SP", "width": 8, "height": 6}, "preprocess": [{"op": "resize", "size": [4, 4]}]})",
         "preprocess: input.format YUV420SP needs a csc op first (to BGR or RGB)"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "resize", "size": [4, 4]}, {"op": "letterbox", "size": [4, 4]}]})",
         "preprocess[1]: 'letterbox' after 'resize': at most one resize or letterbox"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "swap_rb"}, {"op": "swap_rb"}]})",
         "preprocess[1]: 'swap_rb' after 'swap_rb': at most one 'swap_rb'"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "layout", "to": "NCHW"}, {"op": "normalize", "mean": [0], "std": [1]}]})",
         "preprocess[1]: 'normalize' must come before 'layout' (order: csc, resize|letterbox, swap_rb, normalize, layout)"},
        {R"({"input": {"format": "YUV420SP", "width": 8, "height": 6}, "preprocess": [{"op": "csc", "mode": "bt709"}]})",
         "preprocess[0].mode: expected one of opencv, full_range, limited_range, matrix, got \"bt709\""},
        {R"({"input": {"format": "YUV420SP", "width": 8, "height": 6}, "preprocess": [{"op": "csc", "to": "GRAY"}]})",
         "preprocess[0].to: expected one of BGR, RGB, got \"GRAY\""},
        {R"({"input": {"format": "YUV420SP", "width": 8, "height": 6}, "preprocess": [{"op": "csc", "mode": null}]})",
         "preprocess[0].mode: expected one of opencv, full_range, limited_range, matrix, got null"},
        {R"({"input": {"format": "YUV420SP", "width": 8, "height": 6}, "preprocess": [{"op": "csc", "mode": "matrix"}]})",
         "preprocess[0].matrix: mode 'matrix' needs 12 numbers (3 rows of 4: Y, U, V weights and a bias)"},
        {R"({"input": {"format": "YUV420SP", "width": 8, "height": 6}, "preprocess": [{"op": "csc", "mode": "matrix", "matrix": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}]})",
         "preprocess[0].matrix: mode 'matrix' needs 12 numbers (3 rows of 4: Y, U, V weights and a bias)"},
        {R"({"input": {"format": "YUV420SP", "width": 8, "height": 6}, "preprocess": [{"op": "csc", "mode": "matrix", "matrix": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "x"]}]})",
         "preprocess[0].matrix[11]: expected a finite number, got \"x\""},
        {R"({"input": {"format": "YUV420SP", "width": 8, "height": 6}, "preprocess": [{"op": "csc", "matrix": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}]})",
         "preprocess[0].matrix: only allowed with mode 'matrix', not 'opencv'"},
        {R"({"input": {"format": "YUV420SP", "width": 8, "height": 6}, "preprocess": [{"op": "csc", "x": 1}]})",
         "preprocess[0]: unknown key 'x' (allowed: matrix, mode, op, to)"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "resize"}]})",
         "preprocess[0].size: expected [width, height], got null"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "resize", "size": [4]}]})",
         "preprocess[0].size: expected [width, height], got [4]"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "resize", "size": [4, 0]}]})",
         "preprocess[0].size[1]: must be in [1, 65536], got 0"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "resize", "size": [4, 4], "interpolation": "cubic"}]})",
         "preprocess[0].interpolation: expected one of linear, nearest, got \"cubic\""},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "letterbox", "size": [4, 4], "pad_value": 300}]})",
         "preprocess[0].pad_value: must be in [0, 255], got 300.0"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "letterbox", "size": [4, 4], "pad_value": [1, 2]}]})",
         "preprocess[0].pad_value: has 2 values; the image has 3 channel(s): give 1 or 3"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "letterbox", "size": [4, 4], "pad_value": []}]})",
         "preprocess[0].pad_value: expected a list of numbers, got []"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "letterbox", "size": [4, 4], "pad_value": null}]})",
         "preprocess[0].pad_value: expected a list of numbers, got null"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "letterbox", "size": [4, 4], "pad_value": [1, 2, "x"]}]})",
         "preprocess[0].pad_value[2]: expected a finite number, got \"x\""},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "letterbox", "size": [4, 4], "pad_value": [1, 2, -0.5]}]})",
         "preprocess[0].pad_value: must be in [0, 255], got -0.5"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "letterbox", "size": [4, 4], "style": "top"}]})",
         "preprocess[0].style: expected one of ultralytics, center, got \"top\""},
        {R"({"input": {"format": "GRAY", "width": 8, "height": 6}, "preprocess": [{"op": "swap_rb"}]})",
         "preprocess[0]: swap_rb needs a 3-channel image, the input is GRAY"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "swap_rb", "to": "RGB"}]})",
         "preprocess[0]: unknown key 'to' (allowed: op)"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "normalize", "std": [1]}]})",
         "preprocess[0]: missing key 'mean'"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "normalize", "mean": [0, 0, 0], "std": [1, 0, 1]}]})",
         "preprocess[0].std[1]: must not be 0"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "normalize", "mean": 0, "std": 0}]})",
         "preprocess[0].std[0]: must not be 0"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "normalize", "mean": "0", "std": 1}]})",
         "preprocess[0].mean: expected a list of numbers, got \"0\""},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "normalize", "mean": [0, 0], "std": 1}]})",
         "preprocess[0].mean: has 2 values; the image has 3 channel(s): give 1 or 3"},
        {R"({"input": {"format": "GRAY", "width": 8, "height": 6}, "preprocess": [{"op": "normalize", "mean": [0, 0, 0], "std": 1}]})",
         "preprocess[0].mean: has 3 values; the image has 1 channel(s): give 1 or 1"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "layout"}]})",
         "preprocess[0]: missing key 'to'"},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "layout", "to": "HW"}]})",
         "preprocess[0].to: expected one of NCHW, NHWC, CHW, HWC, got \"HW\""},
        {R"({"input": {"format": "BGR", "width": 8, "height": 6}, "preprocess": [{"op": "layout", "to": "NCHW", "from": "HWC"}]})",
         "preprocess[0]: unknown key 'from' (allowed: op, to)"},
    };
    for (const Bad& b : bad) {
        const std::string err = error_of([&] { pyalign::parse_pipeline_spec(b.json, "spec.json"); });
        if (err != std::string("spec.json: ") + b.message)
            pyalign_test::fail(__FILE__, __LINE__, std::string(b.json) + "\n    got:  " + err + "\n    want: spec.json: " + b.message);
    }
}

PA_TEST(limits_of_the_cpp_core) {
    // Beyond pyalign.spec: float32 mean/std, matrix entries within +-1000; named by their JSON path.
    const std::string norm = "{" + kBgr + R"(, "preprocess": [{"op": "normalize", )";
    STR_EQ(error_of([&] { pyalign::parse_pipeline_spec(norm + R"("mean": [0, 1e39, 0], "std": 1}]})"); }),
           "spec: preprocess[0].mean[1]: 1e+39 is out of the float32 range");
    STR_EQ(error_of([&] { pyalign::parse_pipeline_spec(norm + R"("mean": 0, "std": 1e-50}]})"); }),
           "spec: preprocess[0].std[0]: 1e-50 is 0 in float32");
    STR_EQ(error_of([&] {
               pyalign::parse_pipeline_spec(R"({"input": {"format": "YUV420SP", "width": 8, "height": 6}, "preprocess":
                   [{"op": "csc", "mode": "matrix", "matrix": [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1000.5]}]})");
           }),
           "spec: preprocess[0].matrix[11]: must be within +-1000 (the C++ core's limit), got 1000.5");
    // numbers of every form where an integer is expected
    for (const char* w : {"1e400", "-1e400", "NaN", "Infinity", "1e-400", "0.5", "99999999999999999999999"}) {
        const std::string err = error_of([&] {
            pyalign::parse_pipeline_spec(std::string(R"({"input": {"format": "BGR", "width": )") + w + R"(, "height": 6}})");
        });
        if (err.find("spec: input.width: ") != 0) pyalign_test::fail(__FILE__, __LINE__, err);
    }
    STR_EQ(error_of([&] { pyalign::parse_pipeline_spec(R"({"input": {"format": "BGR", "width": 1e20, "height": 6}})"); }),
           "spec: input.width: must be in [1, 65536], got 100000000000000000000");
    STR_EQ(error_of([&] { pyalign::parse_pipeline_spec(R"({"input": {"format": "BGR", "width": -0, "height": 6}})"); }),
           "spec: input.width: must be in [1, 65536], got 0");
}

int main() { return pyalign_test::run_all(); }

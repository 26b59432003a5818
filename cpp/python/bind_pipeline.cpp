// Binding of the pipeline family: _core.Pipeline(...explicit spec parameters...) built once and run
// per frame, and _core.preprocess(raw, ...the same parameters..., threads) for one frame.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "convert.hpp"
#include "pyalign/pipeline.hpp"

namespace py = pybind11;

namespace pyalign_py {
namespace {

void per_channel(const std::vector<double>& v, int channels, const char* what, double* out) {
    if (v.size() != 1 && v.size() != static_cast<std::size_t>(channels))
        throw pyalign::Error(std::string("pipeline: ") + what + " has " + std::to_string(v.size()) +
                             " values; the image has " + std::to_string(channels) + " channel(s): give 1 or " +
                             std::to_string(channels));
    for (int c = 0; c < channels; ++c) out[c] = v[v.size() == 1 ? 0 : static_cast<std::size_t>(c)];
}

pyalign::Pipeline make_pipeline(const std::string& input_format, int width, int height,
                               const std::optional<std::string>& csc_to, const std::string& csc_mode,
                               const std::optional<std::vector<double>>& csc_matrix, const std::string& geometry,
                               const std::optional<std::vector<int>>& size, const std::string& interpolation,
                               const std::string& style, const std::vector<double>& pad_value, bool swap_rb,
                               const std::optional<std::vector<double>>& mean,
                               const std::optional<std::vector<double>>& stdv, const std::optional<std::string>& layout) {
    pyalign::PipelineSpec s;
    s.input_format = pyalign::parse_pixel_format(input_format);
    s.width = width;
    s.height = height;
    const int channels = pyalign::decoded_channels(s.input_format);
    if (csc_to) {
        s.csc = true;
        if (*csc_to != "BGR" && *csc_to != "RGB") throw pyalign::Error("pipeline: csc.to must be BGR or RGB, got " + *csc_to);
        s.csc_to_rgb = *csc_to == "RGB";
        s.csc_mode = pyalign::parse_csc_mode(csc_mode);
        if (s.csc_mode == pyalign::CscMode::Matrix) {
            if (!csc_matrix || csc_matrix->size() != 12) throw pyalign::Error("pipeline: csc mode 'matrix' needs 12 numbers");
            for (int i = 0; i < 12; ++i) s.csc_matrix[i] = (*csc_matrix)[static_cast<std::size_t>(i)];
        } else if (csc_matrix) {
            throw pyalign::Error("pipeline: csc matrix is only allowed with mode 'matrix'");
        }
    }
    if (geometry == "none") {
        s.geometry = pyalign::GeometryOp::None;
    } else if (geometry == "resize" || geometry == "letterbox") {
        s.geometry = geometry == "resize" ? pyalign::GeometryOp::Resize : pyalign::GeometryOp::Letterbox;
        if (!size || size->size() != 2) throw pyalign::Error("pipeline: " + geometry + " needs size [width, height]");
        s.dst_width = (*size)[0];
        s.dst_height = (*size)[1];
        s.interpolation = pyalign::parse_interpolation(interpolation);
        s.letterbox_style = pyalign::parse_letterbox_style(style);
        per_channel(pad_value, channels, "pad_value", s.pad_value);
    } else {
        throw pyalign::Error("pipeline: geometry must be none, resize or letterbox, got " + geometry);
    }
    s.swap_rb = swap_rb;
    if (mean || stdv) {
        if (!mean || !stdv) throw pyalign::Error("pipeline: normalize needs both mean and std");
        s.normalize = true;
        double m[4] = {0, 0, 0, 0}, d[4] = {1, 1, 1, 1};
        per_channel(*mean, channels, "normalize mean", m);
        per_channel(*stdv, channels, "normalize std", d);
        for (int c = 0; c < 4; ++c) {
            s.mean[c] = static_cast<float>(m[c]);
            s.stdv[c] = static_cast<float>(d[c]);
        }
    }
    if (layout) {
        s.has_layout = true;
        s.layout = pyalign::parse_layout(*layout);
    }
    return pyalign::Pipeline(s);
}

// The tensor of one raw frame (validated against the pipeline's input).
py::array run_pipeline(const pyalign::Pipeline& pipe, const py::array& raw, int threads) {
    check_threads(threads);
    if (!raw.dtype().equal(py::dtype::of<uint8_t>()))
        throw pyalign::Error("pipeline: the raw input must have dtype uint8, got " + std::string(py::str(raw.dtype())));
    if (!(raw.flags() & py::array::c_style))
        throw pyalign::Error("pipeline: the raw input must be C-contiguous (use numpy.ascontiguousarray)");
    const pyalign::PipelineSpec& s = pipe.spec();
    if (static_cast<std::size_t>(raw.nbytes()) != pipe.input_bytes())
        throw pyalign::Error("pipeline: raw input " + shape_text(raw) + " has " + std::to_string(raw.nbytes()) +
                             " bytes; a " + pyalign::pixel_format_name(s.input_format) + " " + std::to_string(s.width) +
                             "x" + std::to_string(s.height) + " frame has " + std::to_string(pipe.input_bytes()));
    std::vector<py::ssize_t> shape;
    for (std::size_t d : pipe.output_shape()) shape.push_back(static_cast<py::ssize_t>(d));
    py::array out = pipe.output_is_float() ? py::array(py::array_t<float>(shape)) : py::array(py::array_t<uint8_t>(shape));
    void* o = out.mutable_data();
    const auto* in = static_cast<const uint8_t*>(raw.data());
    {
        py::gil_scoped_release nogil;
        pipe.run(in, o, threads);
    }
    return out;
}

py::tuple preprocess_py(const py::array& raw, const std::string& input_format, int width, int height,
                        const std::optional<std::string>& csc_to, const std::string& csc_mode,
                        const std::optional<std::vector<double>>& csc_matrix, const std::string& geometry,
                        const std::optional<std::vector<int>>& size, const std::string& interpolation,
                        const std::string& style, const std::vector<double>& pad_value, bool swap_rb,
                        const std::optional<std::vector<double>>& mean, const std::optional<std::vector<double>>& stdv,
                        const std::optional<std::string>& layout, int threads) {
    check_threads(threads);
    const pyalign::Pipeline pipe = make_pipeline(input_format, width, height, csc_to, csc_mode, csc_matrix, geometry,
                                                 size, interpolation, style, pad_value, swap_rb, mean, stdv, layout);
    py::array out = run_pipeline(pipe, raw, threads);
    return py::make_tuple(out, geometry_dict(pipe.geometry().g));
}

}  // namespace

void bind_pipeline(py::module_& m) {
    py::class_<pyalign::Pipeline>(m, "Pipeline",
                                  "A validated pipeline (see pipeline.hpp), built once; run() preprocesses one frame.")
        .def(py::init(&make_pipeline), py::arg("input_format"), py::arg("width"), py::arg("height"),
             py::arg("csc_to") = py::none(), py::arg("csc_mode") = "opencv", py::arg("csc_matrix") = py::none(),
             py::arg("geometry") = "none", py::arg("size") = py::none(), py::arg("interpolation") = "linear",
             py::arg("style") = "ultralytics", py::arg("pad_value") = std::vector<double>{114.0},
             py::arg("swap_rb") = false, py::arg("mean") = py::none(), py::arg("std") = py::none(),
             py::arg("layout") = py::none())
        .def("run", &run_pipeline, py::arg("raw"), py::arg("threads") = 1,
             "The tensor of one raw frame (uint8, C-contiguous, input_bytes bytes).")
        .def_property_readonly("geometry", [](const pyalign::Pipeline& p) { return geometry_dict(p.geometry().g); })
        .def_property_readonly("input_bytes", &pyalign::Pipeline::input_bytes)
        .def_property_readonly("output_shape", [](const pyalign::Pipeline& p) { return p.output_shape(); });
    m.def("preprocess", &preprocess_py, py::arg("raw"), py::arg("input_format"), py::arg("width"), py::arg("height"),
          py::arg("csc_to") = py::none(), py::arg("csc_mode") = "opencv", py::arg("csc_matrix") = py::none(),
          py::arg("geometry") = "none", py::arg("size") = py::none(), py::arg("interpolation") = "linear",
          py::arg("style") = "ultralytics", py::arg("pad_value") = std::vector<double>{114.0},
          py::arg("swap_rb") = false, py::arg("mean") = py::none(), py::arg("std") = py::none(),
          py::arg("layout") = py::none(), py::arg("threads") = 1,
          "Fused preprocessing of one raw input (see pipeline.hpp); returns (tensor, geometry dict).");
}

}  // namespace pyalign_py

// Binding of the pipeline family: _core.Pipeline(spec_json) built once and run per frame, and
// _core.preprocess(raw, spec_json, threads) for one frame. The spec is read in one place only:
// pyalign::parse_pipeline_spec, the parser board code uses too.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.hpp"
#include "convert.hpp"
#include "pyalign/pipeline.hpp"

namespace py = pybind11;

namespace pyalign_py {
namespace {

pyalign::Pipeline make_pipeline(const std::string& spec_json) {
    return pyalign::Pipeline(pyalign::parse_pipeline_spec(spec_json));
}

py::array run_pipeline(const pyalign::Pipeline& pipe, const py::array& raw, int threads) {
    check_threads(threads);
    if (!raw.dtype().equal(py::dtype::of<uint8_t>()))
        throw pyalign::Error("pipeline: the raw input must have dtype uint8, got " + std::string(py::str(raw.dtype())));
    if (!(raw.flags() & py::array::c_style))
        throw pyalign::Error("pipeline: the raw input must be C-contiguous (use numpy.ascontiguousarray)");
    const pyalign::PipelineSpec& s = pipe.spec();
    if (static_cast<std::size_t>(raw.nbytes()) != pipe.input_bytes())
        throw pyalign::Error("pipeline: raw input " + shape_text(raw) + " has " + std::to_string(raw.nbytes()) +
                             " bytes; a " + pyalign::pixel_format_name(s.input_format) + " " +
                             std::to_string(s.width) + "x" + std::to_string(s.height) + " frame has " +
                             std::to_string(pipe.input_bytes()));
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

py::tuple preprocess_py(const py::array& raw, const std::string& spec_json, int threads) {
    check_threads(threads);
    const pyalign::Pipeline pipe = make_pipeline(spec_json);
    py::array out = run_pipeline(pipe, raw, threads);
    return py::make_tuple(out, geometry_dict(pipe.geometry().g));
}

}  // namespace

void bind_pipeline(py::module_& m) {
    py::class_<pyalign::Pipeline>(m, "Pipeline",
                                  "A validated pipeline (see pipeline.hpp), built once from a spec's JSON text "
                                  "(pyalign::parse_pipeline_spec); run() preprocesses one frame.")
        .def(py::init(&make_pipeline), py::arg("spec_json"))
        .def("run", &run_pipeline, py::arg("raw"), py::arg("threads") = 1,
             "The tensor of one raw frame (uint8, C-contiguous, input_bytes bytes).")
        .def_property_readonly("geometry", [](const pyalign::Pipeline& p) { return geometry_dict(p.geometry().g); })
        .def_property_readonly("input_bytes", &pyalign::Pipeline::input_bytes)
        .def_property_readonly("output_shape", [](const pyalign::Pipeline& p) { return p.output_shape(); });
    m.def("preprocess", &preprocess_py, py::arg("raw"), py::arg("spec_json"), py::arg("threads") = 1,
          "Fused preprocessing of one raw input (see pipeline.hpp). spec_json: a pipeline spec as JSON text,\n"
          "parsed and validated by pyalign::parse_pipeline_spec. Returns (tensor, geometry dict).");
}

}  // namespace pyalign_py

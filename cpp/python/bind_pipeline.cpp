// Binding of the pipeline family: _core.preprocess(raw, spec_json).
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

py::tuple preprocess_py(const py::array& raw, const std::string& spec_json) {
    // The one place the binding reads a spec: the same parser board code uses.
    const pyalign::Pipeline pipe(pyalign::parse_pipeline_spec(spec_json));
    const pyalign::PipelineSpec& s = pipe.spec();

    if (!raw.dtype().is(py::dtype::of<uint8_t>()))
        throw pyalign::Error("pipeline: the raw input must have dtype uint8, got " + std::string(py::str(raw.dtype())));
    if (!(raw.flags() & py::array::c_style))
        throw pyalign::Error("pipeline: the raw input must be C-contiguous (use numpy.ascontiguousarray)");
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
        pipe.run(in, o);
    }
    return py::make_tuple(out, geometry_dict(pipe.geometry().g));
}

}  // namespace

void bind_pipeline(py::module_& m) {
    m.def("preprocess", &preprocess_py, py::arg("raw"), py::arg("spec_json"),
          "Fused preprocessing of one raw input (see pipeline.hpp). spec_json: a pipeline spec as JSON text,\n"
          "parsed and validated by pyalign::parse_pipeline_spec. Returns (tensor, geometry dict).");
}

}  // namespace pyalign_py

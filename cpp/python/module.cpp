// pyalign._core: the C++ core bound to Python. Each family binds itself in bind_<family>.cpp.
#include "bindings.hpp"

#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "pyalign/common.hpp"
#include "pyalign/simd.hpp"

PYBIND11_MODULE(_core, m) {
    m.doc() = "pyalign C++ core (bit-exact preprocessing, postprocessing, streaming comparison)";
    m.attr("__version__") = pyalign::kVersion;
    pyalign_py::bind_tensor_io(m);
    pyalign_py::bind_resize(m);
    pyalign_py::bind_csc(m);
    pyalign_py::bind_normalize(m);
    pyalign_py::bind_pipeline(m);
    pyalign_py::bind_postprocess(m);
    pyalign_py::bind_compare(m);
    m.def("simd_level", [] { return std::string(pyalign::simd_level_name(pyalign::simd_level())); },
          "The SIMD level of the resize / csc kernels in use: portable, sse4.1, avx2 or neon.");
    m.def("simd_levels", [] {
        std::vector<std::string> names;
        for (pyalign::SimdLevel l : pyalign::simd_levels()) names.push_back(pyalign::simd_level_name(l));
        return names;
    }, "The SIMD levels this build and CPU can run, portable first, the best last.");
    m.def("set_simd_level", [](const std::string& name) { pyalign::set_simd_level(pyalign::parse_simd_level(name)); },
          pybind11::arg("level"),
          "Select the SIMD level (process-wide); every level gives the same bytes. ValueError if unsupported.");
}

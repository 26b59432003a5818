// pyalign._core: the C++ core bound to Python. Each family binds itself in bind_<family>.cpp.
#include "bindings.hpp"

#include "pyalign/common.hpp"

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
}

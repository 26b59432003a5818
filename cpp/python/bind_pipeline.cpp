// Binding of the pipeline family (filled in by the pipeline work).
#include "bindings.hpp"

namespace pyalign_py {
void bind_pipeline(pybind11::module_& /*m*/) {}
}  // namespace pyalign_py

// Binding of the postprocess family (filled in by the postprocess work).
#include "bindings.hpp"

namespace pyalign_py {
void bind_postprocess(pybind11::module_& /*m*/) {}
}  // namespace pyalign_py

// Binding of the resize family (filled in by the resize work).
#include "bindings.hpp"

namespace pyalign_py {
void bind_resize(pybind11::module_& /*m*/) {}
}  // namespace pyalign_py

// Binding of the compare family (filled in by the compare work).
#include "bindings.hpp"

namespace pyalign_py {
void bind_compare(pybind11::module_& /*m*/) {}
}  // namespace pyalign_py

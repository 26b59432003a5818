// Binding of the csc family (filled in by the csc work).
#include "bindings.hpp"

namespace pyalign_py {
void bind_csc(pybind11::module_& /*m*/) {}
}  // namespace pyalign_py

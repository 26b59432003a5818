// Binding of the normalize family (filled in by the normalize work).
#include "bindings.hpp"

namespace pyalign_py {
void bind_normalize(pybind11::module_& /*m*/) {}
}  // namespace pyalign_py

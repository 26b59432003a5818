// Binding of the tensor_io family (filled in by the tensor_io work).
#include "bindings.hpp"

namespace pyalign_py {
void bind_tensor_io(pybind11::module_& /*m*/) {}
}  // namespace pyalign_py

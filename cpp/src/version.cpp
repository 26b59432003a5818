#include "pyalign/common.hpp"

namespace pyalign {
/// The library version as a string, for board programs that print it.
const char* version() { return kVersion; }
}  // namespace pyalign

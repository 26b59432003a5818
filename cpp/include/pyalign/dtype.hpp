// pyalign — the element types of a capture set, shared by tensor I/O and the comparator.
#pragma once

#include <cstddef>
#include <string>

#include "pyalign/common.hpp"

namespace pyalign {

/// The element types of a capture set (numpy names in dtype_name()).
enum class DType : int { u8, i8, u16, i16, u32, i32, i64, f16, f32, f64 };

/// Parse a numpy dtype name ("uint8" ... "float64"); throws pyalign::Error.
DType dtype_from_name(const std::string& name);
/// The numpy name of a dtype.
const char* dtype_name(DType t);
/// Bytes per element.
std::size_t dtype_size(DType t);

}  // namespace pyalign

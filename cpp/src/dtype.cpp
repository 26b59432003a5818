// The dtype vocabulary (numpy names and sizes).
#include "pyalign/dtype.hpp"

namespace pyalign {

DType dtype_from_name(const std::string& name) {
    static const char* const names[] = {"uint8", "int8", "uint16", "int16", "uint32",
                                        "int32", "int64", "float16", "float32", "float64"};
    for (int i = 0; i < 10; ++i)
        if (name == names[i]) return static_cast<DType>(i);
    throw Error("unknown dtype '" + name + "' (expected one of uint8 int8 uint16 int16 uint32 int32 int64 float16 float32 float64)");
}

const char* dtype_name(DType t) {
    static const char* const names[] = {"uint8", "int8", "uint16", "int16", "uint32",
                                        "int32", "int64", "float16", "float32", "float64"};
    const int i = static_cast<int>(t);
    if (i < 0 || i > 9) throw Error("invalid dtype");
    return names[i];
}

std::size_t dtype_size(DType t) {
    static const std::size_t sizes[] = {1, 1, 2, 2, 4, 4, 8, 2, 4, 8};
    const int i = static_cast<int>(t);
    if (i < 0 || i > 9) throw Error("invalid dtype");
    return sizes[i];
}

}  // namespace pyalign

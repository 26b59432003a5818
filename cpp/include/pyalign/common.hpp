// pyalign — shared definitions for the C++ core.
//
// Every public function of the library reports bad arguments by throwing
// pyalign::Error (a std::invalid_argument), which the Python binding turns
// into ValueError. Nothing in the library aborts or prints.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace pyalign {

/// The library version, kept equal to the Python package's.
inline constexpr const char* kVersion = "0.1.0";

/// Largest value of the `threads` option (resize, csc, letterbox, Pipeline::run); 0 means one
/// thread per CPU, negative values are an error.
inline constexpr int kMaxThreads = 256;

/// Thrown for every invalid argument (bad shape, size, format, threshold...).
class Error : public std::invalid_argument {
public:
    explicit Error(const std::string& what) : std::invalid_argument(what) {}
};

/// A non-owning view of an interleaved 8-bit or float image (HWC), row stride in bytes.
template <typename T>
struct ImageView {
    T* data = nullptr;
    int height = 0;
    int width = 0;
    int channels = 0;
    std::ptrdiff_t stride = 0;  ///< bytes between the starts of two rows

    T* row(int y) const {
        using Byte = std::conditional_t<std::is_const<T>::value, const unsigned char, unsigned char>;
        return reinterpret_cast<T*>(reinterpret_cast<Byte*>(data) + static_cast<std::ptrdiff_t>(y) * stride);
    }
};

}  // namespace pyalign

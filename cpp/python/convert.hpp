// Small conversions shared by the bind_*.cpp files (internal to the extension module).
#pragma once

#include <pybind11/numpy.h>

#include <string>

#include "pyalign/resize.hpp"

namespace pyalign_py {

/// numpy's repr of an array's shape, e.g. "(480, 640, 3)" or "(7,)", for error messages.
inline std::string shape_text(const pybind11::array& a) {
    std::string s = "(";
    for (pybind11::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
    return s + (a.ndim() == 1 ? ",)" : ")");
}

/// The `threads` argument: 0 (one per CPU) .. pyalign::kMaxThreads.
inline void check_threads(int threads) {
    if (threads < 0 || threads > pyalign::kMaxThreads)
        throw pyalign::Error("threads must be in 0.." + std::to_string(pyalign::kMaxThreads) +
                             " (0 = one per CPU), got " + std::to_string(threads));
}

/// A letterbox / resize geometry as the dict pyalign.core.LetterboxInfo is built from.
inline pybind11::dict geometry_dict(const pyalign::LetterboxGeometry& g) {
    pybind11::dict d;
    d["scale_x"] = g.scale_x;
    d["scale_y"] = g.scale_y;
    d["pad_left"] = g.pad_left;
    d["pad_top"] = g.pad_top;
    d["pad_right"] = g.pad_right;
    d["pad_bottom"] = g.pad_bottom;
    d["resized_width"] = g.resized_width;
    d["resized_height"] = g.resized_height;
    d["src_width"] = g.src_width;
    d["src_height"] = g.src_height;
    d["dst_width"] = g.dst_width;
    d["dst_height"] = g.dst_height;
    return d;
}

}  // namespace pyalign_py

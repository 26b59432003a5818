// Declarations of the per-family binding functions; module.cpp calls each once.
#pragma once

#include <pybind11/pybind11.h>

namespace pyalign_py {
void bind_tensor_io(pybind11::module_& m);
void bind_resize(pybind11::module_& m);
void bind_csc(pybind11::module_& m);
void bind_normalize(pybind11::module_& m);
void bind_pipeline(pybind11::module_& m);
void bind_postprocess(pybind11::module_& m);
void bind_compare(pybind11::module_& m);
}  // namespace pyalign_py

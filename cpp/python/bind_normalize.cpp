// Binding of the normalize family: _core.normalize(src, mean, std, swap_rb, layout, to_float).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "convert.hpp"
#include "pyalign/normalize.hpp"

namespace py = pybind11;

namespace pyalign_py {
namespace {

std::vector<py::ssize_t> tensor_shape(pyalign::Layout l, py::ssize_t h, py::ssize_t w, py::ssize_t c) {
    switch (l) {
        case pyalign::Layout::HW: return {h, w};
        case pyalign::Layout::HWC: return {h, w, c};
        case pyalign::Layout::CHW: return {c, h, w};
        case pyalign::Layout::NHWC: return {1, h, w, c};
        case pyalign::Layout::NCHW: return {1, c, h, w};
    }
    return {};
}

void fill_channel_values(const std::optional<std::vector<double>>& v, int channels, const char* what, float* out,
                         float dflt) {
    for (int c = 0; c < 4; ++c) out[c] = dflt;
    if (!v) return;
    const std::size_t n = v->size();
    if (n != 1 && n != static_cast<std::size_t>(channels))
        throw pyalign::Error(std::string("normalize: ") + what + " has " + std::to_string(n) +
                             " values; the image has " + std::to_string(channels) + " channel(s): give 1 or " +
                             std::to_string(channels));
    for (int c = 0; c < channels; ++c) out[c] = static_cast<float>((*v)[n == 1 ? 0 : static_cast<std::size_t>(c)]);
}

py::array normalize_py(const py::array& src, const std::optional<std::vector<double>>& mean,
                       const std::optional<std::vector<double>>& stdv, bool swap_rb,
                       const std::optional<std::string>& layout, bool to_float) {
    const bool is_u8 = src.dtype().equal(py::dtype::of<uint8_t>());
    const bool is_f32 = src.dtype().equal(py::dtype::of<float>());
    if (!is_u8 && !is_f32)
        throw pyalign::Error("normalize: the image must be uint8 or float32, got " + std::string(py::str(src.dtype())));
    if (!(src.flags() & py::array::c_style))
        throw pyalign::Error("normalize: the image must be C-contiguous (use numpy.ascontiguousarray)");
    if (src.ndim() != 2 && src.ndim() != 3)
        throw pyalign::Error("normalize: the image must be shaped (H, W) or (H, W, C), got " + shape_text(src));
    const py::ssize_t h = src.shape(0), w = src.shape(1), c = src.ndim() == 3 ? src.shape(2) : 1;
    if (h <= 0 || w <= 0) throw pyalign::Error("normalize: the image is empty: shape " + shape_text(src));
    if (h > (1 << 20) || w > (1 << 20)) throw pyalign::Error("normalize: the image is too large: " + shape_text(src));
    if (c < 1 || c > 4) throw pyalign::Error("normalize: the image must have 1 to 4 channels, got " + shape_text(src));
    pyalign::NormalizeSpec spec;
    spec.channels = static_cast<int>(c);
    spec.swap_rb = swap_rb;
    spec.normalize = mean.has_value() || stdv.has_value();
    spec.to_float = to_float;
    spec.layout = layout ? pyalign::parse_layout(*layout) : (src.ndim() == 2 ? pyalign::Layout::HW : pyalign::Layout::HWC);
    fill_channel_values(mean, spec.channels, "mean", spec.mean, 0.0f);
    fill_channel_values(stdv, spec.channels, "std", spec.stdv, 1.0f);
    if (is_f32 && !to_float) throw pyalign::Error("normalize: a float32 image cannot give a uint8 tensor");
    pyalign::validate_normalize(spec);
    const auto shape = tensor_shape(spec.layout, h, w, c);
    const int H = static_cast<int>(h), W = static_cast<int>(w);
    if (to_float) {
        py::array_t<float> out(shape);
        float* o = out.mutable_data();
        if (is_u8) {
            const auto* s = static_cast<const uint8_t*>(src.data());
            py::gil_scoped_release nogil;
            pyalign::normalize_u8(s, H, W, spec, o);
        } else {
            const auto* s = static_cast<const float*>(src.data());
            py::gil_scoped_release nogil;
            pyalign::normalize_f32(s, H, W, spec, o);
        }
        return std::move(out);
    }
    py::array_t<uint8_t> out(shape);
    uint8_t* o = out.mutable_data();
    const auto* s = static_cast<const uint8_t*>(src.data());
    {
        py::gil_scoped_release nogil;
        pyalign::normalize_u8(s, H, W, spec, o);
    }
    return std::move(out);
}

}  // namespace

void bind_normalize(py::module_& m) {
    m.def("normalize", &normalize_py, py::arg("src"), py::arg("mean") = py::none(), py::arg("std") = py::none(),
          py::arg("swap_rb") = false, py::arg("layout") = py::none(), py::arg("to_float") = true,
          "Channel swap, (x - mean) / std in float32 and layout (see normalize.hpp).");
}

}  // namespace pyalign_py

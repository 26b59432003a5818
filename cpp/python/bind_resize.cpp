// Binding of the resize family: resize (linear / nearest, uint8 / float32), the Pillow-exact
// resize_pil (uint8 L / RGB / RGBA) and letterbox.
// Arrays are validated here (dtype, ndim, channels, C-contiguity) before any pointer is used; the
// C++ work runs with the GIL released. The Python wrapper (pyalign/core/_resize.py) gives the
// public signatures.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.hpp"
#include "convert.hpp"
#include "pyalign/pipeline.hpp"
#include "pyalign/resize.hpp"

namespace py = pybind11;

namespace pyalign_py {
namespace {

struct Shape {
    int h, w, cn;
    bool has_channel_axis;
};

Shape image_shape(const py::array& a) {
    if (a.ndim() != 2 && a.ndim() != 3) {
        throw pyalign::Error("image must have 2 (HxW) or 3 (HxWxC) dimensions, got " + std::to_string(a.ndim()));
    }
    const py::ssize_t h = a.shape(0), w = a.shape(1), cn = a.ndim() == 3 ? a.shape(2) : 1;
    if (h <= 0 || w <= 0 || cn <= 0) {
        throw pyalign::Error("image is empty (height " + std::to_string(h) + ", width " + std::to_string(w) +
                             ", channels " + std::to_string(cn) + ")");
    }
    if (cn > 4) throw pyalign::Error("image must have 1 to 4 channels, got " + std::to_string(cn));
    if (h > pyalign::kMaxResizeSide || w > pyalign::kMaxResizeSide) {
        throw pyalign::Error("image of " + std::to_string(w) + "x" + std::to_string(h) + " is too large");
    }
    if (!(a.flags() & py::array::c_style)) throw pyalign::Error("image must be C-contiguous");
    constexpr int kNpyAligned = 0x0100;  // NPY_ARRAY_ALIGNED
    if (!(a.flags() & kNpyAligned)) throw pyalign::Error("image data must be aligned for its dtype");
    return {static_cast<int>(h), static_cast<int>(w), static_cast<int>(cn), a.ndim() == 3};
}

void check_dsize(int dst_w, int dst_h, int cn) {
    if (dst_w <= 0 || dst_h <= 0) {
        throw pyalign::Error("dsize must be positive, got (" + std::to_string(dst_w) + ", " + std::to_string(dst_h) +
                             ")");
    }
    if (dst_w > pyalign::kMaxResizeSide || dst_h > pyalign::kMaxResizeSide ||
        static_cast<long long>(dst_w) * dst_h * cn > (1LL << 32)) {
        throw pyalign::Error("dsize (" + std::to_string(dst_w) + ", " + std::to_string(dst_h) + ") is too large");
    }
}

template <typename T>
py::array_t<T> new_image(const Shape& s, int h, int w) {
    if (s.has_channel_axis) return py::array_t<T>({h, w, s.cn});
    return py::array_t<T>({h, w});
}

template <typename T>
pyalign::ImageView<const T> view_in(const py::array& a, const Shape& s) {
    pyalign::ImageView<const T> v;
    v.data = static_cast<const T*>(a.data());
    v.height = s.h;
    v.width = s.w;
    v.channels = s.cn;
    v.stride = static_cast<std::ptrdiff_t>(s.w) * s.cn * static_cast<std::ptrdiff_t>(sizeof(T));
    return v;
}

template <typename T>
pyalign::ImageView<T> view_out(py::array_t<T>& a, int h, int w, int cn) {
    pyalign::ImageView<T> v;
    v.data = a.mutable_data();
    v.height = h;
    v.width = w;
    v.channels = cn;
    v.stride = static_cast<std::ptrdiff_t>(w) * cn * static_cast<std::ptrdiff_t>(sizeof(T));
    return v;
}

template <typename T>
py::array resize_typed(const py::array& src, const Shape& s, int dst_w, int dst_h, bool linear, int threads) {
    py::array_t<T> out = new_image<T>(s, dst_h, dst_w);
    const auto in = view_in<T>(src, s);
    const auto dst = view_out<T>(out, dst_h, dst_w, s.cn);
    {
        py::gil_scoped_release release;
        if (linear) {
            pyalign::resize_linear(in, dst, threads);
        } else {
            pyalign::resize_nearest(in, dst, threads);
        }
    }
    return std::move(out);
}

py::array resize(const py::array& src, int dst_w, int dst_h, const std::string& interpolation, int threads) {
    const Shape s = image_shape(src);
    check_dsize(dst_w, dst_h, s.cn);
    const bool linear = pyalign::parse_interpolation(interpolation) == pyalign::Interpolation::Linear;
    check_threads(threads);
    if (src.dtype().equal(py::dtype::of<uint8_t>())) return resize_typed<uint8_t>(src, s, dst_w, dst_h, linear, threads);
    if (src.dtype().equal(py::dtype::of<float>())) return resize_typed<float>(src, s, dst_w, dst_h, linear, threads);
    throw pyalign::Error("image dtype must be uint8 or float32, got " + std::string(py::str(src.dtype())));
}

py::array resize_pil(const py::array& src, int dst_w, int dst_h, const std::string& interpolation, int pillow_major,
                     int pillow_minor) {
    const Shape s = image_shape(src);
    check_dsize(dst_w, dst_h, s.cn);
    if (!src.dtype().equal(py::dtype::of<uint8_t>())) {
        throw pyalign::Error("Pillow resize takes uint8 images, got " + std::string(py::str(src.dtype())));
    }
    if (s.cn == 2) throw pyalign::Error("Pillow resize takes 1 (L), 3 (RGB) or 4 (RGBA) channels, got 2");
    const pyalign::PilFilter filter = pyalign::parse_pil_filter(interpolation);
    const pyalign::PilPassOrder order = pyalign::pil_pass_order(pillow_major, pillow_minor);
    py::array_t<uint8_t> out = new_image<uint8_t>(s, dst_h, dst_w);
    const auto in = view_in<uint8_t>(src, s);
    const auto dst = view_out<uint8_t>(out, dst_h, dst_w, s.cn);
    {
        py::gil_scoped_release release;
        pyalign::resize_pil(in, dst, filter, order);
    }
    return std::move(out);
}

py::dict letterbox_geometry(int src_w, int src_h, int dst_w, int dst_h, const std::string& style) {
    const pyalign::LetterboxStyle st = pyalign::parse_letterbox_style(style);
    return geometry_dict(pyalign::letterbox_geometry(src_w, src_h, dst_w, dst_h, st));
}

py::tuple letterbox(const py::array& src, int dst_w, int dst_h, const std::vector<int>& pad,
                    const std::string& style, int threads) {
    const Shape s = image_shape(src);
    check_threads(threads);
    check_dsize(dst_w, dst_h, s.cn);
    if (!src.dtype().equal(py::dtype::of<uint8_t>())) {
        throw pyalign::Error("letterbox image dtype must be uint8, got " + std::string(py::str(src.dtype())));
    }
    if (static_cast<int>(pad.size()) != s.cn) {
        throw pyalign::Error("pad must have one value per channel (" + std::to_string(s.cn) + "), got " +
                             std::to_string(pad.size()));
    }
    uint8_t pad8[4] = {0, 0, 0, 0};
    for (int c = 0; c < s.cn; ++c) {
        if (pad[c] < 0 || pad[c] > 255) {
            throw pyalign::Error("pad value " + std::to_string(pad[c]) + " is outside 0..255");
        }
        pad8[c] = static_cast<uint8_t>(pad[c]);
    }
    const pyalign::LetterboxStyle st = pyalign::parse_letterbox_style(style);
    py::array_t<uint8_t> out = new_image<uint8_t>(s, dst_h, dst_w);
    const auto in = view_in<uint8_t>(src, s);
    const auto dst = view_out<uint8_t>(out, dst_h, dst_w, s.cn);
    pyalign::LetterboxGeometry g;
    {
        py::gil_scoped_release release;
        pyalign::letterbox(in, dst, pad8, st, &g, threads);
    }
    return py::make_tuple(std::move(out), geometry_dict(g));
}

}  // namespace

void bind_resize(py::module_& m) {
    m.def("resize", &resize, py::arg("src"), py::arg("dst_width"), py::arg("dst_height"),
          py::arg("interpolation") = "linear", py::arg("threads") = 1,
          "OpenCV-exact resize of a C-contiguous uint8/float32 HxW or HxWxC (C<=4) image.");
    m.def("resize_pil", &resize_pil, py::arg("src"), py::arg("dst_width"), py::arg("dst_height"),
          py::arg("interpolation") = "linear", py::arg("pillow_major") = 13, py::arg("pillow_minor") = 0,
          "Pillow-exact Image.resize of a C-contiguous uint8 HxW or HxWxC (C in 1, 3, 4) image; the pass order "
          "of Pillow release pillow_major.pillow_minor (9.0 or later).");
    m.def("letterbox", &letterbox, py::arg("src"), py::arg("dst_width"), py::arg("dst_height"), py::arg("pad"),
          py::arg("style") = "ultralytics", py::arg("threads") = 1,
          "Letterbox a C-contiguous uint8 image; returns (image, geometry dict).");
    m.def("letterbox_geometry", &letterbox_geometry, py::arg("src_width"), py::arg("src_height"),
          py::arg("dst_width"), py::arg("dst_height"), py::arg("style") = "ultralytics",
          "Letterbox geometry (scale, padding, sizes) as a dict.");
}

}  // namespace pyalign_py

// Binding of the csc family: _core.csc(src, src_format, dst_format, mode, matrix).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "convert.hpp"
#include "pyalign/csc.hpp"

namespace py = pybind11;

namespace pyalign_py {
namespace {

void check_u8_contiguous(const py::array& a, const char* what) {
    if (!a.dtype().is(py::dtype::of<uint8_t>()))
        throw pyalign::Error(std::string(what) + " must have dtype uint8, got " + std::string(py::str(a.dtype())));
    if (!(a.flags() & py::array::c_style))
        throw pyalign::Error(std::string(what) + " must be C-contiguous (use numpy.ascontiguousarray)");
}

// Width and height of a frame array of format f (validates the shape).
void frame_geometry(const py::array& a, pyalign::PixelFormat f, int& width, int& height) {
    using pyalign::PixelFormat;
    const std::string name = pyalign::pixel_format_name(f);
    auto bad = [&](const std::string& want) {
        return pyalign::Error(name + " image must be shaped " + want + ", got " + shape_text(a));
    };
    py::ssize_t h = 0, w = 0;
    switch (f) {
        case PixelFormat::BGR:
        case PixelFormat::RGB:
            if (a.ndim() != 3 || a.shape(2) != 3) throw bad("(H, W, 3)");
            h = a.shape(0);
            w = a.shape(1);
            break;
        case PixelFormat::GRAY:
            if (a.ndim() != 2) throw bad("(H, W)");
            h = a.shape(0);
            w = a.shape(1);
            break;
        case PixelFormat::YUV420SP:
        case PixelFormat::YVU420SP:
            if (a.ndim() != 2) throw bad("(H*3/2, W)");
            if (a.shape(0) % 3 != 0)
                throw pyalign::Error(name + " frame must have H*3/2 rows (a multiple of 3), got " + shape_text(a));
            h = a.shape(0) / 3 * 2;
            w = a.shape(1);
            break;
        case PixelFormat::YUYV422:
        case PixelFormat::UYVY422:
            if (a.ndim() != 3 || a.shape(2) != 2) throw bad("(H, W, 2)");
            h = a.shape(0);
            w = a.shape(1);
            break;
    }
    if (h <= 0 || w <= 0) throw pyalign::Error(name + " image is empty: shape " + shape_text(a));
    if (h > (1 << 20) || w > (1 << 20)) throw pyalign::Error(name + " image too large: shape " + shape_text(a));
    width = static_cast<int>(w);
    height = static_cast<int>(h);
    pyalign::check_frame_size(f, width, height);
}

py::array csc_py(const py::array& src, const std::string& src_format, const std::string& dst_format,
                 const std::string& mode_name, const std::optional<std::vector<double>>& matrix, int threads) {
    using pyalign::PixelFormat;
    check_threads(threads);
    const PixelFormat sf = pyalign::parse_pixel_format(src_format);
    const PixelFormat df = pyalign::parse_pixel_format(dst_format);
    const pyalign::CscMode mode = pyalign::parse_csc_mode(mode_name);
    std::vector<double> mat;
    if (matrix) {
        if (mode != pyalign::CscMode::Matrix) throw pyalign::Error("csc: matrix is only allowed with mode 'matrix'");
        if (matrix->size() != 12)
            throw pyalign::Error("csc: matrix must have 12 numbers (3x4, Pulsar2 csc_mat), got " +
                                 std::to_string(matrix->size()));
        mat = *matrix;
    } else if (mode == pyalign::CscMode::Matrix) {
        throw pyalign::Error("csc: mode 'matrix' needs a matrix of 12 numbers (3x4, Pulsar2 csc_mat)");
    }
    check_u8_contiguous(src, "csc source");
    int w = 0, h = 0;
    const auto* in = static_cast<const uint8_t*>(src.data());
    if (pyalign::is_yuv(sf)) {
        if (df != PixelFormat::BGR && df != PixelFormat::RGB)
            throw pyalign::Error(std::string("csc: ") + src_format + " converts only to BGR or RGB, not " + dst_format);
        frame_geometry(src, sf, w, h);
        pyalign::YuvRowConverter conv(sf, w, h, df == PixelFormat::RGB, mode, mat.empty() ? nullptr : mat.data());
        py::array_t<uint8_t> out({static_cast<py::ssize_t>(h), static_cast<py::ssize_t>(w), py::ssize_t{3}});
        uint8_t* o = out.mutable_data();
        {
            py::gil_scoped_release nogil;
            conv.convert(in, o, static_cast<std::ptrdiff_t>(w) * 3, threads);
        }
        return std::move(out);
    }
    if (sf == PixelFormat::BGR || sf == PixelFormat::RGB) {
        if (mode != pyalign::CscMode::OpenCV)
            throw pyalign::Error(std::string("csc: mode '") + mode_name + "' applies to YUV sources only; " +
                                 src_format + " -> " + dst_format + " uses mode 'opencv'");
        frame_geometry(src, sf, w, h);
        if (df == PixelFormat::BGR || df == PixelFormat::RGB) {
            py::array_t<uint8_t> out({static_cast<py::ssize_t>(h), static_cast<py::ssize_t>(w), py::ssize_t{3}});
            uint8_t* o = out.mutable_data();
            const bool swap = sf != df;
            {
                py::gil_scoped_release nogil;
                const std::size_t n = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
                if (swap) {
                    for (std::size_t i = 0; i < n; ++i) {
                        o[3 * i] = in[3 * i + 2];
                        o[3 * i + 1] = in[3 * i + 1];
                        o[3 * i + 2] = in[3 * i];
                    }
                } else {
                    std::memcpy(o, in, n * 3);
                }
            }
            return std::move(out);
        }
        if (!pyalign::is_yuv(df))
            throw pyalign::Error(std::string("csc: ") + src_format + " converts only to BGR, RGB or a YUV format, not " +
                                 dst_format);
        pyalign::check_frame_size(df, w, h);
        std::vector<py::ssize_t> shape;
        if (df == PixelFormat::YUV420SP || df == PixelFormat::YVU420SP)
            shape = {static_cast<py::ssize_t>(h) / 2 * 3, static_cast<py::ssize_t>(w)};
        else
            shape = {static_cast<py::ssize_t>(h), static_cast<py::ssize_t>(w), py::ssize_t{2}};
        py::array_t<uint8_t> out(shape);
        uint8_t* o = out.mutable_data();
        {
            py::gil_scoped_release nogil;
            pyalign::rgb_to_yuv(in, w, h, sf == PixelFormat::RGB, df, o, threads);
        }
        return std::move(out);
    }
    throw pyalign::Error(std::string("csc: unsupported conversion ") + src_format + " -> " + dst_format);
}

}  // namespace

void bind_csc(py::module_& m) {
    m.def("csc", &csc_py, py::arg("src"), py::arg("src_format"), py::arg("dst_format"), py::arg("mode") = "opencv",
          py::arg("matrix") = py::none(), py::arg("threads") = 1,
          "Colour-space conversion YUV420SP/YVU420SP/YUYV422/UYVY422 <-> BGR/RGB (see csc.hpp).");
}

}  // namespace pyalign_py

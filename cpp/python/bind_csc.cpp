// Binding of the csc family: _core.csc(src, src_format, dst_format, mode, matrix) and the pixel-format
// table (_core.pixel_formats, _core.frame_bytes, _core.frame_shape).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstring>
#include <numeric>
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
    if (!a.dtype().equal(py::dtype::of<uint8_t>()))
        throw pyalign::Error(std::string(what) + " must have dtype uint8, got " + std::string(py::str(a.dtype())));
    if (!(a.flags() & py::array::c_style))
        throw pyalign::Error(std::string(what) + " must be C-contiguous (use numpy.ascontiguousarray)");
}

// Width and height of a frame array of format f (validates the shape; the inverse of frame_shape).
void frame_geometry(const py::array& a, pyalign::PixelFormat f, int& width, int& height) {
    const pyalign::PixelFormatInfo& info = pyalign::pixel_format_info(f);
    const std::string name = info.name;
    auto bad = [&](const std::string& want) {
        return pyalign::Error(name + " image must be shaped " + want + ", got " + shape_text(a));
    };
    py::ssize_t h = 0, w = 0;
    if (info.family == pyalign::PixelFamily::SemiPlanarYuv) {
        // H rows of Y, then the chroma rows: H * bits_per_pixel / 8 rows in all (num/den reduced)
        const int g = std::gcd(info.bits_per_pixel, 8), num = info.bits_per_pixel / g, den = 8 / g;
        const std::string rows = "H*" + std::to_string(num) + (den > 1 ? "/" + std::to_string(den) : "");
        if (a.ndim() != 2) throw bad("(" + rows + ", W)");
        if (a.shape(0) % num != 0)
            throw pyalign::Error(name + " frame must have " + rows + " rows (a multiple of " + std::to_string(num) +
                                 "), got " + shape_text(a));
        h = a.shape(0) / num * den;
        w = a.shape(1);
    } else {
        const int per_pixel = info.bits_per_pixel / 8;
        if (per_pixel == 1 && a.ndim() != 2) throw bad("(H, W)");
        if (per_pixel > 1 && (a.ndim() != 3 || a.shape(2) != per_pixel))
            throw bad("(H, W, " + std::to_string(per_pixel) + ")");
        h = a.shape(0);
        w = a.shape(1);
    }
    if (h <= 0 || w <= 0) throw pyalign::Error(name + " image is empty: shape " + shape_text(a));
    if (h > (1 << 20) || w > (1 << 20)) throw pyalign::Error(name + " image too large: shape " + shape_text(a));
    width = static_cast<int>(w);
    height = static_cast<int>(h);
    pyalign::check_frame_size(f, width, height);
}

const char* family_name(pyalign::PixelFamily f) {
    switch (f) {
        case pyalign::PixelFamily::PackedRgb: return "packed_rgb";
        case pyalign::PixelFamily::Gray: return "gray";
        case pyalign::PixelFamily::SemiPlanarYuv: return "semi_planar_yuv";
        case pyalign::PixelFamily::PackedYuv: return "packed_yuv";
    }
    return "?";
}

// The C++ format table as a list of dicts, with pyalign.formats.PixelFormat's field names.
py::list pixel_formats_py() {
    py::list out;
    for (const pyalign::PixelFormatInfo& i : pyalign::kPixelFormats) {
        py::dict d;
        d["name"] = i.name;
        d["aliases"] = *i.alias ? py::make_tuple(i.alias) : py::tuple();
        d["family"] = family_name(i.family);
        d["channels"] = i.channels;
        d["bits_per_pixel"] = i.bits_per_pixel;
        d["subsampling"] = py::make_tuple(i.sub_x, i.sub_y);
        d["offsets"] = i.y_offset < 0 ? py::tuple() : py::make_tuple(i.y_offset, i.u_offset, i.v_offset);
        d["is_yuv"] = pyalign::is_yuv(i.format);
        out.append(d);
    }
    return out;
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
        const std::vector<std::size_t> dims = pyalign::frame_shape(df, w, h);
        py::array_t<uint8_t> out(std::vector<py::ssize_t>(dims.begin(), dims.end()));
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
          "Colour-space conversion between a YUV format and BGR/RGB, and BGR <-> RGB (see csc.hpp).");
    m.def("pixel_formats", &pixel_formats_py,
          "The pixel-format table of the C++ core (kPixelFormats), one dict per format.");
    m.def(
        "frame_bytes",
        [](const std::string& format, int width, int height) {
            const pyalign::PixelFormat f = pyalign::parse_pixel_format(format);
            pyalign::check_frame_size(f, width, height);
            return pyalign::frame_bytes(f, width, height);
        },
        py::arg("format"), py::arg("width"), py::arg("height"),
        "Bytes of a width x height frame (pyalign::frame_bytes, after check_frame_size).");
    m.def(
        "frame_shape",
        [](const std::string& format, int width, int height) {
            const pyalign::PixelFormat f = pyalign::parse_pixel_format(format);
            pyalign::check_frame_size(f, width, height);
            const std::vector<std::size_t> dims = pyalign::frame_shape(f, width, height);
            return py::tuple(py::cast(dims));
        },
        py::arg("format"), py::arg("width"), py::arg("height"),
        "Array shape of a width x height frame as cv2.cvtColor takes it (pyalign::frame_shape).");
}

}  // namespace pyalign_py

// Binding of the tensor I/O family: SHA-256, raw .bin reads and capture sets written/read by C++.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "pyalign/tensor_io.hpp"

namespace py = pybind11;

namespace pyalign_py {
namespace {

/// A C-contiguous view of any buffer-protocol object, released on destruction.
struct Buffer {
    Py_buffer view{};
    explicit Buffer(const py::object& obj) {
        if (PyObject_GetBuffer(obj.ptr(), &view, PyBUF_C_CONTIGUOUS) != 0) throw py::error_already_set();
    }
    ~Buffer() { PyBuffer_Release(&view); }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
};

std::vector<std::int64_t> shape_of(const py::array& a) {
    std::vector<std::int64_t> s;
    for (py::ssize_t i = 0; i < a.ndim(); ++i) s.push_back(static_cast<std::int64_t>(a.shape(i)));
    return s;
}

/// The array as C-contiguous, native (little-endian) byte order; its pyalign dtype.
py::array normalised(const py::handle& obj, pyalign::DType& dtype, const std::string& what) {
    py::module_ np = py::module_::import("numpy");
    py::array a = np.attr("asarray")(obj);
    const std::string name = py::str(a.dtype().attr("name"));
    const char kind = a.dtype().kind();
    if (kind != 'u' && kind != 'i' && kind != 'f')
        throw pyalign::Error(what + ": unsupported dtype " + std::string(py::str(a.dtype())));
    try {
        dtype = pyalign::dtype_from_name(name);
    } catch (const pyalign::Error&) {
        throw pyalign::Error(what + ": unsupported dtype " + name);
    }
    py::object native = a.dtype().attr("newbyteorder")("=");
    return a.attr("astype")(native, py::arg("order") = "C", py::arg("copy") = false);
}

std::string opt_str(const py::tuple& t, std::size_t i) {
    if (t.size() <= i || t[i].is_none()) return "";
    return t[i].cast<std::string>();
}

py::object str_or_none(const std::string& s) { return s.empty() ? py::object(py::none()) : py::object(py::str(s)); }

py::dict info_dict(const pyalign::TensorInfo& t) {
    // The keys are made once (and kept for the life of the process): a manifest may list tens of
    // thousands of tensors.
    static const py::str* keys = [] {
        return new py::str[10]{py::str("stage"), py::str("name"),  py::str("file"),  py::str("dtype"),
                               py::str("shape"), py::str("layout"), py::str("color"), py::str("kind"),
                               py::str("sha256"), py::str("path")};
    }();
    py::dict d;
    d[keys[0]] = py::str(t.stage);
    d[keys[1]] = py::str(t.name);
    d[keys[2]] = py::str(t.file);
    d[keys[3]] = py::str(pyalign::dtype_name(t.dtype));
    py::tuple shape(t.shape.size());
    for (std::size_t k = 0; k < t.shape.size(); ++k) shape[k] = py::int_(t.shape[k]);
    d[keys[4]] = shape;
    d[keys[5]] = str_or_none(t.layout);
    d[keys[6]] = str_or_none(t.color);
    d[keys[7]] = str_or_none(t.kind);
    d[keys[8]] = str_or_none(t.sha256);
    d[keys[9]] = py::str(t.path);
    return d;
}

py::array empty_array(const pyalign::TensorInfo& t) {
    std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
    return py::array(py::dtype(std::string("<") + (t.dtype == pyalign::DType::u8   ? "u1"
                                                   : t.dtype == pyalign::DType::i8  ? "i1"
                                                   : t.dtype == pyalign::DType::u16 ? "u2"
                                                   : t.dtype == pyalign::DType::i16 ? "i2"
                                                   : t.dtype == pyalign::DType::u32 ? "u4"
                                                   : t.dtype == pyalign::DType::i32 ? "i4"
                                                   : t.dtype == pyalign::DType::i64 ? "i8"
                                                   : t.dtype == pyalign::DType::f16 ? "f2"
                                                   : t.dtype == pyalign::DType::f32 ? "f4"
                                                                                    : "f8")),
                     shape);
}

/// Read a tensor's file into a new array (exact size check, sha256 when asked), GIL released.
py::array load_into_array(const pyalign::TensorInfo& t, bool verify_sha256) {
    const std::size_t n = t.nbytes();
    {
        // Check the file before allocating: a wrong or huge shape must not cost memory.
        py::gil_scoped_release nogil;
        pyalign::check_bin_size(t.path, n);
    }
    py::array out = empty_array(t);
    void* dst = out.mutable_data();
    {
        py::gil_scoped_release nogil;
        pyalign::read_bin_into(t.path, dst, n);
        if (verify_sha256 && !t.sha256.empty()) {
            const std::string got = pyalign::sha256_hex(dst, n);
            if (got != t.sha256)
                throw pyalign::Error(t.path + ": sha256 mismatch (tensor " + t.stage + "/" + t.name +
                                     "): manifest says " + t.sha256 + ", file has " + got);
        }
    }
    return out;
}

}  // namespace

void bind_tensor_io(py::module_& m) {
    m.def(
        "sha256",
        [](const py::object& data) {
            Buffer buf(data);
            const void* p = buf.view.buf;
            const std::size_t n = static_cast<std::size_t>(buf.view.len);
            py::gil_scoped_release nogil;
            return pyalign::sha256_hex(p, n);
        },
        py::arg("data"),
        "Hex SHA-256 of a C-contiguous buffer (bytes, bytearray, memoryview, numpy array), computed in C++.");

    m.def(
        "sha256_file", [](const std::string& path) {
            py::gil_scoped_release nogil;
            return pyalign::sha256_file(path);
        },
        py::arg("path"), "Hex SHA-256 of a file, computed in C++.");

    m.def(
        "write_capture",
        [](const std::string& dir, const std::string& case_name, const py::list& tensors,
           const std::string& spec_json) {
            pyalign::CaptureWriter writer(dir, case_name);
            if (!spec_json.empty()) writer.set_spec_json(spec_json);
            struct Item {
                std::string stage, name, layout, color, kind;
                pyalign::DType dtype;
                std::vector<std::int64_t> shape;
                py::array array;
            };
            std::vector<Item> items;
            for (std::size_t i = 0; i < tensors.size(); ++i) {
                if (!py::isinstance<py::tuple>(tensors[i]))
                    throw pyalign::Error("tensors[" + std::to_string(i) +
                                         "] must be a tuple (stage, name, array[, layout[, color[, kind]]])");
                py::tuple t = tensors[i].cast<py::tuple>();
                if (t.size() < 3 || t.size() > 6)
                    throw pyalign::Error("tensors[" + std::to_string(i) +
                                         "] must be a tuple (stage, name, array[, layout[, color[, kind]]])");
                Item it;
                it.stage = t[0].cast<std::string>();
                it.name = t[1].cast<std::string>();
                it.array = normalised(t[2], it.dtype, "tensor " + it.stage + "/" + it.name);
                it.shape = shape_of(it.array);
                it.layout = opt_str(t, 3);
                it.color = opt_str(t, 4);
                it.kind = opt_str(t, 5);
                items.push_back(std::move(it));
            }
            pyalign::Manifest written;
            {
                py::gil_scoped_release nogil;
                for (const Item& it : items)
                    writer.add(it.stage, it.name, it.dtype, it.shape, it.array.data(), it.layout, it.color, it.kind);
                written = writer.commit();
            }
            py::list out;
            for (const auto& t : written.tensors) out.append(info_dict(t));
            return out;
        },
        py::arg("dir"), py::arg("case") = "", py::arg("tensors"), py::arg("spec_json") = "",
        "Write a capture set with the C++ CaptureWriter (atomic; manifest last).\n\n"
        "tensors: list of (stage, name, array[, layout[, color[, kind]]]). Returns the manifest's tensor entries.");

    m.def(
        "read_manifest",
        [](const std::string& dir) {
            pyalign::Manifest man;
            {
                py::gil_scoped_release nogil;
                man = pyalign::read_manifest(dir);
            }
            py::dict d;
            d["case"] = man.case_name;
            d["version"] = man.version;
            py::list ts;
            for (const auto& t : man.tensors) ts.append(info_dict(t));
            d["tensors"] = ts;
            return d;
        },
        py::arg("dir"), "Parse and validate a capture set's manifest.json with the C++ reader.");

    m.def(
        "load_tensor",
        [](const std::string& dir, const std::string& stage, const std::string& name, bool verify_sha256) {
            pyalign::Manifest man;
            {
                py::gil_scoped_release nogil;
                man = pyalign::read_manifest(dir);
            }
            return load_into_array(man.find(stage, name), verify_sha256);
        },
        py::arg("dir"), py::arg("stage"), py::arg("name") = "", py::arg("verify_sha256") = true,
        "Load one tensor of a capture set with the C++ reader (exact size check, sha256 check).");

    m.def(
        "read_bin",
        [](const std::string& path, const std::string& dtype, const std::vector<std::int64_t>& shape) {
            pyalign::TensorInfo t;
            t.dtype = pyalign::dtype_from_name(dtype);
            t.shape = shape;
            t.path = path;
            (void)t.nbytes();  // validates the shape
            return load_into_array(t, false);
        },
        py::arg("path"), py::arg("dtype"), py::arg("shape"),
        "Read a raw .bin file of the given dtype and shape with the C++ reader (exact size check).");
}

}  // namespace pyalign_py

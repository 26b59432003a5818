// Binding of the postprocess family as the submodule pyalign._core.postprocess.
// Arrays are validated here (dtype, ndim, C-contiguity, matching lengths) before any pointer
// is used; the C++ work runs with the GIL released. The Python wrapper
// (pyalign/core/_postprocess.py) gives the public signatures.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.hpp"
#include "pyalign/postprocess.hpp"

namespace py = pybind11;

namespace pyalign_py {
namespace {

void require_float32(const py::array& a, const std::string& name) {
    if (!a.dtype().equal(py::dtype::of<float>())) throw pyalign::Error(name + ": expected float32, got " + std::string(py::str(a.dtype())));
    if (!(a.flags() & py::array::c_style)) throw pyalign::Error(name + ": expected a C-contiguous array");
}

pyalign::FloatTensor tensor_of(const py::array& a, const std::string& name) {
    require_float32(a, name);
    pyalign::FloatTensor t;
    t.data = static_cast<const float*>(a.data());
    for (py::ssize_t i = 0; i < a.ndim(); ++i) t.shape.push_back(static_cast<int64_t>(a.shape(i)));
    return t;
}

std::vector<pyalign::FloatTensor> tensors_of(const std::vector<py::array>& arrays) {
    std::vector<pyalign::FloatTensor> out;
    for (std::size_t i = 0; i < arrays.size(); ++i) out.push_back(tensor_of(arrays[i], "outputs[" + std::to_string(i) + "]"));
    return out;
}

int checked_int(int64_t v, const char* name) {
    if (v < 0 || v > (1 << 30)) throw pyalign::Error(std::string(name) + " out of range: " + std::to_string(v));
    return static_cast<int>(v);
}

py::dict stats_dict(const pyalign::DetectStats& s) {
    py::dict d;
    d["anchors"] = s.anchors;
    d["nonfinite_scores"] = s.nonfinite_scores;
    d["nonfinite_boxes"] = s.nonfinite_boxes;
    d["candidates"] = s.candidates;
    d["after_topk"] = s.after_topk;
    return d;
}

py::tuple candidates_tuple(const pyalign::Candidates& c) {
    const py::ssize_t m = static_cast<py::ssize_t>(c.size());
    py::array_t<float> boxes({m, py::ssize_t{4}});
    py::array_t<float> scores(m);
    py::array_t<int64_t> classes(m);
    std::copy(c.boxes.begin(), c.boxes.end(), boxes.mutable_data());
    std::copy(c.scores.begin(), c.scores.end(), scores.mutable_data());
    std::copy(c.classes.begin(), c.classes.end(), classes.mutable_data());
    return py::make_tuple(boxes, scores, classes, stats_dict(c.stats));
}

pyalign::DecodeOptions options(double conf, int64_t pre_nms_topk, int64_t input_w, int64_t input_h) {
    pyalign::DecodeOptions o;
    o.conf_threshold = conf;
    if (pre_nms_topk < 0) throw pyalign::Error("pre_nms_topk must be >= 1 (or 0 for no limit)");
    o.pre_nms_topk = pre_nms_topk;
    o.input_width = checked_int(input_w, "input width");
    o.input_height = checked_int(input_h, "input height");
    return o;
}

/// N of validated boxes (float32 [N, 4]) and scores (float32 [N]).
py::ssize_t box_count(const py::array& boxes, const py::array& scores) {
    require_float32(boxes, "boxes");
    require_float32(scores, "scores");
    if (boxes.ndim() != 2 || boxes.shape(1) != 4) throw pyalign::Error("boxes: expected shape [N, 4]");
    const py::ssize_t n = boxes.shape(0);
    if (scores.ndim() != 1 || scores.shape(0) != n) throw pyalign::Error("scores: expected shape [N] matching boxes");
    return n;
}

/// Data of validated class ids (C-contiguous int64 [n]).
const int64_t* class_ids(const py::array& classes, py::ssize_t n) {
    if (!classes.dtype().equal(py::dtype::of<int64_t>()) || !(classes.flags() & py::array::c_style))
        throw pyalign::Error("classes: expected a C-contiguous int64 array");
    if (classes.ndim() != 1 || classes.shape(0) != n) throw pyalign::Error("classes: expected shape [N] matching boxes");
    return static_cast<const int64_t*>(classes.data());
}

/// Candidates from Python arrays (validated: boxes [N,4], scores [N], classes int64 [N]).
pyalign::Candidates candidates_of(const py::array& boxes, const py::array& scores, const py::array& classes) {
    const py::ssize_t n = box_count(boxes, scores);
    const int64_t* k = class_ids(classes, n);
    pyalign::Candidates c;
    const float* b = static_cast<const float*>(boxes.data());
    const float* s = static_cast<const float*>(scores.data());
    c.boxes.assign(b, b + 4 * n);
    c.scores.assign(s, s + n);
    c.classes.assign(k, k + n);
    return c;
}

pyalign::BoxMapping mapping_of(const std::vector<double>& m) {
    if (m.size() != 6) throw pyalign::Error("mapping: expected 6 numbers");
    pyalign::BoxMapping b;
    b.scale_x = m[0];
    b.scale_y = m[1];
    b.pad_left = m[2];
    b.pad_top = m[3];
    b.src_width = m[4];
    b.src_height = m[5];
    return b;
}

py::array_t<float> detections_array(const std::vector<float>& rows) {
    py::array_t<float> out({static_cast<py::ssize_t>(rows.size() / 6), py::ssize_t{6}});
    std::copy(rows.begin(), rows.end(), out.mutable_data());
    return out;
}

/// NMS settings of the fused decode + NMS + mapping calls.
struct Finish {
    double iou;
    bool class_agnostic;
    int64_t max_det;
    bool has_mapping;
    pyalign::BoxMapping mapping;
};

Finish finish_of(double iou, bool class_agnostic, int64_t max_det, const py::object& mapping) {
    Finish f{iou, class_agnostic, max_det, !mapping.is_none(), {}};
    if (f.has_mapping) f.mapping = mapping_of(mapping.cast<std::vector<double>>());
    return f;
}

/// Runs the decoder and NMS without the GIL; returns (detections [N, 6], stats).
template <typename Decode>
py::tuple fused(Decode decode, const Finish& f) {
    pyalign::Candidates c;
    std::vector<float> rows;
    {
        py::gil_scoped_release release;
        c = decode();
        rows = pyalign::detections(c, f.iou, f.class_agnostic, f.max_det, f.has_mapping ? &f.mapping : nullptr);
    }
    return py::make_tuple(detections_array(rows), stats_dict(c.stats));
}

}  // namespace

void bind_postprocess(pybind11::module_& parent) {
    py::module_ m = parent.def_submodule("postprocess", "Postprocessing core (see pyalign.core for the public API).");

    m.def("softmax", [](const py::array& x) {
        require_float32(x, "logits");
        if (x.ndim() != 1) throw pyalign::Error("logits: expected a 1-D vector");
        const int64_t n = x.shape(0);
        py::array_t<float> out(n);
        const float* in = static_cast<const float*>(x.data());
        float* o = out.mutable_data();
        {
            py::gil_scoped_release release;
            pyalign::softmax(in, n, o);
        }
        return out;
    });

    m.def("topk", [](const py::array& x, int64_t k) {
        require_float32(x, "scores");
        if (x.ndim() != 1) throw pyalign::Error("scores: expected a 1-D vector");
        const float* in = static_cast<const float*>(x.data());
        const int64_t n = x.shape(0);
        std::vector<int64_t> idx;
        {
            py::gil_scoped_release release;
            idx = pyalign::topk(in, n, k);
        }
        py::array_t<int64_t> out(static_cast<py::ssize_t>(idx.size()));
        std::copy(idx.begin(), idx.end(), out.mutable_data());
        return out;
    });

    m.def("classify", [](const py::array& x, int64_t k, bool apply_softmax) {
        require_float32(x, "logits");
        if (x.ndim() != 1) throw pyalign::Error("logits: expected a 1-D vector");
        const float* in = static_cast<const float*>(x.data());
        const int64_t n = x.shape(0);
        std::vector<float> rows;
        int64_t nonfinite = 0;
        {
            py::gil_scoped_release release;
            rows = pyalign::classify(in, n, k, apply_softmax, &nonfinite);
        }
        py::array_t<float> out({static_cast<py::ssize_t>(rows.size() / 2), py::ssize_t{2}});
        std::copy(rows.begin(), rows.end(), out.mutable_data());
        return py::make_tuple(out, nonfinite);
    });

    m.def("segment_argmax", [](const py::array& x, const std::string& layout) {
        require_float32(x, "logits");
        if (layout != "NCHW" && layout != "NHWC") throw pyalign::Error("layout must be 'NCHW' or 'NHWC', got '" + layout + "'");
        if (x.ndim() != 3) throw pyalign::Error("logits: expected [C, H, W] or [H, W, C]");
        const bool nhwc = layout == "NHWC";
        const int64_t c = nhwc ? x.shape(2) : x.shape(0);
        const int64_t h = nhwc ? x.shape(0) : x.shape(1);
        const int64_t w = nhwc ? x.shape(1) : x.shape(2);
        if (c < 1) throw pyalign::Error("logits: expected at least one class");
        py::array_t<int32_t> out({static_cast<py::ssize_t>(h), static_cast<py::ssize_t>(w)});
        const float* in = static_cast<const float*>(x.data());
        int32_t* o = out.mutable_data();
        int64_t nan_pixels;
        {
            py::gil_scoped_release release;
            nan_pixels = pyalign::segment_argmax(in, c, h, w, nhwc, o);
        }
        return py::make_tuple(out, nan_pixels);
    });

    m.def("grid_shapes", [](int64_t num_anchors, const std::vector<int>& strides, int64_t w, int64_t h) {
        return pyalign::grid_shapes(num_anchors, strides, checked_int(w, "input width"), checked_int(h, "input height"));
    });

    m.def("decode_yolov8", [](const std::vector<py::array>& outputs, int num_classes, int reg_max,
                              const std::vector<int>& strides, double conf, int64_t pre_nms_topk, int64_t input_w,
                              int64_t input_h, int activated) {
        const std::vector<pyalign::FloatTensor> ts = tensors_of(outputs);
        const pyalign::DecodeOptions o = options(conf, pre_nms_topk, input_w, input_h);
        const pyalign::Activation act = activated < 0   ? pyalign::Activation::Auto
                                        : activated == 0 ? pyalign::Activation::Logits
                                                         : pyalign::Activation::Probabilities;
        pyalign::Candidates c;
        {
            py::gil_scoped_release release;
            c = pyalign::decode_yolov8(ts, num_classes, reg_max, strides, o, act);
        }
        return candidates_tuple(c);
    });

    m.def("decode_yolov5", [](const std::vector<py::array>& outputs, int num_classes,
                              const std::vector<std::vector<double>>& anchors, const std::vector<int>& strides,
                              bool activated, double conf, int64_t pre_nms_topk) {
        const std::vector<pyalign::FloatTensor> ts = tensors_of(outputs);
        const pyalign::DecodeOptions o = options(conf, pre_nms_topk, 0, 0);
        pyalign::Candidates c;
        {
            py::gil_scoped_release release;
            c = pyalign::decode_yolov5(ts, num_classes, anchors, strides, activated, o);
        }
        return candidates_tuple(c);
    });

    m.def("decode_yolox", [](const std::vector<py::array>& outputs, int num_classes, const std::vector<int>& strides,
                             double conf, int64_t pre_nms_topk, int64_t input_w, int64_t input_h) {
        const std::vector<pyalign::FloatTensor> ts = tensors_of(outputs);
        const pyalign::DecodeOptions o = options(conf, pre_nms_topk, input_w, input_h);
        pyalign::Candidates c;
        {
            py::gil_scoped_release release;
            c = pyalign::decode_yolox(ts, num_classes, strides, o);
        }
        return candidates_tuple(c);
    });

    m.def("detect_yolov8", [](const std::vector<py::array>& outputs, int num_classes, int reg_max,
                              const std::vector<int>& strides, double conf, int64_t pre_nms_topk, int64_t input_w,
                              int64_t input_h, int activated, double iou, bool class_agnostic, int64_t max_det,
                              const py::object& mapping) {
        const std::vector<pyalign::FloatTensor> ts = tensors_of(outputs);
        const pyalign::DecodeOptions o = options(conf, pre_nms_topk, input_w, input_h);
        const pyalign::Activation act = activated < 0   ? pyalign::Activation::Auto
                                        : activated == 0 ? pyalign::Activation::Logits
                                                         : pyalign::Activation::Probabilities;
        return fused([&] { return pyalign::decode_yolov8(ts, num_classes, reg_max, strides, o, act); },
                     finish_of(iou, class_agnostic, max_det, mapping));
    });

    m.def("detect_yolov5", [](const std::vector<py::array>& outputs, int num_classes,
                              const std::vector<std::vector<double>>& anchors, const std::vector<int>& strides,
                              bool activated, double conf, int64_t pre_nms_topk, double iou, bool class_agnostic,
                              int64_t max_det, const py::object& mapping) {
        const std::vector<pyalign::FloatTensor> ts = tensors_of(outputs);
        const pyalign::DecodeOptions o = options(conf, pre_nms_topk, 0, 0);
        return fused([&] { return pyalign::decode_yolov5(ts, num_classes, anchors, strides, activated, o); },
                     finish_of(iou, class_agnostic, max_det, mapping));
    });

    m.def("detect_yolox", [](const std::vector<py::array>& outputs, int num_classes, const std::vector<int>& strides,
                             double conf, int64_t pre_nms_topk, int64_t input_w, int64_t input_h, double iou,
                             bool class_agnostic, int64_t max_det, const py::object& mapping) {
        const std::vector<pyalign::FloatTensor> ts = tensors_of(outputs);
        const pyalign::DecodeOptions o = options(conf, pre_nms_topk, input_w, input_h);
        return fused([&] { return pyalign::decode_yolox(ts, num_classes, strides, o); },
                     finish_of(iou, class_agnostic, max_det, mapping));
    });

    m.def("nms", [](const py::array& boxes, const py::array& scores, double iou, const py::object& classes,
                    int64_t max_det) {
        const int64_t n = box_count(boxes, scores);
        const int64_t* cls = nullptr;
        py::array carr;
        if (!classes.is_none()) {
            if (!py::isinstance<py::array>(classes)) throw pyalign::Error("classes: expected an int64 array");
            carr = py::reinterpret_borrow<py::array>(classes);
            cls = class_ids(carr, n);
        }
        const float* b = static_cast<const float*>(boxes.data());
        const float* s = static_cast<const float*>(scores.data());
        std::vector<int64_t> keep;
        {
            py::gil_scoped_release release;
            keep = pyalign::nms(b, s, n, iou, cls, max_det);
        }
        py::array_t<int64_t> out(static_cast<py::ssize_t>(keep.size()));
        std::copy(keep.begin(), keep.end(), out.mutable_data());
        return out;
    });

    m.def("map_boxes", [](const py::array& boxes, const std::vector<double>& mapping) {
        require_float32(boxes, "boxes");
        if (boxes.ndim() != 2 || boxes.shape(1) != 4) throw pyalign::Error("boxes: expected shape [N, 4]");
        const pyalign::BoxMapping mp = mapping_of(mapping);
        const int64_t n = boxes.shape(0);
        py::array_t<float> out({static_cast<py::ssize_t>(n), py::ssize_t{4}});
        std::copy(static_cast<const float*>(boxes.data()), static_cast<const float*>(boxes.data()) + 4 * n,
                  out.mutable_data());
        float* o = out.mutable_data();
        {
            py::gil_scoped_release release;
            pyalign::map_boxes(o, n, mp);
        }
        return out;
    });

    m.def("detections", [](const py::array& boxes, const py::array& scores, const py::array& classes, double iou,
                           bool class_agnostic, int64_t max_det, const py::object& mapping) {
        const pyalign::Candidates c = candidates_of(boxes, scores, classes);
        pyalign::BoxMapping mp;
        const bool has_mapping = !mapping.is_none();
        if (has_mapping) mp = mapping_of(mapping.cast<std::vector<double>>());
        std::vector<float> rows;
        {
            py::gil_scoped_release release;
            rows = pyalign::detections(c, iou, class_agnostic, max_det, has_mapping ? &mp : nullptr);
        }
        return detections_array(rows);
    });
}

}  // namespace pyalign_py

// Binding of the compare family: the streaming CompareAccumulator.
//
// Python feeds chunks (views of memory-mapped files or of arrays); the
// accumulator checks dtype, byte order, contiguity and sizes, then runs with
// the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "bindings.hpp"
#include "pyalign/compare.hpp"

namespace py = pybind11;

namespace pyalign_py {
namespace {

// numpy's dtype.str for a native little-endian array of each DType.
const char* numpy_str(pyalign::DType t) {
    static const char* const s[] = {"|u1", "|i1", "<u2", "<i2", "<u4", "<i4", "<i8", "<f2", "<f4", "<f8"};
    return s[static_cast<int>(t)];
}

pyalign::RuleKind kind_from_name(const std::string& k) {
    if (k == "exact") return pyalign::RuleKind::exact;
    if (k == "atol") return pyalign::RuleKind::atol;
    if (k == "none") return pyalign::RuleKind::none;
    throw pyalign::Error("rule kind must be 'exact', 'atol' or 'none', not '" + k + "'");
}

const void* checked_data(const py::array& arr, pyalign::DType t, const char* which) {
    const std::string got = py::str(arr.dtype().attr("str"));
    if (got != numpy_str(t))
        throw pyalign::Error(std::string("compare: ") + which + " chunk has dtype " + got + ", expected " +
                             pyalign::dtype_name(t) + " (" + numpy_str(t) + ")");
    if (!(arr.flags() & py::array::c_style))
        throw pyalign::Error(std::string("compare: ") + which + " chunk must be C-contiguous");
    return arr.data();
}

py::dict stats_to_dict(const pyalign::CompareAccumulator& acc) {
    const pyalign::CompareStats& s = acc.stats();
    const pyalign::CompareSummary r = acc.summary();
    py::dict d;
    d["count"] = s.count;
    d["violations"] = s.violations;
    d["violation_pct"] = r.violation_pct;
    d["finite_pairs"] = s.finite_pairs;
    d["has_max"] = s.has_max;
    d["max_abs_diff"] = s.max_abs_diff;
    d["max_index"] = s.max_index;
    d["expected_at_max"] = s.expected_at_max;
    d["actual_at_max"] = s.actual_at_max;
    d["mean_abs_diff"] = r.mean_abs_diff;
    d["rmse"] = r.rmse;
    d["max_rel_diff"] = r.max_rel_diff;
    d["cosine"] = r.cosine;
    d["snr_db"] = r.snr_db;
    d["min_atol_to_pass"] = r.min_atol_to_pass;
    d["sum_abs_diff"] = s.sum_abs_diff;
    d["sum_sq_diff"] = s.sum_sq_diff;
    d["sum_expected_sq"] = s.sum_expected_sq;
    d["sum_actual_sq"] = s.sum_actual_sq;
    d["sum_product"] = s.sum_product;
    d["nan_expected"] = s.nan_expected;
    d["nan_actual"] = s.nan_actual;
    d["inf_expected"] = s.inf_expected;
    d["inf_actual"] = s.inf_actual;
    d["nonfinite_equal"] = s.nonfinite_equal;
    d["nonfinite_mismatch"] = s.nonfinite_mismatch;
    py::list hist;
    for (auto c : s.histogram) hist.append(c);
    d["histogram"] = hist;
    py::list viol;
    for (const auto& v : s.first_violations) viol.append(py::make_tuple(v.index, v.expected, v.actual, v.diff));
    d["first_violations"] = viol;
    return d;
}

}  // namespace

void bind_compare(py::module_& m) {
    py::class_<pyalign::CompareAccumulator>(m, "CompareAccumulator", R"doc(
Streaming elementwise comparison of two tensors of one dtype.

CompareAccumulator(dtype, kind="exact", atol=0.0, rtol=0.0, max_violations=10)

dtype: numpy name (uint8 ... float64). kind: "exact" (a == e), "atol"
(|a-e| < atol + rtol*|e|) or "none" (no elementwise rule, metrics only).
Feed chunks in order with update(expected, actual); read result().)doc")
        .def(py::init([](const std::string& dtype, const std::string& kind, double atol, double rtol,
                         std::size_t max_violations) {
                 pyalign::CompareOptions o;
                 o.kind = kind_from_name(kind);
                 o.atol = atol;
                 o.rtol = rtol;
                 o.max_violations = max_violations;
                 return pyalign::CompareAccumulator(pyalign::dtype_from_name(dtype), o);
             }),
             py::arg("dtype"), py::arg("kind") = "exact", py::arg("atol") = 0.0, py::arg("rtol") = 0.0,
             py::arg("max_violations") = 10)
        .def(
            "update",
            [](pyalign::CompareAccumulator& acc, const py::array& expected, const py::array& actual) {
                const void* e = checked_data(expected, acc.dtype(), "expected");
                const void* a = checked_data(actual, acc.dtype(), "actual");
                const py::ssize_t n = expected.size();
                if (actual.size() != n)
                    throw pyalign::Error("compare: chunks differ in size (" + std::to_string(n) + " expected vs " +
                                         std::to_string(actual.size()) + " actual elements)");
                py::gil_scoped_release release;
                acc.update(e, a, static_cast<std::size_t>(n));
            },
            py::arg("expected"), py::arg("actual"),
            "Feed the next chunk of both tensors (same dtype, same number of elements, C-contiguous).")
        .def_property_readonly("count", [](const pyalign::CompareAccumulator& acc) { return acc.stats().count; })
        .def("result", &stats_to_dict, "All raw statistics and derived metrics as a dict.");
    py::list edges;
    for (double e : pyalign::kHistEdges) edges.append(e);
    m.attr("COMPARE_HIST_EDGES") = edges;
    m.attr("COMPARE_BLOCK") = pyalign::kCompareBlock;
    m.def("compare_hist_bin", &pyalign::hist_bin, py::arg("abs_diff"), "Histogram bin of a non-negative |diff|.");
}

}  // namespace pyalign_py

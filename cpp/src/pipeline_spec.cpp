// pyalign — the pipeline spec parser: spec JSON -> PipelineSpec (see pipeline.hpp).
//
// The rules, defaults and messages are those of pyalign/spec.py (validate_spec) for the input and
// the preprocess ops, checked in the same order, so a spec gets the same first error from the
// Python reference and from board code:
//   <source>: <JSON path>: <what>      e.g. "spec.json: preprocess[1].size[0]: must be in [1, 65536], got 0"
// A few limits of the C++ core are checked here as well, with the same kind of message: mean and
// std must fit in float32 (std not 0 once rounded), csc matrix entries within +-1000.
#include "pyalign/pipeline.hpp"

#include "json.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "pyalign/tensor_io.hpp"

namespace pyalign {

namespace {

using detail::JsonValue;

constexpr int kSpecMaxSide = 1 << 16;  // spec.MAX_SIDE
constexpr std::uint64_t kSpecMaxBytes = 16u << 20;

const std::vector<std::string> kInputFormats = {"BGR", "RGB", "GRAY", "YUV420SP", "YVU420SP", "YUYV422", "UYVY422"};
const std::vector<std::string> kOps = {"csc", "resize", "letterbox", "swap_rb", "normalize", "layout"};
const std::vector<std::string> kCscModes = {"opencv", "full_range", "limited_range", "matrix"};
const std::vector<std::string> kSpecLayouts = {"NCHW", "NHWC", "CHW", "HWC"};

bool is_yuv_name(const std::string& f) { return f == "YUV420SP" || f == "YVU420SP" || f == "YUYV422" || f == "UYVY422"; }

/// The op's place in the only order accepted (resize and letterbox share one).
int op_rank(const std::string& op) {
    if (op == "csc") return 0;
    if (op == "resize" || op == "letterbox") return 1;
    if (op == "swap_rb") return 2;
    if (op == "normalize") return 3;
    return 4;  // layout
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v)
        if (x == s) return true;
    return false;
}

/// A number written without fraction or exponent (Python's json reads it as an int).
bool integer_text(const std::string& t) {
    std::size_t k = (!t.empty() && t[0] == '-') ? 1 : 0;
    if (k == t.size()) return false;
    for (; k < t.size(); ++k)
        if (t[k] < '0' || t[k] > '9') return false;
    return true;
}

/// A double as Python's repr() writes it: the shortest digits that read back to it, exponent
/// form below 1e-4 and from 1e16 on, else positional with at least one decimal ("300.0").
std::string py_float(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
    if (v == 0.0) return std::signbit(v) ? "-0.0" : "0.0";
    char buf[64];
    int prec = 1;
    for (; prec < 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    std::snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
    // buf: [-]d[.ddd]e[+-]xx (any locale's decimal point is skipped)
    std::string s(buf);
    const std::size_t e = s.find('e');
    const bool neg = s[0] == '-';
    std::string digits;
    for (std::size_t k = neg ? 1 : 0; k < e; ++k)
        if (s[k] >= '0' && s[k] <= '9') digits += s[k];
    const int exp = std::atoi(s.c_str() + e + 1);
    std::string out = neg ? "-" : "";
    if (exp < -4 || exp >= 16) {
        out += digits.substr(0, 1);
        if (digits.size() > 1) out += "." + digits.substr(1);
        char ebuf[16];
        std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        return out + ebuf;
    }
    if (exp < 0) return out + "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
    const std::size_t int_digits = static_cast<std::size_t>(exp) + 1;
    if (digits.size() <= int_digits) return out + digits + std::string(int_digits - digits.size(), '0') + ".0";
    return out + digits.substr(0, int_digits) + "." + digits.substr(int_digits);
}

/// Python's type name of a JSON value, for "expected an object, got list".
std::string type_name(const JsonValue& v) {
    switch (v.type) {
        case JsonValue::Null: return "NoneType";
        case JsonValue::Bool: return "bool";
        case JsonValue::Number: return integer_text(v.text) ? "int" : "float";
        case JsonValue::String: return "str";
        case JsonValue::Array: return "list";
        case JsonValue::Object: return "dict";
    }
    return "?";
}

/// double -> float rounded to nearest, without the undefined behaviour of a plain cast out of
/// range: false when the value does not fit (|v| rounds beyond FLT_MAX).
bool to_float(double v, float& out) {
    const double limit = 340282356779733661637539395458142568448.0;  // 2^128 - 2^103: rounds to inf
    if (!(std::fabs(v) < limit)) return false;
    out = static_cast<float>(v);
    return true;
}

class SpecParser {
public:
    explicit SpecParser(const std::string& source) : source_(source) {}

    PipelineSpec parse(const std::string& text) {
        const JsonValue doc = detail::parse_json(text, source_, "not valid JSON");
        if (!doc.is_object()) fail("", "a spec is a JSON object, got " + type_name(doc));
        keys("", doc, {"description", "input", "name", "postprocess", "preprocess"});
        const JsonValue* input = doc.get("input");
        if (!input) fail("", "missing key 'input'");
        PipelineSpec s;
        const std::string fmt = parse_input(*input, s);
        for (const char* k : {"name", "description"}) {
            const JsonValue* v = doc.get(k);
            if (v && !v->is_string()) fail(k, "expected a string");
        }
        parse_preprocess(doc.get("preprocess"), fmt, s);
        // "postprocess" is the postprocessing's business (pyalign.spec validates it); not read here.
        return s;
    }

private:
    [[noreturn]] void fail(const std::string& where, const std::string& what) const {
        throw Error(source_ + ": " + (where.empty() ? what : where + ": " + what));
    }

    static std::string show(const JsonValue& v) { return detail::json_text(v); }

    const JsonValue& object(const std::string& where, const JsonValue& v) const {
        if (!v.is_object()) fail(where, "expected an object, got " + type_name(v));
        return v;
    }

    void keys(const std::string& where, const JsonValue& d, std::vector<std::string> allowed) const {
        // The first unknown key in sorted order, as Python reports it.
        const std::string* first = nullptr;
        for (const auto& m : d.members)
            if (!contains(allowed, m.first) && (!first || m.first < *first)) first = &m.first;
        if (first) fail(where, "unknown key '" + *first + "' (allowed: " + join(allowed) + ")");
    }

    std::string choice(const std::string& where, const JsonValue& v, const std::vector<std::string>& choices) const {
        if (!v.is_string() || !contains(choices, v.text))
            fail(where, "expected one of " + join(choices) + ", got " + show(v));
        return v.text;
    }

    /// spec._int: an integer (a float with an integral value counts) in [lo, hi].
    int integer(const std::string& where, const JsonValue& v, int lo, int hi) const {
        if (!v.is_number()) fail(where, "expected an integer, got " + show(v));
        double d;
        std::string as_text;  // the value as Python prints the int
        if (integer_text(v.text)) {
            d = detail::json_number(v);
            as_text = v.text == "-0" ? "0" : v.text;
        } else {
            d = detail::json_number(v);
            if (!std::isfinite(d) || std::floor(d) != d) fail(where, "expected an integer, got " + show(v));
            char buf[400];
            std::snprintf(buf, sizeof buf, "%.0f", d);
            as_text = buf;
            if (as_text == "-0") as_text = "0";
        }
        if (!(d >= lo && d <= hi))
            fail(where, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + as_text);
        return static_cast<int>(d);
    }

    /// spec._num: a finite number.
    double number(const std::string& where, const JsonValue& v) const {
        const double d = v.is_number() ? detail::json_number(v) : 0.0;
        if (!v.is_number() || !std::isfinite(d)) fail(where, "expected a finite number, got " + show(v));
        return d;
    }

    /// spec._size: [width, height].
    void size(const std::string& where, const JsonValue* v, int& w, int& h) const {
        if (!v || !v->is_array() || v->items.size() != 2)
            fail(where, "expected [width, height], got " + (v ? show(*v) : std::string("null")));
        w = integer(where + "[0]", v->items[0], 1, kSpecMaxSide);
        h = integer(where + "[1]", v->items[1], 1, kSpecMaxSide);
    }

    /// spec._numlist: one number, or a list of 1 or `channels` numbers; expanded per channel.
    void numlist(const std::string& where, const JsonValue& v, int channels, double* out) const {
        std::vector<double> vals;
        if (v.is_number() && std::isfinite(detail::json_number(v))) {
            vals.push_back(detail::json_number(v));
        } else {
            if (!v.is_array() || v.items.empty()) fail(where, "expected a list of numbers, got " + show(v));
            const std::size_t n = v.items.size();
            if (n != 1 && n != static_cast<std::size_t>(channels))
                fail(where, "has " + std::to_string(n) + " values; the image has " + std::to_string(channels) +
                                " channel(s): give 1 or " + std::to_string(channels));
            for (std::size_t i = 0; i < n; ++i) vals.push_back(number(where + "[" + std::to_string(i) + "]", v.items[i]));
        }
        for (int c = 0; c < channels; ++c) out[c] = vals[vals.size() == 1 ? 0 : static_cast<std::size_t>(c)];
    }

    std::string parse_input(const JsonValue& v, PipelineSpec& s) const {
        const JsonValue& d = object("input", v);
        keys("input", d, {"format", "height", "width"});
        for (const char* k : {"format", "width", "height"})
            if (!d.get(k)) fail("input", std::string("missing key '") + k + "'");
        const std::string fmt = choice("input.format", *d.get("format"), kInputFormats);
        const int w = integer("input.width", *d.get("width"), 1, kSpecMaxSide);
        const int h = integer("input.height", *d.get("height"), 1, kSpecMaxSide);
        if ((fmt == "YUV420SP" || fmt == "YVU420SP") && (w % 2 || h % 2))
            fail("input", fmt + " needs an even width and height, got " + std::to_string(w) + "x" + std::to_string(h));
        if ((fmt == "YUYV422" || fmt == "UYVY422") && w % 2)
            fail("input", fmt + " needs an even width, got " + std::to_string(w));
        s.input_format = parse_pixel_format(fmt);
        s.width = w;
        s.height = h;
        return fmt;
    }

    void parse_preprocess(const JsonValue* v, const std::string& fmt, PipelineSpec& s) const {
        if (!v || v->is_null()) {
            if (is_yuv_name(fmt)) fail("preprocess", "input.format " + fmt + " needs a csc op first (to BGR or RGB)");
            return;
        }
        if (!v->is_array()) fail("preprocess", "expected a list of ops, got " + type_name(*v));
        const int channels = fmt == "GRAY" ? 1 : 3;
        int last_rank = -1;
        std::string last_name;
        bool first_is_csc = false;
        for (std::size_t i = 0; i < v->items.size(); ++i) {
            const std::string where = "preprocess[" + std::to_string(i) + "]";
            const JsonValue& op = object(where, v->items[i]);
            const JsonValue* name_v = op.get("op");
            if (!name_v) fail(where, "missing key 'op'");
            if (!name_v->is_string() || !contains(kOps, name_v->text))
                fail(where + ".op", "unknown op " + show(*name_v) + " (known: " + join(kOps) + ")");
            const std::string name = name_v->text;
            if (name == "csc" && !is_yuv_name(fmt))
                fail(where, "csc converts a YUV input, but input.format is " + fmt);
            const int rank = op_rank(name);
            if (rank == last_rank)
                fail(where, "'" + name + "' after '" + last_name + "': at most one " +
                                (rank == 1 ? std::string("resize or letterbox") : "'" + name + "'"));
            if (rank < last_rank)
                fail(where, "'" + name + "' must come before '" + last_name +
                                "' (order: csc, resize|letterbox, swap_rb, normalize, layout)");
            last_rank = rank;
            last_name = name;
            if (i == 0) first_is_csc = name == "csc";
            parse_op(where, name, op, channels, s);
        }
        if (is_yuv_name(fmt) && !first_is_csc)
            fail("preprocess", "input.format " + fmt + " needs a csc op first (to BGR or RGB)");
    }

    void parse_op(const std::string& where, const std::string& name, const JsonValue& op, int channels,
                  PipelineSpec& s) const {
        auto get = [&op](const char* key, const JsonValue& fallback) -> const JsonValue& {
            const JsonValue* v = op.get(key);
            return v ? *v : fallback;
        };
        if (name == "csc") {
            keys(where, op, {"matrix", "mode", "op", "to"});
            const std::string mode = choice(where + ".mode", get("mode", text("opencv")), kCscModes);
            const std::string to = choice(where + ".to", get("to", text("BGR")), {"BGR", "RGB"});
            s.csc = true;
            s.csc_to_rgb = to == "RGB";
            s.csc_mode = parse_csc_mode(mode);
            const JsonValue* m = op.get("matrix");
            if (mode == "matrix") {
                if (!m || !m->is_array() || m->items.size() != 12)
                    fail(where + ".matrix", "mode 'matrix' needs 12 numbers (3 rows of 4: Y, U, V weights and a bias)");
                for (std::size_t k = 0; k < 12; ++k) {
                    const std::string at = where + ".matrix[" + std::to_string(k) + "]";
                    const double x = number(at, m->items[k]);
                    if (std::fabs(x) > 1000.0) fail(at, "must be within +-1000 (the C++ core's limit), got " + py_float(x));
                    s.csc_matrix[k] = x;
                }
            } else if (m) {
                fail(where + ".matrix", "only allowed with mode 'matrix', not '" + mode + "'");
            }
        } else if (name == "resize") {
            keys(where, op, {"interpolation", "op", "size"});
            s.geometry = GeometryOp::Resize;
            size(where + ".size", op.get("size"), s.dst_width, s.dst_height);
            s.interpolation =
                parse_interpolation(choice(where + ".interpolation", get("interpolation", text("linear")), {"linear", "nearest"}));
        } else if (name == "letterbox") {
            keys(where, op, {"op", "pad_value", "size", "style"});
            s.geometry = GeometryOp::Letterbox;
            JsonValue pad_default;
            pad_default.type = JsonValue::Number;
            pad_default.text = "114";
            numlist(where + ".pad_value", get("pad_value", pad_default), channels, s.pad_value);
            for (int c = 0; c < channels; ++c)
                if (!(s.pad_value[c] >= 0.0 && s.pad_value[c] <= 255.0))
                    fail(where + ".pad_value", "must be in [0, 255], got " + py_float(s.pad_value[c]));
            size(where + ".size", op.get("size"), s.dst_width, s.dst_height);
            s.letterbox_style =
                parse_letterbox_style(choice(where + ".style", get("style", text("ultralytics")), {"ultralytics", "center"}));
        } else if (name == "swap_rb") {
            keys(where, op, {"op"});
            if (channels != 3) fail(where, "swap_rb needs a 3-channel image, the input is GRAY");
            s.swap_rb = true;
        } else if (name == "normalize") {
            keys(where, op, {"mean", "op", "std"});
            for (const char* k : {"mean", "std"})
                if (!op.get(k)) fail(where, std::string("missing key '") + k + "'");
            double mean[4] = {0, 0, 0, 0}, stdv[4] = {1, 1, 1, 1};
            numlist(where + ".mean", *op.get("mean"), channels, mean);
            numlist(where + ".std", *op.get("std"), channels, stdv);
            const bool one_std = op.get("std")->is_number() || op.get("std")->items.size() == 1;
            for (int c = 0; c < channels; ++c)
                if (stdv[c] == 0.0) fail(where + ".std[" + std::to_string(one_std ? 0 : c) + "]", "must not be 0");
            s.normalize = true;
            // The pipeline computes in float32: the values must be float32 numbers (std not 0).
            const bool one_mean = op.get("mean")->is_number() || op.get("mean")->items.size() == 1;
            for (int c = 0; c < channels; ++c) {
                const std::string mw = where + ".mean[" + std::to_string(one_mean ? 0 : c) + "]";
                const std::string sw = where + ".std[" + std::to_string(one_std ? 0 : c) + "]";
                if (!to_float(mean[c], s.mean[c])) fail(mw, py_float(mean[c]) + " is out of the float32 range");
                if (!to_float(stdv[c], s.stdv[c])) fail(sw, py_float(stdv[c]) + " is out of the float32 range");
                if (s.stdv[c] == 0.0f) fail(sw, py_float(stdv[c]) + " is 0 in float32");
            }
        } else {  // layout
            keys(where, op, {"op", "to"});
            if (!op.get("to")) fail(where, "missing key 'to'");
            s.has_layout = true;
            s.layout = parse_layout(choice(where + ".to", *op.get("to"), kSpecLayouts));
        }
    }

    static JsonValue text(const char* t) {
        JsonValue v;
        v.type = JsonValue::String;
        v.text = t;
        return v;
    }

    const std::string& source_;
};

}  // namespace

PipelineSpec parse_pipeline_spec(const std::string& json_text, const std::string& source) {
    return SpecParser(source).parse(json_text);
}

PipelineSpec read_pipeline_spec(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (!fs::exists(st)) throw Error(path + ": no such file");
    if (!fs::is_regular_file(st)) throw Error(path + ": not a regular file");
    const std::uint64_t size = file_size(path);
    if (size > kSpecMaxBytes)
        throw Error(path + ": file is " + std::to_string(size) + " bytes, more than " + std::to_string(kSpecMaxBytes) +
                    " (not a spec)");
    std::string text(static_cast<std::size_t>(size), '\0');
    if (size > 0) read_bin_into(path, &text[0], text.size());
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);  // a byte-order mark, as editors write it
    return parse_pipeline_spec(text, path);
}

}  // namespace pyalign

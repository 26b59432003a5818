// pyalign — internal: a minimal, strict JSON reader (RFC 8259 plus the NaN / Infinity / -Infinity
// literals Python's json module writes) shared by the manifest reader, the capture writer and the
// pipeline spec parser.
//
//   const detail::JsonValue doc = detail::parse_json(text, "cat_001/manifest.json");
//   if (const detail::JsonValue* v = doc.get("version")) ...
//
// Every syntax error throws pyalign::Error("<where>: malformed JSON: <what> at line L column C"),
// including a key that occurs twice in one object (`duplicate key "shape"`) and a string that is not
// valid UTF-8. Numbers keep their source text; objects keep their members in document order, and
// objects of more than kJsonSmallObject members an index sorted by key, so get() costs O(log n)
// for any object size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pyalign/common.hpp"

namespace pyalign {
namespace detail {

struct JsonValue {
    enum Type { Null, Bool, Number, String, Array, Object };
    Type type = Null;
    bool boolean = false;
    std::string text;  ///< a string's value, or a number's source text
    std::vector<JsonValue> items;                           ///< Array
    std::vector<std::pair<std::string, JsonValue>> members;  ///< Object, in document order
    std::vector<std::uint32_t> by_key;  ///< Object of more than kJsonSmallObject members: indices sorted by key

    /// The member `key` of an object (nullptr when absent or when this is not an object).
    const JsonValue* get(const std::string& key) const;

    bool is_null() const { return type == Null; }
    bool is_bool() const { return type == Bool; }
    bool is_number() const { return type == Number; }
    bool is_string() const { return type == String; }
    bool is_array() const { return type == Array; }
    bool is_object() const { return type == Object; }
};

/// Objects of at most this many members are searched member by member (no index).
constexpr std::size_t kJsonSmallObject = 16;

/// Nesting deeper than this (arrays and objects) is rejected as malformed.
constexpr int kJsonMaxDepth = 256;

/// Parse a whole JSON document (surrounding whitespace allowed, nothing else after it).
/// Errors read "<where>: <label>: <what> at line L column C"; `where` names the file.
JsonValue parse_json(const std::string& text, const std::string& where, const char* label = "malformed JSON");

/// `s` as a JSON string literal (quotes included; control characters, quotes and backslashes
/// escaped, other bytes as they are).
std::string json_quote(const std::string& s);

/// The value as compact JSON text in the style of Python's json.dumps (", " and ": "
/// separators, numbers as written). At most `max_chars` characters: longer text is cut and
/// ends with "...".
std::string json_text(const JsonValue& v, std::size_t max_chars = 200);

/// A number's value as a double (NaN / Infinity / -Infinity included; out-of-range values
/// become +-Inf or 0 as strtod gives them). `v` must be a Number.
double json_number(const JsonValue& v);

/// Whether `s` is valid UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing
/// above U+10FFFF): what Python's strict UTF-8 decoder accepts.
bool valid_utf8(const std::string& s);

}  // namespace detail
}  // namespace pyalign

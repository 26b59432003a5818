// Tests of the internal JSON reader (cpp/src/json.hpp): values, strictness, duplicate keys,
// UTF-8, error positions, and member lookup in large objects.
#include <functional>
#include <string>

#include "../src/json.hpp"
#include "check.hpp"

using pyalign::detail::JsonValue;
using pyalign::detail::parse_json;

namespace {

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const pyalign::Error& e) {
        return e.what();
    }
    return "<no error>";
}

std::string parse_error(const std::string& text) {
    return error_of([&] { (void)parse_json(text, "doc.json"); });
}

void str_eq(const std::string& a, const std::string& b, const char* file, int line) {
    if (a != b) pyalign_test::fail(file, line, "'" + a + "' != '" + b + "'");
}
#define STR_EQ(a, b) str_eq((a), (b), __FILE__, __LINE__)

}  // namespace

PA_TEST(values) {
    const JsonValue v = parse_json(
        " {\"a\": [1, -2.5e3, true, false, null, \"x\"], \"b\": {\"c\": NaN, \"d\": -Infinity}, \"e\": Infinity}\n",
        "doc");
    PA_CHECK(v.is_object());
    const JsonValue* a = v.get("a");
    PA_CHECK(a && a->is_array() && a->items.size() == 6);
    STR_EQ(a->items[1].text, "-2.5e3");
    PA_CHECK(a->items[2].is_bool() && a->items[2].boolean);
    PA_CHECK(a->items[4].is_null());
    STR_EQ(a->items[5].text, "x");
    PA_CHECK(v.get("b")->get("d")->is_number());
    STR_EQ(v.get("b")->get("d")->text, "-Infinity");
    PA_CHECK(v.get("missing") == nullptr);
    PA_CHECK(a->get("a") == nullptr);  // not an object
    // members keep document order
    STR_EQ(v.members[0].first, "a");
    STR_EQ(v.members[2].first, "e");
}

PA_TEST(syntax_errors_name_the_position) {
    STR_EQ(parse_error("{\"a\": 1,\n  \"b\": }"), "doc.json: malformed JSON: expecting a value at line 2 column 8");
    STR_EQ(parse_error("[1, 2"), "doc.json: malformed JSON: expecting ',' or ']' at line 1 column 6");
    STR_EQ(parse_error("{} x"), "doc.json: malformed JSON: extra data after the JSON value at line 1 column 4");
    STR_EQ(parse_error(""), "doc.json: malformed JSON: unexpected end of data at line 1 column 1");
    PA_CHECK(parse_error("01").find("extra data") != std::string::npos);
    PA_CHECK(parse_error("-").find("bad number") != std::string::npos);
    PA_CHECK(parse_error("1.").find("bad number") != std::string::npos);
    PA_CHECK(parse_error("1e+").find("bad number") != std::string::npos);
    PA_CHECK(parse_error("\"a\\x\"").find("bad escape") != std::string::npos);
    PA_CHECK(parse_error("\"\\u12\"").find("bad \\u escape") != std::string::npos);
    PA_CHECK(parse_error("\"a\tb\"").find("control character") != std::string::npos);
    PA_CHECK(parse_error("\"abc").find("unterminated string") != std::string::npos);
    PA_CHECK(parse_error("{1: 2}").find("expecting a string key") != std::string::npos);
    PA_CHECK(parse_error("tru").find("expecting a value") != std::string::npos);
    std::string deep(pyalign::detail::kJsonMaxDepth + 2, '[');
    PA_CHECK(parse_error(deep).find("nested too deeply") != std::string::npos);
    std::string ok_depth(pyalign::detail::kJsonMaxDepth, '[');
    ok_depth += std::string(pyalign::detail::kJsonMaxDepth, ']');
    PA_CHECK(parse_json(ok_depth, "doc").is_array());
}

PA_TEST(duplicate_keys_are_rejected_with_the_key_and_position) {
    STR_EQ(parse_error("{\"shape\": [1], \"dtype\": \"uint8\",\n \"shape\": [2]}"),
           "doc.json: malformed JSON: duplicate key \"shape\" at line 2 column 2");
    // in a nested object; the first repeat in document order is reported
    STR_EQ(parse_error("{\"t\": [{\"b\": 1, \"a\": 2, \"b\": 3, \"a\": 4}]}"),
           "doc.json: malformed JSON: duplicate key \"b\" at line 1 column 25");
    // keys are compared after unescaping; the message escapes them again
    STR_EQ(parse_error("{\"a\\\"b\": 1, \"a\\u0022b\": 2}"),
           "doc.json: malformed JSON: duplicate key \"a\\\"b\" at line 1 column 13");
    // equal prefixes and case differences are different keys
    const JsonValue v = parse_json("{\"a\": 1, \"A\": 2, \"ab\": 3, \"\": 4}", "doc");
    STR_EQ(v.get("A")->text, "2");
    STR_EQ(v.get("ab")->text, "3");
    STR_EQ(v.get("")->text, "4");
}

PA_TEST(large_objects_look_up_every_member) {
    std::string text = "{";
    const int n = 5000;
    for (int i = n - 1; i >= 0; --i) text += (i == n - 1 ? "" : ", ") + std::string("\"k") + std::to_string(i) + "\": " + std::to_string(i);
    text += "}";
    const JsonValue v = parse_json(text, "doc");
    PA_CHECK_EQ(v.members.size(), std::size_t(n));
    bool all = true;
    for (int i = 0; i < n; ++i) {
        const JsonValue* m = v.get("k" + std::to_string(i));
        all = all && m && m->text == std::to_string(i);
    }
    PA_CHECK(all);
    PA_CHECK(v.get("k5000") == nullptr);
    // a repeat in a large (indexed) object: the first repeat in document order is named
    std::string big = "{";
    for (int i = 0; i < 40; ++i) big += "\"k" + std::to_string(i % 30) + "\": " + std::to_string(i) + (i < 39 ? ", " : "}");
    PA_CHECK(parse_error(big).find("duplicate key \"k0\" at line 1 column ") != std::string::npos);
    // one member more or less than the small-object limit
    for (std::size_t members : {pyalign::detail::kJsonSmallObject, pyalign::detail::kJsonSmallObject + 1}) {
        std::string t = "{";
        for (std::size_t i = 0; i < members; ++i) t += (i ? ", \"m" : "\"m") + std::to_string(i) + "\": " + std::to_string(i);
        const JsonValue o = parse_json(t + "}", "doc");
        PA_CHECK(o.get("m0") && o.get("m" + std::to_string(members - 1)) && !o.get("m" + std::to_string(members)));
        PA_CHECK(parse_error(t + ", \"m3\": 0}").find("duplicate key \"m3\"") != std::string::npos);
    }
}

PA_TEST(strings_and_utf8) {
    STR_EQ(parse_json("\"caf\xc3\xa9 \\u00e9\\ud83d\\ude00\"", "doc").text, "caf\xc3\xa9 \xc3\xa9\xf0\x9f\x98\x80");
    STR_EQ(parse_json("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "doc").text, "\"\\/\b\f\n\r\t");
    // a lone surrogate escape is kept (as Python keeps it), encoded on three bytes
    STR_EQ(parse_json("\"\\ud800x\"", "doc").text, "\xed\xa0\x80x");
    for (const char* bad : {"\"\xff\"", "\"\xc3\"", "\"\xc0\xaf\"", "\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"",
                            "\"\xf4\x90\x80\x80\"", "\"\x80\"", "\"\xe2\x82\""}) {
        const std::string err = parse_error(bad);
        if (err.find("invalid UTF-8 in string") == std::string::npos) pyalign_test::fail(__FILE__, __LINE__, err);
    }
    PA_CHECK(pyalign::detail::valid_utf8("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
    PA_CHECK(!pyalign::detail::valid_utf8("\xed\xa0\x80"));
    PA_CHECK(!pyalign::detail::valid_utf8("\xc1\xbf"));
    PA_CHECK(!pyalign::detail::valid_utf8("a\xe2\x82"));
    STR_EQ(pyalign::detail::json_quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

int main() { return pyalign_test::run_all(); }

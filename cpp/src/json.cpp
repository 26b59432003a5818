// pyalign — internal: the minimal JSON reader (see json.hpp).
#include "json.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <locale>
#include <sstream>

namespace pyalign {
namespace detail {

namespace {

/// Length of the UTF-8 sequence starting at p[0] (a byte >= 0x80), 0 when it is not valid
/// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence(const unsigned char* p, std::size_t avail) {
    const unsigned char c = p[0];
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;  // overlong
        if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;  // overlong
        if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
        return 0;
    }
    if (avail < n || p[1] < lo || p[1] > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if ((p[k] & 0xC0) != 0x80) return 0;
    return n;
}

void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

class Parser {
public:
    Parser(const std::string& text, const std::string& where, const char* label)
        : s_(text), where_(where), label_(label) {}

    JsonValue parse() {
        JsonValue v = value(0);
        ws();
        if (i_ != s_.size()) fail("extra data after the JSON value");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& what) const { fail_at(i_, what); }

    [[noreturn]] void fail_at(std::size_t pos, const std::string& what) const {
        std::size_t line = 1, col = 1;
        for (std::size_t k = 0; k < pos && k < s_.size(); ++k) {
            if (s_[k] == '\n') {
                ++line;
                col = 1;
            } else {
                ++col;
            }
        }
        throw Error(where_ + ": " + label_ + ": " + what + " at line " + std::to_string(line) + " column " +
                    std::to_string(col));
    }

    void ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }

    bool eat(char c) {
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }

    bool literal(const char* word) {
        const std::size_t n = std::strlen(word);
        if (s_.compare(i_, n, word) == 0) {
            i_ += n;
            return true;
        }
        return false;
    }

    static bool digit(char c) { return c >= '0' && c <= '9'; }

    JsonValue value(int depth) {
        if (depth > kJsonMaxDepth) fail("nested too deeply");
        ws();
        if (i_ >= s_.size()) fail("unexpected end of data");
        const char c = s_[i_];
        JsonValue v;
        if (c == '{') {
            object(v, depth);
            return v;
        }
        if (c == '[') {
            v.type = JsonValue::Array;
            ++i_;
            ws();
            if (eat(']')) return v;
            for (;;) {
                v.items.push_back(value(depth + 1));
                ws();
                if (eat(']')) return v;
                if (!eat(',')) fail("expecting ',' or ']'");
            }
        }
        if (c == '"') {
            v.type = JsonValue::String;
            v.text = string();
            return v;
        }
        if (literal("true")) {
            v.type = JsonValue::Bool;
            v.boolean = true;
            return v;
        }
        if (literal("false")) {
            v.type = JsonValue::Bool;
            return v;
        }
        if (literal("null")) return v;
        // Python's json module writes these for non-finite floats; accept them as numbers
        // ("-Infinity" before the number branch, which would take its '-').
        for (const char* word : {"NaN", "Infinity", "-Infinity"}) {
            if (literal(word)) {
                v.type = JsonValue::Number;
                v.text = word;
                return v;
            }
        }
        if (c == '-' || digit(c)) {
            v.type = JsonValue::Number;
            v.text = number();
            return v;
        }
        fail("expecting a value");
    }

    void object(JsonValue& v, int depth) {
        v.type = JsonValue::Object;
        ++i_;
        ws();
        if (eat('}')) return;
        std::vector<std::size_t> key_at;  // where each key starts, for the duplicate-key message
        for (;;) {
            ws();
            if (i_ >= s_.size() || s_[i_] != '"') fail("expecting a string key");
            key_at.push_back(i_);
            std::string key = string();
            ws();
            if (!eat(':')) fail("expecting ':'");
            v.members.emplace_back(std::move(key), value(depth + 1));
            ws();
            if (eat('}')) break;
            if (!eat(',')) fail("expecting ',' or '}'");
        }
        const std::size_t n = v.members.size();
        if (n <= kJsonSmallObject) {
            // A few members: compare each key with the earlier ones (no index; get() scans).
            for (std::size_t k = 1; k < n; ++k)
                for (std::size_t j = 0; j < k; ++j)
                    if (v.members[k].first == v.members[j].first)
                        fail_at(key_at[k], "duplicate key " + json_quote(v.members[k].first));
            return;
        }
        if (n > std::numeric_limits<std::uint32_t>::max()) fail("object has too many members");
        v.by_key.resize(n);
        for (std::size_t k = 0; k < n; ++k) v.by_key[k] = static_cast<std::uint32_t>(k);
        // Ties by document order, so the later of two equal neighbours is a repeat; the first
        // repeat in the document is reported.
        std::sort(v.by_key.begin(), v.by_key.end(), [&v](std::uint32_t a, std::uint32_t b) {
            const int c = v.members[a].first.compare(v.members[b].first);
            return c < 0 || (c == 0 && a < b);
        });
        std::size_t first_repeat = n;
        for (std::size_t k = 1; k < n; ++k)
            if (v.members[v.by_key[k]].first == v.members[v.by_key[k - 1]].first)
                first_repeat = std::min<std::size_t>(first_repeat, v.by_key[k]);
        if (first_repeat < n)
            fail_at(key_at[first_repeat], "duplicate key " + json_quote(v.members[first_repeat].first));
    }

    std::string number() {
        const std::size_t start = i_;
        if (s_[i_] == '-') ++i_;
        if (i_ < s_.size() && s_[i_] == '0') {
            ++i_;
        } else if (i_ < s_.size() && digit(s_[i_])) {
            while (i_ < s_.size() && digit(s_[i_])) ++i_;
        } else {
            fail("bad number");
        }
        if (i_ < s_.size() && s_[i_] == '.') {
            ++i_;
            if (i_ >= s_.size() || !digit(s_[i_])) fail("bad number");
            while (i_ < s_.size() && digit(s_[i_])) ++i_;
        }
        if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
            ++i_;
            if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
            if (i_ >= s_.size() || !digit(s_[i_])) fail("bad number");
            while (i_ < s_.size() && digit(s_[i_])) ++i_;
        }
        return s_.substr(start, i_ - start);
    }

    unsigned hex4() {
        if (s_.size() - i_ < 4) fail("bad \\u escape");
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = s_[i_++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
            else fail("bad \\u escape");
        }
        return v;
    }

    std::string string() {
        ++i_;  // opening quote
        std::string out;
        for (;;) {
            // Plain characters in one append.
            std::size_t run = i_;
            while (run < s_.size()) {
                const unsigned char b = static_cast<unsigned char>(s_[run]);
                if (b == '"' || b == '\\' || b < 0x20 || b >= 0x80) break;
                ++run;
            }
            out.append(s_, i_, run - i_);
            i_ = run;
            if (i_ >= s_.size()) fail("unterminated string");
            const unsigned char c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') {
                ++i_;
                return out;
            }
            if (c < 0x20) fail("control character in string");
            if (c >= 0x80) {
                const std::size_t n =
                    utf8_sequence(reinterpret_cast<const unsigned char*>(s_.data()) + i_, s_.size() - i_);
                if (n == 0) fail("invalid UTF-8 in string");
                out.append(s_, i_, n);
                i_ += n;
                continue;
            }
            ++i_;  // the backslash
            if (i_ >= s_.size()) fail("unterminated string");
            const char e = s_[i_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    unsigned cp = hex4();
                    if (cp >= 0xD800 && cp < 0xDC00 && s_.size() - i_ >= 6 && s_[i_] == '\\' && s_[i_ + 1] == 'u') {
                        const std::size_t save = i_;
                        i_ += 2;
                        const unsigned lo = hex4();
                        if (lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        else i_ = save;
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: fail("bad escape");
            }
        }
    }

    const std::string& s_;
    const std::string& where_;
    const char* label_;
    std::size_t i_ = 0;
};

void write_text(const JsonValue& v, std::string& out, std::size_t budget) {
    if (out.size() > budget) return;
    switch (v.type) {
        case JsonValue::Null: out += "null"; return;
        case JsonValue::Bool: out += v.boolean ? "true" : "false"; return;
        case JsonValue::Number: out += v.text; return;
        case JsonValue::String: out += json_quote(v.text); return;
        case JsonValue::Array:
            out += '[';
            for (std::size_t k = 0; k < v.items.size() && out.size() <= budget; ++k) {
                if (k) out += ", ";
                write_text(v.items[k], out, budget);
            }
            out += ']';
            return;
        case JsonValue::Object:
            out += '{';
            for (std::size_t k = 0; k < v.members.size() && out.size() <= budget; ++k) {
                if (k) out += ", ";
                out += json_quote(v.members[k].first);
                out += ": ";
                write_text(v.members[k].second, out, budget);
            }
            out += '}';
            return;
    }
}

}  // namespace

const JsonValue* JsonValue::get(const std::string& key) const {
    if (type != Object) return nullptr;
    if (by_key.empty()) {  // a small object
        for (const auto& m : members)
            if (m.first == key) return &m.second;
        return nullptr;
    }
    const auto it = std::lower_bound(by_key.begin(), by_key.end(), key,
                                     [this](std::uint32_t m, const std::string& k) { return members[m].first < k; });
    if (it == by_key.end() || members[*it].first != key) return nullptr;
    return &members[*it].second;
}

JsonValue parse_json(const std::string& text, const std::string& where, const char* label) {
    return Parser(text, where, label).parse();
}

std::string json_quote(const std::string& s) {
    static const char* hex = "0123456789abcdef";
    std::string out = "\"";
    for (char ch : s) {
        const unsigned char c = static_cast<unsigned char>(ch);
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 15];
                } else {
                    out += ch;
                }
        }
    }
    return out + "\"";
}

std::string json_text(const JsonValue& v, std::size_t max_chars) {
    std::string out;
    write_text(v, out, max_chars);
    if (out.size() > max_chars) {
        out.resize(max_chars >= 3 ? max_chars - 3 : 0);
        out += "...";
    }
    return out;
}

double json_number(const JsonValue& v) {
    if (v.text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (v.text == "Infinity") return std::numeric_limits<double>::infinity();
    if (v.text == "-Infinity") return -std::numeric_limits<double>::infinity();
    // The classic locale: a board program's setlocale() must not change what "0.5" means.
    std::istringstream in(v.text);
    in.imbue(std::locale::classic());
    double d = 0.0;
    in >> d;
    if (in.fail()) {
        // Out of range: the stream gives +-max (or +-inf); JSON (and Python) read these as
        // +-Infinity, and a value too small for a double as 0.
        const double inf = std::numeric_limits<double>::infinity();
        const bool negative = !v.text.empty() && v.text[0] == '-';
        if (std::fabs(d) >= std::numeric_limits<double>::max()) return negative ? -inf : inf;
        return negative ? -0.0 : 0.0;
    }
    return d;
}

bool valid_utf8(const std::string& s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t i = 0;
    while (i < s.size()) {
        if (p[i] < 0x80) {
            ++i;
            continue;
        }
        const std::size_t n = utf8_sequence(p + i, s.size() - i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

}  // namespace detail
}  // namespace pyalign

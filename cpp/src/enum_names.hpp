// pyalign — internal: enum <-> name tables shared by the parse_* / *_name functions of csc.cpp and
// normalize.cpp (one lookup, one error message format).
#pragma once

#include <cstddef>
#include <string>

#include "pyalign/common.hpp"

namespace pyalign {
namespace detail {

template <class E>
struct EnumName {
    const char* name;
    E value;
    bool alias;  ///< accepted when parsing, not listed in messages, never returned by name_of
};

/// The value named `name`, else pyalign::Error("unknown <what> '<name>' (expected A, B or C)").
template <class E, std::size_t N>
E parse_enum(const EnumName<E> (&table)[N], const std::string& name, const char* what) {
    for (const EnumName<E>& e : table)
        if (name == e.name) return e.value;
    std::string expected;
    std::size_t listed = 0, total = 0;
    for (const EnumName<E>& e : table) total += !e.alias;
    for (const EnumName<E>& e : table) {
        if (e.alias) continue;
        if (listed > 0) expected += listed + 1 == total ? " or " : ", ";
        expected += e.name;
        ++listed;
    }
    throw Error("unknown " + std::string(what) + " '" + name + "' (expected " + expected + ")");
}

/// The canonical name of `value` ("?" when the table lacks it).
template <class E, std::size_t N>
const char* enum_name(const EnumName<E> (&table)[N], E value) {
    for (const EnumName<E>& e : table)
        if (!e.alias && e.value == value) return e.name;
    return "?";
}

}  // namespace detail
}  // namespace pyalign

// A minimal test harness for the C++ unit tests (no third-party dependency).
//
//   PA_TEST(name) { PA_CHECK(cond); PA_CHECK_EQ(a, b); PA_CHECK_THROWS(expr); }
//   int main() { return pyalign_test::run_all(); }
#pragma once

#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace pyalign_test {

struct Case {
    const char* name;
    std::function<void()> fn;
};

inline std::vector<Case>& registry() {
    static std::vector<Case> cases;
    return cases;
}

inline int& failures() {
    static int n = 0;
    return n;
}

struct Registrar {
    Registrar(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};

inline void fail(const char* file, int line, const std::string& what) {
    ++failures();
    std::fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what.c_str());
}

inline int run_all() {
    int failed_cases = 0;
    for (const auto& c : registry()) {
        const int before = failures();
        try {
            c.fn();
        } catch (const std::exception& e) {
            fail(c.name, 0, std::string("unexpected exception: ") + e.what());
        }
        const bool ok = failures() == before;
        failed_cases += ok ? 0 : 1;
        std::printf("[%s] %s\n", ok ? "PASS" : "FAIL", c.name);
    }
    std::printf("%zu passed, %d failed\n", registry().size() - failed_cases, failed_cases);
    return failed_cases == 0 ? 0 : 1;
}

}  // namespace pyalign_test

#define PA_CONCAT_(a, b) a##b
#define PA_CONCAT(a, b) PA_CONCAT_(a, b)
#define PA_TEST(name)                                                                    \
    static void name();                                                                  \
    static pyalign_test::Registrar PA_CONCAT(pa_reg_, name)(#name, name);                \
    static void name()
#define PA_CHECK(cond)                                                                   \
    do {                                                                                 \
        if (!(cond)) pyalign_test::fail(__FILE__, __LINE__, #cond);                      \
    } while (0)
#define PA_CHECK_EQ(a, b)                                                                \
    do {                                                                                 \
        const auto pa_a_ = (a);                                                          \
        const auto pa_b_ = (b);                                                          \
        if (!(pa_a_ == pa_b_)) {                                                         \
            std::ostringstream pa_os_;                                                   \
            pa_os_ << #a " == " #b " (" << +pa_a_ << " vs " << +pa_b_ << ")";            \
            pyalign_test::fail(__FILE__, __LINE__, pa_os_.str());                        \
        }                                                                                \
    } while (0)
#define PA_CHECK_NEAR(a, b, tol)                                                         \
    do {                                                                                 \
        const double pa_a_ = (a), pa_b_ = (b);                                           \
        if (!(std::fabs(pa_a_ - pa_b_) <= (tol))) {                                      \
            std::ostringstream pa_os_;                                                   \
            pa_os_ << #a " ~= " #b " (" << pa_a_ << " vs " << pa_b_ << ")";              \
            pyalign_test::fail(__FILE__, __LINE__, pa_os_.str());                        \
        }                                                                                \
    } while (0)
#define PA_CHECK_THROWS(expr)                                                            \
    do {                                                                                 \
        bool pa_threw_ = false;                                                          \
        try {                                                                            \
            (void)(expr);                                                                \
        } catch (const std::exception&) {                                                \
            pa_threw_ = true;                                                            \
        }                                                                                \
        if (!pa_threw_) pyalign_test::fail(__FILE__, __LINE__, "no exception: " #expr);  \
    } while (0)

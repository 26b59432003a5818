// pyalign — internal: small helpers shared by the postprocessing sources (postprocess.cpp,
// classify.cpp, nms.cpp).
#pragma once

#include <cfloat>
#include <cmath>
#include <limits>
#include <sstream>

#include "pyalign/common.hpp"

namespace pyalign {
namespace detail {

inline void check_threshold(const char* name, double v) {
    if (!(std::isfinite(v) && v >= 0.0)) {
        std::ostringstream os;
        os << name << " must be a finite number >= 0, got " << v;
        throw Error(os.str());
    }
}

inline bool finite(float v) { return std::fabs(v) <= FLT_MAX; }

/// double -> float with IEEE round-to-nearest, defined for every input (a plain cast of an
/// out-of-range value is undefined in C++): at or beyond FLT_MAX + half an ulp it is +-Inf.
inline float narrow(double x) {
    const double limit = 340282356779733661637539395458142568448.0;  // 2^128 - 2^103
    if (std::isnan(x)) return std::numeric_limits<float>::quiet_NaN();
    if (x >= limit) return std::numeric_limits<float>::infinity();
    if (x <= -limit) return -std::numeric_limits<float>::infinity();
    return static_cast<float>(x);
}

}  // namespace detail
}  // namespace pyalign

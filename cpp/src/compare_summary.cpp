// pyalign — comparison: the summary metrics of finished comparison statistics (see compare.hpp);
// the streaming accumulator that gathers them is in compare.cpp.
#include "pyalign/compare.hpp"

#include <cmath>
#include <limits>

namespace pyalign {

CompareSummary summarize(const CompareStats& s) {
    CompareSummary r;
    const double inf = std::numeric_limits<double>::infinity();
    if (s.finite_pairs > 0) {
        const double n = static_cast<double>(s.finite_pairs);
        r.mean_abs_diff = s.sum_abs_diff / n;
        r.rmse = std::sqrt(s.sum_sq_diff / n);
    }
    r.max_rel_diff = s.max_rel_num / s.max_rel_den;
    if (s.sum_expected_sq == 0.0 && s.sum_actual_sq == 0.0) {
        r.cosine = 1.0;
    } else if (s.sum_expected_sq == 0.0 || s.sum_actual_sq == 0.0) {
        r.cosine = 0.0;
    } else {
        r.cosine = s.sum_product / (std::sqrt(s.sum_expected_sq) * std::sqrt(s.sum_actual_sq));
    }
    if (s.sum_sq_diff == 0.0) {
        r.snr_db = inf;
    } else if (s.sum_expected_sq == 0.0) {
        r.snr_db = -inf;
    } else {
        r.snr_db = 10.0 * std::log10(s.sum_expected_sq / s.sum_sq_diff);
    }
    if (s.nonfinite_mismatch > 0) {
        r.min_atol_to_pass = std::numeric_limits<double>::quiet_NaN();
    } else {
        r.min_atol_to_pass = std::nextafter(s.has_max ? s.max_abs_diff : 0.0, inf);
    }
    r.violation_pct = s.count ? 100.0 * static_cast<double>(s.violations) / static_cast<double>(s.count) : 0.0;
    return r;
}

}  // namespace pyalign

// Unit tests of the streaming comparison accumulator (run plain and under ASan/UBSan).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "check.hpp"
#include "pyalign/compare.hpp"

using pyalign::CompareAccumulator;
using pyalign::CompareOptions;
using pyalign::DType;
using pyalign::RuleKind;

namespace {

CompareOptions atol_rule(double atol, double rtol = 0.0, std::size_t maxv = 10) {
    CompareOptions o;
    o.kind = RuleKind::atol;
    o.atol = atol;
    o.rtol = rtol;
    o.max_violations = maxv;
    return o;
}

// Straightforward reference of a few metrics (finite inputs).
struct Ref {
    std::uint64_t violations = 0;
    double max_abs = 0.0;
    std::uint64_t argmax = 0;
    double sum_abs = 0.0;
    std::uint64_t hist[pyalign::kHistBins] = {};
};

template <typename T>
Ref reference(const std::vector<T>& e, const std::vector<T>& a, double atol, double rtol) {
    Ref r;
    for (std::size_t i = 0; i < e.size(); ++i) {
        const double d = std::fabs(static_cast<double>(a[i]) - static_cast<double>(e[i]));
        if (!(d < atol + rtol * std::fabs(static_cast<double>(e[i])))) ++r.violations;
        if (i == 0 || d > r.max_abs) {
            r.max_abs = d;
            r.argmax = i;
        }
        r.sum_abs += d;
        int b = d > 0.0 ? 1 : 0;
        for (double t : pyalign::kHistEdges) b += d >= t ? 1 : 0;
        ++r.hist[b];
    }
    return r;
}

}  // namespace

PA_TEST(float32_random_matches_reference_in_chunks) {
    std::mt19937 g(42);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (int trial = 0; trial < 5; ++trial) {
        const std::size_t n = 1 + g() % 20000;
        std::vector<float> e(n), a(n);
        for (std::size_t i = 0; i < n; ++i) {
            e[i] = nd(g);
            a[i] = u(g) < 0.2f ? e[i] + nd(g) * 1e-4f : e[i];
        }
        const Ref r = reference(e, a, 1e-4, 0.0);
        CompareAccumulator acc(DType::f32, atol_rule(1e-4));
        for (std::size_t i = 0; i < n; i += 3000) acc.update(e.data() + i, a.data() + i, std::min<std::size_t>(3000, n - i));
        const auto& s = acc.stats();
        PA_CHECK_EQ(s.count, n);
        PA_CHECK_EQ(s.violations, r.violations);
        PA_CHECK_EQ(s.max_abs_diff, r.max_abs);
        PA_CHECK_EQ(s.max_index, r.argmax);
        PA_CHECK_NEAR(s.sum_abs_diff, r.sum_abs, 1e-9 * (1.0 + r.sum_abs));
        for (int b = 0; b < pyalign::kHistBins; ++b) PA_CHECK_EQ(s.histogram[b], r.hist[b]);
        PA_CHECK(s.first_violations.size() == std::min<std::uint64_t>(10, r.violations));
    }
}

PA_TEST(strict_less_than_at_the_tolerance) {
    const double e[2] = {0.0, 0.0};
    const double a_pass[2] = {0.99e-4, 0.0};
    const double a_fail[2] = {1e-4, 0.0};
    CompareAccumulator p(DType::f64, atol_rule(1e-4));
    p.update(e, a_pass, 2);
    PA_CHECK_EQ(p.stats().violations, 0u);
    CompareAccumulator f(DType::f64, atol_rule(1e-4));
    f.update(e, a_fail, 2);
    PA_CHECK_EQ(f.stats().violations, 1u);
    PA_CHECK_EQ(f.summary().min_atol_to_pass, std::nextafter(1e-4, 1.0));
}

PA_TEST(uint8_exact_off_by_one_and_no_wraparound) {
    std::vector<std::uint8_t> e(5000, 7), a(5000, 7);
    a[4321] = 8;
    a[17] = 255;
    e[17] = 0;
    CompareOptions o;  // exact
    CompareAccumulator acc(DType::u8, o);
    acc.update(e.data(), a.data(), e.size());
    PA_CHECK_EQ(acc.stats().violations, 2u);
    PA_CHECK_EQ(acc.stats().max_abs_diff, 255.0);
    PA_CHECK_EQ(acc.stats().max_index, 17u);
    PA_CHECK_EQ(acc.stats().first_violations.size(), 2u);
    PA_CHECK_EQ(acc.stats().first_violations[1].index, 4321u);
}

PA_TEST(int64_difference_is_exact) {
    const std::int64_t e[3] = {std::int64_t(1) << 62, std::numeric_limits<std::int64_t>::min(), 5};
    const std::int64_t a[3] = {(std::int64_t(1) << 62) + 1, std::numeric_limits<std::int64_t>::max(), 5};
    CompareOptions o;
    CompareAccumulator acc(DType::i64, o);
    acc.update(e, a, 3);
    PA_CHECK_EQ(acc.stats().violations, 2u);
    PA_CHECK_EQ(acc.stats().max_abs_diff, 18446744073709551615.0);
    PA_CHECK_EQ(acc.stats().histogram[9], 1u);  // |d| == 1
}

PA_TEST(nan_and_inf_semantics) {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    std::vector<float> e(2048, 1.0f), a(2048, 1.0f);  // NaNs inside a full block exercise the fallback
    e[10] = nan, a[10] = nan;    // equal
    e[11] = nan, a[11] = 1.0f;   // mismatch
    e[12] = inf, a[12] = inf;    // equal
    e[13] = inf, a[13] = -inf;   // mismatch
    e[1500] = 2.0f;              // finite violation in another block
    CompareAccumulator acc(DType::f32, atol_rule(1e-4));
    acc.update(e.data(), a.data(), e.size());
    const auto& s = acc.stats();
    PA_CHECK_EQ(s.nonfinite_equal, 2u);
    PA_CHECK_EQ(s.nonfinite_mismatch, 2u);
    PA_CHECK_EQ(s.violations, 3u);
    PA_CHECK_EQ(s.nan_expected, 2u);
    PA_CHECK_EQ(s.nan_actual, 1u);
    PA_CHECK_EQ(s.inf_expected, 2u);
    PA_CHECK_EQ(s.inf_actual, 2u);
    PA_CHECK_EQ(s.finite_pairs, 2044u);
    PA_CHECK_EQ(s.max_abs_diff, 1.0);
    PA_CHECK_EQ(s.max_index, 1500u);
    PA_CHECK(std::isnan(acc.summary().min_atol_to_pass));
    PA_CHECK_EQ(s.first_violations.size(), 3u);
    PA_CHECK_EQ(s.first_violations[0].index, 11u);
}

PA_TEST(float16_values) {
    PA_CHECK_EQ(pyalign::half_to_double(0x3c00), 1.0);
    PA_CHECK_EQ(pyalign::half_to_double(0xc000), -2.0);
    PA_CHECK_EQ(pyalign::half_to_double(0x0001), std::ldexp(1.0, -24));
    PA_CHECK_EQ(pyalign::half_to_double(0x7bff), 65504.0);
    PA_CHECK(std::isinf(pyalign::half_to_double(0x7c00)));
    PA_CHECK(std::isnan(pyalign::half_to_double(0x7e00)));
    const std::uint16_t e[2] = {0x3c00, 0x3c00}, a[2] = {0x3c01, 0x3c00};
    CompareAccumulator acc(DType::f16, atol_rule(1e-4));
    acc.update(e, a, 2);
    PA_CHECK_EQ(acc.stats().violations, 1u);
    PA_CHECK_EQ(acc.stats().max_abs_diff, std::ldexp(1.0, -10));
}

PA_TEST(summary_metrics) {
    const double e[4] = {1.0, 0.0, -2.0, 3.0}, a[4] = {1.5, 0.0, -2.0, 2.0};
    CompareAccumulator acc(DType::f64, atol_rule(1e-3));
    acc.update(e, a, 4);
    const auto r = acc.summary();
    PA_CHECK_NEAR(r.mean_abs_diff, 1.5 / 4, 1e-15);
    PA_CHECK_NEAR(r.rmse, std::sqrt(1.25 / 4), 1e-15);
    PA_CHECK_NEAR(r.max_rel_diff, 0.5, 1e-15);
    PA_CHECK_NEAR(r.cosine, (1.5 + 4 + 6) / (std::sqrt(14.0) * std::sqrt(2.25 + 4 + 4)), 1e-15);
    PA_CHECK_NEAR(r.snr_db, 10 * std::log10(14.0 / 1.25), 1e-12);
    PA_CHECK_NEAR(r.violation_pct, 50.0, 1e-12);
    CompareAccumulator same(DType::f64, atol_rule(1e-3));
    same.update(e, e, 4);
    PA_CHECK(std::isinf(same.summary().snr_db));
    PA_CHECK_EQ(same.summary().cosine, 1.0);
}

PA_TEST(rtol_and_none_rules) {
    const double e[2] = {1000.0, 1.0}, a[2] = {1000.5, 1.0};
    CompareAccumulator r1(DType::f64, atol_rule(1e-4, 1e-3));
    r1.update(e, a, 2);
    PA_CHECK_EQ(r1.stats().violations, 0u);
    CompareOptions none;
    none.kind = RuleKind::none;
    CompareAccumulator r2(DType::f64, none);
    r2.update(e, a, 2);
    PA_CHECK_EQ(r2.stats().violations, 0u);
    PA_CHECK_EQ(r2.stats().max_abs_diff, 0.5);
}

PA_TEST(histogram_bins) {
    PA_CHECK_EQ(pyalign::hist_bin(0.0), 0);
    PA_CHECK_EQ(pyalign::hist_bin(std::numeric_limits<double>::denorm_min()), 1);
    PA_CHECK_EQ(pyalign::hist_bin(1e-7), 2);
    PA_CHECK_EQ(pyalign::hist_bin(std::nextafter(1e-7, 0.0)), 1);
    PA_CHECK_EQ(pyalign::hist_bin(1e-4), 5);
    PA_CHECK_EQ(pyalign::hist_bin(1.0), 9);
    PA_CHECK_EQ(pyalign::hist_bin(100.0), 11);
    PA_CHECK_EQ(pyalign::hist_bin(std::numeric_limits<double>::infinity()), 11);
}

PA_TEST(invalid_arguments_throw) {
    PA_CHECK_THROWS(pyalign::dtype_from_name("complex64"));
    PA_CHECK_THROWS(CompareAccumulator(DType::f32, atol_rule(-1.0)));
    PA_CHECK_THROWS(CompareAccumulator(DType::f32, atol_rule(std::nan(""))));
    CompareAccumulator acc(DType::f32, atol_rule(1.0));
    PA_CHECK_THROWS(acc.update(nullptr, nullptr, 3));
    acc.update(nullptr, nullptr, 0);  // nothing to do
    PA_CHECK_EQ(acc.stats().count, 0u);
    PA_CHECK_EQ(pyalign::dtype_size(pyalign::dtype_from_name("int64")), 8u);
}

int main() { return pyalign_test::run_all(); }

// pyalign — streaming elementwise comparison of two tensors.
//
// A CompareAccumulator is fed the expected and the actual tensor in chunks
// (any number of elements per call, in order) and computes every elementwise
// metric in one pass with double accumulators: violations of the rule, max
// |diff| and where it is, mean |diff|, RMSE, max relative diff, cosine
// similarity, SNR, NaN/Inf counts, a decade histogram of |diff| and the first
// violations. Nothing is allocated per element; the memory used is constant.
//
// Rules (all differences in double; int64 differences are computed exactly
// in integers first):
//   exact : a == e (an integer tensor must be bit-identical; -0.0 == +0.0)
//   atol  : |a - e| < atol + rtol * |e|           (strict <)
//   none  : no elementwise rule (the cosine rule is decided by the caller)
// NaN equals NaN only at the same position; +Inf equals only +Inf, -Inf only
// -Inf. Pairs where either side is NaN or Inf are left out of the sums, the
// max, the histogram and the relative diff; they are counted instead.
//
// Results are deterministic: the sums are taken in fixed-size blocks of
// kCompareBlock elements with a fixed lane order. Feeding the data in chunks
// whose sizes are multiples of kCompareBlock gives the same bits as one call.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "pyalign/common.hpp"
#include "pyalign/dtype.hpp"

namespace pyalign {

/// The elementwise rule an accumulator checks.
enum class RuleKind : int { exact = 0, atol = 1, none = 2 };

struct CompareOptions {
    RuleKind kind = RuleKind::exact;
    double atol = 0.0;           ///< with RuleKind::atol (>= 0)
    double rtol = 0.0;           ///< with RuleKind::atol (>= 0)
    std::size_t max_violations = 10;  ///< how many first violations to keep
};

/// One element that breaks the rule. Values are converted to double.
struct Violation {
    std::uint64_t index = 0;  ///< flat (C order) element index
    double expected = 0.0;
    double actual = 0.0;
    double diff = 0.0;        ///< actual - expected (NaN/Inf when either side is)
};

/// Number of |diff| histogram bins. Bin 0: |d| == 0; bin 1: 0 < |d| < 1e-7;
/// bin k (2..10): 10^(k-9) <= |d| < 10^(k-8); bin 11: |d| >= 1e2 (incl. +Inf
/// from an overflowing difference). Upper edges, in order: kHistEdges.
constexpr int kHistBins = 12;
/// Lower edges of bins 2..11 (1e-7 ... 1e2).
extern const double kHistEdges[kHistBins - 2];
/// Elements per summation block (see the determinism note above).
constexpr std::size_t kCompareBlock = 1024;

/// Everything an accumulator has seen, raw.
struct CompareStats {
    std::uint64_t count = 0;          ///< elements compared
    std::uint64_t violations = 0;     ///< elements that break the rule (0 for RuleKind::none)
    std::uint64_t finite_pairs = 0;   ///< pairs with both sides finite (those in the sums)
    double sum_abs_diff = 0.0;
    double sum_sq_diff = 0.0;
    double sum_expected_sq = 0.0;
    double sum_actual_sq = 0.0;
    double sum_product = 0.0;
    bool has_max = false;             ///< false until a finite pair has been seen
    double max_abs_diff = 0.0;        ///< over finite pairs; first occurrence kept
    std::uint64_t max_index = 0;
    double expected_at_max = 0.0;
    double actual_at_max = 0.0;
    double max_rel_num = 0.0;         ///< max relative diff = num / den (over e != 0)
    double max_rel_den = 1.0;
    std::uint64_t nan_expected = 0, nan_actual = 0;
    std::uint64_t inf_expected = 0, inf_actual = 0;
    std::uint64_t nonfinite_equal = 0;     ///< NaN/NaN or same-signed Inf pairs
    std::uint64_t nonfinite_mismatch = 0;  ///< pairs with a NaN/Inf that are not equal
    std::array<std::uint64_t, kHistBins> histogram{};
    std::vector<Violation> first_violations;
};

/// Metrics derived from CompareStats.
struct CompareSummary {
    double mean_abs_diff = 0.0;   ///< over finite pairs (0 when none)
    double rmse = 0.0;            ///< over finite pairs
    double max_rel_diff = 0.0;    ///< max |a-e|/|e| over finite pairs with e != 0
    double cosine = 1.0;          ///< sum(e*a)/sqrt(sum e^2 * sum a^2); 1 if both all-zero, 0 if one is
    double snr_db = 0.0;          ///< 10 log10(sum e^2 / sum d^2); +Inf when d == 0 everywhere
    double min_atol_to_pass = 0.0;  ///< smallest atol with |d| < atol everywhere: nextafter(max, +Inf);
                                    ///< NaN when a NaN/Inf mismatch makes every atol fail
    double violation_pct = 0.0;   ///< 100 * violations / count
};

class CompareAccumulator {
public:
    CompareAccumulator(DType dtype, const CompareOptions& options);

    /// Feed the next n elements of both tensors (same dtype as constructed).
    void update(const void* expected, const void* actual, std::size_t n);

    const CompareStats& stats() const { return stats_; }
    CompareSummary summary() const;
    DType dtype() const { return dtype_; }
    const CompareOptions& options() const { return options_; }

private:
    template <typename Tr>
    void update_typed(const void* expected, const void* actual, std::size_t n);
    template <typename Tr>
    void block(const typename Tr::type* e, const typename Tr::type* a, std::size_t n, std::uint64_t base);
    template <typename Tr>
    void rel_block(const typename Tr::type* e, const double* ad, std::size_t n, double bm, double min_ae);
    template <typename Tr>
    void violations_block(const typename Tr::type* e, const typename Tr::type* a, const double* ad, std::size_t n,
                          std::uint64_t base);
    void histogram_block(const double* ad, std::size_t n, double bm);
    template <typename Tr>
    void slow_block(const typename Tr::type* e, const typename Tr::type* a, std::size_t n, std::uint64_t base);

    DType dtype_;
    CompareOptions options_;
    double tol_atol_ = 0.0;  ///< effective atol (exact: denorm_min, none: +Inf)
    double tol_rtol_ = 0.0;
    CompareStats stats_;
};

/// Summary of raw stats (also what CompareAccumulator::summary() returns).
CompareSummary summarize(const CompareStats& s);

/// The histogram bin of a non-negative |diff| (see kHistBins).
int hist_bin(double abs_diff);

/// IEEE half (binary16) bits to double, exactly.
double half_to_double(std::uint16_t bits);

}  // namespace pyalign

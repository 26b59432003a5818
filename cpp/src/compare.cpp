// pyalign — streaming elementwise comparison (see compare.hpp).
//
// Each chunk is cut into blocks of kCompareBlock elements. A block is first
// processed by a branch-free loop over kLanes independent lanes (the compiler
// vectorises it without reassociating floating point): sums, max |diff|, max
// relative diff, violation count and a "saw NaN/Inf" flag. If the block holds
// a NaN or an Inf, its lane results are dropped and the block is redone
// element by element with the full NaN/Inf semantics. The rare work (index of
// the max, first violations, histogram) runs only over blocks that need it.
#include "pyalign/compare.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace pyalign {

const double kHistEdges[kHistBins - 2] = {1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2};

namespace {

constexpr int kLanes = 4;

struct HistTable {
    // For a non-negative double, bin = base[e] + (bits >= edge[e]) with e its biased exponent:
    // a binary octave [2^k, 2^(k+1)) holds at most one decade edge.
    std::uint8_t base[2048];
    std::uint64_t edge[2048];
    HistTable() {
        for (int e = 0; e < 2048; ++e) {
            std::uint64_t lo_bits = static_cast<std::uint64_t>(e) << 52;
            std::uint64_t hi_bits = static_cast<std::uint64_t>(e + 1) << 52;  // first value of next octave
            double lo;
            std::memcpy(&lo, &lo_bits, sizeof lo);
            int b = lo > 0.0 ? 1 : 0;  // e == 0: zero and subnormals, handled by the edge below
            std::uint64_t edge_bits = std::numeric_limits<std::uint64_t>::max();
            for (double t : kHistEdges) {
                std::uint64_t t_bits;
                std::memcpy(&t_bits, &t, sizeof t);
                if (t_bits <= lo_bits) {
                    ++b;
                } else if (t_bits < hi_bits && e < 2047) {
                    edge_bits = t_bits;
                }
            }
            if (e == 0) edge_bits = 1;  // any non-zero subnormal goes to bin 1
            if (e == 2047) b = kHistBins - 1, edge_bits = std::numeric_limits<std::uint64_t>::max();
            base[e] = static_cast<std::uint8_t>(b);
            edge[e] = edge_bits;
        }
    }
};

const HistTable& hist_table() {
    static const HistTable table;
    return table;
}

inline int bin_of(const HistTable& t, double x) {
    std::uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    const unsigned e = static_cast<unsigned>(bits >> 52) & 2047u;
    return t.base[e] + (bits >= t.edge[e] ? 1 : 0);
}

// ---- element traits: value in double, exact difference ----
template <typename T>
struct IntTraits {
    using type = T;
    static constexpr bool is_float = false;
    static double value(T x) { return static_cast<double>(x); }
    static double diff(T e, T a) { return static_cast<double>(a) - static_cast<double>(e); }
};

struct Int64Traits {
    using type = std::int64_t;
    static constexpr bool is_float = false;
    static double value(std::int64_t x) { return static_cast<double>(x); }
    // |a - e| computed exactly in 64-bit unsigned arithmetic, rounded once to double.
    static double diff(std::int64_t e, std::int64_t a) {
        const std::uint64_t ue = static_cast<std::uint64_t>(e), ua = static_cast<std::uint64_t>(a);
        return a >= e ? static_cast<double>(ua - ue) : -static_cast<double>(ue - ua);
    }
};

template <typename T>
struct FloatTraits {
    using type = T;
    static constexpr bool is_float = true;
    static double value(T x) { return static_cast<double>(x); }
    static double diff(T e, T a) { return static_cast<double>(a) - static_cast<double>(e); }
};

struct HalfTraits {
    using type = std::uint16_t;
    static constexpr bool is_float = true;
    static double value(std::uint16_t x) { return half_to_double(x); }
    static double diff(std::uint16_t e, std::uint16_t a) { return half_to_double(a) - half_to_double(e); }
};

}  // namespace

double half_to_double(std::uint16_t bits) {
    const int sign = bits >> 15;
    const int exp = (bits >> 10) & 31;
    const int mant = bits & 1023;
    double v;
    if (exp == 0) {
        v = std::ldexp(static_cast<double>(mant), -24);
    } else if (exp == 31) {
        v = mant ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
    } else {
        v = std::ldexp(static_cast<double>(mant + 1024), exp - 25);
    }
    return sign ? -v : v;
}

int hist_bin(double abs_diff) { return bin_of(hist_table(), abs_diff); }

CompareAccumulator::CompareAccumulator(DType dtype, const CompareOptions& options)
    : dtype_(dtype), options_(options) {
    (void)dtype_size(dtype);  // validates
    switch (options.kind) {
        case RuleKind::exact:
            tol_atol_ = std::numeric_limits<double>::denorm_min();  // |d| < denorm_min <=> d == 0
            tol_rtol_ = 0.0;
            break;
        case RuleKind::atol:
            if (!(options.atol >= 0.0) || !(options.rtol >= 0.0))
                throw Error("atol and rtol must be non-negative numbers");
            tol_atol_ = options.atol;
            tol_rtol_ = options.rtol;
            break;
        case RuleKind::none:
            tol_atol_ = std::numeric_limits<double>::infinity();
            tol_rtol_ = 0.0;
            break;
        default:
            throw Error("invalid rule kind");
    }
    (void)hist_table();
}

template <typename Tr>
void CompareAccumulator::slow_block(const typename Tr::type* e, const typename Tr::type* a, std::size_t n,
                                    std::uint64_t base) {
    const HistTable& ht = hist_table();
    CompareStats& s = stats_;
    const bool check = options_.kind != RuleKind::none;
    for (std::size_t i = 0; i < n; ++i) {
        const double ev = Tr::value(e[i]), av = Tr::value(a[i]);
        const bool ef = std::isfinite(ev), af = std::isfinite(av);
        if (!ef || !af) {
            if (!ef) (std::isnan(ev) ? s.nan_expected : s.inf_expected) += 1;
            if (!af) (std::isnan(av) ? s.nan_actual : s.inf_actual) += 1;
            const bool equal = (std::isnan(ev) && std::isnan(av)) || ev == av;
            if (equal) {
                ++s.nonfinite_equal;
            } else {
                ++s.nonfinite_mismatch;
                if (check) {
                    ++s.violations;
                    if (s.first_violations.size() < options_.max_violations)
                        s.first_violations.push_back({base + i, ev, av, av - ev});
                }
            }
            continue;
        }
        const double d = Tr::diff(e[i], a[i]);
        const double x = std::fabs(d);
        const double ae = std::fabs(ev);
        ++s.finite_pairs;
        s.sum_abs_diff += x;
        s.sum_sq_diff += d * d;
        s.sum_expected_sq += ev * ev;
        s.sum_actual_sq += av * av;
        s.sum_product += ev * av;
        if (!s.has_max || x > s.max_abs_diff) {
            s.has_max = true;
            s.max_abs_diff = x;
            s.max_index = base + i;
            s.expected_at_max = ev;
            s.actual_at_max = av;
        }
        if (ae != 0.0 && x * s.max_rel_den > s.max_rel_num * ae) {
            s.max_rel_num = x;
            s.max_rel_den = ae;
        }
        if (check && !(x < tol_atol_ + tol_rtol_ * ae)) {
            ++s.violations;
            if (s.first_violations.size() < options_.max_violations)
                s.first_violations.push_back({base + i, ev, av, d});
        }
        ++s.histogram[bin_of(ht, x)];
    }
}

template <typename Tr>
void CompareAccumulator::block(const typename Tr::type* e, const typename Tr::type* a, std::size_t n,
                               std::uint64_t base) {
    double ad[kCompareBlock];
    double s_ad[kLanes] = {}, s_d2[kLanes] = {}, s_e2[kLanes] = {}, s_a2[kLanes] = {}, s_ea[kLanes] = {};
    double mx[kLanes] = {}, rn[kLanes] = {};  // rn: max |d|/|e| per lane
    double bad[kLanes] = {}, nf[kLanes] = {};
    const double atol = tol_atol_, rtol = tol_rtol_;
    const std::size_t nv = n - n % kLanes;
    for (std::size_t i = 0; i < nv; i += kLanes) {
        for (int l = 0; l < kLanes; ++l) {
            const double ev = Tr::value(e[i + l]), av = Tr::value(a[i + l]);
            const double d = Tr::diff(e[i + l], a[i + l]);
            const double x = std::fabs(d);
            const double ae = std::fabs(ev);
            ad[i + l] = x;
            s_ad[l] += x;
            s_d2[l] += d * d;
            s_e2[l] += ev * ev;
            s_a2[l] += av * av;
            s_ea[l] += ev * av;
            mx[l] = x > mx[l] ? x : mx[l];
            const bool nz = ae != 0.0;
            const double r = (nz ? x : 0.0) / (nz ? ae : 1.0);
            rn[l] = r > rn[l] ? r : rn[l];
            bad[l] += (x >= atol + rtol * ae) ? 1.0 : 0.0;
            if constexpr (Tr::is_float) nf[l] += (ev - ev) + (av - av);
        }
    }
    if (Tr::is_float && !((nf[0] + nf[1] + nf[2] + nf[3]) == 0.0)) {
        slow_block<Tr>(e, a, n, base);
        return;
    }
    CompareStats& s = stats_;
    if (nv > 0) {
        s.finite_pairs += nv;
        s.sum_abs_diff += (s_ad[0] + s_ad[1]) + (s_ad[2] + s_ad[3]);
        s.sum_sq_diff += (s_d2[0] + s_d2[1]) + (s_d2[2] + s_d2[3]);
        s.sum_expected_sq += (s_e2[0] + s_e2[1]) + (s_e2[2] + s_e2[3]);
        s.sum_actual_sq += (s_a2[0] + s_a2[1]) + (s_a2[2] + s_a2[3]);
        s.sum_product += (s_ea[0] + s_ea[1]) + (s_ea[2] + s_ea[3]);
        double bm = mx[0];
        for (int l = 1; l < kLanes; ++l) bm = mx[l] > bm ? mx[l] : bm;
        if (!s.has_max || bm > s.max_abs_diff) {
            for (std::size_t i = 0; i < nv; ++i) {
                if (ad[i] == bm) {
                    s.has_max = true;
                    s.max_abs_diff = bm;
                    s.max_index = base + i;
                    s.expected_at_max = Tr::value(e[i]);
                    s.actual_at_max = Tr::value(a[i]);
                    break;
                }
            }
        }
        for (int l = 0; l < kLanes; ++l) {
            if (rn[l] * s.max_rel_den > s.max_rel_num) {
                s.max_rel_num = rn[l];
                s.max_rel_den = 1.0;
            }
        }
        const double nb = (bad[0] + bad[1]) + (bad[2] + bad[3]);
        if (nb != 0.0 && options_.kind != RuleKind::none) {
            s.violations += static_cast<std::uint64_t>(nb);
            for (std::size_t i = 0; i < nv && s.first_violations.size() < options_.max_violations; ++i) {
                const double ae = std::fabs(Tr::value(e[i]));
                if (!(ad[i] < atol + rtol * ae))
                    s.first_violations.push_back(
                        {base + i, Tr::value(e[i]), Tr::value(a[i]), Tr::diff(e[i], a[i])});
            }
        }
        if (bm == 0.0) {
            s.histogram[0] += nv;
        } else {
            const HistTable& ht = hist_table();
            std::uint64_t h[kLanes][kHistBins] = {};
            for (std::size_t i = 0; i < nv; i += kLanes)
                for (int l = 0; l < kLanes; ++l) ++h[l][bin_of(ht, ad[i + l])];
            for (int b = 0; b < kHistBins; ++b) s.histogram[b] += (h[0][b] + h[1][b]) + (h[2][b] + h[3][b]);
        }
    }
    if (nv < n) slow_block<Tr>(e + nv, a + nv, n - nv, base + nv);
}

template <typename Tr>
void CompareAccumulator::update_typed(const typename Tr::type* e, const typename Tr::type* a, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
        const std::size_t m = n - done < kCompareBlock ? n - done : kCompareBlock;
        block<Tr>(e + done, a + done, m, stats_.count + done);
        done += m;
    }
    stats_.count += n;
}

void CompareAccumulator::update(const void* expected, const void* actual, std::size_t n) {
    if (n == 0) return;
    if (expected == nullptr || actual == nullptr) throw Error("compare: null data pointer");
    switch (dtype_) {
        case DType::u8:
            return update_typed<IntTraits<std::uint8_t>>(static_cast<const std::uint8_t*>(expected),
                                                         static_cast<const std::uint8_t*>(actual), n);
        case DType::i8:
            return update_typed<IntTraits<std::int8_t>>(static_cast<const std::int8_t*>(expected),
                                                        static_cast<const std::int8_t*>(actual), n);
        case DType::u16:
            return update_typed<IntTraits<std::uint16_t>>(static_cast<const std::uint16_t*>(expected),
                                                          static_cast<const std::uint16_t*>(actual), n);
        case DType::i16:
            return update_typed<IntTraits<std::int16_t>>(static_cast<const std::int16_t*>(expected),
                                                         static_cast<const std::int16_t*>(actual), n);
        case DType::u32:
            return update_typed<IntTraits<std::uint32_t>>(static_cast<const std::uint32_t*>(expected),
                                                          static_cast<const std::uint32_t*>(actual), n);
        case DType::i32:
            return update_typed<IntTraits<std::int32_t>>(static_cast<const std::int32_t*>(expected),
                                                         static_cast<const std::int32_t*>(actual), n);
        case DType::i64:
            return update_typed<Int64Traits>(static_cast<const std::int64_t*>(expected),
                                             static_cast<const std::int64_t*>(actual), n);
        case DType::f16:
            return update_typed<HalfTraits>(static_cast<const std::uint16_t*>(expected),
                                            static_cast<const std::uint16_t*>(actual), n);
        case DType::f32:
            return update_typed<FloatTraits<float>>(static_cast<const float*>(expected),
                                                    static_cast<const float*>(actual), n);
        case DType::f64:
            return update_typed<FloatTraits<double>>(static_cast<const double*>(expected),
                                                     static_cast<const double*>(actual), n);
    }
    throw Error("invalid dtype");
}

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

CompareSummary CompareAccumulator::summary() const { return summarize(stats_); }

}  // namespace pyalign

// pyalign — streaming elementwise comparison (see compare.hpp).
//
// Each chunk is cut into blocks of kCompareBlock elements (a block of both
// inputs and its |diff| buffer stay in L1). A block is first run through two
// branch-free loops over kLanes = 4 lanes (lane l takes the elements
// i % 4 == l): the five sums, max |diff| and min |expected| per lane, and
// |diff| into a block buffer. With GCC/Clang they are written with generic
// vectors of two doubles (SSE2 on x86-64, NEON on aarch64); each vector
// operation is the scalar IEEE operation lane by lane, in the same order as
// the plain scalar loop used elsewhere (and selected by
// -DPYALIGN_COMPARE_SCALAR), so both give the same bits. A NaN or an Inf
// makes the |diff| sum non-finite: that block is then redone element by
// element with the full NaN/Inf semantics. Everything else works on the
// |diff| buffer and runs only where it can change a result: the index of the
// max (when the block's max beats the running one), the violations (when the
// block's max reaches atol), the relative diff (when a bound says the block
// can beat the running max) and the histogram (from counts of |diff| >= each
// decade edge up to the block's max; none when the block is all zero).
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
// Integers up to 32 bits and float / double: the value is exact in double, the difference is
// computed in double.
template <typename T, bool IsFloat>
struct PlainTraits {
    using type = T;
    static constexpr bool is_float = IsFloat;
    static constexpr bool plain_diff = true;  // diff() is value(a) - value(e)
    static double value(T x) { return static_cast<double>(x); }
    static double diff(T e, T a) { return static_cast<double>(a) - static_cast<double>(e); }
};
template <typename T>
using IntTraits = PlainTraits<T, false>;
template <typename T>
using FloatTraits = PlainTraits<T, true>;

struct Int64Traits {
    using type = std::int64_t;
    static constexpr bool is_float = false;
    static constexpr bool plain_diff = false;  // diff() is not value(a) - value(e)
    static double value(std::int64_t x) { return static_cast<double>(x); }
    // |a - e| computed exactly in 64-bit unsigned arithmetic, rounded once to double.
    static double diff(std::int64_t e, std::int64_t a) {
        const std::uint64_t ue = static_cast<std::uint64_t>(e), ua = static_cast<std::uint64_t>(a);
        return a >= e ? static_cast<double>(ua - ue) : -static_cast<double>(ue - ua);
    }
};

struct HalfTraits {
    using type = std::uint16_t;
    static constexpr bool is_float = true;
    static constexpr bool plain_diff = true;  // diff() is value(a) - value(e)
    static double value(std::uint16_t x) { return half_to_double(x); }
    static double diff(std::uint16_t e, std::uint16_t a) { return half_to_double(a) - half_to_double(e); }
};

template <typename Tr>
bool has_nonfinite(const typename Tr::type* e, const typename Tr::type* a, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (!std::isfinite(Tr::value(e[i])) || !std::isfinite(Tr::value(a[i]))) return true;
    return false;
}

// ---- the per-block pass: sums over kLanes lanes (lane l takes the elements i with i % kLanes == l) ----
struct LaneSums {
    double ad[kLanes], d2[kLanes], e2[kLanes], a2[kLanes], ea[kLanes];  // sums per lane
    double mx[kLanes];   // max |diff| per lane
    double mne[kLanes];  // min |expected| per lane
};

#if defined(__GNUC__) && !defined(PYALIGN_COMPARE_SCALAR)
// GCC/Clang generic vectors (two lanes each; the compiler maps them to SSE2 or NEON, or to scalar
// code). Every operation is the IEEE operation of the scalar path below, lane by lane, so both paths
// give the same bits.
typedef double v2d __attribute__((vector_size(16)));
typedef std::int64_t v2i __attribute__((vector_size(16)));

typedef float v4f __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));  // only a local, split into two v2d

// Elements p[0..3] as doubles in two vectors.
template <typename Tr>
inline void load4(const typename Tr::type* p, v2d& lo, v2d& hi) {
    if constexpr (std::is_same<typename Tr::type, float>::value) {
        v4f f;
        std::memcpy(&f, p, sizeof f);
        const v4d d = __builtin_convertvector(f, v4d);
        lo = __builtin_shufflevector(d, d, 0, 1);
        hi = __builtin_shufflevector(d, d, 2, 3);
    } else if constexpr (std::is_same<typename Tr::type, double>::value) {
        std::memcpy(&lo, p, sizeof lo);
        std::memcpy(&hi, p + 2, sizeof hi);
    } else {
        lo = v2d{Tr::value(p[0]), Tr::value(p[1])};
        hi = v2d{Tr::value(p[2]), Tr::value(p[3])};
    }
}

inline v2d vabs(v2d x) {
    const v2i m = {0x7fffffffffffffffLL, 0x7fffffffffffffffLL};
    return reinterpret_cast<v2d>(reinterpret_cast<v2i>(x) & m);
}

inline v2d vmax(v2d x, v2d m) {  // x > m ? x : m, lane by lane (SSE2 maxpd, NEON bsl)
#if defined(__clang__)
    const v2i k = x > m;
    return reinterpret_cast<v2d>((reinterpret_cast<v2i>(x) & k) | (reinterpret_cast<v2i>(m) & ~k));
#else
    return x > m ? x : m;
#endif
}

inline v2d vmin(v2d x, v2d m) {  // x < m ? x : m, lane by lane
#if defined(__clang__)
    const v2i k = x < m;
    return reinterpret_cast<v2d>((reinterpret_cast<v2i>(x) & k) | (reinterpret_cast<v2i>(m) & ~k));
#else
    return x < m ? x : m;
#endif
}

inline void store_lanes(const v2d& lo, const v2d& hi, double* dst) {
    dst[0] = lo[0];
    dst[1] = lo[1];
    dst[2] = hi[0];
    dst[3] = hi[1];
}

// Two loops over the block (it is in L1), so that the accumulators of each stay in registers
// (16 SSE registers on x86-64).
template <typename Tr>
void lane_pass(const typename Tr::type* e, const typename Tr::type* a, std::size_t nv, double* ad, LaneSums& r) {
    static_assert(kLanes == 4, "two vectors of two lanes");
    const double inf = std::numeric_limits<double>::infinity();
    const v2d zero = {0.0, 0.0};
    {
        v2d se20 = zero, se21 = zero, sa20 = zero, sa21 = zero, sea0 = zero, sea1 = zero;
        v2d mn0 = {inf, inf}, mn1 = mn0;
        for (std::size_t i = 0; i < nv; i += kLanes) {
            v2d e0, e1, a0, a1;
            load4<Tr>(e + i, e0, e1);
            load4<Tr>(a + i, a0, a1);
            se20 += e0 * e0;
            se21 += e1 * e1;
            sa20 += a0 * a0;
            sa21 += a1 * a1;
            sea0 += e0 * a0;
            sea1 += e1 * a1;
            mn0 = vmin(vabs(e0), mn0);
            mn1 = vmin(vabs(e1), mn1);
        }
        store_lanes(se20, se21, r.e2);
        store_lanes(sa20, sa21, r.a2);
        store_lanes(sea0, sea1, r.ea);
        store_lanes(mn0, mn1, r.mne);
    }
    v2d sad0 = zero, sad1 = zero, sd20 = zero, sd21 = zero, mx0 = zero, mx1 = zero;
    for (std::size_t i = 0; i < nv; i += kLanes) {
        v2d d0, d1;
        if constexpr (Tr::plain_diff) {
            v2d e0, e1, a0, a1;
            load4<Tr>(e + i, e0, e1);
            load4<Tr>(a + i, a0, a1);
            d0 = a0 - e0;
            d1 = a1 - e1;
        } else {
            d0 = v2d{Tr::diff(e[i], a[i]), Tr::diff(e[i + 1], a[i + 1])};
            d1 = v2d{Tr::diff(e[i + 2], a[i + 2]), Tr::diff(e[i + 3], a[i + 3])};
        }
        const v2d x0 = vabs(d0), x1 = vabs(d1);
        std::memcpy(ad + i, &x0, sizeof x0);
        std::memcpy(ad + i + 2, &x1, sizeof x1);
        sad0 += x0;
        sad1 += x1;
        sd20 += d0 * d0;
        sd21 += d1 * d1;
        mx0 = vmax(x0, mx0);
        mx1 = vmax(x1, mx1);
    }
    store_lanes(sad0, sad1, r.ad);
    store_lanes(sd20, sd21, r.d2);
    store_lanes(mx0, mx1, r.mx);
}

#if defined(__x86_64__) && !defined(PYALIGN_COMPARE_NO_AVX2)
// The same lanes, four to a 256-bit register, in functions compiled for AVX2 and chosen at run time
// when the CPU has it. Only the vector width changes: each lane sees the same IEEE operations in the
// same order (no FMA: AVX2 does not enable it and -ffp-contract=off), so the bits are those of the
// baseline path (checked by building with -DPYALIGN_COMPARE_NO_AVX2 and comparing).
#define PYALIGN_COMPARE_AVX2 1
typedef double v4d __attribute__((vector_size(32)));
typedef std::int64_t v4i __attribute__((vector_size(32)));

template <typename Tr>
__attribute__((target("avx2"))) inline void load4w(const typename Tr::type* p, v4d& out) {
    if constexpr (std::is_same<typename Tr::type, float>::value) {
        v4f f;
        std::memcpy(&f, p, sizeof f);
        out = __builtin_convertvector(f, v4d);
    } else if constexpr (std::is_same<typename Tr::type, double>::value) {
        std::memcpy(&out, p, sizeof out);
    } else {
        out = v4d{Tr::value(p[0]), Tr::value(p[1]), Tr::value(p[2]), Tr::value(p[3])};
    }
}

__attribute__((target("avx2"))) inline void store_lanes4(const v4d& v, double* dst) {
    std::memcpy(dst, &v, sizeof v);
}

// lane_pass in one loop (16 ymm registers hold every accumulator).
template <typename Tr>
__attribute__((target("avx2"))) void lane_pass_avx2(const typename Tr::type* e, const typename Tr::type* a,
                                                    std::size_t nv, double* ad, LaneSums& r) {
    const double inf = std::numeric_limits<double>::infinity();
    const v4d zero = {0.0, 0.0, 0.0, 0.0};
    const v4i absm = {0x7fffffffffffffffLL, 0x7fffffffffffffffLL, 0x7fffffffffffffffLL, 0x7fffffffffffffffLL};
    v4d se2 = zero, sa2 = zero, sea = zero, mn = {inf, inf, inf, inf}, sad = zero, sd2 = zero, mx = zero;
    for (std::size_t i = 0; i < nv; i += kLanes) {
        v4d ev, av, d;
        load4w<Tr>(e + i, ev);
        load4w<Tr>(a + i, av);
        se2 += ev * ev;
        sa2 += av * av;
        sea += ev * av;
        const v4d ae = reinterpret_cast<v4d>(reinterpret_cast<v4i>(ev) & absm);
        mn = ae < mn ? ae : mn;
        if constexpr (Tr::plain_diff) {
            d = av - ev;
        } else {
            d = v4d{Tr::diff(e[i], a[i]), Tr::diff(e[i + 1], a[i + 1]), Tr::diff(e[i + 2], a[i + 2]),
                    Tr::diff(e[i + 3], a[i + 3])};
        }
        const v4d x = reinterpret_cast<v4d>(reinterpret_cast<v4i>(d) & absm);
        std::memcpy(ad + i, &x, sizeof x);
        sad += x;
        sd2 += d * d;
        mx = x > mx ? x : mx;
    }
    store_lanes4(se2, r.e2);
    store_lanes4(sa2, r.a2);
    store_lanes4(sea, r.ea);
    store_lanes4(mn, r.mne);
    store_lanes4(sad, r.ad);
    store_lanes4(sd2, r.d2);
    store_lanes4(mx, r.mx);
}

template <int K>
__attribute__((target("avx2"))) void count_ge_multi_avx2(const double* x, std::size_t n, const double* t,
                                                         std::uint64_t* c) {
    v4i acc[K];
    v4d tv[K];
    for (int k = 0; k < K; ++k) {
        acc[k] = v4i{0, 0, 0, 0};
        tv[k] = v4d{t[k], t[k], t[k], t[k]};
    }
    for (std::size_t i = 0; i < n; i += 4) {
        v4d xv;
        std::memcpy(&xv, x + i, sizeof xv);
        for (int k = 0; k < K; ++k) acc[k] -= (xv >= tv[k]);
    }
    for (int k = 0; k < K; ++k) c[k] = static_cast<std::uint64_t>((acc[k][0] + acc[k][1]) + (acc[k][2] + acc[k][3]));
}

bool use_avx2() {
    static const bool yes = (__builtin_cpu_init(), __builtin_cpu_supports("avx2") != 0);
    return yes;
}
#endif

template <typename Tr>
void lane_pass_best(const typename Tr::type* e, const typename Tr::type* a, std::size_t nv, double* ad,
                    LaneSums& r) {
#ifdef PYALIGN_COMPARE_AVX2
    if (use_avx2()) return lane_pass_avx2<Tr>(e, a, nv, ad, r);
#endif
    lane_pass<Tr>(e, a, nv, ad, r);
}

// Which groups of 4 elements may hold an x / |e| >= m (see rel_block): ae != 0, x > 0 and
// (x >= mlo |e| or the product is below 2^-1000, where its rounding is not relative). Sets
// flag[g] for group g (elements 4g..4g+3); returns whether any is set.
template <typename Tr>
bool rel_candidates(const typename Tr::type* e, const double* ad, std::size_t n, double mlo, unsigned char* flag) {
    const v2i absm = {0x7fffffffffffffffLL, 0x7fffffffffffffffLL};
    const v2d zero = {0.0, 0.0}, m = {mlo, mlo}, tiny = {0x1p-1000, 0x1p-1000};
    v2i any = {0, 0};
    for (std::size_t i = 0; i < n; i += 4) {
        v2d e0, e1, x0, x1;
        load4<Tr>(e + i, e0, e1);
        std::memcpy(&x0, ad + i, sizeof x0);
        std::memcpy(&x1, ad + i + 2, sizeof x1);
        const v2d ae0 = reinterpret_cast<v2d>(reinterpret_cast<v2i>(e0) & absm);
        const v2d ae1 = reinterpret_cast<v2d>(reinterpret_cast<v2i>(e1) & absm);
        const v2d p0 = m * ae0, p1 = m * ae1;
        const v2i c = ((ae0 != zero) & (x0 > zero) & ((x0 >= p0) | (p0 < tiny))) |
                      ((ae1 != zero) & (x1 > zero) & ((x1 >= p1) | (p1 < tiny)));
        flag[i / 4] = (c[0] | c[1]) != 0;
        any |= c;
    }
    return (any[0] | any[1]) != 0;
}

// Number of elements with !(x < atol + rtol |e|).
template <typename Tr>
std::uint64_t count_violations(const typename Tr::type* e, const double* ad, std::size_t n, double atol,
                               double rtol) {
    const v2i absm = {0x7fffffffffffffffLL, 0x7fffffffffffffffLL};
    const v2d at = {atol, atol}, rt = {rtol, rtol};
    v2i c = {0, 0};
    for (std::size_t i = 0; i < n; i += 4) {
        v2d e0, e1, x0, x1;
        load4<Tr>(e + i, e0, e1);
        std::memcpy(&x0, ad + i, sizeof x0);
        std::memcpy(&x1, ad + i + 2, sizeof x1);
        const v2d ae0 = reinterpret_cast<v2d>(reinterpret_cast<v2i>(e0) & absm);
        const v2d ae1 = reinterpret_cast<v2d>(reinterpret_cast<v2i>(e1) & absm);
        c += (x0 < at + rt * ae0) + v2i{1, 1};  // a passing comparison is -1: 0 passes, 1 fails
        c += (x1 < at + rt * ae1) + v2i{1, 1};
    }
    return static_cast<std::uint64_t>(c[0] + c[1]);
}

// c[k] = #(x[i] >= t[k]), k < K, in one pass over x (n a multiple of 4).
template <int K>
void count_ge_multi(const double* x, std::size_t n, const double* t, std::uint64_t* c) {
#ifdef PYALIGN_COMPARE_AVX2
    if (use_avx2()) return count_ge_multi_avx2<K>(x, n, t, c);
#endif
    v2i acc[K];
    v2d tv[K];
    for (int k = 0; k < K; ++k) {
        acc[k] = v2i{0, 0};
        tv[k] = v2d{t[k], t[k]};
    }
    for (std::size_t i = 0; i < n; i += 2) {
        v2d xv;
        std::memcpy(&xv, x + i, sizeof xv);
        for (int k = 0; k < K; ++k) acc[k] -= (xv >= tv[k]);  // a true comparison is -1
    }
    for (int k = 0; k < K; ++k) c[k] = static_cast<std::uint64_t>(acc[k][0] + acc[k][1]);
}

void count_ge_edges(const double* x, std::size_t n, const double* t, int k, std::uint64_t* c) {
    switch (k) {
        case 1: return count_ge_multi<1>(x, n, t, c);
        case 2: return count_ge_multi<2>(x, n, t, c);
        case 3: return count_ge_multi<3>(x, n, t, c);
        case 4: return count_ge_multi<4>(x, n, t, c);
        case 5: return count_ge_multi<5>(x, n, t, c);
        case 6: return count_ge_multi<6>(x, n, t, c);
        case 7: return count_ge_multi<7>(x, n, t, c);
        case 8: return count_ge_multi<8>(x, n, t, c);
        case 9: return count_ge_multi<9>(x, n, t, c);
        case 10: return count_ge_multi<10>(x, n, t, c);
        default: return count_ge_multi<11>(x, n, t, c);
    }
}

// Up to how many edges the counting passes beat a table lookup per element (measured: with AVX2
// always; with SSE2/NEON up to 6).
int max_count_edges() {
#ifdef PYALIGN_COMPARE_AVX2
    if (use_avx2()) return kHistBins - 1;
#endif
    return 6;
}
#else
template <typename Tr>
void lane_pass(const typename Tr::type* e, const typename Tr::type* a, std::size_t nv, double* ad, LaneSums& r) {
    for (int l = 0; l < kLanes; ++l) {
        r.ad[l] = r.d2[l] = r.e2[l] = r.a2[l] = r.ea[l] = r.mx[l] = 0.0;
        r.mne[l] = std::numeric_limits<double>::infinity();
    }
    for (std::size_t i = 0; i < nv; i += kLanes) {
        for (int l = 0; l < kLanes; ++l) {
            const double ev = Tr::value(e[i + l]), av = Tr::value(a[i + l]);
            const double d = Tr::diff(e[i + l], a[i + l]);
            const double x = std::fabs(d);
            const double ae = std::fabs(ev);
            ad[i + l] = x;
            r.ad[l] += x;
            r.d2[l] += d * d;
            r.e2[l] += ev * ev;
            r.a2[l] += av * av;
            r.ea[l] += ev * av;
            r.mx[l] = x > r.mx[l] ? x : r.mx[l];
            r.mne[l] = ae < r.mne[l] ? ae : r.mne[l];
        }
    }
}

// Number of x[i] >= t for non-negative x[i] and t > 0: on the bit patterns, which order non-negative
// doubles as integers (integer loops vectorise without any floating-point reassociation).
std::uint64_t count_ge(const double* x, std::size_t n, double t) {
    std::uint64_t tb;
    std::memcpy(&tb, &t, sizeof tb);
    const std::uint64_t below = tb - 1;  // x >= t  <=>  bits(x) > below  <=>  below - bits(x) wraps
    std::uint64_t c = 0;
    for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t b;
        std::memcpy(&b, x + i, sizeof b);
        c += (below - b) >> 63;
    }
    return c;
}

void count_ge_edges(const double* x, std::size_t n, const double* t, int k, std::uint64_t* c) {
    for (int j = 0; j < k; ++j) c[j] = count_ge(x, n, t[j]);
}

template <typename Tr>
bool rel_candidates(const typename Tr::type* e, const double* ad, std::size_t n, double mlo, unsigned char* flag) {
    const double tiny = 0x1p-1000;
    bool any = false;
    for (std::size_t i = 0; i < n; ++i) {
        const double ae = std::fabs(Tr::value(e[i]));
        const double x = ad[i];
        const double p = mlo * ae;
        if (i % 4 == 0) flag[i / 4] = 0;
        if (ae != 0.0 && x > 0.0 && (x >= p || p < tiny)) flag[i / 4] = 1, any = true;
    }
    return any;
}

template <typename Tr>
std::uint64_t count_violations(const typename Tr::type* e, const double* ad, std::size_t n, double atol,
                               double rtol) {
    std::uint64_t c = 0;
    for (std::size_t i = 0; i < n; ++i) c += ad[i] < atol + rtol * std::fabs(Tr::value(e[i])) ? 0u : 1u;
    return c;
}

int max_count_edges() { return 2; }

template <typename Tr>
void lane_pass_best(const typename Tr::type* e, const typename Tr::type* a, std::size_t nv, double* ad,
                    LaneSums& r) {
    lane_pass<Tr>(e, a, nv, ad, r);
}
#endif

// How many blocks ahead update() asks for the data (a cache hint; it changes no result).
constexpr std::size_t kPrefetchBlocks = 1;

inline void prefetch_block(const void* e, const void* a, std::size_t bytes) {
#if defined(__GNUC__)
    const char* pe = static_cast<const char*>(e);
    const char* pa = static_cast<const char*>(a);
    for (std::size_t o = 0; o < bytes; o += 64) {
        __builtin_prefetch(pe + o);
        __builtin_prefetch(pa + o);
    }
#else
    (void)e, (void)a, (void)bytes;
#endif
}

inline double lane_sum(const double* v) { return (v[0] + v[1]) + (v[2] + v[3]); }

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
void CompareAccumulator::rel_block(const typename Tr::type* e, const double* ad, std::size_t n, double bm,
                                   double min_ae) {
    CompareStats& s = stats_;
    // Skip the divisions when no element can raise the max relative diff M: with
    // Mlo = M (1 - 2^-20), x < Mlo |e| (a product at least 2^-1000, so rounded with a relative
    // error of 2^-53) proves x / |e| < M by a margin far above every rounding involved.
    const double m = s.max_rel_num / s.max_rel_den;
    const double mlo = m * (1.0 - 0x1p-20);
    const double tiny = 0x1p-1000;
    const double pb = mlo * min_ae;
    if (min_ae > 0.0 && pb >= tiny && bm < pb) return;
    unsigned char flag[kCompareBlock / kLanes];
    if (!rel_candidates<Tr>(e, ad, n, mlo, flag)) return;
    // Divide only in the flagged groups: the others hold no quotient that can raise the max.
    double rn[kLanes] = {};
    for (std::size_t i = 0; i < n; i += kLanes) {
        if (!flag[i / kLanes]) continue;
        for (int l = 0; l < kLanes; ++l) {
            const double ae = std::fabs(Tr::value(e[i + l]));
            const bool nz = ae != 0.0;
            const double r = (nz ? ad[i + l] : 0.0) / (nz ? ae : 1.0);
            rn[l] = r > rn[l] ? r : rn[l];
        }
    }
    for (int l = 0; l < kLanes; ++l) {
        if (rn[l] * s.max_rel_den > s.max_rel_num) {
            s.max_rel_num = rn[l];
            s.max_rel_den = 1.0;
        }
    }
}

template <typename Tr>
void CompareAccumulator::violations_block(const typename Tr::type* e, const typename Tr::type* a, const double* ad,
                                          std::size_t n, std::uint64_t base) {
    CompareStats& s = stats_;
    const double atol = tol_atol_, rtol = tol_rtol_;
    const std::uint64_t nb = count_violations<Tr>(e, ad, n, atol, rtol);
    if (nb == 0) return;
    s.violations += nb;
    for (std::size_t i = 0; i < n && s.first_violations.size() < options_.max_violations; ++i) {
        const double ae = std::fabs(Tr::value(e[i]));
        if (!(ad[i] < atol + rtol * ae))
            s.first_violations.push_back({base + i, Tr::value(e[i]), Tr::value(a[i]), Tr::diff(e[i], a[i])});
    }
}

void CompareAccumulator::histogram_block(const double* ad, std::size_t n, double bm) {
    // Cumulative counts #(x > 0) and #(x >= edge) for the edges up to the block's max; n is even.
    static const double edges[kHistBins - 1] = {std::numeric_limits<double>::denorm_min(),
                                                kHistEdges[0], kHistEdges[1], kHistEdges[2], kHistEdges[3],
                                                kHistEdges[4], kHistEdges[5], kHistEdges[6], kHistEdges[7],
                                                kHistEdges[8], kHistEdges[9]};
    int k = 1;
    while (k < kHistBins - 1 && edges[k] <= bm) ++k;
    CompareStats& s = stats_;
    if (k > max_count_edges()) {
        // Many edges (|d| spread over many decades): one table lookup per element costs less.
        const HistTable& ht = hist_table();
        std::uint64_t h[kLanes][kHistBins] = {};
        for (std::size_t i = 0; i < n; i += kLanes)
            for (int l = 0; l < kLanes; ++l) ++h[l][bin_of(ht, ad[i + l])];
        for (int b = 0; b < kHistBins; ++b) s.histogram[b] += (h[0][b] + h[1][b]) + (h[2][b] + h[3][b]);
        return;
    }
    std::uint64_t c[kHistBins - 1];
    count_ge_edges(ad, n, edges, k, c);
    s.histogram[0] += n - c[0];
    for (int j = 1; j < k; ++j) s.histogram[j] += c[j - 1] - c[j];
    s.histogram[k] += c[k - 1];
}

template <typename Tr>
void CompareAccumulator::block(const typename Tr::type* e, const typename Tr::type* a, std::size_t n,
                               std::uint64_t base) {
    double ad[kCompareBlock];
    const std::size_t nv = n - n % kLanes;
    LaneSums r;
    lane_pass_best<Tr>(e, a, nv, ad, r);
    const double sad = lane_sum(r.ad);
    // A NaN or an Inf on either side makes its |diff| NaN or Inf, hence the sum; a finite sum proves
    // the block finite. A non-finite sum from finite values (an overflowing difference) is told apart.
    if (Tr::is_float && !std::isfinite(sad) && has_nonfinite<Tr>(e, a, nv)) {
        slow_block<Tr>(e, a, n, base);
        return;
    }
    CompareStats& s = stats_;
    if (nv > 0) {
        s.finite_pairs += nv;
        s.sum_abs_diff += sad;
        s.sum_sq_diff += lane_sum(r.d2);
        s.sum_expected_sq += lane_sum(r.e2);
        s.sum_actual_sq += lane_sum(r.a2);
        s.sum_product += lane_sum(r.ea);
        double bm = r.mx[0], me = r.mne[0];
        for (int l = 1; l < kLanes; ++l) {
            bm = r.mx[l] > bm ? r.mx[l] : bm;
            me = r.mne[l] < me ? r.mne[l] : me;
        }
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
        // |d| <= bm < atol <= atol + rtol |e|: no violation in the block.
        if (options_.kind != RuleKind::none && !(bm < tol_atol_)) violations_block<Tr>(e, a, ad, nv, base);
        if (bm > 0.0) {
            rel_block<Tr>(e, ad, nv, bm, me);
            histogram_block(ad, nv, bm);
        } else {
            s.histogram[0] += nv;
        }
    }
    if (nv < n) slow_block<Tr>(e + nv, a + nv, n - nv, base + nv);
}

template <typename Tr>
void CompareAccumulator::update_typed(const void* expected, const void* actual, std::size_t n) {
    const auto* e = static_cast<const typename Tr::type*>(expected);
    const auto* a = static_cast<const typename Tr::type*>(actual);
    std::size_t done = 0;
    while (done < n) {
        const std::size_t m = n - done < kCompareBlock ? n - done : kCompareBlock;
        // Memory-mapped pages arrive faster when asked for a block ahead of the computation.
        const std::size_t ahead = done + kPrefetchBlocks * kCompareBlock;
        if (ahead < n) {
            const std::size_t k = n - ahead < kCompareBlock ? n - ahead : kCompareBlock;
            prefetch_block(e + ahead, a + ahead, k * sizeof(typename Tr::type));
        }
        block<Tr>(e + done, a + done, m, stats_.count + done);
        done += m;
    }
    stats_.count += n;
}

void CompareAccumulator::update(const void* expected, const void* actual, std::size_t n) {
    if (n == 0) return;
    if (expected == nullptr || actual == nullptr) throw Error("compare: null data pointer");
    switch (dtype_) {
        case DType::u8: return update_typed<IntTraits<std::uint8_t>>(expected, actual, n);
        case DType::i8: return update_typed<IntTraits<std::int8_t>>(expected, actual, n);
        case DType::u16: return update_typed<IntTraits<std::uint16_t>>(expected, actual, n);
        case DType::i16: return update_typed<IntTraits<std::int16_t>>(expected, actual, n);
        case DType::u32: return update_typed<IntTraits<std::uint32_t>>(expected, actual, n);
        case DType::i32: return update_typed<IntTraits<std::int32_t>>(expected, actual, n);
        case DType::i64: return update_typed<Int64Traits>(expected, actual, n);
        case DType::f16: return update_typed<HalfTraits>(expected, actual, n);
        case DType::f32: return update_typed<FloatTraits<float>>(expected, actual, n);
        case DType::f64: return update_typed<FloatTraits<double>>(expected, actual, n);
    }
    throw Error("invalid dtype");
}

CompareSummary CompareAccumulator::summary() const { return summarize(stats_); }

}  // namespace pyalign

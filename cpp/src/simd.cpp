// pyalign — detection and selection of the SIMD level (see pyalign/simd.hpp).
#include "simd.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "pyalign/common.hpp"

namespace pyalign {

namespace detail {

std::atomic<int> g_simd_level{-1};

namespace {

SimdLevel best_level() {
#if defined(PYALIGN_SIMD_X86)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::AVX2;
    if (__builtin_cpu_supports("sse4.1")) return SimdLevel::SSE41;
#elif defined(PYALIGN_SIMD_NEON)
    return SimdLevel::NEON;
#endif
    return SimdLevel::Portable;
}

bool supported(SimdLevel level) {
    for (SimdLevel l : simd_levels())
        if (l == level) return true;
    return false;
}

}  // namespace

void init_simd_level() {
    SimdLevel level = best_level();
    if (const char* env = std::getenv("PYALIGN_SIMD")) {
        if (*env != '\0') {
            try {
                const SimdLevel want = parse_simd_level(env);
                if (supported(want))
                    level = want;
                else
                    std::fprintf(stderr, "pyalign: PYALIGN_SIMD=%s is not supported here; using %s\n", env,
                                 simd_level_name(level));
            } catch (const Error&) {
                std::fprintf(stderr, "pyalign: PYALIGN_SIMD=%s is not a SIMD level; using %s\n", env,
                             simd_level_name(level));
            }
        }
    }
    int expected = -1;  // a concurrent first call may have set it already: keep that one
    g_simd_level.compare_exchange_strong(expected, static_cast<int>(level));
}

}  // namespace detail

const char* simd_level_name(SimdLevel level) {
    switch (level) {
        case SimdLevel::Portable: return "portable";
        case SimdLevel::SSE41: return "sse4.1";
        case SimdLevel::AVX2: return "avx2";
        case SimdLevel::NEON: return "neon";
    }
    return "?";
}

SimdLevel parse_simd_level(const std::string& name) {
    if (name == "portable") return SimdLevel::Portable;
    if (name == "sse4.1" || name == "sse41") return SimdLevel::SSE41;
    if (name == "avx2") return SimdLevel::AVX2;
    if (name == "neon") return SimdLevel::NEON;
    throw Error("unknown SIMD level '" + name + "' (known: portable, sse4.1, avx2, neon)");
}

std::vector<SimdLevel> simd_levels() {
    std::vector<SimdLevel> out{SimdLevel::Portable};
#if defined(PYALIGN_SIMD_X86)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.1")) out.push_back(SimdLevel::SSE41);
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) out.push_back(SimdLevel::AVX2);
#elif defined(PYALIGN_SIMD_NEON)
    out.push_back(SimdLevel::NEON);
#endif
    return out;
}

SimdLevel simd_level() { return detail::active_simd_level(); }

void set_simd_level(SimdLevel level) {
    if (!detail::supported(level))
        throw Error(std::string("SIMD level '") + simd_level_name(level) + "' is not supported by this build and CPU");
    detail::g_simd_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

}  // namespace pyalign

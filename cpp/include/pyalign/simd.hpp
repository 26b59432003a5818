// pyalign — instruction-set levels of the hot kernels (uint8 resize, YUV -> BGR/RGB, normalisation).
//
// The portable C++ loops are the reference. On x86-64 the library also carries SSE4.1 and AVX2
// (AVX2 + FMA) kernels, on aarch64 NEON kernels; each gives the same bytes as the portable code for
// every input: the resize and colour kernels use the same integer arithmetic, the normalisation
// kernels replace the division by a corrected reciprocal only where that was checked to give the
// quotient's bits for all 256 inputs (normalize_kernels.hpp). At start-up the best level the CPU
// supports is chosen; the environment variable PYALIGN_SIMD (portable, sse4.1, avx2, neon) or
// set_simd_level() selects another one, e.g. to compare every level bit for bit. Builds with
// -DPYALIGN_NO_DISPATCH have the portable level only.
#pragma once

#include <string>
#include <vector>

namespace pyalign {

enum class SimdLevel { Portable, SSE41, AVX2, NEON };

/// "portable", "sse4.1", "avx2", "neon".
const char* simd_level_name(SimdLevel level);
/// Inverse of simd_level_name (also accepts "sse41"); throws pyalign::Error for other names.
SimdLevel parse_simd_level(const std::string& name);
/// The levels this build and CPU can run, portable first, the best last.
std::vector<SimdLevel> simd_levels();
/// The level in use (process-wide).
SimdLevel simd_level();
/// Selects the level for every later call (process-wide; calls already running keep theirs).
/// Throws pyalign::Error when the level is not in simd_levels().
void set_simd_level(SimdLevel level);

}  // namespace pyalign
